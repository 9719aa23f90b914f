//! The BM25 weight of each word a relevance page looks up, and where its list is in each
//! segment, read once per search.
//!
//! tantivy's `Bm25Weight::for_terms` sums a word's articles over the segments (a look-up in
//! each segment's dictionary) and its field's length over them, and builds an explanation of
//! the score (three strings), for every word and field; the pass then looked each word up in
//! each segment's dictionary again to open its list. Here a field's dictionaries are opened
//! and its length summed once per search, and a word is looked up once per segment. The
//! weights are tantivy's, computed from the same figures (`examples/search_engine` prints the
//! same checksum of the pages).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use tantivy::index::InvertedIndexReader;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25Weight;
use tantivy::schema::Field;
use tantivy::{Score, Searcher, Term};

/// A word in a field, weighed for one search.
pub struct Word {
    pub term: Term,
    pub weight: Bm25Weight,
    /// Where its list is in each segment (by the searcher's order), if it has one there.
    pub lists: Vec<Option<TermInfo>>,
}

/// A searcher's figures for BM25, gathered as a search's words ask for them.
pub struct Statistics<'a> {
    searcher: &'a Searcher,
    /// Articles in every segment, deleted ones included (as tantivy counts them).
    docs: u64,
    /// Each field's dictionary in each segment, and its average length.
    fields: HashMap<Field, (Vec<Arc<InvertedIndexReader>>, Score)>,
}

impl<'a> Statistics<'a> {
    pub fn new(searcher: &'a Searcher) -> Self {
        let docs = (searcher.segment_readers().iter())
            .map(|r| u64::from(r.max_doc()))
            .sum();
        Statistics {
            searcher,
            docs,
            fields: HashMap::new(),
        }
    }

    /// `term` weighed, boosted by `boost`, with its lists.
    pub fn word(&mut self, term: Term, boost: Score) -> tantivy::Result<Word> {
        let docs = self.docs;
        let (indexes, average) = self.field(term.field())?;
        let mut lists = Vec::with_capacity(indexes.len());
        let mut doc_freq = 0;
        for index in indexes {
            let list = index.get_term_info(&term)?;
            doc_freq += list.as_ref().map_or(0, |l| u64::from(l.doc_freq));
            lists.push(list);
        }
        let weight = Bm25Weight::for_one_term_without_explain(doc_freq, docs, *average);
        Ok(Word {
            term,
            weight: weight.boost_by(boost),
            lists,
        })
    }

    /// `field`'s dictionary in the segment at `segment` (the searcher's order), if opened.
    pub fn dictionary(&self, field: Field, segment: usize) -> Option<&Arc<InvertedIndexReader>> {
        self.fields.get(&field)?.0.get(segment)
    }

    fn field(&mut self, field: Field) -> tantivy::Result<&(Vec<Arc<InvertedIndexReader>>, Score)> {
        Ok(match self.fields.entry(field) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(slot) => {
                let indexes = (self.searcher.segment_readers().iter())
                    .map(|r| r.inverted_index(field))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                let tokens = indexes.iter().map(|i| i.total_num_tokens()).sum();
                slot.insert((indexes, average(tokens, self.docs)))
            }
        })
    }
}

/// A field's average length, as `Bm25Weight::for_terms` computes it (to the same bits).
#[expect(
    clippy::as_conversions,
    reason = "the same `u64 as f32` conversions as tantivy's, so that scores stay equal"
)]
fn average(tokens: u64, docs: u64) -> Score {
    tokens as Score / docs as Score
}
