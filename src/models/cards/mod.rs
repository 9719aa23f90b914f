//! The Content API's read model, stored: each article's public JSON, rendered by the write that
//! changes the article ([`store`], in its transaction), so that a public read is a key lookup and
//! a copy instead of a dozen queries and a serialisation.
//!
//! - A *card* is the article's summary ([`ArticleSummary`] without bylines and topics) as a JSON
//!   object left open. Readers close it with the bylines and topics from their own copies of the
//!   author and topic summaries, so renaming a topic rewrites no card (Xiaomi is on a third of
//!   the archive). `author_ids` and `topic_ids` keep the order of the article's relations.
//! - A *page* is the rest of the article's view: `"body_html":…,"seo":{…}`.
//! - A *lead* is the start of the body as plain text ([`LEAD_CHARS`]), where search snippets
//!   are cut from: a search then reads 1,500 characters per result instead of parsing Markdown.
//!
//! The rows are derived data: `startup::render_cards` renders, in batches of
//! [`render_stale`], every article whose card is missing or was rendered by an older
//! [`FORMAT`], at start-up and after a bulk load.

mod read;

pub use read::{
    Candidate, Card, PageRow, Versions, leads, page_by_id, public_card, public_cards,
    public_cards_with_versions, public_page, taxonomy, taxonomy_changed, topic_head, versions,
};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::articles::{Article, ArticleStatus};
use super::authors::AuthorBrief;
use super::topics::TopicBrief;
use crate::db::schema::{article_cards, article_leads, article_pages, articles};
use crate::db::{AnyConnection, in_ids, on_backend};
use crate::models::ModelError;

/// The version of the rendering. Raise it whenever the JSON of a card or a page changes: rows
/// rendered by an older version are rendered again at start-up.
pub const FORMAT: i32 = 2;

/// How much of a body its lead keeps, in characters: its first paragraphs, where a story says
/// what it is about.
pub const LEAD_CHARS: usize = 1_500;

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// An author as credited on an article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorSummary {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "andy-boxall")]
    pub slug: String,
    #[schema(example = "Andy Boxall")]
    pub name: String,
    #[schema(example = "Senior Writer")]
    pub job_title: Option<String>,
    pub avatar_url: Option<String>,
}

impl From<AuthorBrief> for AuthorSummary {
    fn from(a: AuthorBrief) -> Self {
        Self {
            id: a.id,
            slug: a.slug,
            name: a.name,
            job_title: a.job_title,
            avatar_url: a.avatar_url,
        }
    }
}

/// A topic as filed on an article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicSummary {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "xiaomi")]
    pub slug: String,
    #[schema(example = "Xiaomi")]
    pub name: String,
}

impl From<TopicBrief> for TopicSummary {
    fn from(t: TopicBrief) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
        }
    }
}

/// The feature image of an article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeatureImageView {
    #[schema(example = "https://images.example.com/xiaomi-nokia.jpg")]
    pub url: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    #[schema(example = "Andy Boxall/Digital Trends")]
    pub credit: Option<String>,
}

pub fn feature_image(
    url: Option<String>,
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
) -> Option<FeatureImageView> {
    url.map(|url| FeatureImageView {
        url,
        alt,
        caption,
        credit,
    })
}

/// A published article in a list: no body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummary {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")]
    pub slug: String,
    #[schema(example = "New deal with Nokia may accelerate Xiaomi's stalled global launch plans")]
    pub title: String,
    pub subtitle: Option<String>,
    pub excerpt: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    #[schema(example = 3)]
    pub reading_time_minutes: i32,
    pub feature_image: Option<FeatureImageView>,
    /// Bylines in order, the first primary. Present unless `include` leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<AuthorSummary>>,
    /// Topics in order, the first primary. Present unless `include` leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<TopicSummary>>,
}

/// SEO fields of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeoView {
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
}

/// The tail of an article's view after its summary.
#[derive(Serialize)]
struct PageTail<'a> {
    body_html: &'a str,
    seo: SeoView,
}

// `None` is written as NULL, not `DEFAULT`: a batch is then one multi-row INSERT on SQLite
// (no nullable column has a default).
#[derive(Debug, Insertable)]
#[diesel(table_name = article_cards, treat_none_as_default_value = false)]
struct NewCard {
    article_id: i64,
    slug: String,
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    related_list_id: Option<i64>,
    format: i32,
    author_ids: String,
    topic_ids: String,
    card: String,
}

/// `[1, 2]` → `"1,2"`: how cards keep their relations' ids.
fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The ids of a card's `author_ids` or `topic_ids`, in order.
pub fn split_ids(raw: &str) -> impl Iterator<Item = i64> + '_ {
    raw.split(',').filter_map(|s| s.parse().ok())
}

/// The card of `a`: its summary without bylines and topics, as a JSON object left open.
fn render_card(a: &Article) -> Result<String, ModelError> {
    let summary = ArticleSummary {
        id: a.id,
        slug: a.slug.clone(),
        title: a.title.clone(),
        subtitle: a.subtitle.clone(),
        excerpt: a.excerpt.clone(),
        published_at: a.published_at.map(utc),
        updated_at: utc(a.updated_at),
        reading_time_minutes: a.reading_time_minutes,
        feature_image: feature_image(
            a.feature_image_url.clone(),
            a.feature_image_alt.clone(),
            a.feature_image_caption.clone(),
            a.feature_image_credit.clone(),
        ),
        authors: None,
        topics: None,
    };
    let mut card = serde_json::to_string(&summary)?;
    card.pop(); // the closing brace: readers add the relations, then close it
    Ok(card)
}

/// The page of `a`: `"body_html":…,"seo":{…}`.
fn render_page(a: &Article) -> Result<String, ModelError> {
    let tail = serde_json::to_string(&PageTail {
        body_html: &a.body_html,
        seo: SeoView {
            meta_title: a.seo_meta_title.clone(),
            meta_description: a.seo_meta_description.clone(),
            canonical_url: a.seo_canonical_url.clone(),
        },
    })?;
    Ok(tail
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or_default()
        .to_owned())
}

/// Renders and stores the card and page of `a`, whose bylines and topics are `author_ids` and
/// `topic_ids` in order. Every write of an article calls it in its transaction.
pub fn store(
    conn: &mut AnyConnection,
    a: &Article,
    author_ids: &[i64],
    topic_ids: &[i64],
) -> Result<(), ModelError> {
    store_all(conn, &[(a, author_ids, topic_ids)])
}

/// [`store`] for many articles: three deletes and three multi-row inserts, whatever their
/// number (a bulk load renders hundreds per batch).
fn store_all(
    conn: &mut AnyConnection,
    articles: &[(&Article, &[i64], &[i64])],
) -> Result<(), ModelError> {
    let mut cards = Vec::with_capacity(articles.len());
    let mut pages = Vec::with_capacity(articles.len());
    let mut leads = Vec::with_capacity(articles.len());
    for &(a, author_ids, topic_ids) in articles {
        cards.push(NewCard {
            article_id: a.id,
            slug: a.slug.clone(),
            status: a.status,
            published_at: a.published_at,
            related_list_id: a.related_list_id,
            format: FORMAT,
            author_ids: join_ids(author_ids),
            topic_ids: join_ids(topic_ids),
            card: render_card(a)?,
        });
        pages.push((
            article_pages::article_id.eq(a.id),
            article_pages::page.eq(render_page(a)?),
        ));
        leads.push((
            article_leads::article_id.eq(a.id),
            article_leads::lead.eq(crate::text::plain_text_start(&a.body_markdown, LEAD_CHARS)),
        ));
    }
    let ids: Vec<i64> = articles.iter().map(|(a, ..)| a.id).collect();
    diesel::delete(article_cards::table.filter(in_ids(article_cards::article_id, &ids)))
        .execute(conn)?;
    diesel::delete(article_pages::table.filter(in_ids(article_pages::article_id, &ids)))
        .execute(conn)?;
    diesel::delete(article_leads::table.filter(in_ids(article_leads::article_id, &ids)))
        .execute(conn)?;
    on_backend!(conn, |c| {
        diesel::insert_into(article_cards::table)
            .values(&cards)
            .execute(c)?;
        diesel::insert_into(article_pages::table)
            .values(&pages)
            .execute(c)?;
        diesel::insert_into(article_leads::table)
            .values(&leads)
            .execute(c)?;
    });
    Ok(())
}

/// Articles stored per statement: within SQLite's bound-value limit, and past the point where
/// larger statements pay.
const STORE_CHUNK: usize = 100;

/// Articles rendered per transaction by [`render_stale`].
const BACKFILL_BATCH: i64 = 500;

/// Records that articles may lack a current card: bulk loads that insert articles directly
/// call it in their transaction, and start-up renders what is missing afterwards.
pub fn cards_incomplete(conn: &mut AnyConnection) -> Result<(), ModelError> {
    use crate::db::schema::content_version;
    diesel::update(content_version::table)
        .set(content_version::cards_format.eq(0))
        .execute(conn)?;
    Ok(())
}

/// Whether `content_version` records that every card is of the current [`FORMAT`].
pub fn all_current(conn: &mut AnyConnection) -> Result<bool, ModelError> {
    use crate::db::schema::content_version;
    let complete: i32 = content_version::table
        .select(content_version::cards_format)
        .first(conn)?;
    Ok(complete == FORMAT)
}

/// Records that every card is of the current [`FORMAT`].
pub fn mark_current(conn: &mut AnyConnection) -> Result<(), ModelError> {
    use crate::db::schema::content_version;
    diesel::update(content_version::table)
        .set(content_version::cards_format.eq(FORMAT))
        .execute(conn)?;
    Ok(())
}

/// Renders the next [`BACKFILL_BATCH`] articles after id `after` that have no card or one of
/// an older [`FORMAT`]: how many, and the last id (`None` when none was left).
pub fn render_stale(
    conn: &mut AnyConnection,
    after: i64,
) -> Result<(usize, Option<i64>), ModelError> {
    use std::collections::HashMap;

    use crate::db::schema::{article_authors, article_topics};
    let stale: Vec<i64> = articles::table
        .left_join(article_cards::table)
        .filter(articles::id.gt(after))
        .filter(
            article_cards::article_id
                .is_null()
                .or(article_cards::format.lt(FORMAT)),
        )
        .select(articles::id)
        .order(articles::id)
        .limit(BACKFILL_BATCH)
        .load(conn)?;
    let rows: Vec<Article> = articles::table
        .filter(in_ids(articles::id, &stale))
        .select(Article::as_select())
        .load(conn)?;
    // (article, related id) pairs in order → each article's ids in order.
    let group = |pairs: Vec<(i64, i64)>| {
        let mut by: HashMap<i64, Vec<i64>> = HashMap::new();
        for (article, id) in pairs {
            by.entry(article).or_default().push(id);
        }
        by
    };
    let bylines = group(
        article_authors::table
            .filter(in_ids(article_authors::article_id, &stale))
            .order((article_authors::article_id, article_authors::position))
            .select((article_authors::article_id, article_authors::author_id))
            .load(conn)?,
    );
    let filed = group(
        article_topics::table
            .filter(in_ids(article_topics::article_id, &stale))
            .order((article_topics::article_id, article_topics::position))
            .select((article_topics::article_id, article_topics::topic_id))
            .load(conn)?,
    );
    let none = Vec::new();
    let batch: Vec<(&Article, &[i64], &[i64])> = rows
        .iter()
        .map(|a| {
            let authors = bylines.get(&a.id).unwrap_or(&none);
            let topics = filed.get(&a.id).unwrap_or(&none);
            (a, authors.as_slice(), topics.as_slice())
        })
        .collect();
    // SQLite takes at most 32,766 bound values per statement: nine per card.
    for chunk in batch.chunks(STORE_CHUNK) {
        store_all(conn, chunk)?;
    }
    Ok((stale.len(), stale.last().copied()))
}
