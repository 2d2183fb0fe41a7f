//! Phrase extraction: which words of a question name the business term the metadata lacks.
//!
//! A question is split into word tokens, each classed as a stopword, a time word (the date
//! grammar every NL-to-SQL system understands: years, months, quarters, "last", "this", …), a
//! number, an aggregation word ("total", "average", "top", …) or a content word. A content word
//! is *explained* by an object when its light stem equals the stem of a part of the object's
//! name (names split on `_`), of one of its synonyms, or of a literal the gold query filters on.
//!
//! A term span is a maximal run of adjacent content and aggregation tokens that are not
//! explained by the *other* objects of the gold query (its tables, dimensions, filter literals);
//! it qualifies when it holds at least one content word that is either unexplained by anything
//! or explained by the *target* object (the column, measure or function the fix will document).
//! Leading aggregation words are part of the full phrase ("average daily rate") and dropped from
//! its core ("daily rate"). Nothing here knows a benchmark or a domain: the method is the same
//! for every space.

use std::collections::BTreeSet;

/// How a token is used in the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Stop,
    Time,
    Number,
    Aggregation,
    Content,
}

/// One word of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Lower case, as written.
    pub word: String,
    pub stem: String,
    pub class: Class,
}

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "what", "which", "who", "whom", "how", "many", "much", "is", "are", "was",
    "were", "be", "been", "being", "do", "does", "did", "done", "we", "our", "us", "i", "you",
    "your", "have", "has", "had", "of", "in", "on", "for", "by", "to", "from", "with", "per",
    "and", "or", "there", "that", "it", "its", "at", "as", "each", "all", "me", "show", "give",
    "list", "tell", "please", "any", "some", "did", "into", "over", "during", "than", "their",
    "they", "them", "these", "those", "so", "far", "ever", "yet", "about",
];

const TIME_WORDS: &[&str] = &[
    "last",
    "this",
    "next",
    "past",
    "previous",
    "current",
    "year",
    "years",
    "month",
    "months",
    "quarter",
    "quarters",
    "week",
    "weeks",
    "day",
    "days",
    "today",
    "yesterday",
    "ytd",
    "q1",
    "q2",
    "q3",
    "q4",
    "between",
    "since",
    "ago",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "first",
    "second",
    "half",
    "h1",
    "h2",
    "date",
    "dates",
];

const AGGREGATION_WORDS: &[&str] = &[
    "total", "sum", "average", "avg", "mean", "count", "number", "top", "highest", "lowest",
    "most", "least", "max", "maximum", "min", "minimum", "more", "fewer", "less", "greater",
    "bottom", "best", "worst",
];

/// A light, general stemmer: plural and possessive endings only.
pub fn stem(word: &str) -> String {
    let w = word.trim_end_matches("'s").to_lowercase();
    if w.len() > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    let keeps_s = ["ss", "us", "is", "ys"].iter().any(|e| w.ends_with(e));
    if w.len() > 3 && w.ends_with('s') && !keeps_s {
        return w[..w.len() - 1].to_owned();
    }
    w
}

/// The stems of a name's parts (`total_amount` → `total`, `amount`; `main.wb.bookings` →
/// `booking`). Only the last dotted segment counts.
pub fn name_stems(name: &str) -> BTreeSet<String> {
    let last = name.rsplit('.').next().unwrap_or(name).trim_matches('`');
    words(last).into_iter().map(|w| stem(&w)).collect()
}

/// Lower-case alphanumeric words of a text (`_`, punctuation and spaces separate words).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Tokenizes and classes a question.
pub fn tokenize(question: &str) -> Vec<Token> {
    words(question)
        .into_iter()
        .map(|word| {
            let class = if word.chars().all(|c| c.is_ascii_digit()) {
                Class::Number
            } else if STOPWORDS.contains(&word.as_str()) {
                Class::Stop
            } else if TIME_WORDS.contains(&word.as_str()) {
                Class::Time
            } else if AGGREGATION_WORDS.contains(&word.as_str()) {
                Class::Aggregation
            } else {
                Class::Content
            };
            Token {
                stem: stem(&word),
                word,
                class,
            }
        })
        .collect()
}

/// A term found in a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The words as written, leading aggregation words included ("average daily rate").
    pub full: String,
    /// Without leading aggregation words ("daily rate").
    pub core: String,
    /// Content words of the span explained by nothing.
    pub unexplained: Vec<String>,
}

impl Term {
    /// The distinct spellings worth recording as synonyms: the full phrase, then the core.
    pub fn spellings(&self) -> Vec<String> {
        let mut out = vec![self.full.clone()];
        if self.core != self.full && !self.core.is_empty() {
            out.push(self.core.clone());
        }
        out
    }
}

/// The vocabulary a phrase search works against: stems explained by the target object, and
/// stems explained by the other objects of the gold query.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub target: BTreeSet<String>,
    pub other: BTreeSet<String>,
}

impl Vocabulary {
    /// Adds the stems of names (split on `_` and `.`) to the target side.
    pub fn target_names<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for n in names {
            self.target.extend(name_stems(n));
        }
        self
    }

    /// Adds the stems of names and literals to the other side.
    pub fn other_names<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for n in names {
            self.other.extend(words(n).iter().map(|w| stem(w)));
        }
        self
    }
}

/// The best term span of `question` for the target of `vocabulary`: the span with the most
/// unexplained content words, then the longest; `None` when no span qualifies.
pub fn term(question: &str, vocabulary: &Vocabulary) -> Option<Term> {
    let tokens = tokenize(question);
    let in_span = |t: &Token| {
        let free = vocabulary.target.contains(&t.stem) || !vocabulary.other.contains(&t.stem);
        free && matches!(t.class, Class::Content | Class::Aggregation)
    };
    let mut spans: Vec<&[Token]> = Vec::new();
    let mut start = None;
    for (i, t) in tokens.iter().enumerate() {
        match (in_span(t), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push(&tokens[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push(&tokens[s..]);
    }
    spans
        .into_iter()
        .filter_map(|span| make_term(span, vocabulary))
        .max_by_key(|t| (t.unexplained.len(), t.full.split(' ').count()))
}

fn make_term(span: &[Token], vocabulary: &Vocabulary) -> Option<Term> {
    let content = |t: &&Token| t.class == Class::Content;
    let unexplained: Vec<String> = span
        .iter()
        .filter(content)
        .filter(|t| !vocabulary.target.contains(&t.stem) && !vocabulary.other.contains(&t.stem))
        .map(|t| t.word.clone())
        .collect();
    let targeted = span
        .iter()
        .filter(content)
        .any(|t| vocabulary.target.contains(&t.stem));
    if unexplained.is_empty() && !targeted {
        return None;
    }
    // Trailing aggregation words never belong to the term.
    let end = span.iter().rposition(|t| t.class == Class::Content)? + 1;
    let span = &span[..end];
    let first_content = span.iter().position(|t| t.class == Class::Content)?;
    let join = |ts: &[Token]| {
        ts.iter()
            .map(|t| t.word.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(Term {
        full: join(span),
        core: join(&span[first_content..]),
        unexplained,
    })
}

/// Whether the question mentions `literal` (case-insensitive, whole words, plural tolerated).
pub fn mentions_literal(question: &str, literal: &str) -> bool {
    let wanted: Vec<String> = words(literal).iter().map(|w| stem(w)).collect();
    if wanted.is_empty() {
        return false;
    }
    let stems: Vec<String> = tokenize(question).into_iter().map(|t| t.stem).collect();
    stems.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(target: &[&str], other: &[&str]) -> Vocabulary {
        Vocabulary::default()
            .target_names(target.iter().copied())
            .other_names(other.iter().copied())
    }

    #[test]
    fn the_verb_no_object_explains_is_the_term() {
        let t = term(
            "How many orders were placed last month?",
            &vocab(&["created_at"], &["orders"]),
        );
        assert_eq!(t.map(|t| t.full), Some("placed".to_owned()));
    }

    #[test]
    fn leading_aggregation_words_are_in_the_full_phrase_but_not_the_core() {
        let t = term(
            "What is the average daily rate for villas?",
            &vocab(&["adr"], &["booking_metrics", "property_type", "villa"]),
        )
        .unwrap_or_else(|| panic!("a term"));
        assert_eq!(t.spellings(), vec!["average daily rate", "daily rate"]);
        assert_eq!(t.unexplained, vec!["daily", "rate"]);
    }

    #[test]
    fn a_term_made_of_the_target_name_qualifies_when_nothing_else_is_left() {
        let t = term(
            "What was confirmed revenue by property type?",
            &vocab(&["confirmed_revenue"], &["property_type"]),
        );
        assert_eq!(t.map(|t| t.full), Some("confirmed revenue".to_owned()));
    }

    #[test]
    fn other_objects_and_literals_break_the_span() {
        let t = term(
            "Top 3 regions by confirmed sales in 2024",
            &vocab(&["amount"], &["region", "confirmed"]),
        );
        assert_eq!(t.map(|t| t.full), Some("sales".to_owned()));
    }

    #[test]
    fn literals_match_whole_words_with_plurals() {
        assert!(mentions_literal("How many cabins are listed?", "cabin"));
        assert!(mentions_literal("Bookings in CA?", "CA"));
        assert!(!mentions_literal("How many cars?", "ca"));
    }

    #[test]
    fn the_stemmer_strips_plurals_only() {
        assert_eq!(stem("properties"), "property");
        assert_eq!(stem("bookings"), "booking");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("made"), "made");
    }
}
