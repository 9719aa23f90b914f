//! Access tokens: HS256 JWTs with a pinned algorithm and required `exp`, `iat`, `iss`, `aud`, `sub`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use anyhow::Context;

use crate::error::AppError;

pub const ISSUER: &str = "headline";
pub const AUDIENCE: &str = "headline-admin";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's session generation at issue: a token of an older one is refused.
    #[serde(rename = "gen")]
    pub generation: i64,
}

/// Signing and verification keys with the validation rules, built once at start-up.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: u64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// Issues an access token for a user at their current session generation.
    pub fn issue(&self, user_id: i64, generation: i64) -> Result<String, AppError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(i64::try_from(self.ttl_seconds).unwrap_or(i64::MAX)),
            generation,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing an access token")?;
        Ok(token)
    }

    /// Verifies a token and returns the user id and session generation it was issued for.
    pub fn verify(&self, token: &str) -> Result<(i64, i64), AppError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            tracing::debug!(error = %e, "rejected access token");
            AppError::Unauthorized("invalid or expired access token".to_owned())
        })?;
        let user_id =
            data.claims.sub.parse().map_err(|e| {
                AppError::Unauthorized(format!("invalid access token subject: {e}"))
            })?;
        Ok((user_id, data.claims.generation))
    }
}
