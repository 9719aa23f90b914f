//! The in-process response cache of the Content API.
//!
//! Hot Content API responses (status 200, with an ETag) are kept as bytes, keyed by path and
//! query. A hit answers without the database: the body, or a 304 when `If-None-Match` matches.
//!
//! Invalidation, correct across instances sharing one database:
//! - every content write bumps the `content_version` row in its own transaction
//!   ([`Db::write_content`]);
//! - an instance compares that generation with the one its entries were made at, at most every
//!   `HEADLINE_CACHE_SYNC_MS` (default 500 ms; 0 checks on every request), and at once after
//!   its own writes; a new generation empties the cache;
//! - scheduled articles change responses with no write: the earliest future `published_at` is
//!   read at each sync, and the cache empties when that moment passes.
//!
//! So a write is visible at once on the instance that made it and within the sync interval on
//! the others — well inside the `Cache-Control: max-age` the same responses carry.
//!
//! Concurrent misses on one key are coalesced: the first request makes the response and the
//! others wait for it, so a burst after a write (or at start) costs the database one query per
//! URL, not one per request. (moka's `get_with` coalesces only values it keeps; a response
//! that is not kept, an error or a stale one, must still reach each waiter, who then makes
//! its own, so the in-flight map here stays.)
//!
//! Memory is bounded by `HEADLINE_CACHE_MAX_MB`: the store is a `moka` cache weighed in bytes
//! (keys, bodies and codings), which admits and evicts by TinyLFU, so that a scan of the long
//! tail does not push the hot stories out. Bodies are kept packed until they are hot
//! (`entry`), so the budget holds about 2.5 times as many; once it is full, a URL is offered
//! to the store on its second miss only (`doorkeeper`).
//!
//! A response that is costly to make (a handler says so with [`Costly`]: searches) is kept in
//! a share of the budget of its own, [`COSTLY_SHARE`]. In one store TinyLFU weighs a search
//! as it weighs an article, by how often it is asked for, although making it again costs
//! several times as much (~500 µs against ~80 µs at 100k articles): in the benchmark's mix,
//! where searches are one request in twenty, the long tail of articles pushed most of them
//! out, and they were a third of the server's time.
//!
//! This layer also answers `If-None-Match` and compresses every public response (cached or
//! not, as [`super::encoding`] explains); an entry keeps each coding's bytes beside its body,
//! counted in the budget.

mod doorkeeper;
mod entry;
mod layer;

pub use layer::layer;

use doorkeeper::Doorkeeper;
use entry::Entry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use tokio::sync::watch;

use crate::db::Db;
use crate::db::schema::{articles, content_version};
use crate::error::AppError;
use crate::models::articles::ArticleStatus;

/// Largest single body worth keeping.
const MAX_ENTRY: usize = 1024 * 1024;

/// The part of the budget kept for costly responses.
const COSTLY_SHARE: usize = 4;

/// A response extension by which a handler marks its response as costly to make again: the
/// cache keeps it in the share of its budget that only such responses compete for.
#[derive(Debug, Clone, Copy)]
pub struct Costly;

/// One part of the budget: a moka cache weighed in bytes.
struct Store {
    entries: moka::sync::Cache<String, Arc<Entry>>,
    max_bytes: usize,
}

impl Store {
    fn new(max_bytes: usize) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(u64::try_from(max_bytes).unwrap_or(u64::MAX))
            .weigher(|key: &String, entry: &Arc<Entry>| {
                u32::try_from(key.len() + entry.weight()).unwrap_or(u32::MAX)
            })
            .eviction_listener(|_, _, cause| {
                if cause == RemovalCause::Size {
                    metrics::counter!("headline_cache_evictions_total").increment(1);
                }
            })
            .build();
        Store { entries, max_bytes }
    }

    /// Whether it has room to spare: a response is then kept on its first miss.
    fn has_room(&self) -> bool {
        let room = u64::try_from(self.max_bytes / 8 * 7).unwrap_or(u64::MAX);
        self.entries.weighted_size() < room
    }
}

/// Where this instance stands against the database.
struct Sync {
    generation: i64,
    local_writes: u64,
    checked: Option<Instant>,
    next_scheduled: Option<NaiveDateTime>,
    /// Content-write notifications received (PostgreSQL's `NOTIFY`): a sync that began
    /// before one must not mark the cache current.
    notified: u64,
}

pub struct ResponseCache {
    /// Responses by key, weighed in bytes: most of them, and the costly ones.
    store: Store,
    costly: Store,
    /// Set while one request checks the database for the interval's sync; the others go on
    /// with the state they have instead of all asking at once.
    syncing: AtomicBool,
    sync: Mutex<Sync>,
    interval: Duration,
    /// Keys whose response one request is making now; the receiver wakes when it is done.
    in_flight: Mutex<HashMap<String, watch::Receiver<()>>>,
    doorkeeper: Doorkeeper,
}

/// A request's turn on a missed key.
enum Turn<'a> {
    /// Make the response; others wait until this guard drops.
    Lead(Flight<'a>),
    /// Another request is making it: wait, then look again.
    Follow(watch::Receiver<()>),
}

/// The leader's claim on a key. Dropping it (done, failed or cancelled) frees the key and then,
/// as `done` drops, wakes the followers.
struct Flight<'a> {
    cache: &'a ResponseCache,
    key: String,
    done: watch::Sender<()>,
}

impl Flight<'_> {
    /// Whether other requests wait for this response (the in-flight map holds one receiver).
    fn followed(&self) -> bool {
        self.done.receiver_count() > 1
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.cache
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

impl ResponseCache {
    /// A cache that syncs with the database every `interval` and keeps at most `max_bytes` of
    /// bodies and keys.
    pub fn new(interval: Duration, max_bytes: usize) -> Self {
        let costly = max_bytes / COSTLY_SHARE;
        ResponseCache {
            store: Store::new(max_bytes - costly),
            costly: Store::new(costly),
            syncing: AtomicBool::new(false),
            sync: Mutex::new(Sync {
                generation: -1,
                local_writes: 0,
                checked: None,
                next_scheduled: None,
                notified: 0,
            }),
            interval,
            in_flight: Mutex::new(HashMap::new()),
            doorkeeper: Doorkeeper::default(),
        }
    }

    /// The store a response goes to.
    fn store(&self, costly: bool) -> &Store {
        if costly { &self.costly } else { &self.store }
    }

    /// Whether a response made for `key` is worth packing and offering to its store: always
    /// while the store has room, else on the key's second recent miss, or when other requests
    /// wait for it (`followed`: they would otherwise each make their own).
    fn admits(&self, key: &str, costly: bool, followed: bool) -> bool {
        self.store(costly).has_room() || followed || self.doorkeeper.missed_before(key)
    }

    /// Leads the making of `key`'s response, or follows the request already making it.
    fn turn(&self, key: &str) -> Turn<'_> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rx) = in_flight.get(key) {
            return Turn::Follow(rx.clone());
        }
        let (tx, rx) = watch::channel(());
        in_flight.insert(key.to_owned(), rx);
        Turn::Lead(Flight {
            cache: self,
            key: key.to_owned(),
            done: tx,
        })
    }

    /// Another instance committed a content write (PostgreSQL told us): empty the cache now,
    /// and make the next request sync before anything is kept again. Responses being made
    /// meanwhile carry the old generation and are not kept.
    pub fn content_changed_elsewhere(&self) {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        sync.notified += 1;
        sync.generation = -1;
        sync.checked = None;
        self.clear();
        drop(sync);
    }

    /// Bytes held and entries, for `/metrics`.
    pub fn size(&self) -> (u64, u64) {
        let (mut bytes, mut entries) = (0, 0);
        for store in [&self.store, &self.costly] {
            // Counts lag behind inserts until moka's housekeeping runs: run it now (a scrape
            // is rare).
            store.entries.run_pending_tasks();
            bytes += store.entries.weighted_size();
            entries += store.entries.entry_count();
        }
        (bytes, entries)
    }

    fn clear(&self) {
        self.store.entries.invalidate_all();
        self.costly.entries.invalidate_all();
    }

    /// Brings the cache up to date (emptying it when content changed) and returns the token
    /// of the state a response made now reflects. Asks the database only when the interval
    /// has passed, this instance wrote, or a scheduled article's time has come.
    async fn refresh(&self, db: &Db, now: NaiveDateTime) -> Result<(i64, u64), AppError> {
        let local_writes = db.local_content_writes();
        // Must this request sync (its own instance wrote, a scheduled time passed, or nothing
        // is known yet), or may one request sync for everyone (the interval passed)?
        let (must, may) = {
            let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            if sync.next_scheduled.is_some_and(|at| at <= now) {
                // Responses made before this moment may omit an article that is now public.
                drop(sync);
                self.clear();
                (true, true)
            } else {
                (
                    sync.local_writes != local_writes
                        || sync.checked.is_none()
                        || self.interval.is_zero(),
                    sync.checked.is_some_and(|at| at.elapsed() >= self.interval),
                )
            }
        };
        let single_flight = !must
            && may
            && self
                .syncing
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
        if !must && !single_flight {
            let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            return Ok((sync.generation, sync.local_writes));
        }
        let result = self.sync_now(db, now, local_writes).await;
        if single_flight {
            self.syncing.store(false, Ordering::SeqCst);
        }
        result
    }

    async fn sync_now(
        &self,
        db: &Db,
        now: NaiveDateTime,
        local_writes: u64,
    ) -> Result<(i64, u64), AppError> {
        let notified = self.sync.lock().unwrap_or_else(|e| e.into_inner()).notified;
        let (generation, next_scheduled, head) = db
            .run(move |conn| {
                let generation: i64 = content_version::table
                    .select(content_version::generation)
                    .first(conn)?;
                let next: Option<NaiveDateTime> = articles::table
                    .filter(articles::status.eq(ArticleStatus::Published))
                    .filter(articles::published_at.gt(now))
                    .select(diesel::dsl::min(articles::published_at))
                    .first(conn)?;
                Ok((generation, next, crate::models::changes::head(conn)?))
            })
            .await?;
        // Searches made from now on wait for the index to apply what this read saw (another
        // process's writes, when no notification told us): a search page kept at this
        // generation reflects the same writes as every other page.
        db.change_head().advance(head);
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if sync.notified != notified {
            // Another instance wrote while this looked: what it read may be older already.
            // Nothing made now is kept (no generation is this one); the next request syncs
            // again.
            return Ok((i64::MIN, local_writes));
        }
        if sync.generation != generation {
            self.clear();
        }
        *sync = Sync {
            generation,
            local_writes,
            checked: Some(Instant::now()),
            next_scheduled,
            notified,
        };
        Ok((generation, local_writes))
    }

    /// The entry held for `key`, in either store (the shared one first: it has most hits).
    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        (self.store.entries.get(key)).or_else(|| self.costly.entries.get(key))
    }

    /// Keeps a response made at `token` in its store, unless content changed while it was
    /// being made (`local_writes` is this instance's count of content writes now).
    fn put(
        &self,
        key: String,
        entry: Arc<Entry>,
        costly: bool,
        token: (i64, u64),
        local_writes: u64,
    ) {
        let store = self.store(costly);
        if entry.weight() + key.len() > MAX_ENTRY.min(store.max_bytes) {
            return;
        }
        // Held while inserting, so a sync cannot empty the cache between the check and the
        // insert and leave this (then stale) response behind.
        let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if (sync.generation, sync.local_writes) != token || local_writes != token.1 {
            return;
        }
        store.entries.insert(key, entry);
        drop(sync);
    }

    /// Weighs `key`'s entry again after it gained a coding, if `entry` is still the one held
    /// (not replaced, evicted or emptied out since it was read).
    fn reweigh(&self, key: &str, entry: &Entry) {
        for store in [&self.store, &self.costly] {
            store
                .entries
                .entry_by_ref(key)
                .and_compute_with(|held| match held {
                    Some(held) if std::ptr::eq(&**held.value(), entry) => {
                        Op::Put(held.into_value())
                    }
                    _ => Op::Nop,
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::encoding::Coding;
    use actix_web::http::header::HeaderValue;
    use actix_web::web;

    fn response(len: usize) -> Arc<Entry> {
        Arc::new(Entry::new(
            web::Bytes::from(vec![b'x'; len]),
            HeaderValue::from_static("\"e\""),
            HeaderValue::from_static("public, max-age=60"),
        ))
    }

    /// Puts an entry weighing `weight` bytes with `key`: its body is what the key and the
    /// entry's overhead leave.
    fn put(cache: &ResponseCache, key: &str, weight: usize, costly: bool) {
        let entry = response(weight - key.len() - entry::OVERHEAD);
        cache.put(key.to_owned(), entry, costly, FRESH, 0);
    }

    /// The state a fresh cache accepts entries at.
    const FRESH: (i64, u64) = (-1, 0);

    /// The bytes the cache holds once moka has applied what is pending.
    fn bytes(cache: &ResponseCache) -> usize {
        usize::try_from(cache.size().0).unwrap_or(usize::MAX)
    }

    #[test]
    fn an_entry_weighs_its_key_body_and_overhead() {
        let cache = ResponseCache::new(Duration::ZERO, 100_000);
        cache.put("/key".into(), response(1_000), false, FRESH, 0);
        assert_eq!(bytes(&cache), 4 + 1_000 + entry::OVERHEAD);
    }

    #[test]
    fn a_full_cache_stays_within_its_budget() {
        // Each entry weighs 1,000 bytes against the 7,500 of a budget of 10,000 that responses
        // other than costly ones share.
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        for i in 10..40 {
            put(&cache, &i.to_string(), 1_000, false);
            assert!(bytes(&cache) <= 7_500);
        }
        assert_eq!(cache.size().1, 7);
    }

    #[test]
    fn costly_responses_keep_a_share_of_the_budget_of_their_own() {
        // A quarter of 10,000 bytes for costly responses, the rest for the others.
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        put(&cache, "s", 1_000, true);
        for i in 10..40 {
            put(&cache, &i.to_string(), 1_000, false);
        }
        assert!(cache.get("s").is_some(), "not pushed out by the others");
        assert!(bytes(&cache) <= 10_000);
        assert_eq!(cache.size().1, 8);
        // Each share bounds its own entries: 3,000 bytes fit only the larger one.
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        put(&cache, "a", 3_000, true);
        assert!(cache.get("a").is_none());
        put(&cache, "a", 3_000, false);
        assert!(cache.get("a").is_some());
    }

    #[test]
    fn replacing_an_entry_keeps_the_byte_count_right() {
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        put(&cache, "a", 2_000, false);
        put(&cache, "a", 1_000, false);
        assert_eq!(bytes(&cache), 1_000);
    }

    #[test]
    fn a_full_cache_keeps_a_url_on_its_second_miss_or_when_awaited() {
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        assert!(cache.admits("/first", false, false), "room: kept at once");
        // Past 7/8 of the 7,500 bytes that responses other than costly ones share.
        put(&cache, "a", 6_600, false);
        assert_eq!(bytes(&cache), 6_600);
        assert!(!cache.admits("/first", false, false));
        assert!(cache.admits("/first", false, false), "missed again");
        assert!(cache.admits("/other", false, true), "others wait for it");
        assert!(cache.admits("/search", true, false), "costly: own room");
    }

    #[test]
    fn responses_made_before_a_change_are_not_kept() {
        let cache = ResponseCache::new(Duration::ZERO, 1000);
        // Made before this instance's latest write, or at another generation.
        cache.put("a".into(), response(10), false, FRESH, 1);
        cache.put("b".into(), response(10), false, (7, 0), 0);
        // Too large for the budget.
        cache.put("c".into(), response(2000), false, FRESH, 0);
        assert!(cache.get("a").is_none() && cache.get("b").is_none() && cache.get("c").is_none());
    }

    #[test]
    fn compressed_codings_count_against_the_budget() {
        let cache = ResponseCache::new(Duration::ZERO, 100_000);
        put(&cache, "a", 1_000, false);
        let entry = cache.get("a").expect("cached");
        let (gzip, etag) = entry
            .encoded(Coding::Gzip, Some((&cache, "a")))
            .expect("made");
        assert_eq!(etag, "\"e-gzip\"");
        assert_eq!(bytes(&cache), 1000 + gzip.len());
        // Made once: a second request reuses the bytes and counts nothing more.
        entry.encoded(Coding::Gzip, Some((&cache, "a")));
        assert_eq!(bytes(&cache), 1000 + gzip.len());
        // Replacing the entry takes its codings out of the count too, and a coding made for
        // the old entry afterwards does not bring it back.
        put(&cache, "a", 600, false);
        entry.encoded(Coding::Brotli, Some((&cache, "a")));
        assert_eq!(bytes(&cache), 600);
        // Nor after the cache is emptied.
        cache.clear();
        let new = cache.get("a");
        assert!(new.is_none());
        entry.encoded(Coding::Zstd, Some((&cache, "a")));
        assert_eq!(bytes(&cache), 0);
    }
}
