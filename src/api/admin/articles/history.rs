//! An article's history: one revision per version, and restoring an old one as a new version.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AdminArticle, Editing, admin_view, load_for_write};
use crate::api::extract::if_match_version;
use crate::api::respond::{Data, private, versioned};
use crate::api::views::utc;
use crate::auth::CurrentUser;
use crate::auth::policy::ArticleAction;
use crate::error::AppError;
use crate::models::articles::{self, ArticleDraft};
use crate::startup::AppState;

/// One saved version of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    #[schema(example = 3)]
    pub version: i64,
    pub title: String,
    pub slug: String,
    /// The user who saved it.
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Every saved version of an article, newest first.
#[utoipa::path(
    operation_id = "adminListArticleRevisions",
    tag = "Admin: articles",
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, description = "Revisions, newest first", body = Data<Vec<RevisionView>>))
)]
#[get("/articles/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = state
        .db
        .run(move |conn| {
            articles::find(conn, id)?;
            articles::revisions(conn, id)
        })
        .await?;
    let views: Vec<RevisionView> = rows
        .into_iter()
        .map(|r| {
            let draft: Option<ArticleDraft> = serde_json::from_str(&r.snapshot).ok();
            RevisionView {
                version: r.version,
                title: draft.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
                slug: draft.map(|d| d.slug).unwrap_or_default(),
                created_by: r.created_by,
                created_at: utc(r.created_at),
            }
        })
        .collect();
    Ok(private(&Data { data: views }))
}

/// Restores the content of an old version as a new version (status is unchanged).
#[utoipa::path(
    operation_id = "adminRestoreArticleRevision",
    tag = "Admin: articles",
    params(("id" = i64, Path, description = "Article id"), ("version" = i64, Path, description = "The version to restore"),
           ("If-Match" = Option<String>, Header, description = "The ETag of the current version", pattern = r#"^(\*|"v[0-9]+")$"#)),
    responses(
        (status = 200, description = "The article at its new version", body = Data<AdminArticle>, headers(("ETag" = String))),
        (status = 422, description = "The revision names an author, topic or list deleted since", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{id}/revisions/{version}/restore")]
pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (id, version) = path.into_inner();
    let if_match = if_match_version(&req)?;
    let now = state.clock.now();
    let view = state
        .db
        .write_content(move |conn| {
            let Editing {
                current, expected, ..
            } = load_for_write(conn, id, &user, ArticleAction::Update, if_match, None)?;
            let mut draft = articles::revision(conn, id, version)?;
            // Publication date is part of publishing, not of the content being restored.
            draft.published_at = current.published_at;
            super::write::validate_draft(&draft, &user)?;
            super::write::check_references(conn, &draft)?;
            let saved = articles::save(conn, &current, expected, &draft, None, Some(user.id), now)?;
            admin_view(conn, saved, now)
        })
        .await?;
    Ok(versioned(
        StatusCode::OK,
        view.version,
        &Data { data: view },
    ))
}
