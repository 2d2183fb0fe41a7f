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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::eval::taxonomy::{FailureType, Finding};
    use crate::model::settings::DurableFiles;
    use crate::model::snapshot::RepoSnapshot;
    use crate::optimize::case::{FailureCase, Outcome, Question, Role, SqlOutcome};
    use crate::optimize::context::{Schema, Settings};
    use crate::sql::analyze::{AssetCatalog, analyze};
    use crate::sql::diff::diff;

    pub(crate) const SPACE: &str = "genie/space.json";
    pub(crate) const SPACE_TEXT: &str = r#"{"version": 2, "data_sources": {"tables": [
        {"identifier": "main.shop.orders"}, {"identifier": "main.shop.customers"}]}}"#;

    fn features(sql: &str) -> QueryFeatures {
        analyze(sql, &AssetCatalog::default()).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub(crate) fn question(id: &str, text: &str, gold: &str, role: Role) -> Question {
        Question {
            id: id.into(),
            text: text.into(),
            category: "filter".into(),
            p0: false,
            role,
            template_sql: gold.into(),
            gold_sql: gold.into(),
            gold: features(gold),
        }
    }

    pub(crate) fn failure(q: &Question, actual: &str) -> FailureCase {
        let actual_features = features(actual);
        let d = diff(&q.gold, &actual_features);
        FailureCase {
            question_id: q.id.clone(),
            outcome: Outcome::Sql(Box::new(SqlOutcome {
                sql: actual.into(),
                features: Some(actual_features),
                diff: Some(d),
                comparison: None,
            })),
            findings: vec![Finding::whole(FailureType::WrongDateRange, "dates differ")],
        }
    }

    fn proposals(
        questions: &[Question],
        failures: &[FailureCase],
        settings: &Settings,
    ) -> Vec<Proposal> {
        let mut snapshot = RepoSnapshot::new();
        snapshot.insert(SPACE, SPACE_TEXT);
        let files = DurableFiles::default();
        let schema = Schema::default();
        let ctx = Context::new(
            &snapshot, SPACE, &files, &schema, settings, questions, failures,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        propose(6, &ctx)
    }

    pub(crate) const GOLD: &str = "SELECT COUNT(*) FROM orders WHERE placed_at >= '2025-03-01'";
    pub(crate) const ACTUAL: &str = "SELECT COUNT(*) FROM orders WHERE shipped_at >= '2025-03-01'";

    #[test]
    fn a_train_failure_on_a_date_column_proposes_the_missing_words_as_synonyms() {
        let q = question(
            "q1",
            "How many orders were placed since March?",
            GOLD,
            Role::Train,
        );
        let out = proposals(
            std::slice::from_ref(&q),
            &[failure(&q, ACTUAL)],
            &Settings::default(),
        );
        let summaries: Vec<String> = out
            .iter()
            .flat_map(|p| &p.patches)
            .map(|p| p.summary())
            .collect();
        assert_eq!(
            summaries,
            ["lever 6 · orders.placed_at · add synonym \"placed\""]
        );
        assert_eq!(out[0].targets, ids(["q1"]));
    }

    #[test]
    fn a_held_out_or_val_failure_feeds_no_proposal() {
        for role in [Role::HeldOut, Role::Val] {
            let q = question("q1", "How many orders were placed since March?", GOLD, role);
            let settings = Settings {
                allow_benchmark_examples: true,
                ..Settings::default()
            };
            assert!(
                proposals(std::slice::from_ref(&q), &[failure(&q, ACTUAL)], &settings).is_empty()
            );
        }
    }

    #[test]
    fn benchmark_sql_becomes_an_example_only_when_the_settings_allow_it() {
        let gold = "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id \
                    GROUP BY c.name HAVING COUNT(*) > 3";
        let q = question(
            "q2",
            "Which customers have more than 3 orders?",
            gold,
            Role::Train,
        );
        let case = failure(&q, "SELECT COUNT(*) FROM customers");
        assert!(
            proposals(
                std::slice::from_ref(&q),
                std::slice::from_ref(&case),
                &Settings::default()
            )
            .is_empty()
        );
        let allowed = Settings {
            allow_benchmark_examples: true,
            ..Settings::default()
        };
        let out = proposals(std::slice::from_ref(&q), &[case], &allowed);
        let json = serde_json::to_value(&out[0].patches[0]).unwrap_or_default();
        assert_eq!(
            json["example"]["question"][0],
            "Which customers have more than :n_orders orders?"
        );
        assert!(
            json["example"]["sql"][0]
                .as_str()
                .unwrap_or("")
                .contains("> :n_orders")
        );
        assert_eq!(json["example"]["parameters"][0]["type_hint"], "INTEGER");
    }
}
