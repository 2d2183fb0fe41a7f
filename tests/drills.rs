//! Fault drills: the real binary runs `evaluate` and `optimize` over the poor Wanderbricks
//! fixture against the in-process simulator twice — once fault-free, once with 20% of API
//! requests refused with 429, 10% with 500/503, 5% of Genie messages ending FAILED
//! (`RETRYABLE_PROCESSING_EXCEPTION`) and 5% of SQL statements failing
//! `TEMPORARILY_UNAVAILABLE` — and the faulted run must complete with the same verdicts, the
//! same commits and report, and Genie asked nothing twice.
//!
//! **Asked twice**, precisely: Genie *answers* a question when the simulator's answerer runs
//! for it (the simulator's answer log, `SimHandle::asked_questions`). A start refused with 429
//! or 5xx never reaches Genie, and a message that ends FAILED with a retryable error carries
//! no answer, so re-asking after either is not a second answer; a query the warehouse failed
//! transiently is run again through execute-query, which does not ask Genie. A question is
//! asked twice when a run's answer log holds more answers for it than the fault-free run of
//! the same work (evaluate: exactly one answer per question; optimize: the same multiset of
//! questions as the fault-free run, which answers each question once per measured variant).
//!
//! The crash-resume drill (`kill -9` at 20 seeded points) is in the same file: see
//! `an_optimize_run_killed_at_twenty_points_resumes_to_the_same_commits_and_report`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use genie_gitops::bench::rng::SplitMix64;
use genie_gitops::eval::results::{self, RunResults};
use genie_gitops::git::repo::GitRepo;
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::server::faults::Faults;
use genie_gitops::sim::server::state::FaultCounts;
use genie_gitops::sim::server::{Settings, SimHandle, spawn};
use genie_gitops::sim::workspace::SimWorkspace;
use secrecy::ExposeSecret;
use serde_json::Value;
use support::cli::{block_on, show};
use support::client::connect;
use support::repo::optimize_fixture_repo;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const BRANCH: &str = "genie-gitops/wanderbricks";

/// The drill's faults (issue 8): 20% 429, 10% 5xx, 5% FAILED messages, 5% failed statements.
fn drill_faults() -> Faults {
    Faults {
        rate_limited_rate: 0.20,
        server_error_rate: 0.10,
        failed_message_rate: 0.05,
        failed_statement_rate: 0.05,
        // The client honours Retry-After either way; 0 keeps the drill inside its CI budget.
        rate_limited_retry_after_secs: 0,
        ..Faults::default()
    }
}

async fn simulator(faults: Faults) -> SimHandle {
    let workspace =
        SimWorkspace::load(Path::new(FIXTURE), Some("dev"), 42, default_as_of()).unwrap();
    let settings = Settings {
        faults,
        ..Settings::default()
    };
    spawn(workspace.into_sim_config(settings, 0)).await.unwrap()
}

/// The binary, pointed at the simulator, with a throw-away HOME.
fn command(sim: &SimHandle, home: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("genie-gitops"));
    cmd.args(args)
        .env("DATABRICKS_HOST", sim.base_url())
        .env("DATABRICKS_TOKEN", sim.token().expose_secret())
        .env("HOME", home)
        .env_remove("DATABRICKS_CONFIG_PROFILE")
        .env_remove("DATABRICKS_WAREHOUSE_ID")
        .env_remove("GENIE_GITOPS_LOG");
    cmd
}

/// Runs the binary to the end (off the async threads, so the simulator keeps serving).
async fn run(sim: &SimHandle, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::from_std(command(sim, home.path(), args));
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(home);
    output
}

/// How many answers the simulator gave for each question text.
fn answers_per_question(sim: &SimHandle) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for asked in sim.asked_questions() {
        *counts.entry(asked.question).or_insert(0) += 1;
    }
    counts
}

// --- the client's transient retries, one fault at a time ------------------------------------

const QUESTION: &str = "How many bookings are there?";

/// Asks [`QUESTION`] once on a simulator with `faults`, which must end it as a failure.
async fn failed_ask(faults: Faults) -> SimHandle {
    let sim = simulator(faults).await;
    let space = sim.spaces().get("wanderbricks").cloned().unwrap();
    let answer = connect(&sim)
        .genie
        .ask(&space, QUESTION, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        matches!(
            answer.outcome,
            genie_gitops::databricks::genie::Outcome::Failed { .. }
        ),
        "{answer:?}"
    );
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_failed_with_a_retryable_error_is_asked_again_at_most_three_times() {
    let sim = failed_ask(Faults {
        failed_message_rate: 1.0,
        ..Faults::default()
    })
    .await;
    assert_eq!(
        sim.fault_counts().failed_messages,
        4,
        "one ask and three re-asks"
    );
    assert!(sim.asked_questions().is_empty(), "Genie never answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genie_query_the_warehouse_failed_transiently_is_run_again_without_asking_genie() {
    let sim = failed_ask(Faults {
        failed_statement_rate: 1.0,
        ..Faults::default()
    })
    .await;
    assert_eq!(
        sim.fault_counts().failed_statements,
        4,
        "Genie's run and three re-runs through execute-query"
    );
    assert_eq!(sim.asked_questions().len(), 1, "Genie answered once");
}

// --- evaluate ------------------------------------------------------------------------------

/// One finished evaluate run.
struct Evaluated {
    exit: Option<i32>,
    results: RunResults,
    answers: BTreeMap<String, usize>,
    faults: FaultCounts,
    seconds: f64,
}

async fn evaluate(faults: Faults) -> Evaluated {
    let sim = simulator(faults).await;
    let dir = optimize_fixture_repo();
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (repo_arg, out_arg) = (
        dir.path().display().to_string(),
        out.path().display().to_string(),
    );
    let output = run(&sim, &["evaluate", "--repo", &repo_arg, "--out", &out_arg]).await;
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        matches!(output.status.code(), Some(0 | 2)),
        "evaluate did not complete: {}",
        show(&output)
    );
    let text = std::fs::read_to_string(out.path().join("results.json")).unwrap();
    let evaluated = Evaluated {
        exit: output.status.code(),
        results: results::parse(&text).unwrap(),
        answers: answers_per_question(&sim),
        faults: sim.fault_counts(),
        seconds,
    };
    sim.shutdown().await;
    evaluated
}

static EVALUATE_CLEAN: LazyLock<Evaluated> =
    LazyLock::new(|| block_on(evaluate(Faults::default())));
static EVALUATE_FAULTED: LazyLock<Evaluated> = LazyLock::new(|| block_on(evaluate(drill_faults())));

/// Each question's verdict and the SQL Genie answered with.
fn verdicts(results: &RunResults) -> BTreeMap<String, (String, Option<String>)> {
    results
        .questions
        .iter()
        .map(|q| {
            let outcome = serde_json::to_string(&q.outcome).unwrap();
            let sql = q.attempts.first().and_then(|a| a.sql.clone());
            (q.id.clone(), (outcome, sql))
        })
        .collect()
}

#[test]
fn evaluate_under_faults_completes_with_the_fault_free_verdicts() {
    let (clean, faulted) = (&*EVALUATE_CLEAN, &*EVALUATE_FAULTED);
    println!(
        "evaluate drill: {} questions; fault-free {:.1} s, faulted {:.1} s; injected {:?}",
        faulted.results.questions.len(),
        clean.seconds,
        faulted.seconds,
        faulted.faults
    );
    assert_eq!(clean.faults, FaultCounts::default());
    let injected = faulted.faults;
    assert!(injected.rate_limited > 0, "{injected:?}");
    assert!(injected.server_errors > 0, "{injected:?}");
    assert!(injected.failed_messages > 0, "{injected:?}");
    assert!(injected.failed_statements > 0, "{injected:?}");
    assert_eq!(faulted.exit, clean.exit);
    assert_eq!(faulted.results.questions.len(), 48);
    assert_eq!(verdicts(&faulted.results), verdicts(&clean.results));
}

#[test]
fn evaluate_under_faults_asks_genie_each_question_once() {
    let (clean, faulted) = (&*EVALUATE_CLEAN, &*EVALUATE_FAULTED);
    let twice: Vec<(&String, &usize)> = faulted.answers.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "asked twice: {twice:?}");
    assert_eq!(faulted.answers, clean.answers);
}

// --- optimize ------------------------------------------------------------------------------

/// What a finished optimize run left behind.
struct Optimized {
    report: Value,
    markdown: String,
    /// The tree id of each commit on the bot's branch, oldest first.
    trees: Vec<git2::Oid>,
    /// Answers stored in the checkpoint, per variant.
    stored_answers: usize,
    answers: BTreeMap<String, usize>,
    faults: FaultCounts,
    seconds: f64,
}

impl Optimized {
    /// Genie answers the simulator gave, over every invocation.
    fn answered(&self) -> usize {
        self.answers.values().sum()
    }
}

fn finished_optimize(repo: &Path, sim: &SimHandle, seconds: f64) -> Optimized {
    let out = repo.join(".genie-gitops");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let stored_answers = checkpointed_answers(repo);
    Optimized {
        report: serde_json::from_str(&read("optimize-report.json")).unwrap(),
        markdown: read("optimize-report.md"),
        trees: branch_trees(repo),
        stored_answers,
        answers: answers_per_question(sim),
        faults: sim.fault_counts(),
        seconds,
    }
}

/// The tree ids of the bot branch's commits, oldest first.
fn branch_trees(repo: &Path) -> Vec<git2::Oid> {
    let git = GitRepo::open(repo).unwrap();
    let head = git.resolve("HEAD").unwrap();
    let tip = git.branch_tip(BRANCH).unwrap().expect("no bot branch");
    let mut trees: Vec<git2::Oid> = git
        .commits_between(head, tip)
        .unwrap()
        .iter()
        .map(|c| git.tree_id(git2::Oid::from_str(&c.sha).unwrap()).unwrap())
        .collect();
    trees.reverse();
    trees
}

async fn optimize(faults: Faults) -> Optimized {
    let sim = simulator(faults).await;
    let dir = optimize_fixture_repo();
    let repo_arg = dir.path().display().to_string();
    let started = Instant::now();
    let output = run(&sim, &["optimize", "--repo", &repo_arg]).await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let optimized = finished_optimize(dir.path(), &sim, seconds);
    sim.shutdown().await;
    optimized
}

static OPTIMIZE_CLEAN: LazyLock<Optimized> =
    LazyLock::new(|| block_on(optimize(Faults::default())));
static OPTIMIZE_FAULTED: LazyLock<Optimized> = LazyLock::new(|| block_on(optimize(drill_faults())));

#[test]
fn optimize_under_faults_completes_with_the_fault_free_commits_and_report() {
    let (clean, faulted) = (&*OPTIMIZE_CLEAN, &*OPTIMIZE_FAULTED);
    println!(
        "optimize drill: {} Genie answers; fault-free {:.1} s, faulted {:.1} s; injected {:?}",
        faulted.answered(),
        clean.seconds,
        faulted.seconds,
        faulted.faults
    );
    let injected = faulted.faults;
    assert!(injected.rate_limited > 0, "{injected:?}");
    assert!(injected.server_errors > 0, "{injected:?}");
    assert!(injected.failed_messages > 0, "{injected:?}");
    assert!(injected.failed_statements > 0, "{injected:?}");
    assert!(!clean.trees.is_empty());
    assert_eq!(faulted.trees, clean.trees);
    assert_eq!(faulted.report, clean.report);
    assert_eq!(faulted.markdown, clean.markdown);
}

#[test]
fn optimize_under_faults_asks_genie_nothing_twice() {
    let (clean, faulted) = (&*OPTIMIZE_CLEAN, &*OPTIMIZE_FAULTED);
    assert_eq!(faulted.answers, clean.answers);
    assert_eq!(
        clean.report["questions_asked"].as_u64(),
        Some(clean.answered() as u64)
    );
}

// --- crash and resume ----------------------------------------------------------------------

/// How many kill points the crash-resume drill visits.
const KILLS: usize = 20;
/// Seeds the kill points.
const KILL_SEED: u64 = 8;

/// `count` distinct points in `1..total`, ascending, from a seeded splitmix64 stream.
fn kill_points(seed: u64, count: usize, total: usize) -> Vec<usize> {
    let mut rng = SplitMix64(seed);
    let mut points = std::collections::BTreeSet::new();
    let span = total.saturating_sub(1).max(1) as u64;
    while points.len() < count.min(total.saturating_sub(1)) {
        points.insert(1 + (rng.next_u64() % span) as usize);
    }
    points.into_iter().collect()
}

/// Answers stored in the repository's checkpoint, graded or arrived and not graded yet (0
/// without a checkpoint).
fn checkpointed_answers(repo: &Path) -> usize {
    let Ok(text) = std::fs::read_to_string(repo.join(".genie-gitops/checkpoint.json")) else {
        return 0;
    };
    let checkpoint: Value = serde_json::from_str(&text).unwrap();
    let count = |key: &str| {
        checkpoint[key].as_object().map_or(0, |variants| {
            variants
                .values()
                .map(|v| v.as_object().map_or(0, serde_json::Map::len))
                .sum()
        })
    };
    count("answers") + count("arrived")
}

/// Starts `optimize` (with `--resume` when a checkpoint exists) and `kill -9`s it once the
/// run has received `point` Genie answers in all: the checkpoint's answers plus the answers
/// the simulator gave this process (at least one, so every run makes progress). Returns
/// whether the process was killed (it may finish first).
fn optimize_until(sim: &SimHandle, repo: &Path, point: usize) -> bool {
    let home = tempfile::tempdir().unwrap();
    let repo_arg = repo.display().to_string();
    let mut args = vec!["optimize", "--repo", &repo_arg];
    if repo.join(".genie-gitops/checkpoint.json").exists() {
        args.push("--resume");
    }
    let target =
        sim.asked_questions().len() + point.saturating_sub(checkpointed_answers(repo)).max(1);
    let mut child = command(sim, home.path(), &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(
                status.code(),
                Some(0),
                "optimize failed before its kill point"
            );
            return false;
        }
        if sim.asked_questions().len() >= target {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills `optimize` at each point in turn (resuming each time), then resumes it to the end.
/// Returns the finished run and how many kills landed.
fn killed_and_resumed(points: &[usize]) -> (Optimized, usize) {
    block_on(async {
        let sim = simulator(Faults::default()).await;
        let dir = optimize_fixture_repo();
        let started = Instant::now();
        let mut kills = 0;
        for &point in points {
            let (sim_ref, repo_path) = (&sim, dir.path().to_path_buf());
            let killed = tokio::task::block_in_place(|| optimize_until(sim_ref, &repo_path, point));
            kills += usize::from(killed);
        }
        let repo_arg = dir.path().display().to_string();
        let last = run(&sim, &["optimize", "--repo", &repo_arg, "--resume"]).await;
        assert_eq!(last.status.code(), Some(0), "{}", show(&last));
        let optimized = finished_optimize(dir.path(), &sim, started.elapsed().as_secs_f64());
        sim.shutdown().await;
        (optimized, kills)
    })
}

/// Genie questions in flight at once (`genie.concurrency` in [`repo`]'s settings).
const CONCURRENCY: usize = 8;

/// How many Genie answers one kill can lose: every answer is checkpointed as it arrives and
/// its question's concurrency slot is freed only then, so a kill loses at most the questions
/// Genie is still answering.
const LOST_PER_KILL: usize = CONCURRENCY;

/// How a resumed run differs from the uninterrupted one; empty when it ends exactly like it:
/// the same commit trees, report (markdown and JSON) and stored answers, every question the
/// clean run asked asked, and no more extra Genie answers than the kills can lose.
fn differences(resumed: &Optimized, kills: usize) -> Vec<String> {
    let clean = &*OPTIMIZE_CLEAN;
    let mut found = Vec::new();
    if resumed.trees != clean.trees {
        found.push(format!(
            "commit trees {:?} ≠ {:?}",
            resumed.trees, clean.trees
        ));
    }
    if let Some(key) = first_different_key(&resumed.report, &clean.report) {
        found.push(format!("report field `{key}` differs"));
    }
    if resumed.markdown != clean.markdown {
        found.push("the markdown report differs".into());
    }
    if resumed.stored_answers != clean.stored_answers {
        found.push(format!(
            "{} stored answers, {} uninterrupted",
            resumed.stored_answers, clean.stored_answers
        ));
    }
    for (question, n) in &clean.answers {
        if resumed.answers.get(question) < Some(n) {
            found.push(format!("{question} was asked fewer times"));
        }
    }
    let reasked = resumed.answered().saturating_sub(clean.answered());
    if reasked > kills * LOST_PER_KILL {
        found.push(format!(
            "{reasked} answers asked again: more than {LOST_PER_KILL} at each of {kills} kills"
        ));
    }
    found
}

/// The first top-level key whose value differs between two JSON objects.
fn first_different_key(a: &Value, b: &Value) -> Option<String> {
    if a == b {
        return None;
    }
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Some("(the whole document)".into());
    };
    a.keys()
        .chain(b.keys())
        .find(|key| a.get(*key) != b.get(*key))
        .cloned()
}

/// The crash-resume drill: one optimize run `kill -9`ed at 20 seeded points and resumed after
/// each ends with the uninterrupted run's commits, report and stored answers, having lost at
/// most [`LOST_PER_KILL`] answers at each kill.
#[test]
fn an_optimize_run_killed_at_twenty_points_resumes_to_the_same_commits_and_report() {
    let points = kill_points(KILL_SEED, KILLS, OPTIMIZE_CLEAN.answered());
    let (resumed, kills) = killed_and_resumed(&points);
    println!(
        "crash-resume drill (chained): {kills} kill -9 at answers {points:?}; {:.1} s in all; \
         {} answers lost at a kill and asked again",
        resumed.seconds,
        resumed.answered() - OPTIMIZE_CLEAN.answered()
    );
    assert_eq!(kills, KILLS, "every kill point was reached");
    let found = differences(&resumed, kills);
    assert!(found.is_empty(), "{found:?}");
}

/// The same 20 points as independent runs: each starts fresh, is killed once and resumed.
/// About 20 optimize runs (15–20 minutes in a debug build), so it is not part of `cargo test`:
/// `cargo test --test drills -- --ignored --nocapture`.
#[test]
#[ignore = "20 independent optimize runs: run with --ignored (docs/reliability.md)"]
fn twenty_independent_runs_each_killed_once_resume_to_the_same_commits_and_report() {
    let points = kill_points(KILL_SEED, KILLS, OPTIMIZE_CLEAN.answered());
    let mut failed = Vec::new();
    for point in points {
        let (resumed, kills) = killed_and_resumed(&[point]);
        let mut found = differences(&resumed, kills);
        if kills != 1 {
            found.push("the kill point was not reached".into());
        }
        println!(
            "crash-resume drill (independent): kill -9 at answer {point}; {:.1} s; {} answers lost and asked again; {}",
            resumed.seconds,
            resumed.answered().saturating_sub(OPTIMIZE_CLEAN.answered()),
            if found.is_empty() {
                "same commits and report".to_owned()
            } else {
                found.join("; ")
            }
        );
        if !found.is_empty() {
            failed.push((point, found));
        }
    }
    assert!(failed.is_empty(), "{failed:?}");
}
