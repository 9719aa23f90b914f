//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::AppError;

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
    #[test]
    fn hashes_verify_only_the_right_password() {
        let stored = super::hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &stored));
        assert!(!super::verify("wrong horse battery", &stored));
        assert!(!super::verify("anything", "not a phc string"));
    }
}
