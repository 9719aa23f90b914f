//! Listings by search relevance: the glue between the listing's filters and `models::search`.

use diesel::prelude::*;

use super::listing::{ArticleKey, Filter, Probe, cursor_mismatch, filtered_with, probes_for};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::pagination::{Cursor, Key, Page};

/// Best matches first, among the newest [`search::CANDIDATES`] matches under the filter; the
/// cursor carries (score, id).
pub(super) fn relevance_page(
    conn: &mut AnyConnection,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: i64,
    count: bool,
) -> Result<Page<ArticleKey>, AppError> {
    let Some(search) = filter.search.as_ref() else {
        return Err(AppError::bad_request(
            "invalid_sort",
            "sort=relevance needs a search (q)",
        ));
    };
    let after = match cursor {
        Some(Cursor {
            key: Key::Number(score),
            id,
        }) => Some((*score, *id)),
        Some(_) => {
            return Err(cursor_mismatch());
        }
        None => None,
    };
    // The other filters, checked per candidate: topics and bylines by probing their keys, since
    // a list would hold every article of a big topic for each chunk of candidates.
    let others = Filter {
        search: None,
        ..filter.clone()
    };
    let with_others = || filtered_with(&others, (Probe::Exists, Probe::Exists));
    let scores: std::collections::HashMap<i64, f64> = search
        .ranked_candidates(conn, with_others)?
        .into_iter()
        .collect();
    let mut ranked: Vec<(f64, i64)> = scores
        .iter()
        .map(|(id, score)| (*score, *id))
        .filter(|(score, id)| after.is_none_or(|(s, i)| *score < s || (*score == s && *id < i)))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    ranked.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
    let keys = ranked
        .into_iter()
        .map(|(score, id)| ArticleKey {
            id,
            key: Key::Number(score),
        })
        .collect();
    let mut page = Page::from_rows(keys, limit, ArticleKey::cursor);
    if count {
        let probes = probes_for(conn, filter)?;
        page.total = Some(filtered_with(filter, probes).count().get_result(conn)?);
    }
    Ok(page)
}
