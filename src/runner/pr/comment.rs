//! What reviewers read about a pull request: the sticky comment (also the check run's summary
//! and the job summary), built from the evaluate report and the pull request's changes. Pure:
//! text in, text out, sorted, no timestamps.
//!
//! The opening (verdict, newly failing first, base vs head, where the results came from, the
//! changed files and benchmarks) sits before the first `## ` heading, so GitHub's size limits
//! never trim it; the full evaluate report follows as `## ` sections that can be.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::eval::results::RunResults;
use crate::eval::stats::{Accuracy, accuracy};
use crate::model::benchmarks::{self, Benchmark};
use crate::model::project::{Project, ProjectSpace, SpaceSource};
use crate::model::settings::{self, Thresholds};
use crate::model::snapshot::RepoSnapshot;
use crate::report::{Report, markdown};

/// Where the base's results came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BaseSource {
    /// The verified baseline note on `commit`, whose managed files equal the base's.
    Note {
        /// The commit carrying the note.
        commit: String,
    },
    /// The base's files, evaluated on a temporary space.
    Evaluated,
    /// No base results: nothing is compared.
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// What a managed file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagedKind {
    /// The space configuration (lever 6), or the bundle file declaring it inline.
    SpaceFile,
    /// Benchmark questions.
    Benchmarks,
    /// Unity Catalog metadata (levers 1–5).
    Durable,
    /// `.genie-gitops.yml`.
    Settings,
    /// The bundle (`databricks.yml` and its includes).
    Bundle,
}

impl ManagedKind {
    fn label(self) -> &'static str {
        match self {
            ManagedKind::SpaceFile => "space file",
            ManagedKind::Benchmarks => "benchmarks",
            ManagedKind::Durable => "Unity Catalog metadata",
            ManagedKind::Settings => "settings",
            ManagedKind::Bundle => "bundle",
        }
    }
}

/// How a file or a benchmark changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// New in the head.
    Added,
    /// Gone from the head.
    Removed,
    /// In both, different.
    Edited,
}

impl FileChange {
    /// The change from `before` to `after` (both present and equal counts as edited: callers
    /// only ask about files that differ).
    pub fn between(before: Option<&str>, after: Option<&str>) -> Self {
        match (before, after) {
            (None, _) => FileChange::Added,
            (Some(_), None) => FileChange::Removed,
            (Some(_), Some(_)) => FileChange::Edited,
        }
    }

    fn label(self) -> &'static str {
        match self {
            FileChange::Added => "added",
            FileChange::Removed => "removed",
            FileChange::Edited => "edited",
        }
    }
}

/// A managed file the pull request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    /// Repository path.
    pub path: String,
    /// What it is for.
    pub kind: ManagedKind,
    /// How it changed.
    pub change: FileChange,
}

/// A benchmark question the pull request adds, removes or edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenchmarkChange {
    /// The question's id.
    pub id: String,
    /// How it changed.
    pub change: FileChange,
    /// The edited fields (`expected_sql`, `question`, …), sorted; empty unless edited.
    pub fields: Vec<String>,
    /// The question text (the head's, or the base's when removed).
    pub question: String,
}

/// What every rendering of one space shows.
#[derive(Debug, Clone)]
pub struct SpaceView<'a> {
    /// The space's name.
    pub space: &'a str,
    /// The pull request's number, when there is one.
    pub pull_request: Option<u64>,
    /// The base commit.
    pub base_sha: String,
    /// The head commit.
    pub head_sha: String,
    /// The managed files the pull request changes.
    pub changed_files: &'a [ChangedFile],
    /// The benchmarks it adds, removes or edits.
    pub benchmark_changes: &'a [BenchmarkChange],
    /// The base's thresholds.
    pub thresholds: &'a Thresholds,
}

/// What `path` is for `space` (`None` when only the project is known).
pub fn file_kind(path: &str, space: Option<&ProjectSpace>, project: &Project) -> ManagedKind {
    if path == settings::FILE_NAME {
        return ManagedKind::Settings;
    }
    if let Some(space) = space {
        match &space.source {
            SpaceSource::File(file) if file == path => return ManagedKind::SpaceFile,
            SpaceSource::Inline { declared_in, .. } if declared_in == path => {
                return ManagedKind::SpaceFile;
            }
            _ => {}
        }
        if space.benchmarks.iter().any(|b| b == path) {
            return ManagedKind::Benchmarks;
        }
    }
    let in_bundle = project
        .bundle
        .as_ref()
        .is_some_and(|b| b.files.iter().any(|f| f == path));
    if in_bundle {
        ManagedKind::Bundle
    } else {
        ManagedKind::Durable
    }
}

/// Every benchmark question of `files` in `snapshot`, by id. Files that are missing or do not
/// parse are left out (the evaluation reports them).
pub fn benchmarks_in(
    snapshot: &RepoSnapshot,
    files: &BTreeSet<String>,
) -> BTreeMap<String, Benchmark> {
    let mut all = BTreeMap::new();
    for file in files {
        let Some(text) = snapshot.get(file) else {
            continue;
        };
        if let Ok((parsed, _warnings)) = benchmarks::load(file, text) {
            for b in parsed.questions {
                all.entry(b.id.clone()).or_insert(b);
            }
        }
    }
    all
}

/// The questions added, removed or edited from `before` to `after`, sorted by id.
pub fn benchmark_changes(
    before: &BTreeMap<String, Benchmark>,
    after: &BTreeMap<String, Benchmark>,
) -> Vec<BenchmarkChange> {
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    ids.into_iter()
        .filter_map(|id| {
            let (change, fields, question) = match (before.get(id), after.get(id)) {
                (None, Some(b)) => (FileChange::Added, Vec::new(), &b.question),
                (Some(b), None) => (FileChange::Removed, Vec::new(), &b.question),
                (Some(old), Some(new)) if old != new => {
                    (FileChange::Edited, edited_fields(old, new), &new.question)
                }
                _ => return None,
            };
            Some(BenchmarkChange {
                id: id.clone(),
                change,
                fields,
                question: question.clone(),
            })
        })
        .collect()
}

/// The names of the fields that differ between two versions of a question.
fn edited_fields(old: &Benchmark, new: &Benchmark) -> Vec<String> {
    let as_map = |b: &Benchmark| match serde_json::to_value(b) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| k.to_string())
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn ids(list: &[String]) -> String {
    list.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text on one line, safe inside a table cell or a list item.
fn inline(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn title(out: &mut String, view: &SpaceView<'_>) {
    let _ = match view.pull_request {
        Some(n) => writeln!(
            out,
            "# genie-gitops: `{}` on pull request #{n}\n",
            view.space
        ),
        None => writeln!(
            out,
            "# genie-gitops: `{}` at `{}` against `{}`\n",
            view.space,
            short(&view.head_sha),
            short(&view.base_sha)
        ),
    };
}

/// The comment when the pull request touches none of the space's managed files.
pub fn nothing_to_evaluate(view: &SpaceView<'_>) -> String {
    let mut out = String::new();
    title(&mut out, view);
    out.push_str(
        "Nothing to evaluate: this pull request changes none of the space's managed files \
         (space file, benchmarks, Unity Catalog metadata, settings, bundle).\n",
    );
    out
}

/// The comment when the head's files cannot be evaluated.
pub fn invalid(view: &SpaceView<'_>, problems: &str) -> String {
    let mut out = String::new();
    title(&mut out, view);
    out.push_str("**❌ INVALID**: the pull request's files cannot be evaluated. Fix these and push again:\n\n");
    let _ = writeln!(
        out,
        "```text\n{}\n```\n",
        problems.trim_end().replace("```", "'''")
    );
    changes(&mut out, view);
    out
}

/// The comment when the evaluation stopped with an operational error.
pub fn did_not_finish(view: &SpaceView<'_>, error: &str) -> String {
    let mut out = String::new();
    title(&mut out, view);
    let _ = writeln!(
        out,
        "**⚠️ The evaluation did not finish**: {}. The run's log has the details; re-run the job once the cause is fixed.\n",
        inline(error)
    );
    changes(&mut out, view);
    out
}

/// The check run's one-line title.
pub fn check_title(report: &Report) -> String {
    let failing = report
        .baseline
        .as_ref()
        .map_or(0, |b| b.newly_failing.len());
    let verdict = if report.gate.passed { "PASS" } else { "FAIL" };
    format!(
        "{verdict}: accuracy {} on the head, {failing} newly failing",
        pct(report.accuracy.rate)
    )
}

/// The comment for an evaluated space: the verdict and newly failing questions first, base
/// vs head, the sources, the pull request's changes, then the full evaluate report.
pub fn evaluated(
    view: &SpaceView<'_>,
    report: &Report,
    base_source: &BaseSource,
    base: Option<&RunResults>,
) -> String {
    let mut out = String::new();
    title(&mut out, view);
    verdict(&mut out, report, base_source);
    comparison(&mut out, view, report, base);
    sources(&mut out, view, report, base_source);
    changes(&mut out, view);
    out.push_str("---\n\n");
    out.push_str(report_sections(&markdown::render(report)));
    out
}

fn verdict(out: &mut String, report: &Report, base_source: &BaseSource) {
    if report.gate.passed {
        out.push_str("**✅ PASS**: the head clears the base branch's bar.\n\n");
    } else {
        let _ = writeln!(
            out,
            "**❌ FAIL**: {}.\n",
            inline(&report.gate.failures.join("; "))
        );
    }
    match (&report.baseline, base_source) {
        (Some(b), _) => {
            if !b.newly_failing.is_empty() {
                let _ = writeln!(
                    out,
                    "**Newly failing ({})**: {}\n",
                    b.newly_failing.len(),
                    ids(&b.newly_failing)
                );
            }
            if !b.newly_passing.is_empty() {
                let _ = writeln!(
                    out,
                    "**Newly passing ({})**: {}\n",
                    b.newly_passing.len(),
                    ids(&b.newly_passing)
                );
            }
            if b.newly_failing.is_empty() && b.newly_passing.is_empty() {
                out.push_str("No question changes outcome.\n\n");
            }
        }
        (None, BaseSource::Unavailable { reason }) => {
            let _ = writeln!(out, "Not compared with the base: {}.\n", inline(reason));
        }
        (None, _) => {}
    }
}

fn base_accuracy(base: &RunResults) -> Accuracy {
    let passed = base
        .questions
        .iter()
        .filter(|q| q.outcome.is_pass())
        .count();
    accuracy(passed, base.questions.len())
}

fn comparison(out: &mut String, view: &SpaceView<'_>, report: &Report, base: Option<&RunResults>) {
    let head = &report.accuracy;
    let cell = |a: &Accuracy| format!("{} ({}/{})", pct(a.rate), a.correct, a.total);
    let (base_cell, delta) = match base {
        Some(base) => {
            let b = base_accuracy(base);
            (
                cell(&b),
                format!("{:+.1} pts", (head.rate - b.rate) * 100.0),
            )
        }
        None => ("—".to_owned(), "—".to_owned()),
    };
    let _ = writeln!(
        out,
        "| | base `{}` | head `{}` | Δ |\n|---|---|---|---|\n| accuracy | {base_cell} | {} | {delta} |\n",
        short(&view.base_sha),
        short(&view.head_sha),
        cell(head)
    );
    let c = &report.counts;
    let _ = writeln!(
        out,
        "Head: {} passed, {} failed, {} not evaluable of {} questions (95% CI {}–{}).\n",
        c.pass,
        c.fail,
        c.not_evaluable,
        c.total,
        pct(head.ci95.low),
        pct(head.ci95.high)
    );
}

fn sources(out: &mut String, view: &SpaceView<'_>, report: &Report, base_source: &BaseSource) {
    let run = &report.run;
    let _ = writeln!(
        out,
        "- **Head**: a temporary space created from the head's files (trashed afterwards); engine {}, repeat {}, as of {}, target `{}`.",
        run.engine,
        run.repeat,
        run.as_of.as_deref().unwrap_or("the run's date"),
        run.target
    );
    let base = match base_source {
        BaseSource::Note { commit } => format!(
            "the verified baseline recorded on `{}` (its managed files equal the base's)",
            short(commit)
        ),
        BaseSource::Evaluated => {
            "a temporary space created from the base's files (trashed afterwards)".to_owned()
        }
        BaseSource::Unavailable { reason } => format!("none ({})", inline(reason)),
    };
    let _ = writeln!(out, "- **Base**: {base}.");
    let t = view.thresholds;
    let _ = writeln!(
        out,
        "- **Bar**: from the base branch's `{}`: accuracy at least {}, at most {} newly failing, {}.",
        settings::FILE_NAME,
        pct(t.min_accuracy),
        t.max_regressions,
        if t.p0_must_pass {
            "every P0 question must pass"
        } else {
            "P0 questions may fail"
        }
    );
    let touched = |kind: ManagedKind| -> Vec<String> {
        view.changed_files
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.path.clone())
            .collect()
    };
    if !touched(ManagedKind::Settings).is_empty() {
        let _ = writeln!(
            out,
            "- This pull request changes `{}`: its settings apply after the merge, not to this run.",
            settings::FILE_NAME
        );
    }
    let durable = touched(ManagedKind::Durable);
    if !durable.is_empty() {
        let _ = writeln!(
            out,
            "- Unity Catalog metadata changes ({}) reach the workspace at deploy: this run does not measure them.",
            ids(&durable)
        );
    }
    out.push('\n');
}

fn changes(out: &mut String, view: &SpaceView<'_>) {
    out.push_str("### Files this pull request changes\n\n");
    if view.changed_files.is_empty() {
        out.push_str("None of the space's managed files.\n\n");
    } else {
        for f in view.changed_files {
            let _ = writeln!(
                out,
                "- `{}`: {} ({})",
                f.path,
                f.kind.label(),
                f.change.label()
            );
        }
        out.push('\n');
    }
    out.push_str("### Benchmark changes\n\n");
    if view.benchmark_changes.is_empty() {
        out.push_str("No benchmark question is added, removed or edited.\n\n");
        return;
    }
    for b in view.benchmark_changes {
        let fields = if b.fields.is_empty() {
            String::new()
        } else {
            format!(" ({})", b.fields.join(", "))
        };
        let _ = writeln!(
            out,
            "- {} `{}`{fields}: {}",
            b.change.label(),
            b.id,
            inline(&b.question)
        );
    }
    out.push('\n');
}

/// The evaluate report from its first `## ` section on (its own title and verdict are
/// already in the opening).
fn report_sections(rendered: &str) -> &str {
    match rendered.find("\n## ") {
        Some(i) => &rendered[i + 1..],
        None => rendered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(id: &str, question: &str, sql: &str) -> Benchmark {
        let text = format!(
            "- id: {id}\n  question: \"{question}\"\n  expected_sql: \"{sql}\"\n  expected_asset: TABLE\n  category: c\n"
        );
        let (file, _) = benchmarks::load("b.yaml", &text).unwrap();
        file.questions.into_iter().next().unwrap()
    }

    #[test]
    fn benchmark_changes_name_added_removed_and_edited_questions_with_their_fields() {
        let before: BTreeMap<String, Benchmark> = [
            bench("a", "How many?", "SELECT 1"),
            bench("b", "Gone?", "SELECT 2"),
            bench("c", "Same?", "SELECT 3"),
        ]
        .into_iter()
        .map(|b| (b.id.clone(), b))
        .collect();
        let after: BTreeMap<String, Benchmark> = [
            bench("a", "How many?", "SELECT 10"),
            bench("c", "Same?", "SELECT 3"),
            bench("d", "New?", "SELECT 4"),
        ]
        .into_iter()
        .map(|b| (b.id.clone(), b))
        .collect();
        let changes = benchmark_changes(&before, &after);
        let summary: Vec<(&str, FileChange, Vec<String>)> = changes
            .iter()
            .map(|c| (c.id.as_str(), c.change, c.fields.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", FileChange::Edited, vec!["expected_sql".to_owned()]),
                ("b", FileChange::Removed, vec![]),
                ("d", FileChange::Added, vec![]),
            ]
        );
    }

    #[test]
    fn the_report_keeps_only_its_sections_after_the_opening() {
        let rendered = "# Title\n\nverdict\n\n## A\n\ntext\n## B\n";
        assert_eq!(report_sections(rendered), "## A\n\ntext\n## B\n");
        assert_eq!(report_sections("no sections"), "no sections");
    }

    #[test]
    fn a_file_change_is_told_by_which_side_has_it() {
        assert_eq!(FileChange::between(None, Some("x")), FileChange::Added);
        assert_eq!(FileChange::between(Some("x"), None), FileChange::Removed);
        assert_eq!(
            FileChange::between(Some("x"), Some("y")),
            FileChange::Edited
        );
    }
}
