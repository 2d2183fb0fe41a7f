//! The failure taxonomy (eval-anchors §8, plus the seed system's types that still apply),
//! each class mapped to the levers that can fix it (eval-anchors §5), and a pure classifier
//! that combines the structural SQL diff with the result comparison into findings: a failure
//! type, the clause, evidence a person can read, and the blamed objects as typed references
//! the caller resolves against the space.

use serde::Serialize;

use crate::eval::compare::{Comparison, NotEvaluable, Reason, Verdict};
use crate::sql::analyze::AssetKind;
use crate::sql::diff::StructuralDiff;

/// Why an answer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureType {
    WrongTable,
    WrongColumn,
    WrongJoin,
    MissingFilter,
    WrongFilterValue,
    WrongDateRange,
    WrongAggregation,
    WrongMeasure,
    WrongGrouping,
    WrongOrderLimit,
    WrongAssetRouting,
    SyntaxOrFunction,
    /// Genie asked for clarification instead of answering.
    AmbiguousQuestion,
    /// Genie answered in text only.
    NoSqlAnswer,
    /// Genie failed (FAILED message, timeout).
    GenieError,
    /// The benchmark's gold SQL is wrong or unusable.
    GoldError,
    NotEvaluable,
    // The seed system's types that still apply (produced by LLM judges or other checks).
    TvfParameterError,
    MissingInstruction,
    MissingSynonym,
    DescriptionMismatch,
    ComplianceViolation,
    RepeatabilityIssue,
    PerformanceIssue,
    Other,
}

impl FailureType {
    /// The levers (1 UC comments/synonyms, 2 metric views, 3 functions, 4 monitoring, 5 ML
    /// tables, 6 the space file) that can fix this class, most durable first. Empty when no
    /// metadata lever applies (an outage, a wrong gold, an unevaluable question).
    pub fn levers(self) -> &'static [u8] {
        use FailureType::*;
        match self {
            WrongTable => &[1, 2, 3],
            WrongColumn | MissingSynonym | DescriptionMismatch => &[1],
            WrongJoin => &[1, 6],
            MissingFilter | WrongFilterValue | WrongDateRange | WrongOrderLimit => &[6],
            WrongAggregation | WrongMeasure => &[2, 6],
            WrongGrouping => &[1, 6],
            WrongAssetRouting => &[2, 3],
            SyntaxOrFunction => &[3, 6],
            TvfParameterError => &[3],
            AmbiguousQuestion | NoSqlAnswer | MissingInstruction | ComplianceViolation
            | RepeatabilityIssue => &[6],
            GenieError | GoldError | NotEvaluable | PerformanceIssue | Other => &[],
        }
    }
}

/// The clause a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Clause {
    Select,
    From,
    Join,
    Where,
    GroupBy,
    Having,
    OrderBy,
    Limit,
    Measure,
    /// The answer as a whole (no SQL, an error, an unevaluable result).
    Whole,
}

/// A metadata object to blame, for the caller to resolve against the space and Unity Catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blame {
    Table {
        name: String,
    },
    /// `table` is empty when the column was not qualified in a multi-table query.
    Column {
        table: String,
        column: String,
    },
    MetricViewMeasure {
        view: String,
        measure: String,
    },
    Function {
        name: String,
    },
    Join {
        left: String,
        right: String,
    },
    Instruction {
        text: String,
    },
    /// The benchmark question itself (its gold SQL).
    Benchmark,
}

/// One classified failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub failure: FailureType,
    pub clause: Clause,
    /// What differs, for a person.
    pub evidence: String,
    pub blame: Vec<Blame>,
}

impl Finding {
    /// A finding about the answer as a whole (Genie errors, clarifications, text answers).
    pub fn whole(failure: FailureType, evidence: impl Into<String>) -> Self {
        Finding {
            failure,
            clause: Clause::Whole,
            evidence: evidence.into(),
            blame: Vec::new(),
        }
    }
}

/// Classifies one answer. `diff` is `None` when Genie's SQL did not parse. A match yields only
/// the soft asset-routing finding, if any; a mismatch yields one finding per structural cause,
/// or one from the result reasons when the structure shows none.
pub fn classify(diff: Option<&StructuralDiff>, comparison: &Comparison) -> Vec<Finding> {
    if comparison.verdict == Verdict::NotEvaluable {
        return vec![not_evaluable(comparison.not_evaluable)];
    }
    let Some(diff) = diff else {
        return vec![Finding::whole(
            FailureType::SyntaxOrFunction,
            "Genie's SQL does not parse",
        )];
    };
    let mut out = Vec::new();
    routing(diff, &mut out);
    if comparison.verdict == Verdict::Match {
        return out;
    }
    tables(diff, &mut out);
    joins(diff, &mut out);
    filters(diff, &mut out);
    aggregation(diff, &mut out);
    grouping_and_order(diff, &mut out);
    if out
        .iter()
        .all(|f| f.failure == FailureType::WrongAssetRouting)
    {
        columns(diff, &mut out);
    }
    if out
        .iter()
        .all(|f| f.failure == FailureType::WrongAssetRouting)
    {
        out.push(from_result(comparison));
    }
    out.sort();
    out.dedup();
    out
}

fn not_evaluable(why: Option<NotEvaluable>) -> Finding {
    match why {
        Some(NotEvaluable::GoldEmpty) => Finding {
            blame: vec![Blame::Benchmark],
            ..Finding::whole(
                FailureType::GoldError,
                "the gold SQL returned no rows (EMPTY_GOOD_SQL)",
            )
        },
        Some(NotEvaluable::BothEmpty) => {
            Finding::whole(FailureType::NotEvaluable, "both results are empty")
        }
        Some(NotEvaluable::GoldTruncated) => {
            Finding::whole(FailureType::NotEvaluable, "the gold result was truncated")
        }
        Some(NotEvaluable::CappedWithoutOrder) | None => Finding::whole(
            FailureType::NotEvaluable,
            "Genie hit its row cap and the gold has no order",
        ),
    }
}

fn routing(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    let Some((gold, actual)) = &diff.asset_kinds else {
        return;
    };
    let blame = diff.tables.missing.iter().map(blame_asset).collect();
    out.push(Finding {
        failure: FailureType::WrongAssetRouting,
        clause: Clause::From,
        evidence: format!("gold reads {}; Genie read {}", kinds(gold), kinds(actual)),
        blame,
    });
}

fn kinds<'k>(set: impl IntoIterator<Item = &'k AssetKind>) -> String {
    let names: Vec<&str> = set
        .into_iter()
        .map(|k| match k {
            AssetKind::Table => "a table",
            AssetKind::MetricView => "a metric view",
            AssetKind::Function => "a function",
        })
        .collect();
    names.join(" and ")
}

fn blame_asset(t: &crate::sql::analyze::TableRef) -> Blame {
    match t.kind {
        AssetKind::Function => Blame::Function {
            name: t.name.clone(),
        },
        _ => Blame::Table {
            name: t.name.clone(),
        },
    }
}

fn tables(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    for t in &diff.tables.missing {
        let instead: Vec<&str> = diff.tables.extra.iter().map(|x| x.name.as_str()).collect();
        let evidence = if instead.is_empty() {
            format!("gold reads `{}`; Genie's SQL does not", t.qualified)
        } else {
            format!(
                "gold reads `{}`; Genie read `{}` instead",
                t.qualified,
                instead.join("`, `")
            )
        };
        let failure = if t.kind == AssetKind::Function {
            FailureType::WrongAssetRouting
        } else {
            FailureType::WrongTable
        };
        out.push(Finding {
            failure,
            clause: Clause::From,
            evidence,
            blame: vec![blame_asset(t)],
        });
    }
}

fn joins(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    let missing_tables: Vec<&str> = diff
        .tables
        .missing
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    for j in diff.joins.missing.iter().chain(&diff.joins.extra) {
        // A join to a table Genie never read is already a wrong-table finding.
        if missing_tables.contains(&j.tables.0.as_str())
            || missing_tables.contains(&j.tables.1.as_str())
        {
            continue;
        }
        let side = if diff.joins.missing.contains(j) {
            "gold joins"
        } else {
            "Genie joined"
        };
        out.push(Finding {
            failure: FailureType::WrongJoin,
            clause: Clause::Join,
            evidence: format!(
                "{side} `{}` and `{}` ({}) on {}",
                j.tables.0,
                j.tables.1,
                j.kind,
                keys(&j.keys)
            ),
            blame: vec![Blame::Join {
                left: j.tables.0.clone(),
                right: j.tables.1.clone(),
            }],
        });
    }
}

fn keys(keys: &[String]) -> String {
    if keys.is_empty() {
        "no keys".into()
    } else {
        keys.join(" and ")
    }
}

fn filters(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    for v in &diff.filter_values {
        let failure = if v.temporal {
            FailureType::WrongDateRange
        } else {
            FailureType::WrongFilterValue
        };
        out.push(Finding {
            failure,
            clause: Clause::Where,
            evidence: format!(
                "`{} {}`: gold `{}`, Genie `{}`",
                v.column, v.op, v.expected, v.actual
            ),
            blame: column_blame(&v.column),
        });
    }
    for p in &diff.filters.missing {
        let failure = if p.temporal {
            FailureType::WrongDateRange
        } else {
            FailureType::MissingFilter
        };
        out.push(Finding {
            failure,
            clause: Clause::Where,
            evidence: format!(
                "gold filters `{} {} {}`; Genie does not",
                p.column, p.op, p.value
            )
            .replace("  ", " "),
            blame: column_blame(&p.column),
        });
    }
    for p in &diff.filters.extra {
        out.push(Finding {
            failure: FailureType::WrongFilterValue,
            clause: Clause::Where,
            evidence: format!("Genie adds the filter `{} {} {}`", p.column, p.op, p.value)
                .replace("  ", " "),
            blame: column_blame(&p.column),
        });
    }
}

fn aggregation(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    let view = diff
        .tables
        .missing
        .iter()
        .find(|t| t.kind == AssetKind::MetricView)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    for m in &diff.measures.missing {
        out.push(Finding {
            failure: FailureType::WrongMeasure,
            clause: Clause::Measure,
            evidence: format!("gold uses the measure `{m}`; Genie does not"),
            blame: vec![Blame::MetricViewMeasure {
                view: view.clone(),
                measure: m.clone(),
            }],
        });
    }
    if !diff.aggregates.is_empty() {
        out.push(Finding {
            failure: FailureType::WrongAggregation,
            clause: Clause::Select,
            evidence: format!(
                "aggregates: gold {}, Genie {}",
                list(&diff.aggregates.missing),
                list(&diff.aggregates.extra)
            ),
            blame: diff
                .columns
                .missing
                .iter()
                .flat_map(|c| column_blame(c))
                .collect(),
        });
    }
}

fn grouping_and_order(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    if !diff.group_by.is_empty() {
        out.push(Finding {
            failure: FailureType::WrongGrouping,
            clause: Clause::GroupBy,
            evidence: format!(
                "grouping: gold {}, Genie {}",
                list(&diff.group_by.missing),
                list(&diff.group_by.extra)
            ),
            blame: diff
                .group_by
                .missing
                .iter()
                .flat_map(|c| column_blame(c))
                .collect(),
        });
    }
    if diff.order_by_differs || diff.limit.is_some() {
        let limit = match &diff.limit {
            Some((g, a)) => format!(
                "; LIMIT gold {}, Genie {}",
                g.as_deref().unwrap_or("none"),
                a.as_deref().unwrap_or("none")
            ),
            None => String::new(),
        };
        let clause = if diff.order_by_differs {
            Clause::OrderBy
        } else {
            Clause::Limit
        };
        out.push(Finding {
            failure: FailureType::WrongOrderLimit,
            clause,
            evidence: format!("ORDER BY differs: {}{limit}", diff.order_by_differs),
            blame: Vec::new(),
        });
    }
}

fn columns(diff: &StructuralDiff, out: &mut Vec<Finding>) {
    if diff.columns.missing.is_empty() {
        return;
    }
    out.push(Finding {
        failure: FailureType::WrongColumn,
        clause: Clause::Select,
        evidence: format!(
            "gold uses {}; Genie uses {}",
            list(&diff.columns.missing),
            list(&diff.columns.extra)
        ),
        blame: diff
            .columns
            .missing
            .iter()
            .flat_map(|c| column_blame(c))
            .collect(),
    });
}

/// A finding from the result alone, when the structure shows no cause.
fn from_result(c: &Comparison) -> Finding {
    let codes: Vec<String> = c
        .reasons
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let failure = if c.reasons.contains(&Reason::ResultMissingColumns) {
        FailureType::WrongColumn
    } else if c.reasons.contains(&Reason::ResultOrderDifference) {
        FailureType::WrongOrderLimit
    } else {
        FailureType::Other
    };
    Finding {
        failure,
        clause: Clause::Whole,
        evidence: format!(
            "results differ ({}) with no structural difference",
            codes.join(", ")
        ),
        blame: Vec::new(),
    }
}

fn column_blame(column: &str) -> Vec<Blame> {
    if column.is_empty() {
        return Vec::new();
    }
    let (table, column) = column.rsplit_once('.').unwrap_or(("", column));
    vec![Blame::Column {
        table: table.to_string(),
        column: column.to_string(),
    }]
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        format!("`{}`", items.join("`, `"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compare::{CompareOptions, compare};
    use crate::model::result::{ResultColumn, ResultSet};
    use crate::sql::analyze::{AssetCatalog, analyze};
    use crate::sql::diff::diff;

    fn result(values: &[&str]) -> ResultSet {
        ResultSet {
            columns: vec![ResultColumn {
                name: "n".into(),
                type_name: "LONG".into(),
            }],
            rows: values
                .iter()
                .map(|v| vec![Some((*v).to_string())])
                .collect(),
            truncated: false,
        }
    }

    fn findings(gold: &str, actual: &str, same_result: bool) -> Vec<Finding> {
        let catalog = AssetCatalog::default();
        let parse = |sql| analyze(sql, &catalog).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let d = diff(&parse(gold), &parse(actual));
        let other = if same_result {
            result(&["1"])
        } else {
            result(&["2"])
        };
        classify(
            Some(&d),
            &compare(&result(&["1"]), &other, &CompareOptions::default()),
        )
    }

    fn types(f: &[Finding]) -> Vec<FailureType> {
        f.iter().map(|x| x.failure).collect()
    }

    #[test]
    fn a_literal_on_the_same_column_is_a_wrong_filter_value_blaming_the_column() {
        let f = findings(
            "SELECT COUNT(*) FROM bookings WHERE city = 'Rome'",
            "SELECT COUNT(*) FROM bookings WHERE city = 'rome'",
            false,
        );
        assert_eq!(types(&f), vec![FailureType::WrongFilterValue]);
        assert_eq!(
            f[0].blame,
            vec![Blame::Column {
                table: "bookings".into(),
                column: "city".into()
            }]
        );
        assert_eq!(f[0].clause, Clause::Where);
    }

    #[test]
    fn a_different_date_literal_is_a_wrong_date_range() {
        let f = findings(
            "SELECT COUNT(*) FROM bookings WHERE day >= DATE '2024-01-01'",
            "SELECT COUNT(*) FROM bookings WHERE day >= DATE '2023-01-01'",
            false,
        );
        assert_eq!(types(&f), vec![FailureType::WrongDateRange]);
    }

    #[test]
    fn a_missing_table_is_a_wrong_table_and_its_join_is_not_double_counted() {
        let f = findings(
            "SELECT COUNT(*) FROM bookings b JOIN hosts h ON b.host_id = h.id WHERE h.superhost",
            "SELECT COUNT(*) FROM bookings",
            false,
        );
        assert_eq!(
            types(&f),
            vec![FailureType::WrongTable, FailureType::MissingFilter]
        );
        assert_eq!(
            f[0].blame,
            vec![Blame::Table {
                name: "hosts".into()
            }]
        );
    }

    #[test]
    fn a_different_aggregate_is_a_wrong_aggregation() {
        let f = findings(
            "SELECT AVG(amount) FROM bookings",
            "SELECT SUM(amount) FROM bookings",
            false,
        );
        assert_eq!(types(&f), vec![FailureType::WrongAggregation]);
    }

    #[test]
    fn a_matching_result_from_a_table_instead_of_a_metric_view_is_only_soft_routing() {
        let f = findings(
            "SELECT MEASURE(revenue) FROM booking_metrics",
            "SELECT SUM(amount) FROM bookings",
            true,
        );
        assert_eq!(types(&f), vec![FailureType::WrongAssetRouting]);
        assert_eq!(
            f[0].blame,
            vec![Blame::Table {
                name: "booking_metrics".into()
            }]
        );
    }

    #[test]
    fn unparseable_sql_is_a_syntax_failure_and_an_empty_gold_blames_the_benchmark() {
        let c = compare(&result(&["1"]), &result(&["2"]), &CompareOptions::default());
        assert_eq!(
            types(&classify(None, &c)),
            vec![FailureType::SyntaxOrFunction]
        );
        let empty = compare(&result(&[]), &result(&["2"]), &CompareOptions::default());
        let f = classify(None, &empty);
        assert_eq!(
            (f[0].failure, f[0].blame.clone()),
            (FailureType::GoldError, vec![Blame::Benchmark])
        );
    }

    #[test]
    fn every_structural_class_names_its_levers() {
        assert_eq!(FailureType::WrongColumn.levers(), &[1]);
        assert_eq!(FailureType::WrongAssetRouting.levers(), &[2, 3]);
        assert!(FailureType::GenieError.levers().is_empty());
    }
}
