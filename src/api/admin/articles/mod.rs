//! `/api/v1/admin/articles`: every status, every write. Split by action: the views and reads
//! here, writes in `write.rs`, publishing in `publishing.rs`, revisions in `history.rs`.

mod history;
mod input;
mod previews;
mod publishing;

mod write;

pub use history::{restore, revisions};
pub use previews::{create_preview, revoke_previews};
pub use publishing::{publish, unpublish};
pub use write::{create, delete, update};

use crate::api::respond::{Facets, TopicFacet};
use crate::models::OrMissing;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Id;
use super::versioned::Resource;
use crate::api::articles_common::{
    Paging, SearchPage, comma_list, list_page, param_schemas, parse_query, relations, snippets,
    sort_and_query,
};
use crate::api::respond::{Collection, Data, private, versioned};
use crate::api::views::{
    ArticleSummary, AuthorSummary, FeatureImageView, Includes, Relations, TopicSummary,
    feature_image, utc,
};
use crate::auth::CurrentUser;
use crate::auth::policy::{self, ArticleAction, ArticleFacts};
use crate::db::AnyConnection;
use crate::error::{AppError, FieldError};
use crate::models::articles::{
    self, Article, ArticleBrief, ArticleDraft, ArticleStatus, Filter, Sort, StatusFilter,
    Visibility,
};
use crate::models::{authors, topics};
use crate::pagination::{self, Page};
use crate::search::query::Plan;
use crate::startup::AppState;

/// SEO fields of an article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminSeo {
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
}

/// An article as editors see it: every field, any status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminArticle {
    pub id: i64,
    #[schema(example = "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")]
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The excerpt shown: the editor's, or one derived from the body.
    pub excerpt: String,
    /// Whether `excerpt` was written by an editor (false: derived from the body).
    pub excerpt_is_custom: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub reading_time_minutes: i32,
    /// `draft`, `scheduled` (published, time not yet come), `published` or `archived`.
    #[schema(example = "draft")]
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub feature_image: Option<FeatureImageView>,
    pub seo: AdminSeo,
    pub related_list_id: Option<i64>,
    /// Bylines in order; the first is primary.
    pub authors: Vec<AuthorSummary>,
    /// Topics in order; the first is primary.
    pub topics: Vec<TopicSummary>,
    /// Incremented by every write; send it back as `version` or `If-Match: "v<version>"`.
    #[schema(example = 1)]
    pub version: i64,
    /// The user who created the article.
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Loads what an admin view needs and builds it.
pub(crate) fn admin_view(
    conn: &mut AnyConnection,
    a: Article,
    now: NaiveDateTime,
) -> Result<AdminArticle, AppError> {
    let mut rel = relations(conn, &[a.id], Includes::BOTH)?;
    Ok(AdminArticle {
        status: a.status.shown(a.published_at, now).to_owned(),
        authors: rel
            .authors
            .remove(&a.id)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        topics: rel
            .topics
            .remove(&a.id)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        id: a.id,
        slug: a.slug,
        title: a.title,
        subtitle: a.subtitle,
        excerpt: a.excerpt,
        excerpt_is_custom: a.excerpt_custom,
        body_markdown: a.body_markdown,
        body_html: a.body_html,
        reading_time_minutes: a.reading_time_minutes,
        published_at: a.published_at.map(utc),
        feature_image: feature_image(
            a.feature_image_url,
            a.feature_image_alt,
            a.feature_image_caption,
            a.feature_image_credit,
        ),
        seo: AdminSeo {
            meta_title: a.seo_meta_title,
            meta_description: a.seo_meta_description,
            canonical_url: a.seo_canonical_url,
        },
        related_list_id: a.related_list_id,
        version: a.version,
        created_by: a.created_by,
        created_at: utc(a.created_at),
        updated_at: utc(a.updated_at),
    })
}

/// An article as a write finds it: the row, and its editable state with its bylines and
/// topics. Every article write (edit, publish, unpublish, restore, delete) is an
/// [`Edit`](super::versioned::Edit) of it, checked against the caller's rights on this article.
pub(crate) struct Stored {
    pub article: Article,
    pub draft: ArticleDraft,
}

impl Stored {
    /// May `user` do `action` to this article (their own draft, any article…)?
    fn allows(&self, user: &CurrentUser, action: ArticleAction) -> Result<(), AppError> {
        let facts = ArticleFacts {
            author_ids: &self.draft.author_ids,
            is_draft: self.article.is_draft(),
        };
        policy::article(user, action, Some(&facts))
    }

    /// Saves `draft` over `current`, found at `expected`, as `user`; `status` when the write
    /// changes it.
    fn save(
        conn: &mut AnyConnection,
        current: &Article,
        expected: i64,
        draft: ArticleDraft,
        status: Option<ArticleStatus>,
        user: &CurrentUser,
        now: NaiveDateTime,
    ) -> Result<Stored, AppError> {
        let article = articles::save(conn, current, expected, &draft, status, Some(user.id), now)?;
        Ok(Stored { article, draft })
    }
}

impl Resource for Stored {
    type View = AdminArticle;
    const CONTENT: bool = true;
    const NAME: &'static str = "article";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        let Some(article) = articles::find(conn, id)? else {
            return Ok(None);
        };
        let (author_ids, topic_ids) = articles::relation_ids(conn, id)?;
        let draft = article.draft(author_ids, topic_ids);
        Ok(Some(Stored { article, draft }))
    }
    fn version(&self) -> i64 {
        self.article.version
    }
    fn view(self, conn: &mut AnyConnection, now: NaiveDateTime) -> Result<AdminArticle, AppError> {
        admin_view(conn, self.article, now)
    }
}

/// An article in an admin listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminArticleSummary {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: String,
    pub version: i64,
    /// With `q`: the passage where the searched words are, each in `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Xiaomi has not yet <mark>launched</mark> its phones in the US.")]
    pub snippet: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminListQuery {
    /// `draft`, `scheduled`, `published` or `archived`.
    #[param(schema_with = param_schemas::admin_status)]
    pub status: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Topic slug, or a comma list of slugs (any of).
    pub topic: Option<String>,
    /// Full-text search over articles of every status, with the Content API's syntax (see
    /// `listArticles`); items then carry a `snippet`.
    #[param(schema_with = param_schemas::query)]
    pub q: Option<String>,
    /// `topic`: with `q`, also return `meta.facets.topic`, the matches per topic.
    #[param(schema_with = param_schemas::facets)]
    pub facets: Option<String>,
    /// `-updated_at` (default), `title`, or `relevance` (the default with `q`).
    #[param(schema_with = param_schemas::admin_sort)]
    pub sort: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `meta.pagination.total`.
    pub count: Option<bool>,
}

fn parse_status(raw: &str) -> Result<StatusFilter, AppError> {
    match raw {
        "draft" => Ok(StatusFilter::Draft),
        "scheduled" => Ok(StatusFilter::Scheduled),
        "published" => Ok(StatusFilter::Published),
        "archived" => Ok(StatusFilter::Archived),
        other => Err(AppError::BadRequest {
            code: "invalid_status",
            detail: format!(
                "unknown status `{other}`; use draft, scheduled, published or archived"
            ),
            errors: Some(vec![FieldError::new(
                "status",
                format!("unknown value `{other}`"),
            )]),
        }),
    }
}

/// Articles of every status, most recently updated first.
#[utoipa::path(
    operation_id = "adminListArticles",
    tag = "Admin: articles",
    params(AdminListQuery),
    responses((status = 200, description = "A page of articles", body = Collection<AdminArticleSummary>))
)]
#[get("/articles")]
#[tracing::instrument(name = "admin::articles::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<AdminListQuery>,
) -> Result<HttpResponse, AppError> {
    let listing = AdminListing::parse(query.into_inner())?;
    let (limit, sort) = (listing.paging.limit, listing.paging.sort);
    let now = state.clock.now();
    let st = state.clone();
    let (page, rel, facets, mut snippets) = state
        .db
        .run(move |conn| listing.load(conn, &st, now))
        .await?;
    let mut body = Collection::from_page(page, limit, sort.name(), |a| AdminArticleSummary {
        status: a.status.shown(a.published_at, now).to_owned(),
        version: a.version,
        snippet: snippets.remove(&a.id),
        summary: ArticleSummary::build(a, &rel, Includes::BOTH),
    });
    body.meta.facets = facets;
    Ok(private(&body))
}

/// An admin listing's parameters, read and checked.
struct AdminListing {
    status: Option<StatusFilter>,
    topic_slugs: Option<Vec<String>>,
    author_slug: Option<String>,
    plan: Option<Plan>,
    paging: Paging,
}

/// An admin listing's page, the relations of its articles, its facets and snippets.
type AdminListed = (
    Page<ArticleBrief>,
    Relations,
    Option<Facets>,
    HashMap<i64, String>,
);

impl AdminListing {
    fn parse(query: AdminListQuery) -> Result<Self, AppError> {
        let limit = pagination::limit(query.limit)?;
        let (q, sort) = sort_and_query(
            query.q,
            query.sort.as_deref(),
            &[Sort::UpdatedDesc, Sort::Title],
            Sort::UpdatedDesc,
        )?;
        Ok(AdminListing {
            status: query.status.as_deref().map(parse_status).transpose()?,
            topic_slugs: query.topic.as_deref().map(comma_list),
            author_slug: query.author,
            plan: parse_query(q.as_deref())?,
            paging: Paging::parse(
                sort,
                query.cursor.as_deref(),
                limit,
                query.count,
                query.facets.as_deref(),
                q.as_deref(),
            )?,
        })
    }

    fn load(
        self,
        conn: &mut AnyConnection,
        st: &AppState,
        now: NaiveDateTime,
    ) -> Result<AdminListed, AppError> {
        let author_ids = match &self.author_slug {
            Some(slug) => Some(
                authors::find_by_slug(conn, slug)?
                    .map(|a| a.id)
                    .into_iter()
                    .collect(),
            ),
            None => None,
        };
        let filter = Filter {
            visibility: Visibility::Staff(self.status, now),
            topic_ids: self
                .topic_slugs
                .map(|s| topics::ids_for_slugs(conn, &s))
                .transpose()?,
            author_ids,
            published_after: None,
            published_before: None,
        };
        let SearchPage { page, facets } =
            list_page(conn, st, self.plan.as_ref(), &filter, &self.paging)?;
        let ids = articles::ids_of(&page.items);
        let snippets = snippets(conn, st, self.plan.as_ref(), &ids)?;
        let facets = facets.map(|f| topic_facets(conn, f)).transpose()?;
        let mut briefs: HashMap<i64, _> = articles::briefs(conn, &ids)?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        // An article deleted since the listing's query drops out.
        let page = page.filter_map(|k| briefs.remove(&k.id));
        Ok((
            page,
            relations(conn, &ids, Includes::BOTH)?,
            facets,
            snippets,
        ))
    }
}

/// Topic facets with the topics' slugs and names.
fn topic_facets(conn: &mut AnyConnection, facets: Vec<(i64, u64)>) -> Result<Facets, AppError> {
    let ids: Vec<i64> = facets.iter().map(|(id, _)| *id).collect();
    let briefs = topics::briefs(conn, &ids)?;
    Ok(Facets {
        topic: facets
            .into_iter()
            .filter_map(|(id, count)| {
                let t = briefs.get(&id)?;
                Some(TopicFacet {
                    id,
                    slug: t.slug.clone(),
                    name: t.name.clone(),
                    count,
                })
            })
            .collect(),
    })
}

/// One article, any status. The `ETag` carries its version, for `If-Match`.
#[utoipa::path(
    operation_id = "adminGetArticle",
    tag = "Admin: articles",
    params(Id<Stored>),
    responses((status = 200, description = "The article", body = Data<AdminArticle>, headers(("ETag" = String, description = "The version, as \"v<version>\""))))
)]
#[get("/articles/{id}")]
#[tracing::instrument(name = "admin::articles::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: Id<Stored>,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let now = state.clock.now();
    let view = state
        .db
        .run(move |conn| {
            let article = articles::find(conn, id)?.or_missing("article")?;
            admin_view(conn, article, now)
        })
        .await?;
    Ok(versioned(
        StatusCode::OK,
        view.version,
        &Data { data: view },
    ))
}
