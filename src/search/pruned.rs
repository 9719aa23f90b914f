//! The best page by relevance without scoring every match.
//!
//! A search for common words matches most of the archive, and scoring every match, as the full
//! pass in [`collect`](super::collect) does, costs milliseconds per 100,000 articles. Most of
//! them cannot reach the page: once it is full, an article must beat its worst hit, and an
//! article's score is at most its text score times the largest recency boost of its segment
//! (2 for a story of today). Each
//! word's posting list in each field has a highest score it can add (BM25 with that field's
//! boost); a common word in the body adds little, a word in a title much. So, as MaxScore
//! (Turtle and Flood) does, the lists whose highest scores add up, boosted, to less than the
//! worst hit are *non-essential*: an article found only in them cannot reach the page, so
//! candidates come from the other lists alone, and the non-essential ones are only looked up
//! for the candidates. As the page improves, more lists become non-essential. Which ones: the
//! long lists of low-scoring words first (most articles per unit of score), so that
//! candidates come from the short lists, whatever their scores. A candidate's bound then
//! falls as each non-essential list, highest first, turns out not to have it: with three
//! words in titles, an article having one of them is dropped after one look-up. The highest
//! scores are exact ([`bounds`](super::bounds)): tantivy's own bound is about twice a title
//! word's real best. And a list whose highest score is that of a few articles (titles with
//! the word twice) is walked as two: the list bounded by what the rest of it scores, and its
//! peaks, which add the difference. Two common words once each in an old title then fall
//! short of a page of recent stories, and the long list leaves the candidates to the peaks:
//! 1M-article searches of two words walked 28,000 candidates, and now 4,500.
//!
//! Once the page is full, candidates come a [`window`](super::window) of articles at a time:
//! the essential lists (and the short non-essential ones) are read straight through and
//! summed, and only articles whose sums could reach the page are looked up one at a time.
//!
//! Every group is required, so a candidate that one group lacks is skipped to that group's
//! next article (the rarest group is asked first), as a conjunction leapfrogs: a search whose
//! words rarely meet costs what its rarest word costs, not what its commonest does. Until the
//! page is full (or when the essential lists are longer), candidates come from the rarest
//! group's lists: two words in different titles and in no body cost their lists, not those of
//! a third word in every body. And a
//! segment holds its stories newest first, so the recency boost only falls as the pass goes
//! on: the bound it multiplies is refreshed at each stretch of 64 docs, and the pass ends once
//! no article left could reach the page. The order also makes the stories a search may see by
//! their dates (public ones, date filters) one run of a segment: the pass walks only that run
//! (scheduled stories, at the head, and drafts, at the tail, are never candidates).
//!
//! It serves every relevance search of plain words and a prefix, with the full pass's filters,
//! ties and cursors (a test compares the pages). Its scores are the pages' keys, so it computes
//! them when a count or facets need every match too (skipping nothing then): scores summed in
//! another order differ in the last bit, and a cursor must compare equal on every page.
//! Phrases, which have no cheap bound, and other orders take the full pass.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::AliveBitSet;
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, Searcher, SegmentReader, TERMINATED};

use super::bounds::{Bounds, Split, reaches};
use super::collect::{Found, SegmentWanted, Wanted};
use super::columns::{OpenSegments, STRETCH};
use super::lists::{Completions, List, Member, Peaks, Postings};
use super::query::{PREFIX_SCORE, WordGroup};
use super::weights::{Statistics, Word};
use super::window::{WINDOW, Window};

/// The weights of one required group: its word in each field, and its prefix.
struct GroupWeights {
    terms: Vec<Word>,
    prefix: Option<tantivy::Term>,
}

/// Runs `wanted` (a relevance page) for articles having every group, none
/// of `excluded`, and every one of `filters`.
pub fn search(
    searcher: &Searcher,
    bounds: &Bounds,
    segments: &OpenSegments,
    groups: Vec<WordGroup>,
    excluded: Option<&dyn Query>,
    filters: &[Box<dyn Query>],
    wanted: &Wanted,
) -> tantivy::Result<Found> {
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    let mut statistics = Statistics::new(searcher);
    let mut weights = Vec::with_capacity(groups.len());
    for group in groups {
        let mut terms = Vec::with_capacity(group.terms.len());
        for (term, boost) in group.terms {
            terms.push(statistics.word(term, boost)?);
        }
        weights.push(GroupWeights {
            terms,
            prefix: group.prefix,
        });
    }
    let prepared = Prepared {
        groups: weights,
        excluded: excluded.map(|q| q.weight(unscored)).transpose()?,
        filters: filters
            .iter()
            .map(|q| q.weight(unscored))
            .collect::<tantivy::Result<Vec<_>>>()?,
        bounds,
        statistics,
    };

    let mut found = Found::default();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        // The worst hit of the page so far, over the segments done.
        let floor = if found.hits.len() >= wanted.hits {
            found.hits.last().map(|h| h.score)
        } else {
            None
        };
        let opened = segments.of(reader)?;
        let mut segment = wanted.for_segment_with(reader, opened.columns)?;
        run_segment(
            (reader, ord),
            &prepared,
            &opened.stretches,
            floor,
            wanted,
            &mut segment,
        )?;
        found = wanted.merge_fruits(vec![found, segment.harvest()])?;
    }
    Ok(found)
}

/// A search made ready for every segment: its groups' weights, its exclusions and filters.
struct Prepared<'a> {
    groups: Vec<GroupWeights>,
    excluded: Option<Box<dyn Weight>>,
    filters: Vec<Box<dyn Weight>>,
    bounds: &'a Bounds,
    statistics: Statistics<'a>,
}

/// Opens each group's lists in `reader` (the searcher's segment `ord`), and counts each
/// group's articles (once per list): `None` when a group is absent from the segment (nothing
/// there matches).
fn open_members(
    (reader, ord): (&SegmentReader, usize),
    prepared: &Prepared,
) -> tantivy::Result<Option<(Vec<Member>, Vec<u64>)>> {
    // Each group's lists in the order of the full pass's sum: fields as weighted, then the
    // prefix.
    let mut members = Vec::new();
    let mut sizes = Vec::with_capacity(prepared.groups.len());
    for (group, weight) in prepared.groups.iter().enumerate() {
        let first = members.len();
        let mut size = 0;
        for Word {
            term,
            weight: bm25,
            lists,
        } in &weight.terms
        {
            let (Some(list), Some(index)) = (
                lists.get(ord).and_then(Option::as_ref),
                prepared.statistics.dictionary(term.field(), ord),
            ) else {
                continue;
            };
            let block =
                index.read_block_postings_from_terminfo(list, IndexRecordOption::WithFreqs)?;
            let Some(norms) = reader.fieldnorms_readers().get_field(term.field())? else {
                continue;
            };
            size += u64::from(block.doc_freq());
            let profile =
                prepared
                    .bounds
                    .profile(reader.segment_id(), term, || block.clone(), &norms, bm25);
            let max = profile.highest(bm25);
            // A list with peaks bounds its articles by the highest score below them, and the
            // peaks add the rest.
            let cap = if profile.peaks.is_empty() {
                Score::INFINITY
            } else {
                profile.below_peaks(bm25)
            };
            members.push(Member {
                max: max.min(cap),
                size: block.doc_freq(),
                list: List::Word(Box::new(Postings::new(
                    block,
                    norms.clone(),
                    bm25.clone(),
                    cap,
                ))),
                group,
            });
            if cap < max {
                members.push(Member {
                    max: max - cap,
                    size: u32::try_from(profile.peaks.len()).unwrap_or(u32::MAX),
                    list: List::Peaks(Box::new(Peaks::new(
                        profile.peaks.clone(),
                        norms,
                        bm25.clone(),
                        cap,
                    ))),
                    group,
                });
            }
        }
        if let Some(prefix) = &weight.prefix
            && let Some(union) = Completions::open(reader, prefix)?
        {
            size += union.size;
            members.push(Member {
                size: u32::try_from(union.size).unwrap_or(u32::MAX),
                list: List::Prefix(Box::new(union)),
                group,
                max: PREFIX_SCORE,
            });
        }
        if members.iter().skip(first).all(|m| m.doc() == TERMINATED) {
            return Ok(None);
        }
        sizes.push(size);
    }
    Ok(Some((members, sizes)))
}

/// Walks the run of `reader` that `wanted` may see, newest first, and collects into `out`
/// every article that could reach the page (`floor`: the worst hit of the segments before).
fn run_segment(
    (reader, ord): (&SegmentReader, usize),
    prepared: &Prepared,
    stretches: &[i64],
    floor: Option<f64>,
    wanted: &Wanted,
    out: &mut SegmentWanted,
) -> tantivy::Result<()> {
    let Some((members, sizes)) = open_members((reader, ord), prepared)? else {
        return Ok(());
    };
    let range = out.doc_range(reader.max_doc());
    if range.is_empty() {
        return Ok(());
    }
    let mut walk = Walk::new(reader, prepared, members, &sizes)?;
    let mut window = Window::new(walk.members.len(), reader.max_doc());
    let mut candidates = Vec::new();
    // Counts and facets need every match.
    let worst_of = |out: &SegmentWanted| match (out.worst_score(), floor) {
        _ if wanted.count || wanted.facets => None,
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    // The largest recency boost of the articles from `target` on: that of the first story of
    // its stretch (a segment holds its stories newest first).
    let boost_of_stretch = |out: &SegmentWanted, stretch: DocId| {
        let first = usize::try_from(stretch).ok().and_then(|s| stretches.get(s));
        // Past the last stretch (not reached: `target` stays below `range.end`), no bound.
        first.map_or(f64::INFINITY, |&t| out.boost_at(t))
    };
    let mut stretch = range.start / STRETCH;
    let mut boost = boost_of_stretch(out, stretch);
    let mut target = range.start;
    while target < range.end {
        let worst = worst_of(out);
        if let Some(worst) = worst {
            if target / STRETCH != stretch {
                stretch = target / STRETCH;
                boost = boost_of_stretch(out, stretch);
            }
            // Nothing left can reach the page.
            if !reaches(walk.most, boost, worst) {
                break;
            }
            if walk.split.update(boost, worst) {
                walk.replan();
                window.plan(&walk.split, &walk.members);
            }
            if window.usable() {
                let end = target.saturating_add(WINDOW).min(range.end);
                let keep = |sum| reaches(sum, boost, worst);
                window.candidates(&walk.members, target, end, keep, &mut candidates);
                for &(candidate, sum) in &candidates {
                    // The page may have improved since, and the boost fallen.
                    let boost = boost_of_stretch(out, candidate / STRETCH);
                    if let Some(worst) = worst_of(out)
                        && bound(
                            &mut walk.members,
                            (candidate, sum),
                            &window.lookups,
                            (boost, worst),
                            |k| {
                                if let Some(n) = window.looked.get_mut(k) {
                                    *n += 1;
                                }
                            },
                        )
                    {
                        walk.accept(candidate, out);
                    }
                }
                window.adapt(&walk.members);
                target = end;
                continue;
            }
        }
        match walk.step(target, worst.map(|w| (w, boost)), range.end, out) {
            Some(next) => target = next,
            None => break,
        }
    }
    Ok(())
}

/// A walk over one segment: its lists, where each stands, and how they are split.
struct Walk<'a> {
    members: Vec<Member>,
    split: Split,
    /// The most any article can score: every list's highest score added.
    most: Score,
    /// Each group's lists, the rarest group first: it says soonest where the next match can be.
    lists_of: Vec<Vec<usize>>,
    /// The rarest group's articles (once per list).
    rarest: u64,
    /// Whether candidates come from the rarest group's lists rather than the essential ones
    /// (when those are longer: every match has that group).
    from_group: bool,
    excluded: Option<Box<dyn Scorer>>,
    filters: Vec<Box<dyn Scorer>>,
    alive: Option<&'a AliveBitSet>,
    /// Each group's score on the article scored.
    present: Vec<Option<Score>>,
}

#[expect(
    clippy::indexing_slicing,
    reason = "the hot loop: `split`'s lists and `lists_of` hold positions in `members`, and \
              `present` one per group, so every position in them is in bounds"
)]
impl<'a> Walk<'a> {
    fn new(
        reader: &'a SegmentReader,
        prepared: &Prepared,
        members: Vec<Member>,
        sizes: &[u64],
    ) -> tantivy::Result<Self> {
        let mut rarest: Vec<usize> = (0..sizes.len()).collect();
        rarest.sort_by_key(|&g| sizes.get(g).copied().unwrap_or(0));
        let lists_of: Vec<Vec<usize>> = rarest
            .iter()
            .map(|&g| {
                // Peaks are in their word's list: it says whether the group has an article.
                (0..members.len())
                    .filter(|&i| {
                        members[i].group == g && !matches!(members[i].list, List::Peaks(_))
                    })
                    .collect()
            })
            .collect();
        let mut walk = Walk {
            split: Split::new(members.iter().map(|m| (m.max, m.size)).collect()),
            most: members.iter().map(|m| m.max).sum(),
            rarest: rarest
                .first()
                .and_then(|&g| sizes.get(g))
                .copied()
                .unwrap_or(0),
            lists_of,
            from_group: false,
            members,
            excluded: prepared
                .excluded
                .as_ref()
                .map(|w| w.scorer(reader, 1.0))
                .transpose()?,
            filters: prepared
                .filters
                .iter()
                .map(|w| w.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<_>>>()?,
            alive: reader.alive_bitset(),
            present: vec![None; sizes.len()],
        };
        walk.replan();
        Ok(walk)
    }

    /// Chooses where candidates come from after the split changed.
    fn replan(&mut self) {
        let essential: u64 = (self.split.essential.iter())
            .map(|&i| u64::from(self.members[i].size))
            .sum();
        self.from_group = essential > self.rarest;
    }

    /// Takes the next candidate from `target` on, one article at a time, and collects it if
    /// it has every group and, when the page is full, could reach it (`bound_by`: its worst
    /// hit and the recency bound); then where to go on from, or `None` past `end`.
    fn step(
        &mut self,
        target: DocId,
        bound_by: Option<(f64, f64)>,
        end: DocId,
        out: &mut SegmentWanted,
    ) -> Option<DocId> {
        let members = &mut self.members;
        let source = match self.lists_of.first() {
            Some(rarest) if self.from_group => rarest,
            _ => &self.split.essential,
        };
        let mut candidate = TERMINATED;
        for &i in source {
            members[i].seek(target);
            candidate = candidate.min(members[i].doc());
        }
        if candidate >= end {
            return None;
        }
        if let Some((worst, boost)) = bound_by {
            if self.from_group {
                // Only an article of an essential list can reach the page.
                let mut first = TERMINATED;
                for &i in &self.split.essential {
                    members[i].seek(candidate);
                    first = first.min(members[i].doc());
                }
                if first != candidate {
                    return Some(first);
                }
            }
            // What the essential lists on it give, plus the most the others could, times the
            // recency bound (a few articles back, the same day or a day newer than its own).
            let mut sum = self.split.rest_max;
            for &i in &self.split.essential {
                if members[i].doc() == candidate {
                    sum += members[i].score();
                }
            }
            let lookups = &self.split.rest;
            if !bound(members, (candidate, sum), lookups, (boost, worst), |_| ()) {
                return Some(candidate + 1);
            }
        }
        Some(self.accept(candidate, out).unwrap_or(candidate + 1))
    }

    /// Collects `candidate` if every group has it and it passes the filters; if a group
    /// lacks it, that group's next article (where the next match can be).
    fn accept(&mut self, candidate: DocId, out: &mut SegmentWanted) -> Option<DocId> {
        let members = &mut self.members;
        // The first group that lacks it says where the next match can be.
        if let Some(next) = self.lists_of.iter().find_map(|lists| {
            let mut first = TERMINATED;
            for &i in lists {
                members[i].seek(candidate);
                first = first.min(members[i].doc());
            }
            (first != candidate).then_some(first)
        }) {
            return Some(next);
        }
        self.present.fill(None);
        for m in members.iter() {
            if m.doc() == candidate
                && let Some(score) = m.exact()
            {
                let sum = self.present[m.group].get_or_insert(0.0);
                *sum += score;
            }
        }
        // Summed as the full pass does: each group's fields, then the groups.
        let score: Score = self.present.iter().flatten().sum();
        let keep = self.alive.is_none_or(|a| a.is_alive(candidate))
            && !(self.excluded.as_mut()).is_some_and(|e| lands_on(e.as_mut(), candidate))
            && (self.filters.iter_mut()).all(|f| lands_on(f.as_mut(), candidate));
        if keep {
            out.collect(candidate, score);
        }
        None
    }
}

#[expect(
    clippy::indexing_slicing,
    reason = "`lookups` holds positions in `members`"
)]
/// Whether `candidate`, whose bound is `bound` before looking it up in `lookups`, could
/// still reach the page (`worst`, with a recency bound of `boost`) as each of them, highest
/// score first, turns out not to have it. `looked` hears which of them it was looked up in.
fn bound(
    members: &mut [Member],
    (candidate, mut bound): (DocId, Score),
    lookups: &[usize],
    (boost, worst): (f64, f64),
    mut looked: impl FnMut(usize),
) -> bool {
    for (k, &i) in lookups.iter().enumerate() {
        if !reaches(bound, boost, worst) {
            return false;
        }
        looked(k);
        let member = &mut members[i];
        member.seek(candidate);
        bound -= member.max;
        if member.doc() == candidate {
            bound += member.score();
        }
    }
    reaches(bound, boost, worst)
}

/// Whether `docs` has `doc`, moving it there if it is before.
fn lands_on(docs: &mut dyn Scorer, doc: DocId) -> bool {
    if docs.doc() < doc {
        docs.seek(doc);
    }
    docs.doc() == doc
}
