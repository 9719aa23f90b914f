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

#[cfg(test)]
mod tests {
    use tantivy::indexer::NoMergePolicy;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    /// The weights equal tantivy's own to the bit, over segments of different lengths and a
    /// word some segments lack, and each segment's list is found where it is.
    #[test]
    fn words_weigh_as_tantivy_weighs_them() -> tantivy::Result<()> {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        writer.set_merge_policy(Box::new(NoMergePolicy));
        // Three segments; "rare" only in the second.
        for (segment, docs) in [(0, 40), (1, 7), (2, 90)] {
            for i in 0..docs {
                let mut doc = TantivyDocument::default();
                let mut words = "common ".repeat(1 + i % 5);
                words.push_str(&"filler ".repeat(i % 11));
                if segment == 1 && i % 2 == 0 {
                    words.push_str("rare");
                }
                doc.add_text(text, words);
                writer.add_document(doc)?;
            }
            writer.commit()?;
        }
        let searcher = index.reader()?.searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let mut statistics = Statistics::new(&searcher);
        for (word, boost) in [("common", 1.0), ("rare", 3.0), ("absent", 1.5)] {
            let term = Term::from_field_text(text, word);
            let ours = statistics.word(term.clone(), boost)?;
            let theirs =
                Bm25Weight::for_terms(&searcher, std::slice::from_ref(&term))?.boost_by(boost);
            for norm in 0..=u8::MAX {
                for freq in [1, 2, 7, 40] {
                    assert_eq!(
                        ours.weight.score(norm, freq).to_bits(),
                        theirs.score(norm, freq).to_bits(),
                        "{word}, norm {norm}, freq {freq}"
                    );
                }
            }
            let found: Vec<u32> = (ours.lists.iter())
                .map(|l| l.as_ref().map_or(0, |l| l.doc_freq))
                .collect();
            // In the searcher's order of segments, which is not the order of the commits.
            let expected: Vec<u32> = (searcher.segment_readers().iter())
                .map(|r| match (word, r.max_doc()) {
                    ("common", docs) => docs,
                    ("rare", 7) => 4,
                    _ => 0,
                })
                .collect();
            assert_eq!(found, expected, "{word}");
            assert_eq!(
                ours.lists.iter().map(Option::is_some).collect::<Vec<_>>(),
                expected.iter().map(|&n| n > 0).collect::<Vec<_>>()
            );
        }
        assert!(statistics.dictionary(text, 2).is_some());
        assert!(statistics.dictionary(text, 3).is_none());
        Ok(())
    }
}
