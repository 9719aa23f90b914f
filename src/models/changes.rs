//! The change log: what changed, in order, written in the transaction of each content write.
//!
//! It is the one record of content changes that readers outside the write follow: the search
//! index applies it (`crate::search`), and webhooks and the public changes feed are to read it
//! too. A row names the entity, its id, the kind of change, its slug and the time; readers load
//! the entity's current state themselves, so a row stays small and a burst of edits to one
//! article costs a reader one load.
//!
//! Order: content writes take turns ([`crate::db::Db::write_content`] locks the
//! `content_version` row first on PostgreSQL; SQLite has one writer), so `seq` values are
//! taken and committed in the same order. A reader that has applied every row up to N may
//! continue after N and never miss one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::changes;
use crate::error::AppError;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Article,
    Author,
    Topic,
    List,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Article => "article",
            Entity::Author => "author",
            Entity::Topic => "topic",
            Entity::List => "list",
        }
    }

    fn parse(s: &str) -> Option<Entity> {
        [Entity::Article, Entity::Author, Entity::Topic, Entity::List]
            .into_iter()
            .find(|e| e.name() == s)
    }
}

/// How it changed. `Published` and `Unpublished` are articles entering and leaving the
/// published state (a scheduled one is published with a future time); other edits are
/// `Updated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Updated,
    Published,
    Unpublished,
    Deleted,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Created => "created",
            Kind::Updated => "updated",
            Kind::Published => "published",
            Kind::Unpublished => "unpublished",
            Kind::Deleted => "deleted",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Created,
            Kind::Updated,
            Kind::Published,
            Kind::Unpublished,
            Kind::Deleted,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// One row of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub entity: Entity,
    pub entity_id: i64,
    pub kind: Kind,
    pub slug: Option<String>,
    pub changed_at: NaiveDateTime,
}

/// Appends one change, in the caller's transaction.
pub fn record(
    conn: &mut AnyConnection,
    entity: Entity,
    entity_id: i64,
    kind: Kind,
    slug: Option<&str>,
) -> Result<(), AppError> {
    diesel::insert_into(changes::table)
        .values((
            changes::entity.eq(entity.name()),
            changes::entity_id.eq(entity_id),
            changes::kind.eq(kind.name()),
            changes::slug.eq(slug),
            changes::changed_at.eq(crate::models::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a deletion, given the slug a `DELETE … RETURNING slug` gave: none means there was
/// no such entity (a 404).
pub fn deleted(
    conn: &mut AnyConnection,
    entity: Entity,
    entity_id: i64,
    slug: Option<String>,
) -> Result<(), AppError> {
    let Some(slug) = slug else {
        return Err(AppError::not_found(entity.name()));
    };
    record(conn, entity, entity_id, Kind::Deleted, Some(&slug))
}

/// Appends the same change for many entities at once (bulk imports), in the caller's
/// transaction.
pub fn record_many(
    conn: &mut AnyConnection,
    entity: Entity,
    ids: &[i64],
    kind: Kind,
) -> Result<(), AppError> {
    let now = crate::models::now();
    for chunk in ids.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    changes::entity.eq(entity.name()),
                    changes::entity_id.eq(*id),
                    changes::kind.eq(kind.name()),
                    changes::changed_at.eq(now),
                )
            })
            .collect();
        // Multi-row VALUES compiles on each concrete connection, not the multi-backend one.
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(changes::table)
                .values(&rows)
                .execute(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(changes::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(())
}

/// The newest sequence number, 0 when the log is empty.
pub fn head(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(changes::table
        .select(diesel::dsl::max(changes::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Up to `limit` changes after `seq`, oldest first.
pub fn after(conn: &mut AnyConnection, seq: i64, limit: i64) -> Result<Vec<Change>, AppError> {
    type Row = (i64, String, i64, String, Option<String>, NaiveDateTime);
    let rows: Vec<Row> = changes::table
        .filter(changes::seq.gt(seq))
        .order(changes::seq.asc())
        .limit(limit)
        .select((
            changes::seq,
            changes::entity,
            changes::entity_id,
            changes::kind,
            changes::slug,
            changes::changed_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, entity, entity_id, kind, slug, changed_at)| {
            match (Entity::parse(&entity), Kind::parse(&kind)) {
                (Some(entity), Some(kind)) => Ok(Change {
                    seq,
                    entity,
                    entity_id,
                    kind,
                    slug,
                    changed_at,
                }),
                _ => Err(AppError::internal(format!(
                    "change {seq} has an unknown entity or kind: {entity} {kind}"
                ))),
            }
        })
        .collect()
}
