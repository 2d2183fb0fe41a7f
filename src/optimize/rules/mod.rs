//! The proposal rules, one per file. Each turns the train failures of the context into
//! proposals for one lever; [`propose`] runs them all for a lever, in a fixed order, with the
//! last-resort example rule last. Rules are general: they read the failure's structure (gold vs
//! actual features), the question's words (see [`super::phrase`]) and the repository, never a
//! benchmark id or a domain word.

mod default_filter;
mod entity_matching;
mod example_sql;
mod filter_snippet;
mod function_routing;
mod join_spec;
mod measure_snippet;
mod metric_view_synonym;
mod term_synonym;

use std::collections::BTreeSet;

use crate::sql::analyze::{Predicate, QueryFeatures};

use super::context::{Context, short};
use super::proposal::Proposal;

/// A rule: the proposals it makes for `lever` (empty when it has none for that lever).
type Rule = fn(u8, &Context) -> Vec<Proposal>;

/// The rules in the order their proposals are listed.
const RULES: &[Rule] = &[
    entity_matching::propose,
    default_filter::propose,
    term_synonym::propose,
    join_spec::propose,
    metric_view_synonym::propose,
    measure_snippet::propose,
    filter_snippet::propose,
    function_routing::propose,
];

/// Every proposal for `lever`, best first (weight, then rule order). The example-SQL rule runs
/// last and only for train questions no other proposal targets.
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = RULES.iter().flat_map(|rule| rule(lever, ctx)).collect();
    let targeted: BTreeSet<String> = out.iter().flat_map(|p| p.targets.clone()).collect();
    out.extend(example_sql::propose(lever, ctx, &targeted));
    out.retain(|p| !p.patches.is_empty());
    // Stable sort: equal weights keep rule order.
    out.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
    out
}

/// A simple condition of a WHERE clause, qualified with its table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Condition {
    pub table: String,
    pub column: String,
    /// Upper case: `=`, `>=`, `IN`, …
    pub op: String,
    /// As written in SQL (`'CA'`, `4.8`, `FALSE`).
    pub value: String,
}

impl Condition {
    /// `table.column OP value`.
    pub fn sql(&self) -> String {
        format!("{}.{} {} {}", self.table, self.column, self.op, self.value)
    }

    /// The string literal's text, when the value is one.
    pub fn literal(&self) -> Option<&str> {
        self.value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
    }
}

/// The predicate as a condition, qualified with the query's only table when unqualified.
/// Bare boolean columns become `= TRUE`, `NOT col` becomes `= FALSE`; other shapes are `None`.
pub(crate) fn condition(p: &Predicate, features: &QueryFeatures) -> Option<Condition> {
    if p.temporal {
        return None;
    }
    let (column, op, value) = if p.op == "expr" {
        let v = p.value.trim();
        match v.strip_prefix("NOT ").or_else(|| v.strip_prefix("not ")) {
            Some(col) => (col.trim().to_owned(), "=".to_owned(), "FALSE".to_owned()),
            None => (v.to_owned(), "=".to_owned(), "TRUE".to_owned()),
        }
    } else {
        let op = p.op.to_uppercase();
        if !["=", "!=", "<>", "<", ">", "<=", ">=", "IN", "LIKE"].contains(&op.as_str()) {
            return None;
        }
        (p.column.clone(), op, p.value.clone())
    };
    if !column
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        || column.is_empty()
    {
        return None;
    }
    let (table, column) = qualify(&column, features)?;
    Some(Condition {
        table,
        column,
        op,
        value,
    })
}

/// Splits `table.column`, or qualifies a bare column with the query's only table.
pub(crate) fn qualify(column: &str, features: &QueryFeatures) -> Option<(String, String)> {
    if let Some((table, column)) = column.rsplit_once('.') {
        return Some((short(table), column.to_lowercase()));
    }
    let mut tables = features.tables.iter();
    let only = tables.next()?;
    tables
        .next()
        .is_none()
        .then(|| (only.name.clone(), column.to_lowercase()))
}

/// The conditions of a query's WHERE clause.
pub(crate) fn conditions(features: &QueryFeatures) -> Vec<Condition> {
    features
        .filters
        .iter()
        .filter_map(|p| condition(p, features))
        .collect()
}

/// Question ids as a sorted set.
pub(crate) fn ids<'q>(questions: impl IntoIterator<Item = &'q str>) -> BTreeSet<String> {
    questions.into_iter().map(str::to_owned).collect()
}

/// `a, b and c`.
pub(crate) fn and_list(items: &BTreeSet<String>) -> String {
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
