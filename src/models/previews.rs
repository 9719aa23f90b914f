//! Draft preview links: which article a preview token shows, until when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::article_previews as previews;
use crate::models::ModelError;

/// Stores a preview of `article_id` by its token's digest.
pub fn create(
    conn: &mut AnyConnection,
    article_id: i64,
    token_hash: &str,
    created_by: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), ModelError> {
    diesel::insert_into(previews::table)
        .values((
            previews::article_id.eq(article_id),
            previews::token_hash.eq(token_hash),
            previews::created_by.eq(Some(created_by)),
            previews::created_at.eq(now),
            previews::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The article a token digest previews, if the preview is still valid at `now`.
pub fn article_of(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, ModelError> {
    Ok(previews::table
        .filter(previews::token_hash.eq(token_hash))
        .filter(previews::expires_at.gt(now))
        .select(previews::article_id)
        .first(conn)
        .optional()?)
}

/// Ends every preview link of an article; returns how many there were.
pub fn revoke_all(conn: &mut AnyConnection, article_id: i64) -> Result<usize, ModelError> {
    Ok(
        diesel::delete(previews::table.filter(previews::article_id.eq(article_id)))
            .execute(conn)?,
    )
}
