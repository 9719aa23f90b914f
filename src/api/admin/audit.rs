//! `GET /api/v1/admin/audit-log`: who did what to which entity, newest first (see
//! `crate::audit`). Admins only.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AdminPageQuery;
use crate::api::content::articles::query_date;
use crate::api::respond::Collection;
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::error::AppError;
use crate::models::audit::{self, Entry, Filter};
use crate::pagination::Cursor;
use crate::startup::AppState;

/// One record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    #[schema(example = 1207)]
    pub id: i64,
    #[schema(example = "2026-11-24T09:30:00Z")]
    pub at: DateTime<Utc>,
    /// Who: the signed-in user (null for a failed login).
    #[schema(example = 2)]
    pub user_id: Option<i64>,
    /// The account named: the user's, or the one a failed login tried.
    #[schema(example = "editor@headline.test")]
    pub email: Option<String>,
    /// What: `<entity>.<verb>`, such as `article.publish`, `webhook.create`,
    /// `content_key.delete`, `auth.login`, `auth.login_failed`, `auth.logout`.
    #[schema(example = "article.publish")]
    pub action: String,
    /// To what: `article`, `author`, `topic`, `list`, `user`, `webhook`, `content_key`.
    #[schema(example = "article")]
    pub entity: Option<String>,
    #[schema(example = 7)]
    pub entity_id: Option<i64>,
    #[schema(example = "POST")]
    pub method: String,
    #[schema(example = "/api/v1/admin/articles/7/publish")]
    pub path: String,
    /// The answer's status: a refused write is recorded too.
    #[schema(example = 200)]
    pub status: i32,
    /// The request's `x-request-id`, to find its log line.
    #[schema(example = "6f1c0a7e2b9d4c3f8a5e1d0b7c6a9f2e")]
    pub request_id: Option<String>,
    /// The client's address (through `HEADLINE_TRUSTED_PROXIES`).
    #[schema(example = "203.0.113.7")]
    pub address: Option<String>,
}

impl From<Entry> for AuditView {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            at: utc(e.at),
            user_id: e.user_id,
            email: e.email,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            method: e.method,
            path: e.path,
            status: e.status,
            request_id: e.request_id,
            address: e.address,
        }
    }
}

/// The log's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only what this user did.
    #[param(example = 2)]
    pub user_id: Option<i64>,
    /// Only this action (`article.publish`).
    #[param(max_length = 100, example = "article.publish")]
    pub action: Option<String>,
    /// Only records about this kind of entity (`article`).
    #[param(max_length = 100, example = "article")]
    pub entity: Option<String>,
    /// Only records about the entity with this id (with `entity`).
    #[param(example = 7)]
    pub entity_id: Option<i64>,
    /// Only records at or after this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub since: Option<DateTime<FixedOffset>>,
    /// Only records before this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub until: Option<DateTime<FixedOffset>>,
}

/// The audit log, newest first: logins, failed logins, logouts, and every Admin API write
/// (with its status), filtered by user, action, entity and time.
#[utoipa::path(
    operation_id = "adminListAuditLog", tag = "Admin: audit log", params(AuditQuery),
    responses((status = 200, description = "A page of records", body = Collection<AuditView>)))]
#[get("/audit-log")]
#[tracing::instrument(name = "admin::audit::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "read the audit log")?;
    let query = query.into_inner();
    let paging = AdminPageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let (limit, cursor) = paging.parse("id")?;
    let before = cursor.map(|Cursor { id, .. }| id);
    let filter = Filter {
        user_id: query.user_id,
        action: query.action,
        entity: query.entity,
        entity_id: query.entity_id,
        since: query_date("since", query.since)?,
        until: query_date("until", query.until)?,
    };
    let rows = state
        .db
        .run(move |conn| Ok(audit::list(conn, &filter, before, limit + 1)?))
        .await?;
    Ok(super::by_id(rows, limit, |e: &Entry| e.id, AuditView::from))
}
