//! Staff users: e-mail, argon2 password hash, role and optional linked author.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::users;
use crate::models::{ModelError, OrMissing};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub author_id: Option<i64>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped when the user's sessions end; access tokens carry the one they were issued at.
    pub session_generation: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub author_id: Option<i64>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<String>,
    pub author_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
}

pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> Result<User, ModelError> {
    let id: i64 = diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)?;
    find(conn, id)?.or_missing("user")
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<User>, ModelError> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
        .map_err(Into::into)
}

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<User>, ModelError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    Ok(users::table.count().get_result(conn)?)
}

/// Users ordered by id, after `after_id`.
pub fn list(
    conn: &mut AnyConnection,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<User>, ModelError> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.limit(limit).load(conn)?)
}

/// Applies `changes` when the stored version is `expected`; bumps the version.
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    expected: i64,
    changes: &UserChanges,
) -> Result<User, ModelError> {
    let now = super::now();
    let updated =
        diesel::update(users::table.filter(users::id.eq(id).and(users::version.eq(expected))))
            .set((
                changes,
                users::version.eq(expected + 1),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(super::stale("user"));
    }
    find(conn, id)?.or_missing("user")
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    let n = diesel::delete(users::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(ModelError::NotFound("user"));
    }
    Ok(())
}

/// The active admins, counted for the last-admin rule. On PostgreSQL their rows are locked
/// (in id order) until the transaction ends: two concurrent demotions take turns, and the
/// second counts what the first left. SQLite's writers take turns anyway.
pub fn count_active_admins(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    let admins = users::table
        .filter(users::role.eq("admin").and(users::disabled.eq(false)))
        .order(users::id)
        .select(users::id);
    let n = match conn {
        AnyConnection::Postgresql(pg) => admins.for_update().load::<i64>(pg)?.len(),
        AnyConnection::Sqlite(lite) => admins.load::<i64>(lite)?.len(),
    };
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The user linked to each of `author_ids`, by author id.
pub fn linked_to_authors(
    conn: &mut AnyConnection,
    author_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, ModelError> {
    if author_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Option<i64>, i64)> = users::table
        .filter(users::author_id.eq_any(author_ids))
        .select((users::author_id, users::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, u)| a.map(|a| (a, u)))
        .collect())
}

/// Ends every access token issued to the user so far (their refresh tokens are revoked by the
/// caller): the next request with one is a 401.
pub fn end_sessions(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    diesel::update(users::table.find(id))
        .set(users::session_generation.eq(users::session_generation + 1))
        .execute(conn)?;
    Ok(())
}
