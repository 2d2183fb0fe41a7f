//! Structural diff of two analyzed queries (gold vs actual): what the actual lacks or adds,
//! clause by clause, including a literal that differs on the same filtered column and a
//! difference in the kind of asset read (table, metric view, function).

use std::collections::BTreeSet;

use serde::Serialize;

use super::analyze::{AssetKind, JoinEdge, Predicate, QueryFeatures, TableRef};

/// Items only the gold has (`missing`) and only the actual has (`extra`), sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetDiff<T> {
    pub missing: Vec<T>,
    pub extra: Vec<T>,
}

impl<T> Default for SetDiff<T> {
    fn default() -> Self {
        SetDiff {
            missing: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl<T> SetDiff<T> {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }
}

impl<T: Ord + Clone> SetDiff<T> {
    fn of(gold: &BTreeSet<T>, actual: &BTreeSet<T>) -> Self {
        SetDiff {
            missing: gold.difference(actual).cloned().collect(),
            extra: actual.difference(gold).cloned().collect(),
        }
    }
}

/// The same column filtered with the same operator but another value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ValueDifference {
    pub column: String,
    pub op: String,
    pub expected: String,
    pub actual: String,
    /// A date or interval value: a different date range.
    pub temporal: bool,
}

/// Everything that differs between two queries' structures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StructuralDiff {
    /// Tables by name.
    pub tables: SetDiff<TableRef>,
    /// The kinds of asset read, when they differ (gold, actual).
    pub asset_kinds: Option<(BTreeSet<AssetKind>, BTreeSet<AssetKind>)>,
    pub joins: SetDiff<JoinEdge>,
    pub columns: SetDiff<String>,
    /// Aggregate functions used in select items.
    pub aggregates: SetDiff<String>,
    pub measures: SetDiff<String>,
    /// Filters with no counterpart on the same column and operator.
    pub filters: SetDiff<Predicate>,
    pub filter_values: Vec<ValueDifference>,
    pub group_by: SetDiff<String>,
    pub having: SetDiff<Predicate>,
    pub order_by_differs: bool,
    /// (gold, actual) LIMIT when they differ.
    pub limit: Option<(Option<String>, Option<String>)>,
}

impl StructuralDiff {
    /// No structural difference at all.
    pub fn is_empty(&self) -> bool {
        self == &StructuralDiff::default()
    }
}

/// Diffs the actual query's features against the gold's.
pub fn diff(gold: &QueryFeatures, actual: &QueryFeatures) -> StructuralDiff {
    let (filters, filter_values) = diff_filters(&gold.filters, &actual.filters);
    let kinds = |f: &QueryFeatures| f.tables.iter().map(|t| t.kind).collect::<BTreeSet<_>>();
    let (gold_kinds, actual_kinds) = (kinds(gold), kinds(actual));
    StructuralDiff {
        tables: diff_tables(&gold.tables, &actual.tables),
        asset_kinds: (gold_kinds != actual_kinds && !actual_kinds.is_empty())
            .then_some((gold_kinds, actual_kinds)),
        joins: SetDiff::of(&gold.joins, &actual.joins),
        columns: SetDiff::of(&gold.columns, &actual.columns),
        aggregates: SetDiff::of(&aggregates(gold), &aggregates(actual)),
        measures: SetDiff::of(&gold.measures, &actual.measures),
        filters,
        filter_values,
        group_by: SetDiff::of(&gold.group_by, &actual.group_by),
        having: SetDiff::of(&gold.having, &actual.having),
        order_by_differs: gold.order_by != actual.order_by,
        limit: (gold.limit != actual.limit).then(|| (gold.limit.clone(), actual.limit.clone())),
    }
}

fn diff_tables(gold: &BTreeSet<TableRef>, actual: &BTreeSet<TableRef>) -> SetDiff<TableRef> {
    let names = |s: &BTreeSet<TableRef>| s.iter().map(|t| t.name.clone()).collect::<BTreeSet<_>>();
    let (g, a) = (names(gold), names(actual));
    SetDiff {
        missing: gold
            .iter()
            .filter(|t| !a.contains(&t.name))
            .cloned()
            .collect(),
        extra: actual
            .iter()
            .filter(|t| !g.contains(&t.name))
            .cloned()
            .collect(),
    }
}

fn aggregates(f: &QueryFeatures) -> BTreeSet<String> {
    f.select
        .iter()
        .filter_map(|s| s.aggregate.clone())
        .collect()
}

/// Pairs filters on the same column and operator whose values differ; the rest stay
/// missing or extra.
fn diff_filters(
    gold: &BTreeSet<Predicate>,
    actual: &BTreeSet<Predicate>,
) -> (SetDiff<Predicate>, Vec<ValueDifference>) {
    let plain = SetDiff::of(gold, actual);
    let mut extra = plain.extra;
    let mut missing = Vec::new();
    let mut values = Vec::new();
    for g in plain.missing {
        let partner = extra.iter().position(|a| {
            !g.column.is_empty() && a.column == g.column && same_op_family(&a.op, &g.op)
        });
        match partner {
            Some(i) => {
                let a = extra.remove(i);
                values.push(ValueDifference {
                    temporal: g.temporal || a.temporal,
                    column: g.column,
                    op: if a.op == g.op {
                        g.op
                    } else {
                        format!("{} / {}", g.op, a.op)
                    },
                    expected: g.value,
                    actual: a.value,
                });
            }
            None => missing.push(g),
        }
    }
    values.sort();
    (SetDiff { missing, extra }, values)
}

/// Operators that constrain a column's value the same way (`=` and `in`, ranges together).
fn same_op_family(a: &str, b: &str) -> bool {
    let family = |op: &str| match op {
        "=" | "in" => 0,
        "<" | "<=" | ">" | ">=" | "between" => 1,
        "like" | "ilike" => 2,
        _ => 3,
    };
    a == b || (family(a) == family(b) && family(a) != 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::analyze::{AssetCatalog, analyze};

    fn diff_sql(gold: &str, actual: &str) -> StructuralDiff {
        let catalog = AssetCatalog::default();
        let parse = |sql| analyze(sql, &catalog).unwrap_or_else(|e| panic!("{sql}: {e}"));
        diff(&parse(gold), &parse(actual))
    }

    #[test]
    fn equal_queries_have_an_empty_diff() {
        let d = diff_sql(
            "SELECT city, SUM(amount) FROM bookings WHERE status = 'OK' GROUP BY city",
            "select b.city, sum(b.amount) from main.gold.bookings b where b.status = 'OK' group by b.city",
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn a_literal_on_the_same_column_is_a_value_difference() {
        let d = diff_sql(
            "SELECT id FROM bookings WHERE status = 'CONFIRMED' AND day >= '2024-01-01'",
            "SELECT id FROM bookings WHERE status = 'confirmed' AND day >= '2023-01-01'",
        );
        assert!(d.filters.is_empty());
        assert_eq!(d.filter_values.len(), 2);
        assert!(
            d.filter_values
                .iter()
                .any(|v| v.column == "bookings.day" && v.temporal)
        );
        assert!(
            d.filter_values
                .iter()
                .any(|v| v.expected == "'CONFIRMED'" && !v.temporal)
        );
    }

    #[test]
    fn missing_tables_joins_aggregates_and_grouping_are_listed() {
        let d = diff_sql(
            "SELECT h.name, AVG(b.amount) FROM bookings b JOIN hosts h ON b.host_id = h.id GROUP BY h.name ORDER BY 2 DESC LIMIT 3",
            "SELECT b.host_id, SUM(b.amount) FROM bookings b GROUP BY b.host_id",
        );
        assert_eq!(
            d.tables
                .missing
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            vec!["hosts"]
        );
        assert_eq!(d.joins.missing.len(), 1);
        assert_eq!(
            (d.aggregates.missing.clone(), d.aggregates.extra.clone()),
            (vec!["avg".to_string()], vec!["sum".to_string()])
        );
        assert!(!d.group_by.is_empty());
        assert!(d.order_by_differs);
        assert_eq!(d.limit, Some((Some("3".into()), None)));
    }

    #[test]
    fn reading_a_table_instead_of_a_metric_view_is_an_asset_kind_difference() {
        let d = diff_sql(
            "SELECT city, MEASURE(revenue) FROM booking_metrics GROUP BY city",
            "SELECT city, SUM(amount) FROM bookings GROUP BY city",
        );
        let (gold, actual) = d.asset_kinds.unwrap_or_default();
        assert_eq!(
            gold.into_iter().collect::<Vec<_>>(),
            vec![AssetKind::MetricView]
        );
        assert_eq!(
            actual.into_iter().collect::<Vec<_>>(),
            vec![AssetKind::Table]
        );
        assert_eq!(d.measures.missing, vec!["revenue".to_string()]);
    }
}
