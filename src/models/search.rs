//! Full-text search: the one place with backend-specific SQL.
//!
//! The ranking is bounded: `relevance` orders the newest [`CANDIDATES`] matches (under all other
//! filters) by score. On SQLite the match set is bounded too: a search covers the [`WINDOW`]
//! most recently created matching articles, so a common word costs about the same in a large
//! archive as in a small one. SQLite uses the FTS5 table
//! `articles_fts` (BM25, title weighted over excerpt over body); PostgreSQL the generated
//! `articles.search` tsvector with a GIN index (`ts_rank_cd`, weights A/B/C). Both index the
//! same fields, stem English words, and treat every word of the query as required.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Text};

use crate::db::schema::articles;
use crate::db::{AnyConnection, Backend, MultiBackend};
use crate::error::AppError;

/// On SQLite a search looks at the most recently created matches only: this many. It bounds the
/// cost of words that nearly every article contains.
pub const WINDOW: i64 = 10_000;

/// Matches that relevance ranking considers, newest first.
pub const CANDIDATES: i64 = 1_000;

/// Matches read from FTS5 at a time while gathering candidates on SQLite: about what
/// [`CANDIDATES`] needs when most matches pass the other filters.
const CHUNK: i64 = 2_000;

/// Longest query accepted, in characters.
pub const MAX_QUERY: usize = 200;

/// English stop words (the Snowball list PostgreSQL's `english` configuration uses).
const STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

/// The words of a query: apostrophes join ("Xiaomi's" is one word), stop words are dropped on
/// both backends as PostgreSQL's English configuration does, so that both find the same articles.
fn words(raw: &str) -> Vec<String> {
    raw.replace(['\'', '\u{2019}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(&w.as_str()))
        .take(16)
        .collect()
}

/// A user's query, prepared for one backend.
#[derive(Debug, Clone)]
pub struct Search {
    backend: Backend,
    /// The words of the query (letters and digits), in order.
    words: Vec<String>,
}

type BoolExpr = Box<dyn BoxableExpression<articles::table, MultiBackend, SqlType = Bool>>;

impl Search {
    /// The search for `raw`; one with no word to look for (punctuation, stop words) finds
    /// nothing.
    pub fn new(conn: &AnyConnection, raw: &str) -> Search {
        let backend = match conn {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            AnyConnection::Postgresql(_) => Backend::Postgres,
        };
        Search {
            backend,
            words: words(raw),
        }
    }

    /// Whether no article can match: the query had no words.
    pub fn finds_nothing(&self) -> bool {
        self.words.is_empty()
    }

    /// The backend's query text: FTS5 gets each word quoted (so no word is read as an
    /// operator), PostgreSQL the words for `plainto_tsquery`.
    fn text(&self) -> String {
        match self.backend {
            Backend::Sqlite => self
                .words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" "),
            Backend::Postgres => self.words.join(" "),
        }
    }

    /// `articles` rows that match every word.
    pub fn matches(&self) -> BoolExpr {
        match self.backend {
            // The window: FTS5 walks its doclists newest rowid first and stops there. The unary
            // `+` keeps SQLite from driving the query by that list (a lookup and a sort per
            // match): it walks the listing's own index and checks membership instead.
            Backend::Sqlite => Box::new(
                sql::<Bool>(
                    "+articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ",
                )
                .bind::<Text, _>(self.text())
                .sql(" ORDER BY rowid DESC LIMIT ")
                .bind::<BigInt, _>(WINDOW)
                .sql(")"),
            ),
            // PostgreSQL's GIN index gives no newest-first walk, and a window there costs a sort
            // of every match (4x slower in the benchmark): it filters on all matches.
            Backend::Postgres => Box::new(
                sql::<Bool>("articles.search @@ plainto_tsquery('english', ")
                    .bind::<Text, _>(self.text())
                    .sql(")"),
            ),
        }
    }

    /// The matches relevance ranks, as (id, score; higher is better): the newest
    /// [`CANDIDATES`] that also pass the listing's other filters (`others` builds that listing
    /// without this search). Newest means most recently published on PostgreSQL and most
    /// recently written on SQLite, which is the same in a newsroom that publishes as it writes.
    pub fn ranked_candidates(
        &self,
        conn: &mut AnyConnection,
        others: impl Fn() -> articles::BoxedQuery<'static, MultiBackend>,
    ) -> Result<Vec<(i64, f64)>, AppError> {
        match self.backend {
            // The listing index walked newest first, each row tested against the tsvector, and
            // scored in that same scan: a second query by id fetched and decompressed every
            // candidate's tsvector again (3x the cost).
            Backend::Postgres => {
                let score =
                    sql::<Double>("CAST(ts_rank_cd(articles.search, plainto_tsquery('english', ")
                        .bind::<Text, _>(self.text())
                        .sql(")) AS DOUBLE PRECISION)");
                Ok(others()
                    .filter(self.matches())
                    .order((articles::published_at.desc(), articles::id.desc()))
                    .select((articles::id, score))
                    .limit(CANDIDATES)
                    .load(conn)?)
            }
            // FTS5 yields matches newest rowid first and cheaply; they are taken in chunks and
            // checked against the other filters by primary key. Walking the listing by date
            // and testing each row against the match window instead costs a walk as long as
            // the window is scattered in time (90,000 rows at 1M articles in the benchmark).
            Backend::Sqlite => {
                let mut ids: Vec<i64> = Vec::new();
                let mut below = i64::MAX;
                let mut read = 0;
                while ids.len() < CANDIDATES as usize && read < WINDOW {
                    let chunk = self.fts_rowids(conn, below)?;
                    let Some(&last) = chunk.last() else { break };
                    read += chunk.len() as i64;
                    below = last;
                    let mut passing: Vec<i64> = others()
                        .filter(articles::id.eq_any(&chunk))
                        .select(articles::id)
                        .load(conn)?;
                    passing.sort_unstable_by(|a, b| b.cmp(a));
                    ids.extend(passing);
                }
                ids.truncate(CANDIDATES as usize);
                let scores = self.fts_scores(conn, &ids)?;
                Ok(ids
                    .into_iter()
                    .map(|id| (id, scores.get(&id).copied().unwrap_or(0.0)))
                    .collect())
            }
        }
    }

    /// On SQLite, the next [`CHUNK`] matching rowids below `below`, newest first.
    fn fts_rowids(&self, conn: &mut AnyConnection, below: i64) -> Result<Vec<i64>, AppError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let AnyConnection::Sqlite(c) = conn else {
            return Err(AppError::internal("FTS5 asked of PostgreSQL"));
        };
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH ? AND rowid < ? \
             ORDER BY rowid DESC LIMIT ?",
        )
        .bind::<Text, _>(self.text())
        .bind::<BigInt, _>(below)
        .bind::<BigInt, _>(CHUNK)
        .load(c)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// BM25 scores of `ids` (all of which match) on SQLite: one query over the FTS table.
    fn fts_scores(
        &self,
        conn: &mut AnyConnection,
        ids: &[i64],
    ) -> Result<HashMap<i64, f64>, AppError> {
        #[derive(QueryableByName)]
        struct Score {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Double)]
            score: f64,
        }
        let AnyConnection::Sqlite(c) = conn else {
            return Err(AppError::internal("FTS5 scores asked of PostgreSQL"));
        };
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // `+rowid`: score the match list's rows that are candidates, rather than run the
        // match once per candidate (70 times slower).
        let rows: Vec<Score> = diesel::sql_query(
            "SELECT rowid AS id, -bm25(articles_fts, 10.0, 5.0, 1.0) AS score FROM articles_fts \
             WHERE articles_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?)) \
             ORDER BY rowid DESC LIMIT ?",
        )
        .bind::<Text, _>(self.text())
        .bind::<Text, _>(serde_json::to_string(ids)?)
        // Candidates lie in the newest rowids: the walk stops once it has them all.
        .bind::<BigInt, _>(i64::try_from(ids.len()).unwrap_or(i64::MAX))
        .load(c)?;
        Ok(rows.into_iter().map(|r| (r.id, r.score)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_and_apostrophes_are_handled_alike_on_both_backends() {
        assert_eq!(
            words("Nokia's deal with the Xiaomi"),
            ["nokias", "deal", "xiaomi"]
        );
        assert!(words("the of and ***").is_empty());
    }

    #[test]
    fn queries_are_reduced_to_quoted_words() {
        let s = Search {
            backend: Backend::Sqlite,
            words: vec!["xiaomi".into(), "or".into()],
        };
        assert_eq!(s.text(), "\"xiaomi\" \"or\"");
    }
}
