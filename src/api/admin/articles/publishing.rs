//! Publishing now or at a future time, and unpublishing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, FixedOffset, SubsecRound};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminArticle, Editing, admin_view, load_for_write};
use crate::api::admin::IdPath;
use crate::api::extract::{MaybeJsonBody, if_match_version};
use crate::api::respond::{Data, versioned};
use crate::auth::CurrentUser;
use crate::auth::policy::ArticleAction;
use crate::error::AppError;
use crate::models::articles::{self, ARCHIVED, DRAFT, PUBLISHED};
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// When to publish. In the future: scheduled, and public when the time comes. Absent: now
    /// (or the article's earlier publication date, when it was published before). Years
    /// 1900–9999.
    #[schema(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub publish_at: Option<DateTime<FixedOffset>>,
    /// The version this is based on; a stale one answers 409.
    pub version: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    /// `draft` (default) or `archived`.
    #[schema(schema_with = unpublished_status)]
    pub status: Option<String>,
    /// The version this is based on; a stale one answers 409.
    pub version: Option<i64>,
}

fn unpublished_status() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!("draft"),
            serde_json::json!("archived"),
            serde_json::Value::Null,
        ]))
        .description(Some("`draft` (default) or `archived`."))
        .examples(["draft"])
}

/// Publishes an article now, or schedules it with `publish_at`. The body is optional.
#[utoipa::path(
    operation_id = "adminPublishArticle",
    tag = "Admin: articles",
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version this is based on", pattern = r#"^(\*|"v[0-9]+")$"#)),
    request_body(content = Option<PublishRequest>, description = "Optional"),
    responses((status = 200, description = "Published or scheduled", body = Data<AdminArticle>, headers(("ETag" = String))))
)]
#[post("/articles/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
    body: MaybeJsonBody<PublishRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let if_match = if_match_version(&req)?;
    let input = body.0.unwrap_or_default();
    if input
        .publish_at
        .is_some_and(|at| !crate::validate::written_date_in_range(&at))
    {
        return Err(AppError::invalid(
            "publish_at",
            crate::validate::date_range_message(),
        ));
    }
    let now = state.clock.now();
    let view = state
        .db
        .write_content(move |conn| {
            let Editing {
                current,
                mut draft,
                expected,
            } = load_for_write(
                conn,
                id,
                &user,
                ArticleAction::Publish,
                if_match,
                input.version,
            )?;
            draft.published_at = Some(match (input.publish_at, current.published_at) {
                (Some(at), _) => at.naive_utc(),
                (None, Some(before)) if before <= now => before,
                // Publication times are shown to readers: whole seconds.
                (None, _) => now.trunc_subsecs(0),
            });
            super::write::validate_draft(&draft, &user)?;
            let saved = articles::save(
                conn,
                &current,
                expected,
                &draft,
                Some(PUBLISHED),
                Some(user.id),
                now,
            )?;
            admin_view(conn, saved, now)
        })
        .await?;
    Ok(versioned(
        StatusCode::OK,
        view.version,
        &Data { data: view },
    ))
}

/// Takes an article off the Content API: back to `draft`, or `archived`. The body is optional.
#[utoipa::path(
    operation_id = "adminUnpublishArticle",
    tag = "Admin: articles",
    params(("id" = i64, Path, description = "Article id"), ("If-Match" = Option<String>, Header, description = "The ETag of the version this is based on", pattern = r#"^(\*|"v[0-9]+")$"#)),
    request_body(content = Option<UnpublishRequest>, description = "Optional"),
    responses((status = 200, description = "Unpublished", body = Data<AdminArticle>, headers(("ETag" = String))))
)]
#[post("/articles/{id}/unpublish")]
pub async fn unpublish(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
    body: MaybeJsonBody<UnpublishRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let if_match = if_match_version(&req)?;
    let input = body.0.unwrap_or_default();
    let status = match input.status.as_deref() {
        None | Some("draft") => DRAFT,
        Some("archived") => ARCHIVED,
        Some(_) => return Err(AppError::invalid("status", "must be draft or archived")),
    };
    let now = state.clock.now();
    let view = state
        .db
        .write_content(move |conn| {
            let Editing {
                current,
                draft,
                expected,
            } = load_for_write(
                conn,
                id,
                &user,
                ArticleAction::Publish,
                if_match,
                input.version,
            )?;
            let saved = articles::save(
                conn,
                &current,
                expected,
                &draft,
                Some(status),
                Some(user.id),
                now,
            )?;
            admin_view(conn, saved, now)
        })
        .await?;
    Ok(versioned(
        StatusCode::OK,
        view.version,
        &Data { data: view },
    ))
}
