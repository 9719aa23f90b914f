//! `/api/v1/admin/webhooks`: subscriptions to public changes, their delivery logs, test pings
//! and redelivery. Admins only. The delivery itself is `crate::webhooks`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::versioned::{self, Delete, Edit, Patch, Precondition, Removable, Resource};
use super::{AdminPageQuery, IdPath};
use crate::api::extract::SmallJson;
use crate::api::respond::{Collection, Data, created, private, versioned};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::webhooks::{self as hooks, Delivery, Webhook, WebhookChanges};
use crate::pagination::Cursor;
use crate::startup::AppState;
use crate::validate::{self, Validator};
use crate::webhooks::{guard, sign};

const MAX_URL: usize = 2000;
const MAX_DESCRIPTION: usize = 500;

/// An event a webhook receives: a name, `<entity>.*` for every event of an entity, or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = "article.published")]
pub enum EventPattern {
    #[serde(rename = "*")]
    All,
    #[serde(rename = "article.*")]
    Article,
    #[serde(rename = "article.published")]
    ArticlePublished,
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished,
    #[serde(rename = "article.deleted")]
    ArticleDeleted,
    #[serde(rename = "author.*")]
    Author,
    #[serde(rename = "author.created")]
    AuthorCreated,
    #[serde(rename = "author.updated")]
    AuthorUpdated,
    #[serde(rename = "author.deleted")]
    AuthorDeleted,
    #[serde(rename = "topic.*")]
    Topic,
    #[serde(rename = "topic.created")]
    TopicCreated,
    #[serde(rename = "topic.updated")]
    TopicUpdated,
    #[serde(rename = "topic.deleted")]
    TopicDeleted,
    #[serde(rename = "list.*")]
    List,
    #[serde(rename = "list.created")]
    ListCreated,
    #[serde(rename = "list.updated")]
    ListUpdated,
    #[serde(rename = "list.deleted")]
    ListDeleted,
}

impl EventPattern {
    /// The name as stored and shown (serde's, so the two cannot drift).
    fn name(self) -> Result<String, AppError> {
        match serde_json::to_value(self)? {
            Value::String(name) => Ok(name),
            other => Err(AppError::internal(format!("event pattern as {other}"))),
        }
    }
}

/// A webhook. Its secret is shown only when it is made (or replaced).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = 3)]
    pub id: i64,
    /// Where deliveries are POSTed.
    #[schema(example = "https://builds.example.com/hooks/headline")]
    pub url: String,
    /// The events it receives: names such as `article.published`, `topic.*` for every event
    /// of an entity, or `*`.
    #[schema(value_type = Vec<EventPattern>, example = json!(["article.published", "article.unpublished", "article.deleted"]))]
    pub events: Vec<String>,
    #[schema(example = "Rebuild the static site")]
    pub description: String,
    /// Inactive webhooks receive nothing and their queued deliveries wait.
    #[schema(example = true)]
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events.split_whitespace().map(str::to_owned).collect(),
            description: w.description,
            active: w.active,
            version: w.version,
            created_at: utc(w.created_at),
            updated_at: utc(w.updated_at),
        }
    }
}

/// A webhook with its signing secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The key receivers verify `webhook-signature` with (Standard Webhooks), `whsec_` and
    /// base64. Keep it: it is not shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://builds.example.com/hooks/headline", "events": ["article.*"], "description": "Rebuild the static site"}))]
pub struct CreateWebhook {
    /// An http or https URL that resolves to public addresses only (unless the server allows
    /// private ones).
    #[schema(
        max_length = 2000,
        example = "https://builds.example.com/hooks/headline"
    )]
    pub url: String,
    /// At least one event name, `<entity>.*` or `*`.
    #[schema(min_items = 1, max_items = 20, example = json!(["article.*"]))]
    pub events: Vec<EventPattern>,
    #[schema(max_length = 500, example = "Rebuild the static site")]
    pub description: Option<String>,
    /// Default true.
    #[schema(example = true)]
    pub active: Option<bool>,
}

/// A partial update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[schema(
        max_length = 2000,
        example = "https://builds.example.com/hooks/headline"
    )]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 20, example = json!(["article.*", "list.updated"]))]
    pub events: Option<Vec<EventPattern>>,
    #[schema(max_length = 500, example = "Rebuild the static site")]
    pub description: Option<String>,
    #[schema(example = false)]
    pub active: Option<bool>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

/// One event for one webhook: its body and the log of its last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = 3)]
    pub webhook_id: i64,
    /// Sent as `webhook-id`, the same on every attempt: receivers deduplicate by it.
    #[schema(example = "msg_42")]
    pub message_id: String,
    #[schema(example = "article.published")]
    pub event: String,
    /// The change-log position it announces (the changes feed's `seq`); null for a ping.
    #[schema(example = 1043)]
    pub change_seq: Option<i64>,
    /// `pending` (waiting for its next attempt), `delivered` (a 2xx answer) or `failed`
    /// (retried for about a day without success: dead-lettered until redelivered).
    #[schema(example = "delivered")]
    pub state: String,
    #[schema(example = 1)]
    pub attempts: i32,
    /// When it is tried next; null once delivered or failed.
    #[schema(example = json!(null))]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[schema(example = "2026-12-04T09:30:01Z")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer.
    #[schema(example = 204)]
    pub response_status: Option<i32>,
    /// The first kilobyte of the last answer.
    #[schema(example = "")]
    pub response_body: Option<String>,
    /// Why the last attempt got no answer (refused, timed out, not a public address).
    #[schema(example = json!(null))]
    pub error: Option<String>,
    #[schema(example = 38)]
    pub latency_ms: Option<i64>,
    /// The body sent, as sent.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            message_id: format!("msg_{}", d.id),
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            change_seq: d.change_seq,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(utc),
            last_attempt_at: d.last_attempt_at.map(utc),
            response_status: d.response_status,
            response_body: d.response_body,
            error: d.error,
            latency_ms: d.latency_ms,
            created_at: utc(d.created_at),
        }
    }
}

/// The delivery log's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only deliveries in this state.
    #[param(pattern = "^(pending|delivered|failed)$", example = "failed")]
    pub state: Option<String>,
}

/// Checks a URL for a webhook (on the blocking pool: it resolves the host).
async fn checked_url(state: &AppState, url: String) -> Result<String, AppError> {
    let url = validate::trimmed("url", url, MAX_URL)?;
    let allow_private = state.settings.webhook_allow_private;
    let url = web::block(move || guard::check_url(&url, allow_private).map(|u| u.to_string()))
        .await
        .map_err(AppError::internal)?;
    url.map_err(|why| AppError::invalid("url", why))
}

/// Event patterns as stored: 1 to 20, each once, space-separated.
fn checked_events(events: Vec<EventPattern>) -> Result<String, AppError> {
    if events.is_empty() || events.len() > 20 {
        return Err(AppError::invalid("events", "name 1 to 20 events"));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let name = e.name()?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out.join(" "))
}

fn description(value: Option<String>) -> Result<Option<String>, AppError> {
    let mut v = Validator::new();
    v.opt_text("description", value.as_deref(), MAX_DESCRIPTION);
    v.finish()?;
    Ok(value.map(|d| d.trim().to_owned()))
}

/// Webhooks, by id.
#[utoipa::path(
    operation_id = "adminListWebhooks", tag = "Admin: webhooks", params(AdminPageQuery),
    responses((status = 200, description = "A page of webhooks", body = Collection<WebhookView>)))]
#[get("/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let (limit, cursor) = query.parse("id")?;
    let after = cursor.map(|Cursor { id, .. }| id);
    let rows = state
        .db
        .run(move |conn| Ok(hooks::list(conn, after, limit + 1)?))
        .await?;
    Ok(super::by_id(
        rows,
        limit,
        |w: &Webhook| w.id,
        WebhookView::from,
    ))
}

/// Subscribes a URL to events. The answer holds the signing secret, shown this once.
#[utoipa::path(
    operation_id = "adminCreateWebhook", tag = "Admin: webhooks", request_body = CreateWebhook,
    responses((status = 201, description = "Created, with its secret", body = Data<WebhookWithSecret>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: SmallJson<CreateWebhook>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let input = body.0;
    let events = checked_events(input.events)?;
    let description = description(input.description)?.unwrap_or_default();
    let url = checked_url(&state, input.url).await?;
    let secret = sign::new_secret();
    let active = input.active.unwrap_or(true);
    let now = state.clock.now();
    let kept = secret.clone();
    let row = state
        .db
        .write(move |conn| {
            Ok(hooks::create(
                conn,
                &url,
                &events,
                &description,
                &kept,
                active,
                now,
            )?)
        })
        .await?;
    let view = WebhookView::from(row);
    Ok(created(
        format!("/api/v1/admin/webhooks/{}", view.id),
        view.version,
        &Data {
            data: WebhookWithSecret {
                webhook: view,
                secret,
            },
        },
    ))
}

impl Resource for Webhook {
    type View = WebhookView;
    const CONTENT: bool = false;
    const NAME: &'static str = "webhook";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(hooks::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, _: &mut AnyConnection, _: NaiveDateTime) -> Result<WebhookView, AppError> {
        Ok(WebhookView::from(self))
    }
}

impl Edit<Webhook> for Patch<WebhookChanges> {
    type Output = Webhook;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Webhook,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Webhook, AppError> {
        Ok(hooks::update(
            conn,
            current.id,
            expected,
            &self.changes,
            now,
        )?)
    }
}

impl Removable for Webhook {
    fn remove(conn: &mut AnyConnection, current: Webhook) -> Result<(), AppError> {
        Ok(hooks::delete(conn, current.id)?)
    }
}

/// One webhook.
#[utoipa::path(
    operation_id = "adminGetWebhook", tag = "Admin: webhooks", params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = Data<WebhookView>, headers(("ETag" = String)))))]
#[get("/webhooks/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    versioned::show::<Webhook>(&state, id.into_inner()).await
}

/// Edits a webhook: its URL, events, description, or whether it is active.
#[utoipa::path(
    operation_id = "adminUpdateWebhook", tag = "Admin: webhooks",
    params(("id" = i64, Path, description = "Webhook id"), Precondition),
    request_body = UpdateWebhook,
    responses((status = 200, description = "The updated webhook", body = Data<WebhookView>, headers(("ETag" = String)))))]
#[patch("/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
    precondition: Precondition,
    body: SmallJson<UpdateWebhook>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let patch = body.0;
    let changes = WebhookChanges {
        events: patch.events.map(checked_events).transpose()?,
        description: description(patch.description)?,
        url: match patch.url {
            Some(url) => Some(checked_url(&state, url).await?),
            None => None,
        },
        active: patch.active,
        secret: None,
    };
    let edit = Patch {
        changes,
        version: patch.version,
    };
    versioned::save(&state, id.into_inner(), precondition, edit).await
}

/// Deletes a webhook and its delivery log; queued deliveries are dropped.
#[utoipa::path(
    operation_id = "adminDeleteWebhook", tag = "Admin: webhooks",
    params(("id" = i64, Path, description = "Webhook id"), Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhooks/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    versioned::remove::<Webhook, _>(&state, id.into_inner(), precondition, Delete).await
}

/// Replaces the signing secret; the answer holds the new one, shown this once. Deliveries
/// sent from now on are signed with it.
#[utoipa::path(
    operation_id = "adminRotateWebhookSecret", tag = "Admin: webhooks", params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook with its new secret", body = Data<WebhookWithSecret>, headers(("ETag" = String)))))]
#[post("/webhooks/{id}/secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.into_inner();
    let secret = sign::new_secret();
    let kept = secret.clone();
    let now = state.clock.now();
    let row = state
        .db
        .write(move |conn| {
            let current = hooks::find(conn, id)?.or_missing("webhook")?;
            let changes = WebhookChanges {
                secret: Some(kept),
                ..WebhookChanges::default()
            };
            Ok(hooks::update(conn, id, current.version, &changes, now)?)
        })
        .await?;
    let version = row.version;
    Ok(versioned(
        StatusCode::OK,
        version,
        &Data {
            data: WebhookWithSecret {
                webhook: WebhookView::from(row),
                secret,
            },
        },
    ))
}

/// Queues a `webhook.ping` delivery to the webhook, sent at once: a test of the receiver
/// and its signature check. Its outcome is in the delivery log.
#[utoipa::path(
    operation_id = "adminPingWebhook", tag = "Admin: webhooks", params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 202, description = "Queued", body = Data<DeliveryView>)))]
#[post("/webhooks/{id}/ping")]
pub async fn ping(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.into_inner();
    let now = state.clock.now();
    let delivery = state
        .db
        .write(move |conn| {
            hooks::find(conn, id)?.or_missing("webhook")?;
            let delivery = crate::webhooks::ping(conn, id, now)?;
            Ok(hooks::find_delivery(conn, id, delivery)?.or_missing("delivery")?)
        })
        .await?;
    Ok(accepted(delivery))
}

fn accepted(delivery: Delivery) -> HttpResponse {
    let mut res = private(&Data {
        data: DeliveryView::from(delivery),
    });
    *res.status_mut() = StatusCode::ACCEPTED;
    res
}

/// The webhook's deliveries, newest first: state, attempts, the last answer and the next try.
#[utoipa::path(
    operation_id = "adminListWebhookDeliveries", tag = "Admin: webhooks",
    params(("id" = i64, Path, description = "Webhook id"), DeliveryQuery),
    responses((status = 200, description = "A page of deliveries", body = Collection<DeliveryView>)))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: IdPath,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.into_inner();
    let page_query = AdminPageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, cursor) = page_query.parse("id")?;
    let before = cursor.map(|Cursor { id, .. }| id);
    let wanted = match query.state.as_deref() {
        None => None,
        Some(s @ (hooks::PENDING | hooks::DELIVERED | hooks::FAILED)) => Some(s.to_owned()),
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_state",
                "state must be pending, delivered or failed",
            ));
        }
    };
    let rows = state
        .db
        .run(move |conn| {
            hooks::find(conn, id)?.or_missing("webhook")?;
            Ok(hooks::deliveries(
                conn,
                id,
                before,
                wanted.as_deref(),
                limit + 1,
            )?)
        })
        .await?;
    Ok(super::by_id(
        rows,
        limit,
        |d: &Delivery| d.id,
        DeliveryView::from,
    ))
}

/// Sends a delivery again now, with a new round of retries (a failed one included).
#[utoipa::path(
    operation_id = "adminRedeliverWebhookDelivery", tag = "Admin: webhooks",
    params(("id" = i64, Path, description = "Webhook id"), ("delivery_id" = i64, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued", body = Data<DeliveryView>)))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let (id, delivery_id) = path.into_inner();
    let now = state.clock.now();
    let delivery = state
        .db
        .write(move |conn| Ok(hooks::redeliver(conn, id, delivery_id, now)?))
        .await?;
    Ok(accepted(delivery))
}
