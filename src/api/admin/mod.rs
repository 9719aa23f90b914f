//! The Admin API: JWT-authenticated staff endpoints. Every handler takes a [`CurrentUser`] and asks
//! `auth::policy` before it writes.
//!
//! [`CurrentUser`]: crate::auth::CurrentUser

pub mod articles;
pub mod audit;
pub mod authors;
pub mod content_keys;
pub mod lists;
pub mod topics;
pub mod users;
pub mod versioned;
pub mod webhooks;

pub use versioned::Id;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::AppError;
use crate::pagination::{self, Cursor, KeyKind};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(crate::api::auth::me)
        .service(articles::list)
        .service(articles::create)
        .service(articles::get)
        .service(articles::update)
        .service(articles::delete)
        .service(articles::publish)
        .service(articles::unpublish)
        .service(articles::revisions)
        .service(articles::restore)
        .service(articles::create_preview)
        .service(articles::revoke_previews)
        .service(authors::list)
        .service(authors::create)
        .service(authors::get)
        .service(authors::update)
        .service(authors::delete)
        .service(topics::list)
        .service(topics::create)
        .service(topics::get)
        .service(topics::update)
        .service(topics::delete)
        .service(lists::list)
        .service(lists::create)
        .service(lists::get)
        .service(lists::update)
        .service(lists::delete)
        .service(lists::put_items)
        .service(users::list)
        .service(users::create)
        .service(users::get)
        .service(users::update)
        .service(users::delete)
        .service(audit::list)
        .service(content_keys::list)
        .service(content_keys::create)
        .service(content_keys::get)
        .service(content_keys::update)
        .service(content_keys::delete)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::get)
        .service(webhooks::update)
        .service(webhooks::delete)
        .service(webhooks::rotate_secret)
        .service(webhooks::deliveries::ping)
        .service(webhooks::deliveries::deliveries)
        .service(webhooks::deliveries::redeliver);
}

/// `limit` and `cursor` of admin collections.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminPageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl AdminPageQuery {
    /// Limit and cursor of a listing ordered by a text key (name, title).
    pub fn parse(&self, sort: &str) -> Result<(i64, Option<Cursor>), AppError> {
        let limit = pagination::limit(self.limit)?;
        let cursor = Cursor::from_param(self.cursor.as_deref(), sort, KeyKind::Text)?;
        Ok((limit, cursor))
    }
}

/// An admin collection listed by id (`rows` fetched with `limit + 1`), each row made a view.
pub fn by_id<R, V: serde::Serialize>(
    rows: Vec<R>,
    limit: i64,
    id: fn(&R) -> i64,
    view: impl FnMut(R) -> V,
) -> actix_web::HttpResponse {
    let page = pagination::Page::from_rows(rows, limit, |r: &R| Cursor {
        key: pagination::Key::Text(id(r).to_string()),
        id: id(r),
    });
    crate::api::respond::private(&crate::api::respond::Collection::from_page(
        page, limit, "id", view,
    ))
}
