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
//! URL, not one per request.
//!
//! Memory is bounded by `HEADLINE_CACHE_MAX_MB`: when full, the least recently used responses
//! are dropped (down to three quarters of the budget).
//!
//! This layer also answers `If-None-Match` and compresses every public response (cached or
//! not, as [`super::encoding`] explains); an entry keeps each coding's bytes beside its body,
//! counted in the budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tokio::sync::watch;

use crate::api::encoding::Coding;
use crate::api::respond::none_match_hits;
use crate::db::Db;
use crate::db::schema::{articles, content_version};
use crate::error::AppError;
use crate::models::articles::ArticleStatus;
use crate::startup::AppState;

/// Largest single body worth keeping.
const MAX_ENTRY: usize = 1024 * 1024;

struct Entry {
    body: web::Bytes,
    etag: HeaderValue,
    cache_control: HeaderValue,
    /// Each compressed coding's body and ETag ([`Coding::COMPRESSED`] order), made the first
    /// time a request asks for that coding.
    encoded: [OnceLock<(web::Bytes, HeaderValue)>; 4],
    /// The cache's tick at the last hit (or the insert): eviction takes the oldest first.
    last_used: AtomicU64,
}

impl Entry {
    fn new(body: web::Bytes, etag: HeaderValue, cache_control: HeaderValue) -> Self {
        Entry {
            body,
            etag,
            cache_control,
            encoded: Default::default(),
            last_used: AtomicU64::new(0),
        }
    }

    /// The bytes it holds: the body and every coding made so far.
    fn weight(&self) -> usize {
        self.body.len()
            + self
                .encoded
                .iter()
                .filter_map(|c| c.get())
                .map(|(body, _)| body.len())
                .sum::<usize>()
    }

    /// The ETag of `coding`'s representation (no body needed: a 304 sends none).
    fn etag_of(&self, coding: Coding) -> Option<HeaderValue> {
        match coding {
            Coding::Identity => Some(self.etag.clone()),
            coding => self
                .etag
                .to_str()
                .ok()
                .and_then(|tag| HeaderValue::from_str(&coding.etag(tag)).ok()),
        }
    }

    /// `coding`'s body and ETag, made now if no request has asked for it before. `cached` is
    /// the cache and key when the entry may be in the cache, whose byte count then grows.
    fn encoded(
        &self,
        coding: Coding,
        cached: Option<(&ResponseCache, &str)>,
    ) -> (web::Bytes, HeaderValue) {
        let Some(i) = coding.index() else {
            return (self.body.clone(), self.etag.clone());
        };
        if let Some(made) = self.encoded[i].get() {
            return made.clone();
        }
        let (Ok(body), Some(etag)) = (coding.encode(&self.body), self.etag_of(coding)) else {
            // Writing into memory does not fail; were it to, the body goes out as it is.
            return (self.body.clone(), self.etag.clone());
        };
        let made = (body, etag);
        match cached {
            // Set under the store's lock, so that eviction's weights and the count agree.
            Some((cache, key)) => {
                let mut store = cache.store.write().unwrap_or_else(|e| e.into_inner());
                let held = store.map.get(key).is_some_and(|e| std::ptr::eq(&**e, self));
                if self.encoded[i].set(made.clone()).is_ok() && held {
                    store.bytes += made.0.len();
                }
            }
            None => {
                let _ = self.encoded[i].set(made.clone());
            }
        }
        made
    }
}

/// The entries and the bytes they hold (bodies and keys), changed together under one lock.
#[derive(Default)]
struct Store {
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

impl Store {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    /// Drops least recently used entries until `bytes <= target`. An approximate LRU: ticks
    /// are stamped without a lock and eviction sorts the whole map, which is cheap because it
    /// frees a quarter of the budget each time and so runs rarely.
    fn evict_to(&mut self, target: usize) {
        let mut by_age: Vec<(u64, usize, String)> = self
            .map
            .iter()
            .map(|(k, e)| {
                (
                    e.last_used.load(Ordering::Relaxed),
                    k.len() + e.weight(),
                    k.clone(),
                )
            })
            .collect();
        by_age.sort_unstable_by_key(|(tick, _, _)| *tick);
        for (_, size, key) in by_age {
            if self.bytes <= target {
                break;
            }
            self.map.remove(&key);
            self.bytes -= size;
            metrics::counter!("headline_cache_evictions_total").increment(1);
        }
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
    store: RwLock<Store>,
    max_bytes: usize,
    /// A logical clock of hits, for least-recently-used eviction.
    ticks: AtomicU64,
    /// Set while one request checks the database for the interval's sync; the others go on
    /// with the state they have instead of all asking at once.
    syncing: AtomicBool,
    sync: Mutex<Sync>,
    interval: Duration,
    /// Keys whose response one request is making now; the receiver wakes when it is done.
    in_flight: Mutex<HashMap<String, watch::Receiver<()>>>,
}

/// A request's turn on a missed key.
enum Turn<'a> {
    /// Make the response; others wait until this guard drops.
    Lead(Flight<'a>),
    /// Another request is making it: wait, then look again.
    Follow(watch::Receiver<()>),
}

/// The leader's claim on a key. Dropping it (done, failed or cancelled) frees the key and then,
/// as `_done` drops, wakes the followers.
struct Flight<'a> {
    cache: &'a ResponseCache,
    key: String,
    _done: watch::Sender<()>,
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
        ResponseCache {
            store: RwLock::new(Store::default()),
            max_bytes,
            ticks: AtomicU64::new(0),
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
        }
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
            _done: tx,
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
    pub fn size(&self) -> (usize, usize) {
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        (store.bytes, store.map.len())
    }

    fn clear(&self) {
        self.store
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entry = self
            .store
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .get(key)
            .cloned()?;
        let tick = self.ticks.fetch_add(1, Ordering::Relaxed);
        entry.last_used.store(tick, Ordering::Relaxed);
        Some(entry)
    }

    /// Keeps a response made at `token`, unless content changed while it was being made
    /// (`local_writes` is this instance's count of content writes now). When the budget is
    /// full, the least recently used entries make room down to three quarters of it.
    fn put(&self, key: String, entry: Arc<Entry>, token: (i64, u64), local_writes: u64) {
        let size = entry.weight() + key.len();
        if size > MAX_ENTRY.min(self.max_bytes) {
            return;
        }
        // Held while inserting, so a sync cannot empty the cache between the check and the
        // insert and leave this (then stale) response behind. Lock order: sync, then store.
        let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if (sync.generation, sync.local_writes) != token || local_writes != token.1 {
            return;
        }
        let mut store = self.store.write().unwrap_or_else(|e| e.into_inner());
        if store.bytes + size > self.max_bytes {
            store.evict_to((self.max_bytes / 4 * 3).saturating_sub(size));
        }
        entry.last_used.store(
            self.ticks.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let key_len = key.len();
        if let Some(old) = store.map.insert(key, entry) {
            store.bytes -= key_len + old.weight();
        }
        store.bytes += size;
        drop(store);
        drop(sync);
    }
}

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// A public response in the client's coding, or a 304 when `If-None-Match` names any
/// representation of its body. `x_cache` is set when the cache is on.
fn represent(
    entry: &Entry,
    coding: Coding,
    not_modified: bool,
    x_cache: Option<&'static str>,
    cached: Option<(&ResponseCache, &str)>,
) -> HttpResponse {
    let mut res = if not_modified {
        let mut res = HttpResponse::NotModified().finish();
        if let Some(etag) = entry.etag_of(coding) {
            res.headers_mut().insert(header::ETAG, etag);
        }
        res
    } else {
        let (body, etag) = entry.encoded(coding, cached);
        let mut res = HttpResponse::Ok();
        res.content_type("application/json")
            .insert_header((header::ETAG, etag));
        if coding != Coding::Identity {
            res.insert_header((header::CONTENT_ENCODING, coding.token()));
        }
        res.body(body)
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, entry.cache_control.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(status) = x_cache {
        headers.insert(X_CACHE, HeaderValue::from_static(status));
    }
    res
}

/// The hit or miss counter, registered once: looking a series up by its labels on every
/// request showed in the profile of a cached read.
fn cache_counter(hit: bool) -> &'static metrics::Counter {
    static HIT: OnceLock<metrics::Counter> = OnceLock::new();
    static MISS: OnceLock<metrics::Counter> = OnceLock::new();
    if hit {
        HIT.get_or_init(|| metrics::counter!("headline_cache_requests_total", "result" => "hit"))
    } else {
        MISS.get_or_init(|| metrics::counter!("headline_cache_requests_total", "result" => "miss"))
    }
}

/// A cache hit.
fn hit(
    req: ServiceRequest,
    entry: &Entry,
    cache: &ResponseCache,
    key: &str,
) -> ServiceResponse<BoxBody> {
    cache_counter(true).increment(1);
    let not_modified = entry
        .etag
        .to_str()
        .is_ok_and(|etag| none_match_hits(req.headers().get_all(header::IF_NONE_MATCH), etag));
    let res = represent(
        entry,
        Coding::negotiate(&req),
        not_modified,
        Some("hit"),
        Some((cache, key)),
    );
    req.into_response(res)
}

/// Middleware (wrap the app with `from_fn`): for Content API reads, serves cached responses,
/// caches new ones, answers `If-None-Match` and compresses.
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let path = req.path();
    let content_api = super::is_content_api(path)
        // Draft previews are private: never kept, never served from the cache.
        && !path.starts_with("/api/v1/preview/");
    let Some(state) = state.filter(|_| content_api && req.method() == Method::GET) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let coding = Coding::negotiate(&req);
    let key = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let cache = &state.cache;
    let mut token = None;
    let mut flight = None;
    if state.settings.cache {
        match cache.refresh(&state.db, state.clock.now()).await {
            Ok(t) => token = Some(t),
            // Without a known generation nothing may be served from the cache.
            Err(e) => tracing::warn!(error = %e, "response cache could not sync; bypassing it"),
        }
    }
    if token.is_some() {
        if let Some(entry) = cache.get(&key) {
            return Ok(hit(req, &entry, cache, &key));
        }
        match cache.turn(&key) {
            Turn::Lead(lead) => flight = Some(lead),
            Turn::Follow(mut done) => {
                // Wakes when the leader's claim drops; its response is cached by then, unless
                // it was not cacheable (an error) or content changed meanwhile: then make our
                // own.
                let _ = done.changed().await;
                if let Some(entry) = cache.get(&key) {
                    return Ok(hit(req, &entry, cache, &key));
                }
            }
        }
    }
    let x_cache = state.settings.cache.then_some("miss");
    if x_cache.is_some() {
        cache_counter(false).increment(1);
    }

    // The handler makes the full response even for a revalidation, so that it can be kept and
    // compressed; the condition is answered here. (A 304 from the handler could not be cached,
    // and a URL that clients only ever revalidate would never be cached again once evicted.)
    let mut req = req;
    let conditions: Vec<HeaderValue> = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .cloned()
        .collect();
    req.headers_mut().remove(header::IF_NONE_MATCH);
    let res = next.call(req).await?;
    let public = res.status() == StatusCode::OK
        && res.headers().contains_key(header::ETAG)
        && res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("public"));
    if !public {
        // Errors: actix's Compress encodes them on the way out.
        let mut res = res.map_into_boxed_body();
        if let Some(status) = x_cache {
            res.headers_mut()
                .insert(X_CACHE, HeaderValue::from_static(status));
        }
        return Ok(res);
    }
    let (http_req, http_res) = res.into_parts();
    let (head, body) = http_res.into_parts();
    let body = actix_web::body::to_bytes(body).await.map_err(|e| {
        AppError::internal(format!("response body could not be read: {}", e.into()))
    })?;
    let (Some(etag), Some(cache_control)) = (
        head.headers().get(header::ETAG).cloned(),
        head.headers().get(header::CACHE_CONTROL).cloned(),
    ) else {
        return Ok(ServiceResponse::new(
            http_req,
            head.set_body(BoxBody::new(body)),
        ));
    };
    let not_modified = etag
        .to_str()
        .is_ok_and(|etag| none_match_hits(&conditions, etag));
    let entry = Arc::new(Entry::new(body, etag, cache_control));
    let cached = if let Some(token) = token {
        cache.put(
            key.clone(),
            entry.clone(),
            token,
            state.db.local_content_writes(),
        );
        Some((cache, key.as_str()))
    } else {
        None
    };
    let res = represent(&entry, coding, not_modified, x_cache, cached);
    drop(flight);
    Ok(ServiceResponse::new(http_req, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(len: usize) -> Arc<Entry> {
        Arc::new(Entry::new(
            web::Bytes::from(vec![b'x'; len]),
            HeaderValue::from_static("\"e\""),
            HeaderValue::from_static("public, max-age=60"),
        ))
    }

    /// The state a fresh cache accepts entries at.
    const FRESH: (i64, u64) = (-1, 0);

    #[test]
    fn a_full_cache_drops_the_least_recently_used_first() {
        // Keys are 1 byte: each entry weighs 100 bytes against a budget of 300.
        let cache = ResponseCache::new(Duration::ZERO, 300);
        for key in ["a", "b", "c"] {
            cache.put(key.into(), response(99), FRESH, 0);
        }
        assert!(cache.get("a").is_some(), "a is now the most recently used");
        cache.put("d".into(), response(99), FRESH, 0);
        // Room was made down to 3/4 of the budget: b and c (least recently used) went.
        assert!(cache.get("b").is_none());
        assert!(cache.get("c").is_none());
        assert!(cache.get("a").is_some());
        assert!(cache.get("d").is_some());
        let store = cache.store.read().expect("lock");
        assert_eq!(store.bytes, 200);
    }

    #[test]
    fn replacing_an_entry_keeps_the_byte_count_right() {
        let cache = ResponseCache::new(Duration::ZERO, 1000);
        cache.put("a".into(), response(99), FRESH, 0);
        cache.put("a".into(), response(49), FRESH, 0);
        assert_eq!(cache.store.read().expect("lock").bytes, 50);
    }

    #[test]
    fn responses_made_before_a_change_are_not_kept() {
        let cache = ResponseCache::new(Duration::ZERO, 1000);
        // Made before this instance's latest write, or at another generation.
        cache.put("a".into(), response(10), FRESH, 1);
        cache.put("b".into(), response(10), (7, 0), 0);
        // Too large for the budget.
        cache.put("c".into(), response(2000), FRESH, 0);
        assert!(cache.get("a").is_none() && cache.get("b").is_none() && cache.get("c").is_none());
    }

    #[test]
    fn compressed_codings_count_against_the_budget() {
        let cache = ResponseCache::new(Duration::ZERO, 10_000);
        cache.put("a".into(), response(999), FRESH, 0);
        let entry = cache.get("a").expect("cached");
        let (gzip, etag) = entry.encoded(Coding::Gzip, Some((&cache, "a")));
        assert_eq!(etag, "\"e-gzip\"");
        assert_eq!(cache.store.read().expect("lock").bytes, 1000 + gzip.len());
        // Made once: a second request reuses the bytes and counts nothing more.
        entry.encoded(Coding::Gzip, Some((&cache, "a")));
        assert_eq!(cache.store.read().expect("lock").bytes, 1000 + gzip.len());
        // Replacing the entry takes its codings out of the count too.
        cache.put("a".into(), response(99), FRESH, 0);
        assert_eq!(cache.store.read().expect("lock").bytes, 100);
    }
}
