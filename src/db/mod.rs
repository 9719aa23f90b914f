//! Database access: one diesel connection type over PostgreSQL and SQLite, its pool, the embedded
//! migrations, and [`Db`], the only way request handlers reach the database.
//!
//! Handlers never hold a connection on an async thread: [`Db::run`] and [`Db::write`] check a
//! connection out and run the closure on actix's blocking thread pool.

pub mod ids;
pub mod migrations;
pub mod notify;
pub mod schema;

pub use ids::in_ids;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use crate::error::AppError;

/// A connection to either backend. Queries written against it run on both; the few
/// backend-specific ones match on the variant.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite path
    /// (optionally written `sqlite://path` or `sqlite:path`).
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The SQLite file a `DATABASE_URL` names.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Set on every new SQLite connection: foreign keys are off by default in SQLite, WAL lets
/// readers run beside the single writer, and the busy timeout waits instead of failing.
/// The busy timeout comes first so that the switch to WAL waits for other new connections.
/// A 2 MB page cache each (interior B-tree pages and a request's own; the OS caches the file):
/// at 4 MB random articles, topic pages and searches were no faster, and cost 9 MB more RSS.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
PRAGMA foreign_keys = ON;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -2000;
PRAGMA temp_store = MEMORY;";

/// An r2d2 manager that dispatches on the URL scheme itself: the derived `establish` would
/// treat a mistyped PostgreSQL URL as a SQLite file name and hide the real error.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            backend: Backend::from_url(url),
        }
    }
}

/// A pooled connection and whether its last use failed. The pool does not test connections
/// before each use (r2d2's default runs `SELECT 1` on every checkout, a round trip per request
/// on PostgreSQL); a connection is pinged only when it comes back after an error, and dropped
/// if that ping fails.
pub struct Pooled {
    conn: AnyConnection,
    suspect: bool,
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let conn = match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError)?,
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                AnyConnection::Sqlite(conn)
            }
        };
        let mut conn = conn;
        conn.set_instrumentation(crate::telemetry::metrics::StatementTimer::default());
        Ok(Pooled {
            conn,
            suspect: false,
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        use diesel::r2d2::R2D2Connection;
        if conn.conn.is_broken() {
            return true;
        }
        std::mem::take(&mut conn.suspect) && conn.conn.batch_execute("SELECT 1").is_err()
    }
}

/// Whether `out` is an unexpected database failure, after which the connection is pinged
/// before its next use (not a 404, a conflict or a validation error, which are answers).
fn failed<T>(out: &Result<T, AppError>) -> bool {
    matches!(out, Err(AppError::Internal(_)))
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Connection(#[from] r2d2::Error),
    #[error("{0}")]
    Pool(#[from] r2d2::PoolError),
}
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The database handle shared by every worker: a pool plus, for SQLite, a lock that serialises
/// writers in this process (SQLite has one writer at a time; waiting on a mutex is cheaper and
/// more predictable than retrying `SQLITE_BUSY`).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
    /// Content writes committed by this process: lets the response cache see its own writes at
    /// once, without asking the database.
    content_writes: Arc<AtomicU64>,
    /// PostgreSQL: the channel content writes notify (see [`notify`]), and this process's
    /// name in the notifications, so that its listener skips its own writes.
    channel: Option<Arc<str>>,
    instance: u64,
    /// The newest change-log sequence number this process knows of: its own writes, and
    /// other instances' as PostgreSQL notifies them. The search indexer waits on it.
    head: Arc<ChangeHead>,
}

/// A sequence number that only grows, with a wait for it to pass a value.
#[derive(Debug, Default)]
pub struct ChangeHead {
    seq: Mutex<i64>,
    grew: std::sync::Condvar,
}

impl ChangeHead {
    pub fn get(&self) -> i64 {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Raises the head to `seq` (a smaller one is ignored).
    pub fn advance(&self, seq: i64) {
        let mut head = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        if seq > *head {
            *head = seq;
            self.grew.notify_all();
        }
    }

    /// Waits until the head passes `seq`, for at most `timeout`; returns the head.
    pub fn wait_past(&self, seq: i64, timeout: Duration) -> i64 {
        let head = self.seq.lock().unwrap_or_else(|e| e.into_inner());
        let (head, _) = self
            .grew
            .wait_timeout_while(head, timeout, |head| *head <= seq)
            .unwrap_or_else(|e| e.into_inner());
        *head
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Opens a pool of `size` connections. Fails when the first connection cannot be made.
    pub fn connect(url: &str, size: u32, timeout: Duration) -> Result<Self, ConnectError> {
        let backend = Backend::from_url(url);
        if backend == Backend::Sqlite {
            // Switch the file to WAL once, before the pool opens connections side by side: the
            // switch takes an exclusive lock that concurrent first connections would trip over.
            ConnectionManager::new(url).connect()?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .test_on_check_out(false)
            .connection_timeout(timeout)
            .build(ConnectionManager::new(url))?;
        let channel = match backend {
            Backend::Postgres => Some(
                notify::channel(&mut pool.get()?.conn)
                    .map_err(r2d2::Error::QueryError)?
                    .into(),
            ),
            Backend::Sqlite => None,
        };
        Ok(Self {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            content_writes: Arc::new(AtomicU64::new(0)),
            channel,
            instance: rand::random(),
            head: Arc::new(ChangeHead::default()),
        })
    }

    /// The channel content writes notify, on PostgreSQL.
    pub fn notify_channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }

    /// The newest change this process knows of.
    pub fn change_head(&self) -> &ChangeHead {
        &self.head
    }

    /// This handle's name in its notifications.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection, the wait for it counted in `headline_db_pool_wait_seconds`.
    fn checkout(&self) -> Result<PooledConnection, AppError> {
        let started = std::time::Instant::now();
        let conn = self.pool.get();
        static WAITS: OnceLock<metrics::Histogram> = OnceLock::new();
        crate::telemetry::metrics::record(
            &WAITS,
            "headline_db_pool_wait_seconds",
            started.elapsed().as_secs_f64(),
        );
        Ok(conn?)
    }

    /// The pool now: open connections, idle ones, and its size.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// A connection for synchronous callers (the CLI, start-up).
    pub fn get(&self) -> Result<PooledConnection, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        // The blocking thread works inside the caller's span (the request's): its events and
        // the SQL statements' carry the request id.
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = db.checkout()?;
            let out = f(&mut conn);
            conn.suspect = failed(&out);
            out
        })
        .await?
    }

    /// Runs `f` in one transaction, serialised with other writers on SQLite. Any error rolls
    /// the whole transaction back.
    pub async fn write<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || span.in_scope(|| db.write_blocking(f))).await?
    }

    /// [`Db::write`] for writes that can change what the Content API shows: the same transaction
    /// also bumps `content_version`, which tells every instance's response cache.
    pub async fn write_content<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || span.in_scope(|| db.write_content_blocking(f))).await?
    }

    /// The synchronous form of [`Db::write_content`].
    pub fn write_content_blocking<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
    {
        let (out, head) = self.write_blocking(|conn| {
            // First, not last: the row lock it takes (PostgreSQL) makes content writes take
            // turns from their start. Each then reads what the one before committed, so rows
            // are never locked in opposite orders (topics' and authors' counts: deadlocks), a
            // write without a precondition never meets a version that moved under it, two
            // creates with one title see each other's slug, and change-log rows commit in
            // the order of their numbers. SQLite's writers take turns anyway.
            diesel::update(schema::content_version::table)
                .set(
                    schema::content_version::generation.eq(schema::content_version::generation + 1),
                )
                .execute(conn)?;
            let out = f(conn)?;
            let head = crate::models::changes::head(conn)?;
            if let (AnyConnection::Postgresql(pg), Some(channel)) = (&mut *conn, &self.channel) {
                // Delivered at commit, to every instance's listener: who wrote, and the
                // change log's head after it.
                pg.batch_execute(&format!("NOTIFY {channel}, '{}:{head}'", self.instance))?;
            }
            Ok((out, head))
        })?;
        self.content_writes.fetch_add(1, Ordering::SeqCst);
        self.head.advance(head);
        Ok(out)
    }

    /// How many content writes this process has committed.
    pub fn local_content_writes(&self) -> u64 {
        self.content_writes.load(Ordering::SeqCst)
    }

    /// The synchronous form of [`Db::write`], for the CLI and start-up.
    pub fn write_blocking<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
    {
        let mut conn = self.checkout()?;
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().unwrap_or_else(|e| e.into_inner())),
            Backend::Postgres => None,
        };
        let out = match &mut conn.conn {
            AnyConnection::Sqlite(_) => immediate(&mut conn.conn, f),
            AnyConnection::Postgresql(_) => conn.conn.transaction(f),
        };
        conn.suspect = failed(&out);
        out
    }
}

/// A SQLite write transaction that takes the write lock at its start (`BEGIN IMMEDIATE`),
/// waiting up to `busy_timeout` for it. A deferred one that reads first fails at once
/// ("database is locked") when another connection (another instance on the file, or this
/// one's background workers) wrote after that read; an immediate one just waits its turn.
fn immediate<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let AnyConnection::Sqlite(c) = &mut *conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    // Statements inside run through `conn` as usual; a nested `transaction` is a savepoint.
    let out = f(conn);
    let AnyConnection::Sqlite(c) = conn else {
        return out;
    };
    match out {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(c)?;
            Err(e)
        }
    }
}

/// Runs the same statement body on whichever backend `conn` is, `$c` bound to its own
/// connection. Two reasons to: a multi-row INSERT does not compile on the multi-backend
/// connection, but does on each concrete one; and the multi-backend connection writes out a
/// statement's SQL text again every time it runs it (to hand the concrete connection its
/// binds), even when the statement is prepared already — 13 % of an uncached article read's
/// CPU in its profile, so the Content API's hot reads go straight to the concrete
/// connection, whose statement cache is keyed by the query's type.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use on_backend;
