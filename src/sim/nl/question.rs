//! Normalizing a question: tokens with stems, and the small grammars Genie-like engines apply
//! before linking — time ranges pinned to `as_of`, top-N and order words, aggregation words and
//! numeric comparisons. Matched phrases are blanked out so linking never sees them twice.

use std::sync::LazyLock;

use chrono::{Datelike, Days, Months, NaiveDate};
use regex::Regex;

/// One word of the question.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// As written (literals keep their case).
    pub text: String,
    /// Lower case.
    pub lower: String,
    /// Light stem of `lower`.
    pub stem: String,
    /// Byte offset in the question.
    pub at: usize,
}

/// A half-open date range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl TimeRange {
    /// The last day inside the range.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }
}

/// Requested aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggWord {
    Count,
    Sum,
    Avg,
    Max,
    Min,
}

impl AggWord {
    /// The SQL function name.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Count => "COUNT",
            Self::Sum => "SUM",
            Self::Avg => "AVG",
            Self::Max => "MAX",
            Self::Min => "MIN",
        }
    }
}

/// A numeric comparison such as "more than 3 bedrooms".
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub op: &'static str,
    pub value: String,
    /// Stem of the word right after the number, if any ("bedroom").
    pub subject: Option<String>,
}

/// A question after normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub raw: String,
    /// Content tokens (stopwords and grammar phrases removed), in order.
    pub tokens: Vec<Token>,
    pub time: Option<TimeRange>,
    pub limit: Option<u64>,
    /// `Some(true)` for descending ("top", "most"), `Some(false)` for ascending ("lowest").
    pub descending: Option<bool>,
    pub agg: Option<AggWord>,
    pub comparisons: Vec<Comparison>,
    /// Byte offsets where a grouping word ("by", "per", "each") sits.
    pub group_marks: Vec<usize>,
    /// Quoted literals ('x' or "x").
    pub quoted: Vec<String>,
}

const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "for",
    "to",
    "and",
    "or",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "what",
    "which",
    "who",
    "whom",
    "how",
    "many",
    "much",
    "do",
    "does",
    "did",
    "we",
    "our",
    "us",
    "i",
    "me",
    "my",
    "you",
    "your",
    "have",
    "has",
    "had",
    "there",
    "their",
    "it",
    "its",
    "with",
    "by",
    "per",
    "each",
    "from",
    "at",
    "as",
    "that",
    "this",
    "these",
    "those",
    "show",
    "me",
    "list",
    "give",
    "tell",
    "find",
    "get",
    "all",
    "any",
    "number",
    "count",
    "total",
    "average",
    "avg",
    "mean",
    "sum",
    "overall",
    "top",
    "most",
    "highest",
    "lowest",
    "least",
    "fewest",
    "largest",
    "biggest",
    "best",
    "worst",
    "bottom",
    "than",
    "more",
    "less",
    "fewer",
    "over",
    "under",
    "above",
    "below",
    "greater",
    "at",
    "least",
    "so",
    "far",
    "did",
    "will",
    "can",
    "could",
    "please",
    "whats",
    "s",
    "biggest",
    "maximum",
    "minimum",
    "max",
    "min",
    "some",
    "ever",
    "currently",
    "current",
    "across",
    "between",
    "being",
    "into",
    "them",
    "they",
];

static NUMBER_WORDS: &[(&str, &str)] = &[
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("twelve", "12"),
    ("fifteen", "15"),
    ("twenty", "20"),
];

const MONTHS: [&str; 12] = [
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
];

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this file; a typo is caught by every test run.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern}: {e}"))
}

static WORD: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z0-9]+(?:\.[0-9]+)?"));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#"'([^']+)'|"([^"]+)""#));
static BETWEEN: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bbetween (\d{4}-\d{2}-\d{2}) and (\d{4}-\d{2}-\d{2})\b"));
static SINCE: LazyLock<Regex> = LazyLock::new(|| re(r"\bsince (\d{4}-\d{2}-\d{2})\b"));
static QUARTER: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:in |during )?q([1-4]) (\d{4})\b"));
static HALF: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:in |during )?(?:the )?(first|second) half of (\d{4})\b"));
static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:in |during )?(january|february|march|april|may|june|july|august|september|october|november|december) (\d{4})\b",
    )
});
static LAST_N: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:in |during |over )?(?:the )?(?:last|past) (\d+) (day|week|month|year)s?\b")
});
static LAST_PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:in |during )?(last|previous|this|current) (week|month|quarter|year)\b")
});
static YTD: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:year to date|year-to-date|ytd|so far this year)\b"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:in |during |for )?((?:19|20)\d{2})\b"));
static TOP_N: LazyLock<Regex> = LazyLock::new(|| re(r"\b(top|bottom) (\d+)\b"));
static N_SUPERLATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(\d+) (?:[a-z]+ ){0,4}?(?:with the |by )?(most|highest|largest|biggest|best|greatest|lowest|least|fewest|cheapest|worst)\b",
    )
});
static COMPARISON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(more than|greater than|over|above|at least|less than|fewer than|under|below|at most) (\d+(?:\.\d+)?)(?: ([a-z]+))?",
    )
});
static GROUP: LazyLock<Regex> = LazyLock::new(|| re(r"\b(by|per|each|every)\b"));

/// Light, deterministic English stemmer: plurals, `-ing`, `-ed`.
pub fn stem(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    let n = w.len();
    let strip = |k: usize| w.get(..n - k).unwrap_or(&w).to_owned();
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", strip(3));
    }
    if n > 4 && (w.ends_with("sses") || w.ends_with("xes") || w.ends_with("ches")) {
        return strip(2);
    }
    if n > 5 && w.ends_with("ing") {
        return stem(&strip(3));
    }
    if n > 4 && w.ends_with("ed") && !w.ends_with("eed") {
        return strip(2);
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        let single = strip(1);
        return if single.ends_with("ing") {
            stem(&single)
        } else {
            single
        };
    }
    w
}

/// Whether a lower-case word carries no meaning for linking.
pub fn is_stopword(lower: &str) -> bool {
    STOPWORDS.contains(&lower)
}

/// Lower-case words of `text`, number words converted, stemmed, stopwords dropped.
pub fn content_stems(text: &str) -> Vec<String> {
    content_words(text).iter().map(|w| stem(w)).collect()
}

/// Lower-case words of `text`, number words converted, stopwords dropped (not stemmed).
pub fn content_words(text: &str) -> Vec<String> {
    WORD.find_iter(&text.replace('_', " "))
        .map(|m| number_word(&m.as_str().to_ascii_lowercase()))
        .filter(|w| !is_stopword(w))
        .collect()
}

fn number_word(lower: &str) -> String {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == lower)
        .map_or_else(|| lower.to_owned(), |(_, d)| (*d).to_owned())
}

/// A working copy of the lower-cased question in which matched phrases are blanked.
struct Scratch {
    text: String,
}

impl Scratch {
    fn blank(&mut self, start: usize, end: usize) {
        let spaces = " ".repeat(end.saturating_sub(start));
        if self.text.is_char_boundary(start) && self.text.is_char_boundary(end) {
            self.text.replace_range(start..end, &spaces);
        }
    }
}

/// Normalizes `raw`, resolving relative dates against `as_of`.
pub fn parse(raw: &str, as_of: NaiveDate) -> Question {
    let lower = raw.to_ascii_lowercase();
    let converted = WORD.replace_all(&lower, |c: &regex::Captures<'_>| {
        number_word(c.get(0).map_or("", |m| m.as_str()))
    });
    // Number words only change length when converted; align `raw` with the converted text.
    let raw_aligned = if converted.len() == lower.len() {
        raw.to_owned()
    } else {
        converted.to_string()
    };
    let mut s = Scratch {
        text: converted.to_string(),
    };
    let quoted = take_quoted(&mut s);
    let time = take_time(&mut s, as_of);
    let (limit, descending) = take_limit(&mut s);
    let comparisons = take_comparisons(&mut s);
    let agg = agg_word(&s.text);
    let group_marks = GROUP.find_iter(&s.text).map(|m| m.start()).collect();
    let tokens = WORD
        .find_iter(&s.text)
        .filter(|m| !is_stopword(m.as_str()))
        .map(|m| Token {
            text: raw_aligned
                .get(m.start()..m.end())
                .unwrap_or(m.as_str())
                .to_owned(),
            lower: m.as_str().to_owned(),
            stem: stem(m.as_str()),
            at: m.start(),
        })
        .collect();
    Question {
        raw: raw.to_owned(),
        tokens,
        time,
        limit,
        descending,
        agg,
        comparisons,
        group_marks,
        quoted,
    }
}

fn take_quoted(s: &mut Scratch) -> Vec<String> {
    let found: Vec<(usize, usize, String)> = QUOTED
        .captures_iter(&s.text)
        .filter_map(|c| {
            let all = c.get(0)?;
            let inner = c.get(1).or_else(|| c.get(2))?;
            Some((all.start(), all.end(), inner.as_str().to_owned()))
        })
        .collect();
    for (a, b, _) in &found {
        s.blank(*a, *b);
    }
    found.into_iter().map(|(_, _, v)| v).collect()
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let r = if n >= 0 {
        d.checked_add_months(Months::new(n.unsigned_abs()))
    } else {
        d.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    r.unwrap_or(d)
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    let m = (d.month0() / 3) * 3 + 1;
    date(d.year(), m, 1).unwrap_or(d)
}

fn tomorrow(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// Finds the first time phrase (most specific grammar first), blanks it and resolves it.
fn take_time(s: &mut Scratch, as_of: NaiveDate) -> Option<TimeRange> {
    type Rule = fn(&regex::Captures<'_>, NaiveDate) -> Option<TimeRange>;
    let rules: [(&LazyLock<Regex>, Rule); 9] = [
        (&BETWEEN, |c, _| {
            let a = NaiveDate::parse_from_str(c.get(1)?.as_str(), "%Y-%m-%d").ok()?;
            let b = NaiveDate::parse_from_str(c.get(2)?.as_str(), "%Y-%m-%d").ok()?;
            Some(TimeRange {
                start: a,
                end: tomorrow(b),
            })
        }),
        (&SINCE, |c, as_of| {
            let a = NaiveDate::parse_from_str(c.get(1)?.as_str(), "%Y-%m-%d").ok()?;
            Some(TimeRange {
                start: a,
                end: tomorrow(as_of),
            })
        }),
        (&QUARTER, |c, _| {
            let q: u32 = c.get(1)?.as_str().parse().ok()?;
            let y: i32 = c.get(2)?.as_str().parse().ok()?;
            let start = date(y, (q - 1) * 3 + 1, 1)?;
            Some(TimeRange {
                start,
                end: add_months(start, 3),
            })
        }),
        (&HALF, |c, _| {
            let y: i32 = c.get(2)?.as_str().parse().ok()?;
            let m = if c.get(1)?.as_str() == "first" { 1 } else { 7 };
            let start = date(y, m, 1)?;
            Some(TimeRange {
                start,
                end: add_months(start, 6),
            })
        }),
        (&MONTH_YEAR, |c, _| {
            let name = c.get(1)?.as_str();
            let m = MONTHS.iter().position(|x| *x == name)? as u32 + 1;
            let start = date(c.get(2)?.as_str().parse().ok()?, m, 1)?;
            Some(TimeRange {
                start,
                end: add_months(start, 1),
            })
        }),
        (&LAST_N, |c, as_of| {
            let n: u32 = c.get(1)?.as_str().parse().ok()?;
            let end = tomorrow(as_of);
            let start = match c.get(2)?.as_str() {
                "day" => as_of.checked_sub_days(Days::new(n.into()))?,
                "week" => as_of.checked_sub_days(Days::new(u64::from(n) * 7))?,
                "month" => add_months(as_of, -(n as i32)),
                _ => add_months(as_of, -12 * n as i32),
            };
            Some(TimeRange { start, end })
        }),
        (&LAST_PERIOD, |c, as_of| {
            let previous = matches!(c.get(1)?.as_str(), "last" | "previous");
            let (start, months) = match c.get(2)?.as_str() {
                "week" => {
                    let back = as_of.weekday().num_days_from_monday();
                    let monday = as_of.checked_sub_days(Days::new(back.into()))?;
                    let start = if previous {
                        monday.checked_sub_days(Days::new(7))?
                    } else {
                        monday
                    };
                    let end = if previous { monday } else { tomorrow(as_of) };
                    return Some(TimeRange { start, end });
                }
                "month" => (month_start(as_of), 1),
                "quarter" => (quarter_start(as_of), 3),
                _ => (date(as_of.year(), 1, 1)?, 12),
            };
            Some(if previous {
                TimeRange {
                    start: add_months(start, -months),
                    end: start,
                }
            } else {
                TimeRange {
                    start,
                    end: tomorrow(as_of),
                }
            })
        }),
        (&YTD, |_, as_of| {
            Some(TimeRange {
                start: date(as_of.year(), 1, 1)?,
                end: tomorrow(as_of),
            })
        }),
        (&YEAR, |c, _| {
            let start = date(c.get(1)?.as_str().parse().ok()?, 1, 1)?;
            Some(TimeRange {
                start,
                end: add_months(start, 12),
            })
        }),
    ];
    for (pattern, resolve) in rules {
        let hit = pattern
            .captures(&s.text)
            .and_then(|c| Some((c.get(0)?.range(), resolve(&c, as_of)?)));
        if let Some((range, time)) = hit {
            s.blank(range.start, range.end);
            return Some(time);
        }
    }
    None
}

fn take_limit(s: &mut Scratch) -> (Option<u64>, Option<bool>) {
    let word_desc = |w: &str| {
        !matches!(
            w,
            "lowest" | "least" | "fewest" | "cheapest" | "worst" | "bottom"
        )
    };
    let top = TOP_N.captures(&s.text).and_then(|c| {
        let (dir, n) = (c.get(1)?, c.get(2)?);
        Some((n.as_str().parse().ok(), word_desc(dir.as_str()), n.range()))
    });
    let found = top.or_else(|| {
        N_SUPERLATIVE.captures(&s.text).and_then(|c| {
            let (n, dir) = (c.get(1)?, c.get(2)?);
            Some((n.as_str().parse().ok(), word_desc(dir.as_str()), n.range()))
        })
    });
    if let Some((limit, desc, range)) = found {
        s.blank(range.start, range.end);
        return (limit, Some(desc));
    }
    let superlative = re(
        r"\b(top|most|highest|largest|biggest|best|greatest|lowest|least|fewest|cheapest|worst)\b",
    );
    let dir = superlative
        .captures(&s.text)
        .and_then(|c| c.get(1))
        .map(|m| word_desc(m.as_str()));
    (None, dir)
}

fn take_comparisons(s: &mut Scratch) -> Vec<Comparison> {
    let found: Vec<(usize, usize, Comparison)> = COMPARISON
        .captures_iter(&s.text)
        .filter_map(|c| {
            let op = match c.get(1)?.as_str() {
                "more than" | "greater than" | "over" | "above" => ">",
                "at least" => ">=",
                "at most" => "<=",
                _ => "<",
            };
            let value = c.get(2)?;
            Some((
                c.get(0)?.start(),
                value.end(),
                Comparison {
                    op,
                    value: value.as_str().to_owned(),
                    subject: c.get(3).map(|m| stem(m.as_str())),
                },
            ))
        })
        .collect();
    for (a, b, _) in &found {
        s.blank(*a, *b);
    }
    found.into_iter().map(|(_, _, c)| c).collect()
}

fn agg_word(text: &str) -> Option<AggWord> {
    let table: [(&str, AggWord); 6] = [
        (r"\b(how many|number of|count)\b", AggWord::Count),
        (r"\b(average|avg|mean)\b", AggWord::Avg),
        (r"\b(total|sum)\b", AggWord::Sum),
        (r"\b(maximum|max)\b", AggWord::Max),
        (r"\b(minimum|min)\b", AggWord::Min),
        (r"\bhow much\b", AggWord::Sum),
    ];
    table
        .iter()
        .filter_map(|(p, a)| re(p).find(text).map(|m| (m.start(), *a)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
    }

    fn range(q: &str) -> (String, String) {
        let t = parse(q, as_of()).time.unwrap();
        (t.start.to_string(), t.end.to_string())
    }

    #[test]
    fn relative_periods_resolve_against_as_of() {
        assert_eq!(
            range("bookings last month"),
            ("2025-05-01".into(), "2025-06-01".into())
        );
        assert_eq!(
            range("revenue this year"),
            ("2025-01-01".into(), "2025-07-01".into())
        );
        assert_eq!(
            range("in the last 30 days"),
            ("2025-05-31".into(), "2025-07-01".into())
        );
        assert_eq!(
            range("last quarter"),
            ("2025-01-01".into(), "2025-04-01".into())
        );
        assert_eq!(
            range("YTD revenue"),
            ("2025-01-01".into(), "2025-07-01".into())
        );
    }

    #[test]
    fn absolute_periods_resolve() {
        assert_eq!(
            range("revenue in 2024"),
            ("2024-01-01".into(), "2025-01-01".into())
        );
        assert_eq!(
            range("in Q1 2025"),
            ("2025-01-01".into(), "2025-04-01".into())
        );
        assert_eq!(
            range("March 2025"),
            ("2025-03-01".into(), "2025-04-01".into())
        );
        assert_eq!(
            range("first half of 2025"),
            ("2025-01-01".into(), "2025-07-01".into())
        );
        assert_eq!(
            range("between 2025-01-01 and 2025-01-31"),
            ("2025-01-01".into(), "2025-02-01".into())
        );
    }

    #[test]
    fn ranking_words_give_limit_and_direction() {
        let q = parse("Top five destinations by bookings", as_of());
        assert_eq!((q.limit, q.descending), (Some(5), Some(true)));
        let q = parse("Which 3 property types have the lowest price?", as_of());
        assert_eq!((q.limit, q.descending), (Some(3), Some(false)));
    }

    #[test]
    fn comparisons_keep_their_subject() {
        let q = parse("How many villas have more than 3 bedrooms?", as_of());
        assert_eq!(q.comparisons[0].op, ">");
        assert_eq!(q.comparisons[0].value, "3");
        assert_eq!(q.comparisons[0].subject.as_deref(), Some("bedroom"));
    }

    #[test]
    fn stems_unify_plurals_and_verb_forms() {
        assert_eq!(stem("properties"), "property");
        assert_eq!(stem("bookings"), stem("booked"));
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("business"), "business");
    }
}
