//! Authentication and authorisation: password hashing, access tokens (JWT), refresh tokens,
//! the [`CurrentUser`] extractor and the role policy.

pub mod content_keys;
pub mod extractor;
pub mod jwt;
pub mod password;
pub mod policy;
pub mod rate_limit;

pub use extractor::CurrentUser;
pub use policy::Role;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random token of 32 bytes, URL-safe base64 (refresh tokens, secrets).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token: its SHA-256, hex. Refresh tokens are random, so a fast
/// hash is enough; a database leak does not reveal usable tokens.
pub fn token_digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates and creates a staff user (used by the Admin API, the CLI and the first-admin
/// bootstrap). Hashing happens here, on the caller's (blocking) thread.
pub fn create_user(
    conn: &mut crate::db::AnyConnection,
    email: &str,
    password: &str,
    role: Role,
    author_id: Option<i64>,
) -> Result<crate::models::users::User, crate::error::AppError> {
    use crate::models::{authors, now, users};
    let email = email.trim().to_lowercase();
    let mut v = crate::validate::Validator::new();
    v.email("email", &email);
    v.password("password", password);
    v.finish()?;
    if let Some(id) = author_id
        && !authors::missing(conn, &[id])?.is_empty()
    {
        return Err(crate::error::AppError::invalid(
            "author_id",
            format!("no author with id {id}"),
        ));
    }
    let hash = password::hash(password)?;
    let now = now();
    Ok(users::insert(
        conn,
        &users::NewUser {
            email: &email,
            password_hash: &hash,
            role: role.as_str(),
            author_id,
            disabled: false,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )?)
}

/// Sets a staff user's password (the CLI's `user set-password`) and ends their logins: their
/// refresh tokens are revoked, as when an admin changes it through the API.
pub fn set_password(
    conn: &mut crate::db::AnyConnection,
    email: &str,
    password: &str,
) -> Result<crate::models::users::User, crate::error::AppError> {
    use crate::models::{tokens, users};
    let mut v = crate::validate::Validator::new();
    v.password("password", password);
    v.finish()?;
    let email = email.trim().to_lowercase();
    let user = users::find_by_email(conn, &email)?
        .ok_or_else(|| crate::error::AppError::not_found("user"))?;
    let changes = users::UserChanges {
        password_hash: Some(password::hash(password)?),
        ..Default::default()
    };
    let user = users::update(conn, user.id, user.version, &changes)?;
    tokens::revoke_user(conn, user.id)?;
    Ok(user)
}
