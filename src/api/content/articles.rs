//! `GET /api/v1/articles`, `/articles/{slug}`, `/articles/{slug}/related`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::articles_common::{
    comma_list, prepare_search, related_items, relations, sort_and_query,
};
use crate::api::respond::{Collection, Data, public};
use crate::api::views::{
    ArticleSummary, AuthorSummary, FeatureImageView, Includes, ItemView, TopicSummary,
};
use crate::error::{AppError, FieldError};
use crate::models::articles::{self, BySlug, Filter, Sort, Visibility};
use crate::models::{authors, topics};
use crate::pagination::{self, Cursor};
use crate::startup::AppState;

/// Field names `fields` accepts.
const SUMMARY_FIELDS: [&str; 11] = [
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
    /// Full-text search over title, excerpt and body: articles containing every word (English
    /// stemming), best match first unless `sort` says otherwise. On SQLite it covers the 10,000
    /// most recently written matching articles; relevance ranks the newest 1,000 matches. At most 200 characters.
    #[param(example = "xiaomi nokia")]
    pub q: Option<String>,
    /// Only articles published strictly after this time (RFC 3339).
    pub published_after: Option<DateTime<Utc>>,
    /// Only articles published strictly before this time (RFC 3339).
    pub published_before: Option<DateTime<Utc>>,
    /// `-published_at` (default), `published_at`, `-updated_at`, `title`, or `relevance`
    /// (the default with `q`, and only with `q`).
    #[param(example = "-published_at")]
    pub sort: Option<String>,
    /// Relations to embed: a comma list of `authors`, `topics` (default: both). Empty for none.
    #[param(example = "authors,topics")]
    pub include: Option<String>,
    /// Sparse fieldset: a comma list of summary fields to return.
    #[param(example = "id,slug,title,published_at")]
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
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let (q, sort) = sort_and_query(
        query.q.clone(),
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
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, sort.name(), sort.key_kind()))
        .transpose()?;
    let topic_slugs = query.topic.as_deref().map(comma_list);
    let author_slug = query.author.clone();
    let count = query.count.unwrap_or(false);
    let (published_after, published_before) = (
        query.published_after.map(|t| t.naive_utc()),
        query.published_before.map(|t| t.naive_utc()),
    );

    let now = state.clock.now();
    let (page, rel) = state
        .db
        .run(move |conn| {
            let topic_ids = topic_slugs
                .map(|s| topics::ids_for_slugs(conn, &s))
                .transpose()?;
            let author_ids = match author_slug {
                Some(slug) => Some(
                    authors::find_by_slug(conn, &slug)
                        .map(|a| vec![a.id])
                        .or_else(|e| match e {
                            AppError::NotFound(_) => Ok(Vec::new()),
                            other => Err(other),
                        })?,
                ),
                None => None,
            };
            let filter = Filter {
                visibility: Visibility::Public(now),
                topic_ids,
                author_ids,
                published_after,
                published_before,
                search: prepare_search(conn, q.as_deref())?,
            };
            let page = articles::list(conn, &filter, sort, cursor.as_ref(), limit, count)?;
            let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
            let rel = relations(conn, &ids, inc)?;
            Ok((page, rel))
        })
        .await?;

    let body = Collection::from_page(page, limit, sort.name(), |a| {
        ArticleListItem::sparse(ArticleSummary::build(a, &rel, inc), fields.as_deref())
    });
    public(&req, state.settings.cache_max_age, &body)
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
}

impl ArticleListItem {
    /// Keeps the fields named in `fields` (all when `None`).
    fn sparse(s: ArticleSummary, fields: Option<&[String]>) -> Self {
        let want = |name: &str| fields.is_none_or(|f| f.iter().any(|x| x == name));
        ArticleListItem {
            id: want("id").then_some(s.id),
            slug: want("slug").then_some(s.slug),
            title: want("title").then_some(s.title),
            subtitle: want("subtitle").then_some(s.subtitle),
            excerpt: want("excerpt").then_some(s.excerpt),
            published_at: if want("published_at") {
                s.published_at
            } else {
                None
            },
            updated_at: want("updated_at").then_some(s.updated_at),
            reading_time_minutes: want("reading_time_minutes").then_some(s.reading_time_minutes),
            feature_image: want("feature_image").then_some(s.feature_image),
            authors: s.authors.filter(|_| want("authors")),
            topics: s.topics.filter(|_| want("topics")),
        }
    }
}

/// SEO fields of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeoView {
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
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
    let found = state
        .db
        .run(move |conn| {
            let article = match articles::find_public_by_slug(conn, &slug, now)? {
                BySlug::Found(article) => article,
                BySlug::Moved(current) => return Ok(Err(current)),
            };
            let (_, topic_ids) = articles::relation_ids(conn, article.id)?;
            let items = related_items(conn, &article, &topic_ids, DETAIL_RELATED, now)?;
            let rel = relations(conn, &[article.id], Includes::BOTH)?;
            Ok(Ok((article, items, rel)))
        })
        .await?;
    let (article, items, rel) = match found {
        Ok(found) => found,
        Err(current) => {
            return Ok(moved(
                state.settings.cache_max_age,
                format!("/api/v1/articles/{current}"),
            ));
        }
    };
    let a = *article;
    let brief = a.brief();
    let view = ArticleView {
        summary: ArticleSummary::build(brief, &rel, Includes::BOTH),
        body_html: a.body_html,
        seo: SeoView {
            meta_title: a.seo_meta_title,
            meta_description: a.seo_meta_description,
            canonical_url: a.seo_canonical_url,
        },
        related: items,
    };
    public(&req, state.settings.cache_max_age, &Data { data: view })
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
    let found = state
        .db
        .run(move |conn| {
            let article = match articles::find_public_by_slug(conn, &slug, now)? {
                BySlug::Found(article) => article,
                BySlug::Moved(current) => return Ok(Err(current)),
            };
            let (_, topic_ids) = articles::relation_ids(conn, article.id)?;
            Ok(Ok(related_items(conn, &article, &topic_ids, limit, now)?))
        })
        .await?;
    match found {
        Ok(items) => public(&req, state.settings.cache_max_age, &Data { data: items }),
        Err(current) => Ok(moved(
            state.settings.cache_max_age,
            format!("/api/v1/articles/{current}/related"),
        )),
    }
}
