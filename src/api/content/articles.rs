//! `GET /api/v1/articles`, `/articles/{slug}`, `/articles/{slug}/related`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::read_model::{ReadModel, Taxonomy};
use crate::api::articles_common::{
    Paging, SearchPage, comma_list, list_page, param_schemas, parse_query, snippets, sort_and_query,
};
use crate::api::respond::{Collection, Data, Facets, Meta, Pagination, TopicFacet, public_json};
use crate::api::views::{
    ArticleSummary, AuthorSummary, FeatureImageView, Includes, ItemView, RelatedSource,
    TopicSummary,
};
use crate::db::AnyConnection;
use crate::error::{AppError, FieldError};
use crate::models::articles::{self, ArticleKey, Filter, Sort, Visibility};
use crate::models::cards::{self, Card, PageRow, SeoView, Versions};
use crate::models::lists;
use crate::pagination::{self, Page};
use crate::search::query::Plan;
use crate::startup::AppState;

/// Field names `fields` accepts.
pub(crate) const SUMMARY_FIELDS: [&str; 12] = [
    "id",
    "slug",
    "title",
    "subtitle",
    "excerpt",
    "published_at",
    "updated_at",
    "reading_time_minutes",
    "feature_image",
    "authors",
    "topics",
    "snippet",
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Topic slug, or a comma list of slugs: articles filed under any of them.
    #[param(example = "xiaomi,nokia")]
    pub topic: Option<String>,
    /// Author slug: articles this author is credited on.
    #[param(example = "andy-boxall")]
    pub author: Option<String>,
    /// Full-text search over the whole archive: title, excerpt, body, bylines and topic
    /// names. Every word is required (English stemming, diacritics folded); `"a phrase"`
    /// matches words in order; `-word` or `-"a phrase"` leaves articles out; the last word also
    /// matches as a prefix unless a space follows it. Best match first (with a boost for recent
    /// stories) unless `sort` says otherwise; each item then carries a `snippet`. At most 200
    /// characters; an unclosed quote or exclusions alone are a 400.
    #[param(schema_with = param_schemas::query)]
    pub q: Option<String>,
    /// `topic`: with `q`, also return `meta.facets.topic`, the matches per topic.
    #[param(schema_with = param_schemas::facets)]
    pub facets: Option<String>,
    /// Only articles published strictly after this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_after: Option<DateTime<FixedOffset>>,
    /// Only articles published strictly before this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_before: Option<DateTime<FixedOffset>>,
    /// `-published_at` (default), `published_at`, `-updated_at`, `title`, or `relevance`
    /// (the default with `q`, and only with `q`).
    #[param(schema_with = param_schemas::content_sort)]
    pub sort: Option<String>,
    /// Relations to embed: a comma list of `authors`, `topics` (default: both). Empty for none.
    #[param(schema_with = param_schemas::includes)]
    pub include: Option<String>,
    /// Sparse fieldset: a comma list of summary fields to return.
    #[param(schema_with = param_schemas::fields)]
    pub fields: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `meta.pagination.total` (costs a count).
    pub count: Option<bool>,
}

fn parse_includes(raw: Option<&str>) -> Result<Includes, AppError> {
    let Some(raw) = raw else {
        return Ok(Includes::BOTH);
    };
    let mut inc = Includes {
        authors: false,
        topics: false,
    };
    for name in comma_list(raw) {
        match name.as_str() {
            "authors" => inc.authors = true,
            "topics" => inc.topics = true,
            other => {
                return Err(AppError::BadRequest {
                    code: "invalid_include",
                    detail: format!("unknown include `{other}`; use authors, topics"),
                    errors: Some(vec![FieldError::new(
                        "include",
                        format!("unknown value `{other}`"),
                    )]),
                });
            }
        }
    }
    Ok(inc)
}

fn parse_fields(raw: Option<&str>) -> Result<Option<Vec<String>>, AppError> {
    let Some(raw) = raw else { return Ok(None) };
    let fields = comma_list(raw);
    if let Some(bad) = fields
        .iter()
        .find(|f| !SUMMARY_FIELDS.contains(&f.as_str()))
    {
        return Err(AppError::BadRequest {
            code: "invalid_fields",
            detail: format!(
                "unknown field `{bad}`; fields are {}",
                SUMMARY_FIELDS.join(", ")
            ),
            errors: Some(vec![FieldError::new(
                "fields",
                format!("unknown value `{bad}`"),
            )]),
        });
    }
    Ok(Some(fields))
}

/// Published articles, newest first.
#[utoipa::path(
    operation_id = "listArticles",
    tag = "Content",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of published article summaries", body = Collection<ArticleListItem>,
         headers(("ETag" = String, description = "Strong validator of the body"), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current"),
    )
)]
#[get("/articles")]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let listing = Listing::parse(query.into_inner())?;
    let now = state.clock.now();
    let st = state.clone();
    let (listing, found) = state
        .db
        .run(move |conn| {
            let found = listing.load(conn, &st, now)?;
            Ok((listing, found))
        })
        .await?;
    let body = listing.render(found)?;
    public_json(&req, state.settings.cache_max_age, body.into_bytes())
}

/// A listing's parameters, read and checked.
struct Listing {
    limit: i64,
    sort: Sort,
    inc: Includes,
    fields: Option<Vec<String>>,
    topic_slugs: Option<Vec<String>>,
    author_slug: Option<String>,
    published_after: Option<NaiveDateTime>,
    published_before: Option<NaiveDateTime>,
    plan: Option<Plan>,
    paging: Paging,
    /// With `fields`, a snippet is made only when named.
    snippets_shown: bool,
}

/// What the database step found for a listing.
struct Listed {
    page: Page<ArticleKey>,
    tax: Arc<Taxonomy>,
    cards: Vec<Card>,
    facets: Option<Vec<(i64, u64)>>,
    snippets: HashMap<i64, String>,
}

impl Listing {
    fn parse(query: ListQuery) -> Result<Self, AppError> {
        let limit = pagination::limit(query.limit)?;
        let (q, sort) = sort_and_query(
            query.q,
            query.sort.as_deref(),
            &[
                Sort::PublishedDesc,
                Sort::PublishedAsc,
                Sort::UpdatedDesc,
                Sort::Title,
            ],
            Sort::PublishedDesc,
        )?;
        let mut inc = parse_includes(query.include.as_deref())?;
        let fields = parse_fields(query.fields.as_deref())?;
        if let Some(fields) = &fields {
            inc.authors &= fields.iter().any(|f| f == "authors");
            inc.topics &= fields.iter().any(|f| f == "topics");
        }
        let paging = Paging::parse(
            sort,
            query.cursor.as_deref(),
            limit,
            query.count,
            query.facets.as_deref(),
            q.as_deref(),
        )?;
        Ok(Listing {
            limit,
            sort,
            inc,
            snippets_shown: fields
                .as_ref()
                .is_none_or(|f| f.iter().any(|f| f == "snippet")),
            fields,
            topic_slugs: query.topic.as_deref().map(comma_list),
            author_slug: query.author,
            published_after: query_date("published_after", query.published_after)?,
            published_before: query_date("published_before", query.published_before)?,
            plan: parse_query(q.as_deref())?,
            paging,
        })
    }

    /// The page, its cards and snippets. Slugs are resolved with the summaries held now, and
    /// the versions are read with the cards (one round trip fewer on PostgreSQL). When the
    /// summaries turn out to be older than the database, they are reloaded and, if slugs were
    /// resolved with them, the page is made again.
    fn load(
        &self,
        conn: &mut AnyConnection,
        st: &AppState,
        now: NaiveDateTime,
    ) -> Result<Listed, AppError> {
        let mut tax = st.read_model.held_taxonomy();
        loop {
            let filter = Filter {
                visibility: Visibility::Public(now),
                topic_ids: self.topic_slugs.as_ref().map(|s| tax.topic_ids(s)),
                author_ids: self
                    .author_slug
                    .as_ref()
                    .map(|s| tax.author_id(s).into_iter().collect()),
                published_after: self.published_after,
                published_before: self.published_before,
            };
            let SearchPage { page, facets } =
                list_page(conn, st, self.plan.as_ref(), &filter, &self.paging)?;
            let ids = articles::ids_of(&page.items);
            let (cards, v) = cards::public_cards_with_versions(conn, &ids, now)?;
            let done = tax.is_current(v);
            if !done {
                tax = st.read_model.taxonomy(conn, v)?;
            }
            if done || (self.topic_slugs.is_none() && self.author_slug.is_none()) {
                // Only when the response shows them.
                let shown = self.plan.as_ref().filter(|_| self.snippets_shown);
                let snippets = snippets(conn, st, shown, &ids)?;
                return Ok(Listed {
                    page,
                    tax,
                    cards,
                    facets,
                    snippets,
                });
            }
        }
    }

    /// The response body: the items in the page's order, then `meta`.
    fn render(&self, found: Listed) -> Result<String, AppError> {
        let Listed {
            page,
            tax,
            cards,
            facets,
            mut snippets,
        } = found;
        let mut by_id: HashMap<i64, Card> = cards.into_iter().map(|c| (c.article_id, c)).collect();
        let mut out = String::with_capacity(1024 * page.items.len() + 256);
        out.push_str("{\"data\":[");
        let mut first = true;
        for key in &page.items {
            // An article unpublished since the listing's query drops out.
            let Some(card) = by_id.remove(&key.id) else {
                continue;
            };
            if !first {
                out.push(',');
            }
            first = false;
            let at = out.len();
            match &self.fields {
                None => tax.push_card(&mut out, &card, self.inc),
                Some(fields) => push_sparse(&mut out, &tax, &card, self.inc, fields)?,
            }
            // A search's items end with their snippet (made only when shown).
            if let Some(snippet) = snippets.remove(&key.id) {
                push_snippet(&mut out, at, &snippet)?;
            }
        }
        out.push_str("],\"meta\":");
        let meta = Meta {
            pagination: Pagination {
                limit: self.limit,
                next_cursor: page.next.as_ref().map(|c| c.encode(self.sort.name())),
                total: page.total,
            },
            facets: facets.map(|facets| topic_facets(&tax, facets)),
        };
        out.push_str(&serde_json::to_string(&meta)?);
        out.push('}');
        Ok(out)
    }
}

/// Adds `"snippet"` to the item that starts at `at` and ends `out`.
fn push_snippet(out: &mut String, at: usize, snippet: &str) -> Result<(), AppError> {
    if out.ends_with('}') {
        out.pop();
        if out.len() > at + 1 {
            out.push(',');
        }
        out.push_str("\"snippet\":");
        out.push_str(&serde_json::to_string(snippet)?);
        out.push('}');
    }
    Ok(())
}

/// Facet counts with their topics' slugs and names (a topic gone since is left out).
fn topic_facets(tax: &Taxonomy, facets: Vec<(i64, u64)>) -> Facets {
    Facets {
        topic: facets
            .into_iter()
            .filter_map(|(id, count)| {
                let (slug, name) = tax.topic_name(id)?;
                Some(TopicFacet {
                    id,
                    slug,
                    name,
                    count,
                })
            })
            .collect(),
    }
}

/// Appends `card` with only the summary fields named in `fields`.
fn push_sparse(
    out: &mut String,
    tax: &Taxonomy,
    card: &Card,
    inc: Includes,
    fields: &[String],
) -> Result<(), AppError> {
    let mut full = String::with_capacity(card.card.len() + 256);
    tax.push_card(&mut full, card, inc);
    let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&full)?;
    value.retain(|k, _| fields.iter().any(|f| f == k));
    out.push_str(&serde_json::to_string(&value)?);
    Ok(())
}

/// An article summary in a listing. Every field is present unless `fields` leaves it out
/// (and `authors`/`topics` unless `include` does).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleListItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 1)]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `null` when the article has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub subtitle: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading_time_minutes: Option<i32>,
    /// `null` when the article has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FeatureImageView>)]
    pub feature_image: Option<Option<FeatureImageView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<AuthorSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<TopicSummary>>,
    /// With `q`: the passage of the body (or excerpt) where the searched words are, each in
    /// `<mark>`, the rest HTML-escaped. Absent when only a byline or topic matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Xiaomi has not yet <mark>launched</mark> its phones in the US.")]
    pub snippet: Option<String>,
}

/// A published article with its body, SEO fields and related items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// The body, rendered from markdown and sanitized at write time.
    pub body_html: String,
    pub seo: SeoView,
    /// The curated related list's items, then automatic picks (five at most).
    pub related: Vec<ItemView>,
}

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
    let wanted: Vec<i64> = curated.iter().chain(&picks).copied().collect();
    let by_id: HashMap<i64, Card> = cards::public_cards(conn, &wanted, now)?
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
    for id in picks {
        if parts.len() == limit {
            break;
        }
        if let Some(c) = by_id.get(&id)
            && seen.insert(id)
        {
            parts.push(article(c, "automatic"));
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
            Ok(read_page(conn, &st.read_model, &slug, limit, now)?
                .map(|page| format!("{{\"data\":{}}}", page.related)))
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

/// A date filter as stored, refused (400 naming it) outside the years dates may have.
pub(crate) fn query_date(
    name: &str,
    value: Option<DateTime<FixedOffset>>,
) -> Result<Option<chrono::NaiveDateTime>, AppError> {
    match value {
        Some(at) if !crate::validate::written_date_in_range(&at) => {
            let message = crate::validate::date_range_message();
            Err(AppError::BadRequest {
                code: "invalid_query",
                detail: format!("invalid query string: `{name}` {message}"),
                errors: Some(vec![crate::error::FieldError::new(name, message)]),
            })
        }
        at => Ok(at.map(|t| t.naive_utc())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `include` and `fields` take only the names they list, whatever is sent.
        #[test]
        fn include_and_fields_accept_only_known_names(raw in "[a-z_, ]{0,40}|\\PC{0,40}") {
            if parse_includes(Some(&raw)).is_ok() {
                prop_assert!(comma_list(&raw).iter().all(|n| n == "authors" || n == "topics"));
            }
            if let Ok(Some(fields)) = parse_fields(Some(&raw)) {
                prop_assert!(fields.iter().all(|f| SUMMARY_FIELDS.contains(&f.as_str())));
            }
        }

        /// A JSON body of any bytes parses or is a 400/422 problem, never a panic.
        #[test]
        fn any_body_bytes_parse_or_are_refused(bytes in any::<Vec<u8>>(), text in "\\PC{0,200}") {
            for input in [bytes.as_slice(), text.as_bytes()] {
                if let Err(e) = crate::api::extract::parse_json::<serde_json::Map<String, serde_json::Value>>(input) {
                    let status = actix_web::ResponseError::status_code(&e).as_u16();
                    prop_assert!(status == 400 || status == 422, "{}", status);
                }
            }
        }
    }
}
