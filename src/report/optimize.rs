//! The lever-impact report of an optimization run: one model ([`OptimizeReport`], also the
//! JSON) built from the optimizer's `Summary`, rendered to markdown for the PR body — the
//! verdict, before → after per accepted lever with 95% intervals, a mermaid chart of accuracy
//! per measured step, the per-question table, the baseline's failure clusters, each accepted
//! diff in `<details>`, the rejected candidates and why, the held-out result and the Genie
//! questions spent against the seed system's schedule. Pure and deterministic.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::eval::stats::{Accuracy, accuracy};
use crate::model::snapshot::RepoSnapshot;
use crate::optimize::audit::{LeverAudit, Rejection};
use crate::optimize::case::{Question, Role};
use crate::optimize::checkpoint::{Gate, StopReason};
use crate::optimize::diagnose::Cluster;
use crate::optimize::machine::{Score, Summary};
use crate::patch::{self, render_diff};

/// What the report says about the run itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunContext {
    pub space: String,
    pub target: String,
    /// How levers 1–3 were measured (one sentence).
    pub uc_measurement: String,
    /// The train accuracy the run aimed for.
    pub target_accuracy: f64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimizeReport {
    pub run: RunContext,
    /// `target met`, `below target` — one line.
    pub verdict: String,
    pub target_met: bool,
    pub stop: Option<StopReason>,
    pub train: BeforeAfter,
    pub held_out: HeldOut,
    pub levers: Vec<LeverRow>,
    /// Accuracy of every measured state, in order (the chart).
    pub steps: Vec<StepPoint>,
    pub questions: Vec<QuestionRow>,
    pub clusters: Vec<Cluster>,
    pub rejected: Vec<Rejection>,
    /// High-risk proposals: reported, never applied.
    pub high_risk: Vec<String>,
    pub audit: Vec<(u8, LeverAudit)>,
    pub questions_asked: usize,
    /// The same, per gate.
    pub spent_by_gate: BTreeMap<Gate, usize>,
    pub seed_schedule: usize,
}

/// Train accuracy at the baseline and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BeforeAfter {
    pub before: Accuracy,
    pub after: Accuracy,
}

/// The held-out result: asked at the baseline and on the final space only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOut {
    pub before: Accuracy,
    pub after: Option<Accuracy>,
    pub regressions: Vec<String>,
}

/// One accepted lever.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverRow {
    pub lever: u8,
    pub round: u32,
    /// Gate accuracy before and after the step.
    pub before: Accuracy,
    pub after: Accuracy,
    pub fixed: Vec<String>,
    pub files: Vec<String>,
    pub rationales: Vec<String>,
    /// One summary line per patch.
    pub patches: Vec<String>,
    /// Other accepted levers measured in the same evaluation (disjoint question sets).
    pub measured_with: Vec<u8>,
    /// Where the change was measured: `temporary space`, `dev target` (levers 1–3 applied to
    /// the dev target, named in [`RunContext::uc_measurement`]) or `space-level overlay`.
    pub measured_on: String,
    /// The step's unified diff of the repository files.
    pub diff: String,
}

/// One measured state for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepPoint {
    pub label: String,
    pub accuracy: f64,
    pub accepted: bool,
}

/// One question at the baseline and at the end (`None`: not asked on that state).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRow {
    pub id: String,
    pub role: Role,
    pub question: String,
    pub baseline: Option<bool>,
    pub final_outcome: Option<bool>,
}

fn acc(score: Score) -> Accuracy {
    accuracy(score.correct, score.total)
}

/// Builds the report; `base` is the repository before the run (the diffs are computed from it).
pub fn build(
    summary: &Summary,
    base: &RepoSnapshot,
    questions: &[Question],
    run: RunContext,
) -> OptimizeReport {
    let final_train = acc(summary.final_train);
    let target_met = final_train.rate >= run.target_accuracy;
    let verdict = format!(
        "{} — train {:.1}% → {:.1}% (target {:.0}%), {} lever(s) accepted",
        if target_met {
            "TARGET MET"
        } else {
            "BELOW TARGET"
        },
        acc(summary.baseline_train).rate * 100.0,
        final_train.rate * 100.0,
        run.target_accuracy * 100.0,
        summary.accepted.len()
    );
    OptimizeReport {
        verdict,
        target_met,
        stop: summary.stop,
        train: BeforeAfter {
            before: acc(summary.baseline_train),
            after: final_train,
        },
        held_out: HeldOut {
            before: acc(summary.baseline_held_out),
            after: summary.final_held_out.map(acc),
            regressions: summary.held_out_regressions.clone(),
        },
        levers: lever_rows(summary, base),
        steps: summary
            .pareto
            .iter()
            .map(|p| StepPoint {
                label: p.label.clone(),
                accuracy: p.accuracy,
                accepted: p.accepted,
            })
            .collect(),
        questions: question_rows(summary, questions),
        clusters: summary.baseline_clusters.clone(),
        rejected: summary.rejected.clone(),
        high_risk: summary
            .high_risk
            .iter()
            .map(|p| format!("lever {} · {} · {}", p.lever, p.rule, p.rationale))
            .collect(),
        audit: summary.audit.iter().map(|(l, a)| (*l, a.clone())).collect(),
        questions_asked: summary.questions_asked,
        spent_by_gate: summary.spent_by_gate.clone(),
        seed_schedule: summary.seed_schedule,
        run,
    }
}

fn lever_rows(summary: &Summary, base: &RepoSnapshot) -> Vec<LeverRow> {
    let mut before = base.clone();
    let mut rows = Vec::new();
    for step in &summary.accepted {
        let after =
            patch::apply_all(&before, &step.patches, usize::MAX).unwrap_or_else(|_| before.clone());
        rows.push(LeverRow {
            lever: step.lever,
            round: step.round,
            before: accuracy(step.before.0, step.before.1),
            after: accuracy(step.after.0, step.after.1),
            fixed: step.fixed.iter().cloned().collect(),
            files: step.files.clone(),
            rationales: step.rationales.clone(),
            patches: step.patches.iter().map(patch::Patch::summary).collect(),
            measured_with: summary
                .accepted
                .iter()
                .filter(|other| {
                    other.lever != step.lever
                        && (other.round, other.before, other.after)
                            == (step.round, step.before, step.after)
                })
                .map(|other| other.lever)
                .collect(),
            measured_on: measured_on(step.lever, step.overlay).into(),
            diff: render_diff(&before, &after),
        });
        before = after;
    }
    rows
}

/// Which path measured an accepted lever.
fn measured_on(lever: u8, overlay: bool) -> &'static str {
    match (lever, overlay) {
        (1..=3, true) => "space-level overlay",
        (1..=3, false) => "dev target",
        _ => "temporary space",
    }
}

fn question_rows(summary: &Summary, questions: &[Question]) -> Vec<QuestionRow> {
    let mut rows: Vec<QuestionRow> = questions
        .iter()
        .map(|q| {
            let (baseline, final_outcome) =
                summary.per_question.get(&q.id).copied().unwrap_or_default();
            QuestionRow {
                id: q.id.clone(),
                role: q.role,
                question: q.text.clone(),
                baseline,
                final_outcome,
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.role, &a.id).cmp(&(b.role, &b.id)));
    rows
}

fn pct(a: &Accuracy) -> String {
    format!(
        "{:.1}% ({}/{}, 95% CI {:.1}–{:.1}%)",
        a.rate * 100.0,
        a.correct,
        a.total,
        a.ci95.low * 100.0,
        a.ci95.high * 100.0
    )
}

fn mark(outcome: Option<bool>) -> &'static str {
    match outcome {
        Some(true) => "✅",
        Some(false) => "❌",
        None => "–",
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Train => "train",
        Role::Val => "val",
        Role::HeldOut => "held_out",
    }
}

/// Table cells: pipes escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as markdown (a PR body).
pub fn render_markdown(r: &OptimizeReport) -> String {
    let mut out = format!(
        "## genie-gitops optimize: `{}` on `{}`\n\n**{}**\n\n",
        r.run.space, r.run.target, r.verdict
    );
    out.push_str(&format!(
        "| | baseline | final |\n|---|---|---|\n| train | {} | {} |\n| held_out | {} | {} |\n\n",
        pct(&r.train.before),
        pct(&r.train.after),
        pct(&r.held_out.before),
        r.held_out.after.as_ref().map_or("not asked".into(), pct)
    ));
    if let Some(stop) = r.stop {
        out.push_str(&format!("Stopped: {}.\n", stop_text(stop)));
    }
    out.push_str(&format!("Measurement: {}.\n\n", r.run.uc_measurement));
    render_levers(&mut out, r);
    render_chart(&mut out, r);
    render_held_out(&mut out, r);
    render_rejected(&mut out, r);
    render_clusters(&mut out, r);
    render_questions(&mut out, r);
    out.push_str(&format!(
        "### Genie questions\n\n{} asked ({}); the seed system's schedule (baseline, then slice + P0 + full for every lever tried) would ask {}.\n",
        r.questions_asked,
        spend_text(&r.spent_by_gate),
        r.seed_schedule
    ));
    out
}

/// `baseline 48, slice 36, …` in gate order.
fn spend_text(spent: &BTreeMap<Gate, usize>) -> String {
    let parts: Vec<String> = spent
        .iter()
        .map(|(gate, n)| {
            let name = match gate {
                Gate::Baseline => "baseline",
                Gate::Slice => "slice",
                Gate::P0 => "P0",
                Gate::Full => "full",
                Gate::HeldOut => "held-out",
            };
            format!("{name} {n}")
        })
        .collect();
    parts.join(", ")
}

fn stop_text(stop: StopReason) -> &'static str {
    match stop {
        StopReason::TargetMet => "the target accuracy was met",
        StopReason::Plateau => "plateau (rounds without an accepted step)",
        StopReason::MaxRounds => "the maximum number of rounds",
        StopReason::Budget => "the Genie-question budget",
    }
}

fn render_levers(out: &mut String, r: &OptimizeReport) {
    out.push_str("### Accepted levers (one commit each)\n\n");
    if r.levers.is_empty() {
        out.push_str("No lever measurably helped; nothing is committed.\n\n");
        return;
    }
    out.push_str(
        "| lever | round | before | after | fixes | measured on | measured with |\n|---|---|---|---|---|---|---|\n",
    );
    for l in &r.levers {
        let with: Vec<String> = l
            .measured_with
            .iter()
            .map(|w| format!("lever {w}"))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            l.lever,
            l.round,
            pct(&l.before),
            pct(&l.after),
            l.fixed.join(", "),
            l.measured_on,
            if with.is_empty() {
                "alone".to_string()
            } else {
                with.join(", ")
            }
        ));
    }
    out.push('\n');
    for l in &r.levers {
        out.push_str(&format!(
            "<details><summary>lever {} — {}</summary>\n\n",
            l.lever,
            cell(l.rationales.first().map_or("", String::as_str))
        ));
        for rationale in &l.rationales {
            out.push_str(&format!("- {rationale}\n"));
        }
        out.push_str(&format!("\n```diff\n{}```\n\n</details>\n\n", l.diff));
    }
}

fn render_chart(out: &mut String, r: &OptimizeReport) {
    if r.steps.is_empty() {
        return;
    }
    let labels: Vec<String> = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("\"{} {}\"", i, s.label.replace('"', "'")))
        .collect();
    let values: Vec<String> = r
        .steps
        .iter()
        .map(|s| format!("{:.1}", s.accuracy * 100.0))
        .collect();
    out.push_str(&format!(
        "### Accuracy per measured step\n\n```mermaid\nxychart-beta\n    title \"Gate accuracy per step (%)\"\n    x-axis [{}]\n    y-axis \"accuracy %\" 0 --> 100\n    line [{}]\n```\n\n",
        labels.join(", "),
        values.join(", ")
    ));
}

fn render_held_out(out: &mut String, r: &OptimizeReport) {
    out.push_str("### Held-out\n\n");
    let improved = r
        .held_out
        .after
        .is_some_and(|a| a.correct > r.held_out.before.correct);
    out.push_str(&format!(
        "Asked at the baseline and on the final space only: {} → {}{}.\n",
        pct(&r.held_out.before),
        r.held_out.after.as_ref().map_or("not asked".into(), pct),
        if improved {
            " — the gains generalize"
        } else {
            ""
        }
    ));
    if !r.held_out.regressions.is_empty() {
        out.push_str(&format!(
            "Regressed: {}.\n",
            r.held_out.regressions.join(", ")
        ));
    }
    out.push('\n');
}

fn render_rejected(out: &mut String, r: &OptimizeReport) {
    if r.rejected.is_empty() && r.high_risk.is_empty() {
        return;
    }
    out.push_str("### Rejected candidates\n\n| lever | round | rule | proposal | why |\n|---|---|---|---|---|\n");
    for x in &r.rejected {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            x.lever,
            x.round,
            x.rule,
            cell(&x.rationale),
            cell(&x.reason)
        ));
    }
    for h in &r.high_risk {
        out.push_str(&format!(
            "| | | | {} | high risk: proposed, not applied |\n",
            cell(h)
        ));
    }
    out.push('\n');
}

fn render_clusters(out: &mut String, r: &OptimizeReport) {
    if r.clusters.is_empty() {
        return;
    }
    out.push_str("### Baseline failure clusters\n\n| cluster | failure | blamed | levers | questions |\n|---|---|---|---|---|\n");
    for c in &r.clusters {
        let failure = serde_json::to_value(c.failure)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let levers: Vec<String> = c.levers.iter().map(u8::to_string).collect();
        let questions: Vec<&str> = c.questions.iter().map(String::as_str).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            c.id,
            failure,
            cell(&c.blame),
            levers.join(", "),
            questions.join(", ")
        ));
    }
    out.push('\n');
}

fn render_questions(out: &mut String, r: &OptimizeReport) {
    let changed: BTreeSet<&str> = r
        .questions
        .iter()
        .filter(|q| q.baseline != q.final_outcome)
        .map(|q| q.id.as_str())
        .collect();
    out.push_str(&format!(
        "<details><summary>Per question ({} changed)</summary>\n\n| id | split | baseline | final | question |\n|---|---|---|---|---|\n",
        changed.len()
    ));
    for q in &r.questions {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            q.id,
            role(q.role),
            mark(q.baseline),
            mark(q.final_outcome),
            cell(&q.question)
        ));
    }
    out.push_str("\n</details>\n\n");
}
