//! Building article views from rows: relations in a fixed number of queries, related items.

use super::views::{Includes, Relations};
use crate::db::AnyConnection;
use crate::error::{AppError, FieldError};
use crate::models::articles::Sort;
use crate::models::search::{self, Search};
use crate::models::{authors, topics};

/// Loads bylines and topics of `ids` (one query each, only those asked for).
pub fn relations(
    conn: &mut AnyConnection,
    ids: &[i64],
    inc: Includes,
) -> Result<Relations, AppError> {
    Ok(Relations {
        authors: if inc.authors {
            authors::of_articles(conn, ids)?
        } else {
            Default::default()
        },
        topics: if inc.topics {
            topics::of_articles(conn, ids)?
        } else {
            Default::default()
        },
    })
}

/// Splits a comma list, trimming blanks: `"a, b,"` → `["a", "b"]`.
pub fn comma_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Validates `q` and `sort` together: with `q`, the default sort is `relevance`; without it,
/// `relevance` is refused. `allowed` are the sorts this listing offers besides relevance.
pub fn sort_and_query(
    q: Option<String>,
    sort: Option<&str>,
    allowed: &[Sort],
    default: Sort,
) -> Result<(Option<String>, Sort), AppError> {
    let bad = |detail: String, message: &str, field: &str| AppError::BadRequest {
        code: if field == "q" {
            "invalid_query"
        } else {
            "invalid_sort"
        },
        detail,
        errors: Some(vec![FieldError::new(field, message)]),
    };
    if let Some(q) = &q
        && q.chars().count() > search::MAX_QUERY
    {
        return Err(bad(
            format!("q must be at most {} characters", search::MAX_QUERY),
            "too long",
            "q",
        ));
    }
    let sort = match sort {
        None if q.is_some() => Sort::Relevance,
        None => default,
        Some(name) => match Sort::parse(name) {
            Some(Sort::Relevance) if q.is_none() => {
                return Err(bad(
                    "sort=relevance needs a search (q)".to_owned(),
                    "needs q",
                    "sort",
                ));
            }
            Some(s) if s == Sort::Relevance || allowed.contains(&s) => s,
            _ => {
                let names: Vec<&str> = allowed.iter().map(|s| s.name()).collect();
                return Err(bad(
                    format!(
                        "unknown sort `{name}`; use {} (or relevance with q)",
                        names.join(", ")
                    ),
                    "unknown value",
                    "sort",
                ));
            }
        },
    };
    Ok((q, sort))
}

/// The search for `q`, prepared for this connection's backend; a query with no words is a 400.
pub fn prepare_search(conn: &AnyConnection, q: Option<&str>) -> Result<Option<Search>, AppError> {
    match q {
        None => Ok(None),
        Some(q) => Search::new(conn, q)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest {
                code: "invalid_query",
                detail: "q has no words to search for".to_owned(),
                errors: Some(vec![FieldError::new("q", "has no words")]),
            }),
    }
}
