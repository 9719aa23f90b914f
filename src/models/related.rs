//! Related content of an article: its curated list first, then automatic picks that share the
//! most topics with it (newest first among equals), chosen among the newest articles of each
//! of its topics so that the cost does not grow with the archive. No duplicates, never the
//! article itself, published articles only.

use std::collections::{HashMap, HashSet};

/// Candidates taken from each of the article's topics.
const CANDIDATES_PER_TOPIC: i64 = 50;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::articles::{self, Article};
use super::lists::{self, ListItem};
use crate::db::AnyConnection;
use crate::db::schema::article_topics;
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
        // Bounded candidates: the newest public articles of each of the article's topics, one
        // index range scan each; then the exact number of topics each shares with the article.
        let mut candidates: Vec<(i64, NaiveDateTime)> = Vec::new();
        for topic in topic_ids {
            let newest = articles::public_newest(
                conn,
                articles::Driver::Topics(&[*topic]),
                &articles::Scan::newest(now, CANDIDATES_PER_TOPIC),
            )?;
            candidates.extend(newest.into_iter().filter(|(id, _)| !seen.contains(id)));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let ids: Vec<i64> = candidates.iter().map(|(id, _)| *id).collect();
        let shared: HashMap<i64, i64> = if ids.is_empty() {
            HashMap::new()
        } else {
            article_topics::table
                .filter(article_topics::article_id.eq_any(&ids))
                .filter(article_topics::topic_id.eq_any(topic_ids))
                .group_by(article_topics::article_id)
                .select((article_topics::article_id, diesel::dsl::count_star()))
                .load::<(i64, i64)>(conn)?
                .into_iter()
                .collect()
        };
        candidates.sort_by(|a, b| {
            let (sa, sb) = (
                shared.get(&a.0).unwrap_or(&0),
                shared.get(&b.0).unwrap_or(&0),
            );
            sb.cmp(sa).then(b.1.cmp(&a.1)).then(b.0.cmp(&a.0))
        });
        out.extend(
            candidates
                .into_iter()
                .take(wanted)
                .map(|(id, _)| Related::Automatic(id)),
        );
    }
    Ok(out)
}
