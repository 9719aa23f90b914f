//! Writes of articles: create, save (every edit, publication and restore goes through it),
//! delete; bylines and topics with the article's status copied onto them; slug history;
//! revisions; and the stored card of the read model, rendered in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Article, ArticleDraft, ArticleStatus, find};
use crate::db::AnyConnection;
use crate::db::schema::{
    article_authors, article_revisions, article_slugs, article_topics, articles,
};
use crate::models::changes::{self, Entity, Kind};
use crate::models::{ModelError, OrMissing};

/// Rejects a slug that another article used before: its redirects would become ambiguous.
fn check_slug_free(
    conn: &mut AnyConnection,
    slug: &str,
    own_id: Option<i64>,
) -> Result<(), ModelError> {
    let owner: Option<i64> = article_slugs::table
        .find(slug)
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(other) if Some(other) != own_id => Err(ModelError::conflict(
            "already_exists",
            "slug was used by another article and still redirects to it",
            Some("slug"),
        )),
        _ => Ok(()),
    }
}

/// Rewrites bylines and topics, with the article's `status` copied onto them.
fn replace_relations(
    conn: &mut AnyConnection,
    id: i64,
    draft: &ArticleDraft,
    status: ArticleStatus,
) -> Result<(), ModelError> {
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id)))
        .execute(conn)?;
    diesel::delete(article_topics::table.filter(article_topics::article_id.eq(id)))
        .execute(conn)?;
    // One row per statement: multi-row VALUES does not compile on the multi-backend connection.
    for (position, author_id) in (0..).zip(&draft.author_ids) {
        diesel::insert_into(article_authors::table)
            .values((
                article_authors::article_id.eq(id),
                article_authors::author_id.eq(author_id),
                article_authors::position.eq(position),
                article_authors::status.eq(status),
                article_authors::published_at.eq(draft.published_at),
            ))
            .execute(conn)?;
    }
    for (position, topic_id) in (0..).zip(&draft.topic_ids) {
        diesel::insert_into(article_topics::table)
            .values((
                article_topics::article_id.eq(id),
                article_topics::topic_id.eq(topic_id),
                article_topics::position.eq(position),
                article_topics::status.eq(status),
                article_topics::published_at.eq(draft.published_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn record_revision(
    conn: &mut AnyConnection,
    id: i64,
    version: i64,
    draft: &ArticleDraft,
    user_id: Option<i64>,
) -> Result<(), ModelError> {
    diesel::insert_into(article_revisions::table)
        .values((
            article_revisions::article_id.eq(id),
            article_revisions::version.eq(version),
            article_revisions::snapshot.eq(serde_json::to_string(draft)?),
            article_revisions::created_by.eq(user_id),
            article_revisions::created_at.eq(crate::models::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// `base`, or `base-2`, `base-3`… : the first slug no article uses now or used before.
pub fn unique_slug(conn: &mut AnyConnection, base: &str) -> Result<String, ModelError> {
    let mut candidate = base.to_owned();
    for n in 2..1000 {
        let taken: bool = diesel::select(diesel::dsl::exists(
            articles::table.filter(articles::slug.eq(&candidate)),
        ))
        .get_result(conn)?;
        let former: bool =
            diesel::select(diesel::dsl::exists(article_slugs::table.find(&candidate)))
                .get_result(conn)?;
        if !taken && !former {
            return Ok(candidate);
        }
        let suffix = format!("-{n}");
        let keep = crate::text::floor_char_boundary(base, crate::validate::MAX_SLUG - suffix.len());
        let stem = base.get(..keep).unwrap_or_default();
        candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
    }
    Err(ModelError::conflict(
        "already_exists",
        "no free slug could be derived; give one",
        Some("slug"),
    ))
}

/// Creates a draft article (version 1) with its bylines, topics and first revision.
pub fn create(
    conn: &mut AnyConnection,
    draft: &ArticleDraft,
    user_id: Option<i64>,
) -> Result<Article, ModelError> {
    check_slug_free(conn, &draft.slug, None)?;
    let now = crate::models::now();
    let id: i64 = diesel::insert_into(articles::table)
        .values((
            draft.columns(),
            articles::status.eq(ArticleStatus::Draft),
            articles::created_by.eq(user_id),
            articles::version.eq(1),
            articles::created_at.eq(now),
            articles::updated_at.eq(now),
        ))
        .returning(articles::id)
        .get_result(conn)?;
    replace_relations(conn, id, draft, ArticleStatus::Draft)?;
    record_revision(conn, id, 1, draft, user_id)?;
    let article = find(conn, id)?.or_missing("article")?;
    crate::models::cards::store(conn, &article, &draft.author_ids, &draft.topic_ids)?;
    // A draft: readers see nothing of it.
    changes::record(
        conn,
        changes::Entry {
            public: false,
            ..changes::entry(Entity::Article, id, Kind::Created, &article.slug)
        },
    )?;
    Ok(article)
}

/// Saves a new state of `current` when its version is still `expected`: the columns, bylines,
/// topics, slug history, a revision and the change it is to readers at `now`, all in the
/// caller's transaction.
pub fn save(
    conn: &mut AnyConnection,
    current: &Article,
    expected: i64,
    draft: &ArticleDraft,
    status: Option<ArticleStatus>,
    user_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<Article, ModelError> {
    let id = current.id;
    let was_public = announced(conn, current)?;
    if draft.slug != current.slug {
        check_slug_free(conn, &draft.slug, Some(id))?;
    }
    let version = expected + 1;
    let written = crate::models::now();
    let n = diesel::update(
        articles::table.filter(articles::id.eq(id).and(articles::version.eq(expected))),
    )
    .set((
        draft.columns(),
        articles::status.eq(status.unwrap_or(current.status)),
        articles::version.eq(version),
        articles::updated_at.eq(written),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(crate::models::stale("article"));
    }
    if draft.slug != current.slug {
        // The old slug now redirects here; the new one no longer redirects anywhere.
        diesel::delete(article_slugs::table.find(&draft.slug)).execute(conn)?;
        diesel::insert_into(article_slugs::table)
            .values((
                article_slugs::slug.eq(&current.slug),
                article_slugs::article_id.eq(id),
                article_slugs::created_at.eq(written),
            ))
            .execute(conn)?;
    }
    replace_relations(conn, id, draft, status.unwrap_or(current.status))?;
    record_revision(conn, id, version, draft, user_id)?;
    let article = find(conn, id)?.or_missing("article")?;
    crate::models::cards::store(conn, &article, &draft.author_ids, &draft.topic_ids)?;
    let published = article.status == ArticleStatus::Published;
    let is_public = published && article.published_at.is_some_and(|at| at <= now);
    // A publication still to come waits for the scheduler to announce it.
    let due = article.published_at.filter(|_| published && !is_public);
    crate::models::schedule::set(conn, id, due)?;
    let kind = match (was_public, is_public) {
        (false, true) => Kind::Published,
        (true, false) => Kind::Unpublished,
        (true, true) => Kind::Updated,
        // Unseen by readers: what happened to the status, for the search index's sake.
        (false, false) => match (current.status == ArticleStatus::Published, published) {
            (false, true) => Kind::Published,
            (true, false) => Kind::Unpublished,
            _ => Kind::Updated,
        },
    };
    changes::record(
        conn,
        changes::Entry {
            previous_slug: Some(current.slug.as_str()).filter(|s| *s != article.slug),
            public: was_public || is_public,
            ..changes::entry(Entity::Article, id, kind, &article.slug)
        },
    )?;
    Ok(article)
}

/// Whether readers have been told the article is public: published, and not waiting for its
/// time to be announced (see `models::schedule`).
fn announced(conn: &mut AnyConnection, article: &Article) -> Result<bool, ModelError> {
    Ok(article.status == ArticleStatus::Published
        && !crate::models::schedule::is_pending(conn, article.id)?)
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), ModelError> {
    let public = match super::find(conn, id)? {
        Some(article) => announced(conn, &article)?,
        None => false,
    };
    let slug: Option<String> = diesel::delete(articles::table.find(id))
        .returning(articles::slug)
        .get_result(conn)
        .optional()?;
    changes::deleted(conn, Entity::Article, id, slug, public)
}

/// One stored revision.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct Revision {
    pub version: i64,
    pub snapshot: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn revisions(conn: &mut AnyConnection, id: i64) -> Result<Vec<Revision>, ModelError> {
    Ok(article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .order(article_revisions::version.desc())
        .select(Revision::as_select())
        .load(conn)?)
}

pub fn revision(
    conn: &mut AnyConnection,
    id: i64,
    version: i64,
) -> Result<ArticleDraft, ModelError> {
    let snapshot: String = article_revisions::table
        .filter(
            article_revisions::article_id
                .eq(id)
                .and(article_revisions::version.eq(version)),
        )
        .select(article_revisions::snapshot)
        .first(conn)
        .optional()?
        .ok_or_else(|| ModelError::NotFound("revision"))?;
    Ok(serde_json::from_str(&snapshot)?)
}
