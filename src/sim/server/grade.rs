//! The simulator's native benchmark grader: GOOD / BAD / NEEDS_REVIEW with Genie's deterministic
//! reason codes, from the benchmark's result and Genie's.
//!
//! The rules, in order:
//! 1. The benchmark SQL is missing or fails → NEEDS_REVIEW, `EMPTY_GOOD_SQL`.
//! 2. Genie answered without SQL (text or clarification) → NEEDS_REVIEW, no reason.
//! 3. Genie's message failed → BAD, `TRANSIENT_ERROR` for injected faults, else `EMPTY_RESULT`
//!    (its SQL produced no result).
//! 4. Genie's result is empty → BAD `EMPTY_RESULT`; both empty → NEEDS_REVIEW `EMPTY_RESULT`
//!    (not evaluable, never a pass).
//! 5. Both results are one cell → GOOD when equal, else BAD `SINGLE_CELL_DIFFERENCE`.
//! 6. Otherwise columns are matched by their values, not names (first equal value bags, then the
//!    largest overlap). An unmatched benchmark column is `RESULT_MISSING_COLUMNS` (BAD); an
//!    unmatched Genie column is `RESULT_EXTRA_COLUMNS` (reported, still GOOD). Rows projected on
//!    the matched columns are compared as bags: `RESULT_MISSING_ROWS` / `RESULT_EXTRA_ROWS` (BAD).
//!
//! Values are normalized before comparing: numbers by value (integers exactly, others to six
//! significant digits), `true`/`false` case-insensitively, NULL equal to NULL. Row order is
//! ignored.

use std::collections::BTreeMap;

use crate::model::result::ResultSet;

/// Genie's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assessment {
    Good,
    Bad,
    NeedsReview,
}

impl Assessment {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Good => "GOOD",
            Self::Bad => "BAD",
            Self::NeedsReview => "NEEDS_REVIEW",
        }
    }
}

/// A verdict with its reason codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    pub assessment: Assessment,
    pub reasons: Vec<&'static str>,
}

impl Grade {
    fn new(assessment: Assessment, reasons: Vec<&'static str>) -> Self {
        Self {
            assessment,
            reasons,
        }
    }
}

/// What Genie produced for a benchmark question.
#[derive(Debug, Clone, Copy)]
pub enum Actual<'a> {
    /// A text answer or a clarification.
    NoSql,
    /// The message failed; `injected` when a fault caused it.
    Failed { injected: bool },
    /// Genie's query ran and returned this.
    Rows(&'a ResultSet),
}

/// Grades Genie's outcome against the benchmark's result (`None` when the benchmark SQL is missing
/// or failed).
pub fn grade(expected: Option<&ResultSet>, actual: Actual<'_>) -> Grade {
    use Assessment::{Bad, Good, NeedsReview};
    let Some(expected) = expected else {
        return Grade::new(NeedsReview, vec!["EMPTY_GOOD_SQL"]);
    };
    let actual = match actual {
        Actual::NoSql => return Grade::new(NeedsReview, vec![]),
        Actual::Failed { injected: true } => return Grade::new(Bad, vec!["TRANSIENT_ERROR"]),
        Actual::Failed { injected: false } => return Grade::new(Bad, vec!["EMPTY_RESULT"]),
        Actual::Rows(rows) => rows,
    };
    match (expected.rows.is_empty(), actual.rows.is_empty()) {
        (true, true) => return Grade::new(NeedsReview, vec!["EMPTY_RESULT"]),
        (false, true) => return Grade::new(Bad, vec!["EMPTY_RESULT"]),
        _ => {}
    }
    let expected = normalized_columns(expected);
    let actual = normalized_columns(actual);
    if is_single_cell(&expected) && is_single_cell(&actual) {
        return if expected == actual {
            Grade::new(Good, vec![])
        } else {
            Grade::new(Bad, vec!["SINGLE_CELL_DIFFERENCE"])
        };
    }
    compare_tables(&expected, &actual)
}

type Column = Vec<Option<String>>;

fn is_single_cell(columns: &[Column]) -> bool {
    columns.len() == 1 && columns.iter().all(|c| c.len() == 1)
}

fn normalize(value: &Option<String>) -> Option<String> {
    let text = value.as_deref()?.trim();
    if let Ok(number) = text.parse::<f64>() {
        if number.fract() == 0.0 && number.abs() < 1e15 {
            return Some(format!("{}", number as i64));
        }
        return Some(format!("{number:.5e}"));
    }
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Some(text.to_ascii_lowercase());
    }
    Some(text.to_owned())
}

fn normalized_columns(result: &ResultSet) -> Vec<Column> {
    (0..result.column_count())
        .map(|c| {
            result
                .rows
                .iter()
                .map(|row| normalize(row.get(c).unwrap_or(&None)))
                .collect()
        })
        .collect()
}

fn bag<T: Ord + Clone>(items: impl IntoIterator<Item = T>) -> BTreeMap<T, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

fn overlap<T: Ord>(a: &BTreeMap<T, usize>, b: &BTreeMap<T, usize>) -> usize {
    a.iter()
        .map(|(k, n)| (*n).min(b.get(k).copied().unwrap_or(0)))
        .sum()
}

/// Matches each expected column to an actual one: equal value bags first, then largest overlap.
fn match_columns(expected: &[Column], actual: &[Column]) -> Vec<Option<usize>> {
    let expected_bags: Vec<_> = expected.iter().map(|c| bag(c.iter().cloned())).collect();
    let actual_bags: Vec<_> = actual.iter().map(|c| bag(c.iter().cloned())).collect();
    let mut used = vec![false; actual.len()];
    let mut mapping = vec![None; expected.len()];
    for (e, expected_bag) in expected_bags.iter().enumerate() {
        if let Some(a) = (0..actual.len()).find(|&a| !used[a] && actual_bags[a] == *expected_bag) {
            used[a] = true;
            mapping[e] = Some(a);
        }
    }
    for (e, expected_bag) in expected_bags.iter().enumerate() {
        if mapping[e].is_some() {
            continue;
        }
        let best = (0..actual.len())
            .filter(|&a| !used[a])
            .map(|a| (overlap(expected_bag, &actual_bags[a]), a))
            .filter(|&(score, _)| score > 0)
            .max_by_key(|&(score, a)| (score, std::cmp::Reverse(a)));
        if let Some((_, a)) = best {
            used[a] = true;
            mapping[e] = Some(a);
        }
    }
    mapping
}

fn rows_of(columns: &[&Column]) -> Vec<Vec<Option<String>>> {
    let height = columns.first().map_or(0, |c| c.len());
    (0..height)
        .map(|r| {
            columns
                .iter()
                .map(|c| c.get(r).cloned().flatten())
                .collect()
        })
        .collect()
}

fn compare_tables(expected: &[Column], actual: &[Column]) -> Grade {
    let mapping = match_columns(expected, actual);
    let mut reasons = Vec::new();
    if mapping.iter().any(Option::is_none) {
        reasons.push("RESULT_MISSING_COLUMNS");
    }
    if mapping.iter().flatten().count() < actual.len() {
        reasons.push("RESULT_EXTRA_COLUMNS");
    }
    let pairs: Vec<(&Column, &Column)> = mapping
        .iter()
        .enumerate()
        .filter_map(|(e, a)| Some((expected.get(e)?, actual.get((*a)?)?)))
        .collect();
    let expected_rows = bag(rows_of(&pairs.iter().map(|p| p.0).collect::<Vec<_>>()));
    let actual_rows = bag(rows_of(&pairs.iter().map(|p| p.1).collect::<Vec<_>>()));
    let common = overlap(&expected_rows, &actual_rows);
    if common < expected_rows.values().sum() {
        reasons.push("RESULT_MISSING_ROWS");
    }
    if common < actual_rows.values().sum() {
        reasons.push("RESULT_EXTRA_ROWS");
    }
    let good = reasons.iter().all(|r| *r == "RESULT_EXTRA_COLUMNS");
    let assessment = if good {
        Assessment::Good
    } else {
        Assessment::Bad
    };
    Grade::new(assessment, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::result::ResultColumn;

    fn table(names: &[&str], rows: &[&[&str]]) -> ResultSet {
        ResultSet {
            columns: names
                .iter()
                .map(|n| ResultColumn {
                    name: (*n).to_owned(),
                    type_name: "STRING".to_owned(),
                })
                .collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| Some((*v).to_owned())).collect())
                .collect(),
            truncated: false,
        }
    }

    #[test]
    fn reordered_renamed_columns_and_rows_are_good() {
        let expected = table(&["a", "n"], &[&["EU", "10"], &["US", "3"]]);
        let actual = table(&["cnt", "region"], &[&["3.0", "US"], &["10", "EU"]]);
        let g = grade(Some(&expected), Actual::Rows(&actual));
        assert_eq!(g, Grade::new(Assessment::Good, vec![]));
    }

    #[test]
    fn a_different_single_cell_is_bad() {
        let g = grade(
            Some(&table(&["x"], &[&["5"]])),
            Actual::Rows(&table(&["y"], &[&["6"]])),
        );
        assert_eq!(g.reasons, ["SINGLE_CELL_DIFFERENCE"]);
        assert_eq!(g.assessment, Assessment::Bad);
    }

    #[test]
    fn missing_rows_and_extra_columns_are_both_reported() {
        let expected = table(&["r"], &[&["EU"], &["US"]]);
        let actual = table(&["r", "n"], &[&["EU", "1"]]);
        let g = grade(Some(&expected), Actual::Rows(&actual));
        assert_eq!(g.assessment, Assessment::Bad);
        assert_eq!(g.reasons, ["RESULT_EXTRA_COLUMNS", "RESULT_MISSING_ROWS"]);
    }

    #[test]
    fn both_empty_is_not_evaluable() {
        let empty = table(&["x"], &[]);
        let g = grade(Some(&empty), Actual::Rows(&empty));
        assert_eq!(g.assessment, Assessment::NeedsReview);
    }

    #[test]
    fn a_text_answer_needs_review() {
        let g = grade(Some(&table(&["x"], &[&["1"]])), Actual::NoSql);
        assert_eq!(g, Grade::new(Assessment::NeedsReview, vec![]));
    }
}
