//! HTTP handlers and their request/response types: the Content API, the Admin API, auth and
//! health. Handlers are thin: extract, validate, one `db.run`/`db.write`, build a view.

pub mod admin;
mod articles_common;
pub mod auth;
pub mod cache;
pub mod content;
pub mod encoding;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod respond;
pub mod views;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every documented route. The same function builds the served app and the OpenAPI document,
/// so they cannot drift apart.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(crate::telemetry::metrics::scrape)
        .service(
            scope::scope("/api/v1")
                .configure(content::configure)
                .service(
                    scope::scope("/auth")
                        .service(auth::login)
                        .service(auth::refresh)
                        .service(auth::logout),
                )
                .service(scope::scope("/admin").configure(admin::configure)),
        );
}

/// Whether `path` is the Content API's (`/api/v1/…` but not the Admin or Auth API): what the
/// response cache, content API keys and the OpenAPI document's rules treat as public reads.
pub fn is_content_api(path: &str) -> bool {
    path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/admin")
        && !path.starts_with("/api/v1/auth/")
}
