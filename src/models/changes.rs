//! The change log: what changed, in order, written in the transaction of each content write.
//!
//! It is the one record of content changes that readers outside the write follow: the search
//! index applies it (`crate::search`), webhooks fan its public rows out (`crate::webhooks`),
//! and the changes feed lists them (`api::content::changes`). A row names the entity, its id, the kind of change, its slug and the time; readers load
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
use crate::models::ModelError;

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
    /// The public event, when readers could see this change.
    pub event: Option<String>,
    /// The slug before this change, when it moved.
    pub previous_slug: Option<String>,
}

/// A change to append.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub entity: Entity,
    pub entity_id: i64,
    pub kind: Kind,
    /// The slug after the change (before it, for a delete).
    pub slug: Option<&'a str>,
    /// The slug before the change, when it moved.
    pub previous_slug: Option<&'a str>,
    /// Whether Content API readers can see the change: only then does it get an event, and
    /// the changes feed and webhooks see it.
    pub public: bool,
}

impl Entry<'_> {
    /// The public event this entry is, if any.
    pub fn event(&self) -> Option<String> {
        self.public
            .then(|| format!("{}.{}", self.entity.name(), self.kind.name()))
    }
}

/// A public change to an author, topic or list, which are always public.
pub fn entry<'a>(entity: Entity, entity_id: i64, kind: Kind, slug: &'a str) -> Entry<'a> {
    Entry {
        entity,
        entity_id,
        kind,
        slug: Some(slug),
        previous_slug: None,
        public: true,
    }
}

/// Appends one change, in the caller's transaction.
pub fn record(conn: &mut AnyConnection, entry: Entry<'_>) -> Result<(), ModelError> {
    diesel::insert_into(changes::table)
        .values((
            changes::entity.eq(entry.entity.name()),
            changes::entity_id.eq(entry.entity_id),
            changes::kind.eq(entry.kind.name()),
            changes::slug.eq(entry.slug),
            changes::previous_slug.eq(entry.previous_slug),
            changes::event.eq(entry.event()),
            changes::changed_at.eq(crate::models::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a deletion, given the slug a `DELETE … RETURNING slug` gave: none means there was
/// no such entity (a 404). `public`: whether readers could see the entity.
pub fn deleted(
    conn: &mut AnyConnection,
    entity: Entity,
    entity_id: i64,
    slug: Option<String>,
    public: bool,
) -> Result<(), ModelError> {
    let Some(slug) = slug else {
        return Err(ModelError::NotFound(entity.name()));
    };
    record(
        conn,
        Entry {
            public,
            ..entry(entity, entity_id, Kind::Deleted, &slug)
        },
    )
}

/// Appends the same change for many entities at once (bulk imports), in the caller's
/// transaction: `(id, slug)` pairs.
pub fn record_many(
    conn: &mut AnyConnection,
    entity: Entity,
    kind: Kind,
    public: bool,
    items: &[(i64, &str)],
) -> Result<(), ModelError> {
    let now = crate::models::now();
    let event = entry(entity, 0, kind, "").event().filter(|_| public);
    for chunk in items.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, slug)| {
                (
                    changes::entity.eq(entity.name()),
                    changes::entity_id.eq(*id),
                    changes::kind.eq(kind.name()),
                    changes::slug.eq(*slug),
                    changes::event.eq(event.as_deref()),
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
pub fn head(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    Ok(changes::table
        .select(diesel::dsl::max(changes::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Up to `limit` changes after `seq`, oldest first.
pub fn after(conn: &mut AnyConnection, seq: i64, limit: i64) -> Result<Vec<Change>, ModelError> {
    load(conn, seq, limit, false)
}

/// Up to `limit` public changes after `seq`, oldest first: what the changes feed and webhooks
/// follow.
pub fn public_after(
    conn: &mut AnyConnection,
    seq: i64,
    limit: i64,
) -> Result<Vec<Change>, ModelError> {
    load(conn, seq, limit, true)
}

fn load(
    conn: &mut AnyConnection,
    seq: i64,
    limit: i64,
    public_only: bool,
) -> Result<Vec<Change>, ModelError> {
    let page = changes::table
        .filter(changes::seq.gt(seq))
        .order(changes::seq.asc())
        .limit(limit)
        .select(Row::as_select());
    let rows: Vec<Row> = if public_only {
        page.filter(changes::event.is_not_null()).load(conn)?
    } else {
        page.load(conn)?
    };
    rows.into_iter().map(Row::parse).collect()
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = changes)]
struct Row {
    seq: i64,
    entity: String,
    entity_id: i64,
    kind: String,
    slug: Option<String>,
    changed_at: NaiveDateTime,
    event: Option<String>,
    previous_slug: Option<String>,
}

impl Row {
    fn parse(self) -> Result<Change, ModelError> {
        let Row {
            seq,
            entity,
            entity_id,
            kind,
            slug,
            changed_at,
            event,
            previous_slug,
        } = self;
        match (Entity::parse(&entity), Kind::parse(&kind)) {
            (Some(entity), Some(kind)) => Ok(Change {
                seq,
                entity,
                entity_id,
                kind,
                slug,
                changed_at,
                event,
                previous_slug,
            }),
            _ => Err(ModelError::internal(format!(
                "change {seq} has an unknown entity or kind: {entity} {kind}"
            ))),
        }
    }
}
