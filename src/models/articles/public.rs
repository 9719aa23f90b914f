//! Lookups only the Content API makes: public articles by their former slugs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::is_public;
use crate::db::AnyConnection;
use crate::db::schema::{article_slugs, articles};
use crate::models::ModelError;

/// The current slug of the article public at `now` that `slug` used to name.
pub fn public_slug_for_former(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, ModelError> {
    Ok(article_slugs::table
        .inner_join(articles::table)
        .filter(article_slugs::slug.eq(slug))
        .filter(is_public(now))
        .select(articles::slug)
        .first(conn)
        .optional()?)
}
