//! Webhook subscriptions and their deliveries: the rows behind `crate::webhooks`.
//!
//! A delivery is one event for one webhook. Its row is the queue entry (`state`,
//! `next_attempt_at`, `attempts`) and the log of its last attempt (status, latency, the start of
//! the answer). Claiming a delivery moves its `next_attempt_at` past the attempt's time-out (a
//! lease): another worker, here or on another instance, leaves it alone until then, and if the
//! process dies mid-attempt the row simply becomes due again.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{webhook_cursor, webhook_deliveries as deliveries, webhooks};
use crate::models::{ModelError, OrMissing};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Space-separated event patterns.
    pub events: String,
    pub secret: String,
    pub description: String,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Webhook {
    /// Whether this webhook wants `event` (`article.published`): a pattern is the event, its
    /// entity followed by `.*`, or `*`.
    pub fn wants(&self, event: &str) -> bool {
        let entity = event.split('.').next().unwrap_or_default();
        self.events
            .split_whitespace()
            .any(|p| p == "*" || p == event || p.strip_suffix(".*").is_some_and(|e| e == entity))
    }
}

/// The columns an admin edits.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub change_seq: Option<i64>,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn list(
    conn: &mut AnyConnection,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Webhook>, ModelError> {
    Ok(webhooks::table
        .filter(webhooks::id.gt(after.unwrap_or(0)))
        .order(webhooks::id.asc())
        .limit(limit)
        .select(Webhook::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Webhook>, ModelError> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .optional()
        .map_err(Into::into)
}

/// The webhooks that receive events.
pub fn active(conn: &mut AnyConnection) -> Result<Vec<Webhook>, ModelError> {
    Ok(webhooks::table
        .filter(webhooks::active.eq(true))
        .order(webhooks::id.asc())
        .select(Webhook::as_select())
        .load(conn)?)
}

pub fn create(
    conn: &mut AnyConnection,
    url: &str,
    events: &str,
    description: &str,
    secret: &str,
    active: bool,
    now: NaiveDateTime,
) -> Result<Webhook, ModelError> {
    let id: i64 = diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(url),
            webhooks::events.eq(events),
            webhooks::description.eq(description),
            webhooks::secret.eq(secret),
            webhooks::active.eq(active),
            webhooks::version.eq(1_i64),
            webhooks::created_at.eq(now),
            webhooks::updated_at.eq(now),
        ))
        .returning(webhooks::id)
        .get_result(conn)?;
    find(conn, id)?.or_missing("webhook")
}

/// Writes `changes` if the webhook is still at `expected` (409 otherwise).
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    expected: i64,
    changes: &WebhookChanges,
    now: NaiveDateTime,
) -> Result<Webhook, ModelError> {
    let n = diesel::update(
        webhooks::table.filter(webhooks::id.eq(id).and(webhooks::version.eq(expected))),
    )
    .set((
        changes,
        webhooks::version.eq(expected + 1),
        webhooks::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(super::stale("webhook"));
    }
    find(conn, id)?.or_missing("webhook")
}

/// Deletes a webhook and its delivery log.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    diesel::delete(deliveries::table.filter(deliveries::webhook_id.eq(id))).execute(conn)?;
    match diesel::delete(webhooks::table.find(id)).execute(conn)? {
        0 => Err(ModelError::NotFound("webhook")),
        _ => Ok(()),
    }
}

/// Queues one event for one webhook, due at `now`.
pub fn enqueue(
    conn: &mut AnyConnection,
    webhook_id: i64,
    event: &str,
    change_seq: Option<i64>,
    payload: &str,
    now: NaiveDateTime,
) -> Result<i64, ModelError> {
    Ok(diesel::insert_into(deliveries::table)
        .values((
            deliveries::webhook_id.eq(webhook_id),
            deliveries::event.eq(event),
            deliveries::change_seq.eq(change_seq),
            deliveries::payload.eq(payload),
            deliveries::state.eq(PENDING),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(Some(now)),
            deliveries::created_at.eq(now),
        ))
        .returning(deliveries::id)
        .get_result(conn)?)
}

/// A webhook's deliveries, newest first, before the delivery `before`.
pub fn deliveries(
    conn: &mut AnyConnection,
    webhook_id: i64,
    before: Option<i64>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, ModelError> {
    let q = deliveries::table
        .filter(deliveries::webhook_id.eq(webhook_id))
        .filter(deliveries::id.lt(before.unwrap_or(i64::MAX)))
        .order(deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select());
    Ok(match state {
        Some(state) => q.filter(deliveries::state.eq(state)).load(conn)?,
        None => q.load(conn)?,
    })
}

pub fn find_delivery(
    conn: &mut AnyConnection,
    webhook_id: i64,
    id: i64,
) -> Result<Option<Delivery>, ModelError> {
    deliveries::table
        .filter(
            deliveries::id
                .eq(id)
                .and(deliveries::webhook_id.eq(webhook_id)),
        )
        .select(Delivery::as_select())
        .first(conn)
        .optional()
        .map_err(Into::into)
}

/// Sends a delivery again, now, with a fresh round of retries (the same `webhook-id`: it is
/// the same message).
pub fn redeliver(
    conn: &mut AnyConnection,
    webhook_id: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<Delivery, ModelError> {
    find_delivery(conn, webhook_id, id)?.or_missing("delivery")?;
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::state.eq(PENDING),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(Some(now)),
        ))
        .execute(conn)?;
    find_delivery(conn, webhook_id, id)?.or_missing("delivery")
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due deliveries of active webhooks for one attempt each: their
/// `attempts` count it and their `next_attempt_at` moves to `now + lease`. On PostgreSQL rows
/// another instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
pub fn claim(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, ModelError> {
    // No join: `FOR UPDATE` would lock the webhook's row too, and hold up its other rows.
    let active = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(webhooks::id);
    let due = deliveries::table
        .filter(deliveries::state.eq(PENDING))
        .filter(deliveries::next_attempt_at.le(now))
        .filter(deliveries::webhook_id.eq_any(active))
        .order(deliveries::next_attempt_at.asc())
        .limit(limit)
        .select(deliveries::id);
    let ids: Vec<i64> = match conn {
        AnyConnection::Sqlite(c) => due.load(c)?,
        AnyConnection::Postgresql(c) => due.for_update().skip_locked().load(c)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(&ids)))
        .set((
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(Some(now + lease)),
        ))
        .execute(conn)?;
    let rows: Vec<(Delivery, String, String)> = deliveries::table
        .inner_join(webhooks::table)
        .filter(deliveries::id.eq_any(&ids))
        .order(deliveries::id.asc())
        .select((Delivery::as_select(), webhooks::url, webhooks::secret))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, url, secret)| Claimed {
            delivery,
            url,
            secret,
        })
        .collect())
}

/// What one attempt found.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub status: Option<i32>,
    pub body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: i64,
    /// The delivery's state after it, and when to try again if pending.
    pub state: &'static str,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Logs an attempt of a claimed delivery and schedules what follows. A delivery that was
/// redelivered by hand meanwhile (attempts back to 0) keeps its new schedule.
pub fn record(
    conn: &mut AnyConnection,
    id: i64,
    attempts: i32,
    attempt: &Attempt,
) -> Result<(), ModelError> {
    diesel::update(
        deliveries::table.filter(deliveries::id.eq(id).and(deliveries::attempts.eq(attempts))),
    )
    .set((
        deliveries::state.eq(attempt.state),
        deliveries::next_attempt_at.eq(attempt.next_attempt_at),
        deliveries::last_attempt_at.eq(Some(attempt.at)),
        deliveries::response_status.eq(attempt.status),
        deliveries::response_body.eq(attempt.body.as_deref()),
        deliveries::error.eq(attempt.error.as_deref()),
        deliveries::latency_ms.eq(Some(attempt.latency_ms)),
    ))
    .execute(conn)?;
    Ok(())
}

/// The change-log position fan-out has reached, locked until the transaction ends on
/// PostgreSQL so that one instance fans out at a time.
pub fn cursor(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    let q = webhook_cursor::table.find(1).select(webhook_cursor::seq);
    Ok(match conn {
        AnyConnection::Sqlite(c) => q.first(c)?,
        AnyConnection::Postgresql(c) => q.for_update().first(c)?,
    })
}

pub fn set_cursor(conn: &mut AnyConnection, seq: i64) -> Result<(), ModelError> {
    diesel::update(webhook_cursor::table.find(1))
        .set(webhook_cursor::seq.eq(seq))
        .execute(conn)?;
    Ok(())
}
