//! Grading one answer for the optimizer: the answer's result against the gold result
//! (`eval::compare`), the structural diff of the two queries (`sql::analyze`, `sql::diff`)
//! and the taxonomy's findings (`eval::taxonomy::classify`). Pure: the caller runs Genie's SQL
//! and hands its result (or the error) in, so a resumed run grades stored answers the same way.

use crate::eval::compare::compare;
use crate::eval::judge::compare_options;
use crate::eval::taxonomy::{FailureType, Finding, classify};
use crate::model::result::ResultSet;
use crate::optimize::case::{Answer, FailureCase, Graded, Outcome, Question, SqlOutcome};
use crate::sql::analyze::{AssetCatalog, analyze};
use crate::sql::diff::diff;

/// Grades `answer` to `question`; `executed` is the result of the answer's SQL on the
/// warehouse (ignored for non-SQL answers). Rows compare in order when the gold query orders.
pub fn grade(
    question: &Question,
    gold: &ResultSet,
    answer: Answer,
    executed: Option<Result<ResultSet, String>>,
    catalog: &AssetCatalog,
    float_tolerance: f64,
) -> Graded {
    let options = compare_options(Some(&question.gold), gold, float_tolerance);
    let whole = |failure, text: &str| vec![Finding::whole(failure, text)];
    let (correct, outcome, findings) = match (&answer, executed) {
        (Answer::Sql { sql }, Some(Ok(result))) => {
            let comparison = compare(gold, &result, &options);
            let features = analyze(sql, catalog).ok();
            let structural = features.as_ref().map(|f| diff(&question.gold, f));
            let findings = classify(structural.as_ref(), &comparison);
            let outcome = Outcome::Sql(Box::new(SqlOutcome {
                sql: sql.clone(),
                features,
                diff: structural,
                comparison: Some(comparison.clone()),
            }));
            (comparison.is_match(), outcome, findings)
        }
        (Answer::Sql { sql }, failed) => {
            let message = match failed {
                Some(Err(message)) => message,
                _ => "the answer's SQL was not run".to_string(),
            };
            let outcome = Outcome::Sql(Box::new(SqlOutcome {
                sql: sql.clone(),
                features: analyze(sql, catalog).ok(),
                diff: None,
                comparison: None,
            }));
            (
                false,
                outcome,
                whole(FailureType::SyntaxOrFunction, &message),
            )
        }
        (Answer::Clarification { text }, _) => (
            false,
            Outcome::Clarification { text: text.clone() },
            whole(FailureType::AmbiguousQuestion, text),
        ),
        (Answer::Text { text }, _) => (
            false,
            Outcome::Text { text: text.clone() },
            whole(FailureType::NoSqlAnswer, text),
        ),
        (Answer::Error { message }, _) => (
            false,
            Outcome::Error {
                message: message.clone(),
            },
            whole(FailureType::GenieError, message),
        ),
    };
    Graded {
        question_id: question.id.clone(),
        answer,
        correct,
        failure: (!correct).then(|| FailureCase {
            question_id: question.id.clone(),
            outcome,
            findings,
        }),
    }
}
