//! Actionable side information (ASI) for every failure: the failure type and clause from
//! [`crate::eval::taxonomy::classify`], the blamed objects resolved to concrete objects of THIS
//! space (a registered table or metric view, a column of one, a metric-view measure, a
//! function, a join spec, the text instruction, the benchmark itself), expected vs actual for
//! the clause, and a counterfactual fix naming what to change and where.
//!
//! Every failure names at least one object: when the classifier blames nothing (Genie errors,
//! clarifications, text answers, result-only differences), the gold query's tables are blamed,
//! or the text instruction when the gold reads nothing. Pure.

use crate::eval::compare::Comparison;
use crate::eval::results::{Asi, BlamedObject, code};
use crate::eval::taxonomy::{Blame, Clause, FailureType, Finding};
use crate::model::space::SerializedSpace;
use crate::sql::analyze::{AssetCatalog, QueryFeatures};

/// The objects of one space that blame can point at, with template variables resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpaceIndex {
    /// Registered table and view identifiers.
    pub tables: Vec<String>,
    /// Registered metric view identifiers.
    pub metric_views: Vec<String>,
    /// Registered function identifiers.
    pub functions: Vec<String>,
    /// Join specs: id and the two identifiers.
    pub joins: Vec<(String, String, String)>,
    /// The text instruction's id, when the space has one.
    pub instruction: Option<String>,
}

fn last_part(identifier: &str) -> String {
    identifier
        .rsplit('.')
        .next()
        .unwrap_or(identifier)
        .trim_matches('`')
        .to_lowercase()
}

impl SpaceIndex {
    /// Indexes a (resolved) space.
    pub fn from_space(space: &SerializedSpace) -> Self {
        SpaceIndex {
            tables: space
                .tables()
                .iter()
                .map(|t| t.identifier.clone())
                .collect(),
            metric_views: space
                .metric_views()
                .iter()
                .map(|t| t.identifier.clone())
                .collect(),
            functions: space
                .sql_functions()
                .iter()
                .map(|f| f.identifier.clone())
                .collect(),
            joins: space
                .join_specs()
                .iter()
                .map(|j| {
                    (
                        j.id.clone(),
                        j.left.identifier.clone(),
                        j.right.identifier.clone(),
                    )
                })
                .collect(),
            instruction: space.text_instructions().first().map(|t| t.id.clone()),
        }
    }

    /// What the SQL analyzer needs to tell metric views from tables.
    pub fn asset_catalog(&self) -> AssetCatalog {
        AssetCatalog {
            metric_views: self.metric_views.iter().cloned().collect(),
        }
    }

    fn find<'a>(list: &'a [String], name: &str) -> Option<&'a str> {
        let name = last_part(name);
        list.iter()
            .find(|id| last_part(id) == name)
            .map(String::as_str)
    }

    /// A table, view or metric view by any qualification.
    fn asset(&self, name: &str) -> Option<(&'static str, &str)> {
        Self::find(&self.tables, name)
            .map(|id| ("table", id))
            .or_else(|| Self::find(&self.metric_views, name).map(|id| ("metric_view", id)))
    }
}

/// What [`explain`] needs about one failed answer.
#[derive(Debug, Clone, Copy)]
pub struct AsiInput<'a> {
    pub question_id: &'a str,
    pub question: &'a str,
    pub findings: &'a [Finding],
    pub gold: Option<&'a QueryFeatures>,
    pub actual: Option<&'a QueryFeatures>,
    pub comparison: Option<&'a Comparison>,
    /// Genie's text, clarifying question or error message (answers without SQL).
    pub answer_text: Option<&'a str>,
}

/// One ASI entry per finding, each with at least one blamed object and a fix.
pub fn explain(input: &AsiInput<'_>, index: &SpaceIndex) -> Vec<Asi> {
    let mut out: Vec<Asi> = Vec::new();
    for finding in input.findings {
        let asi = explain_one(finding, input, index);
        // Two atoms of one cause (`>=` and `<` of a date range) read as one entry.
        match out.iter_mut().find(|a| {
            a.failure_type == asi.failure_type && a.clause == asi.clause && a.blamed == asi.blamed
        }) {
            Some(same) => same.evidence = format!("{}; {}", same.evidence, asi.evidence),
            None => out.push(asi),
        }
    }
    out
}

fn explain_one(finding: &Finding, input: &AsiInput<'_>, index: &SpaceIndex) -> Asi {
    let mut blamed: Vec<BlamedObject> = finding
        .blame
        .iter()
        .filter_map(|b| resolve(b, input, index))
        .collect();
    if blamed.is_empty() {
        blamed = fallback_blame(finding.failure, input, index);
    }
    let counterfactual_fix = match filter_fix(finding, &blamed, input, index) {
        Some((text, gold_column)) => {
            blamed.extend(gold_column);
            text
        }
        None => fix(finding, &blamed, input),
    };
    blamed.sort();
    blamed.dedup();
    let (expected, actual) = clause_sides(finding.clause, input);
    Asi {
        failure_type: code(&finding.failure),
        clause: code(&finding.clause),
        evidence: finding.evidence.clone(),
        counterfactual_fix,
        blamed,
        expected,
        actual,
        levers: finding.failure.levers().to_vec(),
    }
}

fn object(
    kind: &str,
    name: impl Into<String>,
    location: impl Into<String>,
    in_space: bool,
) -> BlamedObject {
    BlamedObject {
        kind: kind.to_string(),
        name: name.into(),
        location: location.into(),
        in_space,
    }
}

/// The gold's own name for a table (as qualified as it wrote it), else the bare name.
fn gold_name(input: &AsiInput<'_>, name: &str) -> String {
    let name = last_part(name);
    input
        .gold
        .and_then(|g| g.tables.iter().find(|t| t.name == name))
        .map(|t| t.qualified.clone())
        .unwrap_or(name)
}

fn table_object(name: &str, input: &AsiInput<'_>, index: &SpaceIndex) -> BlamedObject {
    match index.asset(name) {
        Some((kind, id)) => object(kind, id, format!("data_sources.{kind}s[{id}]"), true),
        None => object(
            "table",
            gold_name(input, name),
            "data_sources.tables (not registered in this space)",
            false,
        ),
    }
}

/// The table a bare column belongs to: the only gold table, else the first gold table the
/// space registers.
fn column_table(table: &str, input: &AsiInput<'_>, index: &SpaceIndex) -> Option<String> {
    if !table.is_empty() {
        return Some(table.to_string());
    }
    let gold = input.gold?;
    if gold.tables.len() == 1 {
        return gold.tables.iter().next().map(|t| t.name.clone());
    }
    gold.tables
        .iter()
        .find(|t| index.asset(&t.name).is_some())
        .map(|t| t.name.clone())
}

fn resolve(blame: &Blame, input: &AsiInput<'_>, index: &SpaceIndex) -> Option<BlamedObject> {
    Some(match blame {
        Blame::Table { name } => table_object(name, input, index),
        Blame::Column { table, column } => {
            let table = column_table(table, input, index)?;
            let owner = table_object(&table, input, index);
            let is_measure = owner.kind == "metric_view"
                && input.gold.is_some_and(|g| {
                    g.measures
                        .iter()
                        .any(|m| m.rsplit('.').next() == Some(column.as_str()))
                });
            if is_measure {
                return Some(object(
                    "metric_view_measure",
                    format!("{}.{column}", owner.name),
                    "the metric view YAML (lever 2): its measure's comment and synonyms",
                    owner.in_space,
                ));
            }
            object(
                "column",
                format!("{}.{column}", owner.name),
                format!(
                    "{}.column_configs[{column}] or the UC column comment",
                    owner.location
                ),
                owner.in_space,
            )
        }
        Blame::MetricViewMeasure { view, measure } => {
            let view = if view.is_empty() {
                input
                    .gold
                    .and_then(|g| {
                        g.tables.iter().find(|t| {
                            index
                                .asset(&t.name)
                                .is_some_and(|(k, _)| k == "metric_view")
                        })
                    })
                    .map(|t| t.name.clone())
                    .unwrap_or_default()
            } else {
                view.clone()
            };
            let owner = index
                .asset(&view)
                .map(|(_, id)| id.to_string())
                .unwrap_or_else(|| gold_name(input, &view));
            object(
                "metric_view_measure",
                format!("{owner}.{measure}"),
                "the metric view YAML (lever 2): its measure's comment and synonyms",
                index.asset(&view).is_some(),
            )
        }
        Blame::Function { name } => match SpaceIndex::find(&index.functions, name) {
            Some(id) => object(
                "function",
                id,
                format!("instructions.sql_functions[{id}]"),
                true,
            ),
            None => object(
                "function",
                name.clone(),
                "instructions.sql_functions (not registered in this space)",
                false,
            ),
        },
        Blame::Join { left, right } => join_object(left, right, input, index),
        Blame::Instruction { .. } => instruction_object(index),
        Blame::Benchmark => object(
            "benchmark",
            input.question_id,
            "the benchmark file: this question's expected_sql",
            false,
        ),
    })
}

fn join_object(left: &str, right: &str, input: &AsiInput<'_>, index: &SpaceIndex) -> BlamedObject {
    let (l, r) = (last_part(left), last_part(right));
    let spec = index.joins.iter().find(|(_, a, b)| {
        let (a, b) = (last_part(a), last_part(b));
        (a == l && b == r) || (a == r && b == l)
    });
    let name = |n: &str| {
        index
            .asset(n)
            .map(|(_, id)| id.to_string())
            .unwrap_or_else(|| gold_name(input, n))
    };
    let label = format!("{} ⋈ {}", name(left), name(right));
    match spec {
        Some((id, _, _)) => object(
            "join",
            label,
            format!("instructions.join_specs[{id}]"),
            true,
        ),
        None => object(
            "join",
            label,
            "instructions.join_specs (no join spec yet)",
            false,
        ),
    }
}

fn instruction_object(index: &SpaceIndex) -> BlamedObject {
    match &index.instruction {
        Some(id) => object(
            "instruction",
            format!("text instruction {id}"),
            format!("instructions.text_instructions[{id}]"),
            true,
        ),
        None => object(
            "instruction",
            "text instruction",
            "instructions.text_instructions (none yet)",
            false,
        ),
    }
}

fn fallback_blame(
    failure: FailureType,
    input: &AsiInput<'_>,
    index: &SpaceIndex,
) -> Vec<BlamedObject> {
    if matches!(failure, FailureType::GoldError) {
        return vec![object(
            "benchmark",
            input.question_id,
            "the benchmark file: this question's expected_sql",
            false,
        )];
    }
    let tables: Vec<BlamedObject> = input
        .gold
        .map(|g| {
            g.tables
                .iter()
                .map(|t| table_object(&t.name, input, index))
                .collect()
        })
        .unwrap_or_default();
    if matches!(
        failure,
        FailureType::AmbiguousQuestion | FailureType::NoSqlAnswer
    ) || tables.is_empty()
    {
        let mut out = vec![instruction_object(index)];
        out.extend(tables);
        return out;
    }
    tables
}

/// Gold vs Genie for the finding's clause, as short readable text.
fn clause_sides(clause: Clause, input: &AsiInput<'_>) -> (Option<String>, Option<String>) {
    let side = |f: Option<&QueryFeatures>| f.map(|f| clause_text(clause, f));
    match clause {
        Clause::Whole => (
            Some("a SQL answer".to_string()),
            input.answer_text.map(|t| t.trim().to_string()),
        ),
        _ => (side(input.gold), side(input.actual)),
    }
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn clause_text(clause: Clause, f: &QueryFeatures) -> String {
    match clause {
        Clause::From => joined(f.tables.iter().map(|t| t.qualified.as_str())),
        Clause::Join => f
            .joins
            .iter()
            .map(|j| {
                format!(
                    "{} ⋈ {} on {}",
                    j.tables.0,
                    j.tables.1,
                    j.keys.join(" and ")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Clause::Where => f
            .filters
            .iter()
            .map(|p| {
                format!("{} {} {}", p.column, p.op, p.value)
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" AND "),
        Clause::Having => f
            .having
            .iter()
            .map(|p| {
                format!("{} {} {}", p.column, p.op, p.value)
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(" AND "),
        Clause::GroupBy => joined(f.group_by.iter().map(String::as_str)),
        Clause::OrderBy | Clause::Limit => {
            let order = f
                .order_by
                .iter()
                .map(|k| format!("{}{}", k.expr, if k.descending { " DESC" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "ORDER BY {}; LIMIT {}",
                if order.is_empty() { "none" } else { &order },
                f.limit.as_deref().unwrap_or("none")
            )
        }
        Clause::Measure => joined(f.measures.iter().map(String::as_str)),
        Clause::Select | Clause::Whole => joined(f.select.iter().map(|s| s.expr.as_str())),
    }
}

/// Fixes for WHERE findings, read from the two queries' predicates: a value that differs only
/// in case (entity matching), a filter Genie put on another column than the gold (describe the
/// gold's column; it is blamed too), or a filter the gold does not have. `None` for other
/// findings.
fn filter_fix(
    finding: &Finding,
    blamed: &[BlamedObject],
    input: &AsiInput<'_>,
    index: &SpaceIndex,
) -> Option<(String, Option<BlamedObject>)> {
    if !matches!(
        finding.failure,
        FailureType::WrongFilterValue | FailureType::WrongDateRange
    ) {
        return None;
    }
    let Blame::Column { table, column } = finding.blame.first()? else {
        return None;
    };
    let (gold, actual) = (input.gold?, input.actual?);
    let key = if table.is_empty() {
        column.clone()
    } else {
        format!("{table}.{column}")
    };
    let target = blamed.first().map(|b| b.name.as_str()).unwrap_or(&key);
    let q = input.question;
    let structural = crate::sql::diff::diff(gold, actual);
    if let Some(v) = structural.filter_values.iter().find(|v| v.column == key) {
        let fix = if v.expected.to_lowercase() == v.actual.to_lowercase() {
            format!(
                "Enable format assistance and entity matching on `{target}` so Genie writes the stored value {} instead of {}.",
                v.expected, v.actual
            )
        } else if v.temporal {
            format!(
                "Add a SQL snippet expression (or an example SQL) for the period in \"{q}\" on `{target}`: the gold's bound is {}, Genie's {}.",
                v.expected, v.actual
            )
        } else {
            format!(
                "List `{target}`'s valid values and their meaning in its description (and enable entity matching) so \"{q}\" maps to {} rather than {}.",
                v.expected, v.actual
            )
        };
        return Some((fix, None));
    }
    let extra = structural.filters.extra.iter().find(|p| p.column == key)?;
    let owner = key.rsplit_once('.').map(|(t, _)| t).unwrap_or("");
    let counterpart = structural.filters.missing.iter().find(|p| {
        p.column != key
            && p.temporal == extra.temporal
            && (owner.is_empty() || p.column.starts_with(&format!("{owner}.")))
    });
    match counterpart {
        Some(gold_filter) => {
            let (t, c) = gold_filter
                .column
                .rsplit_once('.')
                .unwrap_or(("", gold_filter.column.as_str()));
            let gold_column = resolve(
                &Blame::Column {
                    table: t.to_string(),
                    column: c.to_string(),
                },
                input,
                index,
            );
            let gold_name = gold_column
                .as_ref()
                .map(|b| b.name.clone())
                .unwrap_or_else(|| gold_filter.column.clone());
            let fix = format!(
                "Genie filtered on `{target}` where the gold filters on `{gold_name}`: describe `{gold_name}` with the question's wording (\"{q}\") in its description and synonyms, and say in `{target}`'s description what it does not mean."
            );
            Some((fix, gold_column))
        }
        None => Some((
            format!(
                "Genie added a filter on `{target}` that \"{q}\" does not ask for: say in `{target}`'s description (or the text instruction) when that filter applies and when it does not."
            ),
            None,
        )),
    }
}

fn names(blamed: &[BlamedObject], kind: &str) -> String {
    let list: Vec<String> = blamed
        .iter()
        .filter(|b| b.kind == kind)
        .map(|b| format!("`{}`", b.name))
        .collect();
    list.join(", ")
}

fn first_name(blamed: &[BlamedObject]) -> String {
    blamed
        .first()
        .map(|b| format!("`{}`", b.name))
        .unwrap_or_default()
}

/// The counterfactual: a specific edit, naming the object and where it lives, that would
/// likely have led Genie to the gold answer.
fn fix(finding: &Finding, blamed: &[BlamedObject], input: &AsiInput<'_>) -> String {
    let q = input.question;
    let not_registered: Vec<&BlamedObject> = blamed.iter().filter(|b| !b.in_space).collect();
    if let Some(missing) = not_registered.iter().find(|b| b.kind == "table") {
        return format!(
            "Register `{}` in the space's data_sources.tables: Genie cannot read a table the space does not list.",
            missing.name
        );
    }
    let target = first_name(blamed);
    use FailureType::*;
    match finding.failure {
        WrongTable => format!(
            "Describe {target} (UC table comment or the space's table description) so that questions like \"{q}\" route to it, and say in the description of the table Genie chose what it is NOT for ({}).",
            finding.evidence
        ),
        WrongColumn | MissingSynonym | DescriptionMismatch => format!(
            "Add a description and synonyms to {} (column_configs or the UC column comment) using the question's wording, so \"{q}\" maps to it ({}).",
            non_empty(names(blamed, "column"), &target),
            finding.evidence
        ),
        WrongJoin => format!(
            "Add (or correct) a join spec for {} with the gold's keys and relationship so Genie joins it the same way ({}).",
            non_empty(names(blamed, "join"), &target),
            finding.evidence
        ),
        MissingFilter => format!(
            "State the business rule as a SQL snippet filter or in the text instruction, naming {target}: {} — e.g. \"for '{q}', always filter on it\".",
            finding.evidence
        ),
        WrongFilterValue => format!(
            "Enable format assistance and entity matching on {target} (and list its valid values in the column description) so Genie filters with the stored value ({}).",
            finding.evidence
        ),
        WrongDateRange => format!(
            "Add a SQL snippet expression for the date range and document on {target} which date column and bounds to use ({}).",
            finding.evidence
        ),
        WrongAggregation => format!(
            "Define the aggregate as a measure (metric view or sql_snippets.measures) on {target} with synonyms from the question ({}).",
            finding.evidence
        ),
        WrongMeasure => format!(
            "Give the measure {target} a comment and synonyms matching \"{q}\" so Genie uses MEASURE() on it ({}).",
            finding.evidence
        ),
        WrongGrouping => format!(
            "Describe {target} as the grouping dimension for questions like \"{q}\" (column description or an example SQL) ({}).",
            finding.evidence
        ),
        WrongOrderLimit => format!(
            "Add an example SQL for \"{q}\" (or an instruction on {target}) showing the ordering and row limit ({}).",
            finding.evidence
        ),
        WrongAssetRouting => format!(
            "Point questions like \"{q}\" at {target}: add synonyms to it and an instruction that says when to use it ({}).",
            finding.evidence
        ),
        SyntaxOrFunction | TvfParameterError => format!(
            "Document {target}'s parameters and usage (function COMMENT or an example SQL) so Genie writes SQL that runs ({}).",
            finding.evidence
        ),
        AmbiguousQuestion => format!(
            "Resolve the ambiguity in {target}: say which table and column \"{q}\" means (Genie asked: {}).",
            input.answer_text.unwrap_or("a clarifying question").trim()
        ),
        NoSqlAnswer => format!(
            "Make \"{q}\" answerable with SQL: describe {} and add an instruction that such questions are answered from it.",
            non_empty(names(blamed, "table"), &target)
        ),
        GenieError => format!(
            "Re-run to rule out a transient error; if it repeats, simplify {target} (descriptions, fewer columns) or add an example SQL for \"{q}\" ({}).",
            input.answer_text.unwrap_or("no message").trim()
        ),
        GoldError => format!(
            "Fix the benchmark {target}: its expected_sql returns nothing usable, so the question cannot be judged."
        ),
        NotEvaluable => format!(
            "Change the benchmark {target} or its data so the gold returns rows that tell a right answer from a wrong one ({}).",
            finding.evidence
        ),
        MissingInstruction | ComplianceViolation | RepeatabilityIssue => format!(
            "Add an instruction covering \"{q}\" to {target} ({}).",
            finding.evidence
        ),
        PerformanceIssue | Other => format!(
            "Compare Genie's SQL with the gold for \"{q}\" and document the difference on {target} ({}).",
            finding.evidence
        ),
    }
}

fn non_empty(list: String, fallback: &str) -> String {
    if list.is_empty() {
        fallback.to_string()
    } else {
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compare::{CompareOptions, compare};
    use crate::eval::taxonomy::classify;
    use crate::model::result::{ResultColumn, ResultSet};
    use crate::sql::analyze::analyze;
    use crate::sql::diff::diff;

    fn space() -> SerializedSpace {
        serde_json::from_value(serde_json::json!({
            "version": 2,
            "data_sources": {"tables": [
                {"identifier": "main.wb.bookings"}, {"identifier": "main.wb.hosts"}
            ]},
            "instructions": {
                "text_instructions": [{"id": "01aa", "content": ["Be precise."]}],
                "join_specs": [{"id": "01bb", "left": {"identifier": "main.wb.bookings"},
                    "right": {"identifier": "main.wb.hosts"}, "sql": ["bookings.host_id = hosts.host_id"]}]
            }
        }))
        .unwrap()
    }

    fn one(v: &str) -> ResultSet {
        ResultSet {
            columns: vec![ResultColumn {
                name: "x".into(),
                type_name: "LONG".into(),
            }],
            rows: vec![vec![Some(v)]].into(),
            truncated: false,
        }
    }

    #[test]
    fn a_missing_filter_blames_the_column_of_the_registered_table() {
        let index = SpaceIndex::from_space(&space());
        let gold = analyze(
            "SELECT SUM(total_amount) FROM main.wb.bookings WHERE status = 'confirmed'",
            &index.asset_catalog(),
        )
        .unwrap();
        let actual = analyze(
            "SELECT SUM(total_amount) FROM main.wb.bookings",
            &index.asset_catalog(),
        )
        .unwrap();
        let d = diff(&gold, &actual);
        let c = compare(&one("1"), &one("2"), &CompareOptions::default());
        let findings = classify(Some(&d), &c);
        let asi = explain(
            &AsiInput {
                question_id: "q1",
                question: "Revenue?",
                findings: &findings,
                gold: Some(&gold),
                actual: Some(&actual),
                comparison: Some(&c),
                answer_text: None,
            },
            &index,
        );
        assert_eq!(asi[0].failure_type, "missing_filter");
        assert_eq!(asi[0].blamed[0].name, "main.wb.bookings.status");
        assert!(asi[0].blamed[0].in_space);
        assert!(
            asi[0]
                .counterfactual_fix
                .contains("`main.wb.bookings.status`")
        );
        assert_eq!(asi[0].levers, [6]);
    }

    #[test]
    fn a_filter_on_the_wrong_date_column_blames_both_columns_and_names_the_right_one() {
        let index = SpaceIndex::from_space(&space());
        let catalog = index.asset_catalog();
        let gold = analyze(
            "SELECT COUNT(*) FROM main.wb.bookings WHERE created_at >= '2025-05-01' AND created_at < '2025-06-01'",
            &catalog,
        )
        .unwrap();
        let actual = analyze(
            "SELECT COUNT(*) FROM main.wb.bookings WHERE check_in >= DATE '2025-05-01' AND check_in < DATE '2025-06-01'",
            &catalog,
        )
        .unwrap();
        let d = diff(&gold, &actual);
        let c = compare(&one("1"), &one("2"), &CompareOptions::default());
        let findings = classify(Some(&d), &c);
        let asi = explain(
            &AsiInput {
                question_id: "q4",
                question: "How many bookings were made last month?",
                findings: &findings,
                gold: Some(&gold),
                actual: Some(&actual),
                comparison: Some(&c),
                answer_text: None,
            },
            &index,
        );
        let extra = asi
            .iter()
            .find(|a| {
                a.evidence
                    .contains("Genie adds the filter `bookings.check_in")
            })
            .unwrap();
        let names: Vec<&str> = extra.blamed.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            ["main.wb.bookings.check_in", "main.wb.bookings.created_at"]
        );
        assert!(
            extra.evidence.contains("; "),
            "the two atoms are merged: {}",
            extra.evidence
        );
        assert!(
            extra
                .counterfactual_fix
                .contains("where the gold filters on `main.wb.bookings.created_at`"),
            "{}",
            extra.counterfactual_fix
        );
    }

    #[test]
    fn a_clarification_blames_the_instruction_and_the_gold_tables() {
        let index = SpaceIndex::from_space(&space());
        let gold = analyze("SELECT COUNT(*) FROM main.wb.hosts", &index.asset_catalog()).unwrap();
        let findings = vec![Finding::whole(
            FailureType::AmbiguousQuestion,
            "Genie asked",
        )];
        let asi = explain(
            &AsiInput {
                question_id: "q2",
                question: "How many?",
                findings: &findings,
                gold: Some(&gold),
                actual: None,
                comparison: None,
                answer_text: Some("Hosts or guests?"),
            },
            &index,
        );
        let kinds: Vec<&str> = asi[0].blamed.iter().map(|b| b.kind.as_str()).collect();
        assert_eq!(kinds, ["instruction", "table"]);
        assert_eq!(asi[0].actual.as_deref(), Some("Hosts or guests?"));
    }

    #[test]
    fn an_unregistered_table_is_named_and_the_fix_registers_it() {
        let index = SpaceIndex::from_space(&space());
        let gold = analyze(
            "SELECT COUNT(*) FROM main.wb.reviews",
            &index.asset_catalog(),
        )
        .unwrap();
        let actual = analyze(
            "SELECT COUNT(*) FROM main.wb.bookings",
            &index.asset_catalog(),
        )
        .unwrap();
        let d = diff(&gold, &actual);
        let c = compare(&one("1"), &one("2"), &CompareOptions::default());
        let findings = classify(Some(&d), &c);
        let input = AsiInput {
            question_id: "q3",
            question: "Reviews?",
            findings: &findings,
            gold: Some(&gold),
            actual: Some(&actual),
            comparison: Some(&c),
            answer_text: None,
        };
        let asi = explain(&input, &index);
        let wrong_table = asi
            .iter()
            .find(|a| a.failure_type == "wrong_table")
            .unwrap();
        assert_eq!(wrong_table.blamed[0].name, "main.wb.reviews");
        assert!(!wrong_table.blamed[0].in_space);
        assert!(
            wrong_table
                .counterfactual_fix
                .starts_with("Register `main.wb.reviews`")
        );
    }
}
