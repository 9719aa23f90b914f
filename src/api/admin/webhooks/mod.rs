//! `/api/v1/admin/webhooks`: subscriptions to public changes, their delivery logs, test pings
//! and redelivery. Admins only. The delivery itself is `crate::webhooks`.

pub mod deliveries;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Patch, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::SmallJson;
use crate::api::respond::{Collection, Data, created, versioned};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::webhooks::{self as hooks, Webhook, WebhookChanges};
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

/// Checks a URL for a webhook (on the blocking pool: it resolves the host).
async fn checked_url(state: &AppState, url: String) -> Result<String, AppError> {
    let url = validate::trimmed("url", url, MAX_URL)?;
    let allow_private = state.settings.webhook_allow_private;
    let url =
        web::block(move || guard::check_url(&url, allow_private).map(|u| u.to_string())).await?;
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
#[tracing::instrument(name = "admin::webhooks::list", skip_all)]
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
#[tracing::instrument(name = "admin::webhooks::create", skip_all)]
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
    operation_id = "adminGetWebhook", tag = "Admin: webhooks", params(Id<Webhook>),
    responses((status = 200, description = "The webhook", body = Data<WebhookView>, headers(("ETag" = String)))))]
#[get("/webhooks/{id}")]
#[tracing::instrument(name = "admin::webhooks::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    versioned::show(&state, id).await
}

/// Edits a webhook: its URL, events, description, or whether it is active.
#[utoipa::path(
    operation_id = "adminUpdateWebhook", tag = "Admin: webhooks",
    params(Id<Webhook>, Precondition),
    request_body = UpdateWebhook,
    responses((status = 200, description = "The updated webhook", body = Data<WebhookView>, headers(("ETag" = String)))))]
#[patch("/webhooks/{id}")]
#[tracing::instrument(name = "admin::webhooks::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
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
    versioned::save(&state, id, precondition, edit).await
}

/// Deletes a webhook and its delivery log; queued deliveries are dropped.
#[utoipa::path(
    operation_id = "adminDeleteWebhook", tag = "Admin: webhooks",
    params(Id<Webhook>, Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhooks/{id}")]
#[tracing::instrument(name = "admin::webhooks::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    versioned::remove(&state, id, precondition, Delete).await
}

/// Replaces the signing secret; the answer holds the new one, shown this once. Deliveries
/// sent from now on are signed with it.
#[utoipa::path(
    operation_id = "adminRotateWebhookSecret", tag = "Admin: webhooks", params(Id<Webhook>),
    responses((status = 200, description = "The webhook with its new secret", body = Data<WebhookWithSecret>, headers(("ETag" = String)))))]
#[post("/webhooks/{id}/secret")]
#[tracing::instrument(name = "admin::webhooks::rotate_secret", skip_all)]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Webhook>,
) -> Result<HttpResponse, AppError> {
    policy::webhooks(&user)?;
    let id = id.get();
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
