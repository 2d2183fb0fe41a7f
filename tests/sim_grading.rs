//! Offline grading of the NL engine on the Wanderbricks fixtures: every benchmark's expected SQL
//! and the engine's answer run on the fixture's own simulated workspace (its durable files
//! loaded), results are compared as bags of rows
//! by `eval::compare`, and accuracy is reported overall, per category and per split. The poor
//! fixture must score like real Genie on poor metadata (30–55%), the curated one ≥ 90%, and
//! held-out questions within 15 points of train on both (no per-question tuning).

mod sim_nl_support;

use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex, MutexGuard};

use genie_gitops::eval::compare::{CompareOptions, Verdict, compare};
use genie_gitops::model::benchmarks::{self, Benchmark, Split};
use genie_gitops::model::result::ResultSet;
use genie_gitops::model::space::validate;
use genie_gitops::sim::answer::Answer;
use genie_gitops::sim::nl::answer;
use sim_nl_support::{CURATED, POOR, Workspace, as_of, resolve, space};

/// The poor fixture's workspace, shared by every test (start-up generates and loads 20,000
/// bookings).
static WORKSPACE: LazyLock<Mutex<Workspace>> = LazyLock::new(|| Mutex::new(Workspace::new()));

fn workspace() -> MutexGuard<'static, Workspace> {
    WORKSPACE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const BENCHMARKS: &str = include_str!("../fixtures/wanderbricks/benchmarks/golden-queries.yaml");
const CURATED_BENCHMARKS: &str =
    include_str!("../fixtures/wanderbricks-curated/benchmarks/golden-queries.yaml");

fn benchmarks() -> Vec<Benchmark> {
    match benchmarks::load("golden-queries.yaml", BENCHMARKS) {
        Ok((file, _warnings)) => file.questions,
        Err(errors) => panic!("golden-queries.yaml is invalid: {errors:#?}"),
    }
}

/// Whether the answer's result carries the gold result, as a bag of rows (`eval::compare`).
fn same_result(gold: &ResultSet, got: &ResultSet) -> bool {
    compare(gold, got, &CompareOptions::default()).verdict == Verdict::Match
}

fn split_name(b: &Benchmark) -> &'static str {
    match b.split {
        Some(Split::HeldOut) => "held_out",
        Some(Split::Val) => "val",
        _ => "train",
    }
}

/// The verdict on one benchmark.
struct Graded {
    id: String,
    category: String,
    split: String,
    correct: bool,
    detail: String,
}

fn grade(workspace: &mut Workspace, space_text: &str) -> Vec<Graded> {
    let knowledge = workspace.knowledge(&space(space_text));
    let mut out = Vec::new();
    for b in benchmarks() {
        let expected_sql = resolve(&b.expected_sql);
        let gold = match workspace.engine.execute(&expected_sql, &[]) {
            Ok(result) => result,
            Err(error) => panic!("{}: expected SQL fails: {error}\n{expected_sql}", b.id),
        };
        let (correct, detail) = match answer(&knowledge, &b.question, as_of(), None) {
            Answer::Sql { sql, .. } => match workspace.engine.execute(&sql, &[]) {
                Ok(got) => (same_result(&gold, &got), sql),
                Err(error) => (false, format!("{sql}\n-- fails: {error}")),
            },
            Answer::Clarification { text } | Answer::Text { text } => (false, text),
        };
        out.push(Graded {
            split: split_name(&b).to_owned(),
            id: b.id,
            category: b.category,
            correct,
            detail,
        });
    }
    out
}

/// Percent correct of the graded rows that `keep` selects.
fn accuracy(graded: &[Graded], keep: impl Fn(&Graded) -> bool) -> (f64, usize, usize) {
    let selected: Vec<&Graded> = graded.iter().filter(|g| keep(g)).collect();
    let right = selected.iter().filter(|g| g.correct).count();
    let pct = 100.0 * right as f64 / selected.len().max(1) as f64;
    (pct, right, selected.len())
}

fn table(name: &str, graded: &[Graded]) -> String {
    let mut out = format!("{name}\n| category | train | held_out | all |\n|---|---|---|---|\n");
    let mut categories: Vec<&str> = graded.iter().map(|g| g.category.as_str()).collect();
    categories.sort();
    categories.dedup();
    let row = |label: &str, keep: &dyn Fn(&Graded) -> bool| {
        let cell = |split: Option<&str>| {
            let (_, right, n) = accuracy(graded, |g| keep(g) && split.is_none_or(|s| g.split == s));
            format!("{right}/{n}")
        };
        format!(
            "| {label} | {} | {} | {} |\n",
            cell(Some("train")),
            cell(Some("held_out")),
            cell(None)
        )
    };
    for c in categories {
        out.push_str(&row(c, &|g: &Graded| g.category == c));
    }
    out.push_str(&row("**all**", &|_: &Graded| true));
    for g in graded.iter().filter(|g| !g.correct) {
        let _ = writeln!(out, "  wrong {}: {}", g.id, g.detail.replace('\n', " "));
    }
    out
}

fn check(name: &str, graded: &[Graded], low: f64, high: f64) {
    let report = table(name, graded);
    eprintln!("{report}");
    let (all, _, _) = accuracy(graded, |_| true);
    let (train, _, _) = accuracy(graded, |g| g.split == "train");
    let (held, _, _) = accuracy(graded, |g| g.split == "held_out");
    assert!(
        (low..=high).contains(&all),
        "{name}: accuracy {all:.1}% outside {low}–{high}%\n{report}"
    );
    assert!(
        (train - held).abs() <= 15.0,
        "{name}: held_out {held:.1}% vs train {train:.1}%\n{report}"
    );
}

#[test]
fn the_poor_fixture_scores_like_genie_on_poor_metadata_and_the_curated_one_above_90() {
    let poor = grade(&mut workspace(), POOR);
    let curated = grade(&mut Workspace::curated(), CURATED);
    check("poor fixture", &poor, 30.0, 55.0);
    check("curated fixture", &curated, 90.0, 100.0);
}

#[test]
fn every_expected_query_returns_a_meaningful_result() {
    let mut workspace = workspace();
    for b in benchmarks() {
        let sql = resolve(&b.expected_sql);
        let result = match workspace.engine.execute(&sql, &[]) {
            Ok(result) => result,
            Err(error) => panic!("{}: {error}\n{sql}", b.id),
        };
        let meaningful = result.rows.iter().any(|row| {
            row.iter()
                .flatten()
                .any(|v| v.parse::<f64>().map_or(!v.is_empty(), |n| n != 0.0))
        });
        assert!(meaningful, "{}: empty or all-zero result {result:?}", b.id);
    }
}

#[test]
fn both_fixtures_share_one_benchmark_file() {
    assert_eq!(BENCHMARKS, CURATED_BENCHMARKS);
    let all = benchmarks();
    let held = all
        .iter()
        .filter(|b| b.split == Some(Split::HeldOut))
        .count();
    assert!(
        all.iter().all(|b| b.split.is_some()),
        "every question has a split"
    );
    assert!((40..=50).contains(&all.len()), "{} benchmarks", all.len());
    assert!((8..=14).contains(&held), "{held} held-out questions");
}

#[test]
fn the_benchmark_file_loads_without_a_single_warning() {
    match benchmarks::load("golden-queries.yaml", BENCHMARKS) {
        Ok((_, warnings)) => assert!(warnings.is_empty(), "{warnings:#?}"),
        Err(errors) => panic!("golden-queries.yaml is invalid: {errors:#?}"),
    }
}

#[test]
fn both_fixture_spaces_are_valid() {
    for (file, text) in [("poor", POOR), ("curated", CURATED)] {
        let errors: Vec<String> = validate(file, text).iter().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}
