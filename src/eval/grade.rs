//! Grading one benchmark question: Genie's answer and the gold result in, an [`Attempt`] with
//! its judges and ASI out, then the attempts folded into a [`QuestionResult`]. Ties the pure
//! pieces together: `sql::analyze` + `sql::diff` (structure), `eval::compare` (results, with
//! order keys and LIMIT from the gold), `eval::judge` (code judges), `eval::taxonomy` +
//! `eval::asi` (why, and what to change). Genie errors, clarifications and text answers are
//! failures with their own failure type; a gold that cannot be used makes the question not
//! evaluable. Pure.

use crate::eval::asi::{AsiInput, SpaceIndex, explain};
use crate::eval::compare::{Comparison, Verdict, compare};
use crate::eval::judge::{JudgeInput, code_judges, compare_options, relative_date_warning};
use crate::eval::repeat::{repeatability, result_hash};
use crate::eval::results::{AnswerKind, Asi, Attempt, Judgement, Outcome, QuestionResult, code};
use crate::eval::taxonomy::{Blame, FailureType, Finding, classify};
use crate::model::benchmarks::{Benchmark, SplitPolicy};
use crate::model::result::ResultSet;
use crate::sql::analyze::analyze;
use crate::sql::diff::diff;

/// What Genie answered, stripped of transport details.
#[derive(Debug, Clone, PartialEq)]
pub enum GenieAnswer {
    Sql {
        sql: String,
        result: ResultSet,
        conversation_id: Option<String>,
    },
    Text {
        text: String,
        conversation_id: Option<String>,
    },
    Clarification {
        question: String,
        conversation_id: Option<String>,
    },
    /// A FAILED/CANCELLED message, a timeout or a failed request.
    Error {
        error_type: Option<String>,
        message: String,
        conversation_id: Option<String>,
    },
}

/// The question being graded and everything fixed for all its attempts.
#[derive(Debug, Clone, Copy)]
pub struct QuestionContext<'a> {
    pub benchmark: &'a Benchmark,
    /// The gold SQL with templates resolved.
    pub gold_sql: &'a str,
    /// The gold result, or why there is none.
    pub gold: Result<&'a ResultSet, &'a str>,
    pub index: &'a SpaceIndex,
    pub float_tolerance: f64,
    pub split_policy: &'a SplitPolicy,
}

/// One graded attempt with the judges' and ASI's view of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    pub attempt: Attempt,
    pub judges: Vec<Judgement>,
    pub asi: Vec<Asi>,
}

/// Grades one answer.
pub fn grade(ctx: &QuestionContext<'_>, answer: &GenieAnswer) -> Graded {
    let catalog = ctx.index.asset_catalog();
    let gold_features = analyze(ctx.gold_sql, &catalog).ok();
    let (kind, sql, text, error_type, conversation_id) = parts(answer);
    let actual_features = sql.and_then(|s| analyze(s, &catalog).ok());
    let structural = match (&gold_features, &actual_features) {
        (Some(g), Some(a)) => Some(diff(g, a)),
        _ => None,
    };
    let result = match answer {
        GenieAnswer::Sql { result, .. } => Some(result),
        _ => None,
    };
    let comparison: Option<Comparison> = match (ctx.gold, result) {
        (Ok(gold), Some(actual)) => {
            let opts = compare_options(gold_features.as_ref(), gold, ctx.float_tolerance);
            Some(compare(gold, actual, &opts))
        }
        _ => None,
    };
    let outcome = outcome(ctx, kind, comparison.as_ref());
    let findings = if outcome.is_pass() {
        Vec::new()
    } else {
        findings(ctx, answer, structural.as_ref(), comparison.as_ref())
    };
    let asi = explain(
        &AsiInput {
            question_id: &ctx.benchmark.id,
            question: &ctx.benchmark.question,
            findings: &findings,
            gold: gold_features.as_ref(),
            actual: actual_features.as_ref(),
            comparison: comparison.as_ref(),
            answer_text: text,
        },
        ctx.index,
    );
    let judges = code_judges(&JudgeInput {
        expected_asset: ctx.benchmark.expected_asset,
        answer: kind,
        answer_text: text,
        actual: actual_features.as_ref(),
        diff: structural.as_ref(),
        comparison: comparison.as_ref(),
    });
    let attempt = Attempt {
        answer: kind,
        sql: sql.map(String::from),
        text: text.map(String::from),
        error_type: error_type.map(String::from),
        rows: result.map(ResultSet::row_count),
        result_hash: result.map(result_hash),
        outcome,
        reasons: comparison
            .as_ref()
            .map(|c| c.reasons.iter().map(code).collect())
            .unwrap_or_default(),
        conversation_id: conversation_id.map(String::from),
    };
    Graded {
        attempt,
        judges,
        asi,
    }
}

type Parts<'a> = (
    AnswerKind,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn parts(answer: &GenieAnswer) -> Parts<'_> {
    match answer {
        GenieAnswer::Sql {
            sql,
            conversation_id,
            ..
        } => (
            AnswerKind::Sql,
            Some(sql),
            None,
            None,
            conversation_id.as_deref(),
        ),
        GenieAnswer::Text {
            text,
            conversation_id,
        } => (
            AnswerKind::Text,
            None,
            Some(text),
            None,
            conversation_id.as_deref(),
        ),
        GenieAnswer::Clarification {
            question,
            conversation_id,
        } => (
            AnswerKind::Clarification,
            None,
            Some(question),
            None,
            conversation_id.as_deref(),
        ),
        GenieAnswer::Error {
            error_type,
            message,
            conversation_id,
        } => (
            AnswerKind::GenieError,
            None,
            Some(message),
            error_type.as_deref(),
            conversation_id.as_deref(),
        ),
    }
}

fn outcome(
    ctx: &QuestionContext<'_>,
    kind: AnswerKind,
    comparison: Option<&Comparison>,
) -> Outcome {
    if ctx.gold.is_err() {
        return Outcome::NotEvaluable;
    }
    if kind != AnswerKind::Sql {
        return Outcome::Fail;
    }
    match comparison.map(|c| c.verdict) {
        Some(Verdict::Match) => Outcome::Pass,
        Some(Verdict::NotEvaluable) => Outcome::NotEvaluable,
        _ => Outcome::Fail,
    }
}

fn findings(
    ctx: &QuestionContext<'_>,
    answer: &GenieAnswer,
    structural: Option<&crate::sql::diff::StructuralDiff>,
    comparison: Option<&Comparison>,
) -> Vec<Finding> {
    if let Err(why) = ctx.gold {
        return vec![Finding {
            blame: vec![Blame::Benchmark],
            ..Finding::whole(
                FailureType::GoldError,
                format!("the gold SQL cannot be used: {why}"),
            )
        }];
    }
    match answer {
        GenieAnswer::Text { .. } => vec![Finding::whole(
            FailureType::NoSqlAnswer,
            "Genie answered in text, without SQL",
        )],
        GenieAnswer::Clarification { .. } => vec![Finding::whole(
            FailureType::AmbiguousQuestion,
            "Genie asked for clarification instead of answering",
        )],
        GenieAnswer::Error {
            error_type,
            message,
            ..
        } => {
            let sql_failed = error_type
                .as_deref()
                .is_some_and(|t| t.contains("SQL") || t.contains("QUERY"));
            let failure = if sql_failed {
                FailureType::SyntaxOrFunction
            } else {
                FailureType::GenieError
            };
            let label = error_type.as_deref().unwrap_or("error");
            vec![Finding::whole(
                failure,
                format!("Genie failed ({label}): {message}"),
            )]
        }
        GenieAnswer::Sql { .. } => match comparison {
            Some(c) => classify(structural, c),
            None => Vec::new(),
        },
    }
}

/// Folds the graded attempts of one question (first attempt decides) into its result.
pub fn question_result(ctx: &QuestionContext<'_>, attempts: Vec<Graded>) -> QuestionResult {
    let b = ctx.benchmark;
    let mut warnings = Vec::new();
    if let Some(w) = relative_date_warning(&b.question, ctx.gold_sql) {
        warnings.push(w);
    }
    let repeat = (attempts.len() > 1).then(|| {
        let list: Vec<Attempt> = attempts.iter().map(|g| g.attempt.clone()).collect();
        repeatability(&list)
    });
    if repeat.as_ref().is_some_and(|r| !r.consistent) {
        warnings.push("the repeated answers differ (see repeatability)".to_string());
    }
    let (outcome, reasons, judges, asi) = match attempts.first() {
        Some(first) => (
            first.attempt.outcome,
            first.attempt.reasons.clone(),
            first.judges.clone(),
            first.asi.clone(),
        ),
        None => (Outcome::NotEvaluable, Vec::new(), Vec::new(), Vec::new()),
    };
    QuestionResult {
        id: b.id.clone(),
        question: b.question.clone(),
        category: b.category.clone(),
        priority: b.priority.to_string(),
        split: b.split_with(ctx.split_policy).to_string(),
        expected_asset: code(&b.expected_asset),
        gold_sql: ctx.gold_sql.to_string(),
        gold_rows: ctx.gold.ok().map(ResultSet::row_count),
        gold_error: ctx.gold.err().map(String::from),
        outcome,
        reasons,
        judges,
        asi,
        attempts: attempts.into_iter().map(|g| g.attempt).collect(),
        repeatability: repeat,
        native_assessment: None,
        warnings,
    }
}
