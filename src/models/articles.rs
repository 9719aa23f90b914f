//! Articles: the editable draft, the derived columns rendered at write time, bylines, topics,
//! slug history and revisions, and the keyset-paginated listing shared by both APIs.
//!
//! Status is stored as `draft`, `published` or `archived`. A published article whose
//! `published_at` is still in the future is *scheduled*: it is derived, not stored, so the
//! Content API shows it the moment its time comes, with no job to run.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::search::Search;
use crate::db::schema::{
    article_authors, article_revisions, article_slugs, article_topics, articles, authors, topics,
};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppError;
use crate::pagination::{Cursor, Key, KeyKind, Page};
use crate::text;

pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";
pub const ARCHIVED: &str = "archived";

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
    pub status: String,
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
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub feature_image_url: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The displayed status: `scheduled` is a published article whose time has not come.
pub fn display_status(
    status: &str,
    published_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> &str {
    match (status, published_at) {
        (PUBLISHED, Some(at)) if at > now => "scheduled",
        (s, _) => s,
    }
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
}

/// The stored columns of a draft, derived ones (HTML, excerpt, reading time) rendered once here.
/// The synthetic generator embeds them in its own rows (which carry explicit ids).
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
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
        ArticleColumns {
            slug: self.slug.clone(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            excerpt: self
                .excerpt
                .clone()
                .unwrap_or_else(|| text::derive_excerpt(&self.body_markdown)),
            excerpt_custom: self.excerpt.is_some(),
            body_html: text::render_markdown(&self.body_markdown),
            reading_time_minutes: text::reading_time_minutes(&self.body_markdown),
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
            status: self.status.clone(),
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
        self.status == DRAFT
    }
}

/// `status = 'published' AND published_at <= now`: what the Content API may show.
pub type IsPublic = diesel::dsl::And<
    diesel::dsl::Eq<articles::status, &'static str>,
    diesel::dsl::LtEq<articles::published_at, NaiveDateTime>,
>;

pub fn is_public(now: NaiveDateTime) -> IsPublic {
    articles::status
        .eq(PUBLISHED)
        .and(articles::published_at.le(now))
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Article, AppError> {
    articles::table
        .find(id)
        .select(Article::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("article"))
}

/// Byline and topic ids of one article, in order.
pub fn relation_ids(conn: &mut AnyConnection, id: i64) -> Result<(Vec<i64>, Vec<i64>), AppError> {
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

/// The current slug of the article public at `now` that `slug` used to name.
pub fn public_slug_for_former(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    Ok(article_slugs::table
        .inner_join(articles::table)
        .filter(article_slugs::slug.eq(slug))
        .filter(is_public(now))
        .select(articles::slug)
        .first(conn)
        .optional()?)
}

/// The id of a published article by slug (current slugs only).
pub fn public_id_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    articles::table
        .filter(articles::slug.eq(slug))
        .filter(is_public(now))
        .select(articles::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("article"))
}

/// Rejects a slug that another article used before: its redirects would become ambiguous.
fn check_slug_free(
    conn: &mut AnyConnection,
    slug: &str,
    own_id: Option<i64>,
) -> Result<(), AppError> {
    let owner: Option<i64> = article_slugs::table
        .find(slug)
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(other) if Some(other) != own_id => Err(AppError::conflict(
            "already_exists",
            "slug was used by another article and still redirects to it",
            Some("slug"),
        )),
        _ => Ok(()),
    }
}

/// Rewrites bylines and topics, with the article's `status` copied onto them.
fn replace_relations(
    conn: &mut AnyConnection,
    id: i64,
    draft: &ArticleDraft,
    status: &str,
) -> Result<(), AppError> {
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id)))
        .execute(conn)?;
    diesel::delete(article_topics::table.filter(article_topics::article_id.eq(id)))
        .execute(conn)?;
    // One row per statement: multi-row VALUES does not compile on the multi-backend connection.
    for (position, author_id) in (0..).zip(&draft.author_ids) {
        diesel::insert_into(article_authors::table)
            .values((
                article_authors::article_id.eq(id),
                article_authors::author_id.eq(author_id),
                article_authors::position.eq(position),
                article_authors::status.eq(status),
                article_authors::published_at.eq(draft.published_at),
            ))
            .execute(conn)?;
    }
    for (position, topic_id) in (0..).zip(&draft.topic_ids) {
        diesel::insert_into(article_topics::table)
            .values((
                article_topics::article_id.eq(id),
                article_topics::topic_id.eq(topic_id),
                article_topics::position.eq(position),
                article_topics::status.eq(status),
                article_topics::published_at.eq(draft.published_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn record_revision(
    conn: &mut AnyConnection,
    id: i64,
    version: i64,
    draft: &ArticleDraft,
    user_id: Option<i64>,
) -> Result<(), AppError> {
    diesel::insert_into(article_revisions::table)
        .values((
            article_revisions::article_id.eq(id),
            article_revisions::version.eq(version),
            article_revisions::snapshot.eq(serde_json::to_string(draft)?),
            article_revisions::created_by.eq(user_id),
            article_revisions::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// `base`, or `base-2`, `base-3`… : the first slug no article uses now or used before.
pub fn unique_slug(conn: &mut AnyConnection, base: &str) -> Result<String, AppError> {
    let mut candidate = base.to_owned();
    for n in 2..1000 {
        let taken: bool = diesel::select(diesel::dsl::exists(
            articles::table.filter(articles::slug.eq(&candidate)),
        ))
        .get_result(conn)?;
        let former: bool =
            diesel::select(diesel::dsl::exists(article_slugs::table.find(&candidate)))
                .get_result(conn)?;
        if !taken && !former {
            return Ok(candidate);
        }
        let suffix = format!("-{n}");
        let keep = base.len().min(crate::validate::MAX_SLUG - suffix.len());
        candidate = format!("{}{suffix}", base[..keep].trim_end_matches('-'));
    }
    Err(AppError::conflict(
        "already_exists",
        "no free slug could be derived; give one",
        Some("slug"),
    ))
}

/// Creates a draft article (version 1) with its bylines, topics and first revision.
pub fn create(
    conn: &mut AnyConnection,
    draft: &ArticleDraft,
    user_id: Option<i64>,
) -> Result<Article, AppError> {
    check_slug_free(conn, &draft.slug, None)?;
    let now = super::now();
    let id: i64 = diesel::insert_into(articles::table)
        .values((
            draft.columns(),
            articles::status.eq(DRAFT),
            articles::created_by.eq(user_id),
            articles::version.eq(1),
            articles::created_at.eq(now),
            articles::updated_at.eq(now),
        ))
        .returning(articles::id)
        .get_result(conn)?;
    replace_relations(conn, id, draft, DRAFT)?;
    record_revision(conn, id, 1, draft, user_id)?;
    let article = find(conn, id)?;
    super::cards::store(conn, &article, &draft.author_ids, &draft.topic_ids)?;
    Ok(article)
}

/// Saves a new state of `current` when its version is still `expected`: the columns, bylines,
/// topics, slug history and a revision, all in the caller's transaction.
pub fn save(
    conn: &mut AnyConnection,
    current: &Article,
    expected: i64,
    draft: &ArticleDraft,
    status: Option<&str>,
    user_id: Option<i64>,
) -> Result<Article, AppError> {
    let id = current.id;
    if draft.slug != current.slug {
        check_slug_free(conn, &draft.slug, Some(id))?;
    }
    let version = expected + 1;
    let now = super::now();
    let n = diesel::update(
        articles::table.filter(articles::id.eq(id).and(articles::version.eq(expected))),
    )
    .set((
        draft.columns(),
        articles::status.eq(status.unwrap_or(&current.status)),
        articles::version.eq(version),
        articles::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(super::stale("article"));
    }
    if draft.slug != current.slug {
        // The old slug now redirects here; the new one no longer redirects anywhere.
        diesel::delete(article_slugs::table.find(&draft.slug)).execute(conn)?;
        diesel::insert_into(article_slugs::table)
            .values((
                article_slugs::slug.eq(&current.slug),
                article_slugs::article_id.eq(id),
                article_slugs::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    replace_relations(conn, id, draft, status.unwrap_or(&current.status))?;
    record_revision(conn, id, version, draft, user_id)?;
    let article = find(conn, id)?;
    super::cards::store(conn, &article, &draft.author_ids, &draft.topic_ids)?;
    Ok(article)
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), AppError> {
    if diesel::delete(articles::table.find(id)).execute(conn)? == 0 {
        return Err(AppError::not_found("article"));
    }
    Ok(())
}

/// One stored revision.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct Revision {
    pub version: i64,
    pub snapshot: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn revisions(conn: &mut AnyConnection, id: i64) -> Result<Vec<Revision>, AppError> {
    Ok(article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .order(article_revisions::version.desc())
        .select(Revision::as_select())
        .load(conn)?)
}

pub fn revision(conn: &mut AnyConnection, id: i64, version: i64) -> Result<ArticleDraft, AppError> {
    let snapshot: String = article_revisions::table
        .filter(
            article_revisions::article_id
                .eq(id)
                .and(article_revisions::version.eq(version)),
        )
        .select(article_revisions::snapshot)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("revision"))?;
    Ok(serde_json::from_str(&snapshot)?)
}

/// The orders an article list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
    Title,
    /// Best match first; only with a search.
    Relevance,
}

impl Sort {
    pub const PUBLIC: [Sort; 5] = [
        Sort::PublishedDesc,
        Sort::PublishedAsc,
        Sort::UpdatedDesc,
        Sort::Title,
        Sort::Relevance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sort::PublishedDesc => "-published_at",
            Sort::PublishedAsc => "published_at",
            Sort::UpdatedDesc => "-updated_at",
            Sort::Title => "title",
            Sort::Relevance => "relevance",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::PUBLIC.into_iter().find(|sort| sort.name() == s)
    }

    pub fn key_kind(self) -> KeyKind {
        match self {
            Sort::Title => KeyKind::Text,
            Sort::Relevance => KeyKind::Number,
            _ => KeyKind::Time,
        }
    }

    /// The cursor key of a row with these columns under this sort.
    fn key_of(self, (id, published_at, created_at, updated_at, title): KeyColumns) -> ArticleKey {
        let key = match self {
            // Only public listings sort by publication time, where it is never null.
            Sort::PublishedDesc | Sort::PublishedAsc => {
                Key::Time(published_at.unwrap_or(created_at))
            }
            Sort::UpdatedDesc => Key::Time(updated_at),
            Sort::Title | Sort::Relevance => Key::Text(title),
        };
        ArticleKey { id, key }
    }
}

/// The columns a row's cursor key may come from: id, published_at, created_at, updated_at,
/// title.
type KeyColumns = (
    i64,
    Option<NaiveDateTime>,
    NaiveDateTime,
    NaiveDateTime,
    String,
);

/// An article in a listing: its id and its sort key (what the next page's cursor carries).
/// Callers load what they show by id: cards on the Content API, briefs on the Admin API.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleKey {
    pub id: i64,
    pub key: Key,
}

impl ArticleKey {
    fn cursor(&self) -> Cursor {
        Cursor {
            key: self.key.clone(),
            id: self.id,
        }
    }
}

/// The ids of `keys`, in order.
pub fn ids_of(keys: &[ArticleKey]) -> Vec<i64> {
    keys.iter().map(|k| k.id).collect()
}

/// A staff-side status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Draft,
    Scheduled,
    Published,
    Archived,
}

/// Which articles a listing may see.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    /// The Content API: published and due at this instant.
    Public(NaiveDateTime),
    /// The Admin API: any status, or one.
    Staff(Option<StatusFilter>, NaiveDateTime),
}

/// Filters of an article listing. `None` means "no filter"; an empty id list matches nothing.
#[derive(Debug, Clone)]
pub struct Filter {
    pub visibility: Visibility,
    pub topic_ids: Option<Vec<i64>>,
    pub author_ids: Option<Vec<i64>>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    /// Full-text search: only articles matching every word.
    pub search: Option<Search>,
}

/// How a topic or byline filter is checked. As a list of the articles filed there, which the
/// database may drive the query from: cheap for small topics and authors, but a big one (Xiaomi,
/// 360,000 articles at 1M) makes SQLite read every id first. Or as a probe of the junction's key
/// for each article walked: cheap when matches are dense, a long walk when they are sparse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    List,
    Exists,
}

/// Above this many published articles in the filter's topics (or authors), probe instead of
/// listing: a walk then meets a match every few dozen rows at most.
const LIST_AT_MOST: i64 = 20_000;

/// The probes suited to `filter`'s topics and authors, from their kept counts (two key lookups).
fn probes_for(conn: &mut AnyConnection, filter: &Filter) -> Result<(Probe, Probe), AppError> {
    let pick = |published: i64| {
        if published > LIST_AT_MOST {
            Probe::Exists
        } else {
            Probe::List
        }
    };
    let topics = match &filter.topic_ids {
        Some(ids) if !ids.is_empty() => pick(
            topics::table
                .filter(topics::id.eq_any(ids))
                .select(topics::published_count)
                .load::<i64>(conn)?
                .iter()
                .sum(),
        ),
        _ => Probe::List,
    };
    let authors = match &filter.author_ids {
        Some(ids) if !ids.is_empty() => pick(
            authors::table
                .filter(authors::id.eq_any(ids))
                .select(authors::published_count)
                .load::<i64>(conn)?
                .iter()
                .sum(),
        ),
        _ => Probe::List,
    };
    Ok((topics, authors))
}

fn filtered(filter: &Filter) -> articles::BoxedQuery<'static, MultiBackend> {
    filtered_with(filter, (Probe::List, Probe::List))
}

fn filtered_with(
    filter: &Filter,
    (topic_probe, author_probe): (Probe, Probe),
) -> articles::BoxedQuery<'static, MultiBackend> {
    let mut query = articles::table.into_boxed();
    query = match filter.visibility {
        Visibility::Public(now) => query.filter(is_public(now)),
        Visibility::Staff(None, _) => query,
        Visibility::Staff(Some(StatusFilter::Draft), _) => query.filter(articles::status.eq(DRAFT)),
        Visibility::Staff(Some(StatusFilter::Archived), _) => {
            query.filter(articles::status.eq(ARCHIVED))
        }
        Visibility::Staff(Some(StatusFilter::Published), now) => query.filter(is_public(now)),
        Visibility::Staff(Some(StatusFilter::Scheduled), now) => query
            .filter(articles::status.eq(PUBLISHED))
            .filter(articles::published_at.gt(now)),
    };
    if let Some(ids) = filter.topic_ids.clone() {
        let filed = article_topics::table.filter(article_topics::topic_id.eq_any(ids));
        query = match topic_probe {
            Probe::List => {
                query.filter(articles::id.eq_any(filed.select(article_topics::article_id)))
            }
            Probe::Exists => query.filter(diesel::dsl::exists(
                filed.filter(article_topics::article_id.eq(articles::id)),
            )),
        };
    }
    if let Some(ids) = filter.author_ids.clone() {
        let credited = article_authors::table.filter(article_authors::author_id.eq_any(ids));
        query = match author_probe {
            Probe::List => {
                query.filter(articles::id.eq_any(credited.select(article_authors::article_id)))
            }
            Probe::Exists => query.filter(diesel::dsl::exists(
                credited.filter(article_authors::article_id.eq(articles::id)),
            )),
        };
    }
    if let Some(after) = filter.published_after {
        query = query.filter(articles::published_at.gt(after));
    }
    if let Some(before) = filter.published_before {
        query = query.filter(articles::published_at.lt(before));
    }
    if let Some(search) = &filter.search {
        query = query.filter(search.matches());
    }
    query
}

/// Topics or authors an index-driven listing merges at most; more go the general way.
const MAX_DRIVING_IDS: usize = 10;

/// The junction whose `*_newest` index (key, status, published_at, article_id) drives a listing
/// in publication order: the articles of any of these topics, or of any of these authors.
#[derive(Debug, Clone, Copy)]
pub enum Driver<'a> {
    Topics(&'a [i64]),
    Authors(&'a [i64]),
}

/// One publication-order scan: public at `now`, strictly after `after` (a cursor's
/// (published_at, id)) in that order, within the optional bounds, `limit` rows at most.
#[derive(Debug, Clone, Copy)]
pub struct Scan {
    pub now: NaiveDateTime,
    pub asc: bool,
    pub after: Option<(NaiveDateTime, i64)>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    pub limit: i64,
}

impl Scan {
    /// The newest `limit` public articles.
    pub fn newest(now: NaiveDateTime, limit: i64) -> Scan {
        Scan {
            now,
            asc: false,
            after: None,
            published_after: None,
            published_before: None,
            limit,
        }
    }
}

/// One index range scan of a junction table (`article_topics` or `article_authors`, which have
/// the same shape) for one key.
macro_rules! scan_junction {
    ($conn:expr, $table:ident, $key:ident, $id:expr, $scan:expr) => {{
        use crate::db::schema::$table::dsl as j;
        let scan: &Scan = $scan;
        let mut query = j::$table
            .filter(j::$key.eq($id))
            .filter(j::status.eq(PUBLISHED))
            .filter(j::published_at.le(scan.now))
            .select((j::article_id, j::published_at.assume_not_null()))
            .into_boxed();
        if let Some(t) = scan.published_after {
            query = query.filter(j::published_at.gt(t));
        }
        if let Some(t) = scan.published_before {
            query = query.filter(j::published_at.lt(t));
        }
        query = match (scan.asc, scan.after) {
            (false, Some((t, id))) => query.filter(
                j::published_at
                    .lt(t)
                    .or(j::published_at.eq(t).and(j::article_id.lt(id))),
            ),
            (true, Some((t, id))) => query.filter(
                j::published_at
                    .gt(t)
                    .or(j::published_at.eq(t).and(j::article_id.gt(id))),
            ),
            (_, None) => query,
        };
        query = if scan.asc {
            query.order((j::published_at.asc(), j::article_id.asc()))
        } else {
            query.order((j::published_at.desc(), j::article_id.desc()))
        };
        query
            .limit(scan.limit)
            .load::<(i64, NaiveDateTime)>($conn)?
    }};
}

/// The public articles of `driver`'s topics or authors in publication order, as
/// (id, published_at): one index range scan per key, merged. The cost depends on the limit,
/// not on the archive's size.
pub fn public_newest(
    conn: &mut AnyConnection,
    driver: Driver<'_>,
    scan: &Scan,
) -> Result<Vec<(i64, NaiveDateTime)>, AppError> {
    let mut merged: Vec<(i64, NaiveDateTime)> = Vec::new();
    match driver {
        Driver::Topics(ids) => {
            for id in ids {
                merged.extend(scan_junction!(conn, article_topics, topic_id, id, scan));
            }
        }
        Driver::Authors(ids) => {
            for id in ids {
                merged.extend(scan_junction!(conn, article_authors, author_id, id, scan));
            }
        }
    }
    merged.sort_by(|a, b| {
        if scan.asc {
            (a.1, a.0).cmp(&(b.1, b.0))
        } else {
            (b.1, b.0).cmp(&(a.1, a.0))
        }
    });
    merged.dedup_by_key(|(id, _)| *id);
    merged.truncate(usize::try_from(scan.limit).unwrap_or(usize::MAX));
    Ok(merged)
}

/// Public article counts per topic or author of `driver`: the trigger-kept count of published
/// articles minus those scheduled after `now` (few, and an index range scan each), so the cost
/// does not grow with the archive.
pub fn public_counts(
    conn: &mut AnyConnection,
    driver: Driver<'_>,
    now: NaiveDateTime,
) -> Result<HashMap<i64, i64>, AppError> {
    // (key, kept count) and (key, scheduled rows) for one parent table and its junction.
    macro_rules! counts {
        ($parent:ident, $junction:ident, $key:ident, $ids:expr) => {{
            let kept: Vec<(i64, i64)> = $parent::table
                .filter($parent::id.eq_any($ids))
                .select(($parent::id, $parent::published_count))
                .load(conn)?;
            let scheduled: Vec<(i64, i64)> = $junction::table
                .filter($junction::$key.eq_any($ids))
                .filter($junction::status.eq(PUBLISHED))
                .filter($junction::published_at.gt(now))
                .group_by($junction::$key)
                .select(($junction::$key, diesel::dsl::count_star()))
                .load(conn)?;
            (kept, scheduled)
        }};
    }
    let (kept, scheduled) = match driver {
        Driver::Topics([]) | Driver::Authors([]) => return Ok(HashMap::new()),
        Driver::Topics(ids) => counts!(topics, article_topics, topic_id, ids),
        Driver::Authors(ids) => counts!(authors, article_authors, author_id, ids),
    };
    let mut counts: HashMap<i64, i64> = kept.into_iter().collect();
    for (id, n) in scheduled {
        if let Some(count) = counts.get_mut(&id) {
            *count -= n;
        }
    }
    Ok(counts)
}

/// A public listing in publication order filtered by topics or by authors (not both, and no
/// search) is served from that junction's index alone.
fn index_driven(filter: &Filter, sort: Sort) -> Option<(NaiveDateTime, Driver<'_>)> {
    let Visibility::Public(now) = filter.visibility else {
        return None;
    };
    if !matches!(sort, Sort::PublishedDesc | Sort::PublishedAsc) || filter.search.is_some() {
        return None;
    }
    let driver = match (&filter.topic_ids, &filter.author_ids) {
        (Some(ids), None) => Driver::Topics(ids),
        (None, Some(ids)) => Driver::Authors(ids),
        _ => return None,
    };
    let (Driver::Topics(ids) | Driver::Authors(ids)) = driver;
    (!ids.is_empty() && ids.len() <= MAX_DRIVING_IDS).then_some((now, driver))
}

/// A cursor whose key is not the kind the sort uses (cursors carry their sort's name, so only a
/// forged or corrupted one gets here).
fn cursor_mismatch() -> AppError {
    AppError::bad_request("invalid_cursor", "cursor does not match the sort")
}

/// One page of article summaries.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    sort: Sort,
    cursor: Option<&Cursor>,
    limit: i64,
    count: bool,
) -> Result<Page<ArticleKey>, AppError> {
    if let Some((now, driver)) = index_driven(filter, sort) {
        let after = match cursor {
            Some(Cursor {
                key: Key::Time(t),
                id,
            }) => Some((*t, *id)),
            Some(_) => {
                return Err(cursor_mismatch());
            }
            None => None,
        };
        let scan = Scan {
            now,
            asc: sort == Sort::PublishedAsc,
            after,
            published_after: filter.published_after,
            published_before: filter.published_before,
            limit: limit + 1,
        };
        let keys: Vec<ArticleKey> = public_newest(conn, driver, &scan)?
            .into_iter()
            .map(|(id, t)| ArticleKey {
                id,
                key: Key::Time(t),
            })
            .collect();
        let mut page = Page::from_rows(keys, limit, ArticleKey::cursor);
        if count {
            let unbounded = filter.published_after.is_none() && filter.published_before.is_none();
            // One topic or author, no date bounds: its kept count, not a count of its rows.
            page.total = Some(match driver {
                Driver::Topics(&[id]) | Driver::Authors(&[id]) if unbounded => {
                    public_counts(conn, driver, now)?
                        .get(&id)
                        .copied()
                        .unwrap_or(0)
                }
                _ => filtered(filter).count().get_result(conn)?,
            });
        }
        return Ok(page);
    }
    if sort == Sort::Relevance {
        return relevance_page(conn, filter, cursor, limit, count);
    }
    let probes = probes_for(conn, filter)?;
    let mut query = filtered_with(filter, probes).select((
        articles::id,
        articles::published_at,
        articles::created_at,
        articles::updated_at,
        articles::title,
    ));
    query = match sort {
        Sort::PublishedDesc => query.order((articles::published_at.desc(), articles::id.desc())),
        Sort::PublishedAsc => query.order((articles::published_at.asc(), articles::id.asc())),
        Sort::UpdatedDesc => query.order((articles::updated_at.desc(), articles::id.desc())),
        Sort::Title | Sort::Relevance => query.order((articles::title.asc(), articles::id.asc())),
    };
    if let Some(Cursor { key, id }) = cursor.cloned() {
        query = match (sort, key) {
            (Sort::PublishedDesc, Key::Time(t)) => query.filter(
                articles::published_at
                    .lt(t)
                    .or(articles::published_at.eq(t).and(articles::id.lt(id))),
            ),
            (Sort::PublishedAsc, Key::Time(t)) => query.filter(
                articles::published_at
                    .gt(t)
                    .or(articles::published_at.eq(t).and(articles::id.gt(id))),
            ),
            (Sort::UpdatedDesc, Key::Time(t)) => query.filter(
                articles::updated_at
                    .lt(t)
                    .or(articles::updated_at.eq(t).and(articles::id.lt(id))),
            ),
            (Sort::Title, Key::Text(s)) => query.filter(
                articles::title
                    .gt(s.clone())
                    .or(articles::title.eq(s).and(articles::id.gt(id))),
            ),
            _ => {
                return Err(cursor_mismatch());
            }
        };
    }
    let rows: Vec<KeyColumns> = query.limit(limit + 1).load(conn)?;
    let keys = rows.into_iter().map(|r| sort.key_of(r)).collect();
    let mut page = Page::from_rows(keys, limit, ArticleKey::cursor);
    if count {
        page.total = Some(filtered_with(filter, probes).count().get_result(conn)?);
    }
    Ok(page)
}

/// Best matches first, among the newest [`search::CANDIDATES`] matches under the filter; the
/// cursor carries (score, id).
fn relevance_page(
    conn: &mut AnyConnection,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
    count: bool,
) -> Result<Page<ArticleKey>, AppError> {
    let Some(search) = filter.search.as_ref() else {
        return Err(AppError::bad_request(
            "invalid_sort",
            "sort=relevance needs a search (q)",
        ));
    };
    let after = match cursor {
        Some(Cursor {
            key: Key::Number(score),
            id,
        }) => Some((*score, *id)),
        Some(_) => {
            return Err(cursor_mismatch());
        }
        None => None,
    };
    // The other filters, checked per candidate: topics and bylines by probing their keys, since
    // a list would hold every article of a big topic for each chunk of candidates.
    let others = Filter {
        search: None,
        ..filter.clone()
    };
    let with_others = || filtered_with(&others, (Probe::Exists, Probe::Exists));
    let scores: std::collections::HashMap<i64, f64> = search
        .ranked_candidates(conn, with_others)?
        .into_iter()
        .collect();
    let mut ranked: Vec<(f64, i64)> = scores
        .iter()
        .map(|(id, score)| (*score, *id))
        .filter(|(score, id)| after.is_none_or(|(s, i)| *score < s || (*score == s && *id < i)))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    ranked.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
    let keys = ranked
        .into_iter()
        .map(|(score, id)| ArticleKey {
            id,
            key: Key::Number(score),
        })
        .collect();
    let mut page = Page::from_rows(keys, limit, ArticleKey::cursor);
    if count {
        let probes = probes_for(conn, filter)?;
        page.total = Some(filtered_with(filter, probes).count().get_result(conn)?);
    }
    Ok(page)
}

/// Summaries of `ids` (those visible under `visibility`), in the order of `ids`.
pub fn briefs_in_order(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<Vec<ArticleBrief>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<ArticleBrief> = articles::table
        .filter(articles::id.eq_any(ids))
        .filter(is_public(now))
        .select(ArticleBrief::as_select())
        .load(conn)?;
    rows.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
    Ok(rows)
}

/// Summaries of `ids` whatever their status, in no particular order (the Admin API's listings).
pub fn briefs(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<ArticleBrief>, AppError> {
    Ok(articles::table
        .filter(crate::db::in_ids(articles::id, ids))
        .select(ArticleBrief::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(articles::table.count().get_result(conn)?)
}

pub fn exists_slug(conn: &mut AnyConnection, slug: &str) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::slug.eq(slug)),
    ))
    .get_result(conn)?)
}
