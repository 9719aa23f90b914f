//! `GET /api/v1/preview/{token}`: a draft preview, for the editor's own eyes. Never cached,
//! never listed; see `api::admin::articles::previews` for how links are made.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, web};

use crate::api::content::articles::ArticleView;
use crate::api::respond::Data;
use crate::auth::token_digest;
use crate::error::AppError;
use crate::models::previews;
use crate::startup::AppState;

/// The article a preview link shows, in its current state (a draft included), as
/// `GET /articles/{slug}` shows a published one. `Cache-Control: private, no-store`.
#[utoipa::path(
    operation_id = "getArticlePreview",
    tag = "Content",
    params(("token" = String, Path, description = "The token of a preview link", pattern = "^[A-Za-z0-9_-]{1,100}$")),
    responses(
        (status = 200, description = "The article as it stands", body = Data<ArticleView>, headers(("Cache-Control" = String))),
        (status = 404, description = "No such link: expired, revoked, or its article deleted"),
    )
)]
#[get("/preview/{token}")]
#[tracing::instrument(name = "content::preview::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let digest = token_digest(&token.into_inner());
    let now = state.clock.now();
    let st = state.clone();
    let body = state
        .db
        .run(move |conn| {
            let Some(id) = previews::article_of(conn, &digest, now)? else {
                return Ok(None);
            };
            super::articles::page::preview_body(conn, &st.read_model, id, now)
        })
        .await?
        .ok_or_else(|| AppError::not_found("preview"))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ))
        .body(body))
}
