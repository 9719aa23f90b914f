//! The query syntax readers and editors type, and the index query it becomes.
//!
//! - words: every one is required (`xiaomi nokia`);
//! - `"a phrase"`: its words next to each other, in order;
//! - `-word` or `-"a phrase"`: articles containing it are left out;
//! - the last word, unless the query ends with a space, also matches as a prefix (`xiaomi
//!   laun` finds "launch", "launches" and "launching"): search as you type.
//!
//! Words are matched as the index stores them: lower-cased, diacritics folded, English stop
//! words dropped, stemmed. Anything else is text: there are no field names or operators to
//! get wrong, and the only malformed queries are an unclosed quote, a `-` before nothing,
//! exclusions alone, and too many words.

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::schema::{self, Fields};

/// Longest query accepted, in characters.
pub const MAX_QUERY: usize = 200;

/// Words and phrases a query may have.
pub const MAX_CLAUSES: usize = 16;

/// A prefix shorter than this matches as a whole word only: a one-letter prefix would expand to
/// a large share of the vocabulary.
const MIN_PREFIX: usize = 2;

/// Index terms a prefix expands to at most (the first in order), bounding its cost.
pub const MAX_EXPANSIONS: u16 = 64;

/// Why a query cannot be run: a message for the reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

/// One word or phrase as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    text: String,
    exclude: bool,
    /// Matches as the prefix of a word too (the last word of a query).
    prefix: bool,
}

/// Splits a query into clauses.
fn clauses(raw: &str) -> Result<Vec<Clause>, SyntaxError> {
    let mut out = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let exclude = c == '-';
        if exclude {
            chars.next();
            if chars.peek().is_none_or(|c| c.is_whitespace()) {
                return Err(SyntaxError(
                    "`-` must come right before the word or \"phrase\" to leave out".into(),
                ));
            }
        }
        let mut text = String::new();
        let mut phrase = false;
        if chars.peek() == Some(&'"') {
            chars.next();
            phrase = true;
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                text.push(c);
            }
            if !closed {
                return Err(SyntaxError(
                    "a quote is not closed: phrases go between two `\"`".into(),
                ));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                text.push(c);
                chars.next();
            }
        }
        out.push(Clause {
            text,
            exclude,
            prefix: !phrase && !exclude,
        });
    }
    // Only the last word is typed still, and only when nothing follows it.
    let open_end = raw.chars().last().is_some_and(|c| !c.is_whitespace());
    let last = out.len().saturating_sub(1);
    for (i, clause) in out.iter_mut().enumerate() {
        clause.prefix &= open_end && i == last;
    }
    if out.len() > MAX_CLAUSES {
        return Err(SyntaxError(format!(
            "a search has at most {MAX_CLAUSES} words and phrases"
        )));
    }
    if !out.is_empty() && out.iter().all(|c| c.exclude) {
        return Err(SyntaxError(
            "a search needs a word to find: exclusions alone match nothing".into(),
        ));
    }
    Ok(out)
}

/// What one clause matches: its analyzed words (two or more make a phrase) and, for the last
/// word, the prefix of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    words: Vec<String>,
    prefix: Option<String>,
}

/// A parsed query, ready to become an index query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    required: Vec<Group>,
    excluded: Vec<Group>,
}

impl Plan {
    /// Parses `raw` with the index's analyzers.
    pub fn parse(raw: &str) -> Result<Plan, SyntaxError> {
        let mut english = schema::english();
        let mut plain = schema::plain();
        let mut plan = Plan {
            required: Vec::new(),
            excluded: Vec::new(),
        };
        for clause in clauses(raw)? {
            let words = schema::tokens(&mut english, &clause.text);
            let prefix = if clause.prefix {
                // One word typed: its one plain token, if long enough to be worth expanding.
                match schema::tokens(&mut plain, &clause.text).as_slice() {
                    // A whole stop word is dropped, not expanded.
                    [one] if one.chars().count() >= MIN_PREFIX && !schema::is_stop_word(one) => {
                        Some(one.clone())
                    }
                    _ => None,
                }
            } else {
                None
            };
            // Stop words and punctuation alone leave nothing to match: the clause is dropped.
            if words.is_empty() && prefix.is_none() {
                continue;
            }
            let group = Group { words, prefix };
            if clause.exclude {
                plan.excluded.push(group);
            } else {
                plan.required.push(group);
            }
        }
        Ok(plan)
    }

    /// Whether no article can match: nothing was left to look for.
    pub fn finds_nothing(&self) -> bool {
        self.required.is_empty()
    }

    /// The analyzed words to highlight in snippets.
    pub fn highlighted(&self) -> Vec<String> {
        self.required
            .iter()
            .flat_map(|g| g.words.iter().cloned())
            .collect()
    }

    /// The index query: every required group, none of the excluded ones.
    pub fn query(&self, f: &Fields) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for group in &self.required {
            clauses.push((Occur::Must, group_query(f, group)));
        }
        for group in &self.excluded {
            clauses.push((Occur::MustNot, group_query(f, group)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// What a prefix match adds to a group's score: it says the word is there; the other words
/// rank.
pub const PREFIX_SCORE: f32 = 0.5;

/// A group matched in any text field, each field's score weighted.
fn group_query(f: &Fields, group: &Group) -> Box<dyn Query> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !group.words.is_empty() {
        for (field, boost) in schema::weighted(f) {
            any.push((
                Occur::Should,
                Box::new(BoostQuery::new(words_query(field, &group.words), boost)),
            ));
        }
    }
    if let Some(prefix) = &group.prefix {
        any.push((Occur::Should, prefix_query(f, prefix)));
    }
    Box::new(BooleanQuery::new(any))
}

/// The words a prefix may complete to, scoring [`PREFIX_SCORE`].
fn prefix_query(f: &Fields, prefix: &str) -> Box<dyn Query> {
    let mut query = PhrasePrefixQuery::new(vec![Term::from_field_text(f.words, prefix)]);
    query.set_max_expansions(u32::from(MAX_EXPANSIONS));
    Box::new(ConstScoreQuery::new(Box::new(query), PREFIX_SCORE))
}

/// A required group of one word, as [`Plan::word_groups`] gives it to the pruned search: the
/// word's term in each text field with that field's boost, and the prefix (a term of the
/// `words` field) that completes to at most [`MAX_EXPANSIONS`] words scoring [`PREFIX_SCORE`].
/// Its score is the same sum `group_query` makes.
pub struct WordGroup {
    pub terms: Vec<(Term, f32)>,
    pub prefix: Option<Term>,
}

impl Plan {
    /// The required groups as single words, or `None` when one is a phrase (phrases have no
    /// per-block score bounds: they take the full pass).
    pub fn word_groups(&self, f: &Fields) -> Option<Vec<WordGroup>> {
        self.required
            .iter()
            .map(|group| {
                let terms = match group.words.as_slice() {
                    [] => Vec::new(),
                    [word] => schema::weighted(f)
                        .into_iter()
                        .map(|(field, boost)| (Term::from_field_text(field, word), boost))
                        .collect(),
                    _ => return None,
                };
                Some(WordGroup {
                    terms,
                    prefix: group
                        .prefix
                        .as_deref()
                        .map(|p| Term::from_field_text(f.words, p)),
                })
            })
            .collect()
    }

    /// What leaves an article out: any excluded group; `None` when there is none.
    pub fn exclusions(&self, f: &Fields) -> Option<Box<dyn Query>> {
        if self.excluded.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(
            self.excluded
                .iter()
                .map(|g| (Occur::Should, group_query(f, g)))
                .collect(),
        )))
    }
}

/// One word, or a phrase of several, in one field.
fn words_query(field: Field, words: &[String]) -> Box<dyn Query> {
    let terms: Vec<Term> = words
        .iter()
        .map(|w| Term::from_field_text(field, w))
        .collect();
    match terms.as_slice() {
        [one] => Box::new(TermQuery::new(one.clone(), IndexRecordOption::WithFreqs)),
        _ => Box::new(PhraseQuery::new(terms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(plan: &Plan) -> Vec<Vec<String>> {
        plan.required.iter().map(|g| g.words.clone()).collect()
    }

    #[test]
    fn words_are_stemmed_folded_and_stop_words_dropped() {
        let plan = Plan::parse("The Cafés launching ").expect("parses");
        assert_eq!(words(&plan), [vec!["cafe"], vec!["launch"]]);
        assert!(plan.required.iter().all(|g| g.prefix.is_none()));
    }

    #[test]
    fn the_last_word_is_also_a_prefix_unless_a_space_follows() {
        let plan = Plan::parse("xiaomi laun").expect("parses");
        assert_eq!(plan.required[1].prefix.as_deref(), Some("laun"));
        assert_eq!(plan.required[0].prefix, None);
        assert_eq!(
            Plan::parse("xiaomi laun ").expect("parses").required[1].prefix,
            None
        );
        // Too short to expand.
        assert_eq!(Plan::parse("x").expect("parses").required[0].prefix, None);
    }

    #[test]
    fn phrases_and_exclusions() {
        let plan = Plan::parse("\"global launch\" -nokia -\"stalled plans\"").expect("parses");
        assert_eq!(words(&plan), [vec!["global", "launch"]]);
        assert_eq!(plan.excluded.len(), 2);
        assert_eq!(plan.excluded[1].words, ["stall", "plan"]);
        // A hyphen inside a word is not an exclusion.
        assert_eq!(
            words(&Plan::parse("wi-fi").expect("parses")),
            [vec!["wi", "fi"]]
        );
    }

    #[test]
    fn malformed_queries_say_what_is_wrong() {
        for bad in ["\"open", "xiaomi -", "- nokia", "-nokia", "-\"a b\""] {
            assert!(Plan::parse(bad).is_err(), "{bad}");
        }
        let many = vec!["word"; MAX_CLAUSES + 1].join(" ");
        assert!(Plan::parse(&many).is_err());
    }

    #[test]
    fn nothing_to_find() {
        assert!(Plan::parse("the of ***").expect("parses").finds_nothing());
        assert!(Plan::parse("").expect("parses").finds_nothing());
    }
}
