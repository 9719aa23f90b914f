//! Search snippets: the passage of a text where the searched words are, with them in `<mark>`.
//!
//! A result page cuts 20 snippets from 1,500-character leads. Analysing every word of them (as
//! tantivy's `SnippetGenerator` does) cost as much as the search itself, so a word is analysed
//! only when it starts like a searched word: the stemmer rewrites endings, so a word and its
//! stem share their first two letters (but for "dying" → "die" and its like, covered below).
//! Words are cut as the index cuts them: runs of letters and digits.

use std::collections::HashMap;
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use crate::text::floor_char_boundary;

/// A snippet's length at most, in bytes of text (characters, in English).
const SNIPPET_LEN: usize = 200;

/// How far before its first word a snippet may start, to show what leads to it.
const CONTEXT: usize = 60;

/// Marks a search's words in texts.
pub struct Highlighter {
    /// The searched words, analysed.
    terms: Vec<String>,
    /// The first two letters (a 0 byte for a one-letter word) a text's word must start with,
    /// lower case, for its stem to be one of `terms` (see [`ascii_start`]): a bit for each
    /// pair of ASCII bytes, as [`Starts::has`] looks them up.
    starts: Starts,
    analyzer: TextAnalyzer,
    /// Words analysed so far, and which term each is: a page's leads repeat their words.
    seen: HashMap<String, Option<usize>>,
    /// The marks of the text being read ([`word_marks`]), kept from text to text.
    marks: Vec<u64>,
}

/// A set of pairs of ASCII bytes, a bit each: asked for every word of every lead on a page,
/// where a list of the pairs cost a compare per pair.
struct Starts([u64; 256]);

impl Starts {
    fn index([first, second]: [u8; 2]) -> Option<usize> {
        (first.is_ascii() && second.is_ascii())
            .then(|| usize::from(first) * 128 + usize::from(second))
    }

    fn insert(&mut self, pair: [u8; 2]) {
        if let Some(i) = Self::index(pair)
            && let Some(word) = self.0.get_mut(i / 64)
        {
            *word |= 1 << (i % 64);
        }
    }

    fn has(&self, pair: [u8; 2]) -> bool {
        Self::index(pair)
            .is_some_and(|i| self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1))
    }
}

impl Highlighter {
    /// A highlighter of `terms` (analysed by `analyzer`, the index's English analyzer).
    pub fn new(terms: Vec<String>, analyzer: TextAnalyzer) -> Self {
        let mut starts = Starts([0; 256]);
        // A term that starts with other than ASCII letters can only be a word's stem when the
        // word does too, and such words are always analysed.
        for start in terms.iter().filter_map(|t| ascii_start(t)) {
            // The stemmer's -ying exceptions: "dying" → "die", "lying" → "lie".
            match start {
                [b'i', 0] => starts.insert([b'y', 0]),
                [first, b'i'] => starts.insert([first, b'y']),
                _ => {}
            }
            starts.insert(start);
        }
        Self {
            terms,
            starts,
            analyzer,
            seen: HashMap::new(),
            marks: Vec::new(),
        }
    }

    /// The best passage of `text`, HTML-escaped with the searched words in `<mark>`, or `None`
    /// when none of them is in it. The best passage holds the most distinct words, then the
    /// most words, then comes first.
    pub fn snippet(&mut self, text: &str) -> Option<String> {
        let found = self.find(text);
        let mut best: Option<(Range<usize>, (u32, usize))> = None;
        for m in &found {
            let at = m.range.start;
            // The most its passage can hold: the words from a little more than `CONTEXT`
            // before it (a char boundary) to `SNIPPET_LEN` after. Cutting a passage scans its
            // text, so one that cannot beat the best is not cut.
            let most = tally(
                &found,
                at.saturating_sub(CONTEXT + 4)..at + SNIPPET_LEN,
                None,
            );
            if best.as_ref().is_some_and(|(_, b)| most < *b) {
                continue;
            }
            let w = window(text, at);
            let score = tally(&found, w.start..w.end, Some(&w));
            // The first of the best: on a tie the passage starting earlier wins, else the
            // later one (the same passage).
            let wins = best.as_ref().is_none_or(|(bw, b)| {
                score.cmp(b).then(bw.start.cmp(&w.start)) != std::cmp::Ordering::Less
            });
            if wins {
                best = Some((w, score));
            }
        }
        let (window, _) = best?;
        Some(render(text, &window, &found))
    }

    /// The searched words of `text`, in order.
    fn find(&mut self, text: &str) -> Vec<Found> {
        let mut marks = std::mem::take(&mut self.marks);
        word_marks(text, &mut marks);
        let mut found = Vec::new();
        for start in word_starts(&marks) {
            if !self.may_start(text.as_bytes(), start) {
                continue;
            }
            let range = start..word_end(&marks, text.len(), start);
            let word = part(text, range.clone());
            let term = match self.seen.get(word) {
                Some(term) => *term,
                None => {
                    let mut stream = self.analyzer.token_stream(word);
                    let term = stream
                        .next()
                        .and_then(|token| self.terms.iter().position(|t| *t == token.text));
                    self.seen.insert(word.to_owned(), term);
                    term
                }
            };
            if let Some(term) = term {
                found.push(Found { range, term });
            }
        }
        self.marks = marks;
        found
    }

    /// Whether the word of `text` starting at `at` may be a form of a searched word: its first
    /// two letters lower-cased are a searched word's (see [`ascii_start`]), compared only when
    /// ASCII (folding may turn any other into one: such a word is always analysed). Read
    /// from the bytes at the word's start, so that the end of a word is found only for the
    /// few that pass: this runs for every word of every lead on a page.
    fn may_start(&self, text: &[u8], at: usize) -> bool {
        let Some(first) = text.get(at).filter(|b| b.is_ascii()) else {
            return true;
        };
        let second = match text.get(at + 1) {
            Some(b) if b.is_ascii_alphanumeric() => b.to_ascii_lowercase(),
            // A letter of another script may go on the word: analyse it.
            Some(b) if !b.is_ascii() => return true,
            // A one-letter word.
            _ => 0,
        };
        self.starts.has([first.to_ascii_lowercase(), second])
    }
}

/// The first two characters of `word`, lower case, when both are ASCII (the second is 0 for a
/// one-letter word).
fn ascii_start(word: &str) -> Option<[u8; 2]> {
    let mut start = [0_u8; 2];
    for (byte, c) in start.iter_mut().zip(word.chars()) {
        *byte = u8::try_from(c)
            .ok()
            .filter(u8::is_ascii)?
            .to_ascii_lowercase();
    }
    Some(start)
}

/// A searched word found in a text: where, and which.
struct Found {
    range: Range<usize>,
    term: usize,
}

/// Where `text`'s words (runs of letters and digits) start, from its [`word_marks`]: a marked
/// byte whose predecessor is not, 64 bytes at a time (a test per character cost a quarter
/// more: a branch the processor mispredicts at both ends of every word). A word's end is
/// looked for only when asked ([`word_end`]).
fn word_starts(marks: &[u64]) -> impl Iterator<Item = usize> + '_ {
    // Whether the last byte of the previous 64 is marked.
    let mut carry = 0;
    marks.iter().enumerate().flat_map(move |(chunk, &m)| {
        let mut starts = m & !((m << 1) | carry);
        carry = m >> 63;
        std::iter::from_fn(move || {
            if starts == 0 {
                return None;
            }
            let bit = usize::try_from(starts.trailing_zeros()).ok()?;
            starts &= starts - 1;
            Some(chunk * 64 + bit)
        })
    })
}

/// The end of the word starting at `start` in a text of `len` bytes with these marks.
fn word_end(marks: &[u64], len: usize, start: usize) -> usize {
    next_mark(marks, start, false).map_or(len, |end| end.min(len))
}

/// One bit per byte of `text` into `marks`, set where the byte belongs to a letter or a digit.
fn word_marks(text: &str, marks: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    marks.clear();
    marks.resize(bytes.len().div_ceil(64), 0);
    // Eight bytes at a time ([`ascii_alnum_bits`]); the last few padded with zeros, which
    // are not letters.
    let eights = bytes.chunks_exact(8);
    let mut last = [0_u8; 8];
    for (pad, byte) in last.iter_mut().zip(eights.remainder()) {
        *pad = *byte;
    }
    let words = eights.map(|eight| <[u8; 8]>::try_from(eight).unwrap_or_default());
    for (i, eight) in words.chain(std::iter::once(last)).enumerate() {
        if let Some(m) = marks.get_mut(i / 8) {
            *m |= u64::from(ascii_alnum_bits(u64::from_le_bytes(eight))) << (8 * (i % 8));
        }
    }
    // Bytes of other characters are unmarked so far: mark those of letters and digits.
    if !text.is_ascii() {
        let others = text.char_indices().filter(|(_, c)| !c.is_ascii());
        for (at, c) in others.filter(|(_, c)| c.is_alphanumeric()) {
            for byte in at..at + c.len_utf8() {
                if let Some(m) = marks.get_mut(byte / 64) {
                    *m |= 1 << (byte % 64);
                }
            }
        }
    }
}

/// Bit `i` set where byte `i` of `word` (little-endian) is an ASCII letter or digit, for the
/// eight bytes at once (a loop over single bytes, which the compiler could not vectorise
/// well, was 4 % of a search request's CPU). Range checks on the bytes' low seven bits, in
/// which adding less than 0x80 carries into a byte's high bit and never beyond it.
fn ascii_alnum_bits(word: u64) -> u8 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = word & !HIGH;
    // The high bit of each byte of `v` that is at least `lo`, or more than `hi`.
    let at_least = |v: u64, lo: u8| (v + u64::from(0x80 - lo) * ONES) & HIGH;
    let above = |v: u64, hi: u8| (v + u64::from(0x7f - hi) * ONES) & HIGH;
    let digit = at_least(low, b'0') & !above(low, b'9');
    // Upper case to lower; no other byte lands in a..z.
    let folded = low | (0x20 * ONES);
    let letter = at_least(folded, b'a') & !above(folded, b'z');
    // Bytes past ASCII are parts of other characters (their low bits mean nothing).
    let found = (digit | letter) & !word & HIGH;
    // Byte k's high bit to bit 56 + k; the other products land apart from those (no carries).
    u8::try_from((found >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56).unwrap_or(0)
}

/// The first byte from `from` on whose mark is `set` (past the text when none is unset).
fn next_mark(marks: &[u64], from: usize, set: bool) -> Option<usize> {
    let pick = |m: u64| if set { m } else { !m };
    let mut chunk = from / 64;
    let mut bits = pick(*marks.get(chunk)?) & (u64::MAX << (from % 64));
    while bits == 0 {
        chunk += 1;
        bits = pick(*marks.get(chunk)?);
    }
    usize::try_from(bits.trailing_zeros())
        .ok()
        .map(|bit| chunk * 64 + bit)
}

/// The passage shown for a word at `at`: from the start of its sentence when that is near,
/// else from a word shortly before; at most [`SNIPPET_LEN`] bytes, ending after a whole word.
fn window(text: &str, at: usize) -> Range<usize> {
    let earliest = floor_char_boundary(text, at.saturating_sub(CONTEXT));
    let before = part(text, earliest..at);
    let start = if earliest == 0 {
        0
    } else if let Some((_, after)) = before.rsplit_once(['.', '!', '?']) {
        // The sentence that holds the word.
        at - after.trim_start().len()
    } else {
        // A whole word: after the first space past `earliest`, if the word is not the first.
        before.find(' ').map_or(at, |i| earliest + i + 1)
    };
    let mut end = floor_char_boundary(text, start + SNIPPET_LEN);
    if end < text.len() {
        // Back to the end of the last whole word, keeping at least the found word.
        let cut = part(text, start..end)
            .rfind(|c: char| !c.is_alphanumeric())
            .map_or(end, |i| start + i);
        end = floor_char_boundary(text, cut.max(at + 1).min(end));
    }
    start..end
}

/// `text[range]`. The ranges here come from `char_indices` and char boundaries; one that
/// were not would give an empty passage rather than a panic.
fn part(text: &str, range: Range<usize>) -> &str {
    text.get(range).unwrap_or_default()
}

/// The distinct terms and the words among `found` (in order) starting in `starts`, and inside
/// `within` if given.
fn tally(found: &[Found], starts: Range<usize>, within: Option<&Range<usize>>) -> (u32, usize) {
    let first = found.partition_point(|m| m.range.start < starts.start);
    let words = (found.get(first..).unwrap_or_default().iter())
        .take_while(|m| m.range.start < starts.end)
        .filter(|m| within.is_none_or(|w| contains(w, &m.range)));
    // A bit per term: a query has fewer (`MAX_QUERY` characters).
    let (distinct, count) = words.fold((0_u128, 0_usize), |(d, n), m| {
        let bit = u32::try_from(m.term)
            .ok()
            .and_then(|t| 1_u128.checked_shl(t));
        (d | bit.unwrap_or(0), n + 1)
    });
    (distinct.count_ones(), count)
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// `text[window]` HTML-escaped, the found words inside it in `<mark>`, with an ellipsis where
/// it cuts a sentence.
fn render(text: &str, window: &Range<usize>, found: &[Found]) -> String {
    let mut out = String::with_capacity(window.len() + 64);
    let opens_sentence = part(text, 0..window.start)
        .trim_end()
        .chars()
        .next_back()
        .is_none_or(|c| matches!(c, '.' | '!' | '?'));
    if !opens_sentence {
        out.push('…');
    }
    let mut at = window.start;
    for m in found.iter().filter(|m| contains(window, &m.range)) {
        escape_into(&mut out, part(text, at..m.range.start));
        out.push_str("<mark>");
        escape_into(&mut out, part(text, m.range.clone()));
        out.push_str("</mark>");
        at = m.range.end;
    }
    escape_into(&mut out, part(text, at..window.end).trim_end());
    if window.end < text.len() {
        out.push('…');
    }
    out
}

/// `text` HTML-escaped onto `out`.
fn escape_into(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::schema;

    fn highlighter(query: &[&str]) -> Highlighter {
        let terms = query.iter().map(|w| (*w).to_owned()).collect();
        Highlighter::new(terms, schema::english())
    }

    #[test]
    fn marks_every_form_of_a_word_and_escapes_the_rest() {
        let mut h = highlighter(&["launch", "die"]);
        let s = h
            .snippet("Xiaomi <b>LAUNCHED</b> & is launching; dying phones.")
            .expect("found");
        assert_eq!(
            s,
            "Xiaomi &lt;b&gt;<mark>LAUNCHED</mark>&lt;/b&gt; &amp; is <mark>launching</mark>; \
             <mark>dying</mark> phones."
        );
    }

    #[test]
    fn nothing_found_is_none() {
        let mut h = highlighter(&["nokia"]);
        assert_eq!(h.snippet("Xiaomi launches a phone."), None);
        assert_eq!(h.snippet(""), None);
    }

    #[test]
    fn folded_words_match() {
        let mut h = highlighter(&["cafe"]);
        let s = h.snippet("Le Café d'été").expect("found");
        assert!(s.contains("<mark>Café</mark>"), "{s}");
    }

    #[test]
    fn the_passage_with_the_most_distinct_words_wins() {
        let filler = "Nothing to see in this sentence at all. ".repeat(10);
        let text = format!(
            "Xiaomi first. {filler}Then Xiaomi and Nokia signed a deal. {filler}Nokia last."
        );
        let mut h = highlighter(&["xiaomi", "nokia"]);
        let s = h.snippet(&text).expect("found");
        assert!(
            s.starts_with("Then <mark>Xiaomi</mark> and <mark>Nokia</mark> signed"),
            "{s}"
        );
        assert!(s.ends_with('…'), "{s}");
        let shown = s.replace("<mark>", "").replace("</mark>", "");
        assert!(shown.len() <= SNIPPET_LEN + 2 * '…'.len_utf8(), "{s}");
    }

    /// The passage the snippet shows, found by cutting every found word's passage.
    fn best_of_every_passage(text: &str, found: &[Found]) -> Option<Range<usize>> {
        let scored = found.iter().map(|m| {
            let w = window(text, m.range.start);
            let inside: Vec<&Found> = found.iter().filter(|f| contains(&w, &f.range)).collect();
            let mut distinct: Vec<usize> = inside.iter().map(|f| f.term).collect();
            distinct.sort_unstable();
            distinct.dedup();
            (w, (distinct.len(), inside.len()))
        });
        // The first of the best: `max_by` keeps the last, so compare reversed offsets.
        let best = scored.max_by(|(a, sa), (b, sb)| sa.cmp(sb).then(b.start.cmp(&a.start)));
        best.map(|(w, _)| w)
    }

    #[test]
    fn passages_left_uncut_could_not_have_won() {
        // Texts of words drawn from a few, some searched, in sentences of random lengths: the
        // passages that the count of found words leaves uncut would not have been chosen.
        let words = [
            "nokia", "xiaomi", "deal", "phone", "the", "patents", "of", "signs",
        ];
        let mut seed: u64 = 42;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        let mut checked = 0;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..(20 + next(200)) {
                text.push_str(words.get(next(words.len())).copied().unwrap_or("x"));
                text.push_str(if next(8) == 0 { ". " } else { " " });
            }
            let mut h = highlighter(&["nokia", "xiaomi", "deal"]);
            let found = h.find(&text);
            let expected = best_of_every_passage(&text, &found).map(|w| render(&text, &w, &found));
            checked += usize::from(found.len() > 3);
            assert_eq!(h.snippet(&text), expected, "{text}");
        }
        assert!(checked > 200, "{checked} texts with several found words");
    }

    #[test]
    fn a_passage_cut_mid_sentence_says_so_and_ends_on_a_whole_word() {
        let text = format!(
            "{} the phone launched {}",
            "word ".repeat(40),
            "more ".repeat(60)
        );
        let mut h = highlighter(&["launch"]);
        let s = h.snippet(&text).expect("found");
        assert!(s.starts_with("…word "), "{s}");
        assert!(s.contains("<mark>launched</mark>"), "{s}");
        assert!(s.ends_with("more…"), "{s}");
    }

    /// A highlighter of any word the English analyzer makes of a text marks it wherever it is:
    /// the two-letter gate never skips a word whose stem is searched.
    #[test]
    fn the_gate_skips_no_form_of_a_word() {
        let text = "Xiaomi's launches, launching, flies dying lying tying skis news early gently \
                    Cafés happily generously agreed proceeding ugly yellow eyes eying i a \
                    Nokia's relational conditional sensibilities dries y ys Ωmega";
        let mut english = schema::english();
        for word in schema::tokens(&mut english, text) {
            let mut h = Highlighter::new(vec![word.clone()], schema::english());
            let marked: Vec<String> = h
                .find(text)
                .iter()
                .map(|m| part(text, m.range.clone()).to_owned())
                .collect();
            let expected = words(text)
                .into_iter()
                .filter(|r| schema::tokens(&mut english, part(text, r.clone())) == [word.clone()])
                .map(|r| part(text, r).to_owned())
                .collect::<Vec<_>>();
            assert_eq!(marked, expected, "{word}");
        }
    }

    /// The byte ranges of `text`'s words, as the highlighter cuts them.
    fn words(text: &str) -> Vec<Range<usize>> {
        let mut marks = Vec::new();
        word_marks(text, &mut marks);
        word_starts(&marks)
            .map(|start| start..word_end(&marks, text.len(), start))
            .collect()
    }

    /// Words as the index cuts them, a character at a time.
    fn words_one_by_one(text: &str) -> Vec<Range<usize>> {
        let mut found = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    found.push(s..i);
                    start = None;
                }
                _ => {}
            }
        }
        found.extend(start.map(|s| s..text.len()));
        found
    }

    #[test]
    fn words_are_cut_as_the_index_cuts_them() {
        let pieces = [
            "a",
            "Xiaomi",
            " ",
            "’",
            "é",
            "Ωmega",
            "42",
            "—",
            "日本",
            ".",
            "\u{1F600}",
            "x1",
        ];
        // Lengths around the 64-byte marks, with characters of 1 to 4 bytes across them.
        for len in [0, 1, 5, 40, 63, 64, 65, 127, 128, 129, 300] {
            for offset in 0..pieces.len() {
                let mut text = String::new();
                let mut i = offset;
                while text.len() < len {
                    text.push_str(pieces.get(i % pieces.len()).copied().unwrap_or(" "));
                    i += 3;
                }
                assert_eq!(words(&text), words_one_by_one(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn eight_bytes_are_marked_as_one_at_a_time() {
        // Every byte value at every position, beside bytes that are and are not marked.
        for byte in 0..=u8::MAX {
            for at in 0..8 {
                for fill in [b'a', b' ', b'Z', 0x80, 0xff] {
                    let mut eight = [fill; 8];
                    if let Some(b) = eight.get_mut(at) {
                        *b = byte;
                    }
                    let expected = (eight.iter().enumerate())
                        .map(|(i, b)| u8::from(b.is_ascii_alphanumeric()) << i)
                        .fold(0, |a, b| a | b);
                    let bits = ascii_alnum_bits(u64::from_le_bytes(eight));
                    assert_eq!(bits, expected, "{eight:?}");
                }
            }
        }
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries() {
        let text = format!("{} launch {}", "é".repeat(150), "ü".repeat(300));
        let mut h = highlighter(&["launch"]);
        let s = h.snippet(&text).expect("found");
        assert!(s.contains("<mark>launch</mark>"), "{s}");
    }
}
