//! Diagnosis: failures clustered by (failure type, blamed object) from the ASI findings, each
//! cluster mapped to the levers that can fix it and ranked by questions affected × confidence.
//!
//! Cluster ids are derived from the key (`C` + 8 hex digits of its SHA-256), so the same
//! failure gets the same id in every round and every run. Lever routing follows the failure
//! taxonomy (eval-anchors §5), corrected where genie-behavior §2 names a more durable lever:
//! a wrong date column and an ambiguous term are fixed by column synonyms (lever 1) before
//! instructions (lever 6), and a missing filter by a metric-view filter (lever 2) before a
//! snippet or instruction.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::eval::taxonomy::{Blame, FailureType, Finding};

use super::case::{FailureCase, Outcome, Question};

/// Failures that share a cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Stable: `C` + 8 hex digits.
    pub id: String,
    pub failure: FailureType,
    /// The blamed object, for people (`bookings.created_at`, `bookings ⋈ users`, …).
    pub blame: String,
    pub questions: BTreeSet<String>,
    /// 0–1: how surely the finding names the cause.
    pub confidence: f64,
    /// Levers that can fix it, most durable first.
    pub levers: Vec<u8>,
    /// One finding's evidence per question, sorted.
    pub evidence: Vec<String>,
}

impl Cluster {
    /// Ranking weight: questions affected × confidence.
    pub fn weight(&self) -> f64 {
        self.questions.len() as f64 * self.confidence
    }
}

/// Clusters the failures of the given questions, best first (weight, then id).
pub fn diagnose(failures: &[(&Question, &FailureCase)]) -> Vec<Cluster> {
    let mut clusters: BTreeMap<(FailureType, String), Cluster> = BTreeMap::new();
    for (question, case) in failures {
        for finding in findings(case) {
            let blame = blame_key(&finding);
            let cluster = clusters
                .entry((finding.failure, blame.clone()))
                .or_insert_with(|| Cluster {
                    id: cluster_id(finding.failure, &blame),
                    failure: finding.failure,
                    blame,
                    questions: BTreeSet::new(),
                    confidence: confidence(finding.failure),
                    levers: levers(finding.failure),
                    evidence: Vec::new(),
                });
            if cluster.questions.insert(question.id.clone()) {
                cluster
                    .evidence
                    .push(format!("{}: {}", question.id, finding.evidence));
            }
        }
    }
    let mut out: Vec<Cluster> = clusters.into_values().collect();
    for c in &mut out {
        c.evidence.sort();
    }
    out.sort_by(|a, b| b.weight().total_cmp(&a.weight()).then(a.id.cmp(&b.id)));
    out
}

/// The case's findings; a non-SQL outcome with none gets the finding its outcome implies.
fn findings(case: &FailureCase) -> Vec<Finding> {
    if !case.findings.is_empty() {
        return case.findings.clone();
    }
    let finding = match &case.outcome {
        Outcome::Clarification { text } => Finding::whole(FailureType::AmbiguousQuestion, text),
        Outcome::Text { text } => Finding::whole(FailureType::NoSqlAnswer, text),
        Outcome::Error { message } => Finding::whole(FailureType::GenieError, message),
        Outcome::Sql(_) => Finding::whole(FailureType::Other, "the result differs"),
    };
    vec![finding]
}

/// The blamed objects as one sorted key; the clause when nothing is blamed.
fn blame_key(finding: &Finding) -> String {
    if finding.blame.is_empty() {
        return format!("{:?}", finding.clause).to_lowercase();
    }
    let mut parts: Vec<String> = finding.blame.iter().map(blame_name).collect();
    parts.sort();
    parts.dedup();
    parts.join(", ")
}

/// One blamed object as people name it.
pub fn blame_name(blame: &Blame) -> String {
    match blame {
        Blame::Table { name } | Blame::Function { name } => name.clone(),
        Blame::Column { table, column } if table.is_empty() => column.clone(),
        Blame::Column { table, column } => format!("{table}.{column}"),
        Blame::MetricViewMeasure { view, measure } => format!("{view}.{measure}"),
        Blame::Join { left, right } => format!("{left} ⋈ {right}"),
        Blame::Instruction { .. } => "text instruction".into(),
        Blame::Benchmark => "benchmark".into(),
    }
}

fn cluster_id(failure: FailureType, blame: &str) -> String {
    let name = serde_json::to_string(&failure).unwrap_or_default();
    let hash = crate::patch::sha256_hex(&format!("{name}|{blame}"));
    format!("C{}", &hash[..8])
}

/// How surely a finding of this type names the cause: structural evidence on one object is
/// strong; whole-result and clause-level findings are weaker.
fn confidence(failure: FailureType) -> f64 {
    use FailureType::*;
    match failure {
        WrongFilterValue | MissingFilter | WrongDateRange | WrongJoin | WrongMeasure
        | WrongTable | WrongAssetRouting | WrongColumn => 0.9,
        AmbiguousQuestion | MissingSynonym | SyntaxOrFunction => 0.7,
        _ => 0.5,
    }
}

/// The levers that fix a failure type, most durable first (the taxonomy's routing, corrected).
pub fn levers(failure: FailureType) -> Vec<u8> {
    use FailureType::*;
    match failure {
        WrongDateRange | AmbiguousQuestion => vec![1, 6],
        MissingFilter => vec![2, 6],
        other => other.levers().to_vec(),
    }
}
