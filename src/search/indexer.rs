//! Keeping the index in step with the database: a build from every article, then the change
//! log applied in order.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use tantivy::collector::DocSetCollector;
use tantivy::index::SegmentId;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{IndexWriter, SegmentReader, TantivyDocument, Term};

use super::merges;
use super::schema::{self, Fields, NEVER};
use super::{Payload, SearchIndex};
use crate::db::schema::articles;
use crate::db::{AnyConnection, Db};
use crate::error::AppError;
use crate::models::articles::ArticleStatus;
use crate::models::changes::{self, Change, Entity};
use crate::models::{authors, topics};

/// Articles read from the database at a time.
const BATCH: u16 = 500;

/// Changes applied per commit at most.
const CHANGES_PER_COMMIT: i64 = 5_000;

/// How long the indexer sleeps when told nothing: it then looks at the change log anyway
/// (another instance's write whose notification was lost, a SQLite file written by another
/// process).
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Db(#[from] AppError),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl From<crate::models::ModelError> for IndexError {
    fn from(e: crate::models::ModelError) -> Self {
        IndexError::Db(e.into())
    }
}

impl From<diesel::result::Error> for IndexError {
    fn from(e: diesel::result::Error) -> Self {
        IndexError::Db(e.into())
    }
}

type ArticleRow = (
    i64,
    ArticleStatus,
    Option<NaiveDateTime>,
    NaiveDateTime,
    String,
    String,
    String,
);

/// The documents of `ids` as the database has them now; an id with no article (deleted) has
/// none.
fn documents(
    conn: &mut AnyConnection,
    f: &Fields,
    ids: &[i64],
) -> Result<Vec<TantivyDocument>, AppError> {
    let rows: Vec<ArticleRow> = articles::table
        .filter(crate::db::in_ids(articles::id, ids))
        .select((
            articles::id,
            articles::status,
            articles::published_at,
            articles::updated_at,
            articles::title,
            articles::excerpt,
            articles::body_markdown,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut bylines = authors::of_articles(conn, &ids)?;
    let mut filed = topics::of_articles(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, status, published_at, updated_at, title, excerpt, body) in rows {
        let body = crate::text::plain_text(&body);
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, u64::try_from(id).unwrap_or(0));
        doc.add_u64(f.status, schema::status_code(status));
        doc.add_i64(f.published_at, published_at.map_or(NEVER, schema::micros));
        doc.add_i64(f.updated_at, schema::micros(updated_at));
        doc.add_text(f.title_sort, &title);
        let mut names = Vec::new();
        for author in bylines.remove(&id).unwrap_or_default() {
            doc.add_u64(f.author_ids, u64::try_from(author.id).unwrap_or(0));
            doc.add_text(f.authors, &author.name);
            names.push(author.name);
        }
        for topic in filed.remove(&id).unwrap_or_default() {
            doc.add_u64(f.topic_ids, u64::try_from(topic.id).unwrap_or(0));
            doc.add_text(f.topics, &topic.name);
            names.push(topic.name);
        }
        for text in [&title, &excerpt, &body].into_iter().chain(&names) {
            doc.add_text(f.words, text);
        }
        doc.add_text(f.title, &title);
        doc.add_text(f.excerpt, &excerpt);
        doc.add_text(f.body, &body);
        out.push(doc);
    }
    Ok(out)
}

impl SearchIndex {
    /// Builds the index from every article in the database, replacing what it held; calls
    /// `progress(done, total)` as it goes. Returns the change it is current to.
    pub fn rebuild(&self, db: &Db, progress: &dyn Fn(u64, u64)) -> Result<i64, IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // A build ends by merging all its segments, and the policy would merge the small ones
        // at its commit: tantivy runs both merges, and the second to end fails.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let built = self.build(&mut writer, db, progress);
        writer.set_merge_policy(merges::policy());
        built
    }

    /// [`rebuild`](Self::rebuild)'s work, with the writer held and its merge policy paused.
    fn build(
        &self,
        writer: &mut IndexWriter,
        db: &Db,
        progress: &dyn Fn(u64, u64),
    ) -> Result<i64, IndexError> {
        // The head first: changes after it are applied after the build, again if the build
        // already saw them (applying a change is idempotent).
        let (head, total) = {
            let mut conn = db.get()?;
            let head = changes::head(&mut conn)?;
            let total: i64 = articles::table.count().get_result(&mut **conn)?;
            (head, u64::try_from(total).unwrap_or(0))
        };
        writer.delete_all_documents()?;
        let mut done = 0u64;
        let mut last = 0i64;
        self.set_building(0, total);
        progress(0, total);
        loop {
            let docs = {
                let mut conn = db.get()?;
                let ids: Vec<i64> = articles::table
                    .filter(articles::id.gt(last))
                    .order(articles::id.asc())
                    .limit(i64::from(BATCH))
                    .select(articles::id)
                    .load(&mut **conn)?;
                let Some(&max) = ids.last() else { break };
                last = max;
                documents(&mut conn, &self.fields, &ids)?
            };
            done += u64::try_from(docs.len()).unwrap_or(u64::MAX);
            for doc in docs {
                writer.add_document(doc)?;
            }
            self.set_building(done, total.max(done));
            progress(done, total.max(done));
        }
        self.save(writer, head)?;
        // One segment: the indexing threads each wrote segments of every age, and a relevance
        // search reads each segment's newest stories before it can stop (`pruned`). Searches
        // wait for it (~20 s at 1M articles here): one that ran meanwhile would share the CPU
        // with the merge. A process stopped during it leaves the build committed in pieces,
        // which `merge_scattered` merges at the next start.
        let segments = self.reader.searcher().index().searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
            self.reader.reload()?;
        }
        self.advance(head);
        Ok(head)
    }

    /// Merges the index into one segment, in the background, when it is in pieces (see
    /// [`scattered`]); returns the thread that waits for the merge and then shows it to
    /// searches. Searches meanwhile answer from the pieces.
    pub(super) fn merge_scattered(
        self: &Arc<Self>,
    ) -> Result<Option<std::thread::JoinHandle<()>>, IndexError> {
        let searcher = self.reader.searcher();
        let sizes: Vec<u32> = (searcher.segment_readers().iter())
            .map(tantivy::SegmentReader::num_docs)
            .collect();
        if !scattered(&sizes) {
            return Ok(None);
        }
        tracing::info!(
            segments = sizes.len(),
            "search index in pieces (a build's merge did not finish): merging"
        );
        let segments = searcher.index().searchable_segment_ids()?;
        let merging = self
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .merge(&segments);
        let index = Arc::downgrade(self);
        let waiter = std::thread::Builder::new()
            .name("search-merge".to_owned())
            .spawn(move || {
                let merged = merging
                    .wait()
                    .and_then(|_| index.upgrade().map_or(Ok(()), |i| i.reader.reload()));
                match merged {
                    Ok(()) => tracing::info!("search index merged"),
                    Err(e) => tracing::warn!(error = %e, "search index: the merge failed"),
                }
            })
            .context("starting the search index's merge")
            .map_err(AppError::from)?;
        Ok(Some(waiter))
    }

    /// Applies the changes after the last one applied, in batches; returns how many.
    pub fn catch_up(&self, db: &Db) -> Result<usize, IndexError> {
        let Some(mut applied) = self.applied() else {
            return Ok(0);
        };
        let mut count = 0;
        loop {
            let batch = {
                let mut conn = db.get()?;
                changes::after(&mut conn, applied, CHANGES_PER_COMMIT)?
            };
            let Some(last) = batch.last().map(|c| c.seq) else {
                self.show_merges()?;
                return Ok(count);
            };
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            self.apply(&mut writer, db, &batch)?;
            self.commit(&mut writer, last)?;
            count += batch.len();
            applied = last;
        }
    }

    /// Shows searches the segments of merges that finished in the background since the last
    /// commit: the reader reloads only when told (at each commit), and the last commit of a
    /// burst of writes would leave its merge unseen until the next write.
    fn show_merges(&self) -> Result<(), IndexError> {
        // Under the writer's lock: no commit in between.
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let searcher = self.reader.searcher();
        let shown: BTreeSet<SegmentId> = (searcher.segment_readers().iter())
            .map(SegmentReader::segment_id)
            .collect();
        let committed: BTreeSet<SegmentId> = searcher
            .index()
            .searchable_segment_ids()?
            .into_iter()
            .collect();
        if committed != shown {
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Re-indexes every article `changes` touch: the article itself, or every article that
    /// names a changed author or topic (found in the index, which holds their ids).
    fn apply(
        &self,
        writer: &mut IndexWriter,
        db: &Db,
        changes: &[Change],
    ) -> Result<(), IndexError> {
        let f = &self.fields;
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        let searcher = self.reader.searcher();
        for change in changes {
            let field = match change.entity {
                Entity::Article => {
                    ids.insert(change.entity_id);
                    continue;
                }
                Entity::Author => f.author_ids,
                Entity::Topic => f.topic_ids,
                Entity::List => continue,
            };
            let term = Term::from_field_u64(field, u64::try_from(change.entity_id).unwrap_or(0));
            let docs = searcher.search(
                &TermQuery::new(term, IndexRecordOption::Basic),
                &DocSetCollector,
            )?;
            for address in docs {
                let column = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64("id")?;
                if let Some(id) = column.first(address.doc_id) {
                    ids.insert(i64::try_from(id).unwrap_or(0));
                }
            }
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        for chunk in ids.chunks(usize::from(BATCH)) {
            let docs = {
                let mut conn = db.get()?;
                documents(&mut conn, f, chunk)?
            };
            for id in chunk {
                writer.delete_term(Term::from_field_u64(f.id, u64::try_from(*id).unwrap_or(0)));
            }
            for doc in docs {
                writer.add_document(doc)?;
            }
        }
        Ok(())
    }

    /// Commits what the writer holds as current to change `seq`, and makes it searchable.
    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), IndexError> {
        self.save(writer, seq)?;
        self.advance(seq);
        Ok(())
    }

    /// Commits what the writer holds as current to change `seq`, and shows it to the reader,
    /// without telling waiting searches.
    fn save(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), IndexError> {
        let payload = serde_json::to_string(&Payload {
            version: schema::VERSION,
            seq,
        })
        .context("the index's commit payload")
        .map_err(AppError::from)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Starts the indexer thread (once per index): it builds the index if it must, then
    /// follows the change log until the index is dropped.
    pub fn start_indexer(self: &Arc<Self>, db: Db) {
        if self
            .indexing
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let index = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("search-indexer".to_owned())
            .spawn(move || follow(&index, &db));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the search indexer did not start");
        }
    }
}

/// Whether the index must be built: never built, or ahead of the database (not its index).
fn must_build(index: &SearchIndex, db: &Db) -> Result<bool, IndexError> {
    let Some(applied) = index.applied() else {
        return Ok(true);
    };
    let head = changes::head(&mut **db.get()?)?;
    db.change_head().advance(head);
    if applied > head {
        tracing::warn!(
            applied,
            head,
            "the search index is ahead of the database's change log: rebuilding"
        );
        return Ok(true);
    }
    Ok(false)
}

/// Whether an index of segments of `sizes` (live articles) is in pieces: more than one
/// segment, and none of them holding half the articles. A finished build leaves one segment,
/// and following the change log adds small ones beside it (which the writer's merge policy
/// merges among themselves); the pieces of a build whose merge did not finish are each a
/// share of the archive.
fn scattered(sizes: &[u32]) -> bool {
    let live: u64 = sizes.iter().copied().map(u64::from).sum();
    let largest = sizes.iter().copied().max().map_or(0, u64::from);
    sizes.len() > 1 && largest * 2 < live
}

fn follow(index: &Weak<SearchIndex>, db: &Db) {
    let mut built = false;
    loop {
        let Some(strong) = index.upgrade() else {
            return;
        };
        let mut step = || -> Result<(), IndexError> {
            if !built {
                if must_build(&strong, db)? {
                    let started = std::time::Instant::now();
                    let head = strong.rebuild(db, &|_, _| {})?;
                    tracing::info!(
                        head,
                        seconds = started.elapsed().as_secs_f64(),
                        "built the search index"
                    );
                } else {
                    strong.merge_scattered()?;
                }
                built = true;
            }
            strong.catch_up(db)?;
            Ok(())
        };
        let failed = step().err();
        if let Some(e) = &failed {
            tracing::warn!(error = %e, "search indexer: retrying in a second");
        }
        let applied = strong.applied().unwrap_or(0);
        drop(strong);
        if failed.is_some() {
            std::thread::sleep(POLL);
        } else {
            db.change_head().wait_past(applied, POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::TantivyDocument;

    use super::super::Location;
    use super::*;

    #[test]
    fn a_build_in_pieces_is_scattered_one_with_small_segments_beside_it_is_not() {
        assert!(!scattered(&[]));
        assert!(!scattered(&[1_000_000]));
        // A finished build followed by changes: small segments beside the build's.
        assert!(!scattered(&[1_000_000, 5_000, 400, 12]));
        assert!(!scattered(&[500, 250, 250]));
        // A build's segments before their merge (as one stopped during it left them).
        assert!(scattered(&[
            270_318, 270_304, 270_286, 33_789, 33_786, 28_646, 25_310
        ]));
        assert!(scattered(&[400, 300, 300]));
    }

    /// An index in `dir` committed in three pieces of 20 articles, as current to change `seq`.
    fn index_in_pieces(
        dir: &std::path::Path,
        seq: i64,
    ) -> Result<Arc<SearchIndex>, Box<dyn std::error::Error>> {
        let index = SearchIndex::open(&Location::Dir(dir.to_owned()))?;
        let f = &index.fields;
        {
            let mut writer = index.writer.lock().unwrap_or_else(|e| e.into_inner());
            writer.set_merge_policy(Box::new(NoMergePolicy));
            for piece in 0..3u64 {
                for n in 0..20 {
                    let mut doc = TantivyDocument::default();
                    doc.add_u64(f.id, piece * 100 + n);
                    doc.add_i64(f.published_at, i64::try_from(n)?);
                    doc.add_text(f.title, "pieces of a build");
                    writer.add_document(doc)?;
                }
                index.commit(&mut writer, seq)?;
            }
        }
        // At least one segment per commit (one per indexing thread).
        assert!(index.reader.searcher().segment_readers().len() >= 3);
        Ok(index)
    }

    /// A SQLite database in `dir`, migrated, with no content.
    fn database(dir: &std::path::Path) -> Result<Db, Box<dyn std::error::Error>> {
        let url = dir.join("headline.db");
        let settings = crate::config::Settings::for_database(url.to_string_lossy());
        Ok(crate::startup::open_database(&settings)?)
    }

    /// A build ends in one segment, whatever its indexing threads wrote: the policy's merge of
    /// the small ones, started at the build's commit, made the build's merge of them all fail.
    #[test]
    fn a_build_ends_in_one_segment() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = database(dir.path())?;
        crate::seed::load_demo(&db)?;
        let index = SearchIndex::open(&Location::Dir(dir.path().join("search")))?;
        for _ in 0..3 {
            index.rebuild(&db, &|_, _| {})?;
            assert_eq!(index.reader.searcher().segment_readers().len(), 1);
        }
        Ok(())
    }

    /// The small segments that following the change log commits are merged in the background,
    /// and searches see the merge without waiting for another write.
    #[test]
    fn small_commits_are_merged_and_searches_see_it() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = database(dir.path())?;
        let head = changes::head(&mut **db.get()?)?;
        let index = SearchIndex::open(&Location::Dir(dir.path().join("search")))?;
        let f = &index.fields;
        {
            let mut writer = index.writer.lock().unwrap_or_else(|e| e.into_inner());
            // Up to six segments: fewer than tantivy's default policy merges.
            for commit in 0..3u64 {
                for n in 0..2 {
                    let mut doc = TantivyDocument::default();
                    doc.add_u64(f.id, commit * 10 + n);
                    doc.add_text(f.title, "a small commit");
                    writer.add_document(doc)?;
                }
                index.commit(&mut writer, head)?;
            }
        }
        let segments = || index.reader.searcher().segment_readers().len();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        // Nothing left to apply: what the indexer does once a second.
        while segments() > 1 {
            assert!(std::time::Instant::now() < deadline, "not merged in 30 s");
            assert_eq!(index.catch_up(&db)?, 0);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(index.reader.searcher().num_docs(), 6);
        Ok(())
    }

    /// An index committed in pieces is merged into one segment that searches see; an index in
    /// one piece is left alone.
    #[test]
    fn pieces_are_merged_in_the_background() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let index = index_in_pieces(dir.path(), 1)?;
        let segments = || index.reader.searcher().segment_readers().len();
        let merging = index.merge_scattered()?.ok_or("pieces not seen")?;
        merging
            .join()
            .map_err(|_panic| "the merge's thread panicked")?;
        assert_eq!(segments(), 1);
        assert_eq!(index.reader.searcher().num_docs(), 60);
        assert!(index.merge_scattered()?.is_none());
        Ok(())
    }

    /// The indexer, started on an index in pieces that is current to the database (as a server
    /// stopped during a build's merge left it), merges it without building it again.
    #[test]
    fn the_indexer_merges_an_index_it_finds_in_pieces() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = database(dir.path())?;
        let head = changes::head(&mut **db.get()?)?;
        let index = index_in_pieces(&dir.path().join("search"), head)?;
        index.start_indexer(db);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while index.reader.searcher().segment_readers().len() > 1 {
            assert!(std::time::Instant::now() < deadline, "not merged in 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Merged, not rebuilt: a build would have emptied it (the database has no articles).
        assert_eq!(index.reader.searcher().num_docs(), 60);
        Ok(())
    }
}
