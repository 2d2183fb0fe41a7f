//! The markdown rendering of a [`Report`]: a verdict line first, then accuracy with its
//! interval, the baseline deltas, breakdowns, the per-question table and the failures grouped
//! by cause with their blamed objects and fixes. Suitable for a PR comment or a job summary.

use std::fmt::Write as _;

use super::{Group, Report};
use crate::eval::results::Outcome;
use crate::eval::stats::Accuracy;

/// Renders the report as GitHub-flavoured markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    baseline(&mut out, report);
    breakdowns(&mut out, report);
    judges(&mut out, report);
    questions(&mut out, report);
    failures(&mut out, report);
    warnings(&mut out, report);
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn acc(a: &Accuracy) -> String {
    format!(
        "{} ({}/{}, 95% CI {}–{})",
        pct(a.rate),
        a.correct,
        a.total,
        pct(a.ci95.low),
        pct(a.ci95.high)
    )
}

/// Table cells: pipes escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn header(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "# Genie evaluation: {} ({})\n",
        r.run.space, r.run.target
    );
    if r.gate.passed {
        let _ = writeln!(
            out,
            "**✅ PASS**: accuracy {}, threshold {}.\n",
            acc(&r.accuracy),
            pct(r.gate.min_accuracy)
        );
    } else {
        let _ = writeln!(out, "**❌ FAIL**: {}.\n", r.gate.failures.join("; "));
        let _ = writeln!(out, "Accuracy {}.\n", acc(&r.accuracy));
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} not evaluable, of {} questions (errors, clarifications and text answers count as failures).\n",
        r.counts.pass, r.counts.fail, r.counts.not_evaluable, r.counts.total
    );
    let _ = writeln!(
        out,
        "Space `{}` (found by {}) · against {} · engine {} · scope {} · repeat {} · as of {}\n",
        r.run.space_id,
        r.run.resolved_by,
        r.run.against,
        r.run.engine,
        r.run.scope,
        r.run.repeat,
        r.run.as_of.as_deref().unwrap_or("the run's date")
    );
}

fn baseline(out: &mut String, r: &Report) {
    let Some(b) = &r.baseline else {
        return;
    };
    let _ = writeln!(out, "## Against the baseline\n");
    let _ = writeln!(out, "| | baseline | now | Δ |\n|---|---|---|---|");
    let _ = writeln!(
        out,
        "| accuracy on {} shared questions | {} | {} | {:+.1} pts |\n",
        b.paired.total(),
        pct(b.baseline.rate),
        pct(b.current.rate),
        b.delta * 100.0
    );
    let list = |ids: &[String]| {
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(out, "- Newly failing: {}", list(&b.newly_failing));
    let _ = writeln!(out, "- Newly passing: {}", list(&b.newly_passing));
    let _ = writeln!(
        out,
        "- Paired exact McNemar test: p = {:.3} ({} fixed, {} broken)",
        b.p_value, b.paired.after_only, b.paired.before_only
    );
    if !b.only_current.is_empty() || !b.only_baseline.is_empty() {
        let _ = writeln!(
            out,
            "- Not compared: new {}; gone {}",
            list(&b.only_current),
            list(&b.only_baseline)
        );
    }
    if !r.drift.is_empty() {
        let changed: Vec<String> = r
            .drift
            .iter()
            .map(|d| {
                let mut what = Vec::new();
                if d.sql_changed {
                    what.push("SQL");
                }
                if d.result_changed {
                    what.push("result");
                }
                if d.outcome_changed {
                    what.push("outcome");
                }
                format!("`{}` ({})", d.id, what.join(", "))
            })
            .collect();
        let _ = writeln!(out, "- Changed answers: {}", changed.join(", "));
    }
    out.push('\n');
}

fn group_table(out: &mut String, title: &str, groups: &[Group]) {
    let _ = writeln!(
        out,
        "| {title} | passed | accuracy | 95% CI |\n|---|---|---|---|"
    );
    for g in groups {
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {}–{} |",
            cell(&g.name),
            g.accuracy.correct,
            g.accuracy.total,
            pct(g.accuracy.rate),
            pct(g.accuracy.ci95.low),
            pct(g.accuracy.ci95.high)
        );
    }
    out.push('\n');
}

fn breakdowns(out: &mut String, r: &Report) {
    let _ = writeln!(out, "## Accuracy by slice\n");
    group_table(out, "category", &r.by_category);
    group_table(out, "priority", &r.by_priority);
    group_table(out, "split", &r.by_split);
}

fn judges(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "## Judges\n\n| judge | pass | fail | skipped |\n|---|---|---|---|"
    );
    for j in &r.by_judge {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            j.judge, j.pass, j.fail, j.skipped
        );
    }
    out.push('\n');
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅ pass",
        Outcome::Fail => "❌ fail",
        Outcome::NotEvaluable => "⚠️ not evaluable",
    }
}

fn questions(out: &mut String, r: &Report) {
    let repeated = r.questions.iter().any(|q| q.repeat.is_some());
    let _ = writeln!(out, "## Questions\n");
    if repeated {
        let _ = writeln!(
            out,
            "| id | P | category | outcome | cause | reasons | repeats passed |\n|---|---|---|---|---|---|---|"
        );
    } else {
        let _ = writeln!(
            out,
            "| id | P | category | outcome | cause | reasons |\n|---|---|---|---|---|---|"
        );
    }
    for q in &r.questions {
        let _ = write!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            q.id,
            q.priority,
            cell(&q.category),
            outcome(q.outcome),
            q.cause.as_deref().unwrap_or(""),
            q.reasons.join(", ")
        );
        if repeated {
            let _ = write!(out, " {} |", q.repeat.as_deref().unwrap_or(""));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn failures(out: &mut String, r: &Report) {
    if r.failure_groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Failures by cause\n");
    for g in &r.failure_groups {
        let _ = writeln!(out, "### {} ({})\n", g.failure_type, g.items.len());
        for item in &g.items {
            let _ = writeln!(out, "- `{}` {}", item.id, cell(&item.question));
            let _ = writeln!(out, "  - what differs: {}", cell(&item.evidence));
            let _ = writeln!(out, "  - blamed: {}", item.blamed.join(", "));
            let _ = writeln!(out, "  - fix: {}", cell(&item.fix));
        }
        out.push('\n');
    }
}

fn warnings(out: &mut String, r: &Report) {
    if r.warnings.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Warnings\n");
    for w in &r.warnings {
        let _ = writeln!(out, "- {}", cell(w));
    }
    out.push('\n');
}
