//! `GET /api/v1/topics`, `/topics/{slug}`: topics with parents and article counts.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::api::content::authors::{BY_NAME, PageQuery};
use crate::api::respond::{Collection, Data, public};
use crate::api::views::TopicView;
use crate::models::OrMissing;
use chrono::NaiveDateTime;

use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::{self, Driver};
use crate::models::topics;
use crate::startup::AppState;

/// Topics, by name.
#[utoipa::path(
    operation_id = "listTopics",
    tag = "Content",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of topics", body = Collection<TopicView>, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/topics")]
#[tracing::instrument(name = "content::topics::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (limit, cursor) = query.parse()?;
    let now = state.clock.now();
    let (page, parents, counts) = state
        .db
        .run(move |conn| {
            let page = topics::list(conn, cursor.as_ref(), limit)?;
            let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
            let parent_ids: Vec<i64> = page.items.iter().filter_map(|t| t.parent_id).collect();
            let parents = topics::briefs(conn, &parent_ids)?;
            let counts = articles::public_counts(conn, Driver::Topics(&ids), now)?;
            Ok((page, parents, counts))
        })
        .await?;
    let body = Collection::from_page(page, limit, BY_NAME, |t| {
        let count = counts.get(&t.id).copied().unwrap_or(0);
        TopicView::build(t, &parents, count)
    });
    public(&req, state.settings.cache_max_age, &body)
}

/// One topic by slug.
#[utoipa::path(
    operation_id = "getTopicBySlug",
    tag = "Content",
    params(("slug" = String, Path, description = "The topic's slug", example = "xiaomi")),
    responses(
        (status = 200, description = "The topic", body = Data<TopicView>, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/topics/{slug}")]
#[tracing::instrument(name = "content::topics::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    super::by_slug(&state, &req, slug.into_inner(), topic_view).await
}

/// The public view of the topic at `slug`, or 404. Webhooks send the same view.
pub fn topic_view(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<TopicView, AppError> {
    let topic = topics::find_by_slug(conn, slug)?.or_missing("topic")?;
    let parents = topics::briefs(conn, &topic.parent_id.into_iter().collect::<Vec<_>>())?;
    let count = articles::public_counts(conn, Driver::Topics(&[topic.id]), now)?
        .get(&topic.id)
        .copied()
        .unwrap_or(0);
    Ok(TopicView::build(topic, &parents, count))
}
