//! Prometheus metrics and `GET /metrics`.
//!
//! Counted where they happen, through the `metrics` facade (atomics, no locks on the hot path):
//! - `headline_http_requests_total` and `headline_http_request_duration_seconds`, by method,
//!   route pattern (never the raw path: its values are unbounded) and status — the access log;
//! - `headline_cache_requests_total{result="hit|miss"}`, `headline_cache_evictions_total` —
//!   the response cache;
//! - `headline_held_cards_total{result="hit|miss"}` — the cards searches and deeper listing
//!   pages find held (`api::content::held_cards`) or read;
//! - `headline_db_pool_wait_seconds` (time to check a connection out) and
//!   `headline_db_statement_duration_seconds` (every SQL statement, timed by diesel's
//!   instrumentation) — the database layer.
//!
//! Read when scraped (gauges of state, not events): the cache's and the held cards' bytes and
//! entries, the pool's connections, those in use and its size, and scheduled articles not yet
//! live.
//!
//! Served without a token only to `HEADLINE_METRICS_NETWORKS` (loopback by default), and to
//! anyone presenting `HEADLINE_METRICS_TOKEN` as a bearer token. The peer address is the TCP
//! peer's: scrape the instance directly, not through a proxy.

use secrecy::ExposeSecret;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::Histogram;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::AppError;
use crate::startup::AppState;

/// Latency buckets, in seconds: from a cached read (well under a millisecond) to a timeout.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The recorder's handle, once installed.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. One per process (the `metrics` facade has
/// one global recorder): several apps in one process, as in the tests, share it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_ok() {
            describe();
            // Histograms keep raw samples until upkeep folds them into buckets: without it
            // an instance that is never scraped would grow without bound.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "metrics upkeep thread did not start");
            }
        }
        handle
    })
}

/// Records `value` in the histogram `name`, whose handle `cell` (one per call site) keeps once
/// the server has installed the recorder: looking it up by name on every database checkout
/// and statement took 3 % of an uncached read's CPU. Until then (the command-line tools never
/// install it) it is looked up each time and records nowhere, as before; a handle kept from
/// then would record nowhere for good.
pub fn record(cell: &'static OnceLock<Histogram>, name: &'static str, value: f64) {
    if let Some(histogram) = cell.get() {
        histogram.record(value);
    } else if HANDLE.get().is_some() {
        cell.get_or_init(|| ::metrics::histogram!(name))
            .record(value);
    } else {
        ::metrics::histogram!(name).record(value);
    }
}

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "headline_http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        "headline_http_request_duration_seconds",
        Unit::Seconds,
        "Time from receiving a request to its response, by method, route and status"
    );
    describe_counter!(
        "headline_cache_requests_total",
        "Content API reads answered from the response cache (hit) or made (miss)"
    );
    describe_counter!(
        "headline_cache_evictions_total",
        "Responses dropped from the cache to stay within HEADLINE_CACHE_MAX_MB"
    );
    describe_gauge!(
        "headline_cache_bytes",
        Unit::Bytes,
        "Bytes the response cache holds (bodies, compressed codings and keys)"
    );
    describe_gauge!("headline_cache_entries", "Responses in the cache");
    describe_counter!(
        "headline_held_cards_total",
        "Cards of searches and deeper listing pages found held in memory (hit) or read (miss)"
    );
    describe_gauge!(
        "headline_held_cards_bytes",
        Unit::Bytes,
        "Bytes of cards and leads held for searches and listings (16 to 64 MB, by the archive's size)"
    );
    describe_gauge!(
        "headline_held_cards_entries",
        "Articles whose cards are held"
    );
    describe_histogram!(
        "headline_db_pool_wait_seconds",
        Unit::Seconds,
        "Time a request waited for a pooled database connection"
    );
    describe_histogram!(
        "headline_db_statement_duration_seconds",
        Unit::Seconds,
        "Time of each SQL statement"
    );
    describe_gauge!(
        "headline_db_pool_connections",
        "Open database connections in the pool"
    );
    describe_gauge!(
        "headline_db_pool_in_use",
        "Pooled connections checked out now"
    );
    describe_gauge!(
        "headline_db_pool_max",
        "The pool's size (HEADLINE_POOL_SIZE)"
    );
    describe_gauge!(
        "headline_scheduled_articles_pending",
        "Published articles whose publication time is still to come"
    );
}

/// Records one answered request.
///
/// Each worker keeps the handles of the series it has seen: building a series' key (three
/// label strings, hashed twice) on every request cost 6 % of a cached read's throughput.
pub fn record_request(method: &Method, route: String, status: u16, elapsed: Duration) {
    type Series = (::metrics::Counter, ::metrics::Histogram);
    thread_local! {
        static SEEN: RefCell<HashMap<(Method, String, u16), Series>> = RefCell::new(HashMap::new());
    }
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        let (requests, duration) = seen
            .entry((method.clone(), route, status))
            .or_insert_with_key(|(method, route, status)| {
                let labels = [
                    ("method", method.as_str().to_owned()),
                    ("route", route.clone()),
                    ("status", status.to_string()),
                ];
                (
                    ::metrics::counter!("headline_http_requests_total", &labels),
                    ::metrics::histogram!("headline_http_request_duration_seconds", &labels),
                )
            });
        requests.increment(1);
        duration.record(elapsed.as_secs_f64());
    });
}

/// Times every statement on a connection: set on each connection the pool opens.
#[derive(Default)]
pub struct StatementTimer {
    started: Option<std::time::Instant>,
}

impl diesel::connection::Instrumentation for StatementTimer {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::connection::InstrumentationEvent;
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.started = Some(std::time::Instant::now());
            }
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some(started) = self.started.take() {
                    static STATEMENTS: OnceLock<Histogram> = OnceLock::new();
                    record(
                        &STATEMENTS,
                        "headline_db_statement_duration_seconds",
                        started.elapsed().as_secs_f64(),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether this caller may scrape: a peer in the allowed networks, or the token.
fn allowed(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(expected), Some(given)) = (&state.settings.metrics_token, token) {
        // Compared in constant time: the token is a secret.
        use subtle::ConstantTimeEq;
        if bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes())) {
            return Ok(());
        }
        return Err(AppError::Unauthorized(
            "the metrics token is not valid".to_owned(),
        ));
    }
    let peer = req.peer_addr().map(|a| a.ip());
    if peer.is_some_and(|ip| state.metrics_networks.iter().any(|n| n.contains(&ip))) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "metrics are served to HEADLINE_METRICS_NETWORKS or with HEADLINE_METRICS_TOKEN".to_owned(),
    ))
}

/// Prometheus metrics.
///
/// In Prometheus's text format: request counts and latencies by route and status, the response
/// cache, the database pool and statements, scheduled articles.
#[utoipa::path(
    operation_id = "getMetrics",
    tag = "Operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String,
         content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "A metrics token was sent and is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither from an allowed network nor with the token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
#[tracing::instrument(name = "telemetry::metrics::scrape", skip_all)]
pub async fn scrape(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    allowed(&req, &state)?;
    let (connections, idle, max) = state.db.pool_state();
    ::metrics::gauge!("headline_db_pool_connections").set(f64::from(connections));
    ::metrics::gauge!("headline_db_pool_in_use").set(f64::from(connections - idle));
    ::metrics::gauge!("headline_db_pool_max").set(f64::from(max));
    let (bytes, entries) = state.cache.size();
    ::metrics::gauge!("headline_cache_bytes").set(gauge(bytes));
    ::metrics::gauge!("headline_cache_entries").set(gauge(entries));
    let (bytes, entries) = state.read_model.cards.size();
    ::metrics::gauge!("headline_held_cards_bytes").set(gauge(bytes));
    ::metrics::gauge!("headline_held_cards_entries").set(gauge(entries));
    let now = state.clock.now();
    let pending = state
        .db
        .run(move |conn| Ok(crate::models::articles::scheduled_count(conn, now)?))
        .await?;
    ::metrics::gauge!("headline_scheduled_articles_pending")
        .set(gauge(u64::try_from(pending).unwrap_or(0)));
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(handle().render()))
}

/// A count as a gauge's value (Prometheus values are floats).
#[expect(
    clippy::as_conversions,
    reason = "u64 to f64 has no `From`; a gauge above 2^53 may round, which is fine for a gauge"
)]
fn gauge(n: u64) -> f64 {
    n as f64
}

/// A `result="hit|miss"` counter pair, each registered on first use: looking a series up by
/// its labels on every request showed in the profile of a cached read.
#[derive(Debug)]
pub struct HitMiss {
    name: &'static str,
    hit: OnceLock<::metrics::Counter>,
    miss: OnceLock<::metrics::Counter>,
}

impl HitMiss {
    pub const fn new(name: &'static str) -> Self {
        HitMiss {
            name,
            hit: OnceLock::new(),
            miss: OnceLock::new(),
        }
    }

    /// The hit or the miss counter.
    pub fn counter(&self, hit: bool) -> &::metrics::Counter {
        if hit {
            (self.hit).get_or_init(|| ::metrics::counter!(self.name, "result" => "hit"))
        } else {
            (self.miss).get_or_init(|| ::metrics::counter!(self.name, "result" => "miss"))
        }
    }
}
