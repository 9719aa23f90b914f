//! Related content of an article: its curated list first, then automatic picks that share the
//! most topics with it (newest first among equals). No duplicates, never the article itself,
//! published articles only.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::{self, Article};
use super::lists::{self, ListItem};
use crate::db::AnyConnection;
use crate::db::schema::{article_topics, articles as articles_table};
use crate::error::AppError;

/// One related item before it is rendered: an article id, or a curated external link.
#[derive(Debug, Clone)]
pub enum Related {
    Curated(ListItem),
    Automatic(i64),
}

/// Up to `limit` related items of `article`.
pub fn of_article(
    conn: &mut AnyConnection,
    article: &Article,
    topic_ids: &[i64],
    limit: usize,
    now: NaiveDateTime,
) -> Result<Vec<Related>, AppError> {
    let mut seen: HashSet<i64> = HashSet::from([article.id]);
    let mut out = Vec::with_capacity(limit);

    if let Some(list_id) = article.related_list_id {
        let items = lists::items(conn, list_id)?;
        let article_ids: Vec<i64> = items.iter().filter_map(|i| i.article_id).collect();
        let visible: HashSet<i64> = articles::briefs_in_order(conn, &article_ids, now)?
            .into_iter()
            .map(|a| a.id)
            .collect();
        for item in items {
            if out.len() == limit {
                break;
            }
            match item.article_id {
                Some(id) if visible.contains(&id) && seen.insert(id) => {
                    out.push(Related::Curated(item))
                }
                Some(_) => {}
                None => out.push(Related::Curated(item)),
            }
        }
    }

    let wanted = limit - out.len();
    if wanted > 0 && !topic_ids.is_empty() {
        let skip: Vec<i64> = seen.iter().copied().collect();
        let picks: Vec<(i64, i64)> = article_topics::table
            .inner_join(articles_table::table)
            .filter(article_topics::topic_id.eq_any(topic_ids))
            .filter(article_topics::article_id.ne_all(&skip))
            .filter(articles::is_public(now))
            .group_by((article_topics::article_id, articles_table::published_at))
            .select((article_topics::article_id, diesel::dsl::count_star()))
            .order((
                diesel::dsl::count_star().desc(),
                articles_table::published_at.desc(),
                article_topics::article_id.desc(),
            ))
            .limit(i64::try_from(wanted).unwrap_or(i64::MAX))
            .load(conn)?;
        out.extend(
            picks
                .into_iter()
                .map(|(id, _shared)| Related::Automatic(id)),
        );
    }
    Ok(out)
}
