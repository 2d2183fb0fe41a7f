//! One report model, rendered to markdown (PR body, comment, job summary), JSON and JUnit.
//!
//! [`build`] turns a run's results (plus thresholds and an optional baseline) into a
//! [`Report`]: the gate verdict, accuracy with its 95% Wilson interval, breakdowns by category,
//! priority, split and judge, the per-question table and the failures grouped by cause. The
//! renderers only format it; everything they print is sorted, with no timestamps. Pure.

pub mod junit;
pub mod markdown;
pub mod optimize;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::eval::baseline::{self, BaselineComparison};
use crate::eval::repeat::{Drift, drift};
use crate::eval::results::{JudgeVerdict, Outcome, RunInfo, RunResults};
use crate::eval::stats::{Accuracy, accuracy};
use crate::model::settings::Thresholds;

/// Everything a rendered evaluation report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub gate: Gate,
    pub accuracy: Accuracy,
    pub counts: Counts,
    pub by_category: Vec<Group>,
    pub by_priority: Vec<Group>,
    pub by_split: Vec<Group>,
    pub by_judge: Vec<JudgeStats>,
    pub questions: Vec<QuestionRow>,
    pub failure_groups: Vec<FailureGroup>,
    pub baseline: Option<BaselineComparison>,
    /// Questions whose SQL, result or outcome changed against the baseline.
    pub drift: Vec<Drift>,
    /// Per-question warnings, as `id: text`.
    pub warnings: Vec<String>,
}

/// Whether the run clears the thresholds, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub passed: bool,
    pub min_accuracy: f64,
    /// Each broken rule, for a person.
    pub failures: Vec<String>,
}

/// Outcome counts; every question is in the denominator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub not_evaluable: usize,
    pub total: usize,
}

/// Accuracy of one slice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub accuracy: Accuracy,
}

/// One judge's tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JudgeStats {
    pub judge: String,
    pub pass: usize,
    pub fail: usize,
    pub skipped: usize,
}

/// One line of the per-question table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRow {
    pub id: String,
    pub question: String,
    pub priority: String,
    pub category: String,
    pub outcome: Outcome,
    pub reasons: Vec<String>,
    /// The first failure type, when it did not pass.
    pub cause: Option<String>,
    /// `3/3` when repeated.
    pub repeat: Option<String>,
}

/// Failures sharing a failure type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureGroup {
    pub failure_type: String,
    pub items: Vec<FailureItem>,
}

/// One failure within a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureItem {
    pub id: String,
    pub question: String,
    pub evidence: String,
    /// Blamed objects as `kind name`.
    pub blamed: Vec<String>,
    pub fix: String,
}

/// Builds the report of `results`, gated by `thresholds`, compared with `baseline` if given.
pub fn build(
    results: &RunResults,
    thresholds: &Thresholds,
    baseline: Option<&RunResults>,
) -> Report {
    let counts = counts(results);
    let accuracy = accuracy(counts.pass, counts.total);
    let baseline_cmp = baseline.map(|b| baseline::compare(b, results));
    let gate = gate(results, thresholds, &accuracy, baseline_cmp.as_ref());
    Report {
        run: results.run.clone(),
        gate,
        accuracy,
        counts,
        by_category: groups(results, |q| q.category.clone()),
        by_priority: groups(results, |q| q.priority.clone()),
        by_split: groups(results, |q| q.split.clone()),
        by_judge: judges(results),
        questions: results.questions.iter().map(row).collect(),
        failure_groups: failure_groups(results),
        drift: baseline.map(|b| drift(b, results)).unwrap_or_default(),
        baseline: baseline_cmp,
        warnings: results
            .questions
            .iter()
            .flat_map(|q| q.warnings.iter().map(move |w| format!("{}: {w}", q.id)))
            .collect(),
    }
}

fn counts(results: &RunResults) -> Counts {
    let mut c = Counts {
        total: results.questions.len(),
        ..Counts::default()
    };
    for q in &results.questions {
        match q.outcome {
            Outcome::Pass => c.pass += 1,
            Outcome::Fail => c.fail += 1,
            Outcome::NotEvaluable => c.not_evaluable += 1,
        }
    }
    c
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn gate(
    results: &RunResults,
    thresholds: &Thresholds,
    acc: &Accuracy,
    baseline: Option<&BaselineComparison>,
) -> Gate {
    let mut failures = Vec::new();
    if acc.rate < thresholds.min_accuracy {
        failures.push(format!(
            "accuracy {} is below the threshold {}",
            percent(acc.rate),
            percent(thresholds.min_accuracy)
        ));
    }
    if thresholds.p0_must_pass {
        let p0: Vec<&str> = results
            .questions
            .iter()
            .filter(|q| q.priority == "P0" && !q.outcome.is_pass())
            .map(|q| q.id.as_str())
            .collect();
        if !p0.is_empty() {
            failures.push(format!("P0 questions not passing: {}", p0.join(", ")));
        }
    }
    if let Some(b) = baseline
        && b.newly_failing.len() > thresholds.max_regressions as usize
    {
        failures.push(format!(
            "{} regression(s) against the baseline (allowed: {}): {}",
            b.newly_failing.len(),
            thresholds.max_regressions,
            b.newly_failing.join(", ")
        ));
    }
    Gate {
        passed: failures.is_empty(),
        min_accuracy: thresholds.min_accuracy,
        failures,
    }
}

fn groups(
    results: &RunResults,
    key: impl Fn(&crate::eval::results::QuestionResult) -> String,
) -> Vec<Group> {
    let mut tally: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for q in &results.questions {
        let entry = tally.entry(key(q)).or_default();
        entry.1 += 1;
        if q.outcome.is_pass() {
            entry.0 += 1;
        }
    }
    tally
        .into_iter()
        .map(|(name, (pass, total))| Group {
            name,
            accuracy: accuracy(pass, total),
        })
        .collect()
}

fn judges(results: &RunResults) -> Vec<JudgeStats> {
    let mut order: Vec<String> = Vec::new();
    let mut tally: BTreeMap<String, JudgeStats> = BTreeMap::new();
    for j in results.questions.iter().flat_map(|q| &q.judges) {
        let stats = tally.entry(j.judge.clone()).or_insert_with(|| {
            order.push(j.judge.clone());
            JudgeStats {
                judge: j.judge.clone(),
                pass: 0,
                fail: 0,
                skipped: 0,
            }
        });
        match j.verdict {
            JudgeVerdict::Pass => stats.pass += 1,
            JudgeVerdict::Fail => stats.fail += 1,
            JudgeVerdict::Skipped => stats.skipped += 1,
        }
    }
    order.iter().filter_map(|name| tally.remove(name)).collect()
}

fn row(q: &crate::eval::results::QuestionResult) -> QuestionRow {
    QuestionRow {
        id: q.id.clone(),
        question: q.question.clone(),
        priority: q.priority.clone(),
        category: q.category.clone(),
        outcome: q.outcome,
        reasons: q.reasons.clone(),
        cause: (!q.outcome.is_pass())
            .then(|| q.asi.first().map(|a| a.failure_type.clone()))
            .flatten(),
        repeat: q
            .repeatability
            .as_ref()
            .map(|r| format!("{}/{}", r.passes, r.attempts)),
    }
}

fn failure_groups(results: &RunResults) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<String, Vec<FailureItem>> = BTreeMap::new();
    for q in results.questions.iter().filter(|q| !q.outcome.is_pass()) {
        for asi in &q.asi {
            groups
                .entry(asi.failure_type.clone())
                .or_default()
                .push(FailureItem {
                    id: q.id.clone(),
                    question: q.question.clone(),
                    evidence: asi.evidence.clone(),
                    blamed: asi
                        .blamed
                        .iter()
                        .map(|b| format!("{} `{}`", b.kind, b.name))
                        .collect(),
                    fix: asi.counterfactual_fix.clone(),
                });
        }
    }
    let mut out: Vec<FailureGroup> = groups
        .into_iter()
        .map(|(failure_type, items)| FailureGroup {
            failure_type,
            items,
        })
        .collect();
    out.sort_by(|a, b| {
        b.items
            .len()
            .cmp(&a.items.len())
            .then(a.failure_type.cmp(&b.failure_type))
    });
    out
}

#[cfg(test)]
pub(crate) mod tests;
