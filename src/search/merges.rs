//! Which segments the writer merges: the small ones together as soon as there are two.
//!
//! Following the change log commits a segment or two (one per indexing thread) at each batch
//! of changes, beside the build's large segment. tantivy's default policy merges segments of
//! like sizes eight at a time, so an index kept up to date had up to seven small segments
//! beside the build's; a relevance search opens each word's lists in each of them (a word is
//! looked up in five fields), ~5 µs a segment. With the benchmark's 1M-article index as its
//! writes had left it (the build's segment and seven of 1 to 109 articles) the engine alone
//! took 304–325 µs a search against 264–282 µs once merged into one.
//!
//! So segments under [`SMALL`] articles are merged together as soon as there are two: a merge
//! of at most about that many articles, in the background. Larger ones are merged as tantivy's
//! default policy merges them, and a build leaves one segment (`SearchIndex::rebuild`).

use tantivy::index::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// Articles under which a segment counts as small: the size under which tantivy's default
/// policy puts every segment in its first level.
const SMALL: u32 = 10_000;

/// The policy the writer runs (set at its creation, and again after a build, which pauses it).
pub fn policy() -> Box<dyn MergePolicy> {
    Box::new(FewSegments::default())
}

/// Small segments merged as soon as there are two; the rest by [`LogMergePolicy`].
#[derive(Debug, Default)]
struct FewSegments {
    large: LogMergePolicy,
}

impl MergePolicy for FewSegments {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let (small, large): (Vec<SegmentMeta>, Vec<SegmentMeta>) =
            segments.iter().cloned().partition(|s| s.num_docs() < SMALL);
        let mut merges = self.large.compute_merge_candidates(&large);
        if small.len() > 1 {
            merges.push(MergeCandidate(small.iter().map(SegmentMeta::id).collect()));
        }
        merges
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Index;
    use tantivy::index::SegmentId;
    use tantivy::schema::{STORED, Schema};

    use super::*;

    /// Segments of `sizes` live articles (and `deleted` more in the first).
    fn metas(sizes: &[u32], deleted: u32) -> Vec<SegmentMeta> {
        let mut schema = Schema::builder();
        schema.add_u64_field("id", STORED);
        let index = Index::create_in_ram(schema.build());
        let mut metas: Vec<SegmentMeta> = (sizes.iter())
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect();
        if let Some(first) = metas.first_mut() {
            let grown = index.new_segment_meta(first.id(), first.max_doc() + deleted);
            *first = grown.with_delete_meta(deleted, 1);
        }
        metas
    }

    /// The merges asked for, each as the sizes of its segments (live articles), largest first.
    fn merges(segments: &[SegmentMeta]) -> Vec<Vec<u32>> {
        let size_of = |id: &SegmentId| {
            (segments.iter())
                .find(|s| s.id() == *id)
                .map_or(0, SegmentMeta::num_docs)
        };
        let mut merges: Vec<Vec<u32>> = (FewSegments::default())
            .compute_merge_candidates(segments)
            .iter()
            .map(|c| {
                let mut sizes: Vec<u32> = c.0.iter().map(size_of).collect();
                sizes.sort_unstable_by(|a, b| b.cmp(a));
                sizes
            })
            .collect();
        merges.sort();
        merges
    }

    #[test]
    fn small_segments_are_merged_as_soon_as_there_are_two() {
        // A build and one small segment: nothing to merge.
        assert!(merges(&metas(&[1_000_000, 109], 0)).is_empty());
        assert!(merges(&metas(&[1_000_000], 0)).is_empty());
        // The benchmark's index: the build's segment (with deletes) and seven small ones.
        assert_eq!(
            merges(&metas(&[1_000_000, 109, 4, 1, 1, 1, 1, 1], 120)),
            [vec![109, 4, 1, 1, 1, 1, 1]]
        );
        // A segment grown past small is not rewritten with every new one.
        assert_eq!(merges(&metas(&[1_000_000, 12_000, 3, 1], 0)), [vec![3, 1]]);
    }

    #[test]
    fn large_segments_are_merged_as_tantivys_policy_merges_them() {
        // Eight of a like size, as the default policy merges them.
        let eight = [40_000; 8];
        assert_eq!(merges(&metas(&eight, 0)), [eight.to_vec()]);
        assert!(merges(&metas(&eight[1..], 0)).is_empty());
        // Both at once.
        let mut both = eight.to_vec();
        both.extend([5, 2]);
        assert_eq!(merges(&metas(&both, 0)), [vec![5, 2], eight.to_vec()]);
    }
}
