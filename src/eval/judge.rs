//! Code judges: deterministic verdicts on one answer, always run. `executes` (Genie produced
//! SQL that ran), `result_match` (the comparator's verdict), `asset_routing` (Genie read the
//! kind of asset the benchmark expects: table, metric view or function) and three structural
//! judges fed by the SQL diff: `schema` (tables, columns, joins), `logic` (filters,
//! aggregates, measures, grouping) and `completeness` (every gold column and row, order and
//! limit). Also the per-question comparison options derived from the gold SQL and a lint for
//! gold SQL that hard-codes dates under a relative-date question.
//!
//! The LLM judge (semantic equivalence, asked only when an LLM endpoint is configured and the
//! code judges disagree) is built here as a prompt from the versioned file
//! `prompts/semantic-equivalence.v1.md` and a strict parser of its JSON reply; the runner sends
//! it. It is advisory: the result match alone decides a pass.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::eval::compare::{CompareOptions, Comparison, Reason, Verdict};
use crate::eval::results::{AnswerKind, JudgeVerdict, Judgement, code};
use crate::model::benchmarks::ExpectedAsset;
use crate::model::result::ResultSet;
use crate::sql::analyze::{AssetKind, QueryFeatures};
use crate::sql::diff::StructuralDiff;

/// What the judges look at for one attempt.
#[derive(Debug, Clone, Copy)]
pub struct JudgeInput<'a> {
    pub expected_asset: ExpectedAsset,
    pub answer: AnswerKind,
    /// The text answer, clarifying question or error message.
    pub answer_text: Option<&'a str>,
    /// Genie's SQL analyzed; `None` without SQL or when it does not parse.
    pub actual: Option<&'a QueryFeatures>,
    /// The structural diff gold → Genie, when both parse.
    pub diff: Option<&'a StructuralDiff>,
    /// The result comparison, when both results exist.
    pub comparison: Option<&'a Comparison>,
}

/// Every code judge's verdict, in a fixed order.
pub fn code_judges(input: &JudgeInput<'_>) -> Vec<Judgement> {
    vec![
        executes(input),
        result_match(input),
        asset_routing(input),
        schema(input),
        logic(input),
        completeness(input),
    ]
}

/// The name and version of the semantic-equivalence prompt (its file under `prompts/`).
pub const SEMANTIC_PROMPT: &str = "semantic-equivalence.v1";

const SEMANTIC_TEMPLATE: &str = include_str!("../../prompts/semantic-equivalence.v1.md");

/// Whether the code judges disagree on an SQL answer: the result and the structure point
/// different ways (a result match with a structural difference, or the reverse), or the
/// result could not be judged. Only then is an LLM asked.
pub fn needs_semantic_judge(judges: &[Judgement]) -> bool {
    let verdict = |name: &str| judges.iter().find(|j| j.judge == name).map(|j| j.verdict);
    if verdict("executes") != Some(JudgeVerdict::Pass) {
        return false;
    }
    let structure_same = verdict("schema") == Some(JudgeVerdict::Pass)
        && verdict("logic") == Some(JudgeVerdict::Pass);
    match verdict("result_match") {
        Some(JudgeVerdict::Pass) => !structure_same,
        Some(JudgeVerdict::Fail) => structure_same,
        _ => true,
    }
}

/// The semantic-equivalence prompt for one answer.
pub fn semantic_prompt(
    question: &str,
    gold_sql: &str,
    genie_sql: &str,
    judges: &[Judgement],
) -> String {
    let findings: Vec<String> = judges
        .iter()
        .map(|j| format!("{} {}: {}", j.judge, code(&j.verdict), j.detail))
        .collect();
    SEMANTIC_TEMPLATE
        .replace("{{question}}", question)
        .replace("{{gold_sql}}", gold_sql.trim())
        .replace("{{genie_sql}}", genie_sql.trim())
        .replace("{{findings}}", &findings.join("; "))
}

/// Reads the model's reply strictly: an object with `verdict` `correct` or `incorrect` and a
/// non-empty `rationale`; anything else is an error (the caller retries).
pub fn parse_semantic_reply(reply: &serde_json::Value) -> Result<Judgement, String> {
    let verdict = match reply.get("verdict").and_then(serde_json::Value::as_str) {
        Some("correct") => JudgeVerdict::Pass,
        Some("incorrect") => JudgeVerdict::Fail,
        other => {
            return Err(format!(
                "`verdict` must be \"correct\" or \"incorrect\", got {other:?}"
            ));
        }
    };
    let rationale = reply
        .get("rationale")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or("`rationale` must be a non-empty string")?;
    Ok(judgement(
        "semantic_equivalence",
        verdict,
        format!("{rationale} ({SEMANTIC_PROMPT})"),
    ))
}

fn judgement(judge: &str, verdict: JudgeVerdict, detail: impl Into<String>) -> Judgement {
    Judgement {
        judge: judge.to_string(),
        verdict,
        detail: detail.into(),
    }
}

fn executes(input: &JudgeInput<'_>) -> Judgement {
    let text = input.answer_text.unwrap_or("").trim();
    match input.answer {
        AnswerKind::Sql => judgement("executes", JudgeVerdict::Pass, "Genie's SQL ran"),
        AnswerKind::Text => judgement(
            "executes",
            JudgeVerdict::Fail,
            format!("no SQL: Genie answered in text: {}", short(text)),
        ),
        AnswerKind::Clarification => judgement(
            "executes",
            JudgeVerdict::Fail,
            format!("no SQL: Genie asked for clarification: {}", short(text)),
        ),
        AnswerKind::GenieError => judgement(
            "executes",
            JudgeVerdict::Fail,
            format!("Genie failed: {}", short(text)),
        ),
    }
}

fn result_match(input: &JudgeInput<'_>) -> Judgement {
    let Some(c) = input.comparison else {
        return judgement(
            "result_match",
            JudgeVerdict::Skipped,
            "no result to compare",
        );
    };
    let reasons = reason_list(&c.reasons);
    match c.verdict {
        Verdict::Match if c.reasons.contains(&Reason::ResultExtraColumns) => judgement(
            "result_match",
            JudgeVerdict::Pass,
            "same rows; Genie added columns (RESULT_EXTRA_COLUMNS)",
        ),
        Verdict::Match => judgement("result_match", JudgeVerdict::Pass, "same result"),
        Verdict::Mismatch => judgement("result_match", JudgeVerdict::Fail, reasons),
        Verdict::NotEvaluable => judgement(
            "result_match",
            JudgeVerdict::Skipped,
            format!("not evaluable: {}", code(&c.not_evaluable)),
        ),
    }
}

fn reason_list(reasons: &[Reason]) -> String {
    let codes: Vec<String> = reasons.iter().map(code).collect();
    if codes.is_empty() {
        "results differ".into()
    } else {
        codes.join(", ")
    }
}

/// The asset kind a benchmark expects.
pub fn expected_kind(asset: ExpectedAsset) -> AssetKind {
    match asset {
        ExpectedAsset::Table => AssetKind::Table,
        ExpectedAsset::MetricView => AssetKind::MetricView,
        ExpectedAsset::Function => AssetKind::Function,
    }
}

fn kind_name(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Table => "a table",
        AssetKind::MetricView => "a metric view",
        AssetKind::Function => "a function",
    }
}

fn asset_routing(input: &JudgeInput<'_>) -> Judgement {
    let Some(actual) = input.actual else {
        return judgement("asset_routing", JudgeVerdict::Skipped, "no SQL to route");
    };
    let want = expected_kind(input.expected_asset);
    let kinds: BTreeSet<AssetKind> = actual.tables.iter().map(|t| t.kind).collect();
    if kinds.contains(&want) {
        judgement(
            "asset_routing",
            JudgeVerdict::Pass,
            format!("reads {}", kind_name(want)),
        )
    } else {
        let read: Vec<&str> = kinds.iter().map(|k| kind_name(*k)).collect();
        let read = if read.is_empty() {
            "no asset".to_string()
        } else {
            read.join(" and ")
        };
        judgement(
            "asset_routing",
            JudgeVerdict::Fail,
            format!("expected {}; Genie read {read}", kind_name(want)),
        )
    }
}

fn structural(
    name: &str,
    input: &JudgeInput<'_>,
    parts: impl Fn(&StructuralDiff) -> Vec<String>,
) -> Judgement {
    let Some(diff) = input.diff else {
        return judgement(name, JudgeVerdict::Skipped, "no parsed SQL to compare");
    };
    let found = parts(diff);
    if found.is_empty() {
        judgement(name, JudgeVerdict::Pass, "same as the gold")
    } else {
        judgement(name, JudgeVerdict::Fail, found.join("; "))
    }
}

fn set_part<T>(
    label: &str,
    missing: &[T],
    extra: &[T],
    show: impl Fn(&T) -> String,
) -> Option<String> {
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let list = |items: &[T]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.iter().map(&show).collect::<Vec<_>>().join(", ")
        }
    };
    Some(format!(
        "{label}: missing {}, extra {}",
        list(missing),
        list(extra)
    ))
}

fn schema(input: &JudgeInput<'_>) -> Judgement {
    structural("schema", input, |d| {
        [
            set_part("tables", &d.tables.missing, &d.tables.extra, |t| {
                t.qualified.clone()
            }),
            set_part(
                "columns",
                &outside_filters(&d.columns.missing, d),
                &outside_filters(&d.columns.extra, d),
                Clone::clone,
            ),
            set_part("joins", &d.joins.missing, &d.joins.extra, |j| {
                format!("{} ⋈ {}", j.tables.0, j.tables.1)
            }),
        ]
        .into_iter()
        .flatten()
        .collect()
    })
}

/// Columns that differ for another reason than a filter (the logic judge covers filters).
fn outside_filters(columns: &[String], d: &StructuralDiff) -> Vec<String> {
    let filtered: BTreeSet<&str> = d
        .filters
        .missing
        .iter()
        .chain(&d.filters.extra)
        .chain(&d.having.missing)
        .chain(&d.having.extra)
        .map(|p| p.column.as_str())
        .chain(d.filter_values.iter().map(|v| v.column.as_str()))
        .collect();
    columns
        .iter()
        .filter(|c| !filtered.contains(c.as_str()))
        .cloned()
        .collect()
}

fn logic(input: &JudgeInput<'_>) -> Judgement {
    structural("logic", input, |d| {
        let pred = |p: &crate::sql::analyze::Predicate| {
            format!("{} {} {}", p.column, p.op, p.value)
                .trim()
                .to_string()
        };
        let mut parts: Vec<String> = [
            set_part("filters", &d.filters.missing, &d.filters.extra, pred),
            set_part(
                "aggregates",
                &d.aggregates.missing,
                &d.aggregates.extra,
                Clone::clone,
            ),
            set_part(
                "measures",
                &d.measures.missing,
                &d.measures.extra,
                Clone::clone,
            ),
            set_part(
                "group by",
                &d.group_by.missing,
                &d.group_by.extra,
                Clone::clone,
            ),
            set_part("having", &d.having.missing, &d.having.extra, pred),
        ]
        .into_iter()
        .flatten()
        .collect();
        for v in &d.filter_values {
            parts.push(format!(
                "filter value {} {}: gold {}, Genie {}",
                v.column, v.op, v.expected, v.actual
            ));
        }
        parts
    })
}

fn completeness(input: &JudgeInput<'_>) -> Judgement {
    let mut gaps = Vec::new();
    if let Some(c) = input.comparison {
        for reason in [Reason::ResultMissingColumns, Reason::ResultMissingRows] {
            if c.reasons.contains(&reason) {
                gaps.push(code(&reason));
            }
        }
    }
    if let Some(d) = input.diff {
        if d.order_by_differs {
            gaps.push("ORDER BY differs".into());
        }
        if let Some((gold, actual)) = &d.limit {
            gaps.push(format!(
                "LIMIT gold {}, Genie {}",
                gold.as_deref().unwrap_or("none"),
                actual.as_deref().unwrap_or("none")
            ));
        }
    }
    if input.comparison.is_none() && input.diff.is_none() {
        return judgement("completeness", JudgeVerdict::Skipped, "nothing to compare");
    }
    if gaps.is_empty() {
        judgement(
            "completeness",
            JudgeVerdict::Pass,
            "every gold column, row, order and limit",
        )
    } else {
        judgement("completeness", JudgeVerdict::Fail, gaps.join("; "))
    }
}

fn short(text: &str) -> String {
    const MAX: usize = 160;
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// Comparison options from the gold query: ordered when it has ORDER BY, with the ORDER BY
/// keys mapped to gold result columns (by select expression, output name or position), and
/// its numeric LIMIT.
pub fn compare_options(
    gold: Option<&QueryFeatures>,
    gold_result: &ResultSet,
    float_tolerance: f64,
) -> CompareOptions {
    let mut opts = CompareOptions {
        float_tolerance,
        ..CompareOptions::default()
    };
    let Some(gold) = gold else {
        return opts;
    };
    opts.order_sensitive = !gold.order_by.is_empty();
    opts.limit = gold.limit.as_deref().and_then(|l| l.trim().parse().ok());
    if opts.order_sensitive {
        let keys: Option<Vec<usize>> = gold
            .order_by
            .iter()
            .map(|k| order_key_column(&k.expr, gold, gold_result))
            .collect();
        opts.order_keys = keys;
    }
    opts
}

fn order_key_column(expr: &str, gold: &QueryFeatures, result: &ResultSet) -> Option<usize> {
    if let Ok(position) = expr.trim().parse::<usize>() {
        return position
            .checked_sub(1)
            .filter(|i| *i < result.column_count());
    }
    let expr = expr.to_lowercase();
    let last = expr.rsplit('.').next().unwrap_or(&expr);
    gold.select
        .iter()
        .position(|s| s.expr == expr)
        .or_else(|| {
            result
                .columns
                .iter()
                .position(|c| c.name.to_lowercase() == last)
        })
        .filter(|i| *i < result.column_count())
}

static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(today|yesterday|tomorrow|recent(ly)?|so far|to date|ytd|mtd|(this|last|past|previous|next|current) (\d+ )?(day|week|month|quarter|year)s?)\b",
    )
    .unwrap_or_else(|_| unreachable!("a constant regex"))
});

static DATE_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"'\d{4}-\d{2}-\d{2}").unwrap_or_else(|_| unreachable!("a constant regex"))
});

/// A warning when the question is relative to today but the gold SQL hard-codes a date: the
/// gold will silently go stale as time passes.
pub fn relative_date_warning(question: &str, gold_sql: &str) -> Option<String> {
    let relative = RELATIVE.find(question)?;
    let literal = DATE_LITERAL.find(gold_sql)?;
    Some(format!(
        "the question says \"{}\" but the gold SQL hard-codes {}'; use current_date() so the answer follows the as-of date",
        relative.as_str(),
        literal.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compare::compare;
    use crate::model::result::ResultColumn;
    use crate::sql::analyze::analyze;
    use crate::sql::diff::diff;

    fn features(sql: &str) -> QueryFeatures {
        analyze(sql, &Default::default()).unwrap()
    }

    fn result(names: &[&str], rows: &[&[&str]]) -> ResultSet {
        ResultSet {
            columns: names
                .iter()
                .map(|n| ResultColumn {
                    name: n.to_string(),
                    type_name: "STRING".into(),
                })
                .collect(),
            rows: rows.iter().map(|r| r.iter().map(|v| Some(*v))).collect(),
            truncated: false,
        }
    }

    #[test]
    fn order_keys_follow_the_gold_order_by_through_aliases_and_positions() {
        let gold =
            features("SELECT city, COUNT(*) AS n FROM t GROUP BY city ORDER BY n DESC LIMIT 3");
        let r = result(&["city", "n"], &[&["a", "3"]]);
        let opts = compare_options(Some(&gold), &r, 1e-6);
        assert!(opts.order_sensitive);
        assert_eq!(opts.order_keys, Some(vec![1]));
        assert_eq!(opts.limit, Some(3));
        let by_position = features("SELECT city, COUNT(*) FROM t GROUP BY city ORDER BY 2");
        assert_eq!(
            compare_options(Some(&by_position), &r, 1e-6).order_keys,
            Some(vec![1])
        );
        let unordered = features("SELECT city FROM t");
        assert!(!compare_options(Some(&unordered), &r, 1e-6).order_sensitive);
    }

    #[test]
    fn structural_judges_name_what_differs() {
        let gold = features("SELECT SUM(total_amount) FROM bookings WHERE status = 'confirmed'");
        let actual = features("SELECT SUM(total_amount) FROM bookings");
        let d = diff(&gold, &actual);
        let g = result(&["x"], &[&["1"]]);
        let a = result(&["x"], &[&["2"]]);
        let c = compare(&g, &a, &CompareOptions::default());
        let judges = code_judges(&JudgeInput {
            expected_asset: ExpectedAsset::Table,
            answer: AnswerKind::Sql,
            answer_text: None,
            actual: Some(&actual),
            diff: Some(&d),
            comparison: Some(&c),
        });
        let verdicts: Vec<(&str, JudgeVerdict)> = judges
            .iter()
            .map(|j| (j.judge.as_str(), j.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("executes", JudgeVerdict::Pass),
                ("result_match", JudgeVerdict::Fail),
                ("asset_routing", JudgeVerdict::Pass),
                ("schema", JudgeVerdict::Pass),
                ("logic", JudgeVerdict::Fail),
                ("completeness", JudgeVerdict::Pass),
            ]
        );
        assert!(
            judges[4].detail.contains("status = 'confirmed'"),
            "{}",
            judges[4].detail
        );
    }

    #[test]
    fn a_clarification_fails_executes_and_skips_the_rest() {
        let judges = code_judges(&JudgeInput {
            expected_asset: ExpectedAsset::MetricView,
            answer: AnswerKind::Clarification,
            answer_text: Some("Which revenue?"),
            actual: None,
            diff: None,
            comparison: None,
        });
        assert_eq!(judges[0].verdict, JudgeVerdict::Fail);
        assert!(
            judges[1..]
                .iter()
                .all(|j| j.verdict == JudgeVerdict::Skipped)
        );
    }

    #[test]
    fn the_llm_is_asked_only_when_the_code_judges_disagree() {
        let j = |name: &str, verdict| judgement(name, verdict, "");
        use JudgeVerdict::*;
        let agree = [
            j("executes", Pass),
            j("result_match", Fail),
            j("schema", Fail),
            j("logic", Pass),
        ];
        assert!(!needs_semantic_judge(&agree));
        let disagree = [
            j("executes", Pass),
            j("result_match", Fail),
            j("schema", Pass),
            j("logic", Pass),
        ];
        assert!(needs_semantic_judge(&disagree));
        let no_sql = [j("executes", Fail), j("result_match", Skipped)];
        assert!(!needs_semantic_judge(&no_sql));
        let prompt = semantic_prompt("Q?", "SELECT 1", "SELECT 2", &disagree);
        assert!(prompt.contains("Gold SQL:\nSELECT 1") && prompt.contains("result_match fail"));
    }

    #[test]
    fn llm_replies_are_read_strictly() {
        let ok = parse_semantic_reply(
            &serde_json::json!({"verdict": "incorrect", "rationale": "Another year."}),
        );
        assert_eq!(ok.unwrap().verdict, JudgeVerdict::Fail);
        assert!(
            parse_semantic_reply(&serde_json::json!({"verdict": "maybe", "rationale": "x"}))
                .is_err()
        );
        assert!(parse_semantic_reply(&serde_json::json!({"verdict": "correct"})).is_err());
    }

    #[test]
    fn hard_coded_dates_under_relative_questions_are_flagged() {
        let w = relative_date_warning(
            "What was revenue last month?",
            "SELECT 1 FROM t WHERE d >= '2025-05-01'",
        );
        assert!(w.unwrap().contains("last month"));
        assert!(relative_date_warning("Revenue in 2024?", "WHERE d >= '2024-01-01'").is_none());
        assert!(
            relative_date_warning("Revenue this year?", "WHERE year(d) = year(current_date())")
                .is_none()
        );
    }
}
