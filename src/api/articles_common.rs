//! Building article views from rows: relations in a fixed number of queries, related items.

use super::views::{Includes, Relations};
use crate::db::{AnyConnection, on_backend};
use crate::error::{AppError, FieldError};
use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::articles;
use crate::models::articles::{ArticleKey, Filter, Sort, StatusFilter, Visibility};
use crate::models::cards;
use crate::models::{authors, topics};
use crate::pagination::{Cursor, Key, Page};
use crate::search::collect::{After, Order, Seen, Wanted};
use crate::search::query::{self as search, Plan};
use crate::search::schema as indexed;
use crate::startup::AppState;

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

/// The search plan of `q`: 400 `invalid_query` when its syntax is wrong.
pub fn parse_query(q: Option<&str>) -> Result<Option<Plan>, AppError> {
    q.map(|q| {
        Plan::parse(q).map_err(|e| AppError::BadRequest {
            code: "invalid_query",
            detail: format!("q: {e}"),
            errors: Some(vec![FieldError::new("q", e.0)]),
        })
    })
    .transpose()
}

/// `facets`: only `topic`, and only with a search.
fn parse_facets(raw: Option<&str>, q: Option<&str>) -> Result<bool, AppError> {
    let bad = |detail: &str| AppError::BadRequest {
        code: "invalid_facets",
        detail: detail.to_owned(),
        errors: Some(vec![FieldError::new("facets", detail)]),
    };
    match raw.map(str::trim) {
        None | Some("") => Ok(false),
        Some("topic") if q.is_some() => Ok(true),
        Some("topic") => Err(bad("facets count a search's matches: give q too")),
        Some(other) => Err(bad(&format!("unknown facet `{other}`; use topic"))),
    }
}

/// How long a search waits for the index to apply the changes this instance knows of: its
/// own writes are then found at once, and a response cached after them reflects them.
const INDEX_WAIT: Duration = Duration::from_secs(2);

/// A page of search hits and, when asked for, topic facets (ids and counts).
pub struct SearchPage {
    pub page: Page<ArticleKey>,
    pub facets: Option<Vec<(i64, u64)>>,
}

fn micros(t: NaiveDateTime) -> i64 {
    indexed::micros(t)
}

fn time_of(micros: i64) -> NaiveDateTime {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

/// How an article listing is paged: its order, cursor, size, and what it counts.
pub struct Paging {
    pub sort: Sort,
    pub cursor: Option<Cursor>,
    pub limit: i64,
    pub count: bool,
    /// Topic facets (searches only).
    pub facets: bool,
}

impl Paging {
    /// The paging a listing's parameters ask for: `cursor` must be one of `sort`'s, `facets`
    /// only with a search `q`.
    pub fn parse(
        sort: Sort,
        cursor: Option<&str>,
        limit: i64,
        count: Option<bool>,
        facets: Option<&str>,
        q: Option<&str>,
    ) -> Result<Paging, AppError> {
        Ok(Paging {
            sort,
            cursor: Cursor::from_param(cursor, sort.name(), sort.key_kind())?,
            limit,
            count: count.unwrap_or(false),
            facets: parse_facets(facets, q)?,
        })
    }
}

/// One page of an article listing: from the search index with a search, from the database
/// without (on a blocking thread: a search may wait for the indexer).
pub fn list_page(
    conn: &mut AnyConnection,
    state: &AppState,
    plan: Option<&Plan>,
    filter: &Filter,
    paging: &Paging,
) -> Result<SearchPage, AppError> {
    let Paging {
        sort,
        ref cursor,
        limit,
        count,
        facets,
    } = *paging;
    match plan {
        Some(plan) => search_page(
            state,
            plan,
            filter,
            sort,
            cursor.as_ref(),
            limit,
            count,
            facets,
        ),
        None => Ok(SearchPage {
            page: crate::models::articles::list(conn, filter, sort, cursor.as_ref(), limit, count)?,
            facets: None,
        }),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "`list_page`'s parts, taken apart once"
)]
fn search_page(
    state: &AppState,
    plan: &Plan,
    filter: &Filter,
    sort: Sort,
    cursor: Option<&Cursor>,
    limit: i64,
    count: bool,
    facets: bool,
) -> Result<SearchPage, AppError> {
    let empty = |count: bool| SearchPage {
        page: Page::empty(count),
        facets: facets.then(Vec::new),
    };
    if plan.finds_nothing() {
        return Ok(empty(count));
    }
    let head = state.db.change_head().get();
    if let Err(building) = state.search.wait_for(head, INDEX_WAIT) {
        return Err(AppError::Unavailable(format!(
            "the search index is being built ({} of {} articles)",
            building.done, building.total
        )));
    }
    let (seen, now) = match filter.visibility {
        Visibility::Public(now) => (Seen::Public { now: micros(now) }, now),
        Visibility::Staff(None, now) => (Seen::Any, now),
        Visibility::Staff(Some(status), now) => (
            match status {
                StatusFilter::Draft => Seen::Status(indexed::DRAFT),
                StatusFilter::Archived => Seen::Status(indexed::ARCHIVED),
                StatusFilter::Published => Seen::Public { now: micros(now) },
                StatusFilter::Scheduled => Seen::Scheduled { now: micros(now) },
            },
            now,
        ),
    };
    let order = match sort {
        Sort::Relevance => Order::Relevance { now: micros(now) },
        Sort::PublishedDesc => Order::PublishedDesc,
        Sort::PublishedAsc => Order::PublishedAsc,
        Sort::UpdatedDesc => Order::UpdatedDesc,
        Sort::Title => Order::Title,
    };
    let after = match (cursor, order) {
        (None, _) => None,
        (
            Some(Cursor {
                key: Key::Number(score),
                id,
            }),
            Order::Relevance { .. },
        ) => Some(After::Score(*score, *id)),
        (
            Some(Cursor {
                key: Key::Text(title),
                id,
            }),
            Order::Title,
        ) => Some(After::Title(title.clone(), *id)),
        (
            Some(Cursor {
                key: Key::Time(t),
                id,
            }),
            _,
        ) => Some(After::Time(micros(*t), *id)),
        _ => return Err(crate::models::articles::cursor_mismatch().into()),
    };
    // An empty id list (an unknown slug) matches nothing.
    if filter.topic_ids.as_ref().is_some_and(Vec::is_empty)
        || filter.author_ids.as_ref().is_some_and(Vec::is_empty)
    {
        return Ok(empty(count));
    }
    let wanted = Wanted {
        order,
        seen,
        published_after: filter.published_after.map(micros),
        published_before: filter.published_before.map(micros),
        after,
        hits: usize::try_from(limit + 1).unwrap_or(usize::MAX),
        count,
        facets,
    };
    let found = state
        .search
        .search(
            plan,
            filter.topic_ids.as_deref(),
            filter.author_ids.as_deref(),
            &wanted,
        )
        .context("searching the index")?;
    let keys = found
        .hits
        .into_iter()
        .map(|hit| ArticleKey {
            id: hit.id,
            key: match order {
                Order::Relevance { .. } => Key::Number(hit.score),
                Order::PublishedDesc | Order::PublishedAsc => Key::Time(time_of(hit.published_at)),
                Order::UpdatedDesc => Key::Time(time_of(hit.updated_at)),
                Order::Title => Key::Text(hit.title),
            },
        })
        .collect();
    let mut page = Page::from_rows(keys, limit, |k: &ArticleKey| Cursor {
        key: k.key.clone(),
        id: k.id,
    });
    if count {
        page.total = Some(i64::try_from(found.total).unwrap_or(i64::MAX));
    }
    Ok(SearchPage {
        page,
        facets: facets.then(|| crate::search::top_facets(&found.facets, MAX_FACETS)),
    })
}

/// Topics a facet list names at most.
const MAX_FACETS: usize = 50;

/// The highlighted snippet of each of `ids` for `plan`: the best passage with a searched word
/// of the article's lead (its body's start, where a story says what it is about), else of the
/// excerpt; none when only a byline or topic matched.
pub fn snippets(
    conn: &mut AnyConnection,
    state: &AppState,
    plan: Option<&Plan>,
    ids: &[i64],
) -> Result<HashMap<i64, String>, AppError> {
    snippets_with(
        conn,
        state,
        plan,
        ids,
        |conn, ids| Ok(cards::leads(conn, ids)?),
        |conn, ids| {
            Ok(on_backend!(conn, |c| articles::table
                .filter(crate::db::in_ids(articles::id, ids))
                .select((articles::id, articles::excerpt))
                .load(c))?)
        },
    )
}

/// [`snippets`], with the leads of `ids` from `leads` (the Content API holds those of the
/// articles searches find) and, for the articles whose leads have none of the words, their
/// excerpts from `excerpts` (the Content API has them in the cards it shows).
pub fn snippets_with<L: AsRef<str>>(
    conn: &mut AnyConnection,
    state: &AppState,
    plan: Option<&Plan>,
    ids: &[i64],
    leads: impl FnOnce(&mut AnyConnection, &[i64]) -> Result<Vec<(i64, L)>, AppError>,
    excerpts: impl FnOnce(&mut AnyConnection, &[i64]) -> Result<Vec<(i64, String)>, AppError>,
) -> Result<HashMap<i64, String>, AppError> {
    let Some(plan) = plan.filter(|p| !ids.is_empty() && !p.finds_nothing()) else {
        return Ok(HashMap::new());
    };
    let mut highlighter = state.search.highlighter(plan);
    let leads = leads(conn, ids)?;
    let mut found: HashMap<i64, String> = leads
        .into_iter()
        .filter_map(|(id, lead)| highlighter.snippet(lead.as_ref()).map(|s| (id, s)))
        .collect();
    // The excerpt when the lead has none of the words (or is missing, until start-up renders
    // the lead of an article bulk-loaded just now).
    let rest: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.contains_key(id))
        .collect();
    if !rest.is_empty() {
        found.extend(
            excerpts(conn, &rest)?
                .into_iter()
                .filter_map(|(id, excerpt)| highlighter.snippet(&excerpt).map(|s| (id, s))),
        );
    }
    Ok(found)
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

    pub fn facets() -> ObjectBuilder {
        one_of(&["topic"], "topic")
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

    /// A search: at most 200 characters (the syntax is in `q`'s description).
    pub fn query() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(crate::search::query::MAX_QUERY))
            .examples(["xiaomi nokia"])
    }
}
