//! `GET /api/v1/changes`: the changes feed, for builders and caches that follow the Content
//! API instead of crawling it.
//!
//! It lists the public rows of the change log (`models::changes`) in order: what became
//! visible, changed or stopped being visible, with the slugs to rebuild or purge. Drafts never
//! appear; a scheduled article appears when the scheduler announces it. A client begins with a
//! full listing and a cursor from `GET /changes` (no `since`: the feed's present), then follows
//! `meta.next`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::respond::public;
use crate::error::{AppError, FieldError};
use crate::models::cards::utc;
use crate::models::changes::{self, Change};
use crate::startup::AppState;

/// Feed pages hold up to this many changes.
const MAX_LIMIT: i64 = 1_000;
const DEFAULT_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `meta.next` of an earlier page. Absent: start from now (the page is empty and its
    /// `meta.next` is where to continue from).
    #[param(example = "1042", pattern = "^[0-9]{1,18}$")]
    pub since: Option<String>,
    /// Changes per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<i64>,
}

/// One change readers could see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Its position in the feed: later changes have larger numbers.
    #[schema(example = 1043)]
    pub seq: i64,
    /// `<entity>.<what happened>`: `article.published`, `article.updated`,
    /// `article.unpublished`, `article.deleted`, and `created`, `updated` or `deleted` of
    /// `author`, `topic` and `list`.
    #[schema(example = "article.published")]
    pub event: String,
    /// `article`, `author`, `topic` or `list`.
    #[schema(example = "article")]
    pub entity: String,
    /// The entity's id.
    #[schema(example = 7)]
    pub id: i64,
    /// Its slug after the change (the last one it had, when unpublished or deleted).
    #[schema(example = "nokia-deal-may-accelerate-xiaomi-global-launch")]
    pub slug: Option<String>,
    /// The slug it had before, when the change moved it: that page is gone.
    #[schema(example = json!(null))]
    pub previous_slug: Option<String>,
    #[schema(example = "2026-12-04T09:30:00Z")]
    pub changed_at: DateTime<Utc>,
}

impl ChangeView {
    fn build(c: Change) -> Option<Self> {
        Some(ChangeView {
            seq: c.seq,
            event: c.event?,
            entity: c.entity.name().to_owned(),
            id: c.entity_id,
            slug: c.slug,
            previous_slug: c.previous_slug,
            changed_at: utc(c.changed_at),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedMeta {
    /// The page size used.
    #[schema(example = 100)]
    pub limit: i64,
    /// Pass as `since` for the changes after this page. Always present.
    #[schema(example = "1043")]
    pub next: String,
    /// Whether more changes are waiting now (ask again at once rather than after a pause).
    #[schema(example = false)]
    pub has_more: bool,
}

/// A page of the changes feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub data: Vec<ChangeView>,
    pub meta: FeedMeta,
}

impl FeedQuery {
    fn parse(&self) -> Result<(Option<i64>, i64), AppError> {
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                return Err(AppError::BadRequest {
                    code: "invalid_limit",
                    detail: format!("limit must be between 1 and {MAX_LIMIT}, got {n}"),
                    errors: Some(vec![FieldError::new(
                        "limit",
                        format!("must be between 1 and {MAX_LIMIT}"),
                    )]),
                });
            }
        };
        let since = match self.since.as_deref() {
            None => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0 && s.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        AppError::bad_request(
                            "invalid_cursor",
                            "since must be the `meta.next` of an earlier page",
                        )
                    })?,
            ),
        };
        Ok((since, limit))
    }
}

/// What changed for readers since a cursor: articles published, updated, unpublished and
/// deleted, authors, topics and lists created, updated and deleted, in order.
#[utoipa::path(
    operation_id = "listChanges",
    tag = "Content",
    params(FeedQuery),
    responses(
        (status = 200, description = "Changes after `since`, oldest first", body = ChangeFeed,
         headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/changes")]
#[tracing::instrument(name = "content::changes::feed", skip_all)]
pub async fn feed(
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (since, limit) = query.parse()?;
    let (rows, next) = state
        .db
        .run(move |conn| match since {
            None => Ok((Vec::new(), changes::head(conn)?)),
            Some(since) => {
                let rows = changes::public_after(conn, since, limit + 1)?;
                Ok((rows, since))
            }
        })
        .await?;
    let shown = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > shown;
    let data: Vec<ChangeView> = rows
        .into_iter()
        .take(shown)
        .filter_map(ChangeView::build)
        .collect();
    let next = data.last().map_or(next, |c| c.seq);
    let body = ChangeFeed {
        data,
        meta: FeedMeta {
            limit,
            next: next.to_string(),
            has_more,
        },
    };
    public(&req, state.settings.cache_max_age, &body)
}
