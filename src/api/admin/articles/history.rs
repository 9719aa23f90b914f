//! An article's history: one revision per version, and restoring an old one as a new version.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AdminArticle, Stored};
use crate::api::admin::Id;
use crate::api::admin::versioned::{self, Edit, Precondition};
use crate::api::respond::{Data, private};
use crate::api::views::utc;
use crate::auth::CurrentUser;
use crate::auth::policy::ArticleAction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
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
    params(Id<Stored>),
    responses((status = 200, description = "Revisions, newest first", body = Data<Vec<RevisionView>>))
)]
#[get("/articles/{id}/revisions")]
#[tracing::instrument(name = "admin::articles::history::revisions", skip_all)]
pub async fn revisions(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: Id<Stored>,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let rows = state
        .db
        .run(move |conn| {
            articles::find(conn, id)?.or_missing("article")?;
            Ok(articles::revisions(conn, id)?)
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

/// Restoring the content of the article's `version` (its status stays).
struct Restore {
    user: CurrentUser,
    version: i64,
}

impl Edit<Stored> for Restore {
    type Output = Stored;

    fn authorize(&self, current: &Stored) -> Result<(), AppError> {
        current.allows(&self.user, ArticleAction::Update)
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Stored,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Stored, AppError> {
        let article = current.article;
        let mut draft = articles::revision(conn, article.id, self.version)?;
        // Publication date is part of publishing, not of the content being restored.
        draft.published_at = article.published_at;
        super::write::validate_draft(&draft, &self.user)?;
        super::write::check_references(conn, &draft)?;
        Stored::save(conn, &article, expected, draft, None, &self.user, now)
    }
}

/// The path of one revision of an article.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RevisionPath {
    /// Article id
    id: i64,
    /// The version to restore
    version: i64,
}

/// Restores the content of an old version as a new version (status is unchanged).
#[utoipa::path(
    operation_id = "adminRestoreArticleRevision",
    tag = "Admin: articles",
    params(RevisionPath, Precondition),
    responses(
        (status = 200, description = "The article at its new version", body = Data<AdminArticle>, headers(("ETag" = String))),
        (status = 422, description = "The revision names an author, topic or list deleted since", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{id}/revisions/{version}/restore")]
#[tracing::instrument(name = "admin::articles::history::restore", skip_all)]
pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<RevisionPath>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    let RevisionPath { id, version } = path.into_inner();
    versioned::save(&state, Id::new(id), precondition, Restore { user, version }).await
}
