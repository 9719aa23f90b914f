//! Content API keys: rows of known Content API consumers (see `auth::content_keys`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::content_keys as keys;
use crate::models::{ModelError, OrMissing};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = keys)]
pub struct ContentKey {
    pub id: i64,
    pub label: String,
    pub key_hash: String,
    pub prefix: String,
    pub rate_per_minute: Option<i32>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an admin edits.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = keys)]
pub struct KeyChanges {
    pub label: Option<String>,
    pub rate_per_minute: Option<Option<i32>>,
}

/// Every key (what the key store loads).
pub fn all(conn: &mut AnyConnection) -> Result<Vec<ContentKey>, ModelError> {
    Ok(keys::table
        .order(keys::id.asc())
        .select(ContentKey::as_select())
        .load(conn)?)
}

pub fn list(
    conn: &mut AnyConnection,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ContentKey>, ModelError> {
    Ok(keys::table
        .filter(keys::id.gt(after.unwrap_or(0)))
        .order(keys::id.asc())
        .limit(limit)
        .select(ContentKey::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<ContentKey>, ModelError> {
    keys::table
        .find(id)
        .select(ContentKey::as_select())
        .first(conn)
        .optional()
        .map_err(Into::into)
}

pub fn create(
    conn: &mut AnyConnection,
    label: &str,
    key_hash: &str,
    prefix: &str,
    rate_per_minute: Option<i32>,
    now: NaiveDateTime,
) -> Result<ContentKey, ModelError> {
    let id: i64 = diesel::insert_into(keys::table)
        .values((
            keys::label.eq(label),
            keys::key_hash.eq(key_hash),
            keys::prefix.eq(prefix),
            keys::rate_per_minute.eq(rate_per_minute),
            keys::version.eq(1_i64),
            keys::created_at.eq(now),
            keys::updated_at.eq(now),
        ))
        .returning(keys::id)
        .get_result(conn)?;
    find(conn, id)?.or_missing("content key")
}

/// Writes `changes` if the key is still at `expected` (409 otherwise).
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    expected: i64,
    changes: &KeyChanges,
    now: NaiveDateTime,
) -> Result<ContentKey, ModelError> {
    let n = diesel::update(keys::table.filter(keys::id.eq(id).and(keys::version.eq(expected))))
        .set((
            changes,
            keys::version.eq(expected + 1),
            keys::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(super::stale("content key"));
    }
    find(conn, id)?.or_missing("content key")
}

/// Revokes a key: it stops working at once here, within `HEADLINE_CACHE_SYNC_MS` elsewhere.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    match diesel::delete(keys::table.find(id)).execute(conn)? {
        0 => Err(ModelError::NotFound("content key")),
        _ => Ok(()),
    }
}
