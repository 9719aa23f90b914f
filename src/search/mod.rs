//! Full-text search: an embedded index (tantivy) of every article, beside the database.
//!
//! The database stays the source of truth. The index is derived from it and follows the change
//! log (`models::changes`): an indexer thread applies changes in order and commits, with each
//! commit, the sequence number of the last change it applied. So a crash or a restart resumes
//! where the last commit left off, and several instances on one PostgreSQL each keep their own
//! index of the same log. An index that is missing, of another schema version, or ahead of the
//! database (a restored backup, another database) is rebuilt from the database.
//!
//! A search runs on the index alone: the page's ids in any order, the exact count and the topic
//! facets in one pass. Callers load what they show by id from the database, with the same
//! visibility rule, so a change the index has not applied yet never shows a draft.
//!
//! - [`schema`]: the fields and analyzers;
//! - [`query`]: the query syntax;
//! - [`collect`]: filters, orders, cursors, counts and facets;
//! - `pruned`: relevance pages that skip the matches that cannot reach them, over `lists`
//!   (a word's postings in a field, a prefix's completions) and a `window` at a time;
//! - `columns`: what that pass reads of each segment (columns, dates), made once;
//! - `bounds`: the exact highest score of each word's list, which that skipping needs, kept;
//! - `profile`: what it is made from, and a list's peaks, walked as a list of their own;
//! - `weights`: each word's BM25 weight and lists, read once per search;
//! - [`snippet`]: the passages of results where the words are;
//! - [`indexer`]: following the change log, and rebuilding;
//! - `merges`: which segments the writer merges (the small ones, eagerly).

mod bounds;
pub mod collect;
mod columns;
pub mod indexer;
mod lists;
mod merges;
mod profile;
mod pruned;
pub mod query;
pub mod schema;
pub mod snippet;
mod weights;
mod window;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermSetQuery};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use self::collect::{Found, Order, Wanted};
use self::query::Plan;
use self::schema::Fields;
pub use self::snippet::Highlighter;

/// Why the index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "the search index at {0} is in use by another process: give each instance its own \
         HEADLINE_SEARCH_DIR (or stop the server to rebuild)"
    )]
    Locked(String),
    #[error("search index at {0}: {1}")]
    Index(String, tantivy::TantivyError),
    #[error("search index at {0}: {1}")]
    Io(String, std::io::Error),
}

/// What a commit of the index records: the schema version it was made with and the last change
/// applied.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    version: u32,
    seq: i64,
}

/// Where the index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    /// In memory (an in-memory database's index): rebuilt at every start.
    Memory,
}

impl Location {
    pub fn describe(&self) -> String {
        match self {
            Location::Dir(dir) => dir.display().to_string(),
            Location::Memory => "(memory)".to_owned(),
        }
    }
}

/// Progress of the index, guarded together so that waiters see one state.
#[derive(Debug, Default)]
struct Progress {
    /// The last change applied; `None` until the first build is committed.
    applied: Option<i64>,
    /// Articles indexed and to index, while a build runs.
    building: Option<(u64, u64)>,
}

/// Why a search cannot be answered now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub done: u64,
    pub total: u64,
}

pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    progress: Mutex<Progress>,
    advanced: Condvar,
    indexing: AtomicBool,
    location: Location,
    bounds: bounds::Bounds,
    segments: columns::OpenSegments,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("location", &self.location)
            .finish()
    }
}

/// Indexes open in this process, by directory: two app instances on one SQLite file (tests)
/// share one index and its writer rather than fight over its lock.
static OPEN: Mutex<Vec<(PathBuf, Weak<SearchIndex>)>> = Mutex::new(Vec::new());

/// Memory the writer may buffer before it writes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index at `location`, creating it (empty, to be built) when missing or made
    /// with another schema version.
    pub fn open(location: &Location) -> Result<Arc<SearchIndex>, SearchError> {
        let Location::Dir(dir) = location else {
            let index = Index::builder()
                .schema(schema::build().0)
                .settings(schema::settings())
                .create_in_ram()
                .map_err(|e| SearchError::Index(location.describe(), e))?;
            return Self::create(index, location, None);
        };
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|(_, index)| index.strong_count() > 0);
        let canonical = std::fs::create_dir_all(dir)
            .and_then(|()| dir.canonicalize())
            .map_err(|e| SearchError::Io(location.describe(), e))?;
        if let Some(index) = open
            .iter()
            .find(|(path, _)| *path == canonical)
            .and_then(|(_, index)| index.upgrade())
        {
            return Ok(index);
        }
        let opened = Self::open_dir(&canonical, location)?;
        open.push((canonical, Arc::downgrade(&opened)));
        Ok(opened)
    }

    fn open_dir(dir: &Path, location: &Location) -> Result<Arc<SearchIndex>, SearchError> {
        let err = |e| SearchError::Index(location.describe(), e);
        let directory = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Index(location.describe(), e.into()))?;
        if Index::exists(&directory).unwrap_or(false) {
            let index = Index::open(directory).map_err(err)?;
            let payload = index
                .load_metas()
                .ok()
                .and_then(|m| m.payload)
                .and_then(|p| serde_json::from_str::<Payload>(&p).ok());
            match payload {
                Some(p)
                    if p.version == schema::VERSION
                        && index.schema() == schema::build().0
                        && index.settings().sort_by_field == schema::settings().sort_by_field =>
                {
                    return Self::create(index, location, Some(p.seq));
                }
                _ => {
                    tracing::info!(dir = %dir.display(), "search index of another version: rebuilding");
                    drop(index);
                    Self::empty_dir(dir).map_err(|e| SearchError::Io(location.describe(), e))?;
                }
            }
        }
        let directory = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Index(location.describe(), e.into()))?;
        let index = Index::create(directory, schema::build().0, schema::settings()).map_err(err)?;
        Self::create(index, location, None)
    }

    /// Removes the files of an old index (only the files tantivy makes live there).
    fn empty_dir(dir: &Path) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    fn create(
        index: Index,
        location: &Location,
        applied: Option<i64>,
    ) -> Result<Arc<SearchIndex>, SearchError> {
        schema::register(&index);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let writer = index
            .writer_with_num_threads(threads, WRITER_MEMORY * threads)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::Locked(location.describe()),
                e => SearchError::Index(location.describe(), e),
            })?;
        writer.set_merge_policy(merges::policy());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| SearchError::Index(location.describe(), e))?;
        let fields = fields_of(&index);
        Ok(Arc::new(SearchIndex {
            reader,
            fields,
            writer: Mutex::new(writer),
            progress: Mutex::new(Progress {
                applied,
                building: None,
            }),
            advanced: Condvar::new(),
            indexing: AtomicBool::new(false),
            location: location.clone(),
            bounds: bounds::Bounds::default(),
            segments: columns::OpenSegments::default(),
        }))
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The last change applied, once the index is built.
    pub fn applied(&self) -> Option<i64> {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .applied
    }

    /// Waits until the index has applied change `seq` (or at least is built, for `seq` 0),
    /// for at most `timeout`. Searching before then answers from an index that is behind; a
    /// build still running is `Unavailable`.
    pub fn wait_for(&self, seq: i64, timeout: Duration) -> Result<(), Unavailable> {
        let deadline = Instant::now() + timeout;
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match progress.applied {
                Some(applied) if applied >= seq => return Ok(()),
                _ => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return match (progress.applied, progress.building) {
                    (Some(_), _) => Ok(()),
                    (None, Some((done, total))) => Err(Unavailable { done, total }),
                    (None, None) => Err(Unavailable { done: 0, total: 0 }),
                };
            }
            progress = self
                .advanced
                .wait_timeout(progress, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Runs `plan` under the topic and author filters (ids: any of them) and collects `wanted`.
    pub fn search(
        &self,
        plan: &Plan,
        topic_ids: Option<&[i64]>,
        author_ids: Option<&[i64]>,
        wanted: &Wanted,
    ) -> tantivy::Result<Found> {
        let f = &self.fields;
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        for (field, ids) in [(f.topic_ids, topic_ids), (f.author_ids, author_ids)] {
            if let Some(ids) = ids {
                let terms = ids
                    .iter()
                    .map(|id| Term::from_field_u64(field, u64::try_from(*id).unwrap_or(0)));
                // A filter: it scores nothing.
                filters.push(Box::new(ConstScoreQuery::new(
                    Box::new(TermSetQuery::new(terms)),
                    0.0,
                )));
            }
        }
        let searcher = self.reader.searcher();
        // A relevance page of words skips what cannot reach it.
        if matches!(wanted.order, Order::Relevance { .. })
            && let Some(groups) = plan.word_groups(f)
        {
            let excluded = plan.exclusions(f);
            return pruned::search(
                &searcher,
                &self.bounds,
                &self.segments,
                groups,
                excluded.as_deref(),
                &filters,
                wanted,
            );
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, plan.query(f))];
        clauses.extend(filters.into_iter().map(|q| (Occur::Must, q)));
        searcher.search(&BooleanQuery::new(clauses), wanted)
    }

    /// Articles in the index now, drafts included (none while a first build runs).
    pub fn articles(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A highlighter of `plan`'s words: `<mark>` around them, the text around escaped.
    pub fn highlighter(&self, plan: &Plan) -> Highlighter {
        Highlighter::new(plan.highlighted(), schema::english())
    }

    /// Tells waiters that `seq` is applied.
    fn advance(&self, seq: i64) {
        {
            let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
            progress.applied = Some(seq);
            progress.building = None;
        }
        self.advanced.notify_all();
    }

    fn set_building(&self, done: u64, total: u64) {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .building = Some((done, total));
    }
}

/// The field handles of `index`, whose schema was made by (or checked equal to)
/// `schema::build`: the same handles.
fn fields_of(index: &Index) -> Fields {
    debug_assert!(index.schema() == schema::build().0);
    schema::build().1
}

/// Counts per topic, largest first, at most `limit`.
pub fn top_facets(facets: &HashMap<u64, u64>, limit: usize) -> Vec<(i64, u64)> {
    let mut out: Vec<(i64, u64)> = facets
        .iter()
        .map(|(topic, n)| (i64::try_from(*topic).unwrap_or(0), *n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(limit);
    out
}
