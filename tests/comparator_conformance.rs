//! Conformance of the result comparator with the Spider test-suite (`exec_eval.result_eq`) and
//! BIRD (`set(pred) == set(gold)`) semantics, case by case: where we agree, and where we
//! deliberately differ (the reason is in a comment on each test). Rules: docs/comparison.md.

use genie_gitops::eval::compare::{
    CompareOptions, Comparison, NotEvaluable, Reason, Verdict, compare,
};
use genie_gitops::model::result::{ResultColumn, ResultSet};

/// Builds a result; the cell text `NULL` is a null.
fn rs(columns: &[(&str, &str)], rows: &[&[&str]]) -> ResultSet {
    ResultSet {
        columns: columns
            .iter()
            .map(|(name, type_name)| ResultColumn {
                name: (*name).into(),
                type_name: (*type_name).into(),
            })
            .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (*c != "NULL").then_some(*c)))
            .collect(),
        truncated: false,
    }
}

fn bag(gold: &ResultSet, actual: &ResultSet) -> Comparison {
    compare(gold, actual, &CompareOptions::default())
}

fn ordered(
    gold: &ResultSet,
    actual: &ResultSet,
    keys: Option<Vec<usize>>,
    limit: Option<usize>,
) -> Comparison {
    let opts = CompareOptions {
        order_sensitive: true,
        order_keys: keys,
        limit,
        ..CompareOptions::default()
    };
    compare(gold, actual, &opts)
}

// ---- duplicates and DISTINCT -------------------------------------------------------------

#[test]
fn duplicate_rows_count_so_a_missing_duplicate_is_a_missing_row() {
    // Spider agrees (bag equality); BIRD differs (set equality would pass): a missing DISTINCT
    // or a fan-out from a bad join changes the answer, so we keep multiplicities.
    let gold = rs(&[("city", "STRING")], &[&["Rome"], &["Rome"], &["Oslo"]]);
    let actual = rs(&[("city", "STRING")], &[&["Rome"], &["Oslo"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(c.reasons, vec![Reason::ResultMissingRows]);
    assert_eq!(c.missing_rows, 1);
}

#[test]
fn an_extra_duplicate_from_a_missing_distinct_is_an_extra_row() {
    // Spider strips DISTINCT from both queries before running them; we compare what ran, so a
    // DISTINCT the question needed is not forgiven.
    let gold = rs(&[("city", "STRING")], &[&["Rome"], &["Oslo"]]);
    let actual = rs(&[("city", "STRING")], &[&["Rome"], &["Oslo"], &["Oslo"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.reasons, vec![Reason::ResultExtraRows]);
    assert_eq!(c.extra_examples, vec![vec![Some("Oslo".to_string())]]);
}

// ---- row and column order ----------------------------------------------------------------

#[test]
fn row_order_is_ignored_without_an_order_by() {
    // Spider and BIRD agree.
    let gold = rs(&[("n", "LONG")], &[&["1"], &["2"], &["3"]]);
    let actual = rs(&[("n", "LONG")], &[&["3"], &["1"], &["2"]]);
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

#[test]
fn column_order_and_names_are_ignored() {
    // Spider agrees (permutation search, names ignored); BIRD differs (rows are tuples, so a
    // different column order fails): the user sees the same table either way.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "2"], &["Oslo", "1"]],
    );
    let actual = rs(
        &[("total", "LONG"), ("name", "STRING")],
        &[&["1", "Oslo"], &["2", "Rome"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Match);
    assert_eq!(c.column_mapping, vec![Some(1), Some(0)]);
}

#[test]
fn columns_are_never_sorted_independently() {
    // Spider 2.0's `ignore_order` sorts each column on its own and would pass this; rows are
    // what the user reads, so the pairing of values within a row must survive.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "1"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "2"], &["Oslo", "1"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(c.missing_rows, 2);
    assert_eq!(c.extra_rows, 2);
}

#[test]
fn identical_value_columns_are_resolved_by_row_alignment() {
    // Two columns with the same multiset of values: only one assignment keeps the rows intact.
    let gold = rs(
        &[("a", "LONG"), ("b", "LONG")],
        &[&["1", "2"], &["2", "1"], &["3", "3"]],
    );
    let actual = rs(
        &[("x", "LONG"), ("y", "LONG")],
        &[&["2", "1"], &["1", "2"], &["3", "3"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Match);
}

// ---- empty results -----------------------------------------------------------------------

#[test]
fn two_empty_results_are_not_evaluable_never_a_pass() {
    // Spider passes two empty results; an empty answer agrees with everything, so we refuse.
    let gold = rs(&[("n", "LONG")], &[]);
    let actual = rs(&[("n", "LONG")], &[]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::NotEvaluable);
    assert_eq!(c.not_evaluable, Some(NotEvaluable::BothEmpty));
    assert!(!c.is_match());
}

#[test]
fn an_empty_gold_is_empty_good_sql_and_not_evaluable() {
    let gold = rs(&[("n", "LONG")], &[]);
    let actual = rs(&[("n", "LONG")], &[&["1"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::NotEvaluable);
    assert_eq!(c.reasons, vec![Reason::EmptyGoodSql]);
}

#[test]
fn an_empty_answer_to_a_non_empty_gold_is_an_empty_result() {
    let gold = rs(&[("n", "LONG")], &[&["1"], &["2"]]);
    let actual = rs(&[("n", "LONG")], &[]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(
        c.reasons,
        vec![Reason::EmptyResult, Reason::ResultMissingRows]
    );
    assert_eq!(c.missing_rows, 2);
}

// ---- numbers, tolerance, types -----------------------------------------------------------

#[test]
fn floats_match_within_the_relative_tolerance() {
    // Spider and BIRD compare exactly; DOUBLE arithmetic vs DECIMAL differs in the last bits,
    // which no reader can see, so we allow a relative 1e-6.
    let gold = rs(&[("avg", "DECIMAL(10,1)")], &[&["0.3"]]);
    let actual = rs(&[("avg", "DOUBLE")], &[&["0.30000000000000004"]]);
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

#[test]
fn a_float_beyond_the_tolerance_but_equal_at_four_decimals_is_a_display_match_not_a_pass() {
    let gold = rs(&[("share", "DOUBLE")], &[&["0.123456"]]);
    let actual = rs(&[("share", "DOUBLE")], &[&["0.12349"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert!(c.display_match);
    assert_eq!(c.reasons, vec![Reason::SingleCellDifference]);
}

#[test]
fn integers_compare_exactly() {
    let gold = rs(&[("n", "LONG")], &[&["1000000000001"]]);
    let actual = rs(&[("n", "LONG")], &[&["1000000000002"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert!(!c.display_match);
}

#[test]
fn decimal_double_and_long_with_equal_values_match() {
    let gold = rs(&[("n", "DECIMAL(12,2)")], &[&["42.00"], &["7.50"]]);
    let actual = rs(&[("n", "DOUBLE")], &[&["7.5"], &["42.0"]]);
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
    let longs = rs(&[("n", "LONG")], &[&["42"]]);
    let decimals = rs(&[("n", "DECIMAL(10,2)")], &[&["42.00"]]);
    assert_eq!(bag(&longs, &decimals).verdict, Verdict::Match);
}

#[test]
fn numeric_strings_match_numbers_and_are_flagged_as_a_type_difference() {
    // Spider and BIRD compare Python values, so "42" != 42. The REST API returns every value as
    // text; a STRING column holding numbers answers the question, with the type flagged.
    let gold = rs(&[("n", "LONG")], &[&["42"], &["7"]]);
    let actual = rs(&[("n", "STRING")], &[&["7"], &["42.0"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Match);
    assert_eq!(c.reasons, vec![Reason::ColumnTypeDifference]);
}

#[test]
fn a_date_and_a_midnight_timestamp_are_the_same_day() {
    let gold = rs(&[("d", "DATE")], &[&["2024-03-01"]]);
    let actual = rs(&[("d", "TIMESTAMP")], &[&["2024-03-01T00:00:00.000Z"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Match);
    assert_eq!(c.reasons, vec![Reason::ColumnTypeDifference]);
}

#[test]
fn timestamps_in_different_offsets_are_compared_in_utc() {
    let gold = rs(&[("t", "TIMESTAMP")], &[&["2024-03-01T10:00:00Z"]]);
    let actual = rs(&[("t", "TIMESTAMP")], &[&["2024-03-01 12:00:00+02:00"]]);
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

#[test]
fn text_is_trimmed_but_case_is_kept() {
    let gold = rs(&[("c", "STRING")], &[&["Rome"]]);
    assert_eq!(
        bag(&gold, &rs(&[("c", "STRING")], &[&[" Rome "]])).verdict,
        Verdict::Match
    );
    assert_eq!(
        bag(&gold, &rs(&[("c", "STRING")], &[&["ROME"]])).verdict,
        Verdict::Mismatch
    );
}

#[test]
fn booleans_compare_regardless_of_case() {
    let gold = rs(&[("b", "BOOLEAN")], &[&["true"], &["false"]]);
    let actual = rs(&[("b", "BOOLEAN")], &[&["FALSE"], &["TRUE"]]);
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

// ---- NULLs -------------------------------------------------------------------------------

#[test]
fn null_equals_null() {
    // Spider agrees (None == None); it is what SQL users expect of a result table.
    let gold = rs(
        &[("a", "STRING"), ("n", "LONG")],
        &[&["x", "NULL"], &["NULL", "1"]],
    );
    let actual = rs(
        &[("a", "STRING"), ("n", "LONG")],
        &[&["NULL", "1"], &["x", "NULL"]],
    );
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

#[test]
fn null_differs_from_zero_and_from_empty_text() {
    let gold = rs(&[("n", "LONG")], &[&["NULL"]]);
    assert_eq!(
        bag(&gold, &rs(&[("n", "LONG")], &[&["0"]])).verdict,
        Verdict::Mismatch
    );
    let gold = rs(&[("s", "STRING")], &[&["NULL"], &["a"]]);
    assert_eq!(
        bag(&gold, &rs(&[("s", "STRING")], &[&[""], &["a"]])).verdict,
        Verdict::Mismatch
    );
}

// ---- ORDER BY, ties and LIMIT ------------------------------------------------------------

#[test]
fn an_ordered_gold_needs_the_same_order() {
    // Spider agrees (order matters when the gold has ORDER BY); BIRD ignores order.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Oslo", "2"], &["Rome", "3"]],
    );
    let c = ordered(&gold, &actual, Some(vec![1]), None);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(c.reasons, vec![Reason::ResultOrderDifference]);
    assert_eq!(c.order_break, Some(0));
}

#[test]
fn rows_tied_on_the_order_by_keys_may_come_in_any_order() {
    // Spider's list equality would fail here; a tie has no defined order, so we accept it.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"], &["Bern", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Bern", "2"], &["Oslo", "2"]],
    );
    assert_eq!(
        ordered(&gold, &actual, Some(vec![1]), None).verdict,
        Verdict::Match
    );
}

#[test]
fn without_known_order_keys_every_row_keeps_its_position() {
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Oslo", "2"], &["Bern", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Bern", "2"], &["Oslo", "2"]],
    );
    assert_eq!(
        ordered(&gold, &actual, None, None).verdict,
        Verdict::Mismatch
    );
}

#[test]
fn any_row_tied_at_the_limit_boundary_is_accepted() {
    // BIRD keeps extra golds for `ORDER BY … LIMIT 1` ties but its scripts ignore them; Spider
    // fails them. The gold's LIMIT cut a tie group; any member of it answers the question.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Bern", "2"]],
    );
    assert_eq!(
        ordered(&gold, &actual, Some(vec![1]), Some(2)).verdict,
        Verdict::Match
    );
}

#[test]
fn a_row_outside_the_boundary_tie_still_fails() {
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Bern", "1"]],
    );
    let c = ordered(&gold, &actual, Some(vec![1]), Some(2));
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(
        c.reasons,
        vec![Reason::ResultMissingRows, Reason::ResultExtraRows]
    );
}

#[test]
fn a_limit_the_gold_did_not_reach_relaxes_nothing() {
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Bern", "2"]],
    );
    assert_eq!(
        ordered(&gold, &actual, Some(vec![1]), Some(10)).verdict,
        Verdict::Mismatch
    );
}

// ---- extra and missing columns, single cells ---------------------------------------------

#[test]
fn extra_columns_pass_with_a_flag() {
    // Spider and BIRD fail this (column counts differ); a helpful extra column does not make
    // the answer wrong, so it passes and the flag reaches the report.
    let gold = rs(&[("city", "STRING")], &[&["Rome"], &["Oslo"]]);
    let actual = rs(
        &[("id", "LONG"), ("city", "STRING")],
        &[&["1", "Rome"], &["2", "Oslo"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Match);
    assert_eq!(c.reasons, vec![Reason::ResultExtraColumns]);
    assert_eq!(c.extra_columns, vec![0]);
}

#[test]
fn a_missing_gold_column_fails() {
    // The seed system's and GSO's lenient matchers accept a subset of columns; we do not.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(&[("city", "STRING")], &[&["Rome"], &["Oslo"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(c.reasons, vec![Reason::ResultMissingColumns]);
    assert_eq!(c.column_mapping, vec![Some(0), None]);
}

#[test]
fn one_differing_cell_is_a_single_cell_difference() {
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Oslo", "2"], &["Rome", "4"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.reasons, vec![Reason::SingleCellDifference]);
    let cell = c.cell_difference.expect("a cell difference");
    assert_eq!(
        (
            cell.gold_row,
            cell.gold_column,
            cell.actual_row,
            cell.actual_column
        ),
        (0, 1, 1, 1)
    );
    assert_eq!(
        (cell.expected.as_deref(), cell.actual.as_deref()),
        (Some("3"), Some("4"))
    );
}

#[test]
fn a_wrong_scalar_is_a_different_cell_not_a_missing_column() {
    let gold = rs(&[("total", "LONG")], &[&["120"]]);
    let actual = rs(&[("cnt", "LONG")], &[&["118"]]);
    assert_eq!(
        bag(&gold, &actual).reasons,
        vec![Reason::SingleCellDifference]
    );
}

#[test]
fn a_same_shape_result_with_other_values_never_passes() {
    // GSO's "signature" tier passes equal schema and row count; we never pass on shape alone.
    let gold = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Rome", "3"], &["Oslo", "2"]],
    );
    let actual = rs(
        &[("city", "STRING"), ("n", "LONG")],
        &[&["Bern", "9"], &["Kyiv", "8"]],
    );
    let c = bag(&gold, &actual);
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(
        c.reasons,
        vec![Reason::ResultMissingRows, Reason::ResultExtraRows]
    );
}

#[test]
fn incompatible_column_types_do_not_map() {
    let gold = rs(&[("city", "STRING")], &[&["Rome"]]);
    let actual = rs(&[("n", "LONG")], &[&["1"]]);
    let c = bag(&gold, &actual);
    assert_eq!(c.column_mapping, vec![None]);
    assert!(c.reasons.contains(&Reason::ResultMissingColumns));
}

// ---- Genie's row cap ---------------------------------------------------------------------

fn numbered(n: usize, truncated: bool) -> ResultSet {
    let rows: Vec<Vec<Option<String>>> = (0..n).map(|i| vec![Some(i.to_string())]).collect();
    ResultSet {
        rows: rows.into(),
        truncated,
        ..rs(&[("n", "LONG")], &[])
    }
}

#[test]
fn a_capped_ordered_answer_is_compared_with_the_golds_first_rows() {
    let gold = numbered(6_000, false);
    let actual = numbered(5_000, true);
    let c = ordered(&gold, &actual, Some(vec![0]), None);
    assert_eq!(c.verdict, Verdict::Match);
    assert!(c.capped);
    assert_eq!(c.gold_rows_compared, 5_000);
}

#[test]
fn a_capped_unordered_answer_is_not_evaluable() {
    let c = bag(&numbered(6_000, false), &numbered(5_000, true));
    assert_eq!(c.not_evaluable, Some(NotEvaluable::CappedWithoutOrder));
}

#[test]
fn a_capped_answer_longer_than_the_gold_has_extra_rows() {
    let c = bag(&numbered(10, false), &numbered(5_000, true));
    assert_eq!(c.verdict, Verdict::Mismatch);
    assert_eq!(c.extra_rows, 4_990);
}

#[test]
fn a_truncated_gold_is_not_evaluable() {
    let c = bag(&numbered(10, true), &numbered(10, false));
    assert_eq!(c.not_evaluable, Some(NotEvaluable::GoldTruncated));
}

// ---- robustness --------------------------------------------------------------------------

#[test]
fn ragged_rows_read_missing_cells_as_null_without_panicking() {
    let mut gold = rs(&[("a", "LONG"), ("b", "LONG")], &[&["1", "NULL"]]);
    let mut actual = gold.clone();
    actual.rows = vec![vec![Some("1")]].into();
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
    gold.rows = vec![vec![Some("1"), None, Some("junk")]].into();
    assert_eq!(bag(&gold, &actual).verdict, Verdict::Match);
}

#[test]
fn a_comparison_serializes_with_genie_reason_codes() {
    let gold = rs(&[("n", "LONG")], &[&["1"]]);
    let actual = rs(&[("n", "LONG")], &[&["2"]]);
    let json = serde_json::to_value(bag(&gold, &actual)).unwrap_or_default();
    assert_eq!(json["reasons"][0], "SINGLE_CELL_DIFFERENCE");
    assert_eq!(json["verdict"], "mismatch");
}
