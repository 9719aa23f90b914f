//! The Content API: public, read-only, cacheable. Only published articles whose time has come,
//! and only public fields of authors.

pub mod articles;
pub mod authors;
pub mod changes;
pub mod lists;
pub mod preview;
pub mod read_model;
pub mod topics;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(articles::list)
        .service(articles::get)
        .service(articles::related)
        .service(authors::list)
        .service(authors::get)
        .service(topics::list)
        .service(topics::get)
        .service(lists::get)
        .service(changes::feed)
        .service(preview::get);
}
