//! Response envelopes and caching headers.
//!
//! Content API responses carry a strong `ETag` (a digest of the exact body bytes) and
//! `Cache-Control: public, max-age=N`; `If-None-Match` answers 304. Admin responses carry the
//! resource's version as their `ETag` (for `If-Match`) and are never cached.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, Header, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::pagination::Page;

/// A single resource: `{"data": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// Pagination metadata of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// The page size used.
    #[schema(example = 20)]
    pub limit: i64,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Number of matching items, only when `count=true` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Meta {
    pub pagination: Pagination,
    /// Counts of a search's matches by topic, only when `facets=topic` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// Facet counts of a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    /// The topics the matches are filed under, most matches first (at most 50).
    pub topic: Vec<TopicFacet>,
}

/// How many of a search's matches one topic has.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicFacet {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "xiaomi")]
    pub slug: String,
    #[schema(example = "Xiaomi")]
    pub name: String,
    /// Matches filed under the topic (with every other filter applied).
    #[schema(example = 12)]
    pub count: u64,
}

/// A collection: `{"data": [...], "meta": {"pagination": {...}}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collection<T> {
    pub data: Vec<T>,
    pub meta: Meta,
}

impl<T> Collection<T> {
    pub fn from_page<R>(page: Page<R>, limit: i64, sort: &str, f: impl FnMut(R) -> T) -> Self {
        let next_cursor = page.next.as_ref().map(|c| c.encode(sort));
        let total = page.total;
        Collection {
            data: page.items.into_iter().map(f).collect(),
            meta: Meta {
                facets: None,
                pagination: Pagination {
                    limit,
                    next_cursor,
                    total,
                },
            },
        }
    }
}

/// A strong validator for `bytes`: their 128-bit XXH3, hex. A validator needs no resistance to
/// attack (a client only compares it with what the same URL answered before), and hashing every
/// uncached body with SHA-256 took 4 % of a read's CPU; XXH3 is an order of magnitude cheaper.
fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// The request's `If-None-Match`, by actix's typed header; a malformed one is no condition.
pub fn none_match(req: &impl HttpMessage) -> Option<header::IfNoneMatch> {
    header::IfNoneMatch::parse(req).ok()
}

/// Whether `condition` is `*` or names `etag`, or the tag of one of its compressed
/// representations (`crate::api::encoding`); weak tags compare by value, as RFC 9110 asks for
/// `If-None-Match`.
pub fn none_match_hits(condition: Option<&header::IfNoneMatch>, etag: &str) -> bool {
    match condition {
        Some(header::IfNoneMatch::Any) => true,
        Some(header::IfNoneMatch::Items(tags)) => tags
            .iter()
            .any(|t| crate::api::encoding::names_body(t.tag(), etag)),
        None => false,
    }
}

/// A cacheable Content API response, or a 304 when the client's copy is current.
pub fn public<T: Serialize>(
    req: &HttpRequest,
    max_age: u32,
    body: &T,
) -> Result<HttpResponse, AppError> {
    public_json(req, max_age, serde_json::to_vec(body)?)
}

/// [`public`] for a body already serialised.
pub fn public_json(
    req: &HttpRequest,
    max_age: u32,
    bytes: Vec<u8>,
) -> Result<HttpResponse, AppError> {
    let etag = etag_of(&bytes);
    let cache_control = format!("public, max-age={max_age}");
    if none_match_hits(none_match(req).as_ref(), &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .content_type("application/json")
        .body(bytes))
}

/// The admin `ETag` of a resource version.
pub fn version_etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// An admin response for one resource at `version`.
pub fn versioned<T: Serialize>(status: StatusCode, version: i64, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, version_etag(version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// 201 Created with `Location`.
pub fn created<T: Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    let mut response = versioned(StatusCode::CREATED, version, body);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// An uncached admin response with no version (collections, tokens).
pub fn private<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
