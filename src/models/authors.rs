//! Authors: public profiles of the people who write articles.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{article_authors, authors};
use crate::models::ModelError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub job_title: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    pub social: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns an author summary shows inside an article.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authors)]
pub struct AuthorBrief {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub job_title: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = authors, treat_none_as_null = true)]
pub struct AuthorFields {
    pub slug: String,
    pub name: String,
    pub job_title: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    pub social: String,
}

impl Author {
    pub fn fields(&self) -> AuthorFields {
        AuthorFields {
            slug: self.slug.clone(),
            name: self.name.clone(),
            job_title: self.job_title.clone(),
            bio: self.bio.clone(),
            avatar_url: self.avatar_url.clone(),
            website: self.website.clone(),
            social: self.social.clone(),
        }
    }
}

// insert, update, find, find_by_slug, missing, list (by name)
super::resource::versioned_resource!(table: authors, row: Author, fields: AuthorFields, noun: "author", entity: super::changes::Entity::Author, by: name, on_write: super::cards::taxonomy_changed);

pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    let bylines: i64 = article_authors::table
        .filter(article_authors::author_id.eq(id))
        .count()
        .get_result(conn)?;
    if bylines > 0 {
        return Err(ModelError::conflict(
            "still_referenced",
            format!("the author is credited on {bylines} article(s); remove them from those first"),
            None,
        ));
    }
    let slug: Option<String> = diesel::delete(authors::table.find(id))
        .returning(authors::slug)
        .get_result(conn)
        .optional()?;
    super::changes::deleted(conn, super::changes::Entity::Author, id, slug, true)?;
    super::cards::taxonomy_changed(conn)
}

/// The bylines of `article_ids`, in byline order.
pub fn of_articles(
    conn: &mut AnyConnection,
    article_ids: &[i64],
) -> Result<HashMap<i64, Vec<AuthorBrief>>, ModelError> {
    if article_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, AuthorBrief)> = article_authors::table
        .inner_join(authors::table)
        .filter(article_authors::article_id.eq_any(article_ids))
        .order((article_authors::article_id, article_authors::position))
        .select((article_authors::article_id, AuthorBrief::as_select()))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<AuthorBrief>> = HashMap::new();
    for (article_id, author) in rows {
        map.entry(article_id).or_default().push(author);
    }
    Ok(map)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, ModelError> {
    Ok(authors::table.count().get_result(conn)?)
}
