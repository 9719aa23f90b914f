//! `GET /api/v1/lists/{slug}`: a related-content list with its items resolved.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::articles_common::summaries;
use crate::api::respond::{Data, public};
use crate::api::views::{ItemView, utc};
use crate::error::AppError;
use crate::models::{articles, lists};
use crate::startup::AppState;

/// A curated list as the Content API shows it: unpublished articles are left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListView {
    pub id: i64,
    #[schema(example = "read-more-xiaomi-nokia")]
    pub slug: String,
    #[schema(example = "Read more")]
    pub title: String,
    pub description: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub items: Vec<ItemView>,
}

/// One list by slug, items in order.
#[utoipa::path(
    operation_id = "getListBySlug",
    tag = "Content",
    params(("slug" = String, Path, description = "The list's slug", example = "recommended-videos")),
    responses(
        (status = 200, description = "The list", body = Data<ListView>, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/lists/{slug}")]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let view = state
        .db
        .run(move |conn| {
            let list = lists::find_by_slug(conn, &slug)?;
            let items = lists::items(conn, list.id)?;
            let ids: Vec<i64> = items.iter().filter_map(|i| i.article_id).collect();
            let briefs = articles::briefs_in_order(conn, &ids, now)?;
            let by_id: std::collections::HashMap<i64, _> = summaries(conn, briefs)?
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
            let items = items
                .into_iter()
                .filter_map(|item| match item.article_id {
                    // An article may appear twice in a list; each occurrence gets its own copy.
                    Some(id) => by_id.get(&id).cloned().map(|article| ItemView::Article {
                        article,
                        source: None,
                    }),
                    None => Some(ItemView::external(item, None)),
                })
                .collect();
            Ok(ListView {
                id: list.id,
                slug: list.slug,
                title: list.title,
                description: list.description,
                updated_at: utc(list.updated_at),
                items,
            })
        })
        .await?;
    public(&req, state.settings.cache_max_age, &Data { data: view })
}
