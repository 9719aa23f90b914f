//! Lookups only the Content API makes: public articles by former slug, summaries in order.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{ArticleBrief, is_public};
use crate::db::AnyConnection;
use crate::db::schema::{article_slugs, articles};
use crate::error::AppError;

/// The current slug of the article public at `now` that `slug` used to name.
pub fn public_slug_for_former(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    Ok(article_slugs::table
        .inner_join(articles::table)
        .filter(article_slugs::slug.eq(slug))
        .filter(is_public(now))
        .select(articles::slug)
        .first(conn)
        .optional()?)
}

/// Summaries of `ids` (those visible under `visibility`), in the order of `ids`.
pub fn briefs_in_order(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<Vec<ArticleBrief>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<ArticleBrief> = articles::table
        .filter(articles::id.eq_any(ids))
        .filter(is_public(now))
        .select(ArticleBrief::as_select())
        .load(conn)?;
    rows.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
    Ok(rows)
}
