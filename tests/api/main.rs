//! Headline's integration tests: the real server over HTTP on 127.0.0.1, a fresh database per
//! test, on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "test code may panic: a panic is a failed test, with its line"
)]

mod helpers;

mod admin_articles;
mod attacks;
mod audit;
mod auth;
mod cache;
mod catalog;
mod changes;
mod compression;
mod content;
mod content_keys;
mod crash;
mod errors;
mod factories;
mod lists;
mod metrics;
mod ops;
mod previews;
mod read_model;
mod roles;
mod schema;
mod search;
mod synthetic;
mod versioning;
mod webhooks;
