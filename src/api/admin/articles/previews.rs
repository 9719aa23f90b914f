//! Draft previews: a link that shows one article's current state on the Content API before
//! it is public (`GET /api/v1/preview/{token}`), minted by an editor or the article's author.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Stored;
use crate::api::admin::Id;
use crate::api::extract::MaybeJsonBody;
use crate::api::respond::{Data, private};
use crate::api::views::utc;
use crate::auth::policy::{self, ArticleFacts};
use crate::auth::{CurrentUser, random_token, token_digest};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::{articles, previews};
use crate::startup::AppState;

/// Preview links last a day unless asked otherwise, a week at most.
const DEFAULT_SECONDS: i64 = 24 * 3600;
const MAX_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// How long the link works, in seconds: 60 to 604800 (a week); default 86400.
    #[schema(minimum = 60, maximum = 604800, example = 3600)]
    pub expires_in: Option<i64>,
}

impl PreviewRequest {
    /// How long the link works, checked.
    fn lifetime(&self) -> Result<Duration, AppError> {
        let seconds = self.expires_in.unwrap_or(DEFAULT_SECONDS);
        if !(60..=MAX_SECONDS).contains(&seconds) {
            return Err(AppError::invalid(
                "expires_in",
                format!("must be between 60 and {MAX_SECONDS} seconds"),
            ));
        }
        Ok(Duration::seconds(seconds))
    }
}

/// A preview link. The token is shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// Send it as the last segment of `GET /api/v1/preview/{token}`.
    #[schema(example = "q3Vb1m0y7Qp2WkX9s8dJfR5tLcN4hA6eZuG0oYiKwTs")]
    pub token: String,
    /// The Content API path that shows the article's current state with this token.
    #[schema(example = "/api/v1/preview/q3Vb1m0y7Qp2WkX9s8dJfR5tLcN4hA6eZuG0oYiKwTs")]
    pub path: String,
    #[schema(example = "2026-11-25T09:30:00Z")]
    pub expires_at: DateTime<Utc>,
}

/// May `user` preview the article? Editors and admins, and the article's own authors.
fn check(conn: &mut AnyConnection, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    articles::find(conn, id)?.or_missing("article")?;
    let (author_ids, _) = articles::relation_ids(conn, id)?;
    policy::article_preview(
        user,
        &ArticleFacts {
            author_ids: &author_ids,
            is_draft: true,
        },
    )
}

/// Mints a preview link for the article: its current state, whatever its status, on the
/// Content API, until the link expires, is revoked, or the article is deleted.
#[utoipa::path(
    operation_id = "adminCreateArticlePreview",
    tag = "Admin: articles",
    params(Id<Stored>),
    request_body(content = Option<PreviewRequest>, description = "Optional"),
    responses((status = 201, description = "The link, shown once", body = Data<Preview>))
)]
#[post("/articles/{id}/preview")]
#[tracing::instrument(name = "admin::articles::previews::create_preview", skip_all)]
pub async fn create_preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
    body: MaybeJsonBody<PreviewRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let lifetime = body.0.unwrap_or_default().lifetime()?;
    let token = random_token();
    let digest = token_digest(&token);
    let now = state.clock.now();
    let expires_at = now + lifetime;
    state
        .db
        .write(move |conn| {
            check(conn, &user, id)?;
            Ok(previews::create(
                conn, id, &digest, user.id, now, expires_at,
            )?)
        })
        .await?;
    let mut res = private(&Data {
        data: Preview {
            path: format!("/api/v1/preview/{token}"),
            token,
            expires_at: utc(expires_at),
        },
    });
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

/// Revokes every preview link of the article at once.
#[utoipa::path(
    operation_id = "adminRevokeArticlePreviews",
    tag = "Admin: articles",
    params(Id<Stored>),
    responses((status = 204, description = "Revoked"))
)]
#[delete("/articles/{id}/preview")]
#[tracing::instrument(name = "admin::articles::previews::revoke_previews", skip_all)]
pub async fn revoke_previews(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    state
        .db
        .write(move |conn| {
            check(conn, &user, id)?;
            Ok(previews::revoke_all(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
