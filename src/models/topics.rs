//! Topics: what articles are filed under, optionally nested one level or more (Redmi under Xiaomi).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{article_topics, topics};
use crate::error::AppError;
use crate::pagination::{Cursor, Key, Page};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a topic summary shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = topics)]
pub struct TopicBrief {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = topics, treat_none_as_null = true)]
pub struct TopicFields {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
}

impl Topic {
    pub fn fields(&self) -> TopicFields {
        TopicFields {
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            parent_id: self.parent_id,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, fields: &TopicFields) -> Result<Topic, AppError> {
    let now = super::now();
    let id: i64 = diesel::insert_into(topics::table)
        .values((
            fields,
            topics::version.eq(1),
            topics::created_at.eq(now),
            topics::updated_at.eq(now),
        ))
        .returning(topics::id)
        .get_result(conn)?;
    find(conn, id)
}

pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    expected: i64,
    fields: &TopicFields,
) -> Result<Topic, AppError> {
    let n =
        diesel::update(topics::table.filter(topics::id.eq(id).and(topics::version.eq(expected))))
            .set((
                fields,
                topics::version.eq(expected + 1),
                topics::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
    if n == 0 {
        return Err(super::stale("topic"));
    }
    find(conn, id)
}

/// Deletes a topic; articles lose the tag and child topics lose their parent.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), AppError> {
    if diesel::delete(topics::table.find(id)).execute(conn)? == 0 {
        return Err(AppError::not_found("topic"));
    }
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Topic, AppError> {
    topics::table
        .find(id)
        .select(Topic::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("topic"))
}

pub fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Topic, AppError> {
    topics::table
        .filter(topics::slug.eq(slug))
        .select(Topic::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("topic"))
}

/// Ids of the topics with these slugs (unknown slugs are skipped).
pub fn ids_for_slugs(conn: &mut AnyConnection, slugs: &[String]) -> Result<Vec<i64>, AppError> {
    Ok(topics::table
        .filter(topics::slug.eq_any(slugs))
        .select(topics::id)
        .load(conn)?)
}

pub fn missing(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let found: Vec<i64> = topics::table
        .filter(topics::id.eq_any(ids))
        .select(topics::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}

/// Whether making `parent` the parent of `id` would create a cycle.
pub fn would_cycle(conn: &mut AnyConnection, id: i64, parent: i64) -> Result<bool, AppError> {
    let mut current = Some(parent);
    let mut steps = 0;
    while let Some(node) = current {
        if node == id {
            return Ok(true);
        }
        steps += 1;
        if steps > 64 {
            return Ok(true);
        }
        current = topics::table
            .find(node)
            .select(topics::parent_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten();
    }
    Ok(false)
}

/// Topics ordered by name, then id.
pub fn list(
    conn: &mut AnyConnection,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Topic>, AppError> {
    let mut query = topics::table
        .select(Topic::as_select())
        .order((topics::name, topics::id))
        .into_boxed();
    if let Some(Cursor {
        key: Key::Text(name),
        id,
    }) = cursor
    {
        query = query.filter(
            topics::name
                .gt(name.clone())
                .or(topics::name.eq(name.clone()).and(topics::id.gt(*id))),
        );
    }
    let rows = query.limit(limit + 1).load(conn)?;
    Ok(Page::from_rows(rows, limit, |t: &Topic| Cursor {
        key: Key::Text(t.name.clone()),
        id: t.id,
    }))
}

/// Brief rows for `ids` (parents of a page of topics), by id.
pub fn briefs(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, TopicBrief>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<TopicBrief> = topics::table
        .filter(topics::id.eq_any(ids))
        .select(TopicBrief::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}

/// Published article counts per topic, for `ids`.
pub fn published_counts(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<HashMap<i64, i64>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Index-only: the junction rows carry the article's status and publication time.
    let rows: Vec<(i64, i64)> = article_topics::table
        .filter(article_topics::topic_id.eq_any(ids))
        .filter(article_topics::status.eq(super::articles::PUBLISHED))
        .filter(article_topics::published_at.le(now))
        .group_by(article_topics::topic_id)
        .select((article_topics::topic_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The topics of `article_ids`, in filing order (the first is primary).
pub fn of_articles(
    conn: &mut AnyConnection,
    article_ids: &[i64],
) -> Result<HashMap<i64, Vec<TopicBrief>>, AppError> {
    if article_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, TopicBrief)> = article_topics::table
        .inner_join(topics::table)
        .filter(article_topics::article_id.eq_any(article_ids))
        .order((article_topics::article_id, article_topics::position))
        .select((article_topics::article_id, TopicBrief::as_select()))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<TopicBrief>> = HashMap::new();
    for (article_id, topic) in rows {
        map.entry(article_id).or_default().push(topic);
    }
    Ok(map)
}
