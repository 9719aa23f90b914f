//! A synthetic newsroom for benchmarks: `headline seed --synthetic --articles N [--seed S]`.
//!
//! Deterministic for a given seed, with the shape of a real archive: ~500 topics whose popularity
//! follows a Zipf-like curve (topic 1, Xiaomi, is on a large share of articles), ~2,000 authors,
//! 1–3 authors and 1–5 topics per article, 2–4 KB markdown bodies rendered by the same pipeline
//! as editors' articles, publication dates over ten years, some drafts, scheduled and archived
//! articles, and curated related lists on a fraction of them.
//!
//! Rows are written in batches of multi-row INSERTs, one transaction per batch, with explicit
//! ids (so bylines and topics need no round trip); markdown is rendered on every core.

mod rows;
mod words;

use std::time::Instant;

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::schema::{
    article_authors, article_topics, articles, authors, list_items, lists, topics,
};
use crate::db::{AnyConnection, Db, on_backend};
use crate::error::AppError;
use crate::models::articles::ArticleStatus;
use crate::models::changes::{self, Entity, Kind};
use crate::models::now;
use crate::text;

use self::rows::{Draft, ListItemRow, ListRow, Summary, render};
use self::words::{VERBS, WORDS, body, pick, sample_cdf, topic_name, zipf_cdf};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub articles: u64,
    pub seed: u64,
    pub topics: usize,
    pub authors: usize,
}

impl Plan {
    pub fn new(articles: u64, seed: u64) -> Self {
        Plan {
            articles,
            seed,
            topics: 500,
            authors: 2_000,
        }
    }
}

/// What was generated, and how fast.
#[derive(Debug)]
pub struct Report {
    pub articles: u64,
    pub seconds: f64,
}

impl Report {
    pub fn rate(&self) -> f64 {
        f64::from(u32::try_from(self.articles).unwrap_or(u32::MAX)) / self.seconds.max(1e-9)
    }
}

const BATCH: u16 = 1_000;

/// The id `n` places after `first`.
fn nth_id(first: i64, n: impl TryInto<i64>) -> i64 {
    first.saturating_add(n.try_into().unwrap_or(i64::MAX))
}

fn next_id(conn: &mut AnyConnection, table: &str) -> Result<i64, AppError> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        max: i64,
    }
    let row: Max = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) AS max FROM {table}"))
        .get_result(conn)?;
    Ok(row.max + 1)
}

/// PostgreSQL sequences do not move for explicit ids: move them past what was written.
fn fix_sequences(conn: &mut AnyConnection) -> Result<(), AppError> {
    if let AnyConnection::Postgresql(c) = conn {
        for table in ["authors", "topics", "lists", "articles"] {
            c.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
            ))?;
        }
    }
    Ok(())
}

/// Generates the newsroom of `plan` into `db`.
pub fn generate(db: &Db, plan: Plan) -> Result<Report, AppError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let now = now();

    // Authors and topics first, in one transaction.
    let (first_author, first_topic) = db.write_content_blocking(|conn| {
        let first_author = next_id(conn, "authors")?;
        let first_topic = next_id(conn, "topics")?;
        let author_rows: Vec<_> = (0..plan.authors)
            .map(|i| {
                let id = nth_id(first_author, i);
                (
                    authors::id.eq(id),
                    authors::slug.eq(format!("writer-{id}")),
                    authors::name.eq(format!("Writer {id}")),
                    authors::job_title.eq(Some("Staff Writer")),
                    authors::social.eq("{}"),
                    authors::version.eq(1_i64),
                    authors::created_at.eq(now),
                    authors::updated_at.eq(now),
                )
            })
            .collect();
        let topic_names: Vec<(i64, String)> = (0..plan.topics)
            .map(|i| {
                let id = nth_id(first_topic, i);
                if i < 18 && first_topic == 1 {
                    (id, topic_name(i))
                } else {
                    (id, format!("Topic {id}"))
                }
            })
            .collect();
        let topic_slugs: Vec<(i64, String)> = topic_names
            .iter()
            .map(|(id, name)| (*id, text::slugify(name)))
            .collect();
        let topic_rows: Vec<_> = topic_names
            .iter()
            .zip(&topic_slugs)
            .map(|((id, name), (_, slug))| {
                (
                    topics::id.eq(*id),
                    topics::slug.eq(slug),
                    topics::name.eq(name),
                    topics::version.eq(1_i64),
                    topics::created_at.eq(now),
                    topics::updated_at.eq(now),
                )
            })
            .collect();
        for chunk in author_rows.chunks(usize::from(BATCH)) {
            on_backend!(conn, |c| diesel::insert_into(authors::table)
                .values(chunk)
                .execute(c))?;
        }
        for chunk in topic_rows.chunks(usize::from(BATCH)) {
            on_backend!(conn, |c| diesel::insert_into(topics::table)
                .values(chunk)
                .execute(c))?;
        }
        let author_slugs: Vec<(i64, String)> = (0..plan.authors)
            .map(|i| nth_id(first_author, i))
            .map(|id| (id, format!("writer-{id}")))
            .collect();
        for (entity, slugs) in [
            (Entity::Author, &author_slugs),
            (Entity::Topic, &topic_slugs),
        ] {
            let items: Vec<(i64, &str)> = slugs.iter().map(|(id, s)| (*id, s.as_str())).collect();
            changes::record_many(conn, entity, Kind::Created, true, &items)?;
        }
        crate::models::cards::taxonomy_changed(conn)?;
        // Articles below are inserted without cards; the backfill at the end renders them.
        crate::models::cards::cards_incomplete(conn)?;
        Ok((first_author, first_topic))
    })?;

    let cdf = zipf_cdf(plan.topics);
    // Hold no connection across the writes below: a pool of one must do.
    let mut conn = db.get()?;
    let first_article = next_id(&mut conn, "articles")?;
    let mut next_list = next_id(&mut conn, "lists")?;
    drop(conn);
    let span_seconds = 10 * 365 * 24 * 3600_i64;
    let bar = ProgressBar::new(plan.articles);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} articles {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());

    let mut done = 0_u64;
    while done < plan.articles {
        let n = (plan.articles - done).min(u64::from(BATCH));
        let mut drafts = Vec::with_capacity(usize::from(BATCH));
        let mut lists_to_write = Vec::new();
        for i in 0..n {
            let id = nth_id(first_article, done + i);
            let roll: u32 = rng.random_range(0..1000);
            let (status, published_at) = match roll {
                0..=19 => (ArticleStatus::Draft, None),
                20..=29 => (
                    ArticleStatus::Published,
                    Some(now + Duration::seconds(rng.random_range(3_600..30 * 86_400))),
                ),
                30..=34 => (
                    ArticleStatus::Archived,
                    Some(now - Duration::seconds(rng.random_range(0..span_seconds))),
                ),
                _ => (
                    ArticleStatus::Published,
                    Some(now - Duration::seconds(rng.random_range(60..span_seconds))),
                ),
            };
            let mut topic_ids: Vec<i64> = Vec::new();
            for _ in 0..rng.random_range(1..=5) {
                let t = nth_id(first_topic, sample_cdf(&mut rng, &cdf));
                if !topic_ids.contains(&t) {
                    topic_ids.push(t);
                }
            }
            let mut author_ids: Vec<i64> = Vec::new();
            for _ in 0..rng.random_range(1..=3) {
                let a = nth_id(first_author, rng.random_range(0..plan.authors));
                if !author_ids.contains(&a) {
                    author_ids.push(a);
                }
            }
            // One topic at least was drawn above.
            let main_topic = topic_ids.first().copied().unwrap_or(first_topic);
            let topic = if first_topic == 1 {
                topic_name(usize::try_from(main_topic - first_topic).unwrap_or(0))
            } else {
                format!("Topic {main_topic}")
            };
            let related_list_id = if id > first_article + 10 && rng.random_ratio(1, 50) {
                let list_id = next_list;
                next_list += 1;
                let picks: Vec<i64> = (0..3)
                    .map(|_| rng.random_range(first_article..id))
                    .collect();
                lists_to_write.push((list_id, id, picks));
                Some(list_id)
            } else {
                None
            };
            let title = format!(
                "{topic} {} {} {} {}",
                pick(&mut rng, VERBS),
                pick(&mut rng, WORDS),
                pick(&mut rng, WORDS),
                pick(&mut rng, WORDS)
            );
            drafts.push(Draft {
                id,
                body: body(&mut rng, &topic),
                title,
                status,
                published_at,
                authors: author_ids,
                topics: topic_ids,
                related_list_id,
                has_image: rng.random_ratio(4, 5),
            });
        }

        // Render on every core; markdown and sanitizing are most of the CPU work.
        let chunk = drafts.len().div_ceil(workers).max(1);
        let mut parts: Vec<Vec<Draft>> = Vec::new();
        let mut drafts = drafts.into_iter().peekable();
        while drafts.peek().is_some() {
            parts.push(drafts.by_ref().take(chunk).collect());
        }
        let rendered: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    s.spawn(move || part.into_iter().map(|d| render(d, now)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut rows = Vec::with_capacity(rendered.len());
        let mut bylines = Vec::new();
        let mut links = Vec::new();
        let mut summaries = Vec::new();
        for (row, b, l, summary) in rendered {
            rows.push(row);
            bylines.extend(b);
            links.extend(l);
            summaries.push(summary);
        }
        db.write_content_blocking(|conn| {
            let list_rows: Vec<ListRow> = lists_to_write
                .iter()
                .map(|(list_id, article_id, _)| ListRow {
                    id: *list_id,
                    slug: format!("read-more-{article_id}"),
                    title: "Read more".to_owned(),
                    description: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                })
                .collect();
            let lists: Vec<(i64, &str)> =
                list_rows.iter().map(|l| (l.id, l.slug.as_str())).collect();
            changes::record_many(conn, Entity::List, Kind::Created, true, &lists)?;
            if !list_rows.is_empty() {
                on_backend!(conn, |c| diesel::insert_into(lists::table)
                    .values(&list_rows)
                    .execute(c))?;
            }
            // Articles in slices that stay under both backends' bound-parameter limits.
            for slice in rows.chunks(500) {
                on_backend!(conn, |c| diesel::insert_into(articles::table)
                    .values(slice)
                    .execute(c))?;
            }
            // Public articles are announced; drafts, archived and scheduled ones are not
            // (scheduled ones wait for the scheduler).
            let (public, unseen): (Vec<&Summary>, Vec<&Summary>) =
                summaries.iter().partition(|a| {
                    a.status == ArticleStatus::Published
                        && a.published_at.is_some_and(|at| at <= now)
                });
            for (kind, visible, group) in [
                (Kind::Published, true, public),
                (Kind::Created, false, unseen),
            ] {
                let items: Vec<(i64, &str)> =
                    group.iter().map(|a| (a.id, a.slug.as_str())).collect();
                changes::record_many(conn, Entity::Article, kind, visible, &items)?;
            }
            for a in &summaries {
                if a.status == ArticleStatus::Published {
                    let due = a.published_at.filter(|at| *at > now);
                    if due.is_some() {
                        crate::models::schedule::set(conn, a.id, due)?;
                    }
                }
            }
            for slice in bylines.chunks(2_000) {
                on_backend!(conn, |c| diesel::insert_into(article_authors::table)
                    .values(slice)
                    .execute(c))?;
            }
            for slice in links.chunks(2_000) {
                on_backend!(conn, |c| diesel::insert_into(article_topics::table)
                    .values(slice)
                    .execute(c))?;
            }
            let items: Vec<ListItemRow> = lists_to_write
                .iter()
                .flat_map(|(list_id, _, picks)| {
                    let articles = (0..).zip(picks).map(move |(position, a)| ListItemRow {
                        list_id: *list_id,
                        position,
                        article_id: Some(*a),
                        url: None,
                        title: None,
                        kind: "article".to_owned(),
                    });
                    let video = ListItemRow {
                        list_id: *list_id,
                        position: 3,
                        article_id: None,
                        url: Some(format!("https://videos.example.com/synthetic/{list_id}")),
                        title: Some("Watch: the story in two minutes".to_owned()),
                        kind: "video".to_owned(),
                    };
                    articles.chain(std::iter::once(video))
                })
                .collect();
            if !items.is_empty() {
                on_backend!(conn, |c| diesel::insert_into(list_items::table)
                    .values(&items)
                    .execute(c))?;
            }
            Ok(())
        })?;
        done += n;
        bar.set_position(done);
    }
    bar.finish_and_clear();
    crate::startup::render_cards(db)?;
    let mut conn = db.get()?;
    fix_sequences(&mut conn)?;
    if let AnyConnection::Postgresql(c) = &mut **conn {
        c.batch_execute("ANALYZE")?;
    } else if let AnyConnection::Sqlite(c) = &mut **conn {
        c.batch_execute("ANALYZE")?;
    }
    Ok(Report {
        articles: plan.articles,
        seconds: started.elapsed().as_secs_f64(),
    })
}
