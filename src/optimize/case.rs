//! The optimizer's inputs: the benchmark questions (with their gold query's features), the
//! answers the runner graded, and the failure case of each wrong answer (the structural diff,
//! the result comparison and the taxonomy's findings, or the non-SQL outcome).

use serde::{Deserialize, Serialize};

use crate::eval::compare::Comparison;
use crate::eval::taxonomy::Finding;
use crate::model::benchmarks::{Benchmark, Priority, Split};
use crate::sql::analyze::QueryFeatures;
use crate::sql::diff::StructuralDiff;

/// Which split a question belongs to, as the optimizer uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Feeds proposals and gates.
    Train,
    /// Gates only (never proposals).
    Val,
    /// Asked at the baseline and at the end only: never proposals, never gates.
    HeldOut,
}

impl Role {
    /// The role of a benchmark split (`train` when the file gives none).
    pub fn of(split: Option<Split>) -> Self {
        match split {
            Some(Split::HeldOut) => Role::HeldOut,
            Some(Split::Val) => Role::Val,
            _ => Role::Train,
        }
    }
}

/// One benchmark question with its resolved gold SQL and the gold query's features.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub category: String,
    /// P0 questions are the hard gate.
    pub p0: bool,
    pub role: Role,
    /// The gold SQL as written in the benchmark file (template variables kept).
    pub template_sql: String,
    /// The gold SQL with template variables resolved.
    pub gold_sql: String,
    pub gold: QueryFeatures,
}

impl Question {
    /// A question from a benchmark entry, its resolved gold SQL and that SQL's features.
    pub fn from_benchmark(b: &Benchmark, gold_sql: String, gold: QueryFeatures) -> Self {
        Question {
            id: b.id.clone(),
            text: b.question.clone(),
            category: b.category.clone(),
            p0: b.priority == Priority::P0,
            role: Role::of(b.split),
            template_sql: b.expected_sql.clone(),
            gold_sql,
            gold,
        }
    }
}

/// What Genie answered, as the checkpoint keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Sql {
        sql: String,
    },
    Clarification {
        text: String,
    },
    Text {
        text: String,
    },
    /// Genie failed (FAILED message, timeout).
    Error {
        message: String,
    },
}

impl Answer {
    /// The answer as one comparable string (repeatability compares these).
    pub fn fingerprint(&self) -> String {
        match self {
            Answer::Sql { sql } => format!("sql:{}", sql.trim()),
            Answer::Clarification { text } => format!("clarification:{}", text.trim()),
            Answer::Text { text } => format!("text:{}", text.trim()),
            Answer::Error { message } => format!("error:{}", message.trim()),
        }
    }
}

/// Genie's SQL and what grading found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlOutcome {
    pub sql: String,
    /// `None` when the SQL does not parse.
    pub features: Option<QueryFeatures>,
    pub diff: Option<StructuralDiff>,
    /// `None` when the SQL failed to run.
    pub comparison: Option<Comparison>,
}

/// How a wrong answer failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Genie wrote SQL (that ran and gave another result, or failed to run).
    Sql(Box<SqlOutcome>),
    /// Genie asked a clarifying question.
    Clarification { text: String },
    /// Genie answered in text only.
    Text { text: String },
    /// Genie failed.
    Error { message: String },
}

/// Everything the diagnosis knows about one wrong answer.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureCase {
    pub question_id: String,
    pub outcome: Outcome,
    /// The taxonomy's findings (ASI): failure type, clause, evidence, blame.
    pub findings: Vec<Finding>,
}

impl FailureCase {
    /// The actual query's features, when Genie wrote SQL that parsed.
    pub fn actual(&self) -> Option<&QueryFeatures> {
        match &self.outcome {
            Outcome::Sql(sql) => sql.features.as_ref(),
            _ => None,
        }
    }
}

/// One graded answer, as the runner hands it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    pub question_id: String,
    pub answer: Answer,
    pub correct: bool,
    /// Present when `correct` is false.
    pub failure: Option<FailureCase>,
}
