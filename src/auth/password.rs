//! Password hashing with Argon2id (the crate's defaults: m = 19 MiB, t = 2 passes, p = 1), and
//! the gate every hash and check goes through.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Bounds password work, which anyone can ask for by trying to log in: each Argon2 run takes
/// 19 MiB and tens of milliseconds of a core. At most `running` run at once (so at most
/// `running` × 19 MiB), at most `queued` more wait for a turn, and anything beyond is refused
/// at once with 503 and `Retry-After` instead of piling up memory and latency.
#[derive(Debug)]
pub struct PasswordGate {
    running: Semaphore,
    waiting: AtomicUsize,
    queued: usize,
}

impl PasswordGate {
    pub fn new(running: usize, queued: usize) -> Self {
        Self {
            running: Semaphore::new(running.max(1)),
            waiting: AtomicUsize::new(0),
            queued,
        }
    }

    /// Sized from the machine: one run per core, four times as many waiting.
    pub fn for_cores(cores: usize) -> Self {
        Self::new(cores, cores * 4)
    }

    /// Runs `work` (a hash or a check) on the blocking pool when a turn comes.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // Waiting includes the one that will run: `running` + `queued` callers at most.
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let admitted = before < self.running.available_permits() + self.queued;
        let permit = if admitted {
            self.running.acquire().await.ok()
        } else {
            None
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Some(_permit) = permit else {
            return Err(AppError::Unavailable(
                "too many password checks at once; try again in a moment".to_owned(),
            ));
        };
        Ok(actix_web::web::block(work).await?)
    }
}

pub fn hash(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A valid hash of a random password, verified against when the e-mail is unknown so that a
/// login takes as long for unknown users as for known ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::random_token()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::PasswordGate;

    /// One running and one queued: a third caller at the same time is refused at once, and
    /// the gate opens again when they are done.
    #[actix_web::test]
    async fn the_gate_refuses_work_beyond_its_queue() {
        let gate = Arc::new(PasswordGate::new(1, 1));
        let slow = || std::thread::sleep(Duration::from_millis(300));
        let first = actix_web::rt::spawn({
            let gate = gate.clone();
            async move { gate.run(slow).await }
        });
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let second = actix_web::rt::spawn({
            let gate = gate.clone();
            async move { gate.run(slow).await }
        });
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let third = gate.run(|| ()).await;
        assert!(
            matches!(third, Err(crate::error::AppError::Unavailable(_))),
            "{third:?}"
        );
        assert!(first.await.expect("first").is_ok());
        assert!(second.await.expect("second").is_ok());
        assert!(gate.run(|| ()).await.is_ok());
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let stored = super::hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &stored));
        assert!(!super::verify("wrong horse battery", &stored));
        assert!(!super::verify("anything", "not a phc string"));
    }
}
