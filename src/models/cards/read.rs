//! Reading the read model back: pages, cards (with their versions, for ETags), topic heads
//! for related boxes, and the taxonomy readers copy.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::split_ids;
use crate::db::schema::{article_cards, article_pages, article_topics};
use crate::db::{AnyConnection, in_ids, on_backend};
use crate::models::ModelError;
use crate::models::articles::ArticleStatus;
use crate::models::authors::AuthorBrief;
use crate::models::topics::TopicBrief;

/// One article's card as read back: its relations' ids and the open JSON object.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_cards)]
pub struct Card {
    pub article_id: i64,
    pub author_ids: String,
    pub topic_ids: String,
    pub card: String,
}

impl Card {
    /// The article's excerpt, as the card shows it: `None` if the card has none (never, for a
    /// card rendered by this code).
    pub fn excerpt(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Excerpt {
            excerpt: String,
        }
        // The card is left open for its bylines and topics: closed here to be read.
        let closed = format!("{}}}", self.card);
        serde_json::from_str::<Excerpt>(&closed)
            .ok()
            .map(|e| e.excerpt)
    }
}

/// A public article's card and page.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = article_cards)]
pub struct PageRow {
    #[diesel(embed)]
    pub card: Card,
    pub related_list_id: Option<i64>,
    #[diesel(select_expression = article_pages::page)]
    pub page: String,
}

/// Where the database stands (`content_version`), read with a request's first rows: the
/// content generation (every content write) and the taxonomy version (author and topic
/// writes), against which readers check their in-memory copies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable)]
pub struct Versions {
    pub generation: i64,
    pub taxonomy: i64,
}

/// The card row of the article public at `now` whose current slug is `slug` (a macro: diesel's
/// expression types are long to name).
macro_rules! public_at_slug {
    ($slug:expr, $now:expr) => {
        article_cards::slug
            .eq($slug)
            .and(article_cards::status.eq(ArticleStatus::Published))
            .and(article_cards::published_at.le($now))
    };
}

/// The card and page of the article public at `now` whose current slug is `slug`, with the
/// content generation and taxonomy version read in the same statement (one round trip fewer
/// on PostgreSQL than reading [`versions`] first).
pub fn public_page(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Option<(PageRow, Versions)>, ModelError> {
    use crate::db::schema::content_version;
    Ok(on_backend!(conn, |c| article_cards::table
        .inner_join(article_pages::table)
        .inner_join(content_version::table.on(content_version::id.eq(1_i64)))
        .filter(public_at_slug!(slug, now))
        .select((
            PageRow::as_select(),
            (content_version::generation, content_version::taxonomy),
        ))
        .first(c)
        .optional())?)
}

/// [`public_page`] without the page (what a related box needs): the card, its curated
/// list and the versions.
pub fn public_card(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<Option<(Card, Option<i64>, Versions)>, ModelError> {
    use crate::db::schema::content_version;
    Ok(on_backend!(conn, |c| article_cards::table
        .inner_join(content_version::table.on(content_version::id.eq(1_i64)))
        .filter(public_at_slug!(slug, now))
        .select((
            Card::as_select(),
            article_cards::related_list_id,
            (content_version::generation, content_version::taxonomy),
        ))
        .first(c)
        .optional())?)
}

/// The card and page of an article whatever its status (a draft preview), with the versions
/// as [`public_page`] reads them.
pub fn page_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<(PageRow, Versions)>, ModelError> {
    use crate::db::schema::content_version;
    Ok(article_cards::table
        .inner_join(article_pages::table)
        .inner_join(content_version::table.on(content_version::id.eq(1_i64)))
        .filter(article_cards::article_id.eq(id))
        .select((
            PageRow::as_select(),
            (content_version::generation, content_version::taxonomy),
        ))
        .first(conn)
        .optional()?)
}

/// `content_version`'s versions alone, for a read whose rows are held in memory.
pub fn versions(conn: &mut AnyConnection) -> Result<Versions, ModelError> {
    use crate::db::schema::content_version;
    Ok(on_backend!(conn, |c| content_version::table
        .filter(content_version::id.eq(1_i64))
        .select((content_version::generation, content_version::taxonomy))
        .first(c))?)
}

/// The cards of those of `ids` public at `now`, in no particular order.
pub fn public_cards(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<Vec<Card>, ModelError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_backend!(conn, |c| article_cards::table
        .filter(in_ids(article_cards::article_id, ids))
        .filter(article_cards::status.eq(ArticleStatus::Published))
        .filter(article_cards::published_at.le(now))
        .select(Card::as_select())
        .load(c))?)
}

/// The leads (`article_leads`: the start of each body as plain text, which search snippets
/// are cut from) of those of `ids` that have one, whatever their status.
pub fn leads(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, String)>, ModelError> {
    use crate::db::schema::article_leads;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_backend!(conn, |c| article_leads::table
        .filter(in_ids(article_leads::article_id, ids))
        .select((article_leads::article_id, article_leads::lead))
        .load(c))?)
}

/// [`public_cards`], with `content_version`'s versions read in the same statement (so that
/// they come back even when no card does).
pub fn public_cards_with_versions(
    conn: &mut AnyConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> Result<(Vec<Card>, Versions), ModelError> {
    use crate::db::schema::content_version;
    type Row = (
        i64,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = on_backend!(conn, |c| content_version::table
        .left_join(
            article_cards::table.on(in_ids(article_cards::article_id, ids)
                .and(article_cards::status.eq(ArticleStatus::Published))
                .and(article_cards::published_at.le(now))),
        )
        .select((
            content_version::generation,
            content_version::taxonomy,
            article_cards::article_id.nullable(),
            article_cards::author_ids.nullable(),
            article_cards::topic_ids.nullable(),
            article_cards::card.nullable(),
        ))
        .load(c))?;
    let versions = rows
        .first()
        .map(|r| Versions {
            generation: r.0,
            taxonomy: r.1,
        })
        .unwrap_or_default();
    let cards = rows
        .into_iter()
        .filter_map(|(_, _, id, authors, topics, card)| {
            Some(Card {
                article_id: id?,
                author_ids: authors?,
                topic_ids: topics?,
                card: card?,
            })
        })
        .collect();
    Ok((cards, versions))
}

/// A candidate for an article's automatic related picks: one of the newest public articles of
/// a topic, with its topics (to count those it shares) and its card (so that a related box
/// reads no cards of its own). Its id and topics repeat the card's, at hand for ranking (the
/// topics parsed) without a look into the card per candidate.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub published_at: NaiveDateTime,
    pub topic_ids: Vec<i64>,
    pub card: Arc<Card>,
}

/// The newest `limit` articles of `topic` (of every topic when `None`) public at `now`, newest
/// first (one index range scan of the topic's junction rows, or of articles by date, joined to
/// their cards), and the next moment such an article is scheduled to go public, after which
/// the list is out of date.
pub fn topic_head(
    conn: &mut AnyConnection,
    topic: Option<i64>,
    now: NaiveDateTime,
    limit: i64,
) -> Result<(Vec<Candidate>, Option<NaiveDateTime>), ModelError> {
    use crate::db::schema::articles;
    let published = ArticleStatus::Published;
    type Row = (i64, Option<NaiveDateTime>, Card);
    let (rows, next): (Vec<Row>, Option<NaiveDateTime>) = match topic {
        Some(topic) => (
            article_topics::table
                .inner_join(article_cards::table)
                .filter(article_topics::topic_id.eq(topic))
                .filter(article_topics::status.eq(published))
                .filter(article_topics::published_at.le(now))
                .order((
                    article_topics::published_at.desc(),
                    article_topics::article_id.desc(),
                ))
                .limit(limit)
                .select((
                    article_topics::article_id,
                    article_topics::published_at,
                    Card::as_select(),
                ))
                .load(conn)?,
            article_topics::table
                .filter(article_topics::topic_id.eq(topic))
                .filter(article_topics::status.eq(published))
                .filter(article_topics::published_at.gt(now))
                .select(diesel::dsl::min(article_topics::published_at))
                .first(conn)?,
        ),
        None => (
            articles::table
                .inner_join(article_cards::table)
                .filter(articles::status.eq(published))
                .filter(articles::published_at.le(now))
                .order((articles::published_at.desc(), articles::id.desc()))
                .limit(limit)
                .select((articles::id, articles::published_at, Card::as_select()))
                .load(conn)?,
            articles::table
                .filter(articles::status.eq(published))
                .filter(articles::published_at.gt(now))
                .select(diesel::dsl::min(articles::published_at))
                .first(conn)?,
        ),
    };
    let head = rows
        .into_iter()
        .filter_map(|(id, at, card)| {
            Some(Candidate {
                id,
                published_at: at?,
                topic_ids: split_ids(&card.topic_ids).collect(),
                card: Arc::new(card),
            })
        })
        .collect();
    Ok((head, next))
}

/// Tells readers that an author or a topic changed, in the writer's transaction: they reload
/// their copies of the summaries when they next read `content_version.taxonomy`.
pub fn taxonomy_changed(conn: &mut AnyConnection) -> Result<(), ModelError> {
    use crate::db::schema::content_version;
    diesel::update(content_version::table)
        .set(content_version::taxonomy.eq(content_version::taxonomy + 1))
        .execute(conn)?;
    Ok(())
}

/// Every author's and topic's summary, for readers' copies.
pub fn taxonomy(
    conn: &mut AnyConnection,
) -> Result<(Vec<AuthorBrief>, Vec<TopicBrief>), ModelError> {
    use crate::db::schema::{authors, topics};
    Ok((
        authors::table.select(AuthorBrief::as_select()).load(conn)?,
        topics::table.select(TopicBrief::as_select()).load(conn)?,
    ))
}
