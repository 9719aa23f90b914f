//! `GET /api/v1/articles`: the listing, with filters, search, facets and sparse fields.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDateTime;

use super::{ArticleListItem, ListQuery, parse_fields, parse_includes, query_date};
use crate::api::articles_common::{
    Paging, SearchPage, comma_list, list_page, parse_query, snippets_with, sort_and_query,
};
use crate::api::content::read_model::Taxonomy;
use crate::api::respond::{Collection, Facets, Meta, Pagination, TopicFacet, public_json};
use crate::api::views::Includes;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::{self, ArticleKey, Filter, Sort, Visibility};
use crate::models::cards::{self, Card};
use crate::pagination::{self, Cursor, Key, Page};
use crate::search::query::Plan;
use crate::startup::AppState;

/// Published articles, newest first.
#[utoipa::path(
    operation_id = "listArticles",
    tag = "Content",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of published article summaries", body = Collection<ArticleListItem>,
         headers(("ETag" = String, description = "Strong validator of the body"), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current"),
    )
)]
#[get("/articles")]
#[tracing::instrument(name = "content::articles::listing::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let listing = Listing::parse(query.into_inner())?;
    let now = state.clock.now();
    let st = state.clone();
    let (listing, found) = state
        .db
        .run(move |conn| {
            let found = listing.load(conn, &st, now)?;
            Ok((listing, found))
        })
        .await?;
    let body = listing.render(found)?;
    let mut res = public_json(&req, state.settings.cache_max_age, body.into_bytes())?;
    if listing.plan.is_some() {
        // A search: several times an article's cost to make again.
        res.extensions_mut().insert(crate::api::cache::Costly);
    }
    Ok(res)
}

/// A listing's parameters, read and checked.
struct Listing {
    limit: i64,
    sort: Sort,
    inc: Includes,
    fields: Option<Vec<String>>,
    topic_slugs: Option<Vec<String>>,
    author_slug: Option<String>,
    published_after: Option<NaiveDateTime>,
    published_before: Option<NaiveDateTime>,
    plan: Option<Plan>,
    paging: Paging,
    /// With `fields`, a snippet is made only when named.
    snippets_shown: bool,
}

/// What the database step found for a listing.
struct Listed {
    page: Page<ArticleKey>,
    tax: Arc<Taxonomy>,
    cards: Vec<Arc<Card>>,
    facets: Option<Vec<(i64, u64)>>,
    snippets: HashMap<i64, String>,
}

impl Listing {
    fn parse(query: ListQuery) -> Result<Self, AppError> {
        let limit = pagination::limit(query.limit)?;
        let (q, sort) = sort_and_query(
            query.q,
            query.sort.as_deref(),
            &[
                Sort::PublishedDesc,
                Sort::PublishedAsc,
                Sort::UpdatedDesc,
                Sort::Title,
            ],
            Sort::PublishedDesc,
        )?;
        let mut inc = parse_includes(query.include.as_deref())?;
        let fields = parse_fields(query.fields.as_deref())?;
        if let Some(fields) = &fields {
            inc.authors &= fields.iter().any(|f| f == "authors");
            inc.topics &= fields.iter().any(|f| f == "topics");
        }
        let paging = Paging::parse(
            sort,
            query.cursor.as_deref(),
            limit,
            query.count,
            query.facets.as_deref(),
            q.as_deref(),
        )?;
        Ok(Listing {
            limit,
            sort,
            inc,
            snippets_shown: fields
                .as_ref()
                .is_none_or(|f| f.iter().any(|f| f == "snippet")),
            fields,
            topic_slugs: query.topic.as_deref().map(comma_list),
            author_slug: query.author,
            published_after: query_date("published_after", query.published_after)?,
            published_before: query_date("published_before", query.published_before)?,
            plan: parse_query(q.as_deref())?,
            paging,
        })
    }

    /// The page, its cards and snippets. Slugs are resolved with the summaries held now, and
    /// the versions are read with the cards (one round trip fewer on PostgreSQL). When the
    /// summaries turn out to be older than the database, they are reloaded and, if slugs were
    /// resolved with them, the page is made again.
    fn load(
        &self,
        conn: &mut AnyConnection,
        st: &AppState,
        now: NaiveDateTime,
    ) -> Result<Listed, AppError> {
        if let Some(listed) = self.held_page(conn, st, now)? {
            return Ok(listed);
        }
        let mut tax = st.read_model.held_taxonomy();
        loop {
            let filter = Filter {
                visibility: Visibility::Public(now),
                topic_ids: self.topic_slugs.as_ref().map(|s| tax.topic_ids(s)),
                author_ids: self
                    .author_slug
                    .as_ref()
                    .map(|s| tax.author_id(s).into_iter().collect()),
                published_after: self.published_after,
                published_before: self.published_before,
            };
            let SearchPage { page, facets } =
                list_page(conn, st, self.plan.as_ref(), &filter, &self.paging)?;
            let ids = articles::ids_of(&page.items);
            let shown = st.read_model.cards.public_cards(conn, &ids, now)?;
            let v = shown.versions;
            let done = tax.is_current(v);
            if !done {
                tax = st.read_model.taxonomy(conn, v)?;
            }
            if done || (self.topic_slugs.is_none() && self.author_slug.is_none()) {
                // Only when the response shows them.
                let plan = self.plan.as_ref().filter(|_| self.snippets_shown);
                let snippets = snippets_with(
                    conn,
                    st,
                    plan,
                    &ids,
                    |conn, ids| st.read_model.cards.leads(conn, &shown, ids),
                    // From the cards shown: the articles table's rows are large.
                    |_, ids| {
                        Ok((shown.cards.iter())
                            .filter(|c| ids.contains(&c.article_id))
                            .filter_map(|c| Some((c.article_id, c.excerpt()?)))
                            .collect())
                    },
                )?;
                return Ok(Listed {
                    page,
                    tax,
                    cards: shown.cards,
                    facets,
                    snippets,
                });
            }
        }
    }

    /// The newest articles, or a topic's, with no search, author, dates or count (the pages
    /// readers browse): from the newest articles the read model holds, after one statement for
    /// the versions. `None` when the listing is not such a page or lies beyond them.
    fn held_page(
        &self,
        conn: &mut AnyConnection,
        st: &AppState,
        now: NaiveDateTime,
    ) -> Result<Option<Listed>, AppError> {
        let slug = match self.topic_slugs.as_deref() {
            None => None,
            Some([slug]) => Some(slug),
            Some(_) => return Ok(None),
        };
        let after = match &self.paging.cursor {
            None => None,
            Some(Cursor {
                key: Key::Time(t),
                id,
            }) => Some((*t, *id)),
            Some(_) => return Ok(None),
        };
        let plain = self.plan.is_none()
            && self.sort == Sort::PublishedDesc
            && self.author_slug.is_none()
            && self.published_after.is_none()
            && self.published_before.is_none()
            && !self.paging.count
            && !self.paging.facets;
        if !plain {
            return Ok(None);
        }
        let v = cards::versions(conn)?;
        let tax = st.read_model.taxonomy(conn, v)?;
        let topic = match slug {
            None => None,
            Some(slug) => match tax.topic_ids(std::slice::from_ref(slug)).first() {
                Some(&id) => Some(id),
                // An unknown topic's empty page is the database's to make.
                None => return Ok(None),
            },
        };
        let n = usize::try_from(self.limit)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let Some(picked) = st.read_model.newest_page(conn, topic, v, now, after, n)? else {
            return Ok(None);
        };
        let (keys, cards) = picked.into_iter().unzip();
        Ok(Some(Listed {
            page: Page::from_rows(keys, self.limit, ArticleKey::cursor),
            tax,
            cards,
            facets: None,
            snippets: HashMap::new(),
        }))
    }

    /// The response body: the items in the page's order, then `meta`.
    fn render(&self, found: Listed) -> Result<String, AppError> {
        let Listed {
            page,
            tax,
            cards,
            facets,
            mut snippets,
        } = found;
        let mut by_id: HashMap<i64, Arc<Card>> =
            cards.into_iter().map(|c| (c.article_id, c)).collect();
        let mut out = String::with_capacity(1024 * page.items.len() + 256);
        out.push_str("{\"data\":[");
        let mut first = true;
        for key in &page.items {
            // An article unpublished since the listing's query drops out.
            let Some(card) = by_id.remove(&key.id) else {
                continue;
            };
            if !first {
                out.push(',');
            }
            first = false;
            let at = out.len();
            match &self.fields {
                None => tax.push_card(&mut out, &card, self.inc),
                Some(fields) => push_sparse(&mut out, &tax, &card, self.inc, fields)?,
            }
            // A search's items end with their snippet (made only when shown).
            if let Some(snippet) = snippets.remove(&key.id) {
                push_snippet(&mut out, at, &snippet)?;
            }
        }
        out.push_str("],\"meta\":");
        let meta = Meta {
            pagination: Pagination {
                limit: self.limit,
                next_cursor: page.next.as_ref().map(|c| c.encode(self.sort.name())),
                total: page.total,
            },
            facets: facets.map(|facets| topic_facets(&tax, facets)),
        };
        out.push_str(&serde_json::to_string(&meta)?);
        out.push('}');
        Ok(out)
    }
}

/// Adds `"snippet"` to the item that starts at `at` and ends `out`.
fn push_snippet(out: &mut String, at: usize, snippet: &str) -> Result<(), AppError> {
    if out.ends_with('}') {
        out.pop();
        if out.len() > at + 1 {
            out.push(',');
        }
        out.push_str("\"snippet\":");
        out.push_str(&serde_json::to_string(snippet)?);
        out.push('}');
    }
    Ok(())
}

/// Facet counts with their topics' slugs and names (a topic gone since is left out).
fn topic_facets(tax: &Taxonomy, facets: Vec<(i64, u64)>) -> Facets {
    Facets {
        topic: facets
            .into_iter()
            .filter_map(|(id, count)| {
                let (slug, name) = tax.topic_name(id)?;
                Some(TopicFacet {
                    id,
                    slug,
                    name,
                    count,
                })
            })
            .collect(),
    }
}

/// Appends `card` with only the summary fields named in `fields`.
fn push_sparse(
    out: &mut String,
    tax: &Taxonomy,
    card: &Card,
    inc: Includes,
    fields: &[String],
) -> Result<(), AppError> {
    let mut full = String::with_capacity(card.card.len() + 256);
    tax.push_card(&mut full, card, inc);
    let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&full)?;
    value.retain(|k, _| fields.iter().any(|f| f == k));
    out.push_str(&serde_json::to_string(&value)?);
    Ok(())
}
