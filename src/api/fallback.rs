//! The documented routes, taken from the OpenAPI document, and what they let us answer without
//! a handler: 405 with `Allow` for a known path with another method (actix would say 404), 404
//! for an unknown path, and 400 for a query parameter the operation does not declare — so that
//! nothing a caller sends is ignored silently, on every route, in step with the spec.

use std::collections::BTreeSet;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, ParameterIn};

use crate::error::{AppError, FieldError};
use crate::startup::AppState;

/// One documented operation: its method and the query parameters it declares.
#[derive(Debug)]
struct Op {
    method: &'static str,
    query: BTreeSet<String>,
}

/// The documented paths, their operations and the `Allow` value of each path.
#[derive(Debug, Default)]
pub struct KnownRoutes(Vec<(ResourceDef, Vec<Op>, String)>);

fn query_names(op: &Operation) -> BTreeSet<String> {
    op.parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

impl KnownRoutes {
    pub fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let ops: Vec<Op> = [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ]
                .into_iter()
                .filter_map(|(method, op)| {
                    op.as_ref().map(|op| Op {
                        method,
                        query: query_names(op),
                    })
                })
                .collect();
                let mut methods: Vec<&str> = ops.iter().map(|o| o.method).collect();
                if methods.contains(&"GET") {
                    methods.insert(1, "HEAD");
                }
                let allow = methods.join(", ");
                (ResourceDef::new(path.as_str()), ops, allow)
            })
            .collect();
        KnownRoutes(routes)
    }

    fn find(&self, path: &str) -> Option<&(ResourceDef, Vec<Op>, String)> {
        self.0.iter().find(|(def, _, _)| def.is_match(path))
    }

    /// The `Allow` value of the documented path matching `path`, if any.
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.find(path).map(|(_, _, allow)| allow.as_str())
    }

    /// The query parameters the operation at `method` `path` declares, if it is documented.
    fn declared_query(&self, method: &str, path: &str) -> Option<&BTreeSet<String>> {
        let (_, ops, _) = self.find(path)?;
        ops.iter().find(|o| o.method == method).map(|o| &o.query)
    }
}

/// The default service: 405 for a known path, else 404.
pub async fn not_found_or_method(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    Err(match state.routes.allow(req.path()) {
        Some(allow) => AppError::MethodNotAllowed {
            allow: allow.to_owned(),
        },
        None => AppError::NotFound(format!("no route for {}", req.path())),
    })
}

/// Middleware (wrap with `from_fn`): a 400 for query parameters the operation does not declare.
pub async fn reject_unknown_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    // PostgreSQL cannot store or compare text with NUL in it: refuse it here, for every route,
    // rather than let a slug, filter or cursor carry one to the database.
    // (`%00` has no letters to fold: no lower-cased copy of the URL is needed.)
    let raw = req.uri().path_and_query().map_or("", |p| p.as_str());
    if raw.contains("%00") {
        let err = AppError::bad_request(
            "invalid_characters",
            "the URL contains a NUL character (%00)",
        );
        let (req, _) = req.into_parts();
        return Ok(
            ServiceResponse::new(req, actix_web::ResponseError::error_response(&err))
                .map_into_right_body(),
        );
    }
    let unknown = match (req.app_data::<web::Data<AppState>>(), req.query_string()) {
        (Some(state), query) if !query.is_empty() => {
            match state
                .routes
                .declared_query(req.method().as_str(), req.path())
            {
                Some(declared) => first_unknown(query, declared),
                None => None,
            }
        }
        _ => None,
    };
    match unknown {
        Some(name) => {
            let err = AppError::BadRequest {
                code: "invalid_query",
                detail: format!("unknown query parameter `{name}`"),
                errors: Some(vec![FieldError::new(name, "unknown query parameter")]),
            };
            let (req, _) = req.into_parts();
            Ok(
                ServiceResponse::new(req, actix_web::ResponseError::error_response(&err))
                    .map_into_right_body(),
            )
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

fn first_unknown(query: &str, declared: &BTreeSet<String>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    pairs
        .into_iter()
        .map(|(k, _)| k)
        .find(|k| !declared.contains(k))
}

/// Middleware (wrap with `from_fn`): answers `HEAD` as `GET`. The HTTP layer sends the headers
/// of a `HEAD` response without its body, so every GET route gets HEAD for free.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}
