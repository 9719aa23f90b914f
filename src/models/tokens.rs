//! Refresh tokens, stored as digests. Each login starts a family; each refresh uses up its token
//! and issues the next one in the family. Presenting a used token again means it leaked: the whole
//! family is revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::refresh_tokens;
use crate::models::ModelError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    family: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), ModelError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family.eq(family),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::expires_at.eq(expires_at),
            refresh_tokens::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RefreshToken>, ModelError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used; `false` when it was already used or revoked (a concurrent reuse).
pub fn use_up(conn: &mut AnyConnection, id: i64) -> Result<bool, ModelError> {
    let n = diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::id
                .eq(id)
                .and(refresh_tokens::used_at.is_null())
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::used_at.eq(super::now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes a login's refresh tokens and ends its user's access tokens.
pub fn revoke_family(conn: &mut AnyConnection, family: &str) -> Result<(), ModelError> {
    let owner = refresh_tokens::table
        .filter(refresh_tokens::family.eq(family))
        .select(refresh_tokens::user_id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(user_id) = owner {
        super::users::end_sessions(conn, user_id)?;
    }
    diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::family
                .eq(family)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(super::now()))
    .execute(conn)?;
    Ok(())
}

/// Revokes every token of a user (password change, disabling, deletion), access tokens too.
pub fn revoke_user(conn: &mut AnyConnection, user_id: i64) -> Result<(), ModelError> {
    super::users::end_sessions(conn, user_id)?;
    diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::user_id
                .eq(user_id)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(super::now()))
    .execute(conn)?;
    Ok(())
}
