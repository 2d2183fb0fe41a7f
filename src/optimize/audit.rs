//! The loop's records: the lever audit (attempted, proposed, applied, skip reason), accepted
//! steps and rejections, and the Pareto record over (accuracy ↑, repeatability ↑, regressions ↓,
//! risk cost ↓).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::patch::{Patch, Risk};

/// What happened to one lever.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeverAudit {
    /// Proposals were sought for it.
    pub attempted: bool,
    /// Proposals made (all rounds).
    pub proposed: usize,
    /// Proposals applied and accepted.
    pub applied: usize,
    /// High-risk proposals reported but never applied.
    pub high_risk: usize,
    /// Why it produced no candidate (the last reason).
    pub skip_reason: Option<String>,
}

/// One accepted lever: what the runner commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedStep {
    pub lever: u8,
    pub round: u32,
    pub patches: Vec<Patch>,
    /// One line per proposal.
    pub rationales: Vec<String>,
    /// Questions that went from wrong to right.
    pub fixed: BTreeSet<String>,
    /// Gate accuracy before and after (correct, total).
    pub before: (usize, usize),
    pub after: (usize, usize),
    /// The repository files its patches changed.
    pub files: Vec<String>,
    /// Measured through the space-level overlay (no dev target), not on the durable objects.
    #[serde(default)]
    pub overlay: bool,
}

/// A candidate or proposal that was not kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub lever: u8,
    pub round: u32,
    pub rule: String,
    pub rationale: String,
    pub reason: String,
}

/// One measured state of the space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoPoint {
    /// `baseline`, or the candidate's levers (`lever 6`, `levers 1+2`).
    pub label: String,
    /// Gate accuracy, 0–1.
    pub accuracy: f64,
    /// Share of questions the change did not target whose answer stayed identical, 0–1.
    pub repeatability: f64,
    /// Gate questions that went from right to wrong.
    pub regressions: usize,
    /// Σ risk of the state's accepted patches (low 1, medium 2, high 3).
    pub risk_cost: u32,
    pub accepted: bool,
}

impl ParetoPoint {
    /// Weakly dominates: no worse on every axis.
    fn dominates(&self, other: &ParetoPoint) -> bool {
        self.accuracy >= other.accuracy
            && self.repeatability >= other.repeatability
            && self.regressions <= other.regressions
            && self.risk_cost <= other.risk_cost
    }
}

/// Adds a point to a frontier: dropped when a kept point dominates it, otherwise it evicts
/// the points it dominates (a tie replaces).
pub fn update_frontier(frontier: &mut Vec<ParetoPoint>, point: ParetoPoint) {
    if frontier
        .iter()
        .any(|p| p.dominates(&point) && !point.dominates(p))
    {
        return;
    }
    frontier.retain(|p| !point.dominates(p));
    frontier.push(point);
}

/// Σ risk of patches: low 1, medium 2, high 3.
pub fn risk_cost<'p>(patches: impl IntoIterator<Item = &'p Patch>) -> u32 {
    patches
        .into_iter()
        .map(|p| match p.risk {
            Risk::Low => 1,
            Risk::Medium => 2,
            Risk::High => 3,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, accuracy: f64, regressions: usize, risk_cost: u32) -> ParetoPoint {
        ParetoPoint {
            label: label.into(),
            accuracy,
            repeatability: 1.0,
            regressions,
            risk_cost,
            accepted: true,
        }
    }

    #[test]
    fn a_dominated_point_never_enters_the_frontier_and_a_dominating_one_evicts() {
        let mut frontier = vec![point("a", 0.5, 0, 2)];
        update_frontier(&mut frontier, point("worse", 0.4, 1, 3));
        assert_eq!(frontier.len(), 1);
        update_frontier(&mut frontier, point("better", 0.7, 0, 2));
        assert_eq!(
            frontier
                .iter()
                .map(|p| p.label.as_str())
                .collect::<Vec<_>>(),
            ["better"]
        );
        update_frontier(&mut frontier, point("trade-off", 0.9, 0, 9));
        assert_eq!(frontier.len(), 2);
    }
}
