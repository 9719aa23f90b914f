//! Headline: a headless CMS JSON API for newsrooms.
//!
//! `main.rs` is a thin CLI over this library; the tests build the same app in-process.

pub mod api; // HTTP handlers, request/response types, extractors
pub mod audit; // who did what: admin writes and logins, recorded
pub mod auth; // passwords, JWTs, refresh tokens, CurrentUser, roles
pub mod clock; // the moment visibility is decided at (movable in tests)

pub mod config; // typed settings from the environment
pub mod db; // the two-backend connection, pool, migrations, schema
pub mod error; // AppError: the only place errors become HTTP
pub mod models; // rows and queries per resource
pub mod openapi; // the OpenAPI document
pub mod pagination; // keyset cursors and limits
pub mod scheduler; // announces scheduled articles when their time comes
pub mod search; // the full-text index that follows the change log
pub mod seed; // the demo newsroom
pub mod startup; // state, start-up work, the server
#[cfg(feature = "synthetic")]
pub mod synthetic; // a large deterministic newsroom for benchmarks (`--features synthetic`)
pub mod telemetry; // tracing, request ids, access log, Prometheus metrics
pub mod text; // slugs, markdown, excerpts, reading time
pub mod validate; // input limits and field errors
pub mod webhooks; // signed deliveries of public changes, with retries

/// Request bodies over this size are refused with 413 unless configured otherwise.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;
