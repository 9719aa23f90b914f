//! Candidates of a full page a window of articles at a time.
//!
//! Once the page is full, [`pruned`](super::pruned) takes candidates from the essential lists
//! one article at a time and looks each up in the others. For several common words that is
//! most of a search: three words each in 3 % of titles make ~50,000 candidates at 1M articles,
//! of which only those with two of the words in their titles can reach the page, and each
//! costs a seek in every essential list and one in a non-essential one. Over a window of
//! [`WINDOW`] articles it is cheaper to read the lists straight through, adding each article's
//! scores in an array, as Lucene's `BooleanScorer` does for disjunctions: the essential lists,
//! and the non-essential lists no longer than them (reading those costs no more than the
//! candidates do, and their scores sort out the candidates at once). An article then goes on
//! to the one-at-a-time checks only if its sum, plus the most the lists not read could add,
//! reaches the page. A list those checks look up more often than summing it would cost is
//! summed from the next window on: a second title word's list, a little longer than the
//! first's, is asked by nearly every candidate.

use tantivy::{DocId, Score};

use super::bounds::Split;
use super::lists::{Member, Summed};

/// Articles in a window: its sums fit the processor's first cache (16 KB).
pub const WINDOW: DocId = 4096;

/// [`WINDOW`] as a length (a test checks they agree).
const WINDOW_LEN: usize = 4096;

/// About how many postings a window sums in the time one candidate is looked up in a list
/// (a seek, and its score; summing a list that marks nothing costs under a nanosecond per
/// posting: decoded sixteen at a time, a bit tested).
const LOOKUP_COST: u64 = 16;

/// A window's sums, and which lists make them.
pub struct Window {
    /// The sum of the summed lists' scores, by article from the window's first.
    scores: Vec<Score>,
    /// The articles of an essential list in the window (one bit each).
    marked: Vec<u64>,
    /// Each member's cursor of its own, made the first time it is summed.
    cursors: Vec<Option<Summed>>,
    /// The members summed, and whether each is essential.
    summed: Vec<(usize, bool)>,
    /// The lists not summed, looked up one article at a time, highest score first.
    pub lookups: Vec<usize>,
    /// How many times each of them was looked up in this window.
    pub looked: Vec<u32>,
    /// Their highest scores added.
    pub slack: Score,
    /// The articles of the segment walked.
    docs: u32,
    /// Whether every essential list can be summed (a prefix's cannot).
    usable: bool,
}

impl Window {
    /// A window over a walk of `members` lists in a segment of `docs` articles; its arrays are
    /// made at the first window.
    pub fn new(members: usize, docs: u32) -> Self {
        Window {
            scores: Vec::new(),
            marked: Vec::new(),
            cursors: (0..members).map(|_| None).collect(),
            summed: Vec::new(),
            lookups: Vec::new(),
            looked: Vec::new(),
            slack: 0.0,
            docs: docs.max(1),
            usable: false,
        }
    }

    /// Whether candidates come from windows for the split last planned.
    pub fn usable(&self) -> bool {
        self.usable
    }

    /// Chooses the lists summed for `split`.
    pub fn plan(&mut self, split: &Split, members: &[Member]) {
        let summable = |i: usize| members.get(i).is_some_and(Member::summable);
        let size = |i: usize| members.get(i).map_or(0, |m| u64::from(m.size));
        self.usable = split.essential.iter().all(|&i| summable(i));
        let essential: u64 = split.essential.iter().map(|&i| size(i)).sum();
        self.summed.clear();
        self.summed
            .extend(split.essential.iter().map(|&i| (i, true)));
        self.lookups.clear();
        self.slack = 0.0;
        for &i in &split.rest {
            if summable(i) && size(i) <= essential {
                self.summed.push((i, false));
            } else {
                self.lookups.push(i);
                self.slack += members.get(i).map_or(0.0, |m| m.max);
            }
        }
        self.looked.clear();
        self.looked.resize(self.lookups.len(), 0);
    }

    /// After a window: sums from the next one on each list looked up more than summing it
    /// would cost (its articles in a window, on average, over [`LOOKUP_COST`]). A list a
    /// little longer than the essential ones, of a word whose title scores as much, is looked
    /// up by most candidates, while one of long bodies is asked only by the few that its
    /// betters let through.
    pub fn adapt(&mut self, members: &[Member]) {
        let mut k = 0;
        while let (Some(&i), Some(&looked)) = (self.lookups.get(k), self.looked.get(k)) {
            let member = members.get(i);
            let per_window = member.map_or(u64::MAX, |m| {
                u64::from(m.size) * u64::from(WINDOW) / u64::from(self.docs)
            });
            let summable = member.is_some_and(Member::summable);
            if summable && u64::from(looked) * LOOKUP_COST > per_window {
                self.lookups.remove(k);
                self.looked.remove(k);
                self.summed.push((i, false));
            } else {
                k += 1;
            }
        }
        // Added again rather than lessened: the same sum as `plan` makes for these lists.
        self.slack = (self.lookups.iter())
            .map(|&i| members.get(i).map_or(0.0, |m| m.max))
            .sum();
        self.looked.fill(0);
    }

    /// Sums the window `base..end` (at most [`WINDOW`] articles: past that, it ends early)
    /// and puts in `out` each article of an essential list whose sum, plus the slack, passes
    /// `keep`, in order.
    pub fn candidates(
        &mut self,
        members: &[Member],
        base: DocId,
        end: DocId,
        keep: impl Fn(Score) -> bool,
        out: &mut Vec<(DocId, Score)>,
    ) {
        if self.scores.is_empty() {
            self.scores = vec![0.0; WINDOW_LEN];
            self.marked = vec![0; WINDOW_LEN / 64];
        }
        let end = end.min(base.saturating_add(WINDOW));
        // Essential lists first: the others add only to the articles they marked.
        for &(i, essential) in &self.summed {
            let Some(cursor) = self.cursors.get_mut(i) else {
                continue;
            };
            if cursor.is_none() {
                *cursor = members.get(i).and_then(Member::copy);
            }
            if let Some(cursor) = cursor {
                cursor.add_to(base, end, &mut self.scores, &mut self.marked, essential);
            }
        }
        // Only marked articles have sums: each is read and cleared for the next window. Each
        // is written at the end of `out`, which grows past it only when kept: whether an
        // article is kept is a coin toss that a branch would mispredict.
        let marked = self.marked.iter().map(|w| w.count_ones()).sum::<u32>();
        out.clear();
        out.resize(usize::try_from(marked).unwrap_or(0), (0, 0.0));
        let mut kept = 0;
        for (w, word) in (0..).zip(&mut self.marked) {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let slot = w * 64 + bits.trailing_zeros();
                bits &= bits - 1;
                let Some(score) = self
                    .scores
                    .get_mut(usize::try_from(slot).unwrap_or(usize::MAX))
                else {
                    continue;
                };
                let sum = std::mem::take(score) + self.slack;
                if let Some(at) = out.get_mut(kept) {
                    *at = (base + slot, sum);
                }
                kept += usize::from(keep(sum));
            }
        }
        out.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Range;
    use tantivy::query::Bm25Weight;

    use tantivy::schema::{Field, IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Searcher, TantivyDocument, Term};

    use super::*;
    use crate::search::lists::{List, Postings};

    /// Articles 0..n: `alpha` in every third, `beta` twice in every seventh, `gamma` in every
    /// other one.
    fn text_of(i: u32) -> String {
        let mut text = String::from("filler");
        for (every, words) in [(3, " alpha"), (7, " beta beta"), (2, " gamma")] {
            if i.is_multiple_of(every) {
                text.push_str(words);
            }
        }
        text
    }

    #[test]
    fn the_window_length_is_the_window() {
        assert_eq!(usize::try_from(WINDOW).ok(), Some(WINDOW_LEN));
    }

    /// One segment of articles `0..n` written by [`text_of`].
    fn index(n: u32) -> tantivy::Result<(Searcher, Field)> {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        for i in 0..n {
            let mut doc = TantivyDocument::default();
            doc.add_text(field, text_of(i));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        Ok((index.reader()?.searcher(), field))
    }

    /// The lists of `alpha`, `beta` and `gamma`, each said to score at most 10.
    fn members(searcher: &Searcher, field: Field) -> tantivy::Result<Vec<Member>> {
        let reader = searcher.segment_reader(0);
        let mut out = Vec::new();
        for word in ["alpha", "beta", "gamma"] {
            let term = Term::from_field_text(field, word);
            let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(&term))?;
            let index = reader.inverted_index(field)?;
            let block = index.read_block_postings(&term, IndexRecordOption::WithFreqs)?;
            let norms = reader.fieldnorms_readers().get_field(field)?;
            let (Some(block), Some(norms)) = (block, norms) else {
                panic!("{word} is indexed");
            };
            out.push(Member {
                size: block.doc_freq(),
                max: 10.0,
                list: List::Word(Box::new(Postings::new(block, norms, bm25, Score::INFINITY))),
                group: 0,
            });
        }
        Ok(out)
    }

    /// Each article of `alpha` in `docs`, with the scores that `lists` of `members` give it.
    fn sums(members: &mut [Member], lists: &[usize], docs: Range<DocId>) -> Vec<(DocId, Score)> {
        let mut sums = Vec::new();
        for doc in docs.filter(|i| i.is_multiple_of(3)) {
            let mut sum = 0.0;
            for &i in lists {
                if let Some(m) = members.get_mut(i) {
                    m.seek(doc);
                    if m.doc() == doc {
                        sum += m.score();
                    }
                }
            }
            sums.push((doc, sum));
        }
        sums
    }

    /// A window over articles `0..n` and its lists: alpha essential, beta (shorter) summed,
    /// gamma (longer) looked up.
    fn planned(n: u32) -> tantivy::Result<(Searcher, Field, Vec<Member>, Split, Window)> {
        let (searcher, field) = index(n)?;
        let walked = members(&searcher, field)?;
        let mut split = Split::new(walked.iter().map(|m| (m.max, m.size)).collect());
        split.essential = vec![0];
        split.rest = vec![2, 1];
        let mut window = Window::new(walked.len(), n);
        window.plan(&split, &walked);
        Ok((searcher, field, walked, split, window))
    }

    #[test]
    fn windows_sum_every_summed_list_and_keep_only_essential_articles() -> tantivy::Result<()> {
        // Over several windows and many blocks of postings.
        let n = 3 * WINDOW + 100;
        let (searcher, field, walked, split, mut window) = planned(n)?;
        assert!(window.usable());
        assert_eq!(window.lookups, [2]);
        assert!((window.slack - 10.0).abs() < 1e-6);

        let mut found = Vec::new();
        let mut page = Vec::new();
        for base in (0..n).step_by(4_000) {
            // Windows of any length up to the most, and a `keep` that sees every sum.
            window.candidates(&walked, base, (base + 4_000).min(n), |_| true, &mut page);
            found.extend_from_slice(&page);
        }
        let mut fresh = members(&searcher, field)?;
        let expected: Vec<_> = sums(&mut fresh, &[0, 1], 0..n)
            .into_iter()
            .map(|(doc, sum)| (doc, sum + 10.0))
            .collect();
        assert_eq!(found.len(), expected.len());
        // The best sum without `beta`: only articles with it as well beat that.
        let alpha_alone = expected
            .iter()
            .filter(|(doc, _)| !doc.is_multiple_of(7))
            .map(|&(_, sum)| sum)
            .fold(0.0, Score::max);
        for ((doc, sum), (want_doc, want)) in found.into_iter().zip(expected) {
            assert_eq!(doc, want_doc);
            assert!((sum - want).abs() < 1e-4, "{doc}: {sum} against {want}");
        }
        // `keep` leaves out the sums it refuses.
        let fresh = members(&searcher, field)?;
        let mut window = Window::new(fresh.len(), n);
        window.plan(&split, &fresh);
        window.candidates(&fresh, 0, WINDOW, |sum| sum > alpha_alone, &mut page);
        assert_eq!(
            page.len(),
            (0..WINDOW).filter(|i| i.is_multiple_of(21)).count()
        );
        assert!(
            page.iter().all(|&(doc, _)| doc.is_multiple_of(21)),
            "{page:?}"
        );
        Ok(())
    }

    #[test]
    fn a_list_looked_up_more_than_summing_it_costs_is_summed() -> tantivy::Result<()> {
        let n = 3 * WINDOW;
        let (searcher, field, walked, split, mut window) = planned(n)?;
        assert_eq!(window.lookups, [2]);
        // gamma has every other article, 2,048 a window: summing it costs as much as 128
        // lookups.
        let even = u32::try_from(2_048 / LOOKUP_COST).unwrap_or(u32::MAX);
        window.looked = vec![even];
        window.adapt(&walked);
        assert_eq!(
            (window.lookups.as_slice(), window.looked.as_slice()),
            (&[2][..], &[0][..])
        );
        assert!((window.slack - 10.0).abs() < 1e-6);
        window.looked = vec![even + 1];
        window.adapt(&walked);
        assert!(window.lookups.is_empty() && window.looked.is_empty());
        assert!(window.slack.abs() < 1e-6);

        // Summed from then on: an article's sum has gamma's score too.
        let mut page = Vec::new();
        window.candidates(&walked, 0, WINDOW, |_| true, &mut page);
        let expected = sums(&mut members(&searcher, field)?, &[0, 1, 2], 0..WINDOW);
        assert_eq!(page.len(), expected.len());
        for ((doc, sum), (want_doc, want)) in page.into_iter().zip(expected) {
            assert_eq!(doc, want_doc);
            assert!((sum - want).abs() < 1e-4, "{doc}: {sum} against {want}");
        }
        // A new plan looks it up again.
        window.plan(&split, &walked);
        assert_eq!(window.lookups, [2]);
        Ok(())
    }
}
