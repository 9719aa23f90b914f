//! Secrets an instance generates for itself, kept in the database so that every instance agrees.

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::app_secrets;
use crate::models::ModelError;

/// The secret called `name`, generated with `generate` and stored the first time it is asked for.
pub fn get_or_create(
    conn: &mut AnyConnection,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, ModelError> {
    if let Some(value) = find(conn, name)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(app_secrets::table)
        .values((
            app_secrets::name.eq(name),
            app_secrets::value.eq(generate()),
            app_secrets::created_at.eq(super::now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        // Another instance stored it first: use theirs.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(e) => return Err(e.into()),
    }
    find(conn, name)?.ok_or_else(|| ModelError::internal("secret vanished after insert"))
}

fn find(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, ModelError> {
    Ok(app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .first(conn)
        .optional()?)
}
