//! Comparing a run with a baseline run (`--baseline FILE`): accuracy delta, the questions that
//! newly fail and newly pass, and an exact McNemar test on the questions both runs share
//! (paired by id). Pure.

use serde::Serialize;

use crate::eval::results::RunResults;
use crate::eval::stats::{Accuracy, Paired, accuracy, mcnemar_exact};

/// The baseline comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineComparison {
    /// Accuracy of the baseline on the shared questions.
    pub baseline: Accuracy,
    /// Accuracy of this run on the shared questions.
    pub current: Accuracy,
    /// `current.rate - baseline.rate`.
    pub delta: f64,
    /// Passed in the baseline, not now (sorted ids).
    pub newly_failing: Vec<String>,
    /// Failed in the baseline, pass now (sorted ids).
    pub newly_passing: Vec<String>,
    /// The 2×2 table of the shared questions.
    pub paired: Paired,
    /// Two-sided exact McNemar p-value.
    pub p_value: f64,
    /// Questions only this run has (not compared).
    pub only_current: Vec<String>,
    /// Questions only the baseline has (not compared).
    pub only_baseline: Vec<String>,
}

/// Compares `current` with `baseline` on the questions both have.
pub fn compare(baseline: &RunResults, current: &RunResults) -> BaselineComparison {
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut newly_failing = Vec::new();
    let mut newly_passing = Vec::new();
    let mut only_current = Vec::new();
    for q in &current.questions {
        let Some(b) = baseline.question(&q.id) else {
            only_current.push(q.id.clone());
            continue;
        };
        let (was, is) = (b.outcome.is_pass(), q.outcome.is_pass());
        before.push(was);
        after.push(is);
        if was && !is {
            newly_failing.push(q.id.clone());
        }
        if is && !was {
            newly_passing.push(q.id.clone());
        }
    }
    let only_baseline = baseline
        .questions
        .iter()
        .filter(|b| current.question(&b.id).is_none())
        .map(|b| b.id.clone())
        .collect();
    // Both lists grow together, so the lengths always agree.
    let paired = Paired::from_outcomes(&before, &after).unwrap_or_default();
    let baseline_acc = accuracy(before.iter().filter(|x| **x).count(), before.len());
    let current_acc = accuracy(after.iter().filter(|x| **x).count(), after.len());
    BaselineComparison {
        delta: current_acc.rate - baseline_acc.rate,
        baseline: baseline_acc,
        current: current_acc,
        newly_failing,
        newly_passing,
        p_value: mcnemar_exact(&paired),
        paired,
        only_current,
        only_baseline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::results::{Outcome, QuestionResult, RunInfo};

    fn run(outcomes: &[(&str, Outcome)]) -> RunResults {
        let questions = outcomes
            .iter()
            .map(|(id, outcome)| QuestionResult {
                id: id.to_string(),
                question: String::new(),
                category: String::new(),
                priority: "P1".into(),
                split: "train".into(),
                expected_asset: "TABLE".into(),
                gold_sql: String::new(),
                gold_rows: None,
                gold_error: None,
                outcome: *outcome,
                reasons: vec![],
                judges: vec![],
                asi: vec![],
                attempts: vec![],
                repeatability: None,
                native_assessment: None,
                warnings: vec![],
            })
            .collect();
        RunResults::new(RunInfo::default(), questions)
    }

    #[test]
    fn newly_failing_and_passing_questions_are_paired_by_id() {
        use Outcome::*;
        let before = run(&[("a", Pass), ("b", Fail), ("c", Pass), ("gone", Pass)]);
        let after = run(&[("a", Pass), ("b", Pass), ("c", NotEvaluable), ("new", Pass)]);
        let cmp = compare(&before, &after);
        assert_eq!(cmp.newly_failing, ["c"]);
        assert_eq!(cmp.newly_passing, ["b"]);
        assert_eq!(cmp.only_current, ["new"]);
        assert_eq!(cmp.only_baseline, ["gone"]);
        assert_eq!(cmp.paired.total(), 3);
        assert_eq!(cmp.delta, 0.0);
        assert_eq!(cmp.p_value, 1.0);
    }
}
