//! Related-content lists: curated, ordered items, each an article or an external link/video.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{articles, list_items, lists};
use crate::models::{ModelError, OrMissing};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lists)]
pub struct List {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = lists, treat_none_as_null = true)]
pub struct ListFields {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
}

impl List {
    pub fn fields(&self) -> ListFields {
        ListFields {
            slug: self.slug.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
        }
    }
}

// insert, update, find, find_by_slug, missing, list (by title)
super::resource::versioned_resource!(table: lists, row: List, fields: ListFields, noun: "list", entity: super::changes::Entity::List, by: title, on_write: super::unchanged);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = list_items)]
pub struct ListItem {
    pub id: i64,
    pub list_id: i64,
    pub position: i32,
    pub article_id: Option<i64>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub excerpt: Option<String>,
    pub image_url: Option<String>,
    pub kind: String,
}

/// An item to store: an article by id, or an external link.
#[derive(Debug, Clone)]
pub enum NewItem {
    Article(i64),
    External {
        url: String,
        title: String,
        excerpt: Option<String>,
        image_url: Option<String>,
        /// `link` or `video`.
        kind: String,
    },
}

/// Bumps the version of a list whose items changed.
pub fn touch(conn: &mut AnyConnection, id: i64, expected: i64) -> Result<List, ModelError> {
    let n = diesel::update(lists::table.filter(lists::id.eq(id).and(lists::version.eq(expected))))
        .set((
            lists::version.eq(expected + 1),
            lists::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(super::stale("list"));
    }
    let list = find(conn, id)?.or_missing("list")?;
    super::changes::record(
        conn,
        super::changes::entry(
            super::changes::Entity::List,
            id,
            super::changes::Kind::Updated,
            &list.slug,
        ),
    )?;
    Ok(list)
}

/// Deletes a list; articles that used it as their related list lose it.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    let slug: Option<String> = diesel::delete(lists::table.find(id))
        .returning(lists::slug)
        .get_result(conn)
        .optional()?;
    super::changes::deleted(conn, super::changes::Entity::List, id, slug, true)?;
    Ok(())
}

/// The items of a list, in order.
pub fn items(conn: &mut AnyConnection, list_id: i64) -> Result<Vec<ListItem>, ModelError> {
    Ok(list_items::table
        .filter(list_items::list_id.eq(list_id))
        .order(list_items::position)
        .select(ListItem::as_select())
        .load(conn)?)
}

/// Replaces the items of a list, in the caller's transaction.
pub fn replace_items(
    conn: &mut AnyConnection,
    list_id: i64,
    items: &[NewItem],
) -> Result<(), ModelError> {
    let ids: Vec<i64> = items
        .iter()
        .filter_map(|i| match i {
            NewItem::Article(id) => Some(*id),
            NewItem::External { .. } => None,
        })
        .collect();
    if !ids.is_empty() {
        let found: Vec<i64> = articles::table
            .filter(articles::id.eq_any(&ids))
            .select(articles::id)
            .load(conn)?;
        let errors: Vec<_> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                NewItem::Article(id) if !found.contains(id) => Some(crate::error::FieldError::new(
                    format!("items[{i}].article_id"),
                    format!("article {id} does not exist"),
                )),
                _ => None,
            })
            .collect();
        if !errors.is_empty() {
            return Err(ModelError::Invalid(errors));
        }
    }
    diesel::delete(list_items::table.filter(list_items::list_id.eq(list_id))).execute(conn)?;
    for (position, item) in (0..).zip(items) {
        let insert = diesel::insert_into(list_items::table);
        match item {
            NewItem::Article(article_id) => insert
                .values((
                    list_items::list_id.eq(list_id),
                    list_items::position.eq(position),
                    list_items::article_id.eq(Some(*article_id)),
                    list_items::kind.eq("article"),
                ))
                .execute(conn)?,
            NewItem::External {
                url,
                title,
                excerpt,
                image_url,
                kind,
            } => insert
                .values((
                    list_items::list_id.eq(list_id),
                    list_items::position.eq(position),
                    list_items::url.eq(Some(url)),
                    list_items::title.eq(Some(title)),
                    list_items::excerpt.eq(excerpt.as_deref()),
                    list_items::image_url.eq(image_url.as_deref()),
                    list_items::kind.eq(kind),
                ))
                .execute(conn)?,
        };
    }
    Ok(())
}
