//! `GET /api/v1/lists/{slug}`: a related-content list with its items resolved.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::HashMap;
use std::sync::Arc;

use crate::api::content::read_model::ReadModel;
use crate::api::respond::{Data, public_json};
use crate::api::views::{ItemView, utc};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::cards::Card;
use crate::models::lists;
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
#[tracing::instrument(name = "content::lists::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let st = state.clone();
    let body = state
        .db
        .run(move |conn| list_body(conn, &st.read_model, &slug, now))
        .await?;
    public_json(&req, state.settings.cache_max_age, body.into_bytes())
}

/// The body of `GET /lists/{slug}` (`{"data": …}`), or 404. Webhooks send the same view.
pub fn list_body(
    conn: &mut AnyConnection,
    model: &ReadModel,
    slug: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let list = lists::find_by_slug(conn, slug)?.or_missing("list")?;
    let items = lists::items(conn, list.id)?;
    let ids: Vec<i64> = items.iter().filter_map(|i| i.article_id).collect();
    let shown = model.cards.public_cards(conn, &ids, now)?;
    let tax = model.taxonomy(conn, shown.versions)?;
    let by_id: HashMap<i64, Arc<Card>> = (shown.cards.into_iter())
        .map(|c| (c.article_id, c))
        .collect();
    // The list's own fields, serialised with no items; its item array is filled in.
    let head = serde_json::to_string(&ListView {
        id: list.id,
        slug: list.slug,
        title: list.title,
        description: list.description,
        updated_at: utc(list.updated_at),
        items: Vec::new(),
    })?;
    let head = head
        .strip_suffix("[]}")
        .ok_or_else(|| AppError::internal("items is the last field of a list"))?;
    let mut out = String::with_capacity(head.len() + 1024 * items.len() + 16);
    out.push_str("{\"data\":");
    out.push_str(head);
    out.push('[');
    let mut first = true;
    for item in items {
        // Unpublished articles drop out; one listed twice appears twice.
        let card = item.article_id.and_then(|id| by_id.get(&id));
        if item.article_id.is_some() && card.is_none() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        match card {
            Some(card) => tax.push_item(&mut out, card, None),
            None => out.push_str(&serde_json::to_string(&ItemView::external(item, None))?),
        }
    }
    out.push_str("]}}");
    Ok(out)
}
