//! The keyset-paginated listing shared by both APIs: filters, sorts, cursors, counts, and the
//! junction-driven scans that make topic and author listings cost the page, not the archive.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::junctions::{Driver, Scan, public_counts, public_newest};
use super::{ArticleBrief, ArticleStatus, is_public};
use crate::db::AnyConnection;
use crate::db::MultiBackend;
use crate::db::schema::{article_authors, article_topics, articles, authors, topics};
use crate::models::ModelError;
use crate::pagination::{Cursor, Key, KeyKind, Page};

/// The orders an article list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
    Title,
    /// Best match first; only with a search (which the search index answers).
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
}

/// An article in a listing: its id and its sort key (what the next page's cursor carries).
/// Callers load what they show by id: cards on the Content API, briefs on the Admin API.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleKey {
    pub id: i64,
    pub key: Key,
}

impl ArticleKey {
    pub fn cursor(&self) -> Cursor {
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
}

/// How a topic or byline filter is checked. As a list of the articles filed there, which the
/// database may drive the query from: cheap for small topics and authors, but a big one (Xiaomi,
/// 360,000 articles at 1M) makes SQLite read every id first. Or as a probe of the junction's key
/// for each article walked: cheap when matches are dense, a long walk when they are sparse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    List,
    Exists,
}

/// Above this many published articles in the filter's topics (or authors), probe instead of
/// listing: a walk then meets a match every few dozen rows at most.
const LIST_AT_MOST: i64 = 20_000;

/// The probes suited to `filter`'s topics and authors, from their kept counts (two key lookups).
pub(super) fn probes_for(
    conn: &mut AnyConnection,
    filter: &Filter,
) -> Result<(Probe, Probe), ModelError> {
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

pub(super) fn filtered_with(
    filter: &Filter,
    (topic_probe, author_probe): (Probe, Probe),
) -> articles::BoxedQuery<'static, MultiBackend> {
    let mut query = articles::table.into_boxed();
    query = match filter.visibility {
        Visibility::Public(now) => query.filter(is_public(now)),
        Visibility::Staff(None, _) => query,
        Visibility::Staff(Some(StatusFilter::Draft), _) => {
            query.filter(articles::status.eq(ArticleStatus::Draft))
        }
        Visibility::Staff(Some(StatusFilter::Archived), _) => {
            query.filter(articles::status.eq(ArticleStatus::Archived))
        }
        Visibility::Staff(Some(StatusFilter::Published), now) => query.filter(is_public(now)),
        Visibility::Staff(Some(StatusFilter::Scheduled), now) => query
            .filter(articles::status.eq(ArticleStatus::Published))
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
    query
}

/// Topics or authors an index-driven listing merges at most; more go the general way.
const MAX_DRIVING_IDS: usize = 10;

/// A public listing in publication order filtered by topics or by authors (not both, and no
/// date bounds aside) is served from that junction's index alone.
fn index_driven(filter: &Filter, sort: Sort) -> Option<(NaiveDateTime, Driver<'_>)> {
    let Visibility::Public(now) = filter.visibility else {
        return None;
    };
    if !matches!(sort, Sort::PublishedDesc | Sort::PublishedAsc) {
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
pub fn cursor_mismatch() -> ModelError {
    ModelError::malformed("invalid_cursor", "cursor does not match the sort")
}

/// One page of article summaries.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    sort: Sort,
    cursor: Option<&Cursor>,
    limit: i64,
    count: bool,
) -> Result<Page<ArticleKey>, ModelError> {
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
        return Err(ModelError::internal(
            "relevance is the search index's order",
        ));
    }
    let probes = probes_for(conn, filter)?;
    let mut query = filtered_with(filter, probes);
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
    // Only the id and the sort's key: in publication order both are in the index the scan
    // walks, so no article row is read.
    let query = query.limit(limit + 1);
    let keys: Vec<ArticleKey> = match sort {
        // Publication sorts are public-only, where published_at is never null.
        Sort::PublishedDesc | Sort::PublishedAsc => query
            .select((articles::id, articles::published_at.assume_not_null()))
            .load::<(i64, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(id, t)| ArticleKey {
                id,
                key: Key::Time(t),
            })
            .collect(),
        Sort::UpdatedDesc => query
            .select((articles::id, articles::updated_at))
            .load::<(i64, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(id, t)| ArticleKey {
                id,
                key: Key::Time(t),
            })
            .collect(),
        Sort::Title | Sort::Relevance => query
            .select((articles::id, articles::title))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .map(|(id, title)| ArticleKey {
                id,
                key: Key::Text(title),
            })
            .collect(),
    };
    let mut page = Page::from_rows(keys, limit, ArticleKey::cursor);
    if count {
        page.total = Some(filtered_with(filter, probes).count().get_result(conn)?);
    }
    Ok(page)
}

/// Summaries of `ids` whatever their status, in no particular order (the Admin API's listings).
pub fn briefs(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<ArticleBrief>, ModelError> {
    Ok(articles::table
        .filter(crate::db::in_ids(articles::id, ids))
        .select(ArticleBrief::as_select())
        .load(conn)?)
}
