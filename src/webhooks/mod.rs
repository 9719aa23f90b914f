//! Webhooks: public changes pushed to the URLs admins subscribe.
//!
//! One worker thread per instance does two things every `HEADLINE_WEBHOOK_POLL_MS`:
//! 1. **Fan-out** follows the change log's public rows (`models::changes`) from the position in
//!    `webhook_cursor`, and for each change queues one delivery per active webhook that wants
//!    its event, with the body fixed then (the event, the change, the entity's public view as
//!    the Content API shows it). The cursor moves in the same transaction, locked on
//!    PostgreSQL, so each change is fanned out once whatever the number of instances.
//! 2. **Delivery** claims due deliveries (`models::webhooks::claim`: a lease, `SKIP LOCKED` on
//!    PostgreSQL), sends them signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
//!    `webhook-signature`), and logs each attempt. A 2xx delivers; anything else retries after
//!    5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (each ±10 %): about a day in all, then the
//!    delivery is `failed` (dead-lettered) until an admin redelivers it.
//!
//! Delivery is at least once: an instance killed mid-attempt leaves its claim to expire, and
//! the attempt is made again. Receivers deduplicate by `webhook-id`.

pub mod guard;
pub mod sign;

use std::sync::{Arc, Weak};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde_json::{Value, json};

use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::changes::{self, Change, Entity};
use crate::models::webhooks::{self as hooks, Attempt, Claimed, DELIVERED, FAILED, PENDING};
use crate::startup::AppState;

/// The waits after failed attempts 1, 2, …: an attempt after the last one's failure is the
/// last.
const RETRY_AFTER: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// Changes fanned out per transaction, and deliveries claimed per round.
const FAN_OUT_BATCH: i64 = 200;
const CLAIM_BATCH: i64 = 32;
/// How much of a receiver's answer the log keeps.
const BODY_KEPT: usize = 1024;
/// The event of a test ping.
pub const PING: &str = "webhook.ping";

/// Starts the worker thread of an app. It ends when the app is dropped.
pub fn spawn(state: &Arc<AppState>) {
    let interval = StdDuration::from_millis(state.settings.webhook_poll_ms);
    let weak = Arc::downgrade(state);
    let client = match client(&state.settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: no HTTP client");
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("webhooks".to_owned())
        .spawn(move || run(&weak, &client, interval));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the webhook worker did not start");
    }
}

/// The client deliveries are sent with: no redirects followed, bounded times, no proxy from
/// the environment, public addresses only unless allowed.
fn client(settings: &crate::config::Settings) -> Result<reqwest::Client, reqwest::Error> {
    let timeout = StdDuration::from_millis(settings.webhook_timeout_ms);
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(StdDuration::from_secs(5)))
        .no_proxy()
        .user_agent(concat!("Headline-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.webhook_allow_private {
        builder = builder.dns_resolver(Arc::new(guard::PublicOnly));
    }
    builder.build()
}

fn run(state: &Weak<AppState>, client: &reqwest::Client, interval: StdDuration) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: no runtime");
            return;
        }
    };
    loop {
        std::thread::sleep(interval);
        let Some(state) = state.upgrade() else { return };
        if let Err(e) = fan_out(&state) {
            tracing::warn!(error = %e, "webhook fan-out failed");
        }
        // Deliver until nothing is due, so a burst does not wait a poll per batch.
        loop {
            match deliver_due(&state, &rt, client) {
                Ok(n) if i64::try_from(n) == Ok(CLAIM_BATCH) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery failed");
                    break;
                }
            }
        }
    }
}

/// Queues deliveries for the public changes after the cursor; returns how many.
pub fn fan_out(state: &AppState) -> Result<usize, AppError> {
    let (cursor, head) = {
        let mut conn = state.db.get()?;
        let cursor: i64 = crate::db::schema::webhook_cursor::table
            .select(crate::db::schema::webhook_cursor::seq)
            .first(&mut **conn)?;
        (cursor, changes::head(&mut conn)?)
    };
    if head <= cursor {
        return Ok(0);
    }
    let now = state.clock.now();
    state.db.write_blocking(|conn| {
        let from = hooks::cursor(conn)?;
        let head = changes::head(conn)?;
        let rows = changes::public_after(conn, from, FAN_OUT_BATCH)?;
        let full = i64::try_from(rows.len()) == Ok(FAN_OUT_BATCH);
        let webhooks = if rows.is_empty() {
            Vec::new()
        } else {
            hooks::active(conn)?
        };
        let mut queued = 0;
        for change in &rows {
            let Some(event) = change.event.as_deref() else {
                continue;
            };
            let wanting: Vec<&hooks::Webhook> =
                webhooks.iter().filter(|w| w.wants(event)).collect();
            if wanting.is_empty() {
                continue;
            }
            let body = payload(conn, state, change, event, now)?;
            for webhook in wanting {
                hooks::enqueue(conn, webhook.id, event, Some(change.seq), &body, now)?;
                queued += 1;
            }
        }
        // Past the last public change read, or the whole log when it was all read. `head` was
        // read first, so a change committed since (PostgreSQL reads each statement anew) may
        // be among the rows: the cursor never stays behind one it queued.
        let last = rows.last().map(|c| c.seq);
        let to = match last {
            Some(last) if full => last,
            _ => head.max(last.unwrap_or(0)),
        };
        hooks::set_cursor(conn, to.max(from))?;
        Ok(queued)
    })
}

/// The body of a change's deliveries: `{type, timestamp, data}` as Standard Webhooks
/// suggests, `data` holding the change and `object`, the entity's public view now (null once
/// it is no longer public).
fn payload(
    conn: &mut AnyConnection,
    state: &AppState,
    change: &Change,
    event: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let object = match (change.kind, change.slug.as_deref()) {
        (changes::Kind::Deleted | changes::Kind::Unpublished, _) | (_, None) => Value::Null,
        (_, Some(slug)) => public_view(conn, state, change.entity, slug, now)?,
    };
    let body = json!({
        "type": event,
        "timestamp": crate::models::cards::utc(change.changed_at),
        "data": {
            "seq": change.seq,
            "entity": change.entity.name(),
            "id": change.entity_id,
            "slug": change.slug,
            "previous_slug": change.previous_slug,
            "object": object,
        },
    });
    Ok(body.to_string())
}

/// What the Content API shows of an entity at `slug`, or null.
fn public_view(
    conn: &mut AnyConnection,
    state: &AppState,
    entity: Entity,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Value, AppError> {
    use crate::api::content;
    let data = |body: String| -> Result<Value, AppError> {
        let mut v: Value = serde_json::from_str(&body)?;
        Ok(v.get_mut("data").map(Value::take).unwrap_or(Value::Null))
    };
    let found = match entity {
        Entity::Article => {
            match content::articles::page::article_body(conn, &state.read_model, slug, now) {
                Ok(Ok(body)) => data(body),
                Ok(Err(_moved)) => Ok(Value::Null),
                Err(e) => Err(e),
            }
        }
        Entity::Author => content::authors::author_view(conn, slug, now)
            .and_then(|v| Ok(serde_json::to_value(v)?)),
        Entity::Topic => {
            content::topics::topic_view(conn, slug, now).and_then(|v| Ok(serde_json::to_value(v)?))
        }
        Entity::List => {
            content::lists::list_body(conn, &state.read_model, slug, now).and_then(data)
        }
    };
    match found {
        Err(AppError::NotFound(_)) => Ok(Value::Null),
        other => other,
    }
}

/// Queues a test ping for one webhook, due now.
pub fn ping(
    conn: &mut AnyConnection,
    webhook_id: i64,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let body = json!({
        "type": PING,
        "timestamp": crate::models::cards::utc(now),
        "data": {"webhook_id": webhook_id},
    });
    Ok(hooks::enqueue(
        conn,
        webhook_id,
        PING,
        None,
        &body.to_string(),
        now,
    )?)
}

/// Claims due deliveries, sends them at once, and logs the outcomes; returns how many.
pub fn deliver_due(
    state: &AppState,
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
) -> Result<usize, AppError> {
    let now = state.clock.now();
    // The lease: the time-out, and as long again for the outcome to be written.
    let timeout = i64::try_from(state.settings.webhook_timeout_ms).unwrap_or(i64::MAX);
    let lease = Duration::milliseconds(timeout.saturating_mul(2).saturating_add(1000));
    let claimed = state
        .db
        .write_blocking(|conn| Ok(hooks::claim(conn, now, lease, CLAIM_BATCH)?))?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let n = claimed.len();
    let allow_private = state.settings.webhook_allow_private;
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for c in claimed {
            let client = client.clone();
            set.spawn(async move {
                let outcome = send(&client, &c, allow_private).await;
                (c, outcome)
            });
        }
        // Outcomes are logged as they come (a short blocking write), those that came
        // together in one transaction: a slow receiver holds up no other's log, and a crash
        // loses only the attempts still in flight.
        while let Some(first) = set.join_next().await {
            let mut done = vec![first];
            while let Some(more) = set.try_join_next() {
                done.push(more);
            }
            let now = state.clock.now();
            let attempts: Vec<(Claimed, Outcome, Attempt)> = done
                .into_iter()
                .flatten()
                .map(|(c, outcome)| {
                    let attempt = schedule(c.delivery.attempts, &outcome, now);
                    (c, outcome, attempt)
                })
                .collect();
            let logged = state.db.write_blocking(|conn| {
                for (c, _, attempt) in &attempts {
                    hooks::record(conn, c.delivery.id, c.delivery.attempts, attempt)?;
                }
                Ok(())
            });
            if let Err(e) = logged {
                tracing::warn!(error = %e, "webhook attempts not logged");
            }
            for (c, outcome, _) in &attempts {
                tracing::debug!(
                    delivery = c.delivery.id,
                    webhook = c.delivery.webhook_id,
                    status = outcome.status,
                    error = outcome.error.as_deref(),
                    "webhook attempt"
                );
            }
        }
    });
    Ok(n)
}

/// What one send found.
#[derive(Debug)]
pub struct Outcome {
    status: Option<i32>,
    body: Option<String>,
    error: Option<String>,
    latency_ms: i64,
}

async fn send(client: &reqwest::Client, c: &Claimed, allow_private: bool) -> Outcome {
    let started = Instant::now();
    let done = |status, body, error: Option<String>| Outcome {
        status,
        body,
        error,
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    // A name is checked by the client's resolver; an address literal never reaches it.
    match guard::check_literal(&c.url, allow_private) {
        Ok(()) => {}
        Err(e) => return done(None, None, Some(e)),
    }
    let id = format!("msg_{}", c.delivery.id);
    let timestamp = Utc::now().timestamp();
    let signature = sign::signature(&c.secret, &id, timestamp, &c.delivery.payload);
    let sent = client
        .post(&c.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(c.delivery.payload.clone())
        .send()
        .await;
    let mut res = match sent {
        Ok(res) => res,
        Err(e) => return done(None, None, Some(describe(&e))),
    };
    let status = i32::from(res.status().as_u16());
    // Only the start of the answer is kept, and only that much is read.
    let mut kept = Vec::new();
    while kept.len() < BODY_KEPT {
        match res.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    kept.truncate(BODY_KEPT);
    let body = String::from_utf8_lossy(&kept).into_owned();
    done(Some(status), Some(body), None)
}

/// An error with its causes, which say what really happened (refused, timed out, DNS).
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// The state after attempt number `attempts` with `outcome`, and when the next one is due.
fn schedule(attempts: i32, outcome: &Outcome, now: NaiveDateTime) -> Attempt {
    let delivered = outcome.status.is_some_and(|s| (200..300).contains(&s));
    let wait = usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| RETRY_AFTER.get(i))
        .copied();
    let (state, next) = match (delivered, wait) {
        (true, _) => (DELIVERED, None),
        (false, None) => (FAILED, None),
        (false, Some(secs)) => {
            // ±10 %, in thousandths: seconds × ‰ is milliseconds.
            let jitter = rand::rng().random_range(900..1100);
            let wait = Duration::milliseconds(secs * jitter);
            (PENDING, Some(now + wait))
        }
    };
    Attempt {
        at: now,
        status: outcome.status,
        body: outcome.body.clone(),
        error: outcome.error.clone(),
        latency_ms: outcome.latency_ms,
        state,
        next_attempt_at: next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Outcome {
        Outcome {
            status: Some(500),
            body: None,
            error: None,
            latency_ms: 1,
        }
    }

    #[test]
    fn retries_last_about_a_day_then_fail() {
        let now = crate::models::now();
        let mut total = Duration::zero();
        for attempt in 1..=7 {
            let a = schedule(attempt, &failed(), now);
            assert_eq!(a.state, PENDING);
            let next = a.next_attempt_at.expect("a retry");
            total += next - now;
        }
        assert!(
            total > Duration::hours(24) && total < Duration::hours(31),
            "{total}"
        );
        assert_eq!(schedule(8, &failed(), now).state, FAILED);
        let ok = Outcome {
            status: Some(204),
            ..failed()
        };
        assert_eq!(schedule(8, &ok, now).state, DELIVERED);
    }
}
