//! Scheduled publications: published articles whose `published_at` has not come yet.
//!
//! Such an article becomes public with no write, when its time passes. Readers of the change
//! log (the changes feed, webhooks) still need a record of that moment, so a row here waits
//! for it, and [`promote_due`] (run by the scheduler, `crate::scheduler`) appends the article's
//! `article.published` change and removes the row, in one content write. An article is
//! announced as public exactly when it is published and has no row here.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::scheduled_publications as scheduled;
use crate::models::changes::{self, Entity, Kind};
use crate::models::{ModelError, OrMissing};

/// Whether the article waits for its publication time to be announced.
pub fn is_pending(conn: &mut AnyConnection, article_id: i64) -> Result<bool, ModelError> {
    Ok(diesel::select(diesel::dsl::exists(scheduled::table.find(article_id))).get_result(conn)?)
}

/// Makes the article wait for `due` (a scheduled publication), or for nothing.
pub fn set(
    conn: &mut AnyConnection,
    article_id: i64,
    due: Option<NaiveDateTime>,
) -> Result<(), ModelError> {
    diesel::delete(scheduled::table.find(article_id)).execute(conn)?;
    if let Some(due) = due {
        diesel::insert_into(scheduled::table)
            .values((
                scheduled::article_id.eq(article_id),
                scheduled::due_at.eq(due),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether any scheduled publication is due at `now`: a cheap read before the write.
pub fn any_due(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<bool, ModelError> {
    Ok(diesel::select(diesel::dsl::exists(
        scheduled::table.filter(scheduled::due_at.le(now)),
    ))
    .get_result(conn)?)
}

/// At most this many publications are announced per transaction.
const BATCH: i64 = 500;

/// Announces the publications due at `now`, in the caller's content write: an
/// `article.published` change each. Returns how many.
pub fn promote_due(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<usize, ModelError> {
    let due: Vec<i64> = scheduled::table
        .filter(scheduled::due_at.le(now))
        .order(scheduled::due_at.asc())
        .limit(BATCH)
        .select(scheduled::article_id)
        .load(conn)?;
    let mut announced = 0;
    for id in due {
        let article = super::articles::find(conn, id)?.or_missing("article")?;
        // Saves keep this table in step with the article; the check is for safety.
        if article.status == super::articles::ArticleStatus::Published
            && article.published_at.is_some_and(|at| at <= now)
        {
            changes::record(
                conn,
                changes::Entry {
                    public: true,
                    ..changes::entry(Entity::Article, id, Kind::Published, &article.slug)
                },
            )?;
            announced += 1;
        }
        diesel::delete(scheduled::table.find(id)).execute(conn)?;
    }
    Ok(announced)
}
