//! What answers when no route matches: 405 with `Allow` for a known path with another method
//! (actix would say 404), else 404 — both as problem+json.

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::startup::AppState;

/// The documented paths and their methods, taken from the OpenAPI document.
#[derive(Debug, Default)]
pub struct KnownRoutes(Vec<(ResourceDef, String)>);

impl KnownRoutes {
    pub fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (ResourceDef::new(path.as_str()), methods.join(", "))
            })
            .collect();
        KnownRoutes(routes)
    }

    /// The `Allow` value of the documented path matching `path`, if any.
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}

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
