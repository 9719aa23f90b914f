//! The cards of the articles listings, searches and curated lists show, and the leads searches
//! cut snippets from, held in memory for as long as the content generation they were read at
//! is current.
//!
//! Past the first pages (which the read model's newest articles serve), a listing reads its
//! cards by id, and a search its cards and leads: at 1M articles 40 random rows a page, a
//! B-tree descent and a 4 KB page copied out of the OS cache each, 30 % of a search's CPU.
//! Searches keep finding the same articles (a recent story whose title has a common word
//! ranks high for every query with that word): in 3,000 of the benchmark's random queries at
//! 1M, 59,200 hits of 21,818 articles. So they are held, weighed in bytes: 16 MB, about 6,500
//! articles with their leads, saves 57 % of those reads at 1M and 22-27 % of a search's CPU at
//! 100k, for ~20 MB of resident memory; larger archives hold more
//! ([`held_cards_budget`](super::read_model::held_cards_budget)). `quick_cache`, not moka as
//! the other caches: moka's look-ups (~1.5 µs each, its bookkeeping) took a quarter of what
//! holding saved.
//!
//! Checked as the read model's heads are: an entry is used only at the content generation it
//! was read at, and the generation comes back with the first rows a request reads (the cards
//! not held), so a request that starts after a write never shows what it changed. Entries are
//! only ever cards that were public when read: an article stays public until a write
//! unpublishes or reschedules it, which moves the generation.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDateTime;

use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::cards::{self, Card, Versions};
use crate::telemetry::metrics::HitMiss;

/// What an entry costs beyond its text: its structs and the cache's bookkeeping.
const ENTRY_OVERHEAD: usize = 192;

/// A public article's card, and its lead once a search needed it, as read at `generation`.
#[derive(Debug)]
struct Held {
    generation: i64,
    card: Arc<Card>,
    lead: Option<Arc<str>>,
}

/// An entry's weight: its bytes, roughly.
#[derive(Debug, Clone)]
struct Bytes;

impl quick_cache::Weighter<i64, Arc<Held>> for Bytes {
    fn weight(&self, _id: &i64, held: &Arc<Held>) -> u64 {
        let card = &held.card;
        let bytes = ENTRY_OVERHEAD
            + card.card.len()
            + card.author_ids.len()
            + card.topic_ids.len()
            + held.lead.as_ref().map_or(0, |l| l.len());
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }
}

/// What an entry weighs on average, with a lead (to size the cache's table).
const TYPICAL_ENTRY: u64 = 2_400;

/// Cards and leads held by article id; one per process.
#[derive(Debug)]
pub struct HeldCards {
    held: quick_cache::sync::Cache<i64, Arc<Held>, Bytes>,
    /// The newest generation a request has read: entries of an older one are not even tried.
    generation: AtomicI64,
}

impl HeldCards {
    /// Holds up to `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        HeldCards {
            held: quick_cache::sync::Cache::with_weighter(
                usize::try_from(max_bytes / TYPICAL_ENTRY).unwrap_or(usize::MAX),
                max_bytes,
                Bytes,
            ),
            generation: AtomicI64::new(i64::MIN),
        }
    }

    /// The cards of those of `ids` public at `now`, in no particular order, with the versions
    /// read with them, as [`cards::public_cards_with_versions`] reads them (those held at the
    /// generation read are not read again), and the leads held with them.
    pub fn public_cards(
        &self,
        conn: &mut AnyConnection,
        ids: &[i64],
        now: NaiveDateTime,
    ) -> Result<Shown, AppError> {
        let seen = self.generation.load(Ordering::Relaxed);
        let mut held = Vec::with_capacity(ids.len());
        let mut missing = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.held.get(&id).filter(|h| h.generation == seen) {
                Some(h) => held.push(h),
                None => missing.push(id),
            }
        }
        let (mut read, versions) = cards::public_cards_with_versions(conn, &missing, now)?;
        HELD.counter(true).increment(count(held.len()));
        HELD.counter(false).increment(count(missing.len()));
        self.generation
            .fetch_max(versions.generation, Ordering::Relaxed);
        let mut shown = Shown {
            cards: Vec::with_capacity(ids.len()),
            versions,
            leads: Vec::new(),
        };
        if held.iter().all(|h| h.generation == versions.generation) {
            for h in held {
                shown.cards.push(h.card.clone());
                if let Some(lead) = &h.lead {
                    shown.leads.push((h.card.article_id, lead.clone()));
                }
            }
        } else {
            // A write committed since `seen` was read: what was held is read again.
            let stale: Vec<i64> = held.iter().map(|h| h.card.article_id).collect();
            read.extend(cards::public_cards(conn, &stale, now)?);
        }
        for card in read {
            let card = Arc::new(card);
            // Tagged with the generation read with (or before) it: a write in between makes
            // the entry newer than its tag, never older.
            self.hold(card.clone(), versions.generation, None);
            shown.cards.push(card);
        }
        Ok(shown)
    }

    /// The leads of those of `ids` that have one: the ones `shown` holds, the rest read and
    /// held beside their cards.
    pub fn leads(
        &self,
        conn: &mut AnyConnection,
        shown: &Shown,
        ids: &[i64],
    ) -> Result<Vec<(i64, Arc<str>)>, AppError> {
        let mut out = shown.leads.clone();
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !out.iter().any(|(held, _)| held == id))
            .collect();
        for (id, lead) in cards::leads(conn, &missing)? {
            let lead: Arc<str> = Arc::from(lead);
            if let Some(card) = shown.cards.iter().find(|c| c.article_id == id) {
                self.hold(card.clone(), shown.versions.generation, Some(lead.clone()));
            }
            out.push((id, lead));
        }
        Ok(out)
    }

    /// What is held: bytes (as weighed) and entries.
    pub fn size(&self) -> (u64, u64) {
        (self.held.weight(), count(self.held.len()))
    }

    fn hold(&self, card: Arc<Card>, generation: i64, lead: Option<Arc<str>>) {
        let id = card.article_id;
        let entry = Held {
            generation,
            card,
            lead,
        };
        self.held.insert(id, Arc::new(entry));
    }
}

/// The cards a listing shows, the versions read with them, and the leads held with them.
#[derive(Debug)]
pub struct Shown {
    pub cards: Vec<Arc<Card>>,
    pub versions: Versions,
    leads: Vec<(i64, Arc<str>)>,
}

/// Cards found held at the current generation (a write since makes them read again, counted
/// as hits all the same) or read.
static HELD: HitMiss = HitMiss::new("headline_held_cards_total");

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
