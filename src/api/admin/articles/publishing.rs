//! Publishing now or at a future time, and unpublishing.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, FixedOffset, NaiveDateTime, SubsecRound};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminArticle, Stored};
use crate::api::admin::Id;
use crate::api::admin::versioned::{self, Edit, Precondition};
use crate::api::extract::MaybeJsonBody;
use crate::api::respond::Data;
use crate::auth::CurrentUser;
use crate::auth::policy::ArticleAction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::ArticleStatus;
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

/// Publishing: now, at the article's earlier publication date, or at `publish_at`.
struct Publish {
    user: CurrentUser,
    input: PublishRequest,
}

impl Edit<Stored> for Publish {
    type Output = Stored;

    fn body_version(&self) -> Option<i64> {
        self.input.version
    }

    fn authorize(&self, current: &Stored) -> Result<(), AppError> {
        current.allows(&self.user, ArticleAction::Publish)
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Stored,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Stored, AppError> {
        let Stored { article, mut draft } = current;
        draft.published_at = Some(match (self.input.publish_at, article.published_at) {
            (Some(at), _) => at.naive_utc(),
            (None, Some(before)) if before <= now => before,
            // Publication times are shown to readers: whole seconds.
            (None, _) => now.trunc_subsecs(0),
        });
        super::write::validate_draft(&draft, &self.user)?;
        Stored::save(
            conn,
            &article,
            expected,
            draft,
            Some(ArticleStatus::Published),
            &self.user,
            now,
        )
    }
}

/// Taking an article off the Content API, to `status`.
struct Unpublish {
    user: CurrentUser,
    status: ArticleStatus,
    version: Option<i64>,
}

impl Edit<Stored> for Unpublish {
    type Output = Stored;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn authorize(&self, current: &Stored) -> Result<(), AppError> {
        current.allows(&self.user, ArticleAction::Publish)
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Stored,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Stored, AppError> {
        let Stored { article, draft } = current;
        Stored::save(
            conn,
            &article,
            expected,
            draft,
            Some(self.status),
            &self.user,
            now,
        )
    }
}

/// Publishes an article now, or schedules it with `publish_at`. The body is optional.
#[utoipa::path(
    operation_id = "adminPublishArticle",
    tag = "Admin: articles",
    params(Id<Stored>, Precondition),
    request_body(content = Option<PublishRequest>, description = "Optional"),
    responses((status = 200, description = "Published or scheduled", body = Data<AdminArticle>, headers(("ETag" = String))))
)]
#[post("/articles/{id}/publish")]
#[tracing::instrument(name = "admin::articles::publishing::publish", skip_all)]
pub async fn publish(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
    precondition: Precondition,
    body: MaybeJsonBody<PublishRequest>,
) -> Result<HttpResponse, AppError> {
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
    let edit = Publish { user, input };
    versioned::save(&state, id, precondition, edit).await
}

/// Takes an article off the Content API: back to `draft`, or `archived`. The body is optional.
#[utoipa::path(
    operation_id = "adminUnpublishArticle",
    tag = "Admin: articles",
    params(Id<Stored>, Precondition),
    request_body(content = Option<UnpublishRequest>, description = "Optional"),
    responses((status = 200, description = "Unpublished", body = Data<AdminArticle>, headers(("ETag" = String))))
)]
#[post("/articles/{id}/unpublish")]
#[tracing::instrument(name = "admin::articles::publishing::unpublish", skip_all)]
pub async fn unpublish(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
    precondition: Precondition,
    body: MaybeJsonBody<UnpublishRequest>,
) -> Result<HttpResponse, AppError> {
    let input = body.0.unwrap_or_default();
    let status = match input.status.as_deref() {
        None | Some("draft") => ArticleStatus::Draft,
        Some("archived") => ArticleStatus::Archived,
        Some(_) => return Err(AppError::invalid("status", "must be draft or archived")),
    };
    let edit = Unpublish {
        user,
        status,
        version: input.version,
    };
    versioned::save(&state, id, precondition, edit).await
}
