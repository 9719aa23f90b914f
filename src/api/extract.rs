//! Request extractors whose failures speak problem+json: a strict JSON body, and the error
//! handlers for actix's query and path extractors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};
use crate::startup::AppState;

/// A JSON request body: `application/json` (or any `+json` type), at most `LIMIT` bytes (0:
/// the configured `HEADLINE_BODY_LIMIT`, for articles and lists), deserialized strictly
/// (unknown fields are rejected by the DTOs themselves).
///
/// Failures: wrong content type 415, too large 413, malformed JSON or unknown field 400,
/// missing field or wrong type 422 naming the field.
#[derive(Debug)]
pub struct JsonBody<T, const LIMIT: usize = 0>(pub T);

/// The limit of small bodies: logins, tokens, users, topics, authors, publishing. Nobody needs
/// more, and an unauthenticated caller should not make the server buffer 10 MiB per request.
pub const SMALL_BODY_LIMIT: usize = 64 * 1024;

/// A JSON body of at most [`SMALL_BODY_LIMIT`] bytes.
pub type SmallJson<T> = JsonBody<T, SMALL_BODY_LIMIT>;

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for JsonBody<T, LIMIT> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = match LIMIT {
            0 => req
                .app_data::<web::Data<AppState>>()
                .map_or(crate::DEFAULT_BODY_LIMIT, |s| s.settings.body_limit),
            small => small,
        };
        let content_type_ok = is_json(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = web::Payload::from_request(req, payload).into_inner();
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                return Box::pin(async move {
                    Err(AppError::bad_request("malformed_body", e.to_string()))
                });
            }
        };
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::UnsupportedMediaType(
                    "request bodies must be application/json".to_owned(),
                ));
            }
            let too_large = || {
                AppError::PayloadTooLarge(format!(
                    "request body is over the limit of {limit} bytes"
                ))
            };
            if declared_length.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let bytes = payload
                .to_bytes_limited(limit)
                .await
                .map_err(|_over_limit| too_large())?
                .map_err(|e| {
                    AppError::bad_request("malformed_body", format!("could not read the body: {e}"))
                })?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Strips serde_json's " at line 1 column 5" suffix.
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.split_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// The name between the first pair of backticks of a serde message (`missing field `title``).
fn backticked(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// The field a serde message names, under `path` (which may already end with it).
fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Deserializes a JSON body and classifies failures into 400 (syntax, unknown field) or 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Bodies are objects (or `null` for an optional one), but serde would also fill a struct
    // from an array (`[null, null]`).
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') && serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    if has_nul_escape(bytes)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = nul_at(&value, String::new())
    {
        return Err(AppError::invalid(field, "must not contain NUL characters"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            return match de.end() {
                Ok(()) => Ok(value),
                Err(e) => Err(AppError::bad_request(
                    "malformed_json",
                    format!("malformed JSON: {}", message_of(&e)),
                )),
            };
        }
        Err(err) => err,
    };
    // JSON has one number type: `3.0` is the integer 3 to JSON Schema, and so to every client
    // generated from the document. Only on this error path, so valid bodies parse once.
    if message_of(err.inner()).starts_with("invalid type: floating point")
        && let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && integral_floats_to_integers(&mut value)
    {
        return serde_path_to_error::deserialize::<_, T>(value)
            .map_err(|err| classify(err.path().to_string(), err.into_inner()));
    }
    Err(classify(err.path().to_string(), err.into_inner()))
}

/// Whether the JSON text has a `\u0000` escape (a NUL byte itself is not valid JSON): a quick
/// scan, so that ordinary bodies are not parsed twice.
fn has_nul_escape(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        // An escape only if the backslash is not itself escaped: an even run of them before.
        w == b"\\u0000"
            && bytes
                .iter()
                .take(i)
                .rev()
                .take_while(|b| **b == b'\\')
                .count()
                % 2
                == 0
    })
}

/// The path of the first string (or key) holding a NUL character: `title`, `items[2].url`.
fn nul_at(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let here = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.clone()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(at)
            } else {
                nul_at(v, at)
            }
        }),
        _ => None,
    }
}

/// `f` as an integer, when it is one that fits an `i64`.
#[expect(
    clippy::as_conversions,
    reason = "float to integer has no `From`; the range is checked first (2^63 is exact)"
)]
fn integral(f: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// Rewrites every float with no fractional part that fits an i64 as an integer; says whether
/// it changed anything.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64().and_then(integral) {
            Some(i) => {
                *value = Value::from(i);
                true
            }
            None => false,
        },
        // Every element is visited (no short circuit): all of them are rewritten.
        Value::Array(items) => {
            items
                .iter_mut()
                .map(integral_floats_to_integers)
                .filter(|c| *c)
                .count()
                > 0
        }
        Value::Object(map) => {
            map.values_mut()
                .map(integral_floats_to_integers)
                .filter(|c| *c)
                .count()
                > 0
        }
        _ => false,
    }
}

/// A serde failure at `path` as a problem: 400 for syntax and unknown fields, 422 otherwise.
fn classify(path: String, inner: serde_json::Error) -> AppError {
    let message = message_of(&inner);
    match inner.classify() {
        serde_json::error::Category::Data => {
            if message.starts_with("unknown field") {
                let field = join(&path, backticked(&message).unwrap_or("?"));
                AppError::BadRequest {
                    code: "unknown_field",
                    detail: format!("unknown field `{field}`"),
                    errors: Some(vec![FieldError::new(field, message)]),
                }
            } else if message.starts_with("missing field") {
                let field = join(&path, backticked(&message).unwrap_or("?"));
                AppError::Validation(vec![FieldError::new(field, "is required")])
            } else {
                let field = if path == "." { "body".to_owned() } else { path };
                AppError::Validation(vec![FieldError::new(field, message)])
            }
        }
        _ => AppError::bad_request("malformed_json", format!("malformed JSON: {message}")),
    }
}

/// Routes query-string errors (unknown parameter, bad value) into a problem+json 400.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    let errors = backticked(&detail).map(|name| vec![FieldError::new(name, detail.clone())]);
    AppError::BadRequest {
        code: "invalid_query",
        detail: format!("invalid query string: {detail}"),
        errors,
    }
    .into()
}

/// A path segment that does not parse (say, a non-numeric id) names no resource: 404.
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    AppError::NotFound(format!("no such resource ({err})")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialized")]
    struct Body {
        title: String,
        count: Option<i64>,
    }

    fn status(r: Result<Body, AppError>) -> u16 {
        use actix_web::ResponseError;
        r.err().map_or(200, |e| e.status_code().as_u16())
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(status(parse_json(br#"{"title":"x"}"#)), 200);
        assert_eq!(status(parse_json(br#"{"title":"#)), 400);
        assert_eq!(status(parse_json(br#"{"title":"x","nope":1}"#)), 400);
        assert_eq!(status(parse_json(br#"{"count":1}"#)), 422);
        assert_eq!(status(parse_json(br#"{"title":"x","count":"one"}"#)), 422);
        assert_eq!(status(parse_json(br#"{"title":"x"} trailing"#)), 400);
        assert_eq!(status(parse_json(br#"{"title":"a\u0000b"}"#)), 422);
        // An escaped backslash before `u0000` is text, not a NUL.
        assert_eq!(status(parse_json(br#"{"title":"a\\u0000b"}"#)), 200);
    }
}

/// An optional JSON body: no body at all (no `Content-Type`, empty) is `None`; anything else is
/// parsed exactly like [`JsonBody`].
#[derive(Debug)]
pub struct MaybeJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let no_type = req.headers().get(header::CONTENT_TYPE).is_none();
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.trim() == "0");
        if no_type && empty {
            return Box::pin(async { Ok(MaybeJsonBody(None)) });
        }
        // `null` is the same as no body.
        let inner = SmallJson::<Option<T>>::from_request(req, payload);
        Box::pin(async move { inner.await.map(|b| MaybeJsonBody(b.0)) })
    }
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value, so that
/// PATCH can tell "leave alone" from "clear".
pub fn patch_field<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
