//! The audit log: who did what to which entity, when, from which request and address.
//!
//! Two sources write it:
//! - [`layer`], a middleware around every Admin API write (`POST`, `PUT`, `PATCH`, `DELETE`
//!   under `/api/v1/admin/`) made by a signed-in user: the action comes from the route
//!   (`POST /articles/{id}/publish` is `article.publish`, `PATCH /webhooks/{id}` is
//!   `webhook.update`), the entity id from the path or, for a create, from `Location`. Refused
//!   writes are kept too, with their status. Unauthenticated requests write nothing, so that
//!   no one can fill the log from outside.
//! - the auth handlers: `auth.login` (in the login's own transaction), `auth.login_failed`
//!   (after the password check, which is rate-limited) and `auth.logout`.
//!
//! A write's record is made after its response, in a transaction of its own: a crash between
//! the two loses the record, never the write.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use chrono::NaiveDateTime;

use crate::models::audit::Entry;
use crate::startup::AppState;
use crate::telemetry::{RequestId, UserId};

/// What a request was, for a record: everything but the action and the user.
pub fn entry(req: &HttpRequest, state: &AppState, action: &str, status: u16) -> Entry {
    let address = crate::auth::rate_limit::client_address(req, &state.trusted_proxies);
    Entry {
        id: 0,
        at: state.clock.now(),
        user_id: None,
        email: None,
        action: action.to_owned(),
        entity: None,
        entity_id: None,
        method: req.method().to_string(),
        path: req.path().to_owned(),
        status: i32::from(status),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        address: address.map(|a| a.to_string()),
    }
}

/// Writes a record in a transaction of its own; a failure is logged, not returned (the
/// request it describes is done).
pub async fn write(state: &AppState, entry: Entry) {
    let written = state
        .db
        .write(move |conn| Ok(crate::models::audit::insert(conn, &entry)?))
        .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "audit record not written");
    }
}

/// The entity a route pattern is about, singular: `/api/v1/admin/content-keys/{id}` →
/// `content_key`.
fn entity_of(collection: &str) -> String {
    let singular = collection.strip_suffix('s').unwrap_or(collection);
    singular.replace('-', "_")
}

/// `(action, entity)` of an admin write, from its method and route pattern.
pub fn describe(method: &Method, pattern: &str) -> Option<(String, String)> {
    let rest = pattern.strip_prefix("/api/v1/admin/")?;
    let mut segments = rest.split('/');
    let entity = entity_of(segments.next()?);
    // The last literal segment after the collection names a sub-action (publish, items,
    // restore, preview, ping, secret, redeliver).
    let sub = segments.rev().find(|s| !s.starts_with('{'));
    let verb = match (sub, method) {
        (None, &Method::POST) => "create".to_owned(),
        (None, &Method::DELETE) => "delete".to_owned(),
        (None, _) => "update".to_owned(),
        (Some(sub), &Method::DELETE) => format!("{sub}.delete"),
        (Some(sub), _) => sub.to_owned(),
    };
    Some((format!("{entity}.{verb}"), entity))
}

/// The id of the entity an admin write touched: the route's `{id}`, or the last segment of a
/// create's `Location`.
fn entity_id(req: &HttpRequest, res_location: Option<&str>) -> Option<i64> {
    req.match_info()
        .get("id")
        .and_then(|id| id.parse().ok())
        .or_else(|| res_location?.rsplit('/').next()?.parse().ok())
}

/// Middleware: records every Admin API write of a signed-in user (see the module's text).
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let admin_write = req.path().starts_with("/api/v1/admin/")
        && matches!(
            *req.method(),
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        );
    if !admin_write {
        return next.call(req).await;
    }
    let res = next.call(req).await?;
    let request = res.request();
    let (Some(user), Some(state)) = (
        request.extensions().get::<UserId>().copied(),
        request.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return Ok(res);
    };
    let Some((action, entity)) = request
        .match_pattern()
        .and_then(|p| describe(request.method(), &p))
    else {
        return Ok(res);
    };
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let mut record = entry(request, &state, &action, res.status().as_u16());
    record.user_id = Some(user.0);
    record.entity = Some(entity);
    record.entity_id = entity_id(request, location);
    write(&state, record).await;
    Ok(res)
}

/// A record of the auth handlers (`auth.login`, `auth.login_failed`, `auth.logout`).
pub fn auth_entry(
    req: &HttpRequest,
    state: &AppState,
    action: &str,
    status: u16,
    user: Option<(i64, &str)>,
    at: Option<NaiveDateTime>,
) -> Entry {
    let mut record = entry(req, state, action, status);
    record.entity = Some("user".to_owned());
    if let Some((id, email)) = user {
        record.user_id = Some(id);
        record.entity_id = Some(id);
        record.email = Some(email.to_owned());
    }
    if let Some(at) = at {
        record.at = at;
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_action() {
        let cases = [
            (Method::POST, "/api/v1/admin/articles", "article.create"),
            (
                Method::PATCH,
                "/api/v1/admin/articles/{id}",
                "article.update",
            ),
            (Method::DELETE, "/api/v1/admin/topics/{id}", "topic.delete"),
            (
                Method::POST,
                "/api/v1/admin/articles/{id}/publish",
                "article.publish",
            ),
            (
                Method::POST,
                "/api/v1/admin/articles/{id}/revisions/{version}/restore",
                "article.restore",
            ),
            (Method::PUT, "/api/v1/admin/lists/{id}/items", "list.items"),
            (
                Method::DELETE,
                "/api/v1/admin/articles/{id}/preview",
                "article.preview.delete",
            ),
            (
                Method::POST,
                "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
                "webhook.redeliver",
            ),
            (
                Method::PATCH,
                "/api/v1/admin/content-keys/{id}",
                "content_key.update",
            ),
        ];
        for (method, pattern, action) in cases {
            assert_eq!(
                describe(&method, pattern).map(|(a, _)| a).as_deref(),
                Some(action),
                "{pattern}"
            );
        }
        assert!(describe(&Method::POST, "/api/v1/auth/login").is_none());
    }
}
