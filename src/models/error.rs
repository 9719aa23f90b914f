//! What the model layer fails with. Nothing here knows HTTP: `ModelError` (`src/error.rs`)
//! gives each kind its status and problem document at the edge, where handlers meet models.

use crate::error::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The database failed, or refused a write (a unique or foreign-key violation, which the
    /// edge tells the client as a conflict).
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// A row the operation needs does not exist; the text names it ("article").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write contradicts what is stored: a stale version, a slug in use, a rule of the
    /// domain. `code` is the stable name clients match on; `field` the input at fault.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    /// Values the domain refuses.
    #[error("{} field(s) invalid", .0.len())]
    Invalid(Vec<FieldError>),
    /// An argument the model cannot use (a cursor of another order).
    #[error("{detail}")]
    Malformed { code: &'static str, detail: String },
    /// What cannot happen unless stored data or code is wrong; the cause (with its context
    /// chain) is logged, not sent.
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

impl ModelError {
    pub fn conflict(code: &'static str, detail: impl Into<String>, field: Option<&str>) -> Self {
        ModelError::Conflict {
            code,
            detail: detail.into(),
            field: field.map(str::to_owned),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn malformed(code: &'static str, detail: impl Into<String>) -> Self {
        ModelError::Malformed {
            code,
            detail: detail.into(),
        }
    }

    /// A broken invariant, said in words.
    pub fn internal<M>(message: M) -> Self
    where
        M: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    {
        ModelError::Internal(anyhow::Error::msg(message))
    }
}

/// Stored JSON (a revision's snapshot) or JSON being rendered for storage that does not
/// (de)serialise: a bug or damaged data, not the caller's fault.
impl From<serde_json::Error> for ModelError {
    fn from(err: serde_json::Error) -> Self {
        ModelError::Internal(anyhow::Error::new(err).context("json"))
    }
}

/// A model's answer.
pub type ModelResult<T> = Result<T, ModelError>;

/// Absence as an error, where the caller cannot go on without the row:
/// `articles::find(conn, id)?.or_missing("article")?`. Lookups themselves answer `Option`.
pub trait OrMissing<T> {
    fn or_missing(self, what: &'static str) -> ModelResult<T>;
}

impl<T> OrMissing<T> for Option<T> {
    fn or_missing(self, what: &'static str) -> ModelResult<T> {
        self.ok_or(ModelError::NotFound(what))
    }
}
