//! What a relevance page needs to know of a posting list beyond its articles: the highest
//! score it can give, and the few articles, if any, that score well above the rest.
//!
//! The real highest score of a list is that of its best (field length, frequency) pair, which
//! only a pass over the list finds: kept by [`Bounds`](super::bounds::Bounds) per segment and
//! word, as segments never change. What is kept does not depend on the index's statistics
//! (which change as articles come and go): for each field length, the highest frequency,
//! reduced to the pairs that can be the best under any weight (a longer field must have a
//! higher frequency to count). A search scores those few pairs with its own weight.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::Bm25Weight;
use tantivy::{DocId, Score};

use super::lists::FULL_BLOCK;

/// The (field length id, frequency) pairs that can give a list's highest score: field length
/// ids increasing, frequencies increasing.
type Shape = Arc<[(u8, u32)]>;

/// What is kept of a list: its [`Shape`], and its peaks apart when they lift its highest
/// score well above the rest's.
///
/// A list's highest score is often that of a handful of its articles: of 26,308 titles with
/// "phone" at 1M articles, 250 have it twice (scoring 15.4 against 11.3 once) and one three
/// times (16.8). Bounded by the highest, an old story with two common words once in its
/// title looks as if it could beat a page of recent ones with both twice, and a search walks
/// the whole archive. Taken apart, the list scores at most what the rest does, and its peaks
/// are a short list of their own that adds the difference: the pass (`pruned`) takes its
/// candidates from the short lists and looks the long ones up.
#[derive(Debug)]
pub struct Profile {
    pub(super) shape: Shape,
    /// The shape of the articles not among `peaks`: `shape` when there are none.
    pub(super) below: Shape,
    /// The articles that score above all others, in order, with their frequencies.
    pub peaks: Arc<[(DocId, u32)]>,
}

impl Profile {
    /// The highest score `bm25` gives an article of the list.
    pub fn highest(&self, bm25: &Bm25Weight) -> Score {
        best(&self.shape, bm25)
    }

    /// The highest score `bm25` gives an article of the list that is not one of its peaks.
    pub fn below_peaks(&self, bm25: &Bm25Weight) -> Score {
        best(&self.below, bm25)
    }

    pub(super) fn bytes(&self) -> usize {
        let pairs = self.shape.len() + self.below.len();
        std::mem::size_of::<Self>() + (pairs + self.peaks.len()) * 8
    }
}

fn best(shape: &[(u8, u32)], bm25: &Bm25Weight) -> Score {
    shape
        .iter()
        .map(|&(norm, freq)| bm25.score(norm, freq))
        .fold(0.0, Score::max)
}

/// Peaks a list of `size` articles may have: a sixty-fourth of it, at most 2,048 (16 KB).
/// Each is a candidate that the pass looks up in the other lists; a title word's peaks (its
/// titles with it twice) are one in a hundred.
fn peaks_allowed(size: u32) -> usize {
    usize::try_from(size / 64).unwrap_or(usize::MAX).min(2_048)
}

/// A list is taken apart only if the rest of it scores at most this share of its highest.
/// Titles with a word once score 0.73 of those with it twice; excerpts with it at most twice
/// score 0.81 of those with it four times, and taking those apart cost 20 % more time per
/// search at 100k articles (one more list to look up) and saved nothing at 1M.
const WORTH: Score = 0.8;

/// Frequencies counted apart when peaks are chosen; higher ones are counted with the last.
const FREQS: usize = 64;

impl Profile {
    /// Reads `postings` once for its shape and how many articles score how much (`bm25`), and
    /// once more for its peaks if it has any worth taking apart.
    pub(super) fn of(
        postings: BlockSegmentPostings,
        norms: &FieldNormReader,
        bm25: &Bm25Weight,
    ) -> Profile {
        let allowed = peaks_allowed(postings.doc_freq());
        // The articles at each (field length id, frequency), and the highest frequency at each
        // field length id.
        let mut counts = vec![0u32; 256 * FREQS];
        let mut highest = [0u32; 256];
        each_posting(postings.clone(), |doc, freq| {
            let norm = norms.fieldnorm_id(doc);
            let slot = usize::from(norm) * FREQS
                + usize::try_from(freq).map_or(FREQS - 1, |f| f.min(FREQS - 1));
            if let (Some(n), Some(high)) =
                (counts.get_mut(slot), highest.get_mut(usize::from(norm)))
            {
                *n += 1;
                *high = (*high).max(freq);
            }
        });
        let shape: Shape = frontier(&highest).into();
        // Each (field length, frequency) by score, highest first (the last frequency scored as
        // the highest at its length); the peaks are the first while they are few.
        let mut classes: Vec<(Score, usize)> = Vec::new();
        for (norm, (row, &high)) in (0..=u8::MAX).zip(counts.chunks(FREQS).zip(&highest)) {
            for (freq, &n) in (0..).zip(row).filter(|(_, n)| **n > 0) {
                let freq = if freq == FREQS - 1 {
                    high
                } else {
                    u32::try_from(freq).unwrap_or(high)
                };
                classes.push((
                    bm25.score(norm, freq),
                    usize::try_from(n).unwrap_or(usize::MAX),
                ));
            }
        }
        classes.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top = classes.first().map_or(0.0, |c| c.0);
        // The highest score left below the peaks.
        let mut taken = 0;
        let cut = classes.iter().find_map(|&(score, n)| {
            taken += n;
            (taken > allowed).then_some(score)
        });
        match cut {
            Some(cut) if cut < top && cut <= WORTH * top => {
                let mut peaks = Vec::new();
                let mut below = [0u32; 256];
                each_posting(postings, |doc, freq| {
                    let norm = norms.fieldnorm_id(doc);
                    if bm25.score(norm, freq) > cut {
                        peaks.push((doc, freq));
                    } else if let Some(high) = below.get_mut(usize::from(norm)) {
                        *high = (*high).max(freq);
                    }
                });
                Profile {
                    shape,
                    below: frontier(&below).into(),
                    peaks: peaks.into(),
                }
            }
            _ => Profile {
                below: shape.clone(),
                shape,
                peaks: Arc::new([]),
            },
        }
    }
}

/// Calls `f` with each article of `postings` and its frequency.
fn each_posting(mut postings: BlockSegmentPostings, mut f: impl FnMut(DocId, u32)) {
    loop {
        let docs = postings.docs();
        for (&doc, &freq) in docs.iter().zip(postings.freqs()) {
            f(doc, freq);
        }
        if docs.len() < FULL_BLOCK {
            break;
        }
        postings.advance();
    }
}

/// The pairs of `highest` (the highest frequency at each field length id) that no shorter
/// field with as high a frequency beats.
fn frontier(highest: &[u32; 256]) -> Vec<(u8, u32)> {
    let mut shape = Vec::new();
    let mut best = 0;
    for (norm, &freq) in (0..=u8::MAX).zip(highest) {
        if freq > best {
            best = freq;
            shape.push((norm, freq));
        }
    }
    shape
}

#[cfg(test)]
impl Profile {
    /// A profile with a shape of one (field length, `freq`) pair and no peaks.
    pub(super) fn plain(freq: u32) -> Profile {
        let shape = Shape::from(vec![(1, freq)]);
        Profile {
            below: shape.clone(),
            shape,
            peaks: Arc::new([]),
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Term;

    use super::*;

    /// The profile of `alpha` in `n` articles of three words, every `every`th with it twice.
    fn profile_with_twice(n: u32, every: u32) -> tantivy::Result<(Profile, Bm25Weight, u8)> {
        use tantivy::schema::{IndexRecordOption, Schema, TEXT};
        let mut schema = Schema::builder();
        let field = schema.add_text_field("text", TEXT);
        let index = tantivy::Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        for i in 0..n {
            let text = if (i + 1) % every == 0 {
                "alpha alpha x"
            } else {
                "alpha x y"
            };
            writer.add_document(tantivy::doc!(field => text))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let term = Term::from_field_text(field, "alpha");
        let bm25 = Bm25Weight::for_terms(&searcher, std::slice::from_ref(&term))?;
        let reader = searcher.segment_reader(0);
        let postings = (reader.inverted_index(field)?)
            .read_block_postings(&term, IndexRecordOption::WithFreqs)?;
        let norms = reader.fieldnorms_readers().get_field(field)?;
        let (Some(postings), Some(norms)) = (postings, norms) else {
            panic!("alpha is indexed");
        };
        let norm = norms.fieldnorm_id(0);
        Ok((Profile::of(postings, &norms, &bm25), bm25, norm))
    }

    #[test]
    fn the_few_articles_above_the_rest_are_its_peaks() -> tantivy::Result<()> {
        // 2,000 articles, 20 with the word twice: at most 31 peaks.
        let (profile, bm25, norm) = profile_with_twice(2_000, 100)?;
        let twice: Vec<DocId> = (99..2_000).step_by(100).collect();
        let peaks: Vec<DocId> = profile.peaks.iter().map(|&(doc, _)| doc).collect();
        assert_eq!(peaks, twice);
        assert!(profile.peaks.iter().all(|&(_, freq)| freq == 2));
        let [once, two] = [1, 2].map(|freq| bm25.score(norm, freq));
        assert!((profile.highest(&bm25) - two).abs() < 1e-6);
        assert!((profile.below_peaks(&bm25) - once).abs() < 1e-6);
        // Another search's weight (the archive grew, a field's boost): the same peaks, their
        // bounds scored with it.
        let other = Bm25Weight::for_one_term_without_explain(500, 90_000, 12.0).boost_by(3.0);
        let [once, two] = [1, 2].map(|freq| other.score(norm, freq));
        assert!((profile.highest(&other) - two).abs() < 1e-6);
        assert!((profile.below_peaks(&other) - once).abs() < 1e-6);

        // One in four twice: too many to take apart.
        let (profile, bm25, _) = profile_with_twice(2_000, 4)?;
        assert!(profile.peaks.is_empty());
        assert!((profile.below_peaks(&bm25) - profile.highest(&bm25)).abs() < 1e-6);
        // Every article the same: nothing above the rest.
        let (profile, ..) = profile_with_twice(2_000, 4_000)?;
        assert!(profile.peaks.is_empty());
        Ok(())
    }

    #[test]
    fn the_frontier_keeps_only_pairs_that_can_be_the_best() {
        // (9, 1) and (30, 2) are beaten by a shorter field with at least their frequency.
        let mut highest = [0u32; 256];
        for (norm, freq) in [(3usize, 1u32), (9, 1), (20, 4), (30, 2)] {
            if let Some(slot) = highest.get_mut(norm) {
                *slot = freq;
            }
        }
        assert_eq!(frontier(&highest), vec![(3, 1), (20, 4)]);
        assert!(frontier(&[0; 256]).is_empty());
    }
}
