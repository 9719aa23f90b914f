//! `GET /healthz` (the process is up) and `GET /readyz` (the database answers).

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness: the process is up and serving.
#[utoipa::path(
    operation_id = "getHealth",tag = "Operations", responses((status = 200, description = "Up", body = Health)))]
#[get("/healthz")]
#[tracing::instrument(name = "health::healthz", skip_all)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ok".to_owned(),
            database: None,
        })
}

/// Readiness: the database is reachable.
#[utoipa::path(
    operation_id = "getReadiness",tag = "Operations", responses(
    (status = 200, description = "Ready", body = Health),
    (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
#[tracing::instrument(name = "health::readyz", skip_all)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let backend = state.db.backend();
    state
        .db
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::Unavailable(format!("database: {e}")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ok".to_owned(),
            database: Some(backend.name().to_owned()),
        }))
}
