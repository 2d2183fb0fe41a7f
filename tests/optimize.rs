//! `genie-gitops optimize` end to end: the real binary against the in-process simulator over
//! the poor Wanderbricks fixture, copied into a fresh git repository. One uninterrupted run
//! and one run stopped by `--max-questions` then `--resume`d are made once and shared by the
//! tests: train ≥ 85%, held-out improves, levers 1–5 before 6, one commit per accepted lever
//! whose diff is exactly the accepted patches, the same commits after a resume with no
//! question asked twice (the simulator's question log), the report snapshot, and a dry run
//! that makes no request and writes nothing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use assert_cmd::Command;
use genie_gitops::git::fs::load_dir;
use genie_gitops::git::repo::GitRepo;
use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::optimize::checkpoint::Checkpoint;
use genie_gitops::runner::optimize::step_snapshots;
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::server::{Settings, SimHandle, spawn};
use genie_gitops::sim::workspace::SimWorkspace;
use secrecy::ExposeSecret;
use serde_json::Value;
use support::cli::{block_on, show};
use support::repo::optimize_fixture_repo;
use wiremock::MockServer;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const BRANCH: &str = "genie-gitops/wanderbricks";

async fn simulator() -> SimHandle {
    let workspace =
        SimWorkspace::load(Path::new(FIXTURE), Some("dev"), 42, default_as_of()).unwrap();
    spawn(workspace.into_sim_config(Settings::default(), 0))
        .await
        .unwrap()
}

/// Runs the binary with the workspace at `host` (off the async threads, so the in-process
/// simulator keeps serving).
async fn optimize(host: &str, token: &str, repo: &Path, extra: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("genie-gitops").unwrap();
    cmd.arg("optimize")
        .arg("--repo")
        .arg(repo)
        .args(extra)
        .env("DATABRICKS_HOST", host)
        .env("DATABRICKS_TOKEN", token)
        .env("HOME", home.path())
        .env_remove("DATABRICKS_CONFIG_PROFILE")
        .env_remove("DATABRICKS_WAREHOUSE_ID");
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(home);
    output
}

/// What a finished run left behind.
struct Run {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    base: RepoSnapshot,
    report: Value,
    markdown: String,
    checkpoint: Checkpoint,
    /// Questions the simulator was asked, over every invocation.
    asked: usize,
    /// Temporary spaces left in the simulator after the run (only the live space should stay).
    spaces_left: usize,
    /// The dev target's `information_schema` before and after the run.
    catalog_before: Vec<Value>,
    catalog_after: Vec<Value>,
    stderr: String,
}

/// What a run leaves besides its directory.
struct Observed {
    asked: usize,
    spaces_left: usize,
    catalog_before: Vec<Value>,
    catalog_after: Vec<Value>,
    stderr: String,
}

fn finished(dir: tempfile::TempDir, base: RepoSnapshot, seen: Observed) -> Run {
    let out = dir.path().join(".genie-gitops");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    Run {
        repo: dir.path().to_path_buf(),
        base,
        report: serde_json::from_str(&read("optimize-report.json")).unwrap(),
        markdown: read("optimize-report.md"),
        checkpoint: serde_json::from_str(&read("checkpoint.json")).unwrap(),
        asked: seen.asked,
        spaces_left: seen.spaces_left,
        catalog_before: seen.catalog_before,
        catalog_after: seen.catalog_after,
        stderr: seen.stderr,
        _dir: dir,
    }
}

async fn space_count(sim: &SimHandle) -> usize {
    genie_gitops::databricks::http::install_crypto_provider();
    let body: Value = reqwest::Client::new()
        .get(format!("{}/api/2.0/genie/spaces", sim.base_url()))
        .bearer_auth(sim.token().expose_secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["spaces"].as_array().map_or(0, Vec::len)
}

/// The simulator's Unity Catalog as `information_schema` shows it: every row of the views
/// that lever 1–3 DDL edits (comments, keys, tags, functions), sorted.
async fn information_schema(sim: &SimHandle) -> Vec<Value> {
    const VIEWS: [&str; 8] = [
        "tables",
        "columns",
        "routines",
        "table_constraints",
        "key_column_usage",
        "constraint_column_usage",
        "table_tags",
        "column_tags",
    ];
    genie_gitops::databricks::http::install_crypto_provider();
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for view in VIEWS {
        let body: Value = client
            .post(format!("{}/api/2.0/sql/statements", sim.base_url()))
            .bearer_auth(sim.token().expose_secret())
            .json(&serde_json::json!({
                "statement": format!("SELECT * FROM system.information_schema.{view}"),
                "warehouse_id": sim.warehouse_id(),
                "wait_timeout": "30s",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["status"]["state"], "SUCCEEDED", "{view}: {body}");
        assert!(
            body["result"]["next_chunk_index"].is_null(),
            "{view}: chunked"
        );
        let mut rows = body["result"]["data_array"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        rows.sort_by_key(Value::to_string);
        out.push(serde_json::json!({ "view": view, "rows": rows }));
    }
    out
}

static UNINTERRUPTED: LazyLock<Run> = LazyLock::new(|| {
    block_on(async {
        let sim = simulator().await;
        let dir = optimize_fixture_repo();
        let base = load_dir(dir.path()).unwrap();
        let catalog_before = information_schema(&sim).await;
        let output = optimize(sim.base_url(), sim.token().expose_secret(), dir.path(), &[]).await;
        assert_eq!(output.status.code(), Some(0), "{}", show(&output));
        let seen = Observed {
            asked: sim.asked_questions().len(),
            spaces_left: space_count(&sim).await,
            catalog_before,
            catalog_after: information_schema(&sim).await,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        sim.shutdown().await;
        finished(dir, base, seen)
    })
});

static RESUMED: LazyLock<Run> = LazyLock::new(|| {
    block_on(async {
        let sim = simulator().await;
        let dir = optimize_fixture_repo();
        let base = load_dir(dir.path()).unwrap();
        let (host, token) = (
            sim.base_url().to_string(),
            sim.token().expose_secret().to_string(),
        );
        let killed = optimize(&host, &token, dir.path(), &["--max-questions", "70"]).await;
        assert_eq!(killed.status.code(), Some(0), "{}", show(&killed));
        assert!(
            String::from_utf8_lossy(&killed.stderr).contains("paused after 70"),
            "{}",
            show(&killed)
        );
        assert_eq!(sim.asked_questions().len(), 70);
        let git = GitRepo::open(dir.path()).unwrap();
        assert!(
            git.branch_tip(BRANCH).unwrap().is_none(),
            "a paused run committed"
        );
        let resumed = optimize(&host, &token, dir.path(), &["--resume"]).await;
        assert_eq!(resumed.status.code(), Some(0), "{}", show(&resumed));
        let seen = Observed {
            asked: sim.asked_questions().len(),
            spaces_left: space_count(&sim).await,
            catalog_before: Vec::new(),
            catalog_after: Vec::new(),
            stderr: String::from_utf8_lossy(&resumed.stderr).into_owned(),
        };
        sim.shutdown().await;
        finished(dir, base, seen)
    })
});

/// The branch's commits, oldest first, with each one's message.
fn branch_commits(repo: &Path) -> Vec<(git2::Oid, String)> {
    let git = GitRepo::open(repo).unwrap();
    let head = git.resolve("HEAD").unwrap();
    let tip = git.branch_tip(BRANCH).unwrap().expect("no bot branch");
    let mut commits: Vec<_> = git
        .commits_between(head, tip)
        .unwrap()
        .into_iter()
        .map(|c| {
            let oid = git2::Oid::from_str(&c.sha).unwrap();
            (oid, git.message(oid).unwrap())
        })
        .collect();
    commits.reverse();
    commits
}

fn rate(v: &Value) -> f64 {
    v["rate"].as_f64().unwrap()
}

#[test]
fn optimize_takes_the_poor_fixture_past_85_percent_on_train_and_held_out_improves() {
    let run = &*UNINTERRUPTED;
    let report = &run.report;
    println!(
        "train {} → {}; held_out {} → {}; Genie questions {} (seed schedule {})",
        report["train"]["before"]["correct"],
        report["train"]["after"]["correct"],
        report["held_out"]["before"]["correct"],
        report["held_out"]["after"]["correct"],
        report["questions_asked"],
        report["seed_schedule"]
    );
    assert!(
        rate(&report["train"]["before"]) < 0.5,
        "the fixture is not poor"
    );
    assert!(rate(&report["train"]["after"]) >= 0.85, "{}", run.markdown);
    assert!(
        report["held_out"]["after"]["correct"].as_u64()
            > report["held_out"]["before"]["correct"].as_u64(),
        "held-out did not improve"
    );
    assert_eq!(report["target_met"], Value::Bool(true));
}

#[test]
fn levers_one_to_five_are_tried_before_six() {
    let attempts = &UNINTERRUPTED.checkpoint.attempts;
    let first_round: Vec<u8> = attempts.iter().filter(|a| a.0 == 0).map(|a| a.1).collect();
    assert_eq!(first_round, vec![1, 2, 3, 4, 5, 6]);
    for pair in attempts.windows(2) {
        assert!(pair[1] > pair[0], "out of order: {attempts:?}");
    }
}

#[test]
fn the_branch_holds_one_commit_per_accepted_lever_whose_diff_is_exactly_its_patches() {
    let run = &*UNINTERRUPTED;
    let accepted = &run.checkpoint.accepted;
    assert!(accepted.len() >= 2, "{accepted:?}");
    let commits = branch_commits(&run.repo);
    assert_eq!(commits.len(), accepted.len());
    let expected = step_snapshots(&run.base, accepted).unwrap();
    let git = GitRepo::open(&run.repo).unwrap();
    for (((oid, message), (before, after)), step) in commits.iter().zip(&expected).zip(accepted) {
        let changed = before.changed_paths(after);
        let mut files = git.changed_files(*oid).unwrap();
        files.sort();
        assert_eq!(files, changed, "lever {}", step.lever);
        let tree = git.snapshot_at(&oid.to_string()).unwrap();
        for path in &changed {
            assert_eq!(
                tree.get(path),
                after.get(path),
                "{path} at lever {}",
                step.lever
            );
        }
        assert!(
            message.starts_with(&format!("genie-gitops: lever {} — ", step.lever)),
            "{message}"
        );
        assert!(message.contains(&format!("Genie-Gitops-Lever: {}\n", step.lever)));
        let fixed: Vec<&str> = step.fixed.iter().map(String::as_str).collect();
        assert!(message.contains(&format!("Genie-Gitops-Questions: {}\n", fixed.join(","))));
        assert!(message.contains("Genie-Gitops-Delta: +"), "{message}");
    }
    // The user's checkout is untouched.
    assert_eq!(load_dir(&run.repo).unwrap(), run.base);
}

#[test]
fn every_temporary_space_is_trashed_and_the_report_names_the_dev_target() {
    let run = &*UNINTERRUPTED;
    assert_eq!(run.spaces_left, 1, "only the live space stays");
    assert!(run.markdown.contains("measured on dev target `dev`"));
}

#[test]
fn after_rejected_unity_catalog_candidates_the_dev_target_is_exactly_as_before() {
    let run = &*UNINTERRUPTED;
    let uc_rejections = run
        .checkpoint
        .rejected
        .iter()
        .filter(|r| (1..=3).contains(&r.lever))
        .count();
    assert!(uc_rejections > 0, "no lever 1–3 candidate was rejected");
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
    let non_empty = |view: &str| {
        run.catalog_before
            .iter()
            .any(|v| v["view"] == view && v["rows"].as_array().is_some_and(|r| !r.is_empty()))
    };
    assert!(non_empty("columns") && non_empty("routines"));
    assert_eq!(run.catalog_after, run.catalog_before);
}

#[test]
fn a_killed_run_resumes_to_the_same_commits_without_asking_a_question_twice() {
    let (whole, resumed) = (&*UNINTERRUPTED, &*RESUMED);
    assert_eq!(resumed.checkpoint.accepted, whole.checkpoint.accepted);
    assert_eq!(resumed.asked, whole.asked, "a question was asked twice");
    assert_eq!(
        resumed.report["questions_asked"].as_u64(),
        Some(whole.asked as u64)
    );
    let trees = |run: &Run| -> Vec<git2::Oid> {
        let git = GitRepo::open(&run.repo).unwrap();
        branch_commits(&run.repo)
            .iter()
            .map(|(oid, _)| git.tree_id(*oid).unwrap())
            .collect()
    };
    assert_eq!(trees(resumed), trees(whole));
    assert_eq!(resumed.spaces_left, 1);
}

#[test]
fn the_genie_questions_spent_are_fewer_than_the_seed_schedule() {
    let run = &*UNINTERRUPTED;
    let asked = run.report["questions_asked"].as_u64().unwrap();
    let seed = run.report["seed_schedule"].as_u64().unwrap();
    println!("Genie questions: {asked} asked; the seed system's schedule would ask {seed}");
    assert_eq!(asked, run.asked as u64);
    assert!(asked < seed);
}

#[test]
fn the_lever_impact_report_is_stable() {
    insta::assert_snapshot!(UNINTERRUPTED.markdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_the_plan_and_makes_no_request_and_no_write() {
    let server = MockServer::start().await;
    let dir = optimize_fixture_repo();
    let output = optimize(&server.uri(), "t", dir.path(), &["--dry-run"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stdout = stdout.replace(&dir.path().display().to_string(), "<repo>");
    insta::assert_snapshot!(stdout);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert!(!dir.path().join(".genie-gitops").exists());
    let git = GitRepo::open(dir.path()).unwrap();
    assert!(git.branch_tip(BRANCH).unwrap().is_none());
}
