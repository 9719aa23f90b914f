//! The Content API: public, read-only, cacheable. Only published articles whose time has come,
//! and only public fields of authors.

pub mod articles;
pub mod authors;
pub mod changes;
pub mod held_cards;
pub mod lists;
pub mod preview;
pub mod read_model;
pub mod topics;

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::respond::{Data, public};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::startup::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(articles::listing::list)
        .service(articles::page::get)
        .service(articles::page::related)
        .service(authors::list)
        .service(authors::get)
        .service(topics::list)
        .service(topics::get)
        .service(lists::get)
        .service(changes::feed)
        .service(preview::get);
}

/// The public view of what `slug` names, made by `view` (which webhooks share) at the
/// request's time: cacheable, and 404 when `view` finds nothing.
async fn by_slug<V: Serialize + Send + 'static>(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    view: fn(&mut AnyConnection, &str, NaiveDateTime) -> Result<V, AppError>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let data = state.db.run(move |conn| view(conn, &slug, now)).await?;
    public(req, state.settings.cache_max_age, &Data { data })
}
