//! Logging: the tracing subscriber (`RUST_LOG` filters; `HEADLINE_LOG_FORMAT` picks `pretty` or
//! `json`; always stderr) and the access log, one line per request with the request id that the
//! response's `x-request-id` also carries, so a client's report can be found in the logs.
//! [`metrics`] counts the same requests (and the cache and database) for Prometheus.

pub mod metrics;

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; later calls are no-ops (tests call it freely).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        // Colours are for people at a terminal, not for files and log collectors.
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// The id of the request being served, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route pattern of a response the router did not make (a response cache hit), put in
/// the request's extensions by the cache: actix finds a routed request's pattern from the
/// resource it matched, but any other's by matching the path against every route again, 4 %
/// of a cache hit's CPU.
#[derive(Debug, Clone)]
pub struct RoutePattern(pub Arc<str>);

/// The authenticated caller's user id, put in the request's extensions by `CurrentUser`.
#[derive(Debug, Clone, Copy)]
pub struct UserId(pub i64);

/// A proxy's `X-Request-Id` is kept when it is a plausible id (1–128 characters of letters,
/// digits and `-_.:`), so one id follows a request across services; anything else (empty,
/// huge, or able to forge log lines) is replaced.
fn incoming_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(&X_REQUEST_ID)?.to_str().ok()?;
    let plausible = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    plausible.then(|| id.to_owned())
}

fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Middleware (wrap with `from_fn`, outermost): gives the request its id, answers it in
/// `x-request-id`, and logs one line when the response is ready: method, route pattern, path,
/// status, duration, body bytes, response cache hit or miss, request id, and user id when the
/// caller was authenticated. 5xx lines are errors; the rest info.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = incoming_id(req.headers()).unwrap_or_else(new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    // Kept for a failure that has no response yet: the request cannot be cloned across the
    // call (routing needs it unshared).
    let (method, path) = (req.method().clone(), req.path().to_owned());
    // The request's span: every event of its handler, middleware and database work (which
    // `Db` carries onto the blocking threads) names the request it belongs to.
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let mut res = match tracing::Instrument::instrument(next.call(req), span).await {
        Ok(res) => res,
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            tracing::info!(request_id = %id, method = %method, path = %path, status, "request failed");
            return Err(err);
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }

    let status = res.status().as_u16();
    let route = {
        let request = res.request();
        let held = request.extensions().get::<RoutePattern>().cloned();
        held.map(|r| r.0.to_string())
            .or_else(|| request.match_pattern())
            .unwrap_or_else(|| "-".to_owned())
    };
    self::metrics::record_request(
        res.request().method(),
        route.clone(),
        status,
        started.elapsed(),
    );
    // The line's fields cost allocations: none when the line would be filtered out (the
    // benchmark runs at RUST_LOG=error).
    let wanted = if status >= 500 {
        tracing::enabled!(tracing::Level::ERROR)
    } else {
        tracing::enabled!(tracing::Level::INFO)
    };
    if !wanted {
        return Ok(res);
    }
    let request = res.request();
    let duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let bytes = match res.response().body().size() {
        BodySize::Sized(n) => n,
        BodySize::None | BodySize::Stream => 0,
    };
    let cache = res
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let user_id = request.extensions().get::<UserId>().map(|u| u.0);
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                request_id = %id,
                method = %request.method(),
                route = %route,
                path = %request.path(),
                status,
                duration_ms,
                bytes,
                cache = %cache,
                user_id,
                "request"
            )
        };
    }
    if status >= 500 {
        line!(error);
    } else {
        line!(info);
    }
    Ok(res)
}
