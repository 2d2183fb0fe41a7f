//! The simulator's native benchmark grader: GOOD / BAD / NEEDS_REVIEW with Genie's deterministic
//! reason codes, from the benchmark's result and Genie's.
//!
//! The rules, in order:
//! 1. The benchmark SQL is missing or fails → NEEDS_REVIEW, `EMPTY_GOOD_SQL`.
//! 2. Genie answered without SQL (text or clarification) → NEEDS_REVIEW, no reason.
//! 3. Genie's message failed → BAD, `TRANSIENT_ERROR` for injected faults, else `EMPTY_RESULT`
//!    (its SQL produced no result).
//! 4. Otherwise the two results are compared by [`crate::eval::compare`] (the documented
//!    algorithm of `docs/comparison.md`, the same one offline evaluation uses) as bags of rows:
//!    a match is GOOD (reasons such as `RESULT_EXTRA_COLUMNS` kept), a mismatch BAD, and a pair
//!    that cannot tell right from wrong (both empty, or an empty gold) NEEDS_REVIEW. Its reasons
//!    are Genie's own codes and pass through unchanged.

use crate::eval::compare::{CompareOptions, Reason, Verdict, compare};
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
    let comparison = compare(expected, actual, &CompareOptions::default());
    let assessment = match comparison.verdict {
        Verdict::Match => Good,
        Verdict::Mismatch => Bad,
        Verdict::NotEvaluable => NeedsReview,
    };
    let reasons = comparison.reasons.iter().filter_map(|r| code(*r)).collect();
    Grade::new(assessment, reasons)
}

/// The eval-runs API's code for a comparison reason. Row order is never compared here (the
/// comparison is unordered), so the order reason, which is ours and not Genie's, has no code.
fn code(reason: Reason) -> Option<&'static str> {
    Some(match reason {
        Reason::EmptyResult => "EMPTY_RESULT",
        Reason::ResultMissingRows => "RESULT_MISSING_ROWS",
        Reason::ResultExtraRows => "RESULT_EXTRA_ROWS",
        Reason::ResultMissingColumns => "RESULT_MISSING_COLUMNS",
        Reason::ResultExtraColumns => "RESULT_EXTRA_COLUMNS",
        Reason::SingleCellDifference => "SINGLE_CELL_DIFFERENCE",
        Reason::ColumnTypeDifference => "COLUMN_TYPE_DIFFERENCE",
        Reason::EmptyGoodSql => "EMPTY_GOOD_SQL",
        Reason::ResultOrderDifference => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::result::ResultColumn;

    /// A result whose columns are named `name:TYPE` (`STRING` when no type is given).
    fn table(names: &[&str], rows: &[&[&str]]) -> ResultSet {
        ResultSet {
            columns: names
                .iter()
                .map(|n| {
                    let (name, type_name) = n.split_once(':').unwrap_or((n, "STRING"));
                    ResultColumn {
                        name: name.to_owned(),
                        type_name: type_name.to_owned(),
                    }
                })
                .collect(),
            rows: rows.iter().map(|r| r.iter().map(|v| Some(*v))).collect(),
            truncated: false,
        }
    }

    #[test]
    fn reordered_renamed_columns_and_rows_are_good() {
        let expected = table(&["a", "n:LONG"], &[&["EU", "10"], &["US", "3"]]);
        let actual = table(&["cnt:DOUBLE", "region"], &[&["3.0", "US"], &["10", "EU"]]);
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
        assert_eq!(g.reasons, ["RESULT_MISSING_ROWS", "RESULT_EXTRA_COLUMNS"]);
    }

    #[test]
    fn both_empty_is_not_evaluable() {
        let empty = table(&["x"], &[]);
        let g = grade(Some(&empty), Actual::Rows(&empty));
        assert_eq!(g.assessment, Assessment::NeedsReview);
    }

    #[test]
    fn the_same_values_with_another_type_are_flagged_by_their_code() {
        let expected = table(&["n:LONG"], &[&["1"], &["2"]]);
        let actual = table(&["n:STRING"], &[&["1"], &["2"]]);
        let g = grade(Some(&expected), Actual::Rows(&actual));
        assert!(g.reasons.contains(&"COLUMN_TYPE_DIFFERENCE"), "{g:?}");
    }

    #[test]
    fn an_injected_failure_is_a_transient_error() {
        let g = grade(
            Some(&table(&["x"], &[&["1"]])),
            Actual::Failed { injected: true },
        );
        assert_eq!(g, Grade::new(Assessment::Bad, vec!["TRANSIENT_ERROR"]));
    }

    #[test]
    fn a_text_answer_needs_review() {
        let g = grade(Some(&table(&["x"], &[&["1"]])), Actual::NoSql);
        assert_eq!(g, Grade::new(Assessment::NeedsReview, vec![]));
    }
}
