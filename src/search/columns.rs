//! What a relevance pass reads of each segment, made once per segment (segments never
//! change): the columns every pass reads, and the date of each stretch.
//!
//! A segment holds its stories newest first, so the recency boost of every story from a doc on
//! is at most that of the first story of the doc's [`STRETCH`]: one date per stretch, read
//! once, where the pass read a date from the index every few hundred docs (a cache miss each
//! in a large segment: an eighth of a search's time at 1M articles).

use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use super::schema::NEVER;

/// Docs in a stretch of a segment.
pub const STRETCH: DocId = 64;

/// The columns every pass reads.
#[derive(Clone)]
pub struct Columns {
    pub id: Column<u64>,
    pub status: Column<u64>,
    pub published_at: Column<i64>,
    pub updated_at: Column<i64>,
}

impl Columns {
    pub fn open(reader: &SegmentReader) -> tantivy::Result<Columns> {
        let fast = reader.fast_fields();
        Ok(Columns {
            id: fast.u64("id")?,
            status: fast.u64("status")?,
            published_at: fast.i64("published_at")?,
            updated_at: fast.i64("updated_at")?,
        })
    }
}

/// A segment's [`Columns`], and the publication time of the first story of each [`STRETCH`].
#[derive(Clone)]
pub struct Opened {
    pub columns: Columns,
    pub stretches: Arc<[i64]>,
}

impl Opened {
    fn open(reader: &SegmentReader) -> tantivy::Result<Opened> {
        let columns = Columns::open(reader)?;
        let stretches = (0..reader.max_doc())
            .step_by(usize::try_from(STRETCH).unwrap_or(1))
            .map(|doc| columns.published_at.first(doc).unwrap_or(NEVER))
            .collect();
        Ok(Opened { columns, stretches })
    }
}

/// Each segment's [`Opened`], made once: opening a column looks its name up in the segment's
/// dictionary of columns, which cost a search at 1M articles 3.6 % of its CPU. A segment
/// merged away is let go after a while unused (its columns keep its file mapped).
pub struct OpenSegments(moka::sync::Cache<SegmentId, Opened>);

impl Default for OpenSegments {
    fn default() -> Self {
        OpenSegments(
            moka::sync::Cache::builder()
                .max_capacity(1_000)
                .time_to_idle(std::time::Duration::from_secs(600))
                .build(),
        )
    }
}

impl std::fmt::Debug for OpenSegments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSegments")
            .field("segments", &self.0.entry_count())
            .finish()
    }
}

impl OpenSegments {
    /// What is read of `reader`'s segment.
    pub fn of(&self, reader: &SegmentReader) -> tantivy::Result<Opened> {
        self.0
            .try_get_with(reader.segment_id(), || Opened::open(reader))
            .map_err(|e: std::sync::Arc<tantivy::TantivyError>| (*e).clone())
    }
}
