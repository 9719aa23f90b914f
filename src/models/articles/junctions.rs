//! Publication-order scans of the junction tables: `article_topics` and `article_authors` carry
//! each article's status and publication time, so the newest public articles of a topic or an
//! author are one index range scan, and their counts come from trigger-kept counters. The cost
//! follows the page, not the archive.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ArticleStatus;
use crate::db::schema::{article_authors, article_topics, authors, topics};
use crate::db::{AnyConnection, on_backend};
use crate::models::ModelError;

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
/// the same shape) for one key, on the concrete connection (see [`on_backend`]).
macro_rules! scan_junction {
    ($conn:expr, $table:ident, $key:ident, $id:expr, $scan:expr) => {
        on_backend!($conn, |c| {
            use crate::db::schema::$table::dsl as j;
            let scan: &Scan = $scan;
            let mut query = j::$table
                .filter(j::$key.eq($id))
                .filter(j::status.eq(ArticleStatus::Published))
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
            query.limit(scan.limit).load::<(i64, NaiveDateTime)>(c)
        })?
    };
}

/// The public articles of `driver`'s topics or authors in publication order, as
/// (id, published_at): one index range scan per key, merged. The cost depends on the limit,
/// not on the archive's size.
pub fn public_newest(
    conn: &mut AnyConnection,
    driver: Driver<'_>,
    scan: &Scan,
) -> Result<Vec<(i64, NaiveDateTime)>, ModelError> {
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
) -> Result<HashMap<i64, i64>, ModelError> {
    // (key, kept count) and (key, scheduled rows) for one parent table and its junction.
    macro_rules! counts {
        ($parent:ident, $junction:ident, $key:ident, $ids:expr) => {{
            let kept: Vec<(i64, i64)> = $parent::table
                .filter($parent::id.eq_any($ids))
                .select(($parent::id, $parent::published_count))
                .load(conn)?;
            let scheduled: Vec<(i64, i64)> = $junction::table
                .filter($junction::$key.eq_any($ids))
                .filter($junction::status.eq(ArticleStatus::Published))
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
