//! Password hashing with Argon2id (the crate's defaults: m = 19 MiB, t = 2 passes, p = 1), and
//! the gate every hash and check goes through.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use argon2::password_hash::phc::Output;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Bounds password work, which anyone can ask for by trying to log in: each Argon2 run takes
/// 19 MiB and tens of milliseconds of a core. At most `running` run at once, at most `queued`
/// more wait for a turn, and anything beyond is refused at once with 503 and `Retry-After`
/// instead of piling up memory and latency. Checks reuse the gate's own Argon2 memory (one
/// block buffer per running slot, made once), so login checks hold `running` × 19 MiB at most
/// whichever threads they run on; freed per-call buffers used to stay in each blocking
/// thread's malloc arena.
#[derive(Debug)]
pub struct PasswordGate {
    running: Semaphore,
    waiting: AtomicUsize,
    queued: usize,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl PasswordGate {
    pub fn new(running: usize, queued: usize) -> Self {
        Self {
            running: Semaphore::new(running.max(1)),
            waiting: AtomicUsize::new(0),
            queued,
            memory: Arc::default(),
        }
    }

    /// Whether `password` matches the stored PHC string, checked through the gate with its
    /// reusable memory.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, AppError> {
        let buffers = self.memory.clone();
        self.run(move || {
            let mut memory = buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default();
            let ok = verify_with(&password, &stored, &mut memory);
            buffers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(memory);
            ok
        })
        .await
    }

    /// Sized from the machine: one run per core, and a queue of about a second of work (a
    /// check takes ~30 ms of a core), so that a flood makes a real login wait rather than fail.
    /// A waiting caller holds no Argon2 memory, only its (at most 64 KiB) request.
    pub fn for_cores(cores: usize) -> Self {
        Self::new(cores, cores * 32)
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
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .context("hashing a password")?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// [`verify`] with Argon2's blocks in `memory` (grown to what the stored parameters need).
fn verify_with(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&hash),
        Algorithm::try_from(hash.algorithm.as_str()),
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let Some(memory) = memory.get_mut(..blocks) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
        memory,
    );
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == *expected)
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
        let mut memory = Vec::new();
        assert!(super::verify_with(
            "correct horse battery",
            &stored,
            &mut memory
        ));
        assert!(!super::verify_with(
            "wrong horse battery",
            &stored,
            &mut memory
        ));
        assert!(!super::verify_with(
            "anything",
            "$argon2id$v=19$m=8,t=1,p=1$",
            &mut memory
        ));
    }
}
