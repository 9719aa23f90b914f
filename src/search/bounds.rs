//! The highest score each posting list can give, exactly, kept; and which lists a relevance
//! page takes its candidates from.
//!
//! tantivy bounds a word's BM25 score by its limit for an endless term frequency
//! (`Bm25Weight::max_score`): about twice what a word in a title really scores (once, in a
//! short field). Relevance pages skip what cannot beat their worst hit (`pruned`), and a bound
//! twice too high lets nearly every candidate through. A list's [`Profile`] gives its real
//! highest score, and its peaks; it takes a pass over the list, so it is made once per segment
//! and word, as segments never change, and kept here.
//!
//! [`Split`] then says, from those scores, which lists a relevance page takes its candidates
//! from.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::Bm25Weight;
use tantivy::{Score, Term};

use super::profile::Profile;

/// Bytes of profiles kept at most (a few hundred bytes for most lists, 16 KB with the most
/// peaks; the words of one newsroom's searches are far fewer). Past that all are let go and
/// found again as searched: also how the profiles of segments merged away go.
const KEPT_BYTES: usize = 16 << 20;

/// Each list's [`Profile`], by segment and word.
///
/// A search asks for one per word and field (fifteen for three words): through a `moka`
/// cache, with the key's term copied each time, that was 3 % of a search's CPU at 100k
/// articles. A map under a read lock, looked up by reference, costs a hash.
#[derive(Default)]
pub struct Bounds {
    profiles: RwLock<Profiles>,
}

#[derive(Default)]
struct Profiles {
    by_segment: HashMap<SegmentId, HashMap<Term, Arc<Profile>>>,
    bytes: usize,
}

impl Profiles {
    fn count(&self) -> usize {
        self.by_segment.values().map(HashMap::len).sum()
    }
}

impl std::fmt::Debug for Bounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.profiles.read().map_or(0, |s| s.count());
        f.debug_struct("Bounds").field("lists", &count).finish()
    }
}

impl Bounds {
    /// The profile of `term`'s list in `segment`, made the first time with `postings` (a fresh
    /// copy of the list), `norms` and `bm25` (which only chooses the peaks: the profile's
    /// scores are computed with each search's weight).
    pub fn profile(
        &self,
        segment: SegmentId,
        term: &Term,
        postings: impl FnOnce() -> BlockSegmentPostings,
        norms: &FieldNormReader,
        bm25: &Bm25Weight,
    ) -> Arc<Profile> {
        self.kept(segment, term, || Profile::of(postings(), norms, bm25))
    }

    fn kept(
        &self,
        segment: SegmentId,
        term: &Term,
        make: impl FnOnce() -> Profile,
    ) -> Arc<Profile> {
        let held = self.profiles.read().ok().and_then(|profiles| {
            let profile = profiles.by_segment.get(&segment)?.get(term)?;
            Some(profile.clone())
        });
        if let Some(profile) = held {
            return profile;
        }
        // Made outside the lock: two searches may both make it, and the second keeps its own.
        let profile = Arc::new(make());
        let bytes = profile.bytes() + term.serialized_value_bytes().len();
        let mut profiles = self.profiles.write().unwrap_or_else(|e| e.into_inner());
        if profiles.bytes + bytes > KEPT_BYTES {
            *profiles = Profiles::default();
        }
        let added = profiles
            .by_segment
            .entry(segment)
            .or_default()
            .insert(term.clone(), profile.clone())
            .is_none();
        if added {
            profiles.bytes += bytes;
        }
        profile
    }
}

/// Scores are summed in `f32` in another order than the bounds: a list is non-essential only
/// when the bounds fall short by more than this factor.
const BOUND_MARGIN: f32 = 1.001;

/// Whether an article whose text scores at most `bound`, boosted at most by `boost`, could
/// beat `worst`.
pub fn reaches(bound: Score, boost: f64, worst: f64) -> bool {
    f64::from(bound * BOUND_MARGIN) * boost >= worst
}

/// Which lists candidates come from (the essential ones), and which are only looked up for
/// them (the rest), for a page's worst hit and a recency bound.
pub struct Split {
    /// Each list's highest score and articles.
    lists: Vec<(Score, u32)>,
    /// Lists by articles per unit of highest score, most first: the order in which they are
    /// made non-essential, so that candidates come from short lists.
    by_ratio: Vec<usize>,
    /// Lists by highest score, highest first: the order a candidate is looked up in the rest.
    by_max: Vec<usize>,
    pub essential: Vec<usize>,
    /// The non-essential lists, highest score first, and their highest scores added.
    pub rest: Vec<usize>,
    pub rest_max: Score,
    /// Which lists are in `rest` (kept to be refilled).
    is_rest: Vec<bool>,
    /// The score a text needs to reach the page (worst hit / recency bound) it was made for.
    made_for: Option<f64>,
}

/// How much the score a text needs may grow before the split is made again. Along a walk it
/// only grows (the worst hit rises, the boost falls), and lists left out for a lower need are
/// still out of reach: a split made a little earlier is right, only less sharp. Made again
/// at every stretch, it took 7 % of a search's time at 1M articles.
const REMAKE_AFTER: f64 = 1.01;

impl Split {
    /// Every list essential: the page is not full yet.
    pub fn new(lists: Vec<(Score, u32)>) -> Self {
        let ratio =
            |&(max, size): &(Score, u32)| f64::from(size) / f64::from(max.max(Score::MIN_POSITIVE));
        let mut by_ratio: Vec<usize> = (0..lists.len()).collect();
        by_ratio.sort_by(|&a, &b| {
            let [a, b] = [a, b].map(|i| lists.get(i).map_or(0.0, ratio));
            b.total_cmp(&a)
        });
        let mut by_max: Vec<usize> = (0..lists.len()).collect();
        by_max.sort_by(|&a, &b| {
            let [a, b] = [a, b].map(|i| lists.get(i).map_or(0.0, |l| l.0));
            b.total_cmp(&a)
        });
        Split {
            is_rest: vec![false; lists.len()],
            lists,
            essential: by_ratio.clone(),
            by_ratio,
            by_max,
            rest: Vec::new(),
            rest_max: 0.0,
            made_for: None,
        }
    }

    /// Makes non-essential every list it can, in `by_ratio`'s order, for `worst` and `boost`;
    /// whether the split was made again.
    pub fn update(&mut self, boost: f64, worst: f64) -> bool {
        let need = worst / boost;
        if self
            .made_for
            .is_some_and(|made| (made..=made * REMAKE_AFTER).contains(&need))
        {
            return false;
        }
        self.made_for = Some(need);
        let lists = &self.lists;
        let max = |i: usize| lists.get(i).map_or(0.0, |l| l.0);
        self.is_rest.fill(false);
        self.essential.clear();
        self.rest_max = 0.0;
        for &i in &self.by_ratio {
            if reaches(self.rest_max + max(i), boost, worst) {
                self.essential.push(i);
            } else {
                self.rest_max += max(i);
                if let Some(flag) = self.is_rest.get_mut(i) {
                    *flag = true;
                }
            }
        }
        self.rest.clear();
        let is_rest = &self.is_rest;
        self.rest.extend(
            self.by_max
                .iter()
                .copied()
                .filter(|&i| is_rest.get(i).copied().unwrap_or(false)),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_made_once_per_segment_and_word() {
        let bounds = Bounds::default();
        let field = tantivy::schema::Field::from_field_id(0);
        let [nokia, xiaomi] = ["nokia", "xiaomi"].map(|w| Term::from_field_text(field, w));
        let [first, second] = [SegmentId::generate_random(), SegmentId::generate_random()];
        let made = std::cell::Cell::new(0);
        let make = |freq: u32| {
            made.set(made.get() + 1);
            Profile::plain(freq)
        };
        assert_eq!(*bounds.kept(first, &nokia, || make(1)).shape, [(1, 1)]);
        // Kept: the second ask does not make it again.
        assert_eq!(*bounds.kept(first, &nokia, || make(2)).shape, [(1, 1)]);
        assert_eq!(made.get(), 1);
        // Another word, or the same word in another segment, is another list.
        assert_eq!(*bounds.kept(first, &xiaomi, || make(3)).shape, [(1, 3)]);
        assert_eq!(*bounds.kept(second, &nokia, || make(4)).shape, [(1, 4)]);
        assert_eq!(made.get(), 3);
        assert_eq!(bounds.profiles.read().map(|s| s.count()).ok(), Some(3));
    }

    #[test]
    fn past_the_limit_every_profile_is_let_go() {
        let bounds = Bounds::default();
        let field = tantivy::schema::Field::from_field_id(0);
        let segment = SegmentId::generate_random();
        let count = || bounds.profiles.read().map_or(0, |s| s.count());
        let mut i = 0;
        while count() == usize::try_from(i).unwrap_or(0) {
            bounds.kept(segment, &Term::from_field_u64(field, i), || {
                Profile::plain(1)
            });
            i += 1;
        }
        // The one past the limit: the map starts again with it alone.
        assert_eq!(count(), 1);
        assert!(i > 10_000, "{i} profiles of a few bytes fill the budget");
        let made = std::cell::Cell::new(false);
        bounds.kept(segment, &Term::from_field_u64(field, 0), || {
            made.set(true);
            Profile::plain(1)
        });
        assert!(made.get(), "a profile let go is made again");
    }

    #[test]
    fn long_low_scoring_lists_leave_the_candidates_first() {
        // A word in titles (short, high), in excerpts, in bodies (long, low), a prefix.
        let mut split = Split::new(vec![
            (15.0, 2_600),
            (4.3, 19_700),
            (0.07, 96_000),
            (0.5, 96_000),
        ]);
        assert_eq!(
            split.essential.len(),
            4,
            "a page not yet full takes every list"
        );
        // Worst hit 10 at boost 2: bodies, prefix and excerpts (4.87) can not reach it alone.
        assert!(split.update(2.0, 10.0), "made for the first need");
        assert!(
            !split.update(2.0, 10.05),
            "a need under 1 % higher keeps the split (and the window's plan)"
        );
        assert_eq!(split.essential, [0]);
        assert_eq!(split.rest, [1, 3, 2], "looked up highest first");
        assert!((split.rest_max - 4.87).abs() < 1e-4);
        // Worst hit 4 at boost 1: the excerpts could reach it.
        assert!(split.update(1.0, 4.0), "a lower need is made again");
        assert_eq!(split.essential, [1, 0]);
        assert_eq!(split.rest, [3, 2]);
        // Nothing can be left out of a page whose worst hit is low.
        split.update(2.0, 0.1);
        assert_eq!(split.essential, [2, 3, 1, 0]);
        assert!(split.rest.is_empty());
    }
}
