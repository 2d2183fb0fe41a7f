//! Snapshot tests of everything a person reads from an evaluation: markdown, JUnit and the
//! results JSON, on a small run with every kind of outcome.

use super::*;
use crate::eval::results::{
    AnswerKind, Asi, Attempt, BlamedObject, Judgement, QuestionResult, Repeatability,
};

fn attempt(answer: AnswerKind, outcome: Outcome, sql: Option<&str>, reasons: &[&str]) -> Attempt {
    Attempt {
        answer,
        sql: sql.map(String::from),
        text: (answer != AnswerKind::Sql).then(|| "Do you mean booking or payment revenue?".into()),
        error_type: None,
        rows: sql.map(|_| 1),
        result_hash: sql.map(|s| format!("hash-of-{}", s.len())),
        outcome,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        conversation_id: Some("c1".into()),
    }
}

fn question(
    id: &str,
    priority: &str,
    category: &str,
    attempt: Attempt,
    asi: Vec<Asi>,
) -> QuestionResult {
    QuestionResult {
        id: id.into(),
        question: format!("Question {id}?"),
        category: category.into(),
        priority: priority.into(),
        split: "train".into(),
        expected_asset: "TABLE".into(),
        gold_sql: "SELECT SUM(total_amount) FROM main.wb.bookings WHERE status = 'confirmed'"
            .into(),
        gold_rows: Some(1),
        gold_error: None,
        outcome: attempt.outcome,
        reasons: attempt.reasons.clone(),
        judges: vec![Judgement {
            judge: "result_match".into(),
            verdict: if attempt.outcome.is_pass() {
                JudgeVerdict::Pass
            } else {
                JudgeVerdict::Fail
            },
            detail: "d".into(),
        }],
        asi,
        attempts: vec![attempt],
        repeatability: None,
        native_assessment: None,
        warnings: vec![],
    }
}

fn missing_filter() -> Asi {
    Asi {
        failure_type: "missing_filter".into(),
        clause: "WHERE".into(),
        evidence: "gold filters `bookings.status = 'confirmed'`; Genie does not".into(),
        blamed: vec![BlamedObject {
            kind: "column".into(),
            name: "main.wb.bookings.status".into(),
            location: "data_sources.tables[main.wb.bookings].column_configs[status]".into(),
            in_space: true,
        }],
        expected: Some("bookings.status = 'confirmed'".into()),
        actual: Some(String::new()),
        counterfactual_fix:
            "State the rule as a SQL snippet filter naming `main.wb.bookings.status`.".into(),
        levers: vec![6],
    }
}

/// A run with a pass, a wrong result, a clarification and a not-evaluable question.
pub(crate) fn sample() -> RunResults {
    let run = RunInfo {
        space: "wanderbricks".into(),
        target: "dev".into(),
        space_id: "01f0aa".into(),
        resolved_by: "settings".into(),
        against: "live".into(),
        engine: "conversation".into(),
        scope: "full".into(),
        as_of: Some("2025-06-30".into()),
        repeat: 1,
        float_tolerance: 1e-6,
    };
    let mut clarified = question(
        "q3",
        "P1",
        "aggregation",
        attempt(AnswerKind::Clarification, Outcome::Fail, None, &[]),
        vec![Asi {
            failure_type: "ambiguous_question".into(),
            clause: "WHOLE".into(),
            evidence: "Genie asked for clarification".into(),
            blamed: vec![BlamedObject {
                kind: "instruction".into(),
                name: "text instruction 01ab".into(),
                location: "instructions.text_instructions[01ab]".into(),
                in_space: true,
            }],
            expected: Some("a SQL answer".into()),
            actual: Some("Do you mean booking or payment revenue?".into()),
            counterfactual_fix: "Say which table | column \"revenue\" means.".into(),
            levers: vec![6],
        }],
    );
    clarified
        .warnings
        .push("the question says \"last month\" but the gold SQL hard-codes '2025-05-01'".into());
    let mut repeated = question(
        "q1",
        "P0",
        "aggregation",
        attempt(AnswerKind::Sql, Outcome::Pass, Some("SELECT 1"), &[]),
        vec![],
    );
    repeated.repeatability = Some(Repeatability {
        attempts: 2,
        passes: 2,
        distinct_sql: 1,
        distinct_results: 1,
        consistent: true,
    });
    RunResults::new(
        run,
        vec![
            repeated,
            question(
                "q2",
                "P0",
                "ranking",
                attempt(
                    AnswerKind::Sql,
                    Outcome::Fail,
                    Some("SELECT 2"),
                    &["SINGLE_CELL_DIFFERENCE"],
                ),
                vec![missing_filter()],
            ),
            clarified,
            question(
                "q4",
                "P2",
                "list",
                attempt(
                    AnswerKind::Sql,
                    Outcome::NotEvaluable,
                    Some("SELECT 4"),
                    &["EMPTY_GOOD_SQL", "EMPTY_RESULT"],
                ),
                vec![],
            ),
        ],
    )
}

fn baseline() -> RunResults {
    let mut b = sample();
    for q in &mut b.questions {
        q.outcome = if q.id == "q3" {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
    }
    b
}

#[test]
fn the_markdown_report_leads_with_the_verdict_and_groups_failures_by_cause() {
    let report = build(&sample(), &Thresholds::default(), Some(&baseline()));
    insta::assert_snapshot!(markdown::render(&report));
}

#[test]
fn a_passing_run_says_so_in_its_first_line() {
    let mut results = sample();
    results.questions.retain(|q| q.id == "q1");
    let report = build(&results, &Thresholds::default(), None);
    let text = markdown::render(&report);
    let verdict = text.lines().nth(2).unwrap_or_default();
    assert!(verdict.starts_with("**✅ PASS**"), "{verdict}");
}

#[test]
fn the_gate_counts_p0_failures_and_regressions() {
    let report = build(&sample(), &Thresholds::default(), Some(&baseline()));
    assert!(!report.gate.passed);
    assert_eq!(report.gate.failures.len(), 3, "{:?}", report.gate.failures);
    assert_eq!(report.counts.total, 4);
    assert_eq!(report.counts.not_evaluable, 1);
    let lenient = Thresholds {
        min_accuracy: 0.2,
        max_regressions: 5,
        p0_must_pass: false,
        ..Thresholds::default()
    };
    assert!(build(&sample(), &lenient, Some(&baseline())).gate.passed);
}

#[test]
fn the_junit_report_fails_every_question_that_did_not_pass() {
    let results = sample();
    let report = build(&results, &Thresholds::default(), None);
    insta::assert_snapshot!(junit::render(&report, &results));
}

#[test]
fn the_results_json_is_stable() {
    let results = sample();
    let text = serde_json::to_string_pretty(&results).unwrap_or_default();
    insta::assert_snapshot!(text);
    let back = crate::eval::results::parse(&text).unwrap();
    assert_eq!(back, results);
}
