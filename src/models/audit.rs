//! Rows of the audit log (written by `crate::audit`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::audit_log as log;
use crate::models::ModelError;

/// One record, as written and as read.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = log)]
pub struct Entry {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub method: String,
    pub path: String,
    pub status: i32,
    pub request_id: Option<String>,
    pub address: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, entry: &Entry) -> Result<(), ModelError> {
    diesel::insert_into(log::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

/// What a reader narrows the log to.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub user_id: Option<i64>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// Records newest first, before the record `before`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, ModelError> {
    let mut q = log::table
        .filter(log::id.lt(before.unwrap_or(i64::MAX)))
        .order(log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .into_boxed();
    if let Some(user_id) = filter.user_id {
        q = q.filter(log::user_id.eq(user_id));
    }
    if let Some(action) = &filter.action {
        q = q.filter(log::action.eq(action.clone()));
    }
    if let Some(entity) = &filter.entity {
        q = q.filter(log::entity.eq(entity.clone()));
    }
    if let Some(entity_id) = filter.entity_id {
        q = q.filter(log::entity_id.eq(entity_id));
    }
    if let Some(since) = filter.since {
        q = q.filter(log::at.ge(since));
    }
    if let Some(until) = filter.until {
        q = q.filter(log::at.lt(until));
    }
    Ok(q.load(conn)?)
}
