//! The rows the generator writes, with explicit ids, and an article rendered into them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{article_authors, article_topics, articles, list_items, lists};
use crate::models::articles::{ArticleColumns, ArticleDraft, ArticleStatus, FeatureImage};
use crate::text;

// Every row below says `treat_none_as_default_value = false`: with `None` as `DEFAULT`,
// diesel inserts a batch on SQLite row by row inside a savepoint, and each row's statement
// journal then rewinds over all the rows before it (quadratic in the batch).

/// An article with an explicit id (for multi-row inserts): the columns an editor's draft
/// renders to, plus what the generator decides itself.
#[derive(Insertable)]
#[diesel(table_name = articles, treat_none_as_default_value = false)]
pub(super) struct ArticleRow {
    pub(super) id: i64,
    #[diesel(embed)]
    pub(super) columns: ArticleColumns,
    pub(super) status: ArticleStatus,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = article_authors, treat_none_as_default_value = false)]
pub(super) struct BylineRow {
    pub(super) article_id: i64,
    pub(super) author_id: i64,
    pub(super) position: i32,
    pub(super) status: ArticleStatus,
    pub(super) published_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = article_topics, treat_none_as_default_value = false)]
pub(super) struct TopicLinkRow {
    pub(super) article_id: i64,
    pub(super) topic_id: i64,
    pub(super) position: i32,
    pub(super) status: ArticleStatus,
    pub(super) published_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = lists, treat_none_as_default_value = false)]
pub(super) struct ListRow {
    pub(super) id: i64,
    pub(super) slug: String,
    pub(super) title: String,
    pub(super) description: Option<String>,
    pub(super) version: i64,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = list_items, treat_none_as_default_value = false)]
pub(super) struct ListItemRow {
    pub(super) list_id: i64,
    pub(super) position: i32,
    pub(super) article_id: Option<i64>,
    pub(super) url: Option<String>,
    pub(super) title: Option<String>,
    pub(super) kind: String,
}

/// One generated article before rendering.
pub(super) struct Draft {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) status: ArticleStatus,
    pub(super) published_at: Option<NaiveDateTime>,
    pub(super) authors: Vec<i64>,
    pub(super) topics: Vec<i64>,
    pub(super) related_list_id: Option<i64>,
    pub(super) has_image: bool,
}

/// What the change log and the schedule need of a generated article.
pub(super) struct Summary {
    pub(super) id: i64,
    pub(super) slug: String,
    pub(super) status: ArticleStatus,
    pub(super) published_at: Option<NaiveDateTime>,
}

pub(super) fn render(
    d: Draft,
    now: NaiveDateTime,
) -> (ArticleRow, Vec<BylineRow>, Vec<TopicLinkRow>, Summary) {
    let bylines = (0..)
        .zip(&d.authors)
        .map(|(position, author_id)| BylineRow {
            article_id: d.id,
            author_id: *author_id,
            position,
            status: d.status,
            published_at: d.published_at,
        })
        .collect();
    let links = (0..)
        .zip(&d.topics)
        .map(|(position, topic_id)| TopicLinkRow {
            article_id: d.id,
            topic_id: *topic_id,
            position,
            status: d.status,
            published_at: d.published_at,
        })
        .collect();
    let draft = ArticleDraft {
        slug: format!("{}-{}", text::slugify(&d.title), d.id),
        title: d.title,
        subtitle: None,
        excerpt: None,
        body_markdown: d.body,
        feature_image: d.has_image.then(|| FeatureImage {
            url: format!("https://images.example.com/synthetic/{}.jpg", d.id),
            alt: Some("A synthetic photo".to_owned()),
            caption: None,
            credit: Some("Headline".to_owned()),
        }),
        seo_meta_title: None,
        seo_meta_description: None,
        seo_canonical_url: None,
        related_list_id: d.related_list_id,
        published_at: d.published_at,
        author_ids: d.authors,
        topic_ids: d.topics,
        rendered: None,
    };
    let summary = Summary {
        id: d.id,
        slug: draft.slug.clone(),
        status: d.status,
        published_at: d.published_at,
    };
    let row = ArticleRow {
        id: d.id,
        columns: draft.columns(),
        status: d.status,
        version: 1,
        created_at: d.published_at.unwrap_or(now),
        updated_at: d.published_at.unwrap_or(now),
    };
    (row, bylines, links, summary)
}
