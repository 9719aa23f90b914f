//! A webhook's deliveries: the log, test pings and redelivery.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::admin::{AdminPageQuery, Id};
use crate::api::respond::{Collection, Data, private};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::webhooks::{self as hooks, Delivery, Webhook};
use crate::pagination::Cursor;
use crate::startup::AppState;

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

impl DeliveryQuery {
    /// The page asked for: its size and the id it starts before.
    fn page(&self) -> Result<(i64, Option<i64>), AppError> {
        let page = AdminPageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let (limit, cursor) = page.parse("id")?;
        Ok((limit, cursor.map(|Cursor { id, .. }| id)))
    }

    /// The state asked for, if any.
    fn wanted(&self) -> Result<Option<String>, AppError> {
        match self.state.as_deref() {
            None => Ok(None),
            Some(s @ (hooks::PENDING | hooks::DELIVERED | hooks::FAILED)) => Ok(Some(s.to_owned())),
            Some(_) => Err(AppError::bad_request(
                "invalid_state",
                "state must be pending, delivered or failed",
            )),
        }
    }
}

/// Queues a `webhook.ping` delivery to the webhook, sent at once: a test of the receiver
/// and its signature check. Its outcome is in the delivery log.
#[utoipa::path(
    operation_id = "adminPingWebhook", tag = "Admin: webhooks", params(Id<Webhook>),
    responses((status = 202, description = "Queued", body = Data<DeliveryView>)))]
#[post("/webhooks/{id}/ping")]
#[tracing::instrument(name = "admin::webhooks::deliveries::ping", skip_all)]
pub async fn ping(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.get();
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
    params(Id<Webhook>, DeliveryQuery),
    responses((status = 200, description = "A page of deliveries", body = Collection<DeliveryView>)))]
#[get("/webhooks/{id}/deliveries")]
#[tracing::instrument(name = "admin::webhooks::deliveries::deliveries", skip_all)]
pub async fn deliveries(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.get();
    let (limit, before) = query.page()?;
    let wanted = query.wanted()?;
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
    Ok(crate::api::admin::by_id(
        rows,
        limit,
        |d: &Delivery| d.id,
        DeliveryView::from,
    ))
}

/// The path of one delivery of a webhook.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// Webhook id
    id: i64,
    /// Delivery id
    delivery_id: i64,
}

/// Sends a delivery again now, with a new round of retries (a failed one included).
#[utoipa::path(
    operation_id = "adminRedeliverWebhookDelivery", tag = "Admin: webhooks",
    params(DeliveryPath),
    responses((status = 202, description = "Queued", body = Data<DeliveryView>)))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
#[tracing::instrument(name = "admin::webhooks::deliveries::redeliver", skip_all)]
pub async fn redeliver(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<DeliveryPath>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let DeliveryPath { id, delivery_id } = path.into_inner();
    let now = state.clock.now();
    let delivery = state
        .db
        .write(move |conn| Ok(hooks::redeliver(conn, id, delivery_id, now)?))
        .await?;
    Ok(accepted(delivery))
}
