//! Result comparison: does Genie's result carry the gold result? The documented algorithm is
//! `docs/comparison.md`; this module implements it.
//!
//! In short: each column is normalized once by type (numbers, booleans, dates, UTC timestamps,
//! trimmed text; numeric text read as numbers when the two sides' types differ); gold columns
//! are mapped to actual columns by values with a row-aligned permutation search (names ignored,
//! columns never sorted independently); rows compare as a bag, or as a list of tie segments
//! when the gold is ordered, with a LIMIT boundary's ties accepted. Extra columns pass with a
//! flag, missing gold columns fail, an empty gold is never a pass, and reasons use Genie's
//! native codes. Pure and allocation-light: the hot loops work on column vectors and hashes.

mod mapping;
mod normalize;
mod rows;
mod scratch;
mod sort;

use serde::Serialize;

use crate::model::result::{ResultSet, Rows};

use mapping::{Names, Side};
use normalize::{Column, Table, Tolerance};
use rows::{Frame, Leftovers, Pair};

/// Genie's row cap: a conversation result holds at most this many rows.
pub const GENIE_ROW_CAP: usize = 5_000;

/// How many example rows of each kind a comparison keeps for reports.
pub const MAX_EXAMPLES: usize = 5;

/// The display tier: floats that differ by at most this much look the same at 4 decimals.
pub const DISPLAY_TOLERANCE: f64 = 1e-4;

/// How to compare: set per question by the caller.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareOptions {
    /// The gold query has an ORDER BY: rows compare as a list (ties may permute).
    pub order_sensitive: bool,
    /// Gold result column indices of the ORDER BY keys, when they are output columns. Rows
    /// tied on these keys may appear in any order; without them every row is its own segment.
    pub order_keys: Option<Vec<usize>>,
    /// The gold query's LIMIT: when the gold returned exactly this many rows, the rows tied
    /// with the last one on the ORDER BY keys are a boundary any tied row may fill.
    pub limit: Option<usize>,
    /// Relative tolerance for floats (integers always compare exactly).
    pub float_tolerance: f64,
    /// Genie's row cap; an actual result this long (or marked truncated) was cut short.
    pub row_cap: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            order_sensitive: false,
            order_keys: None,
            limit: None,
            float_tolerance: 1e-6,
            row_cap: GENIE_ROW_CAP,
        }
    }
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Match,
    Mismatch,
    /// The results cannot tell a right answer from a wrong one; never counted as a pass.
    NotEvaluable,
}

/// Why a comparison came out as it did: Genie's native assessment codes, plus one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The actual result has no rows while the gold has some.
    EmptyResult,
    /// Gold rows are absent from the actual result.
    ResultMissingRows,
    /// The actual result has rows the gold does not.
    ResultExtraRows,
    /// A gold column has no counterpart in the actual result.
    ResultMissingColumns,
    /// The actual result has columns beyond the gold's (a pass, flagged).
    ResultExtraColumns,
    /// Exactly one cell differs.
    SingleCellDifference,
    /// Values match but a column's type family differs (text vs number, date vs timestamp).
    ColumnTypeDifference,
    /// The gold query returned no rows.
    EmptyGoodSql,
    /// Ours, not Genie's: same rows, but not in the gold's order.
    ResultOrderDifference,
}

/// Why a comparison is not evaluable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEvaluable {
    /// Both results are empty: an empty answer agrees with everything.
    BothEmpty,
    /// The gold has no rows (or no columns): it cannot tell right from wrong.
    GoldEmpty,
    /// The gold result was cut short, so it is not the whole truth.
    GoldTruncated,
    /// Genie hit its row cap and the gold has no order to say which rows it should have kept.
    CappedWithoutOrder,
}

/// One differing cell, when the results differ in exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellDifference {
    pub gold_row: usize,
    pub gold_column: usize,
    pub actual_row: usize,
    pub actual_column: usize,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// Everything a judge or a report needs from one comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub verdict: Verdict,
    /// Sorted, without duplicates.
    pub reasons: Vec<Reason>,
    pub not_evaluable: Option<NotEvaluable>,
    /// For each gold column, the actual column that carries it.
    pub column_mapping: Vec<Option<usize>>,
    /// Actual columns no gold column maps to.
    pub extra_columns: Vec<usize>,
    /// Gold rows compared (fewer than the gold's when Genie's result was capped).
    pub gold_rows_compared: usize,
    pub missing_rows: usize,
    pub extra_rows: usize,
    /// Up to [`MAX_EXAMPLES`] gold rows absent from the actual, as the gold wrote them.
    pub missing_examples: Vec<Vec<Option<String>>>,
    /// Up to [`MAX_EXAMPLES`] actual rows absent from the gold, as Genie wrote them.
    pub extra_examples: Vec<Vec<Option<String>>>,
    pub cell_difference: Option<CellDifference>,
    /// The first gold row position where an ordered result's order breaks.
    pub order_break: Option<usize>,
    /// Not a match, but every difference is a float within [`DISPLAY_TOLERANCE`]: reported
    /// as a separate tier, never as a pass.
    pub display_match: bool,
    /// Genie's result was cut at its row cap and compared against the gold's first rows.
    pub capped: bool,
}

impl Comparison {
    fn not_evaluable(why: NotEvaluable, reasons: Vec<Reason>, gold: &ResultSet) -> Self {
        Comparison {
            verdict: Verdict::NotEvaluable,
            reasons,
            not_evaluable: Some(why),
            column_mapping: vec![None; gold.column_count()],
            extra_columns: Vec::new(),
            gold_rows_compared: 0,
            missing_rows: 0,
            extra_rows: 0,
            missing_examples: Vec::new(),
            extra_examples: Vec::new(),
            cell_difference: None,
            order_break: None,
            display_match: false,
            capped: false,
        }
    }

    /// Genie returned nothing while the gold has rows.
    fn empty_actual(gold: &ResultSet) -> Self {
        let all: Vec<usize> = (0..gold.row_count()).collect();
        Comparison {
            verdict: Verdict::Mismatch,
            reasons: vec![Reason::EmptyResult, Reason::ResultMissingRows],
            not_evaluable: None,
            gold_rows_compared: gold.row_count(),
            missing_rows: gold.row_count(),
            missing_examples: examples(&gold.rows, &all),
            ..Comparison::not_evaluable(NotEvaluable::GoldEmpty, Vec::new(), gold)
        }
    }

    /// Whether the comparison counts as a pass.
    pub fn is_match(&self) -> bool {
        self.verdict == Verdict::Match
    }
}

/// Compares Genie's `actual` result with the `gold` result.
pub fn compare(gold: &ResultSet, actual: &ResultSet, opts: &CompareOptions) -> Comparison {
    let gold_empty = gold.rows.is_empty() || gold.columns.is_empty();
    let actual_empty = actual.rows.is_empty() || actual.columns.is_empty();
    if gold_empty && actual_empty {
        let reasons = vec![Reason::EmptyResult, Reason::EmptyGoodSql];
        return Comparison::not_evaluable(NotEvaluable::BothEmpty, reasons, gold);
    }
    if gold_empty {
        return Comparison::not_evaluable(
            NotEvaluable::GoldEmpty,
            vec![Reason::EmptyGoodSql],
            gold,
        );
    }
    if actual_empty {
        return Comparison::empty_actual(gold);
    }
    if gold.truncated {
        return Comparison::not_evaluable(NotEvaluable::GoldTruncated, Vec::new(), gold);
    }
    let capped = (actual.truncated || actual.rows.len() >= opts.row_cap)
        && gold.rows.len() > actual.rows.len();
    if capped && !opts.order_sensitive {
        return Comparison::not_evaluable(NotEvaluable::CappedWithoutOrder, Vec::new(), gold);
    }
    let gold_rows = if capped {
        actual.rows.len()
    } else {
        gold.rows.len()
    };
    Comparer::new(gold, gold_rows, actual, opts, capped).run()
}

/// One comparison in progress: both sides normalized, and the options.
struct Comparer<'r> {
    gold: &'r ResultSet,
    /// How many of the gold's rows are compared: all, or the first ones when Genie's result
    /// was capped.
    gold_rows: usize,
    actual: &'r ResultSet,
    opts: &'r CompareOptions,
    capped: bool,
    tol: Tolerance,
}

/// The row-level result of comparing under one mapping.
struct RowOutcome {
    left: Leftovers,
    order_break: Option<usize>,
}

impl RowOutcome {
    fn is_match(&self) -> bool {
        self.left.is_empty() && self.order_break.is_none()
    }
}

impl<'r> Comparer<'r> {
    fn new(
        gold: &'r ResultSet,
        gold_rows: usize,
        actual: &'r ResultSet,
        opts: &'r CompareOptions,
        capped: bool,
    ) -> Self {
        Comparer {
            gold,
            gold_rows,
            actual,
            opts,
            capped,
            tol: Tolerance::Relative(opts.float_tolerance),
        }
    }

    fn run(&self) -> Comparison {
        // One thread: Genie's results hold at most 5,000 rows, and at a million rows one thread
        // meets the 2 s target using less CPU time than a thread per side did.
        let gold_table = Table::read(&self.gold.columns, &self.gold.rows, self.gold_rows);
        let actual_table = Table::read(
            &self.actual.columns,
            &self.actual.rows,
            self.actual.rows.len(),
        );
        let (gold_cols, actual_cols) = (&gold_table.columns, &actual_table.columns);
        let mut gold = Side::new(&gold_table);
        let mut actual = Side::new(&actual_table);
        let relaxed = self.relaxed_rows(gold_cols);
        let rows = self.gold_rows;
        let mut matched = None;
        // The last assignment tried and its outcome: when it is also the mapping finally
        // described (the usual mismatch), its rows are not matched a second time.
        let mut last_tried: Option<(Vec<Pair>, RowOutcome)> = None;
        if rows == self.actual.rows.len() {
            let candidates = mapping::candidates(&mut gold, &mut actual, rows - relaxed, self.tol);
            matched = mapping::search(&candidates, actual_cols.len(), |pairs| {
                let outcome = self.match_rows(&gold, &actual, pairs, relaxed);
                let is_match = outcome.is_match();
                last_tried = Some((pairs.to_vec(), outcome));
                is_match
            });
        }
        let pairs = match matched {
            Some(pairs) => pairs,
            None => {
                let names = Names {
                    gold: lower_names(self.gold),
                    actual: lower_names(self.actual),
                };
                mapping::best_effort(&mut gold, &mut actual, &names, self.tol)
            }
        };
        let outcome = match last_tried {
            Some((tried, outcome)) if tried == pairs => outcome,
            _ => self.match_rows(&gold, &actual, &pairs, relaxed),
        };
        let frame = Frame::new(gold_cols, actual_cols, &pairs);
        self.describe(&frame, &outcome)
    }

    /// Rows at the end of the gold that any tied row may replace: the last ORDER BY tie group
    /// when a LIMIT (or Genie's cap) cut the gold there. Needs the ORDER BY keys.
    fn relaxed_rows(&self, gold_cols: &[Column]) -> usize {
        let rows = self.gold_rows;
        let cut_by_limit = self.opts.limit == Some(rows);
        let Some(keys) = self.opts.order_keys.as_deref() else {
            return 0;
        };
        if !self.opts.order_sensitive || keys.is_empty() || !(cut_by_limit || self.capped) {
            return 0;
        }
        Frame::new(gold_cols, &[], &[])
            .segments(rows, Some(keys))
            .last()
            .map_or(0, |(start, end)| end - start)
    }

    /// Matches rows under one mapping: as a bag, or for an ordered gold also in order.
    fn match_rows(&self, gold: &Side, actual: &Side, pairs: &[Pair], relaxed: usize) -> RowOutcome {
        let frame = Frame::new(gold.columns, actual.columns, pairs);
        let hashes = frame.row_hashes([gold.row_hashes, actual.row_hashes]);
        let rows = self.gold_rows;
        let actual_rows = self.actual.rows.len();
        let mut left = frame.bag_match(0..rows, 0..actual_rows, &hashes, self.tol);
        if !self.opts.order_sensitive {
            return RowOutcome {
                left,
                order_break: None,
            };
        }
        let keys = self.opts.order_keys.as_deref();
        if !left.is_empty() && relaxed > 0 && rows == actual_rows {
            let head = 0..rows - relaxed;
            if frame
                .bag_match(head.clone(), head, &hashes, self.tol)
                .is_empty()
                && frame
                    .order_break(rows, keys, true, &hashes, self.tol)
                    .is_none()
            {
                left = Leftovers::default();
            }
        }
        let order_break = if left.is_empty() {
            frame.order_break(rows, keys, relaxed > 0, &hashes, self.tol)
        } else {
            None
        };
        RowOutcome { left, order_break }
    }

    /// Turns the mapping and the row outcome into a [`Comparison`].
    fn describe(&self, frame: &Frame, outcome: &RowOutcome) -> Comparison {
        let mut column_mapping = vec![None; self.gold.column_count()];
        for p in frame.pairs {
            if let Some(slot) = column_mapping.get_mut(p.gold) {
                *slot = Some(p.actual);
            }
        }
        let extra_columns: Vec<usize> = (0..self.actual.column_count())
            .filter(|a| !frame.pairs.iter().any(|p| p.actual == *a))
            .collect();
        let missing_columns = column_mapping.iter().any(Option::is_none);
        let left = &outcome.left;
        let cell_difference = self.single_cell(frame, left, missing_columns);

        let mut reasons = Vec::new();
        if missing_columns {
            reasons.push(Reason::ResultMissingColumns);
        }
        if !extra_columns.is_empty() {
            reasons.push(Reason::ResultExtraColumns);
        }
        if frame.pairs.iter().any(|p| p.type_differs) {
            reasons.push(Reason::ColumnTypeDifference);
        }
        if self.actual.rows.is_empty() {
            reasons.push(Reason::EmptyResult);
        }
        if cell_difference.is_some() {
            reasons.push(Reason::SingleCellDifference);
        } else {
            if !left.gold.is_empty() {
                reasons.push(Reason::ResultMissingRows);
            }
            if !left.actual.is_empty() {
                reasons.push(Reason::ResultExtraRows);
            }
        }
        if outcome.order_break.is_some() {
            reasons.push(Reason::ResultOrderDifference);
        }
        reasons.sort();
        reasons.dedup();

        let is_match = !missing_columns && outcome.is_match();
        let display_match = !is_match
            && !missing_columns
            && !left.is_empty()
            && left.gold.len() == left.actual.len()
            && frame
                .tolerant_match(left, Tolerance::Absolute(DISPLAY_TOLERANCE))
                .is_empty();
        Comparison {
            verdict: if is_match {
                Verdict::Match
            } else {
                Verdict::Mismatch
            },
            reasons,
            not_evaluable: None,
            column_mapping,
            extra_columns,
            gold_rows_compared: self.gold_rows,
            missing_rows: left.gold.len(),
            extra_rows: left.actual.len(),
            missing_examples: examples(&self.gold.rows, &left.gold),
            extra_examples: examples(&self.actual.rows, &left.actual),
            cell_difference,
            order_break: outcome.order_break,
            display_match,
            capped: self.capped,
        }
    }

    /// The one differing cell, when one gold row and one actual row are left and differ in
    /// exactly one mapped cell.
    fn single_cell(
        &self,
        frame: &Frame,
        left: &Leftovers,
        missing_columns: bool,
    ) -> Option<CellDifference> {
        let ([g], [a]) = (left.gold.as_slice(), left.actual.as_slice()) else {
            return None;
        };
        if missing_columns {
            return None;
        }
        let [pair] = frame.differing_pairs(*g, *a, self.tol)[..] else {
            return None;
        };
        Some(CellDifference {
            gold_row: *g,
            gold_column: pair.gold,
            actual_row: *a,
            actual_column: pair.actual,
            expected: self.gold.rows.cell(*g, pair.gold).map(str::to_owned),
            actual: self.actual.rows.cell(*a, pair.actual).map(str::to_owned),
        })
    }
}

fn lower_names(result: &ResultSet) -> Vec<String> {
    result
        .columns
        .iter()
        .map(|c| c.name.trim().to_lowercase())
        .collect()
}

fn examples(rows: &Rows, picked: &[usize]) -> Vec<Vec<Option<String>>> {
    picked
        .iter()
        .take(MAX_EXAMPLES)
        .filter_map(|&r| rows.get(r).map(|row| row.to_vec()))
        .collect()
}
