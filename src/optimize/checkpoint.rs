//! The loop's whole state, serializable: where the loop is, the decisions made, the proposals
//! drawn and every answer already obtained per (space variant, question id) — graded, or
//! arrived and not graded yet — so a resumed run asks nothing twice and decides as the
//! uninterrupted run would have.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::audit::{AcceptedStep, LeverAudit, ParetoPoint, Rejection};
use super::case::Answer;
use super::proposal::Proposal;

/// The checkpoint format version.
pub const VERSION: u32 = 1;

/// An answer as obtained: what Genie said and whether it was graded correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub answer: Answer,
    pub correct: bool,
    /// The gate that asked it (`None` in checkpoints written before gates were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
}

/// An answer that arrived and was not graded yet. It is checkpointed the moment it arrives,
/// so a kill loses only the questions still in flight; grading is deterministic and is done
/// (again) on resume without asking Genie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrived {
    pub answer: Answer,
    /// The gate that asked it.
    pub gate: Gate,
}

/// Which gate a measurement is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// Every question on the unchanged space.
    Baseline,
    /// Only the questions the candidate targets.
    Slice,
    /// P0 questions not already asked.
    P0,
    /// The rest of the gate set (train and val).
    Full,
    /// Held-out questions on the final space.
    HeldOut,
}

/// The proposals of one lever inside a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub lever: u8,
    pub proposals: Vec<Proposal>,
}

/// A patched variant being measured: one or more levers with disjoint question sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub parts: Vec<Part>,
    /// The hash of the patched repository snapshot.
    pub variant: String,
    /// The last lever examined for it (levers with no proposals may sit between parts): the
    /// loop continues after this one.
    pub through: u8,
}

impl Candidate {
    /// The questions the candidate should fix.
    pub fn targets(&self) -> BTreeSet<String> {
        self.parts
            .iter()
            .flat_map(|p| &p.proposals)
            .flat_map(|p| p.targets.iter().cloned())
            .collect()
    }

    /// `lever 6` or `levers 1+2`.
    pub fn label(&self) -> String {
        let levers: Vec<String> = self.parts.iter().map(|p| p.lever.to_string()).collect();
        if levers.len() == 1 {
            format!("lever {}", levers.join(""))
        } else {
            format!("levers {}", levers.join("+"))
        }
    }
}

/// Where the loop is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    Baseline,
    /// About to seek proposals for this lever.
    Lever {
        lever: u8,
    },
    Measure {
        candidate: Candidate,
        gate: Gate,
    },
    /// The held-out evaluation of the final space.
    Final,
    Done,
}

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    TargetMet,
    Plateau,
    MaxRounds,
    Budget,
}

/// Everything needed to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// Hash of the questions, the base repository and the space path: a checkpoint only
    /// resumes the run it came from.
    pub fingerprint: String,
    pub phase: Phase,
    /// The variant hash of the unchanged repository (set once the baseline is known).
    pub baseline: Option<String>,
    /// Rounds completed (a round is one pass over the levers).
    pub round: u32,
    pub rounds_without_gain: u32,
    pub gained_this_round: bool,
    /// Graded answers per variant hash, per question id.
    pub answers: BTreeMap<String, BTreeMap<String, Recorded>>,
    /// Answers that arrived and are not graded yet, per variant hash, per question id (never
    /// one that is also in `answers`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arrived: BTreeMap<String, BTreeMap<String, Arrived>>,
    /// Applicable proposals per lever, per variant they were drawn for (the accepted state's):
    /// drawn once, so the lever audit counts them once across any number of resumes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proposals: BTreeMap<String, BTreeMap<u8, Vec<Proposal>>>,
    pub accepted: Vec<AcceptedStep>,
    pub rejected: Vec<Rejection>,
    /// Set hashes of rejected proposals: never proposed again.
    pub rejected_sets: BTreeSet<String>,
    pub audit: BTreeMap<u8, LeverAudit>,
    /// (round, lever) in the order levers were attempted.
    pub attempts: Vec<(u32, u8)>,
    /// Every measured state, in order.
    pub pareto: Vec<ParetoPoint>,
    /// The non-dominated states.
    pub frontier: Vec<ParetoPoint>,
    /// High-risk proposals, reported but never applied.
    pub high_risk: Vec<Proposal>,
    /// For every lever measured: the questions it targeted and the P0 scope's size (every P0
    /// question, held-out included, as the seed system's P0 scope has it), for the
    /// seed-schedule comparison (the seed system measures each lever on its own).
    pub measured: Vec<(usize, usize)>,
    pub stop: Option<StopReason>,
}

impl Checkpoint {
    /// A fresh state for the run identified by `fingerprint`.
    pub fn new(fingerprint: String) -> Self {
        Checkpoint {
            version: VERSION,
            fingerprint,
            phase: Phase::Baseline,
            baseline: None,
            round: 0,
            rounds_without_gain: 0,
            gained_this_round: false,
            answers: BTreeMap::new(),
            arrived: BTreeMap::new(),
            proposals: BTreeMap::new(),
            accepted: Vec::new(),
            rejected: Vec::new(),
            rejected_sets: BTreeSet::new(),
            audit: BTreeMap::new(),
            attempts: Vec::new(),
            pareto: Vec::new(),
            frontier: Vec::new(),
            high_risk: Vec::new(),
            measured: Vec::new(),
            stop: None,
        }
    }

    /// Genie questions asked so far (each stored answer, graded or not, was asked once).
    pub fn questions_asked(&self) -> usize {
        let graded: usize = self.answers.values().map(BTreeMap::len).sum();
        let arrived: usize = self.arrived.values().map(BTreeMap::len).sum();
        graded + arrived
    }

    /// Genie questions asked per gate (answers stored without a gate are not counted).
    pub fn spent_by_gate(&self) -> BTreeMap<Gate, usize> {
        let graded = self
            .answers
            .values()
            .flat_map(|a| a.values().filter_map(|r| r.gate));
        let arrived = self
            .arrived
            .values()
            .flat_map(|a| a.values().map(|r| r.gate));
        let mut spent = BTreeMap::new();
        for gate in graded.chain(arrived) {
            *spent.entry(gate).or_insert(0) += 1;
        }
        spent
    }
}
