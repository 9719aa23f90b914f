//! The one error type of Headline, and the only place where errors become HTTP responses.
//!
//! Use [`AppError`] everywhere a request can fail. Each variant documents its status; every
//! response is RFC 9457 `application/problem+json` with a stable snake_case `code`. Internal causes
//! are logged here and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::models::ModelError;

/// One invalid field of a request body or query.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request, e.g. `title` or `feature_image.url`.
    #[schema(example = "title")]
    pub field: String,
    /// What is wrong with it.
    #[schema(example = "must not be empty")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document: the body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:headline:problem:validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "1 field is invalid",
    "code": "validation_failed",
    "errors": [{"field": "title", "message": "must not be empty"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:headline:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// A stable snake_case code for programs to match on.
    pub code: String,
    /// Field errors, for validation problems (422) and some 400s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: malformed input (bad JSON, unknown field or parameter, bad cursor).
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Option<Vec<FieldError>>,
    },
    /// 401: no token, or a token that is invalid or expired. Sends `WWW-Authenticate`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but the role or ownership does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource (also drafts on the Content API).
    #[error("{0}")]
    NotFound(String),
    /// 405: known path, wrong method. Sends `Allow`.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    /// 409: duplicate slug or email, stale `version` in a body, or a resource still in use.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    /// 412: `If-Match` does not match the current version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: body over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a body that is not `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed input with invalid values.
    #[error("{} field(s) invalid", .0.len())]
    Validation(Vec<FieldError>),
    /// 429: too many attempts; retry after the given seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// 503: the database is unreachable or the pool is exhausted.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The cause, with what was being done and the
    /// errors beneath it, is logged (`anyhow` context chain), never sent.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            detail: detail.into(),
            errors: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>, field: Option<&str>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
            field: field.map(str::to_owned),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// A 500 for a broken invariant, said in words. A failed call keeps its error instead:
    /// `.context("what was being done")?` (anyhow's `Context`) converts through `From`.
    pub fn internal<M>(message: M) -> Self
    where
        M: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
    {
        AppError::Internal(anyhow::Error::msg(message))
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::PreconditionFailed(_) => "precondition_failed",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation(_) => "validation_failed",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) if let [one] = errors.as_slice() => {
                format!("{}: {}", one.field, one.message)
            }
            AppError::Validation(errors) => format!("{} fields are invalid", errors.len()),
            AppError::MethodNotAllowed { allow } => {
                format!("this resource supports {allow}")
            }
            AppError::TooManyRequests { retry_after } => {
                format!("too many attempts; retry in {retry_after} s")
            }
            // Never send internal causes.
            AppError::Internal(_) => "an unexpected error occurred".to_owned(),
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let errors = match self {
            AppError::Validation(errors) => Some(errors.clone()),
            AppError::BadRequest { errors, .. } => errors.clone(),
            AppError::Conflict {
                field: Some(field),
                detail,
                ..
            } => Some(vec![FieldError::new(field.clone(), detail.clone())]),
            _ => None,
        };
        Problem {
            kind: format!("urn:headline:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code().to_owned(),
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // `{:#}`: each context and source on one line, "searching: opening segment: …".
            AppError::Internal(cause) => {
                tracing::error!(cause = format!("{cause:#}"), "internal error")
            }
            AppError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            AppError::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"headline\""),
                ));
            }
            AppError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            AppError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // An exhausted pool or a restarting database: worth another try shortly.
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            _ => {}
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound("resource not found".to_owned()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let field = unique_violation_field(info.message(), info.constraint_name());
                AppError::Conflict {
                    code: "already_exists",
                    detail: format!("{field} is already taken"),
                    field: Some(field),
                }
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                tracing::info!(message = info.message(), "foreign key violation");
                AppError::conflict(
                    "still_referenced",
                    "the resource is referenced by other content, or refers to a resource that does not exist",
                    None,
                )
            }
            other => AppError::Internal(anyhow::Error::new(other).context("database")),
        }
    }
}

/// Names the column of a unique violation from either backend's wording:
/// SQLite says `UNIQUE constraint failed: articles.slug`; PostgreSQL names `articles_slug_key`.
fn unique_violation_field(message: &str, constraint: Option<&str>) -> String {
    if let Some(cols) = message.strip_prefix("UNIQUE constraint failed: ") {
        let first = cols.split(',').next().unwrap_or(cols).trim();
        return first.rsplit('.').next().unwrap_or(first).to_owned();
    }
    if let Some(name) = constraint {
        let name = name.strip_suffix("_key").unwrap_or(name);
        for column in ["slug", "email", "token_hash"] {
            if name.ends_with(column) {
                return column.to_owned();
            }
        }
        return name.to_owned();
    }
    "value".to_owned()
}

/// The model layer's failures, given their HTTP meaning.
impl From<ModelError> for AppError {
    fn from(err: ModelError) -> Self {
        match err {
            ModelError::Database(e) => e.into(),
            ModelError::NotFound(what) => AppError::not_found(what),
            ModelError::Conflict {
                code,
                detail,
                field,
            } => AppError::Conflict {
                code,
                detail,
                field,
            },
            ModelError::Invalid(errors) => AppError::Validation(errors),
            ModelError::Malformed { code, detail } => AppError::bad_request(code, detail),
            ModelError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("database pool: {err}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::Error::new(err).context("blocking task"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Internal(anyhow::Error::new(err).context("json"))
    }
}

/// A failure with its context (`.context("…")?`): a 500.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_the_column_on_both_backends() {
        assert_eq!(
            unique_violation_field("UNIQUE constraint failed: articles.slug", None),
            "slug"
        );
        assert_eq!(
            unique_violation_field("duplicate key", Some("users_email_key")),
            "email"
        );
    }

    /// A writer the test's subscriber logs into.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_500_logs_its_whole_context_chain() {
        use anyhow::Context;

        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let disk = std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left");
        let failed: Result<(), _> = Err(disk);
        let err = AppError::from(
            failed
                .context("writing segment 7")
                .context("committing the index")
                .unwrap_err(),
        );
        let response = tracing::subscriber::with_default(subscriber, || err.error_response());
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("committing the index: writing segment 7: no space left"),
            "{log}"
        );
    }

    #[test]
    fn internal_causes_are_not_sent() {
        let problem = AppError::internal("password=hunter2 leaked").problem();
        assert!(!problem.detail.contains("hunter2"));
        assert_eq!(problem.status, 500);
    }
}
