//! Database rows and the queries over them, one module per resource. No HTTP types here: handlers
//! in `api/` turn these rows into response views, and [`ModelError`] into `AppError`.

pub mod articles;
pub mod audit;
pub mod authors;
pub mod cards;
pub mod changes;
pub mod content_keys;
mod error;
pub mod lists;
pub mod previews;
mod resource;
pub mod schedule;
pub mod secrets;
pub mod tokens;
pub mod topics;
pub mod users;
pub mod webhooks;

use chrono::{NaiveDateTime, SubsecRound, Utc};

pub use self::error::{ModelError, ModelResult, OrMissing};

/// The current UTC time at the precision both backends store (microseconds).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// An `on_write` hook that does nothing (see `resource::versioned_resource`).
pub fn unchanged(_: &mut crate::db::AnyConnection) -> Result<(), crate::models::ModelError> {
    Ok(())
}

/// The error of a write whose expected version is no longer current.
pub fn stale(what: &str) -> crate::models::ModelError {
    crate::models::ModelError::conflict(
        "version_conflict",
        format!("the {what} was changed by someone else; reload it and retry"),
        Some("version"),
    )
}
