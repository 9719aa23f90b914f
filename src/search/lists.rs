//! The posting lists a relevance page walks: a word in one field, its peaks, or the words a
//! prefix completes to, each with the most it adds to a score.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{BlockSegmentPostings, SegmentPostings};
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::query::{MAX_EXPANSIONS, PREFIX_SCORE};

/// A word's postings in one field of a segment, with their scores.
#[derive(Clone)]
pub struct Postings {
    block: BlockSegmentPostings,
    /// The position in the current block.
    at: usize,
    norms: FieldNormReader,
    bm25: Bm25Weight,
    /// The most it adds to a bound: the highest score below its peaks (the [`Peaks`] list
    /// adds the rest), or infinite when it has none apart.
    cap: Score,
}

/// Articles in a full block of postings; a shorter block is a list's last.
pub const FULL_BLOCK: usize = 128;

impl Postings {
    pub fn new(
        mut block: BlockSegmentPostings,
        norms: FieldNormReader,
        bm25: Bm25Weight,
        cap: Score,
    ) -> Self {
        // Loads the first block.
        let at = block.seek(0);
        Postings {
            block,
            at,
            norms,
            bm25,
            cap,
        }
    }

    fn doc(&self) -> DocId {
        self.block
            .docs()
            .get(self.at)
            .copied()
            .unwrap_or(TERMINATED)
    }

    fn advance(&mut self) {
        self.at += 1;
        let len = self.block.docs().len();
        // A block shorter than a full one is the last.
        if self.at >= len && len == FULL_BLOCK {
            self.block.advance();
            self.at = 0;
        }
    }

    /// Moves to the first article at or after `target`.
    fn seek(&mut self, target: DocId) {
        let docs = self.block.docs();
        if docs.last().is_some_and(|&last| last >= target) {
            let rest = docs.get(self.at..).unwrap_or_default();
            self.at += rest.partition_point(|&d| d < target);
        } else if docs.len() == FULL_BLOCK {
            self.at = self.block.seek(target);
        } else {
            self.at = docs.len();
        }
    }

    /// Adds the score of each of its articles in `base..end` to `scores` (by article from
    /// `base`), and moves past them: marking them in `marked` (one bit each) if `mark`, else
    /// only for the articles already marked.
    pub fn add_to(
        &mut self,
        base: DocId,
        end: DocId,
        scores: &mut [Score],
        marked: &mut [u64],
        mark: bool,
    ) {
        self.seek(base);
        loop {
            let docs = self.block.docs();
            let freqs = self.block.freqs();
            let from = self.at;
            let rest = docs.get(from..).unwrap_or_default();
            for (&doc, &freq) in rest.iter().zip(freqs.get(from..).unwrap_or_default()) {
                if doc >= end {
                    return;
                }
                self.at += 1;
                if let Some(sum) = sum_of(doc - base, scores, marked, mark) {
                    *sum += self
                        .bm25
                        .score(self.norms.fieldnorm_id(doc), freq)
                        .min(self.cap);
                }
            }
            // A block shorter than a full one is the last.
            if docs.len() < FULL_BLOCK {
                return;
            }
            self.block.advance();
            self.at = 0;
        }
    }

    /// The article's score, as the full pass computes it.
    fn exact(&self) -> Score {
        self.bm25.score(
            self.norms.fieldnorm_id(self.doc()),
            self.block.freq(self.at),
        )
    }
}

/// The sum of a window's article `slot` that a list adds to: marking the article if `mark`,
/// else only if it is marked already.
#[inline]
fn sum_of<'a>(
    slot: DocId,
    scores: &'a mut [Score],
    marked: &mut [u64],
    mark: bool,
) -> Option<&'a mut Score> {
    let slot = usize::try_from(slot).unwrap_or(usize::MAX);
    let word = marked.get_mut(slot / 64)?;
    let bit = 1 << (slot % 64);
    if mark {
        *word |= bit;
    } else if *word & bit == 0 {
        return None;
    }
    scores.get_mut(slot)
}

/// The peaks of a word's list in a field (`profile::Profile`): what each adds to a score over
/// the list's cap.
#[derive(Clone)]
pub struct Peaks {
    docs: Arc<[(DocId, u32)]>,
    at: usize,
    norms: FieldNormReader,
    bm25: Bm25Weight,
    cap: Score,
}

impl Peaks {
    pub fn new(
        docs: Arc<[(DocId, u32)]>,
        norms: FieldNormReader,
        bm25: Bm25Weight,
        cap: Score,
    ) -> Self {
        Peaks {
            docs,
            at: 0,
            norms,
            bm25,
            cap,
        }
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |&(doc, _)| doc)
    }

    fn seek(&mut self, target: DocId) {
        // Galloping: a walk seeks a little ahead, and a search over all that is left would
        // touch memory far away at each step.
        let rest = self.docs.get(self.at..).unwrap_or_default();
        let mut end = 1;
        while rest.get(end - 1).is_some_and(|&(doc, _)| doc < target) {
            end *= 2;
        }
        let near = rest.get(end / 2..end.min(rest.len())).unwrap_or_default();
        self.at += end / 2 + near.partition_point(|&(doc, _)| doc < target);
    }

    fn over_cap(&self, doc: DocId, freq: u32) -> Score {
        (self.bm25.score(self.norms.fieldnorm_id(doc), freq) - self.cap).max(0.0)
    }

    /// [`Postings::add_to`] for the peaks.
    fn add_to(
        &mut self,
        base: DocId,
        end: DocId,
        scores: &mut [Score],
        marked: &mut [u64],
        mark: bool,
    ) {
        self.seek(base);
        while let Some(&(doc, freq)) = self.docs.get(self.at)
            && doc < end
        {
            self.at += 1;
            if let Some(sum) = sum_of(doc - base, scores, marked, mark) {
                *sum += self.over_cap(doc, freq);
            }
        }
    }
}

/// The articles having a word a prefix completes to: the first [`MAX_EXPANSIONS`] words of
/// the segment's dictionary that start with it, as the full pass's prefix query takes them.
/// Read lazily: usually only the candidates are looked up in it.
pub struct Completions {
    lists: Vec<SegmentPostings>,
    doc: DocId,
    /// Articles of the lists, counted once per list.
    pub size: u64,
}

impl Completions {
    pub fn open(reader: &SegmentReader, prefix: &tantivy::Term) -> tantivy::Result<Option<Self>> {
        let index = reader.inverted_index(prefix.field())?;
        let start = prefix.serialized_value_bytes();
        let mut range = index.terms().range().ge(start);
        if let Some(end) = prefix_end(start) {
            range = range.lt(end);
        }
        let mut stream = range.into_stream()?;
        let mut lists = Vec::new();
        let mut size = 0;
        while lists.len() < usize::from(MAX_EXPANSIONS) && stream.advance() {
            size += u64::from(stream.value().doc_freq);
            lists
                .push(index.read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?);
        }
        let mut union = Completions {
            lists,
            doc: TERMINATED,
            size,
        };
        union.refresh();
        Ok((union.doc != TERMINATED).then_some(union))
    }

    fn refresh(&mut self) {
        self.doc = self
            .lists
            .iter()
            .map(DocSet::doc)
            .min()
            .unwrap_or(TERMINATED);
    }

    fn seek(&mut self, target: DocId) {
        for list in &mut self.lists {
            if list.doc() < target {
                list.seek(target);
            }
        }
        self.refresh();
    }

    fn advance(&mut self) {
        let doc = self.doc;
        for list in &mut self.lists {
            if list.doc() == doc {
                list.advance();
            }
        }
        self.refresh();
    }
}

/// The first key after every key starting with `prefix`, if any.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One posting list of a required group: a word in a field, its peaks, or the group's
/// prefix.
pub enum List {
    Word(Box<Postings>),
    Peaks(Box<Peaks>),
    Prefix(Box<Completions>),
}

/// A list a window sums: a cursor of its own over a word's list or its peaks.
#[derive(Clone)]
pub enum Summed {
    Word(Box<Postings>),
    Peaks(Peaks),
}

impl Summed {
    /// Adds the score of each of its articles in `base..end` to `scores` (by article from
    /// `base`), and moves past them: marking them in `marked` (one bit each) if `mark`, else
    /// only for the articles already marked.
    pub fn add_to(
        &mut self,
        base: DocId,
        end: DocId,
        scores: &mut [Score],
        marked: &mut [u64],
        mark: bool,
    ) {
        match self {
            Summed::Word(p) => p.add_to(base, end, scores, marked, mark),
            Summed::Peaks(p) => p.add_to(base, end, scores, marked, mark),
        }
    }
}

/// A list, the group it belongs to, the most it adds to a score, and its articles.
pub struct Member {
    pub list: List,
    pub group: usize,
    pub max: Score,
    pub size: u32,
}

impl Member {
    pub fn doc(&self) -> DocId {
        match &self.list {
            List::Word(p) => p.doc(),
            List::Peaks(p) => p.doc(),
            List::Prefix(s) => s.doc,
        }
    }

    /// Whether a window can sum it.
    pub fn summable(&self) -> bool {
        !matches!(self.list, List::Prefix(_))
    }

    pub fn seek(&mut self, target: DocId) {
        let doc = self.doc();
        if doc >= target {
            return;
        }
        // One step is cheaper than a search, and the usual move.
        let step = doc + 1 == target;
        match &mut self.list {
            List::Word(p) if step => p.advance(),
            List::Prefix(s) if step => s.advance(),
            List::Word(p) => p.seek(target),
            List::Peaks(p) => p.seek(target),
            List::Prefix(s) => s.seek(target),
        }
    }

    /// A cursor of its own, where this one stands: `None` for a prefix (whose highest score
    /// is too low to be worth summing over a window).
    pub fn copy(&self) -> Option<Summed> {
        match &self.list {
            List::Word(p) => Some(Summed::Word(p.clone())),
            List::Peaks(p) => Some(Summed::Peaks(Peaks::clone(p))),
            List::Prefix(_) => None,
        }
    }

    /// What it adds to the bound of the article it is on: at most `max`.
    pub fn score(&self) -> Score {
        match &self.list {
            List::Word(p) => p.exact().min(p.cap),
            List::Peaks(p) => p
                .docs
                .get(p.at)
                .map_or(0.0, |&(doc, freq)| p.over_cap(doc, freq)),
            List::Prefix(_) => PREFIX_SCORE,
        }
    }

    /// What it adds to the score of the article it is on, as the full pass computes it:
    /// `None` for peaks (their word's list gives the whole score).
    pub fn exact(&self) -> Option<Score> {
        match &self.list {
            List::Word(p) => Some(p.exact()),
            List::Peaks(_) => None,
            List::Prefix(_) => Some(PREFIX_SCORE),
        }
    }
}
