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
/// `relevance` means the listing's default order. `allowed` are the sorts this listing offers besides relevance.
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
            // Nothing to rank without a search: the listing's own order.
            Some(Sort::Relevance) if q.is_none() => default,
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

/// The search for `q`, prepared for this connection's backend.
pub fn prepare_search(conn: &AnyConnection, q: Option<&str>) -> Option<Search> {
    q.map(|q| Search::new(conn, q))
}

/// Query-parameter schemas that say exactly what the handlers accept, for the OpenAPI document
/// (`#[param(schema_with = …)]`): generators and fuzzers then send only values the server takes.
pub mod param_schemas {
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    fn one_of(values: &[&str], example: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .examples([example])
    }

    /// A comma list of `names` as `comma_list` reads it: blanks around items and empty items
    /// are ignored.
    fn comma_list_of(names: &[&str], example: &str) -> ObjectBuilder {
        let item = format!(r"\s*({})?\s*", names.join("|"));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{item}(,{item})*$")))
            .examples([example])
    }

    pub fn content_sort() -> ObjectBuilder {
        one_of(
            &[
                "-published_at",
                "published_at",
                "-updated_at",
                "title",
                "relevance",
            ],
            "-published_at",
        )
    }

    pub fn admin_sort() -> ObjectBuilder {
        one_of(&["-updated_at", "title", "relevance"], "-updated_at")
    }

    pub fn admin_status() -> ObjectBuilder {
        one_of(&["draft", "scheduled", "published", "archived"], "draft")
    }

    pub fn includes() -> ObjectBuilder {
        comma_list_of(&["authors", "topics"], "authors,topics")
    }

    pub fn fields() -> ObjectBuilder {
        comma_list_of(
            &crate::api::content::articles::SUMMARY_FIELDS,
            "id,slug,title,published_at",
        )
    }

    /// A search: at most 200 characters. One with no words (punctuation, stop words) finds
    /// nothing.
    pub fn query() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(crate::models::search::MAX_QUERY))
            .examples(["xiaomi nokia"])
    }
}
