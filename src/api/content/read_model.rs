//! What the Content API keeps in memory to assemble responses from stored cards
//! (`models::cards`): a copy of every author's and topic's summary (to close cards with their
//! bylines and topics, and to resolve slugs in filters), and the newest articles with their
//! cards, every topic's and each topic's (the first pages of the newest articles and of a
//! topic, and the candidates of automatic related picks and what a related box shows of them);
//! and, in [`HeldCards`], the cards searches and deeper listing pages showed, with the leads of
//! searches' snippets.
//!
//! All are checked against `content_version`, which every request reads in the same statement
//! as its first rows:
//! - the summaries against `taxonomy`, which every author and topic write bumps;
//! - a topic's newest articles against `generation`, which every content write bumps, and
//!   against the next publication scheduled in the topic;
//! - the held cards against `generation`.
//!
//! So a request that starts after a write has committed never shows what it changed, on any
//! instance, and the steady state costs no query for authors, topics or related candidates.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDateTime;

use super::held_cards::HeldCards;
use crate::api::views::{AuthorSummary, Includes, TopicSummary};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::ArticleKey;
use crate::models::cards::{self, Candidate, Card, Versions};
use crate::pagination::Key;

/// Newest articles kept per topic (and of every topic): the candidates of related picks, and
/// the first two pages of 20.
pub const CANDIDATES_PER_TOPIC: i64 = 50;

/// The most the held newest articles may weigh, in bytes (cards mostly): about 20 MB for the
/// 500 topics of the benchmark's archives. Past it the least used heads are let go (and
/// loaded again when asked for).
const HEADS_MAX_BYTES: u64 = 32 << 20;

/// The most the cards and leads of listings and searches may weigh, in bytes, for an archive
/// of `articles`: 40 bytes an article, 16 to 64 MB. The stories searches show spread over a
/// larger archive: at 1M articles the benchmark's searches found 56 % of their cards held in
/// 16 MB, 74 % in 32 MB, 85 % in 48 MB (6-12 % less CPU per search than 16 MB) and 92 % in
/// 64 MB, for an uncached RSS of 240, 258, 275 and 291 MB (the target is 300). At 100k, 32 MB
/// took the uncached server's peak RSS to 167 MB (the target is 150): 16 MB.
pub fn held_cards_budget(articles: u64) -> u64 {
    articles.saturating_mul(40).clamp(16 << 20, 64 << 20)
}

/// Every author's and topic's summary as JSON, and their slugs.
#[derive(Debug, Default)]
pub struct Taxonomy {
    version: i64,
    authors: HashMap<i64, String>,
    topics: HashMap<i64, String>,
    author_slugs: HashMap<String, i64>,
    topic_slugs: HashMap<String, i64>,
}

impl Taxonomy {
    /// Ids of the topics named by `slugs` (unknown ones are left out).
    pub fn topic_ids(&self, slugs: &[String]) -> Vec<i64> {
        let mut ids: Vec<i64> = slugs
            .iter()
            .filter_map(|s| self.topic_slugs.get(s).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The id of the author named by `slug`.
    pub fn author_id(&self, slug: &str) -> Option<i64> {
        self.author_slugs.get(slug).copied()
    }

    /// Whether these summaries are as new as the database at `v`.
    pub fn is_current(&self, v: Versions) -> bool {
        self.version >= v.taxonomy
    }

    /// The slug and name of `topic` (read from its summary: for a few facets, not per card).
    pub fn topic_name(&self, topic: i64) -> Option<(String, String)> {
        let summary: serde_json::Value = serde_json::from_str(self.topics.get(&topic)?).ok()?;
        Some((
            summary.get("slug")?.as_str()?.to_owned(),
            summary.get("name")?.as_str()?.to_owned(),
        ))
    }

    /// Whether `topic` exists.
    pub fn has_topic(&self, topic: i64) -> bool {
        self.topics.contains_key(&topic)
    }

    /// Appends `card`, closed with its bylines and topics as `inc` asks. Ids of authors or
    /// topics deleted since the card was rendered are skipped, as a join would skip them.
    pub fn push_card(&self, out: &mut String, card: &Card, inc: Includes) {
        out.push_str(&card.card);
        let mut relation = |name: &str, raw: &str, map: &HashMap<i64, String>| {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":[");
            let mut first = true;
            for json in cards::split_ids(raw).filter_map(|id| map.get(&id)) {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(json);
            }
            out.push(']');
        };
        if inc.authors {
            relation("authors", &card.author_ids, &self.authors);
        }
        if inc.topics {
            relation("topics", &card.topic_ids, &self.topics);
        }
        out.push('}');
    }
}

impl Taxonomy {
    /// Appends the list or related item of `card`, as `ItemView::Article` serialises it:
    /// `{"type":"article","article":{…},"source":…}`, `source` left out when `None`.
    pub fn push_item(&self, out: &mut String, card: &Card, source: Option<&str>) {
        out.push_str("{\"type\":\"article\",\"article\":");
        self.push_card(out, card, Includes::BOTH);
        if let Some(source) = source {
            out.push_str(",\"source\":\"");
            out.push_str(source);
            out.push('"');
        }
        out.push('}');
    }
}

/// The newest public articles of one topic, as loaded at `generation`.
#[derive(Debug)]
struct Head {
    generation: i64,
    /// When the next article of the topic is scheduled to go public: the head is out of date
    /// from then on.
    until: Option<NaiveDateTime>,
    candidates: Vec<Candidate>,
}

impl Head {
    fn current(&self, v: Versions, now: NaiveDateTime) -> bool {
        self.generation == v.generation && self.until.is_none_or(|t| now < t)
    }

    /// What it holds, in bytes, roughly: its cards' text and its candidates.
    fn weight(&self) -> u32 {
        let bytes: usize = self
            .candidates
            .iter()
            .map(|c| {
                let card = &c.card;
                size_of::<Candidate>()
                    + size_of::<Card>()
                    + c.topic_ids.len() * size_of::<i64>()
                    + card.card.len()
                    + card.author_ids.len()
                    + card.topic_ids.len()
            })
            .sum();
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// A held article as a listing shows it: its key and card.
pub type HeldItem = (ArticleKey, Arc<Card>);

/// How a related candidate ranks: topics shared, then newest (then the larger id).
type Rank = (usize, NaiveDateTime, i64);

/// The Content API's in-memory copies; one per process, shared by all workers.
#[derive(Debug)]
pub struct ReadModel {
    taxonomy: RwLock<Arc<Taxonomy>>,
    /// Keyed by topic; `None` holds the newest articles of every topic.
    heads: moka::sync::Cache<Option<i64>, Arc<Head>>,
    /// The cards of what listings and searches showed past the heads, and searches' leads.
    pub cards: HeldCards,
}

impl Default for ReadModel {
    fn default() -> Self {
        Self::new(0)
    }
}

impl ReadModel {
    /// A read model for an archive of about `articles` (which sizes the held cards).
    pub fn new(articles: u64) -> Self {
        ReadModel {
            taxonomy: RwLock::new(Arc::new(Taxonomy {
                version: -1,
                ..Taxonomy::default()
            })),
            heads: moka::sync::Cache::builder()
                .max_capacity(HEADS_MAX_BYTES)
                .weigher(|_, head: &Arc<Head>| head.weight())
                .build(),
            cards: HeldCards::new(held_cards_budget(articles)),
        }
    }

    /// The summaries held now, however old: check them with [`Taxonomy::is_current`].
    pub fn held_taxonomy(&self) -> Arc<Taxonomy> {
        self.taxonomy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The summaries as of `v` (or newer), loaded again when an author or topic changed.
    pub fn taxonomy(
        &self,
        conn: &mut AnyConnection,
        v: Versions,
    ) -> Result<Arc<Taxonomy>, AppError> {
        let held = self.held_taxonomy();
        if held.is_current(v) {
            return Ok(held);
        }
        // Tagged with the version read before loading: a write in between makes the copy newer
        // than its tag, never older, and the next request loads it again.
        let (authors, topics) = cards::taxonomy(conn)?;
        let mut t = Taxonomy {
            version: v.taxonomy,
            ..Taxonomy::default()
        };
        for a in authors {
            t.author_slugs.insert(a.slug.clone(), a.id);
            t.authors
                .insert(a.id, serde_json::to_string(&AuthorSummary::from(a))?);
        }
        for topic in topics {
            t.topic_slugs.insert(topic.slug.clone(), topic.id);
            t.topics
                .insert(topic.id, serde_json::to_string(&TopicSummary::from(topic))?);
        }
        let t = Arc::new(t);
        let mut slot = self.taxonomy.write().unwrap_or_else(|e| e.into_inner());
        if slot.version < t.version {
            *slot = t.clone();
        }
        Ok(t)
    }

    /// The newest public articles of `topic` (of every topic when `None`) at `now`.
    fn head(
        &self,
        conn: &mut AnyConnection,
        topic: Option<i64>,
        v: Versions,
        now: NaiveDateTime,
    ) -> Result<Arc<Head>, AppError> {
        if let Some(head) = self.heads.get(&topic).filter(|h| h.current(v, now)) {
            return Ok(head);
        }
        let (candidates, until) = cards::topic_head(conn, topic, now, CANDIDATES_PER_TOPIC)?;
        let head = Arc::new(Head {
            generation: v.generation,
            until,
            candidates,
        });
        self.heads.insert(topic, head.clone());
        Ok(head)
    }

    /// The newest public articles of `topic` (of every topic when `None`) at `now` after
    /// `after` (a cursor's time and id; newest first), `n` of them or all that are left, from
    /// the held head, as a listing's keys and cards; `None` when the head, which keeps only
    /// the [`CANDIDATES_PER_TOPIC`] newest, cannot tell.
    pub fn newest_page(
        &self,
        conn: &mut AnyConnection,
        topic: Option<i64>,
        v: Versions,
        now: NaiveDateTime,
        after: Option<(NaiveDateTime, i64)>,
        n: usize,
    ) -> Result<Option<Vec<HeldItem>>, AppError> {
        let head = self.head(conn, topic, v, now)?;
        let from = after.map_or(0, |after| {
            head.candidates
                .partition_point(|c| (c.published_at, c.id) >= after)
        });
        let rest = head.candidates.get(from..).unwrap_or_default();
        // A full head may leave out older articles the page would show.
        let full = i64::try_from(head.candidates.len()).is_ok_and(|n| n >= CANDIDATES_PER_TOPIC);
        if rest.len() < n && full {
            return Ok(None);
        }
        Ok(Some(
            rest.iter()
                .take(n)
                .map(|c| {
                    let key = ArticleKey {
                        id: c.id,
                        key: Key::Time(c.published_at),
                    };
                    (key, c.card.clone())
                })
                .collect(),
        ))
    }

    /// Automatic related picks for an article filed under `topics` (existing ones only), best
    /// first, with their cards: most topics shared, then newest. Candidates are the newest
    /// articles of each of its topics; `exclude` (the article itself, its curated picks) never
    /// appear.
    pub fn related_picks(
        &self,
        conn: &mut AnyConnection,
        topics: &[i64],
        exclude: &[i64],
        limit: usize,
        v: Versions,
        now: NaiveDateTime,
    ) -> Result<Vec<Arc<Card>>, AppError> {
        let heads = topics
            .iter()
            .map(|topic| self.head(conn, Some(*topic), v, now))
            .collect::<Result<Vec<_>, _>>()?;
        let best = rank(
            heads.iter().flat_map(|h| &h.candidates),
            topics,
            exclude,
            limit,
        );
        Ok(best.into_iter().map(|c| c.card.clone()).collect())
    }
}

/// The best `limit` of `candidates` for an article filed under `topics`, best first, by
/// (topics shared, published_at, id); none of `exclude`, each once.
fn rank<'a>(
    candidates: impl Iterator<Item = &'a Candidate>,
    topics: &[i64],
    exclude: &[i64],
    limit: usize,
) -> Vec<&'a Candidate> {
    // Kept sorted best first while the candidates (at most 50 per topic) stream past: a
    // handful of comparisons each, where sorting all of them took a tenth of a read's CPU.
    // An article found under several topics has the same key each time, so it is kept once.
    let mut best: Vec<(Rank, &Candidate)> = Vec::with_capacity(limit + 1);
    for c in candidates {
        if exclude.contains(&c.id) {
            continue;
        }
        let shared = c.topic_ids.iter().filter(|t| topics.contains(t)).count();
        let key = (shared, c.published_at, c.id);
        if best.len() == limit && best.last().is_some_and(|last| key <= last.0) {
            continue;
        }
        if let Err(at) = best.binary_search_by(|probe| key.cmp(&probe.0)) {
            best.insert(at, (key, c));
            best.truncate(limit);
        }
    }
    best.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidates with every set of topics among 1..=5 (the bits of their ids), of 101 ages
    /// (so that some tie on their date), a few of them twice, as the heads of several topics
    /// list them.
    fn candidates() -> Vec<Candidate> {
        let start = NaiveDateTime::default();
        let mut out = Vec::new();
        for id in 1..200_i64 {
            let topic_ids: Vec<i64> = (1..=5).filter(|t| (id >> (t - 1)) & 1 == 1).collect();
            let published_at = start + chrono::Duration::minutes((id * 37) % 101);
            let card = Arc::new(Card {
                article_id: id,
                author_ids: String::new(),
                topic_ids: String::new(),
                card: String::new(),
            });
            let c = Candidate {
                id,
                published_at,
                topic_ids,
                card,
            };
            if id % 9 == 0 {
                out.push(c.clone());
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn the_held_cards_grow_with_the_archive_between_16_and_64_mb() {
        let mb = |articles| held_cards_budget(articles) >> 20;
        assert_eq!(
            [mb(0), mb(100_000), mb(1_000_000), mb(u64::MAX)],
            [16, 16, 38, 64]
        );
    }

    #[test]
    fn ranking_keeps_the_best_as_a_full_sort_would() {
        let all = candidates();
        for topics in [
            vec![1],
            vec![2, 4],
            vec![1, 3, 5],
            vec![5, 4, 3, 2, 1],
            vec![9],
        ] {
            for limit in [1, 5, 20] {
                let exclude = [3, 18, 27];
                let mut sorted: Vec<(Rank, i64)> = all
                    .iter()
                    .filter(|c| !exclude.contains(&c.id))
                    .map(|c| {
                        let shared = c.topic_ids.iter().filter(|t| topics.contains(t)).count();
                        ((shared, c.published_at, c.id), c.id)
                    })
                    .collect();
                sorted.sort_by(|a, b| b.cmp(a));
                sorted.dedup();
                let expected: Vec<i64> = sorted.into_iter().take(limit).map(|(_, id)| id).collect();
                let ranked: Vec<i64> = rank(all.iter(), &topics, &exclude, limit)
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                assert_eq!(ranked, expected, "topics {topics:?}, limit {limit}");
            }
        }
    }
}
