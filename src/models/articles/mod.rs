//! Articles: the editable draft and its stored columns, and the lookups every caller needs.
//! One file per reason to change:
//! - [`write`]: create, save, delete, bylines and topics, slug history, revisions;
//! - [`listing`]: the keyset-paginated listing shared by both APIs, its filters and sorts;
//! - [`junctions`]: the topic and author index scans and kept counts listings are served from;
//! - [`public`]: lookups only the Content API makes.
//!
//! - [`status`]: [`ArticleStatus`], stored as text, with the derived *scheduled*.

mod junctions;
mod listing;
mod public;
mod status;
mod write;

pub use junctions::*;
pub use listing::*;
pub use public::*;
pub use status::ArticleStatus;
pub use write::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{article_authors, article_topics, articles};
use crate::models::ModelError;
use crate::text;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub excerpt_custom: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub reading_time_minutes: i32,
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub feature_image_url: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    pub seo_meta_title: Option<String>,
    pub seo_meta_description: Option<String>,
    pub seo_canonical_url: Option<String>,
    pub related_list_id: Option<i64>,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns of an article summary (no bodies): what lists and related items show.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleBrief {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub reading_time_minutes: i32,
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub feature_image_url: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The feature image of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImage {
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// Everything an editor controls about an article. It is also the revision snapshot, so a
/// restore writes back exactly what an editor once saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDraft {
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The editor's excerpt; `None` derives one from the body.
    pub excerpt: Option<String>,
    pub body_markdown: String,
    pub feature_image: Option<FeatureImage>,
    pub seo_meta_title: Option<String>,
    pub seo_meta_description: Option<String>,
    pub seo_canonical_url: Option<String>,
    pub related_list_id: Option<i64>,
    pub published_at: Option<NaiveDateTime>,
    pub author_ids: Vec<i64>,
    pub topic_ids: Vec<i64>,
    /// `body_markdown` rendered, when already known (made before the write, or taken from the
    /// stored row); otherwise [`ArticleDraft::columns`] renders it. Not part of a revision.
    #[serde(skip)]
    pub rendered: Option<text::Rendered>,
}

/// The stored columns of a draft, derived ones (HTML, excerpt, reading time) rendered once here.
/// The synthetic generator embeds them in its own rows (which carry explicit ids). `None` is
/// NULL, never `DEFAULT`: diesel then writes many rows as one multi-row INSERT on SQLite too.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct ArticleColumns {
    slug: String,
    title: String,
    subtitle: Option<String>,
    excerpt: String,
    excerpt_custom: bool,
    body_markdown: String,
    body_html: String,
    reading_time_minutes: i32,
    published_at: Option<NaiveDateTime>,
    feature_image_url: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    feature_image_credit: Option<String>,
    seo_meta_title: Option<String>,
    seo_meta_description: Option<String>,
    seo_canonical_url: Option<String>,
    related_list_id: Option<i64>,
}

impl ArticleDraft {
    pub(crate) fn columns(&self) -> ArticleColumns {
        let image = self.feature_image.clone();
        let rendered = self.rendered.clone();
        let (body_html, derived, reading_time_minutes) = match rendered {
            Some(r) => (r.html, r.excerpt, r.reading_time_minutes),
            None => (
                text::render_markdown(&self.body_markdown),
                None,
                text::reading_time_minutes(&self.body_markdown),
            ),
        };
        ArticleColumns {
            slug: self.slug.clone(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            excerpt: self
                .excerpt
                .clone()
                .or(derived)
                .unwrap_or_else(|| text::derive_excerpt(&self.body_markdown)),
            excerpt_custom: self.excerpt.is_some(),
            body_html,
            reading_time_minutes,
            body_markdown: self.body_markdown.clone(),
            published_at: self.published_at,
            feature_image_url: image.as_ref().map(|i| i.url.clone()),
            feature_image_alt: image.as_ref().and_then(|i| i.alt.clone()),
            feature_image_caption: image.as_ref().and_then(|i| i.caption.clone()),
            feature_image_credit: image.and_then(|i| i.credit),
            seo_meta_title: self.seo_meta_title.clone(),
            seo_meta_description: self.seo_meta_description.clone(),
            seo_canonical_url: self.seo_canonical_url.clone(),
            related_list_id: self.related_list_id,
        }
    }
}

impl Article {
    /// The editable state of this article, with its bylines and topics.
    pub fn draft(&self, author_ids: Vec<i64>, topic_ids: Vec<i64>) -> ArticleDraft {
        ArticleDraft {
            slug: self.slug.clone(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            excerpt: self.excerpt_custom.then(|| self.excerpt.clone()),
            body_markdown: self.body_markdown.clone(),
            feature_image: self.feature_image_url.clone().map(|url| FeatureImage {
                url,
                alt: self.feature_image_alt.clone(),
                caption: self.feature_image_caption.clone(),
                credit: self.feature_image_credit.clone(),
            }),
            seo_meta_title: self.seo_meta_title.clone(),
            seo_meta_description: self.seo_meta_description.clone(),
            seo_canonical_url: self.seo_canonical_url.clone(),
            related_list_id: self.related_list_id,
            published_at: self.published_at,
            author_ids,
            topic_ids,
            rendered: Some(text::Rendered {
                html: self.body_html.clone(),
                excerpt: (!self.excerpt_custom).then(|| self.excerpt.clone()),
                reading_time_minutes: self.reading_time_minutes,
            }),
        }
    }

    /// The summary columns of this article.
    pub fn brief(&self) -> ArticleBrief {
        ArticleBrief {
            id: self.id,
            slug: self.slug.clone(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            excerpt: self.excerpt.clone(),
            reading_time_minutes: self.reading_time_minutes,
            status: self.status,
            published_at: self.published_at,
            feature_image_url: self.feature_image_url.clone(),
            feature_image_alt: self.feature_image_alt.clone(),
            feature_image_caption: self.feature_image_caption.clone(),
            feature_image_credit: self.feature_image_credit.clone(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    pub fn is_draft(&self) -> bool {
        self.status == ArticleStatus::Draft
    }
}

/// `status = 'published' AND published_at <= now`: what the Content API may show.
pub type IsPublic = diesel::dsl::And<
    diesel::dsl::Eq<articles::status, ArticleStatus>,
    diesel::dsl::LtEq<articles::published_at, NaiveDateTime>,
>;

pub fn is_public(now: NaiveDateTime) -> IsPublic {
    articles::status
        .eq(ArticleStatus::Published)
        .and(articles::published_at.le(now))
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Article>, ModelError> {
    articles::table
        .find(id)
        .select(Article::as_select())
        .first(conn)
        .optional()
        .map_err(Into::into)
}

/// Byline and topic ids of one article, in order.
pub fn relation_ids(conn: &mut AnyConnection, id: i64) -> Result<(Vec<i64>, Vec<i64>), ModelError> {
    let authors = article_authors::table
        .filter(article_authors::article_id.eq(id))
        .order(article_authors::position)
        .select(article_authors::author_id)
        .load(conn)?;
    let topics = article_topics::table
        .filter(article_topics::article_id.eq(id))
        .order(article_topics::position)
        .select(article_topics::topic_id)
        .load(conn)?;
    Ok((authors, topics))
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    Ok(articles::table.count().get_result(conn)?)
}

/// Published articles whose time has not come yet (scheduled).
pub fn scheduled_count(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<i64, ModelError> {
    Ok(articles::table
        .filter(articles::status.eq(ArticleStatus::Published))
        .filter(articles::published_at.gt(now))
        .count()
        .get_result(conn)?)
}

pub fn exists_slug(conn: &mut AnyConnection, slug: &str) -> Result<bool, ModelError> {
    Ok(diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::slug.eq(slug)),
    ))
    .get_result(conn)?)
}
