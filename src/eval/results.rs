//! The per-question results of one evaluation run: the versioned, documented document that
//! `evaluate` writes as `results.json` (schema: `docs/results-schema.md`) and reads back for
//! `--baseline` and repeatability comparisons.
//!
//! Codes (Genie reasons, failure types, clauses) are kept as their wire strings so a results
//! file stays readable by later versions even when the internal enums grow. Pure: no I/O.

use serde::{Deserialize, Serialize};

/// The schema version written into every results file. Bump it when a field changes meaning
/// or disappears; adding an optional field keeps the version.
pub const SCHEMA_VERSION: u32 = 1;

/// One evaluation run, every question included (errors stay in the denominator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// What was evaluated and how.
    pub run: RunInfo,
    /// One entry per question, sorted by id.
    pub questions: Vec<QuestionResult>,
}

/// What was evaluated and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The repository space name.
    pub space: String,
    /// The target name.
    pub target: String,
    /// The Genie space asked (the live space, or the temporary one).
    pub space_id: String,
    /// How the live space was found (`settings`, `bundle_state`, `title`), or `temporary`.
    pub resolved_by: String,
    /// `live` or `file`.
    pub against: String,
    /// `conversation` or `native`.
    pub engine: String,
    /// The scope as given (`full`, `p0`, `ids:a,b`, ...).
    pub scope: String,
    /// "Today" for relative dates (YYYY-MM-DD), when pinned.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Times each question was asked.
    pub repeat: u32,
    /// Relative float tolerance of the comparison.
    pub float_tolerance: f64,
}

/// The overall verdict on one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Genie's result carries the gold result.
    Pass,
    /// Anything else that could be judged: wrong result, Genie error, clarification, no SQL.
    Fail,
    /// The results cannot tell right from wrong (both empty, gold empty or failing). Never a
    /// pass; stays in the denominator.
    NotEvaluable,
}

impl Outcome {
    /// Whether this counts as a correct answer.
    pub fn is_pass(self) -> bool {
        self == Outcome::Pass
    }
}

/// What Genie made of the question, in one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// SQL with a result.
    Sql,
    /// A text-only answer.
    Text,
    /// A clarifying question.
    Clarification,
    /// The message failed, timed out or the request errored.
    GenieError,
}

/// One asking of the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// What came back.
    pub answer: AnswerKind,
    /// Genie's SQL.
    #[serde(default)]
    pub sql: Option<String>,
    /// The text answer, the clarifying question or the error message.
    #[serde(default)]
    pub text: Option<String>,
    /// Genie's `error.type`, when it gave one.
    #[serde(default)]
    pub error_type: Option<String>,
    /// Rows Genie's query returned.
    #[serde(default)]
    pub rows: Option<usize>,
    /// SHA-256 of Genie's result (column types and rows, row order kept), to compare runs.
    #[serde(default)]
    pub result_hash: Option<String>,
    /// The verdict on this attempt.
    pub outcome: Outcome,
    /// Genie's native reason codes (`RESULT_MISSING_ROWS`, ...), sorted.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The conversation the question was asked in (conversation engine).
    #[serde(default)]
    pub conversation_id: Option<String>,
}

/// A judge's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgeVerdict {
    Pass,
    Fail,
    /// The judge had nothing to judge (no SQL, no gold).
    Skipped,
}

/// One judge's opinion on the first attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// `executes`, `result_match`, `asset_routing`, `schema`, `logic`, `completeness`.
    pub judge: String,
    pub verdict: JudgeVerdict,
    /// Why, for a person.
    pub detail: String,
}

/// A concrete object of this space (or its Unity Catalog metadata) blamed for a failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlamedObject {
    /// `table`, `column`, `metric_view_measure`, `function`, `join`, `instruction`, `benchmark`.
    pub kind: String,
    /// The object as the space names it: `main.wanderbricks.bookings`,
    /// `main.wanderbricks.bookings.check_in`, `bookings ⋈ hosts`, ...
    pub name: String,
    /// Where to edit it: a space-file path (`data_sources.tables[…]`) or a lever file kind.
    pub location: String,
    /// False when the object is not registered in the space (the fix starts by adding it).
    pub in_space: bool,
}

/// Actionable side information on one failure (eval-anchors §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asi {
    /// The failure type (`wrong_column`, `missing_filter`, ...).
    pub failure_type: String,
    /// The clause (`SELECT`, `WHERE`, ..., `WHOLE`).
    pub clause: String,
    /// What differs.
    pub evidence: String,
    /// At least one concrete object.
    pub blamed: Vec<BlamedObject>,
    /// What the gold does there.
    #[serde(default)]
    pub expected: Option<String>,
    /// What Genie did there.
    #[serde(default)]
    pub actual: Option<String>,
    /// A specific change that would likely have made Genie answer correctly.
    pub counterfactual_fix: String,
    /// The levers (1–6) that can carry the fix, most durable first.
    pub levers: Vec<u8>,
}

/// Consistency of the attempts of one question (`--repeat N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeatability {
    pub attempts: usize,
    pub passes: usize,
    /// Distinct SQL texts (whitespace-normalized).
    pub distinct_sql: usize,
    /// Distinct result hashes.
    pub distinct_results: usize,
    /// All attempts had the same outcome, SQL and result.
    pub consistent: bool,
}

/// Everything known about one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub id: String,
    pub question: String,
    pub category: String,
    /// `P0`, `P1`, `P2`.
    pub priority: String,
    /// `train`, `val`, `held_out`.
    pub split: String,
    /// `TABLE`, `MV`, `TVF`.
    pub expected_asset: String,
    /// The gold SQL with templates resolved.
    pub gold_sql: String,
    /// Rows the gold returned.
    #[serde(default)]
    pub gold_rows: Option<usize>,
    /// Why the gold could not be used (refused by the guard, failed on the warehouse).
    #[serde(default)]
    pub gold_error: Option<String>,
    /// The verdict of the first attempt (what accuracy counts).
    pub outcome: Outcome,
    /// Native reason codes of the first attempt.
    pub reasons: Vec<String>,
    /// Code (and LLM) judges on the first attempt.
    pub judges: Vec<Judgement>,
    /// One entry per cause when the question did not pass.
    pub asi: Vec<Asi>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Present when the question was asked more than once.
    #[serde(default)]
    pub repeatability: Option<Repeatability>,
    /// The native eval run's assessment (`GOOD`, `BAD`, `NEEDS_REVIEW`), engine `native` only.
    #[serde(default)]
    pub native_assessment: Option<String>,
    /// Things worth knowing that do not change the verdict (hard-coded dates, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl RunResults {
    /// A run with its questions sorted by id.
    pub fn new(run: RunInfo, mut questions: Vec<QuestionResult>) -> Self {
        questions.sort_by(|a, b| a.id.cmp(&b.id));
        RunResults {
            schema_version: SCHEMA_VERSION,
            run,
            questions,
        }
    }

    /// Questions that passed.
    pub fn passed(&self) -> usize {
        self.questions
            .iter()
            .filter(|q| q.outcome.is_pass())
            .count()
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&QuestionResult> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// Why a results file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("not a genie-gitops results file: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "results schema version {found} is newer than this genie-gitops understands ({SCHEMA_VERSION}); upgrade genie-gitops"
    )]
    TooNew { found: u32 },
}

/// Reads a results document written by this or an earlier version.
pub fn parse(text: &str) -> Result<RunResults, ResultsError> {
    let results: RunResults = serde_json::from_str(text)?;
    if results.schema_version > SCHEMA_VERSION {
        return Err(ResultsError::TooNew {
            found: results.schema_version,
        });
    }
    Ok(results)
}

/// The wire string of a serializable unit enum value (`Reason::ResultMissingRows` →
/// `RESULT_MISSING_ROWS`); empty when it is not a string.
pub fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compare::Reason;

    #[test]
    fn codes_are_the_wire_names() {
        assert_eq!(code(&Reason::ResultMissingRows), "RESULT_MISSING_ROWS");
        assert_eq!(code(&Outcome::NotEvaluable), "not_evaluable");
    }

    #[test]
    fn a_newer_schema_is_refused_with_advice() {
        let text = r#"{"schema_version": 99, "run": {"space":"s","target":"t","space_id":"x",
            "resolved_by":"settings","against":"live","engine":"conversation","scope":"full",
            "repeat":1,"float_tolerance":0.0}, "questions": []}"#;
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("upgrade genie-gitops"), "{err}");
    }
}
