//! What the search index holds: one document per article, with the fields it is searched,
//! filtered and sorted by, and the two analyzers its text goes through.

use std::sync::LazyLock;

use chrono::NaiveDateTime;

use crate::models::articles::ArticleStatus;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TextAnalyzerBuilder, TokenStream, Tokenizer,
};
use tantivy::{Index, IndexSettings, IndexSortByField};

/// Bumped whenever the fields or analyzers change: an index of another version is rebuilt at
/// start-up.
pub const VERSION: u32 = 2;

/// English words: split on anything but letters and digits, lower-cased, diacritics folded
/// ("Café" finds "cafe"), stop words dropped, stemmed ("launches" finds "launch").
pub const ENGLISH: &str = "headline_english";

/// The same words unstemmed, for prefixes: "laun" must find "launching", whose stem is "launch".
pub const PLAIN: &str = "headline_plain";

/// English stop words: the Snowball list (PostgreSQL's `english` configuration uses it too),
/// which, unlike tantivy's shorter list, drops the `s` of "Xiaomi's" and the `t` of "don't".
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

/// Longer tokens are not words (hashes, base64) and are not indexed.
const LONGEST_WORD: usize = 40;

/// Article statuses as the index stores them.
pub const DRAFT: u64 = 0;
pub const PUBLISHED: u64 = 1;
pub const ARCHIVED: u64 = 2;

/// Stored for an article that was never published, so that it sorts before every date.
pub const NEVER: i64 = i64::MIN;

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub status: Field,
    pub published_at: Field,
    pub updated_at: Field,
    pub title_sort: Field,
    pub author_ids: Field,
    pub topic_ids: Field,
    pub title: Field,
    pub excerpt: Field,
    pub body: Field,
    pub authors: Field,
    pub topics: Field,
    /// Every text field again, unstemmed and without positions: the prefix of a last word.
    pub words: Field,
}

/// The text fields searched for every word, with their boosts: a word in the title counts
/// most, then bylines and topics, then the excerpt, then the body.
pub fn weighted(f: &Fields) -> [(Field, f32); 5] {
    [
        (f.title, 3.0),
        (f.authors, 2.0),
        (f.topics, 2.0),
        (f.excerpt, 1.5),
        (f.body, 1.0),
    ]
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let english = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ENGLISH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PLAIN)
            .set_index_option(IndexRecordOption::Basic),
    );
    let number = || NumericOptions::default() | FAST;
    let fields = Fields {
        id: b.add_u64_field("id", NumericOptions::default() | INDEXED | FAST),
        status: b.add_u64_field("status", number()),
        published_at: b.add_i64_field("published_at", number()),
        updated_at: b.add_i64_field("updated_at", number()),
        title_sort: b.add_text_field("title_sort", TextOptions::default().set_fast("raw")),
        author_ids: b.add_u64_field("author_ids", NumericOptions::default() | INDEXED | FAST),
        topic_ids: b.add_u64_field("topic_ids", NumericOptions::default() | INDEXED | FAST),
        title: b.add_text_field("title", english.clone()),
        excerpt: b.add_text_field("excerpt", english.clone()),
        body: b.add_text_field("body", english.clone()),
        authors: b.add_text_field("authors", english.clone()),
        topics: b.add_text_field("topics", english),
        words: b.add_text_field("words", plain),
    };
    (b.build(), fields)
}

/// Whether `word` (lower-cased) is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Words as every analyzer cuts them: split on anything but letters and digits, overlong ones
/// dropped, lower-cased, diacritics folded.
fn words() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

/// English words before stemming: stop words dropped.
fn english_words() -> TextAnalyzerBuilder<impl Tokenizer> {
    words().filter(StopWordFilter::remove(
        STOP_WORDS.iter().map(|w| (*w).to_owned()),
    ))
}

/// The analyzer of English text fields. Made once: its stop words are a hash set, and
/// making it was 1.3 % of a search's CPU (twice per search, for the query and the snippets);
/// a clone shares the set.
pub fn english() -> TextAnalyzer {
    static ENGLISH: LazyLock<TextAnalyzer> = LazyLock::new(|| {
        english_words()
            .filter(Stemmer::new(Language::English))
            .build()
    });
    ENGLISH.clone()
}

/// The analyzer of the prefix field.
pub fn plain() -> TextAnalyzer {
    words().build()
}

/// How the index is laid out: each segment holds its articles newest first (merges keep the
/// order). A relevance page then fills with recent stories, which carry the largest recency
/// boost, before it meets old ones, and skips more of them (`pruned`): 17 % less time per
/// search at 100,000 articles.
pub fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: "published_at".to_owned(),
            order: tantivy::Order::Desc,
        }),
        ..IndexSettings::default()
    }
}

/// Registers the analyzers on an index: they are not stored with it.
pub fn register(index: &Index) {
    index.tokenizers().register(ENGLISH, english());
    index.tokenizers().register(PLAIN, plain());
}

/// The tokens `analyzer` makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// A time as the index stores it: microseconds since the epoch.
pub fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The index's form of an article status.
pub fn status_code(status: ArticleStatus) -> u64 {
    match status {
        ArticleStatus::Published => PUBLISHED,
        ArticleStatus::Archived => ARCHIVED,
        ArticleStatus::Draft => DRAFT,
    }
}
