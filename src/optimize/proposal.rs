//! A proposal: one rule's patch set for one lever, with the questions it should fix, its risk,
//! the durable files it edits and a one-line rationale.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::patch::{Patch, Risk};

/// One proposed fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// The rule that made it (its file name under `optimize/rules/`).
    pub rule: String,
    /// 1–6.
    pub lever: u8,
    pub patches: Vec<Patch>,
    /// Train questions it should fix.
    pub targets: BTreeSet<String>,
    /// The highest risk of its patches: `high` is proposed, never applied.
    pub risk: Risk,
    /// The repository files it edits, sorted.
    pub files: Vec<String>,
    /// One line for reviewers.
    pub rationale: String,
}

impl Proposal {
    /// A proposal over `patches` (each given the rationale); risk and files derive from them.
    pub fn new(
        rule: &str,
        lever: u8,
        patches: Vec<Patch>,
        targets: BTreeSet<String>,
        rationale: String,
    ) -> Self {
        let patches: Vec<Patch> = patches
            .into_iter()
            .map(|p| Patch {
                lever,
                ..p.because(rationale.clone())
            })
            .collect();
        let risk = patches.iter().map(|p| p.risk).max().unwrap_or(Risk::Low);
        let files: BTreeSet<String> = patches.iter().map(|p| p.op.file().to_owned()).collect();
        Proposal {
            rule: rule.to_owned(),
            lever,
            patches,
            targets,
            risk,
            files: files.into_iter().collect(),
            rationale,
        }
    }

    /// Whether the loop may apply it (low and medium risk); high risk is only reported.
    pub fn applicable(&self) -> bool {
        self.risk != Risk::High
    }

    /// Ranking weight: questions it should fix, discounted by risk.
    pub fn weight(&self) -> f64 {
        let discount = match self.risk {
            Risk::Low => 1.0,
            Risk::Medium => 0.8,
            Risk::High => 0.5,
        };
        self.targets.len() as f64 * discount
    }
}
