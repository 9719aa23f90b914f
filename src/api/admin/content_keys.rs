//! `/api/v1/admin/content-keys`: the keys Content API consumers present when
//! `HEADLINE_CONTENT_API=key` (see `auth::content_keys`). Admins only.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Patch, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::{SmallJson, patch_field};
use crate::api::respond::{Collection, Data, created};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy, random_token, token_digest};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::content_keys::{self as keys, ContentKey, KeyChanges};
use crate::pagination::Cursor;
use crate::startup::AppState;
use crate::validate::{self, Validator};

const MAX_LABEL: usize = 200;
/// Keys start so, to be told apart from access tokens in logs and configuration.
const KEY_PREFIX: &str = "hlk_";

/// A content API key. The key itself is shown only when it is made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentKeyView {
    #[schema(example = 2)]
    pub id: i64,
    /// Who uses it.
    #[schema(example = "Website (Next.js)")]
    pub label: String,
    /// The key's first characters, to recognise it.
    #[schema(example = "hlk_q3Vb")]
    pub prefix: String,
    /// Requests a minute it may make; null: the server's default (`HEADLINE_CONTENT_KEY_RATE`).
    #[schema(example = 600)]
    pub rate_per_minute: Option<i32>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ContentKey> for ContentKeyView {
    fn from(k: ContentKey) -> Self {
        Self {
            id: k.id,
            label: k.label,
            prefix: k.prefix,
            rate_per_minute: k.rate_per_minute,
            version: k.version,
            created_at: utc(k.created_at),
            updated_at: utc(k.updated_at),
        }
    }
}

/// A new key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentKeyWithSecret {
    #[serde(flatten)]
    pub content_key: ContentKeyView,
    /// Send it as `Authorization: Bearer <key>` or `?key=<key>`. It is stored only as a digest
    /// and not shown again.
    #[schema(example = "hlk_q3Vb1m0y7Qp2WkX9s8dJfR5tLcN4hA6eZuG0oYiKwTs")]
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Website (Next.js)", "rate_per_minute": 600}))]
pub struct CreateContentKey {
    #[schema(min_length = 1, max_length = 200, example = "Website (Next.js)")]
    pub label: String,
    /// Requests a minute, 1 to 1000000; absent: the server's default.
    #[schema(minimum = 1, maximum = 1000000, example = 600)]
    pub rate_per_minute: Option<i32>,
}

/// A partial update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContentKey {
    #[schema(min_length = 1, max_length = 200, example = "Mobile app")]
    pub label: Option<String>,
    /// Requests a minute, 1 to 1000000; null: the server's default.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 1000000, example = 1200)]
    pub rate_per_minute: Option<Option<i32>>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

fn checked_rate(rate: Option<i32>) -> Result<Option<i32>, AppError> {
    match rate {
        Some(r) if !(1..=1_000_000).contains(&r) => Err(AppError::invalid(
            "rate_per_minute",
            "must be between 1 and 1000000",
        )),
        other => Ok(other),
    }
}

fn checked_label(label: String) -> Result<String, AppError> {
    let label = validate::trimmed("label", label, MAX_LABEL)?;
    let mut v = Validator::new();
    v.text("label", &label, MAX_LABEL);
    v.finish()?;
    Ok(label)
}

/// Content API keys, by id.
#[utoipa::path(
    operation_id = "adminListContentKeys", tag = "Admin: content keys", params(AdminPageQuery),
    responses((status = 200, description = "A page of keys", body = Collection<ContentKeyView>)))]
#[get("/content-keys")]
#[tracing::instrument(name = "admin::content_keys::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "manage content API keys")?;
    let (limit, cursor) = query.parse("id")?;
    let after = cursor.map(|Cursor { id, .. }| id);
    let rows = state
        .db
        .run(move |conn| Ok(keys::list(conn, after, limit + 1)?))
        .await?;
    Ok(super::by_id(
        rows,
        limit,
        |k: &ContentKey| k.id,
        ContentKeyView::from,
    ))
}

/// Makes a key. The answer holds it, shown this once.
#[utoipa::path(
    operation_id = "adminCreateContentKey", tag = "Admin: content keys", request_body = CreateContentKey,
    responses((status = 201, description = "Created, with the key", body = Data<ContentKeyWithSecret>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/content-keys")]
#[tracing::instrument(name = "admin::content_keys::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: SmallJson<CreateContentKey>,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "manage content API keys")?;
    let input = body.0;
    let label = checked_label(input.label)?;
    let rate = checked_rate(input.rate_per_minute)?;
    let key = format!("{KEY_PREFIX}{}", random_token());
    let digest = token_digest(&key);
    let prefix: String = key.chars().take(KEY_PREFIX.len() + 4).collect();
    let now = state.clock.now();
    let row = state
        .db
        .write(move |conn| Ok(keys::create(conn, &label, &digest, &prefix, rate, now)?))
        .await?;
    state.content_keys.invalidate();
    let view = ContentKeyView::from(row);
    Ok(created(
        format!("/api/v1/admin/content-keys/{}", view.id),
        view.version,
        &Data {
            data: ContentKeyWithSecret {
                content_key: view,
                key,
            },
        },
    ))
}

impl Resource for ContentKey {
    type View = ContentKeyView;
    const CONTENT: bool = false;
    const NAME: &'static str = "content key";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(keys::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, _: &mut AnyConnection, _: NaiveDateTime) -> Result<ContentKeyView, AppError> {
        Ok(ContentKeyView::from(self))
    }
}

impl Edit<ContentKey> for Patch<KeyChanges> {
    type Output = ContentKey;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: ContentKey,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<ContentKey, AppError> {
        Ok(keys::update(
            conn,
            current.id,
            expected,
            &self.changes,
            now,
        )?)
    }
}

impl Removable for ContentKey {
    fn remove(conn: &mut AnyConnection, current: ContentKey) -> Result<(), AppError> {
        Ok(keys::delete(conn, current.id)?)
    }
}

/// One key (without the key itself).
#[utoipa::path(
    operation_id = "adminGetContentKey", tag = "Admin: content keys", params(Id<ContentKey>),
    responses((status = 200, description = "The key", body = Data<ContentKeyView>, headers(("ETag" = String)))))]
#[get("/content-keys/{id}")]
#[tracing::instrument(name = "admin::content_keys::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<ContentKey>,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "manage content API keys")?;
    versioned::show(&state, id).await
}

/// Relabels a key or changes its rate.
#[utoipa::path(
    operation_id = "adminUpdateContentKey", tag = "Admin: content keys",
    params(Id<ContentKey>, Precondition),
    request_body = UpdateContentKey,
    responses((status = 200, description = "The updated key", body = Data<ContentKeyView>, headers(("ETag" = String)))))]
#[patch("/content-keys/{id}")]
#[tracing::instrument(name = "admin::content_keys::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<ContentKey>,
    precondition: Precondition,
    body: SmallJson<UpdateContentKey>,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "manage content API keys")?;
    let patch = body.0;
    let changes = KeyChanges {
        label: patch.label.map(checked_label).transpose()?,
        rate_per_minute: patch.rate_per_minute.map(checked_rate).transpose()?,
    };
    let edit = Patch {
        changes,
        version: patch.version,
    };
    let response = versioned::save(&state, id, precondition, edit).await?;
    state.content_keys.invalidate();
    Ok(response)
}

/// Revokes a key: it stops working at once on this instance, and within
/// `HEADLINE_CACHE_SYNC_MS` on others.
#[utoipa::path(
    operation_id = "adminDeleteContentKey", tag = "Admin: content keys",
    params(Id<ContentKey>, Precondition),
    responses((status = 204, description = "Revoked")))]
#[delete("/content-keys/{id}")]
#[tracing::instrument(name = "admin::content_keys::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<ContentKey>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::admin_only(&user, "manage content API keys")?;
    let response = versioned::remove(&state, id, precondition, Delete).await?;
    state.content_keys.invalidate();
    Ok(response)
}
