//! The middleware: answers from the cache, or makes the response and keeps it.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use super::{Entry, ResponseCache, Turn};
use crate::api::encoding::Coding;
use crate::api::respond::{none_match, none_match_hits};
use crate::error::AppError;
use crate::startup::AppState;
use crate::telemetry::RoutePattern;
use crate::telemetry::metrics::HitMiss;

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// A public response in the client's coding, or a 304 when `If-None-Match` names any
/// representation of its body. `x_cache` is set when the cache is on. `None` when the
/// entry's body cannot be unpacked.
fn represent(
    entry: &Entry,
    coding: Coding,
    not_modified: bool,
    x_cache: Option<&'static str>,
    cached: Option<(&ResponseCache, &str)>,
) -> Option<HttpResponse> {
    let mut res = if not_modified {
        let mut res = HttpResponse::NotModified().finish();
        if let Some(etag) = entry.etag_of(coding) {
            res.headers_mut().insert(header::ETAG, etag);
        }
        res
    } else {
        let (body, etag) = entry.encoded(coding, cached)?;
        let mut res = HttpResponse::Ok();
        res.content_type("application/json")
            .insert_header((header::ETAG, etag));
        if coding != Coding::Identity {
            res.insert_header((header::CONTENT_ENCODING, coding.token()));
        }
        res.body(body)
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, entry.cache_control.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(status) = x_cache {
        headers.insert(X_CACHE, HeaderValue::from_static(status));
    }
    Some(res)
}

/// The response cache's hits and misses.
static CACHE_REQUESTS: HitMiss = HitMiss::new("headline_cache_requests_total");

/// A cache hit; the request back when the entry cannot be served (its body does not
/// unpack), to be made anew.
fn hit(
    req: ServiceRequest,
    entry: &Entry,
    cache: &ResponseCache,
    key: &str,
) -> Result<ServiceResponse<BoxBody>, ServiceRequest> {
    let not_modified = entry
        .etag
        .to_str()
        .is_ok_and(|etag| none_match_hits(none_match(&req).as_ref(), etag));
    let coding = Coding::negotiate(&req);
    match represent(entry, coding, not_modified, Some("hit"), Some((cache, key))) {
        Some(res) => {
            CACHE_REQUESTS.counter(true).increment(1);
            if let Some(route) = &entry.route {
                req.extensions_mut().insert(RoutePattern(route.clone()));
            }
            Ok(req.into_response(res))
        }
        None => Err(req),
    }
}

/// Middleware (wrap the app with `from_fn`): for Content API reads, serves cached responses,
/// caches new ones, answers `If-None-Match` and compresses.
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let path = req.path();
    let content_api = crate::api::is_content_api(path)
        // Draft previews are private: never kept, never served from the cache.
        && !path.starts_with("/api/v1/preview/");
    let Some(state) = state.filter(|_| content_api && req.method() == Method::GET) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let coding = Coding::negotiate(&req);
    let key = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let cache = &state.cache;
    let mut token = None;
    let mut flight = None;
    if state.settings.cache {
        match cache.refresh(&state.db, state.clock.now()).await {
            Ok(t) => token = Some(t),
            // Without a known generation nothing may be served from the cache.
            Err(e) => tracing::warn!(error = %e, "response cache could not sync; bypassing it"),
        }
    }
    let mut req = req;
    if token.is_some() {
        if let Some(entry) = cache.get(&key) {
            match hit(req, &entry, cache, &key) {
                Ok(res) => return Ok(res),
                Err(back) => req = back,
            }
        }
        match cache.turn(&key) {
            Turn::Lead(lead) => flight = Some(lead),
            Turn::Follow(mut done) => {
                // Wakes when the leader's claim drops; its response is cached by then, unless
                // it was not cacheable (an error) or content changed meanwhile: then make our
                // own.
                let _ = done.changed().await;
                if let Some(entry) = cache.get(&key) {
                    match hit(req, &entry, cache, &key) {
                        Ok(res) => return Ok(res),
                        Err(back) => req = back,
                    }
                }
            }
        }
    }
    let x_cache = state.settings.cache.then_some("miss");
    if x_cache.is_some() {
        CACHE_REQUESTS.counter(false).increment(1);
    }

    // The handler makes the full response even for a revalidation, so that it can be kept and
    // compressed; the condition is answered here. (A 304 from the handler could not be cached,
    // and a URL that clients only ever revalidate would never be cached again once evicted.)
    let condition = none_match(&req);
    req.headers_mut().remove(header::IF_NONE_MATCH);
    let res = next.call(req).await?;
    let public = res.status() == StatusCode::OK
        && res.headers().contains_key(header::ETAG)
        && res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("public"));
    if !public {
        // Errors: actix's Compress encodes them on the way out.
        let mut res = res.map_into_boxed_body();
        if let Some(status) = x_cache {
            res.headers_mut()
                .insert(X_CACHE, HeaderValue::from_static(status));
        }
        return Ok(res);
    }
    let (http_req, http_res) = res.into_parts();
    let costly = http_res.extensions().contains::<super::Costly>();
    let (head, body) = http_res.into_parts();
    let body = actix_web::body::to_bytes(body).await.map_err(|e| {
        AppError::internal(format!("response body could not be read: {}", e.into()))
    })?;
    let (Some(etag), Some(cache_control)) = (
        head.headers().get(header::ETAG).cloned(),
        head.headers().get(header::CACHE_CONTROL).cloned(),
    ) else {
        return Ok(ServiceResponse::new(
            http_req,
            head.set_body(BoxBody::new(body)),
        ));
    };
    let not_modified = etag
        .to_str()
        .is_ok_and(|etag| none_match_hits(condition.as_ref(), etag));
    // On a full cache, a URL's first miss is not kept (see `doorkeeper`).
    let followed = flight.as_ref().is_some_and(super::Flight::followed);
    let kept = token
        .filter(|_| cache.admits(&key, costly, followed))
        .map(|token| {
            let mut kept = Entry::packed(&body, etag.clone(), cache_control.clone());
            kept.route = http_req.match_pattern().map(Arc::from);
            let kept = Arc::new(kept);
            let writes = state.db.local_content_writes();
            cache.put(key.clone(), kept.clone(), costly, token, writes);
            kept
        });
    let res = match kept {
        // A compressed coding is made on the kept entry, which keeps it for the next hits.
        Some(kept) if coding != Coding::Identity => {
            represent(&kept, coding, not_modified, x_cache, Some((cache, &key)))
        }
        // The body as made goes out as it is: no unpacking of what was just packed.
        _ => represent(
            &Entry::new(body, etag, cache_control),
            coding,
            not_modified,
            x_cache,
            None,
        ),
    }
    .ok_or_else(|| AppError::internal("a response body could not be unpacked"))?;
    drop(flight);
    Ok(ServiceResponse::new(http_req, res))
}
