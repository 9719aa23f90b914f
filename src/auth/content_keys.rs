//! Content API keys (`HEADLINE_CONTENT_API=key`): who may read the Content API, and how fast.
//!
//! Every Content API request must then present a key an admin made, as `Authorization:
//! Bearer <key>` or `?key=<key>`; a missing, unknown or revoked key is a 401, and a key past its
//! rate (requests a minute: its own, or `HEADLINE_CONTENT_KEY_RATE`) a 429 with `Retry-After`.
//! The check runs before the response cache, so a cached page is no way around it.
//!
//! Keys are checked against an in-memory copy of the table (by SHA-256), reloaded after this
//! instance's own key writes and at most every `HEADLINE_CACHE_SYNC_MS` otherwise: a revoked
//! key stops at once here and within that interval on other instances. In `public` mode keys
//! are not needed, and a `key` parameter is ignored.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};

use crate::config::ContentApi;
use crate::error::AppError;
use crate::models::content_keys::ContentKey;
use crate::startup::AppState;

/// The query parameter a key may come in.
pub const PARAM: &str = "key";

struct Known {
    id: i64,
    rate: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
}

#[derive(Default)]
struct Loaded {
    at: Option<Instant>,
    by_digest: HashMap<String, Known>,
}

/// The keys this instance knows, with each key's rate limiter.
pub struct ContentKeys {
    default_rate: u32,
    refresh: Duration,
    loaded: RwLock<Loaded>,
}

fn limiter(per_minute: u32) -> Arc<DefaultDirectRateLimiter> {
    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    Arc::new(DefaultDirectRateLimiter::direct(Quota::per_minute(n)))
}

impl ContentKeys {
    pub fn new(default_rate: u32, refresh: Duration) -> Self {
        Self {
            default_rate,
            refresh,
            loaded: RwLock::default(),
        }
    }

    /// Reload at the next request (after this instance wrote a key).
    pub fn invalidate(&self) {
        self.loaded.write().unwrap_or_else(|e| e.into_inner()).at = None;
    }

    fn stale(&self) -> bool {
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        loaded.at.is_none_or(|at| at.elapsed() >= self.refresh)
    }

    /// Takes the rows as the new set of keys; a key whose rate did not change keeps its
    /// limiter (and what it has used of it).
    fn replace(&self, rows: Vec<ContentKey>) {
        let mut loaded = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        let mut old: HashMap<i64, Known> = loaded
            .by_digest
            .drain()
            .map(|(_, known)| (known.id, known))
            .collect();
        for row in rows {
            let rate = row
                .rate_per_minute
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or(self.default_rate);
            let known = match old.remove(&row.id) {
                Some(k) if k.rate == rate => k,
                _ => Known {
                    id: row.id,
                    rate,
                    limiter: limiter(rate),
                },
            };
            loaded.by_digest.insert(row.key_hash, known);
        }
        loaded.at = Some(Instant::now());
    }

    /// Whether `key` may make a request now.
    fn admit(&self, key: Option<&str>) -> Result<(), AppError> {
        let Some(key) = key else {
            return Err(AppError::Unauthorized(
                "the Content API needs a key: Authorization: Bearer <key>, or ?key=<key>"
                    .to_owned(),
            ));
        };
        let digest = super::token_digest(key);
        let limiter = {
            let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
            match loaded.by_digest.get(&digest) {
                Some(known) => known.limiter.clone(),
                None => {
                    return Err(AppError::Unauthorized(
                        "unknown or revoked content API key".to_owned(),
                    ));
                }
            }
        };
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                retry_after: wait.as_secs().max(1),
            }
        })
    }
}

/// The key a request presents: its bearer token, or its `key` parameter.
fn presented(req: &ServiceRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    bearer.or_else(|| {
        web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get(PARAM).cloned())
    })
}

/// The request's URI without its `key` parameter, so that handlers (which refuse unknown
/// parameters) and the response cache (keyed by the query) never see it.
fn without_key(uri: &Uri) -> Option<Uri> {
    let query = uri.query()?;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(PARAM))
        .collect();
    if kept.len() == query.split('&').count() {
        return None;
    }
    let path_and_query = match kept.join("&") {
        q if q.is_empty() => uri.path().to_owned(),
        q => format!("{}?{q}", uri.path()),
    };
    path_and_query.parse().ok()
}

/// Middleware: admits Content API requests by key when `HEADLINE_CONTENT_API=key`.
pub async fn layer(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    let content_api = crate::api::is_content_api(path);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| content_api) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let key_mode = state.settings.content_api == ContentApi::Key;
    // Nothing on a public read's path but this check: the key is read only when required.
    let key = if key_mode { presented(&req) } else { None };
    if req.query_string().contains(PARAM)
        && let Some(uri) = without_key(req.uri())
    {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
    if key_mode {
        let keys = &state.content_keys;
        if keys.stale() {
            match state
                .db
                .run(|conn| Ok(crate::models::content_keys::all(conn)?))
                .await
            {
                Ok(rows) => keys.replace(rows),
                // The keys known before stay in force.
                Err(e) => tracing::warn!(error = %e, "content API keys could not be reloaded"),
            }
        }
        if let Err(e) = keys.admit(key.as_deref()) {
            let (req, _) = req.into_parts();
            let res = actix_web::ResponseError::error_response(&e);
            return Ok(ServiceResponse::new(req, res).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().expect("a URI")
    }

    #[test]
    fn the_key_parameter_is_taken_out_of_the_query() {
        let taken = without_key(&uri("/api/v1/articles?topic=x&key=abc&limit=2"));
        assert_eq!(
            taken.map(|u| u.to_string()).as_deref(),
            Some("/api/v1/articles?topic=x&limit=2")
        );
        let only = without_key(&uri("/api/v1/articles?key=abc"));
        assert_eq!(
            only.map(|u| u.to_string()).as_deref(),
            Some("/api/v1/articles")
        );
        assert!(without_key(&uri("/api/v1/articles?topic=key")).is_none());
    }
}
