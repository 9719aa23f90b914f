//! Topics: what articles are filed under, optionally nested one level or more (Redmi under Xiaomi).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{article_topics, topics};
use crate::models::ModelError;

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

// insert, update, find, find_by_slug, missing, list (by name)
super::resource::versioned_resource!(table: topics, row: Topic, fields: TopicFields, noun: "topic", entity: super::changes::Entity::Topic, by: name, on_write: super::cards::taxonomy_changed);

/// Deletes a topic; articles lose the tag and child topics lose their parent.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    let slug: Option<String> = diesel::delete(topics::table.find(id))
        .returning(topics::slug)
        .get_result(conn)
        .optional()?;
    super::changes::deleted(conn, super::changes::Entity::Topic, id, slug, true)?;
    super::cards::taxonomy_changed(conn)
}

/// Ids of the topics with these slugs (unknown slugs are skipped).
pub fn ids_for_slugs(conn: &mut AnyConnection, slugs: &[String]) -> Result<Vec<i64>, ModelError> {
    Ok(topics::table
        .filter(topics::slug.eq_any(slugs))
        .select(topics::id)
        .load(conn)?)
}

/// Whether making `parent` the parent of `id` would create a cycle.
pub fn would_cycle(conn: &mut AnyConnection, id: i64, parent: i64) -> Result<bool, ModelError> {
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

/// Brief rows for `ids` (parents of a page of topics), by id.
pub fn briefs(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, TopicBrief>, ModelError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<TopicBrief> = topics::table
        .filter(topics::id.eq_any(ids))
        .select(TopicBrief::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}

/// The topics of `article_ids`, in filing order (the first is primary).
pub fn of_articles(
    conn: &mut AnyConnection,
    article_ids: &[i64],
) -> Result<HashMap<i64, Vec<TopicBrief>>, ModelError> {
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
