//! The loop as a pure state machine. [`Optimizer::step`] decides the next step from the
//! checkpointed state and the answers recorded so far; the runner only asks questions
//! ([`Step::Ask`]) and records graded answers ([`Optimizer::record`]).
//!
//! Baseline (every question once) → for each enabled lever in order 1…5, then 6: propose (train
//! failures only) → candidate (the accepted repository with the proposals applied; the next
//! levers up to 5 join the same candidate only while their question sets are disjoint) → slice
//! gate (only the targeted questions; proposals whose targets did not improve are dropped and
//! the smaller candidate is measured again) → P0 gate (a P0 question that passed must pass) →
//! full gate (the remaining train and val questions; accept when no more than
//! `max_regressions` questions regress and the paired non-inferiority test passes) → accept or
//! reject with the reason. A round is one pass over the levers; the loop stops when the train
//! target is met, after `plateau_rounds` rounds without an accepted gain, after `max_rounds`,
//! or before a step whose questions would exceed the budget. Held-out questions are asked at
//! the baseline and on the final space only: they never feed proposals or gates.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use thiserror::Error;

use crate::eval::stats::{Paired, non_inferiority};
use crate::model::settings::DurableFiles;
use crate::model::snapshot::RepoSnapshot;
use crate::patch::{self, Patch, PatchError};

use super::audit::{AcceptedStep, LeverAudit, ParetoPoint, Rejection, risk_cost, update_frontier};
use super::case::{Answer, FailureCase, Graded, Question, Role};
use super::checkpoint::{
    Arrived, Candidate, Checkpoint, Gate, Part, Phase, Recorded, StopReason, VERSION,
};
use super::context::{Context, Schema, Settings};
use super::diagnose::{Cluster, diagnose};
use super::overlay;
use super::proposal::Proposal;
use super::rules;

/// Why the loop cannot go on.
#[derive(Debug, Error)]
pub enum OptimizeError {
    #[error("{0}")]
    SpaceFile(String),
    #[error(
        "the checkpoint belongs to another run (different questions or repository); start afresh without --resume"
    )]
    CheckpointMismatch,
    #[error(
        "checkpoint format {found} is not supported (this version writes {VERSION}); run without --resume to start over"
    )]
    CheckpointVersion { found: u32 },
    #[error("an accepted patch set failed to re-apply on resume: {0}")]
    Replay(PatchError),
    #[error(
        "lever {lever}: the accepted patches did not change {file}; a patch that changes no file is a defect, so the run stops"
    )]
    NoChange { lever: u8, file: String },
    #[error("question {0} is not a benchmark question of this run")]
    UnknownQuestion(String),
    #[error("{0}")]
    NoOverlay(String),
}

/// What the runner builds an optimizer from.
pub struct Input {
    pub settings: Settings,
    /// Every benchmark question (train, val and held-out).
    pub questions: Vec<Question>,
    /// The repository as checked out.
    pub snapshot: RepoSnapshot,
    /// The space file's repository path.
    pub space_path: String,
    pub files: DurableFiles,
    pub schema: Schema,
    /// No dev target: levers 1–3 are measured through their space-level equivalents
    /// ([`super::overlay`]) on the temporary space, and still committed to their durable files.
    pub overlay: bool,
}

/// Questions to grade on one variant of the repository.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The variant's hash: the checkpoint key of its answers.
    pub variant: String,
    /// The repository the variant is built from (deploy its space to a temporary space).
    pub snapshot: RepoSnapshot,
    pub questions: Vec<String>,
    pub gate: Gate,
    /// How many of `questions` have no stored answer (the Genie questions this step spends).
    pub new_questions: usize,
}

/// The next thing the runner does.
#[derive(Debug, Clone)]
pub enum Step {
    Ask(Ask),
    Done(Box<Summary>),
}

/// Correct out of total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Score {
    pub correct: usize,
    pub total: usize,
}

impl Score {
    /// `correct / total` (0 when empty).
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

/// The run's outcome, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub stop: Option<StopReason>,
    pub baseline_train: Score,
    pub final_train: Score,
    pub baseline_held_out: Score,
    /// `None` when the budget left no room for the final held-out evaluation.
    pub final_held_out: Option<Score>,
    /// Held-out questions right at the baseline and wrong at the end.
    pub held_out_regressions: Vec<String>,
    pub accepted: Vec<AcceptedStep>,
    pub rejected: Vec<Rejection>,
    pub audit: BTreeMap<u8, LeverAudit>,
    /// (round, lever) in the order levers were attempted.
    pub attempts: Vec<(u32, u8)>,
    pub pareto: Vec<ParetoPoint>,
    pub frontier: Vec<ParetoPoint>,
    pub high_risk: Vec<Proposal>,
    /// Per question: right at the baseline, right at the end (`None` when not asked there).
    pub per_question: BTreeMap<String, (Option<bool>, Option<bool>)>,
    /// Clusters of the baseline's train failures.
    pub baseline_clusters: Vec<Cluster>,
    /// Clusters of the final space's train failures.
    pub remaining: Vec<Cluster>,
    /// Genie questions this run asked.
    pub questions_asked: usize,
    /// The same, per gate.
    pub spent_by_gate: BTreeMap<Gate, usize>,
    /// What the seed system's schedule would have asked: the baseline, then slice + P0 + full
    /// for every lever it tried.
    pub seed_schedule: usize,
}

/// The optimizer: settings, questions, repository and checkpointed state.
pub struct Optimizer {
    settings: Settings,
    questions: Vec<Question>,
    space_path: String,
    files: DurableFiles,
    schema: Schema,
    overlay: bool,
    /// The repository as checked out: what the baseline measured.
    original: RepoSnapshot,
    /// The repository with every accepted patch set applied: what is committed.
    accepted: RepoSnapshot,
    /// What Genie is shown of `accepted`: the same, or with the overlay standing in for the
    /// lever 1–3 files. Answers are stored per variant of this snapshot.
    measured: RepoSnapshot,
    state: Checkpoint,
    /// Failure cases graded in this process, per (variant, question). A resumed process
    /// grades the stored answers again (free and deterministic) before it needs their cases.
    cases: BTreeMap<(String, String), FailureCase>,
    /// (variant, question) pairs graded in this process.
    graded: BTreeSet<(String, String)>,
}

const LEVER_ORDER: [u8; 6] = [1, 2, 3, 4, 5, 6];
/// Full-gate questions asked at once: after each batch the gate checks whether its outcome is
/// already decided.
const FULL_GATE_BATCH: usize = 12;

/// The hash of a repository snapshot: the variant id of its answers.
pub fn variant_of(snapshot: &RepoSnapshot) -> String {
    let mut text = String::new();
    for (path, content) in snapshot.iter() {
        text.push_str(&format!("{path}\u{0}{}\u{0}{content}\u{0}", content.len()));
    }
    patch::sha256_hex(&text)[..16].to_owned()
}

fn fingerprint(input: &Input) -> String {
    let mut text = format!(
        "{}\u{0}{}\u{0}",
        input.space_path,
        variant_of(&input.snapshot)
    );
    for q in &input.questions {
        text.push_str(&format!("{}\u{0}{}\u{0}{}\u{0}", q.id, q.text, q.gold_sql));
    }
    patch::sha256_hex(&text)[..16].to_owned()
}

impl Optimizer {
    /// A fresh run.
    pub fn new(input: Input) -> Self {
        let state = Checkpoint::new(fingerprint(&input));
        Self::with_state(input, state)
    }

    /// Resumes from a checkpoint of the same run; accepted patch sets are re-applied.
    pub fn resume(input: Input, state: Checkpoint) -> Result<Self, OptimizeError> {
        if state.version != VERSION {
            return Err(OptimizeError::CheckpointVersion {
                found: state.version,
            });
        }
        if state.fingerprint != fingerprint(&input) {
            return Err(OptimizeError::CheckpointMismatch);
        }
        let mut optimizer = Self::with_state(input, state);
        for step in optimizer.state.accepted.clone() {
            optimizer.accepted = patch::apply_all(&optimizer.accepted, &step.patches, usize::MAX)
                .map_err(OptimizeError::Replay)?;
            optimizer.measured =
                optimizer.measured_apply(&optimizer.measured, step.lever, &step.patches)?;
        }
        Ok(optimizer)
    }

    fn with_state(input: Input, state: Checkpoint) -> Self {
        Optimizer {
            settings: input.settings,
            questions: input.questions,
            space_path: input.space_path,
            files: input.files,
            schema: input.schema,
            overlay: input.overlay,
            original: input.snapshot.clone(),
            measured: input.snapshot.clone(),
            accepted: input.snapshot,
            state,
            cases: BTreeMap::new(),
            graded: BTreeSet::new(),
        }
    }

    /// The state to save (after every record and every decision).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.state
    }

    /// The repository with every accepted patch set applied.
    pub fn accepted_snapshot(&self) -> &RepoSnapshot {
        &self.accepted
    }

    /// The stored answer to `question` on `variant` (graded or not), if it was asked before.
    pub fn cached(&self, variant: &str, question: &str) -> Option<&Answer> {
        self.recorded(variant, question)
            .map(|r| &r.answer)
            .or_else(|| {
                self.state
                    .arrived
                    .get(variant)
                    .and_then(|a| a.get(question))
                    .map(|a| &a.answer)
            })
    }

    /// Stores an answer the moment it arrives, before grading, so a kill cannot lose it (save
    /// the checkpoint after this). A stored answer is never replaced.
    pub fn arrive(
        &mut self,
        variant: &str,
        question: &str,
        answer: Answer,
    ) -> Result<(), OptimizeError> {
        self.known(question)?;
        if self.cached(variant, question).is_none() {
            let gate = self.current_gate();
            self.state
                .arrived
                .entry(variant.to_owned())
                .or_default()
                .insert(question.to_owned(), Arrived { answer, gate });
        }
        Ok(())
    }

    /// Records a graded answer. A stored answer is never replaced (the first one counts), so
    /// re-grading a cached answer on resume spends nothing.
    pub fn record(&mut self, variant: &str, graded: Graded) -> Result<(), OptimizeError> {
        self.known(&graded.question_id)?;
        let key = (variant.to_owned(), graded.question_id.clone());
        let arrived = self
            .state
            .arrived
            .get_mut(variant)
            .and_then(|a| a.remove(&graded.question_id));
        if self
            .state
            .arrived
            .get(variant)
            .is_some_and(BTreeMap::is_empty)
        {
            self.state.arrived.remove(variant);
        }
        let gate = arrived.map_or_else(|| self.current_gate(), |a| a.gate);
        self.state
            .answers
            .entry(variant.to_owned())
            .or_default()
            .entry(graded.question_id.clone())
            .or_insert(Recorded {
                answer: graded.answer,
                correct: graded.correct,
                gate: Some(gate),
            });
        if let Some(case) = graded.failure {
            self.cases.insert(key.clone(), case);
        }
        self.graded.insert(key);
        Ok(())
    }

    fn known(&self, question: &str) -> Result<(), OptimizeError> {
        if self.questions.iter().any(|q| q.id == question) {
            Ok(())
        } else {
            Err(OptimizeError::UnknownQuestion(question.to_owned()))
        }
    }

    /// The gate the loop is in: what a new answer is spent on.
    fn current_gate(&self) -> Gate {
        match &self.state.phase {
            Phase::Measure { gate, .. } => *gate,
            Phase::Final | Phase::Done => Gate::HeldOut,
            Phase::Baseline | Phase::Lever { .. } => Gate::Baseline,
        }
    }

    /// Decides the next step.
    pub fn step(&mut self) -> Result<Step, OptimizeError> {
        loop {
            let phase = self.state.phase.clone();
            let step = match phase {
                Phase::Baseline => self.baseline(),
                Phase::Lever { lever } => self.lever(lever)?,
                Phase::Measure { candidate, gate } => self.measure(candidate, gate)?,
                Phase::Final => self.final_held_out(),
                Phase::Done => match self.report_cases() {
                    Some(ask) => Some(ask),
                    None => return Ok(Step::Done(Box::new(self.summary()))),
                },
            };
            if let Some(ask) = step {
                return Ok(Step::Ask(ask));
            }
        }
    }

    // ----- phases

    fn baseline(&mut self) -> Option<Ask> {
        let variant = self.measured_variant();
        let all: Vec<String> = self.questions.iter().map(|q| q.id.clone()).collect();
        if let Some(ask) = self.ask(&variant, &self.measured.clone(), all, Gate::Baseline) {
            if self.over_budget(ask.new_questions) {
                self.stop(StopReason::Budget, Phase::Done);
                return None;
            }
            return Some(ask);
        }
        self.state.baseline = Some(variant.clone());
        let score = self.score(&variant, &self.gate_ids());
        self.state.pareto.push(ParetoPoint {
            label: "baseline".into(),
            accuracy: score.rate(),
            repeatability: 1.0,
            regressions: 0,
            risk_cost: 0,
            accepted: true,
        });
        update_frontier(
            &mut self.state.frontier,
            self.state.pareto[self.state.pareto.len() - 1].clone(),
        );
        self.state.phase = match self.first_lever() {
            Some(lever) if !self.target_met() => Phase::Lever { lever },
            Some(_) => self.stop_phase(StopReason::TargetMet),
            None => Phase::Final,
        };
        None
    }

    fn lever(&mut self, lever: u8) -> Result<Option<Ask>, OptimizeError> {
        if let Some(ask) = self.missing_cases(&self.measured.clone()) {
            return Ok(Some(ask));
        }
        let mut parts = Vec::new();
        let mut targets = BTreeSet::new();
        let mut next = Some(lever);
        let mut through = lever;
        while let Some(l) = next {
            let mut proposals = self.applicable_proposals(l)?;
            let first = parts.is_empty();
            if !first && l == 6 {
                // Lever 6 joins with only its proposals for questions no lever 1–5 part
                // targets; the others wait for the next round, after levers 1–5 again.
                proposals.retain(|p| p.targets.is_disjoint(&targets));
                if proposals.is_empty() {
                    break;
                }
            }
            let part_targets: BTreeSet<String> =
                proposals.iter().flat_map(|p| p.targets.clone()).collect();
            if !first && !targets.is_disjoint(&part_targets) {
                break;
            }
            self.audit(l).attempted = true;
            self.state.attempts.push((self.state.round, l));
            through = l;
            if !proposals.is_empty() {
                targets.extend(part_targets);
                parts.push(Part {
                    lever: l,
                    proposals,
                });
            }
            next = self.lever_after(l);
            if first && parts.is_empty() {
                // Nothing for the first lever: move on without sharing.
                return Ok(self.advance(l));
            }
        }
        match self.build(parts, through)? {
            Some(candidate) => {
                let cost = self.candidate_cost(&candidate);
                if self.over_budget(cost) {
                    for part in &candidate.parts {
                        self.audit(part.lever).skip_reason = Some(format!(
                            "the candidate needs {cost} more Genie questions than the budget allows"
                        ));
                    }
                    self.stop(StopReason::Budget, Phase::Final);
                    return Ok(None);
                }
                let p0 = self.ids_where(|q| q.p0).len();
                for part in &candidate.parts {
                    let targets: BTreeSet<&String> =
                        part.proposals.iter().flat_map(|p| &p.targets).collect();
                    self.state.measured.push((targets.len(), p0));
                }
                self.state.phase = Phase::Measure {
                    candidate,
                    gate: Gate::Slice,
                };
                Ok(None)
            }
            None => Ok(self.advance(through)),
        }
    }

    fn measure(&mut self, candidate: Candidate, gate: Gate) -> Result<Option<Ask>, OptimizeError> {
        // The slice gate may draw lever-6 proposals from the accepted state's failures.
        if let Some(ask) = self.missing_cases(&self.measured.clone()) {
            return Ok(Some(ask));
        }
        let snapshot = self.measured_parts(&candidate.parts)?;
        let base = self.measured_variant();
        if gate == Gate::Full {
            return self.measure_full(candidate, &base, snapshot);
        }
        let questions = match gate {
            Gate::Slice => candidate.targets().into_iter().collect(),
            Gate::P0 => self.p0_ids(),
            _ => self.gate_ids(),
        };
        if let Some(ask) = self.ask(&candidate.variant, &snapshot, questions.clone(), gate) {
            return Ok(Some(ask));
        }
        let last = candidate.through;
        match gate {
            Gate::Slice => self.slice_gate(candidate, &base),
            Gate::P0 => {
                let regressed = self.regressions(&base, &candidate.variant, &questions);
                if self.settings.p0_must_pass && !regressed.is_empty() {
                    self.reject(
                        &candidate,
                        &format!("P0 regression: {}", regressed.join(", ")),
                    );
                    return Ok(self.advance(last));
                }
                self.state.phase = Phase::Measure {
                    candidate,
                    gate: Gate::Full,
                };
                Ok(None)
            }
            _ => self.full_gate(candidate, &base, snapshot),
        }
    }

    fn slice_gate(
        &mut self,
        candidate: Candidate,
        base: &str,
    ) -> Result<Option<Ask>, OptimizeError> {
        let mut kept = Vec::new();
        for part in &candidate.parts {
            let mut proposals = Vec::new();
            for p in &part.proposals {
                let fixed = p
                    .targets
                    .iter()
                    .any(|q| !self.correct(base, q) && self.correct(&candidate.variant, q));
                if fixed {
                    proposals.push(p.clone());
                } else {
                    self.reject_proposal(p, "its targeted questions did not improve");
                }
            }
            if !proposals.is_empty() {
                kept.push(Part {
                    lever: part.lever,
                    proposals,
                });
            }
        }
        let last = candidate.through;
        if kept == candidate.parts {
            self.state.phase = Phase::Measure {
                candidate,
                gate: Gate::P0,
            };
            return Ok(None);
        }
        if last == 6 {
            let fixed: BTreeSet<String> = candidate
                .targets()
                .into_iter()
                .filter(|q| !self.correct(base, q) && self.correct(&candidate.variant, q))
                .collect();
            self.join_deferred(&mut kept, &fixed)?;
        }
        match self.build(kept, candidate.through)? {
            Some(smaller) => {
                self.state.phase = Phase::Measure {
                    candidate: smaller,
                    gate: Gate::Slice,
                };
                Ok(None)
            }
            None => Ok(self.advance(last)),
        }
    }

    /// The full gate in batches of [`FULL_GATE_BATCH`], the questions that can regress first;
    /// after each batch it stops as soon as the acceptance rule can no longer be met. The
    /// batches and every decision depend on the checkpointed answers alone, so a run resumed
    /// mid-gate decides exactly as the uninterrupted run did.
    fn measure_full(
        &mut self,
        candidate: Candidate,
        base: &str,
        snapshot: RepoSnapshot,
    ) -> Result<Option<Ask>, OptimizeError> {
        let variant = candidate.variant.clone();
        let order = self.full_gate_order(&variant, base);
        let complete = order
            .chunks(FULL_GATE_BATCH)
            .take_while(|batch| batch.iter().all(|q| self.recorded(&variant, q).is_some()))
            .count();
        let done = (complete * FULL_GATE_BATCH).min(order.len());
        if done == order.len() {
            return self.full_gate(candidate, base, snapshot);
        }
        let earlier: Vec<String> = self
            .gate_ids()
            .into_iter()
            .filter(|q| !order.contains(q))
            .collect();
        let answered: BTreeSet<String> = earlier
            .into_iter()
            .chain(order[..done].iter().cloned())
            .collect();
        if let Some(reason) = self.decided_early(&variant, base, &answered) {
            let last = candidate.through;
            self.reject(&candidate, &reason);
            return Ok(self.advance(last));
        }
        let batch = order[done..]
            .iter()
            .take(FULL_GATE_BATCH)
            .cloned()
            .collect();
        Ok(self.ask(&variant, &snapshot, batch, Gate::Full))
    }

    /// The full gate's questions in the order it asks them: the gate set minus what earlier
    /// gates asked of this variant, those right on the accepted state (they can regress) first.
    fn full_gate_order(&self, variant: &str, base: &str) -> Vec<String> {
        let asked_earlier = |q: &String| {
            self.recorded(variant, q)
                .is_some_and(|r| r.gate != Some(Gate::Full))
        };
        let (can_regress, rest): (Vec<String>, Vec<String>) = self
            .gate_ids()
            .into_iter()
            .filter(|q| !asked_earlier(q))
            .partition(|q| self.correct(base, q));
        can_regress.into_iter().chain(rest).collect()
    }

    /// Why the full gate must reject whatever the unanswered questions give: too many
    /// regressions already, or not non-inferior even if every unanswered question passes.
    /// `answered` are the gate questions whose answers count so far (earlier gates' and the
    /// completed batches'); `None` while the outcome is open.
    fn decided_early(
        &self,
        variant: &str,
        base: &str,
        answered: &BTreeSet<String>,
    ) -> Option<String> {
        let ids = self.gate_ids();
        let decided = format!(
            "decided after {} of {} questions",
            answered.len(),
            ids.len()
        );
        let regressed: Vec<String> = ids
            .iter()
            .filter(|q| answered.contains(*q) && self.correct(base, q) && !self.correct(variant, q))
            .cloned()
            .collect();
        if regressed.len() > self.settings.max_regressions as usize {
            return Some(format!(
                "full set: {} regressed ({decided})",
                regressed.join(", ")
            ));
        }
        let before: Vec<bool> = ids.iter().map(|q| self.correct(base, q)).collect();
        let best: Vec<bool> = ids
            .iter()
            .map(|q| !answered.contains(q) || self.correct(variant, q))
            .collect();
        let paired = Paired::from_outcomes(&before, &best).unwrap_or_default();
        let test = non_inferiority(&paired, self.settings.margin);
        (!test.non_inferior).then(|| {
            format!(
                "full set cannot be non-inferior: lower bound {:+.3} below −{:.2} even if every unanswered question passes ({decided})",
                test.lower_bound, test.margin
            )
        })
    }

    /// After the slice gate: lever-6 proposals that waited because a lever 1–5 part targeted
    /// their questions join the smaller candidate when none of their questions was fixed —
    /// the durable levers had their turn on those questions and did not fix them.
    fn join_deferred(
        &mut self,
        parts: &mut Vec<Part>,
        fixed: &BTreeSet<String>,
    ) -> Result<(), OptimizeError> {
        let present: Vec<Proposal> = parts
            .iter()
            .flat_map(|p| p.proposals.iter().cloned())
            .collect();
        let deferred: Vec<Proposal> = self
            .applicable_proposals(6)?
            .into_iter()
            .filter(|p| p.targets.is_disjoint(fixed) && !present.contains(p))
            .collect();
        if deferred.is_empty() {
            return Ok(());
        }
        let position = parts.iter().position(|p| p.lever == 6);
        let mut lever6: Vec<Proposal> = position
            .map(|i| parts[i].proposals.clone())
            .unwrap_or_default();
        let kept = lever6.len();
        lever6.extend(deferred);
        let proposals = self.within_blast_radius(lever6);
        if proposals.len() == kept {
            return Ok(());
        }
        match position {
            Some(i) => parts[i].proposals = proposals,
            None => parts.push(Part {
                lever: 6,
                proposals,
            }),
        }
        Ok(())
    }

    fn full_gate(
        &mut self,
        candidate: Candidate,
        base: &str,
        snapshot: RepoSnapshot,
    ) -> Result<Option<Ask>, OptimizeError> {
        let ids = self.gate_ids();
        let before: Vec<bool> = ids.iter().map(|q| self.correct(base, q)).collect();
        let after: Vec<bool> = ids
            .iter()
            .map(|q| self.correct(&candidate.variant, q))
            .collect();
        let paired = Paired::from_outcomes(&before, &after).unwrap_or_default();
        let test = non_inferiority(&paired, self.settings.margin);
        let regressed = self.regressions(base, &candidate.variant, &ids);
        let targets = candidate.targets();
        let untouched: Vec<&String> = ids.iter().filter(|q| !targets.contains(*q)).collect();
        let same = untouched
            .iter()
            .filter(|q| self.cached(base, q) == self.cached(&candidate.variant, q))
            .count();
        let point = ParetoPoint {
            label: candidate.label(),
            accuracy: after.iter().filter(|c| **c).count() as f64 / ids.len().max(1) as f64,
            repeatability: same as f64 / untouched.len().max(1) as f64,
            regressions: regressed.len(),
            risk_cost: risk_cost(
                self.state.accepted.iter().flat_map(|s| &s.patches).chain(
                    candidate
                        .parts
                        .iter()
                        .flat_map(|p| &p.proposals)
                        .flat_map(|p| &p.patches),
                ),
            ),
            accepted: false,
        };
        let last = candidate.through;
        let reason = if regressed.len() > self.settings.max_regressions as usize {
            Some(format!("full set: {} regressed", regressed.join(", ")))
        } else if !test.non_inferior {
            Some(format!(
                "full set not non-inferior: lower bound {:+.3} below −{:.2}",
                test.lower_bound, test.margin
            ))
        } else if paired.after_only == 0 {
            Some("no question improved on the full set".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            self.state.pareto.push(point);
            self.reject(&candidate, &reason);
            return Ok(self.advance(last));
        }
        let accepted_point = ParetoPoint {
            accepted: true,
            ..point
        };
        self.state.pareto.push(accepted_point.clone());
        update_frontier(&mut self.state.frontier, accepted_point);
        self.accept(&candidate, base, &ids)?;
        self.accepted = self.apply_parts(&candidate.parts)?;
        self.measured = snapshot;
        self.state.gained_this_round = true;
        self.state.proposals.clear();
        if self.target_met() {
            self.state.phase = self.stop_phase(StopReason::TargetMet);
            return Ok(None);
        }
        Ok(self.advance(last))
    }

    fn final_held_out(&mut self) -> Option<Ask> {
        let variant = self.measured_variant();
        let held_out: Vec<String> = self
            .questions
            .iter()
            .filter(|q| q.role == Role::HeldOut)
            .map(|q| q.id.clone())
            .collect();
        match self.ask(&variant, &self.measured.clone(), held_out, Gate::HeldOut) {
            Some(ask) if !self.over_budget(ask.new_questions) => Some(ask),
            Some(_) => {
                self.state.stop.get_or_insert(StopReason::Budget);
                self.state.phase = Phase::Done;
                None
            }
            None => {
                self.state.phase = Phase::Done;
                None
            }
        }
    }

    // ----- proposals and candidates

    /// Applicable proposals for `lever` on the accepted variant, minus ones rejected before;
    /// high-risk ones are recorded for the report.
    fn applicable_proposals(&mut self, lever: u8) -> Result<Vec<Proposal>, OptimizeError> {
        let variant = self.measured_variant();
        if let Some(cached) = self
            .state
            .proposals
            .get(&variant)
            .and_then(|levers| levers.get(&lever))
        {
            return Ok(cached
                .iter()
                .filter(|p| {
                    !self
                        .state
                        .rejected_sets
                        .contains(&patch::set_hash(&p.patches))
                })
                .cloned()
                .collect());
        }
        let failures: Vec<FailureCase> = self
            .questions
            .iter()
            .filter(|q| q.role == Role::Train && !self.correct(&variant, &q.id))
            .filter_map(|q| self.cases.get(&(variant.clone(), q.id.clone())).cloned())
            .collect();
        let ctx = Context::new(
            &self.accepted,
            &self.space_path,
            &self.files,
            &self.schema,
            &self.settings,
            &self.questions,
            &failures,
        )
        .map_err(OptimizeError::SpaceFile)?;
        let all = rules::propose(lever, &ctx);
        let fresh: Vec<Proposal> = all
            .into_iter()
            .filter(|p| {
                !self
                    .state
                    .rejected_sets
                    .contains(&patch::set_hash(&p.patches))
            })
            .collect();
        let (applicable, high): (Vec<Proposal>, Vec<Proposal>) =
            fresh.into_iter().partition(Proposal::applicable);
        let audit = self.audit(lever);
        audit.proposed += applicable.len() + high.len();
        audit.high_risk += high.len();
        for p in high {
            if !self.state.high_risk.contains(&p) {
                self.state.high_risk.push(p);
            }
        }
        let within = self.within_blast_radius(applicable);
        if within.is_empty() {
            self.audit(lever).skip_reason = Some("no applicable proposals".into());
        }
        self.state
            .proposals
            .entry(variant)
            .or_default()
            .insert(lever, within.clone());
        Ok(within)
    }

    /// Keeps the best-ranked proposals whose patches fit the blast radius together.
    fn within_blast_radius(&self, proposals: Vec<Proposal>) -> Vec<Proposal> {
        let mut kept: Vec<Proposal> = Vec::new();
        for p in proposals {
            let mut patches: Vec<Patch> = kept.iter().flat_map(|k| k.patches.clone()).collect();
            patches.extend(p.patches.clone());
            if patch::check_set(&merge_instructions(&patches), self.settings.max_objects).is_ok() {
                kept.push(p);
            }
        }
        kept
    }

    /// A candidate from parts, dropping proposals that do not apply (recorded as rejected);
    /// `None` when nothing is left.
    fn build(&mut self, parts: Vec<Part>, through: u8) -> Result<Option<Candidate>, OptimizeError> {
        let mut kept = Vec::new();
        let mut snapshot = self.accepted.clone();
        let mut measured = self.measured.clone();
        for part in parts {
            let mut proposals = Vec::new();
            for p in part.proposals {
                let mut trial = proposals.clone();
                trial.push(p.clone());
                let patches = merge_instructions(&all_patches(&trial));
                let applies = patch::apply_all(&snapshot, &patches, usize::MAX)
                    .map_err(|e| format!("does not apply: {e}"))
                    .and_then(|_| {
                        self.measured_apply(&measured, part.lever, &patches)
                            .map_err(|e| e.to_string())
                    });
                match applies {
                    Ok(_) => proposals.push(p),
                    Err(reason) => self.reject_proposal(&p, &reason),
                }
            }
            if proposals.is_empty() {
                self.audit(part.lever).skip_reason = Some("no proposal applies".into());
                continue;
            }
            let patches = merge_instructions(&all_patches(&proposals));
            snapshot =
                patch::apply_all(&snapshot, &patches, usize::MAX).map_err(OptimizeError::Replay)?;
            measured = self.measured_apply(&measured, part.lever, &patches)?;
            kept.push(Part {
                lever: part.lever,
                proposals,
            });
        }
        if kept.is_empty() {
            return Ok(None);
        }
        Ok(Some(Candidate {
            variant: variant_of(&measured),
            parts: kept,
            through,
        }))
    }

    /// The variant id of the accepted state: the hash of what Genie is shown.
    fn measured_variant(&self) -> String {
        variant_of(&self.measured)
    }

    /// Applies a lever's patches to a measured snapshot: as they are, or, in overlay mode for
    /// levers 1–3, their space-level equivalents.
    fn measured_apply(
        &self,
        on: &RepoSnapshot,
        lever: u8,
        patches: &[Patch],
    ) -> Result<RepoSnapshot, OptimizeError> {
        let patches = if self.overlay && lever <= 3 {
            let equivalent = overlay::space_equivalent(on, &self.space_path, &self.files, patches)
                .map_err(OptimizeError::NoOverlay)?;
            merge_instructions(&equivalent)
        } else {
            patches.to_vec()
        };
        patch::apply_all(on, &patches, usize::MAX).map_err(OptimizeError::Replay)
    }

    /// The measured snapshot of the accepted state with `parts` applied.
    fn measured_parts(&self, parts: &[Part]) -> Result<RepoSnapshot, OptimizeError> {
        let mut snapshot = self.measured.clone();
        for part in parts {
            snapshot = self.measured_apply(&snapshot, part.lever, &part_patches(part))?;
        }
        Ok(snapshot)
    }

    fn apply_parts(&self, parts: &[Part]) -> Result<RepoSnapshot, OptimizeError> {
        let mut snapshot = self.accepted.clone();
        for part in parts {
            snapshot = patch::apply_all(&snapshot, &part_patches(part), usize::MAX)
                .map_err(OptimizeError::Replay)?;
        }
        Ok(snapshot)
    }

    /// Records each part as an accepted step, checking every patch changed its file.
    fn accept(
        &mut self,
        candidate: &Candidate,
        base: &str,
        ids: &[String],
    ) -> Result<(), OptimizeError> {
        let before = self.score(base, ids);
        let after = self.score(&candidate.variant, ids);
        let mut snapshot = self.accepted.clone();
        for part in &candidate.parts {
            let patches = part_patches(part);
            let next =
                patch::apply_all(&snapshot, &patches, usize::MAX).map_err(OptimizeError::Replay)?;
            let changed = snapshot.changed_paths(&next);
            for p in &patches {
                if !changed.iter().any(|c| c == p.op.file()) {
                    return Err(OptimizeError::NoChange {
                        lever: part.lever,
                        file: p.op.file().to_owned(),
                    });
                }
            }
            let fixed: BTreeSet<String> = part
                .proposals
                .iter()
                .flat_map(|p| p.targets.iter())
                .filter(|q| !self.correct(base, q) && self.correct(&candidate.variant, q))
                .cloned()
                .collect();
            self.state.accepted.push(AcceptedStep {
                lever: part.lever,
                round: self.state.round,
                patches,
                rationales: part.proposals.iter().map(|p| p.rationale.clone()).collect(),
                fixed,
                before: (before.correct, before.total),
                after: (after.correct, after.total),
                files: changed,
                overlay: self.overlay && part.lever <= 3,
            });
            self.audit(part.lever).applied += part.proposals.len();
            self.audit(part.lever).skip_reason = None;
            snapshot = next;
        }
        Ok(())
    }

    fn reject(&mut self, candidate: &Candidate, reason: &str) {
        for part in &candidate.parts {
            for p in &part.proposals {
                self.reject_proposal(p, reason);
            }
            self.audit(part.lever).skip_reason = Some(format!("rejected: {reason}"));
        }
    }

    fn reject_proposal(&mut self, p: &Proposal, reason: &str) {
        self.state.rejected_sets.insert(patch::set_hash(&p.patches));
        self.state.rejected.push(Rejection {
            lever: p.lever,
            round: self.state.round,
            rule: p.rule.clone(),
            rationale: p.rationale.clone(),
            reason: reason.to_owned(),
        });
    }

    // ----- lever order, rounds and stopping

    fn first_lever(&self) -> Option<u8> {
        LEVER_ORDER
            .into_iter()
            .find(|l| self.settings.levers.contains(l))
    }

    fn lever_after(&self, lever: u8) -> Option<u8> {
        LEVER_ORDER
            .into_iter()
            .find(|l| *l > lever && self.settings.levers.contains(l))
    }

    /// Moves past `lever`: the next lever, or the end of the round.
    fn advance(&mut self, lever: u8) -> Option<Ask> {
        if let Some(next) = self.lever_after(lever) {
            self.state.phase = Phase::Lever { lever: next };
            return None;
        }
        self.state.round += 1;
        if self.state.gained_this_round {
            self.state.rounds_without_gain = 0;
        } else {
            self.state.rounds_without_gain += 1;
        }
        self.state.gained_this_round = false;
        self.state.phase = if self.state.rounds_without_gain >= self.settings.plateau_rounds {
            self.stop_phase(StopReason::Plateau)
        } else if self.state.round >= self.settings.max_rounds {
            self.stop_phase(StopReason::MaxRounds)
        } else {
            match self.first_lever() {
                Some(lever) => Phase::Lever { lever },
                None => Phase::Final,
            }
        };
        None
    }

    fn stop_phase(&mut self, reason: StopReason) -> Phase {
        self.state.stop = Some(reason);
        Phase::Final
    }

    fn stop(&mut self, reason: StopReason, phase: Phase) {
        self.state.stop = Some(reason);
        self.state.phase = phase;
    }

    fn target_met(&self) -> bool {
        let variant = self.measured_variant();
        self.score(&variant, &self.train_ids()).rate() >= self.settings.target_accuracy
    }

    fn over_budget(&self, new_questions: usize) -> bool {
        self.settings
            .max_questions
            .is_some_and(|max| self.state.questions_asked() + new_questions > max as usize)
    }

    /// Uncached gate questions of a candidate (slice + P0 + full).
    fn candidate_cost(&self, candidate: &Candidate) -> usize {
        self.gate_ids()
            .iter()
            .filter(|q| self.cached(&candidate.variant, q).is_none())
            .count()
    }

    // ----- questions and answers

    fn ask(
        &self,
        variant: &str,
        snapshot: &RepoSnapshot,
        questions: Vec<String>,
        gate: Gate,
    ) -> Option<Ask> {
        let pending: Vec<String> = questions
            .into_iter()
            .filter(|q| !self.graded.contains(&(variant.to_owned(), q.clone())))
            .collect();
        if pending.is_empty() {
            return None;
        }
        let new_questions = pending
            .iter()
            .filter(|q| self.cached(variant, q).is_none())
            .count();
        Some(Ask {
            variant: variant.to_owned(),
            snapshot: snapshot.clone(),
            questions: pending,
            gate,
            new_questions,
        })
    }

    /// On resume: the failing train questions of `snapshot`'s variant whose stored answers
    /// this process has not graded yet, to grade again (no Genie question) for their failure
    /// cases.
    fn missing_cases(&self, snapshot: &RepoSnapshot) -> Option<Ask> {
        let variant = variant_of(snapshot);
        let missing: Vec<String> = self
            .train_ids()
            .into_iter()
            .filter(|q| self.recorded(&variant, q).is_some_and(|r| !r.correct))
            .filter(|q| !self.cases.contains_key(&(variant.clone(), q.clone())))
            .collect();
        self.ask(&variant, snapshot, missing, Gate::Baseline)
    }

    /// Before the report: the failure cases of the baseline and the final state, which its
    /// clusters are drawn from.
    fn report_cases(&self) -> Option<Ask> {
        self.state.baseline.as_ref()?;
        self.missing_cases(&self.original)
            .or_else(|| self.missing_cases(&self.measured))
    }

    fn recorded(&self, variant: &str, question: &str) -> Option<&Recorded> {
        self.state
            .answers
            .get(variant)
            .and_then(|a| a.get(question))
    }

    fn correct(&self, variant: &str, question: &str) -> bool {
        self.recorded(variant, question).is_some_and(|r| r.correct)
    }

    fn score(&self, variant: &str, ids: &[String]) -> Score {
        Score {
            correct: ids.iter().filter(|q| self.correct(variant, q)).count(),
            total: ids.len(),
        }
    }

    fn regressions(&self, base: &str, variant: &str, ids: &[String]) -> Vec<String> {
        ids.iter()
            .filter(|q| self.correct(base, q) && !self.correct(variant, q))
            .cloned()
            .collect()
    }

    fn ids_where(&self, keep: impl Fn(&Question) -> bool) -> Vec<String> {
        self.questions
            .iter()
            .filter(|q| keep(q))
            .map(|q| q.id.clone())
            .collect()
    }

    fn train_ids(&self) -> Vec<String> {
        self.ids_where(|q| q.role == Role::Train)
    }

    /// Train and val: the questions gates measure.
    fn gate_ids(&self) -> Vec<String> {
        self.ids_where(|q| q.role != Role::HeldOut)
    }

    fn p0_ids(&self) -> Vec<String> {
        self.ids_where(|q| q.role != Role::HeldOut && q.p0)
    }

    fn audit(&mut self, lever: u8) -> &mut LeverAudit {
        self.state.audit.entry(lever).or_default()
    }

    // ----- summary

    /// The run's outcome so far.
    pub fn summary(&self) -> Summary {
        let baseline = self.state.baseline.clone().unwrap_or_default();
        let last = self.measured_variant();
        let held_out = self.ids_where(|q| q.role == Role::HeldOut);
        let final_held_out = held_out
            .iter()
            .all(|q| self.recorded(&last, q).is_some())
            .then(|| self.score(&last, &held_out));
        let held_out_regressions = if final_held_out.is_some() {
            self.regressions(&baseline, &last, &held_out)
        } else {
            Vec::new()
        };
        let recorded = |variant: &str, q: &str| {
            self.state
                .answers
                .get(variant)
                .and_then(|a| a.get(q))
                .map(|r| r.correct)
        };
        let per_question = self
            .questions
            .iter()
            .map(|q| {
                let outcome = (recorded(&baseline, &q.id), recorded(&last, &q.id));
                (q.id.clone(), outcome)
            })
            .collect();
        let all = self.questions.len();
        let seed_schedule = all
            + self
                .state
                .measured
                .iter()
                .map(|(slice, p0)| slice + p0 + all)
                .sum::<usize>();
        Summary {
            stop: self.state.stop,
            baseline_train: self.score(&baseline, &self.train_ids()),
            final_train: self.score(&last, &self.train_ids()),
            baseline_held_out: self.score(&baseline, &held_out),
            final_held_out,
            held_out_regressions,
            accepted: self.state.accepted.clone(),
            rejected: self.state.rejected.clone(),
            audit: self.state.audit.clone(),
            attempts: self.state.attempts.clone(),
            pareto: self.state.pareto.clone(),
            frontier: self.state.frontier.clone(),
            high_risk: self.state.high_risk.clone(),
            baseline_clusters: self.clusters(&baseline),
            remaining: self.clusters(&last),
            per_question,
            questions_asked: self.state.questions_asked(),
            spent_by_gate: self.state.spent_by_gate(),
            seed_schedule,
        }
    }

    /// Clusters of a variant's train failures.
    fn clusters(&self, variant: &str) -> Vec<Cluster> {
        let pairs: Vec<(&Question, &FailureCase)> = self
            .questions
            .iter()
            .filter(|q| q.role == Role::Train)
            .filter_map(|q| Some((q, self.cases.get(&(variant.to_owned(), q.id.clone()))?)))
            .collect();
        diagnose(&pairs)
    }
}

fn all_patches(proposals: &[Proposal]) -> Vec<Patch> {
    proposals.iter().flat_map(|p| p.patches.clone()).collect()
}

/// A part's patches with its instruction lines merged into one append.
fn part_patches(part: &Part) -> Vec<Patch> {
    merge_instructions(&all_patches(&part.proposals))
}

/// Merges every `append_text_instruction` of one file into a single patch (appends to the one
/// text instruction conflict with each other), keeping the lines in order.
pub fn merge_instructions(patches: &[Patch]) -> Vec<Patch> {
    let mut out: Vec<Patch> = Vec::new();
    for p in patches {
        if let patch::Op::AppendTextInstruction { file, lines } = &p.op {
            let existing = out.iter_mut().find(
                |o| matches!(&o.op, patch::Op::AppendTextInstruction { file: f, .. } if f == file),
            );
            if let Some(Patch {
                op: patch::Op::AppendTextInstruction { lines: all, .. },
                risk,
                rationale,
                ..
            }) = existing
            {
                all.extend(lines.iter().cloned());
                *risk = (*risk).max(p.risk);
                if let (Some(r), Some(new)) = (rationale.as_mut(), &p.rationale) {
                    r.push_str("; ");
                    r.push_str(new);
                }
                continue;
            }
        }
        out.push(p.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::case::Answer;
    use crate::optimize::rules::tests::{ACTUAL, GOLD, SPACE, SPACE_TEXT, failure, question};

    /// Two train questions: q1 is fixed by the synonym "placed"; q2 (P0 when `p0`) breaks with it.
    fn run(p0: bool) -> Summary {
        let mut q1 = question(
            "q1",
            "How many orders were placed since March?",
            GOLD,
            Role::Train,
        );
        q1.p0 = false;
        let mut q2 = question(
            "q2",
            "How many orders?",
            "SELECT COUNT(*) FROM orders",
            Role::Train,
        );
        q2.p0 = p0;
        let questions = vec![q1.clone(), q2.clone()];
        let mut snapshot = RepoSnapshot::new();
        snapshot.insert(SPACE, SPACE_TEXT);
        let mut optimizer = Optimizer::new(Input {
            settings: Settings {
                max_regressions: 1,
                margin: 1.0,
                ..Settings::default()
            },
            questions,
            snapshot,
            space_path: SPACE.into(),
            files: DurableFiles::default(),
            schema: Schema::default(),
            overlay: false,
        });
        loop {
            match optimizer.step().unwrap_or_else(|e| panic!("{e}")) {
                Step::Done(summary) => return *summary,
                Step::Ask(ask) => {
                    let synonym = ask
                        .snapshot
                        .get(SPACE)
                        .is_some_and(|t| t.contains("placed"));
                    for id in &ask.questions {
                        let correct = if id == "q1" { synonym } else { !synonym };
                        let q = if id == "q1" { &q1 } else { &q2 };
                        let graded = Graded {
                            question_id: id.clone(),
                            answer: Answer::Sql { sql: ACTUAL.into() },
                            correct,
                            failure: (!correct).then(|| failure(q, ACTUAL)),
                        };
                        optimizer
                            .record(&ask.variant, graded)
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            }
        }
    }

    #[test]
    fn the_full_gate_stops_as_soon_as_too_many_questions_regressed() {
        let q1 = question(
            "q1",
            "How many orders were placed since March?",
            GOLD,
            Role::Train,
        );
        let mut questions = vec![q1.clone()];
        for i in 0..30 {
            let mut filler = question(
                &format!("f{i:02}"),
                "How many orders?",
                "SELECT COUNT(*) FROM orders",
                Role::Train,
            );
            filler.p0 = false;
            questions.push(filler);
        }
        let mut snapshot = RepoSnapshot::new();
        snapshot.insert(SPACE, SPACE_TEXT);
        let mut optimizer = Optimizer::new(Input {
            settings: Settings {
                target_accuracy: 1.0,
                ..Settings::default()
            },
            questions,
            snapshot,
            space_path: SPACE.into(),
            files: DurableFiles::default(),
            schema: Schema::default(),
            overlay: false,
        });
        let mut full_gate_asked = 0;
        let summary = loop {
            match optimizer.step().unwrap_or_else(|e| panic!("{e}")) {
                Step::Done(summary) => break *summary,
                Step::Ask(ask) => {
                    let synonym = ask
                        .snapshot
                        .get(SPACE)
                        .is_some_and(|t| t.contains("placed"));
                    if ask.gate == Gate::Full {
                        full_gate_asked += ask.new_questions;
                    }
                    for id in &ask.questions {
                        // The synonym fixes q1 and breaks every other question.
                        let correct = (id == "q1") == synonym;
                        let graded = Graded {
                            question_id: id.clone(),
                            answer: Answer::Sql { sql: ACTUAL.into() },
                            correct,
                            failure: (!correct && id == "q1").then(|| failure(&q1, ACTUAL)),
                        };
                        optimizer
                            .record(&ask.variant, graded)
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                }
            }
        };
        assert!(summary.accepted.is_empty(), "{:?}", summary.rejected);
        assert_eq!(full_gate_asked, FULL_GATE_BATCH, "{:?}", summary.rejected);
        let reason = &summary.rejected[0].reason;
        assert!(
            reason.contains("(decided after 13 of 31 questions)"),
            "{reason}"
        );
        assert_eq!(
            summary.spent_by_gate.get(&Gate::Full),
            Some(&FULL_GATE_BATCH)
        );
    }

    #[test]
    fn a_fix_that_breaks_a_p0_question_is_rejected_at_the_p0_gate() {
        let summary = run(true);
        assert!(summary.accepted.is_empty());
        assert_eq!(summary.rejected.len(), 1, "{:#?}", summary.rejected);
        assert_eq!(summary.rejected[0].reason, "P0 regression: q2");
        assert_eq!(summary.stop, Some(StopReason::Plateau));
    }

    #[test]
    fn the_same_fix_passes_when_the_broken_question_is_not_p0_and_one_regression_is_allowed() {
        let summary = run(false);
        assert_eq!(summary.accepted.len(), 1);
        assert_eq!(summary.accepted[0].fixed, BTreeSet::from(["q1".to_owned()]));
        assert_eq!(summary.accepted[0].files, vec![SPACE.to_owned()]);
    }
}
