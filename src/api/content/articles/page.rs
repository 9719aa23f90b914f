//! `GET /api/v1/articles/{slug}` and `/articles/{slug}/related`: an article page and its box.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ArticleView;
use crate::api::content::read_model::{ReadModel, Taxonomy};
use crate::api::respond::{Data, public_json};
use crate::api::views::{Includes, ItemView, RelatedSource};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::{self};
use crate::models::cards::{self, Card, PageRow, Versions};
use crate::models::lists;
use crate::pagination::{self};
use crate::startup::AppState;

const DETAIL_RELATED: usize = 5;

fn moved(max_age: u32, location: String) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .finish()
}

/// A public article's related items as a JSON array: its curated list's visible items first,
/// then automatic picks, `limit` in all. No duplicates, never the article itself.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one read, gathered by the caller"
)]
fn related_json(
    conn: &mut AnyConnection,
    model: &ReadModel,
    tax: &Taxonomy,
    v: Versions,
    card: &Card,
    related_list_id: Option<i64>,
    limit: usize,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let items = match related_list_id {
        Some(list_id) => lists::items(conn, list_id)?,
        None => Vec::new(),
    };
    let curated: Vec<i64> = items.iter().filter_map(|i| i.article_id).collect();
    let topics: Vec<i64> = cards::split_ids(&card.topic_ids)
        .filter(|t| tax.has_topic(*t))
        .collect();
    let mut exclude = curated.clone();
    exclude.push(card.article_id);
    let picks = model.related_picks(conn, &topics, &exclude, limit, v, now)?;
    let by_id: HashMap<i64, Card> = cards::public_cards(conn, &curated, now)?
        .into_iter()
        .map(|c| (c.article_id, c))
        .collect();

    let article = |card: &Card, source: &str| {
        let mut item = String::with_capacity(card.card.len() + 512);
        tax.push_item(&mut item, card, Some(source));
        item
    };
    let mut parts: Vec<String> = Vec::with_capacity(limit);
    let mut seen = HashSet::from([card.article_id]);
    for item in items {
        if parts.len() == limit {
            break;
        }
        match item.article_id {
            Some(id) => {
                if let Some(c) = by_id.get(&id)
                    && seen.insert(id)
                {
                    parts.push(article(c, "curated"));
                }
            }
            None => parts.push(serde_json::to_string(&ItemView::external(
                item,
                Some(RelatedSource::Curated),
            ))?),
        }
    }
    for c in picks {
        if parts.len() == limit {
            break;
        }
        if seen.insert(c.article_id) {
            parts.push(article(&c, "automatic"));
        }
    }
    Ok(format!("[{}]", parts.join(",")))
}

/// One published article by slug. A former slug answers 308 with the current location.
#[utoipa::path(
    operation_id = "getArticleBySlug",
    tag = "Content",
    params(("slug" = String, Path, description = "The article's slug", example = "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")),
    responses(
        (status = 200, description = "The article", body = Data<ArticleView>,
         headers(("ETag" = String, description = "Strong validator of the body"), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current"),
        (status = 308, description = "A former slug: `Location` has the current URL", headers(("Location" = String))),
    )
)]
#[get("/articles/{slug}")]
#[tracing::instrument(name = "content::articles::page::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let st = state.clone();
    let found = state
        .db
        .run(move |conn| article_body(conn, &st.read_model, &slug, now))
        .await?;
    match found {
        Ok(body) => public_json(&req, state.settings.cache_max_age, body.into_bytes()),
        Err(current) => Ok(moved(
            state.settings.cache_max_age,
            format!("/api/v1/articles/{current}"),
        )),
    }
}

/// The body of `GET /articles/{slug}` (`{"data": …}`), or the slug a former one moved to.
/// Webhooks send the same view.
pub fn article_body(
    conn: &mut AnyConnection,
    model: &ReadModel,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Result<String, String>, AppError> {
    Ok(read_page(conn, model, slug, DETAIL_RELATED, now)?.map(|p| p.body()))
}

/// The body of a draft preview: the article `id` as `GET /articles/{slug}` would show it if it
/// were published now, whatever its status; `None` when there is no such article.
pub fn preview_body(
    conn: &mut AnyConnection,
    model: &ReadModel,
    id: i64,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let Some((row, v)) = cards::page_by_id(conn, id)? else {
        return Ok(None);
    };
    Ok(Some(
        complete(conn, model, row, v, DETAIL_RELATED, now)?.body(),
    ))
}

/// A public article as its page needs it.
struct ReadPage {
    row: PageRow,
    /// The summaries to close its card with.
    tax: Arc<Taxonomy>,
    /// Its related items, a JSON array.
    related: String,
}

impl ReadPage {
    /// `{"data": …}`: the card closed with bylines and topics, the page's fields, related.
    fn body(&self) -> String {
        let mut out = String::with_capacity(
            self.row.card.card.len() + self.row.page.len() + self.related.len() + 1024,
        );
        out.push_str("{\"data\":");
        self.tax.push_card(&mut out, &self.row.card, Includes::BOTH);
        out.pop(); // the card's closing brace: the page's fields follow
        out.push(',');
        out.push_str(&self.row.page);
        out.push_str(",\"related\":");
        out.push_str(&self.related);
        out.push_str("}}");
        out
    }
}

/// The public article at `slug` with `limit` related items at most, or the slug it moved to.
fn read_page(
    conn: &mut AnyConnection,
    model: &ReadModel,
    slug: &str,
    limit: usize,
    now: NaiveDateTime,
) -> Result<Result<ReadPage, String>, AppError> {
    let Some((row, v)) = cards::public_page(conn, slug, now)? else {
        return Ok(Err(current_slug(conn, slug, now)?));
    };
    complete(conn, model, row, v, limit, now).map(Ok)
}

/// An article's card and page with what closes them: the taxonomy at `v` and `limit`
/// related items.
fn complete(
    conn: &mut AnyConnection,
    model: &ReadModel,
    row: PageRow,
    v: Versions,
    limit: usize,
    now: NaiveDateTime,
) -> Result<ReadPage, AppError> {
    let tax = model.taxonomy(conn, v)?;
    let items = related_json(
        conn,
        model,
        &tax,
        v,
        &row.card,
        row.related_list_id,
        limit,
        now,
    )?;
    Ok(ReadPage {
        row,
        tax,
        related: items,
    })
}

/// The related items (a JSON array) of the public article at `slug`, or the slug it moved to.
/// Only its card is read, not its page.
fn read_related(
    conn: &mut AnyConnection,
    model: &ReadModel,
    slug: &str,
    limit: usize,
    now: NaiveDateTime,
) -> Result<Result<String, String>, AppError> {
    let Some((card, list, v)) = cards::public_card(conn, slug, now)? else {
        return Ok(Err(current_slug(conn, slug, now)?));
    };
    let tax = model.taxonomy(conn, v)?;
    related_json(conn, model, &tax, v, &card, list, limit, now).map(Ok)
}

/// The current slug of the public article that `slug` used to name, or 404.
fn current_slug(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    articles::public_slug_for_former(conn, slug, now)?.ok_or_else(|| AppError::not_found("article"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelatedQuery {
    /// How many items, 1 to 100 (default 5).
    #[param(minimum = 1, maximum = 100, example = 5)]
    pub limit: Option<i64>,
}

/// Related items of a published article: its curated list first, then automatic picks by shared
/// topics and recency. No duplicates, never the article itself, published only.
#[utoipa::path(
    operation_id = "listRelatedArticles",
    tag = "Content",
    params(("slug" = String, Path, description = "The article's slug"), RelatedQuery),
    responses(
        (status = 200, description = "Related items, curated first", body = Data<Vec<ItemView>>,
         headers(("ETag" = String, description = "Strong validator of the body"), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current"),
        (status = 308, description = "A former slug: `Location` has the current URL", headers(("Location" = String))),
    )
)]
#[get("/articles/{slug}/related")]
#[tracing::instrument(name = "content::articles::page::related", skip_all)]
pub async fn related(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<RelatedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let limit = match query.limit {
        None => 5,
        some => pagination::limit(some)?,
    };
    let limit = usize::try_from(limit).unwrap_or(5);
    let slug = slug.into_inner();
    let now = state.clock.now();
    let st = state.clone();
    let found = state
        .db
        .run(move |conn| {
            Ok(read_related(conn, &st.read_model, &slug, limit, now)?
                .map(|items| format!("{{\"data\":{items}}}")))
        })
        .await?;
    match found {
        Ok(body) => public_json(&req, state.settings.cache_max_age, body.into_bytes()),
        Err(current) => {
            // The redirect keeps the query (`limit`).
            let query = match req.query_string() {
                "" => String::new(),
                q => format!("?{q}"),
            };
            Ok(moved(
                state.settings.cache_max_age,
                format!("/api/v1/articles/{current}/related{query}"),
            ))
        }
    }
}
