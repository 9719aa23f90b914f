//! One pass over a query's matches: the visibility and date filters, the page in any order
//! after a cursor, the exact count and the topic facets.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::columns::Columns;
use super::schema::{NEVER, PUBLISHED};

/// The orders a search can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Text relevance (BM25) times a recency boost computed at `now` (µs).
    Relevance {
        now: i64,
    },
    PublishedDesc,
    PublishedAsc,
    UpdatedDesc,
    Title,
}

impl Order {
    /// Ties go to the larger id in descending orders, the smaller in ascending ones, as in
    /// the database's listings.
    fn ascending(self) -> bool {
        matches!(self, Order::PublishedAsc | Order::Title)
    }
}

/// Which statuses a search may see (µs for times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Published and due: the Content API.
    Public {
        now: i64,
    },
    /// Any status (the Admin API).
    Any,
    Status(u64),
    /// Published with a future time.
    Scheduled {
        now: i64,
    },
}

/// Where the previous page ended: its last hit's key and id.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Score(f64, i64),
    Time(i64, i64),
    Title(String, i64),
}

/// What to collect.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub order: Order,
    pub seen: Seen,
    pub published_after: Option<i64>,
    pub published_before: Option<i64>,
    pub after: Option<After>,
    /// Hits to return (the page and one more, to know if another follows).
    pub hits: usize,
    /// Every match must be counted (`Found::total`).
    pub count: bool,
    pub facets: bool,
}

/// A match on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f64,
    pub published_at: i64,
    pub updated_at: i64,
    pub title: String,
}

/// The result of a pass.
#[derive(Debug, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Every match under the filters (the cursor aside).
    pub total: u64,
    /// Matches per topic id.
    pub facets: HashMap<u64, u64>,
}

/// A score's bits, ordered as the score is (for the heap's integer keys).
fn orderable(score: f64) -> i64 {
    let bits = score.to_bits().cast_signed();
    bits ^ ((bits >> 63).cast_unsigned() >> 1).cast_signed()
}

/// How much newer stories gain: a story published now counts twice its text score, one a
/// half-life old 1.5 times, and an old one once. Ages are counted in whole days, so that the
/// scores of one search stay the same while a reader pages through it.
pub const RECENCY_HALF_LIFE_DAYS: f64 = 180.0;

/// Ages with a precomputed boost, in days: twenty years (after that the boost is 1.0000).
const TABULATED_DAYS: u16 = 7_305;

fn recency(now: i64, published_at: i64) -> f64 {
    const DAY: i64 = 86_400_000_000;
    // Computed once: a search over common words asks for it for each match.
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    if published_at == NEVER {
        return 1.0;
    }
    let days = (now.div_euclid(DAY) - published_at.div_euclid(DAY)).max(0);
    let boost = |days: f64| 1.0 + (-days / RECENCY_HALF_LIFE_DAYS * std::f64::consts::LN_2).exp();
    let table = TABLE.get_or_init(|| (0..TABULATED_DAYS).map(|d| boost(f64::from(d))).collect());
    usize::try_from(days)
        .ok()
        .and_then(|d| table.get(d).copied())
        // Older than any date can be: no boost.
        .unwrap_or_else(|| i32::try_from(days).map_or(1.0, |d| boost(f64::from(d))))
}

impl Collector for Wanted {
    type Fruit = Found;
    type Child = SegmentWanted;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentWanted> {
        self.for_segment_with(reader, Columns::open(reader)?)
    }

    fn requires_scoring(&self) -> bool {
        matches!(self.order, Order::Relevance { .. })
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut out = Found::default();
        for fruit in fruits {
            out.hits.extend(fruit.hits);
            out.total += fruit.total;
            for (topic, n) in fruit.facets {
                *out.facets.entry(topic).or_default() += n;
            }
        }
        let order = self.order;
        out.hits.sort_by(|a, b| better_first(order, a, b));
        out.hits.truncate(self.hits);
        Ok(out)
    }
}

impl Wanted {
    /// What to collect in `reader`'s segment, whose `columns` are open.
    pub fn for_segment_with(
        &self,
        reader: &SegmentReader,
        columns: Columns,
    ) -> tantivy::Result<SegmentWanted> {
        let fast = reader.fast_fields();
        let title = match self.order {
            Order::Title => fast.str("title_sort")?,
            _ => None,
        };
        // The ordinal range of titles after the cursor's, in this segment's dictionary.
        let title_after = match (&self.after, &title) {
            (Some(After::Title(t, _)), Some(column)) => Some(ordinal_bounds(column, t)?),
            _ => None,
        };
        Ok(SegmentWanted {
            wanted: self.clone(),
            id: columns.id,
            status: columns.status,
            published_at: columns.published_at,
            updated_at: columns.updated_at,
            topics: if self.facets {
                Some(fast.u64("topic_ids")?)
            } else {
                None
            },
            title,
            title_after,
            heap: BinaryHeap::new(),
            total: 0,
            facets: HashMap::new(),
        })
    }
}

/// The order of hits across segments: best first.
fn better_first(order: Order, a: &Hit, b: &Hit) -> std::cmp::Ordering {
    let primary = match order {
        Order::Relevance { .. } => b.score.total_cmp(&a.score),
        Order::PublishedDesc => b.published_at.cmp(&a.published_at),
        Order::PublishedAsc => a.published_at.cmp(&b.published_at),
        Order::UpdatedDesc => b.updated_at.cmp(&a.updated_at),
        Order::Title => a.title.cmp(&b.title),
    };
    let tie = if order.ascending() {
        a.id.cmp(&b.id)
    } else {
        b.id.cmp(&a.id)
    };
    primary.then(tie)
}

/// In `column`'s dictionary, the first ordinal of a title greater than `title`, and the
/// ordinal of `title` itself if present.
fn ordinal_bounds(column: &StrColumn, title: &str) -> tantivy::Result<(u64, Option<u64>)> {
    let terms = u64::try_from(column.num_terms()).unwrap_or(u64::MAX);
    let (mut lo, mut hi) = (0u64, terms);
    let mut term = String::new();
    // The first ordinal whose title is >= `title`.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        term.clear();
        column.ord_to_str(mid, &mut term)?;
        if term.as_str() < title {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    term.clear();
    let equal = lo < terms && column.ord_to_str(lo, &mut term)? && term == title;
    Ok(if equal {
        (lo + 1, Some(lo))
    } else {
        (lo, None)
    })
}

/// A hit within a segment: a key that orders it (larger is better) and its doc.
type Ranked = Reverse<((i64, i64), DocId, u64)>;

pub struct SegmentWanted {
    wanted: Wanted,
    id: Column<u64>,
    status: Column<u64>,
    published_at: Column<i64>,
    updated_at: Column<i64>,
    topics: Option<Column<u64>>,
    title: Option<StrColumn>,
    title_after: Option<(u64, Option<u64>)>,
    /// The best `hits` so far, worst on top.
    heap: BinaryHeap<Ranked>,
    total: u64,
    facets: HashMap<u64, u64>,
}

impl SegmentWanted {
    /// The score of the worst hit once the page is full (relevance order).
    pub fn worst_score(&self) -> Option<f64> {
        if self.heap.len() < self.wanted.hits {
            return None;
        }
        self.heap.peek().map(|w| f64::from_bits(w.0.2))
    }

    /// What the order multiplies the text score of a story published at `published_at` by
    /// (its recency boost).
    pub fn boost_at(&self, published_at: i64) -> f64 {
        match self.wanted.order {
            Order::Relevance { now } => recency(now, published_at),
            _ => 1.0,
        }
    }

    /// The docs whose publication times the visibility and the date filters allow: a segment
    /// holds its stories newest first, so they are one run of it, found by two binary
    /// searches (scheduled stories are at its head, never-published ones at its tail).
    pub fn doc_range(&self, max_doc: DocId) -> std::ops::Range<DocId> {
        let w = &self.wanted;
        // The times allowed, both ends included.
        let (mut lo, mut hi) = match w.seen {
            Seen::Public { now } => (NEVER.saturating_add(1), now),
            Seen::Scheduled { now } => (now.saturating_add(1), i64::MAX),
            Seen::Any | Seen::Status(_) => (NEVER, i64::MAX),
        };
        if let Some(t) = w.published_after {
            lo = lo.max(t.saturating_add(1));
        }
        if let Some(t) = w.published_before {
            hi = hi.min(t.saturating_sub(1));
        }
        if lo > hi {
            return 0..0;
        }
        // The first doc published at `t` or before.
        let first_at_or_before = |t: i64| {
            let (mut a, mut b) = (0, max_doc);
            while a < b {
                let mid = a + (b - a) / 2;
                if self.published_at.first(mid).unwrap_or(NEVER) > t {
                    a = mid + 1;
                } else {
                    b = mid;
                }
            }
            a
        };
        let start = first_at_or_before(hi);
        let end = match lo.checked_sub(1) {
            Some(before) => first_at_or_before(before),
            None => max_doc,
        };
        start..end.max(start)
    }

    /// The article id of `doc` (stored as the `u64` of a positive `i64`).
    fn id_of(&self, doc: DocId) -> i64 {
        self.id
            .first(doc)
            .and_then(|id| i64::try_from(id).ok())
            .unwrap_or(0)
    }

    fn visible(&self, doc: DocId, published_at: i64) -> bool {
        let status = self.status.first(doc).unwrap_or(u64::MAX);
        let seen = match self.wanted.seen {
            // As in the database, a published story without a time is not public.
            Seen::Public { now } => {
                status == PUBLISHED && published_at != NEVER && published_at <= now
            }
            Seen::Any => true,
            Seen::Status(s) => status == s,
            Seen::Scheduled { now } => status == PUBLISHED && published_at > now,
        };
        seen && self.wanted.published_after.is_none_or(|t| published_at > t)
            && self
                .wanted
                .published_before
                .is_none_or(|t| published_at < t)
    }

    /// The heap key of a doc (larger is better), or `None` when the cursor is past it.
    fn key(&self, doc: DocId, id: i64, score: f64, published_at: i64) -> Option<(i64, i64)> {
        let w = &self.wanted;
        let tie = if w.order.ascending() { -id } else { id };
        let primary = match w.order {
            Order::Relevance { .. } => orderable(score),
            Order::PublishedDesc => published_at,
            Order::PublishedAsc => published_at.saturating_neg(),
            Order::UpdatedDesc => self.updated_at.first(doc).unwrap_or(NEVER),
            Order::Title => {
                let ord = self
                    .title
                    .as_ref()
                    .and_then(|t| t.ords().first(doc))
                    .unwrap_or(0);
                if let (Some((first_after, equal)), Some(After::Title(_, after_id))) =
                    (self.title_after, &w.after)
                {
                    let past = ord >= first_after || (Some(ord) == equal && id > *after_id);
                    if !past {
                        return None;
                    }
                }
                -i64::try_from(ord).unwrap_or(i64::MAX)
            }
        };
        let past_cursor = match &w.after {
            None | Some(After::Title(..)) => true,
            Some(After::Score(s, after_id)) => (primary, tie) < (orderable(*s), *after_id),
            Some(After::Time(t, after_id)) => {
                let (cp, ct) = match w.order {
                    Order::PublishedAsc => (t.saturating_neg(), -after_id),
                    _ => (*t, *after_id),
                };
                (primary, tie) < (cp, ct)
            }
        };
        past_cursor.then_some((primary, tie))
    }
}

impl SegmentCollector for SegmentWanted {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        let published_at = self.published_at.first(doc).unwrap_or(NEVER);
        // A relevance page that is full and counts nothing takes only what beats its worst:
        // most matches of a common word stop here, before their status and id are read.
        if let Order::Relevance { now } = self.wanted.order
            && !self.wanted.count
            && !self.wanted.facets
            && self
                .worst_score()
                .is_some_and(|worst| f64::from(score) * recency(now, published_at) < worst)
        {
            return;
        }
        if !self.visible(doc, published_at) {
            return;
        }
        self.total += 1;
        if let Some(topics) = &self.topics {
            for topic in topics.values_for_doc(doc) {
                *self.facets.entry(topic).or_default() += 1;
            }
        }
        let id = self.id_of(doc);
        let score = match self.wanted.order {
            Order::Relevance { now } => f64::from(score) * recency(now, published_at),
            _ => 0.0,
        };
        let Some(key) = self.key(doc, id, score, published_at) else {
            return;
        };
        if self.heap.len() < self.wanted.hits {
            self.heap.push(Reverse((key, doc, score.to_bits())));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && key > worst.0.0
        {
            *worst = Reverse((key, doc, score.to_bits()));
        }
    }

    fn harvest(mut self) -> Found {
        let mut hits = Vec::with_capacity(self.heap.len());
        let mut title = String::new();
        for Reverse((_, doc, score)) in std::mem::take(&mut self.heap) {
            title.clear();
            if let Some(column) = &self.title
                && let Some(ord) = column.ords().first(doc)
            {
                // A read of this segment's own dictionary: it does not fail once open.
                let _ = column.ord_to_str(ord, &mut title);
            }
            hits.push(Hit {
                id: self.id_of(doc),
                score: f64::from_bits(score),
                published_at: self.published_at.first(doc).unwrap_or(NEVER),
                updated_at: self.updated_at.first(doc).unwrap_or(NEVER),
                title: title.clone(),
            });
        }
        Found {
            hits,
            total: self.total,
            facets: self.facets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orderable_scores_sort_as_the_scores_do() {
        let scores = [-2.5, -0.0, 0.0, 0.1, 1.0, 7.25, 1e9];
        for pair in scores.windows(2) {
            assert!(orderable(pair[0]) <= orderable(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn recent_stories_gain_and_the_gain_halves() {
        let day = 86_400_000_000;
        let now = 1_000 * day;
        assert!((recency(now, now) - 2.0).abs() < 1e-9);
        assert!((recency(now, now - 180 * day) - 1.5).abs() < 1e-9);
        assert!(recency(now, now - 5 * 365 * day) < 1.001);
        assert_eq!(recency(now, NEVER), 1.0);
    }
}
