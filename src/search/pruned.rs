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
//! word's real best.
//!
//! Every group is required, so a candidate that one group lacks is skipped to that group's
//! next article (the rarest group is asked first), as a conjunction leapfrogs: a search whose
//! words rarely meet costs what its rarest word costs, not what its commonest does. And a
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
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{BlockSegmentPostings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::bounds::{Bounds, Split, reaches};
use super::collect::{Found, SegmentWanted, Wanted};
use super::columns::{OpenSegments, STRETCH};
use super::query::{MAX_EXPANSIONS, PREFIX_SCORE, WordGroup};

/// The weights of one required group: its word in each field, and its prefix.
struct GroupWeights {
    terms: Vec<(tantivy::Term, Bm25Weight)>,
    prefix: Option<tantivy::Term>,
}

/// A word's postings in one field of a segment, with their scores.
struct Postings {
    block: BlockSegmentPostings,
    /// The position in the current block.
    at: usize,
    norms: FieldNormReader,
    bm25: Bm25Weight,
}

/// Articles in a full block of postings.
const FULL_BLOCK: usize = 128;

impl Postings {
    fn new(mut block: BlockSegmentPostings, norms: FieldNormReader, bm25: Bm25Weight) -> Self {
        // Loads the first block.
        let at = block.seek(0);
        Postings {
            block,
            at,
            norms,
            bm25,
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

    fn score(&self) -> Score {
        self.bm25.score(
            self.norms.fieldnorm_id(self.doc()),
            self.block.freq(self.at),
        )
    }
}

/// The articles having a word a prefix completes to: the first [`MAX_EXPANSIONS`] words of
/// the segment's dictionary that start with it, as the full pass's prefix query takes them.
/// Read lazily: usually only the candidates are looked up in it.
struct Completions {
    lists: Vec<SegmentPostings>,
    doc: DocId,
    /// Articles of the lists, counted once per list.
    size: u64,
}

impl Completions {
    fn open(reader: &SegmentReader, prefix: &tantivy::Term) -> tantivy::Result<Option<Self>> {
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

/// One posting list of a required group: a word in a field, or the group's prefix.
enum List {
    Word(Box<Postings>),
    Prefix(Box<Completions>),
}

/// A list, the group it belongs to, the most it adds to a score, and its articles.
struct Member {
    list: List,
    group: usize,
    max: Score,
    size: u32,
}

impl Member {
    fn doc(&self) -> DocId {
        match &self.list {
            List::Word(p) => p.doc(),
            List::Prefix(s) => s.doc,
        }
    }

    fn seek(&mut self, target: DocId) {
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
            List::Prefix(s) => s.seek(target),
        }
    }

    fn score(&mut self) -> Score {
        match &mut self.list {
            List::Word(p) => p.score(),
            List::Prefix(_) => PREFIX_SCORE,
        }
    }
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
    let mut weights = Vec::with_capacity(groups.len());
    for group in groups {
        let mut terms = Vec::with_capacity(group.terms.len());
        for (term, boost) in group.terms {
            let weight = Bm25Weight::for_terms(searcher, std::slice::from_ref(&term))?;
            terms.push((term, weight.boost_by(boost)));
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
    };

    let mut found = Found::default();
    for reader in searcher.segment_readers() {
        // The worst hit of the page so far, over the segments done.
        let floor = if found.hits.len() >= wanted.hits {
            found.hits.last().map(|h| h.score)
        } else {
            None
        };
        let opened = segments.of(reader)?;
        let mut segment = wanted.for_segment_with(reader, opened.columns)?;
        run_segment(
            reader,
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
}

#[expect(
    clippy::indexing_slicing,
    reason = "the hot loop: `split`'s lists, `lists_of` and `sizes` are made from `members` \
              and `weights` here, so every position in them is in bounds"
)]
fn run_segment(
    reader: &SegmentReader,
    prepared: &Prepared,
    stretches: &[i64],
    floor: Option<f64>,
    wanted: &Wanted,
    out: &mut SegmentWanted,
) -> tantivy::Result<()> {
    let weights = &prepared.groups;
    // Each group's lists in the order of the full pass's sum: fields as weighted, then the
    // prefix.
    let mut members = Vec::new();
    // Each group's articles, counted once per list: which group is rarest.
    let mut sizes = Vec::with_capacity(weights.len());
    for (group, weight) in weights.iter().enumerate() {
        let first = members.len();
        let mut size = 0;
        for (term, bm25) in &weight.terms {
            let index = reader.inverted_index(term.field())?;
            let Some(block) = index.read_block_postings(term, IndexRecordOption::WithFreqs)? else {
                continue;
            };
            let Some(norms) = reader.fieldnorms_readers().get_field(term.field())? else {
                continue;
            };
            size += u64::from(block.doc_freq());
            let max = prepared.bounds.max_score(
                reader.segment_id(),
                term,
                || block.clone(),
                &norms,
                bm25,
            );
            members.push(Member {
                max,
                size: block.doc_freq(),
                list: List::Word(Box::new(Postings::new(block, norms, bm25.clone()))),
                group,
            });
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
        // A group absent from the segment: nothing here matches.
        if members.iter().skip(first).all(|m| m.doc() == TERMINATED) {
            return Ok(());
        }
        sizes.push(size);
    }
    let mut split = Split::new(members.iter().map(|m| (m.max, m.size)).collect());
    let most: Score = members.iter().map(|m| m.max).sum();
    // Each group's lists, the rarest group first: it says soonest where the next match can be.
    let mut rarest: Vec<usize> = (0..weights.len()).collect();
    rarest.sort_by_key(|&g| sizes[g]);
    let lists_of: Vec<Vec<usize>> = rarest
        .iter()
        .map(|&g| {
            (0..members.len())
                .filter(|&i| members[i].group == g)
                .collect()
        })
        .collect();

    let mut excluded = prepared
        .excluded
        .as_ref()
        .map(|w| w.scorer(reader, 1.0))
        .transpose()?;
    let mut filters = prepared
        .filters
        .iter()
        .map(|w| w.scorer(reader, 1.0))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let alive = reader.alive_bitset();
    let mut present: Vec<Option<Score>> = vec![None; weights.len()];
    let range = out.doc_range(reader.max_doc());
    if range.is_empty() {
        return Ok(());
    }
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
    loop {
        // Counts and facets need every match.
        let worst = match (out.worst_score(), floor) {
            _ if wanted.count || wanted.facets => None,
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(worst) = worst {
            if target / STRETCH != stretch {
                stretch = target / STRETCH;
                boost = boost_of_stretch(out, stretch);
            }
            // Nothing left can reach the page.
            if !reaches(most, boost, worst) {
                break;
            }
            split.update(boost, worst);
        }
        // The first article from `target` on in an essential list.
        let mut candidate = TERMINATED;
        for &i in &split.essential {
            members[i].seek(target);
            candidate = candidate.min(members[i].doc());
        }
        if candidate >= range.end {
            break;
        }
        target = candidate + 1;
        // What the essential lists on it give, plus the most the others could, times the
        // recency bound (a few articles back, the same day or a day newer than its own); then
        // less, as each other list turns out not to have it.
        if let Some(worst) = worst {
            let mut bound = split.rest_max;
            for &i in &split.essential {
                if members[i].doc() == candidate {
                    bound += members[i].score();
                }
            }
            let mut rest = split.rest.iter();
            while reaches(bound, boost, worst)
                && let Some(&i) = rest.next()
            {
                members[i].seek(candidate);
                bound -= members[i].max;
                if members[i].doc() == candidate {
                    bound += members[i].score();
                }
            }
            if !reaches(bound, boost, worst) {
                continue;
            }
        }
        // Every group must have it; the first that does not says where the next match can be.
        if let Some(next) = lists_of.iter().find_map(|lists| {
            let mut first = TERMINATED;
            for &i in lists {
                members[i].seek(candidate);
                first = first.min(members[i].doc());
            }
            (first != candidate).then_some(first)
        }) {
            target = next;
            continue;
        }
        present.fill(None);
        for m in &mut members {
            if m.doc() == candidate {
                let sum = present[m.group].get_or_insert(0.0);
                *sum += m.score();
            }
        }
        // Summed as the full pass does: each group's fields, then the groups.
        let score: Score = present.iter().flatten().sum();
        let keep = alive.is_none_or(|a| a.is_alive(candidate))
            && !excluded
                .as_mut()
                .is_some_and(|e| lands_on(e.as_mut(), candidate))
            && filters.iter_mut().all(|f| lands_on(f.as_mut(), candidate));
        if keep {
            out.collect(candidate, score);
        }
    }
    Ok(())
}

/// Whether `docs` has `doc`, moving it there if it is before.
fn lands_on(docs: &mut dyn Scorer, doc: DocId) -> bool {
    if docs.doc() < doc {
        docs.seek(doc);
    }
    docs.doc() == doc
}
