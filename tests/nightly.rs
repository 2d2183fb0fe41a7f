//! The nightly flow end to end, in process: the Wanderbricks fixture in a git checkout whose
//! `origin` is a local bare repository, the built-in simulator as the workspace, and
//! `LocalGitHub` (the stateful stand-in) as GitHub.
//!
//! Three nights are run once and shared by the tests (each night optimizes, which is the
//! expensive part): a clean night opens the pull request; before the second night the live
//! space is edited by hand and a baseline is recorded that the live space no longer meets, so
//! the second night opens one tracking issue but pushes nothing new; before the third night
//! the live space and the baseline agree again and a person commits on the bot branch, so the
//! third night closes the issue and pauses. A dry run gets a world of its own.

mod support;
use support::repo::{copy_dir, git};

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use genie_gitops::databricks::auth::MapEnvironment;
use genie_gitops::git::fs::load_dir;
use genie_gitops::git::notes;
use genie_gitops::git::remote::{PushResult, Remote};
use genie_gitops::git::repo::Author;
use genie_gitops::github::env::ActionEnv;
use genie_gitops::github::types::WriteMode;
use genie_gitops::runner::action::ActionContext;
use genie_gitops::runner::nightly::{
    self, BaselineCheck, NightlyReport, OptimizeStep, Options, ProposalStep, Published, Request,
    SpaceNight,
};
use genie_gitops::runner::simulator;
use genie_gitops::sim::github::{FakeComment, FakeIssue, LocalGitHub, Pull, Request as Logged};
use genie_gitops::sim::server::SimHandle;
use secrecy::ExposeSecret;
use serde_json::Value;
use support::cli::block_on;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const SPACE: &str = "wanderbricks";
const BRANCH: &str = "genie-gitops/wanderbricks";
const BOT: &str = "genie-gitops[bot]";
const BOT_TOKEN: &str = "bot-token";
/// Enough Genie questions for the optimizer to accept a few levers, few enough to stay quick.
const BUDGET: usize = 100;

/// A checkout with a bare `origin`, the simulator loaded with it, and the GitHub stand-in.
struct World {
    dir: tempfile::TempDir,
    work: PathBuf,
    bare: PathBuf,
    sim: SimHandle,
    databricks: MapEnvironment,
    github: LocalGitHub,
}

async fn world() -> World {
    genie_gitops::databricks::http::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("origin.git");
    let work = dir.path().join("work");
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "main", "origin.git"],
    );
    copy_dir(Path::new(FIXTURE), &work);
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "the space as it is"]);
    git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(&work, &["push", "-q", "origin", "main"]);

    let (project, _) = genie_gitops::model::project::discover(&load_dir(&work).unwrap()).unwrap();
    let (sim, databricks) = simulator::start(&work, None, &project).await.unwrap();
    let github = LocalGitHub::start("acme", "genie", BOT_TOKEN, BOT)
        .await
        .unwrap();
    github.use_repository(bare.clone());
    github.add_user("ann-token", "ann");
    World {
        dir,
        work,
        bare,
        sim,
        databricks,
        github,
    }
}

/// The step's output file and job summary of night `n`.
fn step_files(w: &World, n: usize) -> (PathBuf, PathBuf) {
    (
        w.dir.path().join(format!("output-{n}")),
        w.dir.path().join(format!("summary-{n}.md")),
    )
}

/// Night `n` as the bot, in `mode`.
async fn night(w: &World, n: usize, mode: WriteMode) -> NightlyReport {
    let (output, summary) = step_files(w, n);
    let vars = [
        ("GITHUB_API_URL", w.github.url.clone()),
        ("GITHUB_REPOSITORY", "acme/genie".to_owned()),
        ("GENIE_GITOPS_GITHUB_TOKEN", BOT_TOKEN.to_owned()),
        ("GITHUB_OUTPUT", output.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
    ];
    let env = ActionEnv::from_vars(vars.map(|(k, v)| (k.to_owned(), v)));
    let ctx = ActionContext::from_env(env, Some(BOT), mode).await.unwrap();
    let options = Options {
        max_questions: Some(BUDGET),
        simulator: true,
        ..Options::default()
    };
    nightly::run(&Request {
        repo_dir: &w.work,
        options: &options,
        databricks: &w.databricks,
        ctx: &ctx,
    })
    .await
    .unwrap()
}

fn remote_tip(w: &World, branch: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(&w.bare).unwrap();
    repo.refname_to_id(&format!("refs/heads/{branch}"))
        .ok()
        .map(|o| o.to_string())
}

fn remote_refs(w: &World) -> Vec<String> {
    let repo = git2::Repository::open_bare(&w.bare).unwrap();
    let mut refs: Vec<String> = repo
        .references()
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            format!("{} {:?}", r.name().unwrap_or_default(), r.target())
        })
        .collect();
    refs.sort();
    refs
}

/// The live space as the simulator serves it: its id and `serialized_space`.
async fn live_space(w: &World) -> (String, String) {
    let id = w.sim.spaces()[SPACE].clone();
    let body: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/2.0/genie/spaces/{id}?include_serialized_space=true",
            w.sim.base_url()
        ))
        .bearer_auth(w.sim.token().expose_secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (id, body["serialized_space"].as_str().unwrap().to_owned())
}

/// Someone edits the live space in the UI.
async fn set_live_space(w: &World, serialized: &str) {
    let id = w.sim.spaces()[SPACE].clone();
    let response = reqwest::Client::new()
        .patch(format!("{}/api/2.0/genie/spaces/{id}", w.sim.base_url()))
        .bearer_auth(w.sim.token().expose_secret())
        .json(&serde_json::json!({ "serialized_space": serialized }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

async fn space_count(w: &World) -> usize {
    let body: Value = reqwest::Client::new()
        .get(format!("{}/api/2.0/genie/spaces", w.sim.base_url()))
        .bearer_auth(w.sim.token().expose_secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["spaces"].as_array().map_or(0, Vec::len)
}

/// Records `results` as the verified baseline on the checkout's `HEAD` and pushes the note.
fn record_baseline(w: &World, results: Value) {
    let remote = Remote::anonymous(w.bare.to_str().unwrap());
    let git_dir = w.work.join(".git");
    let expected = notes::fetch(&remote, &git_dir).unwrap();
    let head = git2::Repository::open(&w.work)
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap();
    let deployer = Author {
        name: "deploy".into(),
        email: "deploy@example.com".into(),
    };
    notes::record(&git_dir, head, SPACE, results, &deployer).unwrap();
    let pushed = notes::push(&remote, &git_dir, expected).unwrap();
    assert_eq!(pushed, PushResult::Pushed);
}

/// `results` with question `id` passing.
fn passing(results: &Value, id: &str) -> Value {
    let mut results = results.clone();
    for q in results["questions"].as_array_mut().unwrap() {
        if q["id"] == id {
            q["outcome"] = Value::from("pass");
        }
    }
    results
}

/// A person clones the origin, commits on `branch` and pushes.
fn human_commit(w: &World, branch: &str) -> String {
    let clone = w.dir.path().join("ann");
    git(
        w.dir.path(),
        &["clone", "-q", "-b", branch, w.bare.to_str().unwrap(), "ann"],
    );
    std::fs::write(clone.join("NOTES.md"), "A hand-made note.\n").unwrap();
    git(&clone, &["add", "NOTES.md"]);
    git(&clone, &["commit", "-qm", "a note by hand"]);
    git(&clone, &["push", "-q", "origin", branch]);
    git(&clone, &["rev-parse", "HEAD"])
}

/// What the three shared nights left behind.
struct Nights {
    reports: Vec<NightlyReport>,
    /// The remote bot branch after each night.
    tips: Vec<Option<String>>,
    /// The person's commit pushed before the third night.
    human: String,
    /// Pull requests after the second and the third night.
    pulls_after_second: Vec<Pull>,
    pulls_after_third: Vec<Pull>,
    /// Comments on the pull request after the second and the third night.
    comments_after_second: Vec<FakeComment>,
    comments_after_third: Vec<FakeComment>,
    /// Issues after the second and the third night, and the comments on the first issue.
    issues_after_second: Vec<FakeIssue>,
    issues_after_third: Vec<FakeIssue>,
    issue_comments: Vec<FakeComment>,
    /// Every request GitHub saw, and the ones no route knew.
    requests: Vec<Logged>,
    unexpected: Vec<String>,
    /// The question the recorded baseline claims passed.
    flipped: String,
    /// Commit messages on the bot branch after the first night, oldest first.
    branch_log: Vec<String>,
    /// The first night's step outputs and job summary.
    first_step: (String, String),
}

static NIGHTS: LazyLock<Nights> = LazyLock::new(|| {
    block_on(async {
        let w = world().await;
        let first = night(&w, 1, WriteMode::Apply).await;
        let (output, summary) = step_files(&w, 1);
        let first_step = (
            std::fs::read_to_string(output).unwrap(),
            std::fs::read_to_string(summary).unwrap(),
        );
        let mut tips = vec![remote_tip(&w, BRANCH)];
        let branch_log = git(
            &w.bare,
            &[
                "log",
                "--reverse",
                "--format=%s",
                &format!("main..{BRANCH}"),
            ],
        )
        .lines()
        .map(str::to_owned)
        .collect();

        // A person edits the live space, and the last deploy verified one more passing question.
        let (_, original) = live_space(&w).await;
        let edited = original.replace(
            "How many bookings are there?",
            "How many bookings are there in total?",
        );
        assert_ne!(edited, original, "the edit changes the live space");
        set_live_space(&w, &edited).await;
        let actual = serde_json::to_value(only(&first).results.as_ref().unwrap()).unwrap();
        let flipped = only(&first).live.as_ref().unwrap().failing[0].clone();
        record_baseline(&w, passing(&actual, &flipped));

        let second = night(&w, 2, WriteMode::Apply).await;
        tips.push(remote_tip(&w, BRANCH));
        let number = w.github.pulls()[0].number;
        let pulls_after_second = w.github.pulls();
        let comments_after_second = w.github.comments_on(number);
        let issues_after_second = w.github.issues();

        // The live space is put back, the baseline is the truth again, and Ann commits.
        set_live_space(&w, &original).await;
        record_baseline(&w, actual);
        let human = human_commit(&w, BRANCH);

        let third = night(&w, 3, WriteMode::Apply).await;
        tips.push(remote_tip(&w, BRANCH));
        let issue_comments = issues_after_second
            .first()
            .map(|i| w.github.comments_on(i.number))
            .unwrap_or_default();
        let nights = Nights {
            reports: vec![first, second, third],
            tips,
            human,
            pulls_after_second,
            pulls_after_third: w.github.pulls(),
            comments_after_second,
            comments_after_third: w.github.comments_on(number),
            issues_after_second,
            issues_after_third: w.github.issues(),
            issue_comments,
            requests: w.github.requests(),
            unexpected: w.github.unexpected(),
            flipped,
            branch_log,
            first_step,
        };
        w.sim.shutdown().await;
        nights
    })
});

fn only(report: &NightlyReport) -> &SpaceNight {
    assert_eq!(report.spaces.len(), 1);
    &report.spaces[0]
}

fn published(report: &NightlyReport) -> &Published {
    match &only(report).proposal {
        ProposalStep::Published(p) => p,
        other => panic!("expected a published proposal, got {other:?}"),
    }
}

fn count(requests: &[Logged], method: &str, prefix: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(prefix))
        .count()
}

#[test]
fn two_nights_make_one_pull_request_one_comment_and_no_second_push() {
    let n = &*NIGHTS;
    let (first, second) = (published(&n.reports[0]), published(&n.reports[1]));
    assert_eq!(first.pr_operation, "created");
    assert!(first.branch_outcome.starts_with("pushed"), "{first:?}");
    assert!(n.tips[0].is_some());
    assert_eq!(n.tips[1], n.tips[0], "no second push");
    assert!(
        second.branch_outcome.starts_with("unchanged"),
        "{}",
        second.branch_outcome
    );
    assert_eq!(second.pr_operation, "none");
    assert_eq!(second.pr_number, first.pr_number);
    assert_eq!(second.hash, first.hash);
    assert_eq!(n.pulls_after_second.len(), 1);
    assert_eq!(count(&n.requests, "POST", "/repos/acme/genie/pulls"), 1);
    assert_eq!(n.comments_after_second.len(), 1, "one sticky comment");
    assert_eq!(n.comments_after_second[0].author, BOT);
    assert!(n.unexpected.is_empty(), "{:?}", n.unexpected);
}

#[test]
fn the_pull_request_carries_one_commit_per_accepted_lever_and_the_report_names_them() {
    let n = &*NIGHTS;
    let OptimizeStep::Ran { report } = &only(&n.reports[0]).optimize else {
        panic!("the first night optimizes");
    };
    assert!(!report.levers.is_empty(), "the optimizer accepted a lever");
    assert!(report.train.after.rate > report.train.before.rate);
    assert_eq!(n.branch_log.len(), report.levers.len());
    for (message, lever) in n.branch_log.iter().zip(&report.levers) {
        assert!(
            message.starts_with(&format!("genie-gitops: lever {} —", lever.lever)),
            "{message}"
        );
    }
    let pr = &n.pulls_after_second[0];
    assert_eq!(pr.head, BRANCH);
    assert_eq!(pr.base, "main");
    assert_eq!(pr.author, BOT);
    assert!(pr.title.contains(SPACE), "{}", pr.title);
    for lever in &report.levers {
        assert!(
            pr.body
                .contains(&format!("<summary>lever {} —", lever.lever)),
            "the body names lever {}:\n{}",
            lever.lever,
            pr.body
        );
    }
    assert!(pr.body.contains("genie-gitops:"), "the hidden marker");
}

#[test]
fn a_drifted_and_regressed_live_space_opens_one_tracking_issue_and_a_clean_night_closes_it() {
    let n = &*NIGHTS;
    assert!(matches!(
        only(&n.reports[0]).baseline,
        BaselineCheck::NoBaseline
    ));
    assert!(!n.reports[0].needs_attention());
    assert_eq!(
        only(&n.reports[0])
            .issue
            .as_ref()
            .map(|i| i.action.as_str()),
        Some("none_open")
    );

    let second = only(&n.reports[1]);
    assert!(n.reports[1].needs_attention(), "exit 2");
    assert_eq!(second.drift.len(), 1, "{:?}", second.drift);
    assert!(
        second.drift[0].pointer.contains("sample_questions"),
        "{:?}",
        second.drift
    );
    let BaselineCheck::Compared {
        newly_failing,
        regressed,
        ..
    } = &second.baseline
    else {
        panic!(
            "the second night compares with the baseline: {:?}",
            second.baseline
        );
    };
    assert!(regressed);
    assert_eq!(newly_failing, &vec![n.flipped.clone()]);
    assert_eq!(second.regressions(), Some(1));
    assert_eq!(n.issues_after_second.len(), 1);
    let issue = &n.issues_after_second[0];
    assert_eq!(issue.state, "open");
    assert_eq!(issue.author, BOT);
    assert!(
        issue.title.contains("regressed and drifted"),
        "{}",
        issue.title
    );
    assert!(issue.body.contains(&n.flipped), "{}", issue.body);
    assert!(issue.body.contains("sample_questions"), "{}", issue.body);

    let third = only(&n.reports[2]);
    assert!(third.drift.is_empty());
    assert!(!third.baseline.regressed(), "{:?}", third.baseline);
    assert!(!n.reports[2].needs_attention());
    assert_eq!(
        n.issues_after_third.len(),
        1,
        "the same issue, not a new one"
    );
    assert_eq!(n.issues_after_third[0].state, "closed");
    assert_eq!(n.issue_comments.len(), 1);
    assert!(n.issue_comments[0].body.contains("Resolved"));
}

#[test]
fn a_persons_commit_on_the_bot_branch_pauses_the_bot_and_the_comment_says_so() {
    let n = &*NIGHTS;
    let third = published(&n.reports[2]);
    assert!(
        third.branch_outcome.starts_with("paused"),
        "{}",
        third.branch_outcome
    );
    assert_eq!(
        n.tips[2].as_deref(),
        Some(n.human.as_str()),
        "the person's commit stays"
    );
    assert_eq!(
        n.pulls_after_third[0].body, n.pulls_after_second[0].body,
        "the pull request is left alone"
    );
    assert_eq!(n.pulls_after_third.len(), 1);
    assert_eq!(n.comments_after_third.len(), 1, "still one sticky comment");
    let comment = &n.comments_after_third[0].body;
    assert!(comment.contains("Paused"), "{comment}");
    assert!(comment.contains("a note by hand"), "{comment}");
}

#[test]
fn the_step_outputs_name_the_pull_request_and_the_live_accuracy_and_the_summary_is_written() {
    let n = &*NIGHTS;
    let (outputs, summary) = &n.first_step;
    let first = published(&n.reports[0]);
    let value = |name: &str| {
        let start = outputs.find(&format!("{name}<<"))?;
        outputs[start..].lines().nth(1).map(str::to_owned)
    };
    assert_eq!(value("pr-number"), first.pr_number.map(|n| n.to_string()));
    assert_eq!(value("pr-url"), first.pr_url.clone());
    assert_eq!(value("pr-operation").as_deref(), Some("created"));
    let live = only(&n.reports[0]).live.as_ref().unwrap();
    assert_eq!(
        value("accuracy"),
        Some(format!("{:.4}", live.accuracy.rate))
    );
    assert_eq!(value("regressions"), None, "no baseline on the first night");
    assert!(summary.starts_with("## genie-gitops nightly"), "{summary}");
    assert!(summary.contains("**Pull request**: created #"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_writes_nothing_anywhere() {
    let w = world().await;
    let refs_before = remote_refs(&w);
    let report = night(&w, 1, WriteMode::DryRun).await;
    assert!(report.dry_run);
    let space = only(&report);
    assert!(space.live.is_none() && space.evaluate_plan.is_some());
    assert!(matches!(space.optimize, OptimizeStep::Planned { .. }));
    assert!(matches!(
        space.proposal,
        ProposalStep::Planned { open_pr: None, .. }
    ));
    assert!(w.github.writes().is_empty(), "{:?}", w.github.writes());
    assert!(w.sim.asked_questions().is_empty(), "no Genie question");
    assert_eq!(space_count(&w).await, 1, "no temporary space");
    assert_eq!(remote_refs(&w), refs_before, "the remote is unchanged");
    insta::assert_snapshot!(nightly::render_markdown(&report));
    w.sim.shutdown().await;
}

#[test]
fn the_command_line_dry_run_prints_the_plan_and_exits_0_and_a_repository_without_spaces_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    copy_dir(Path::new(FIXTURE), &work);
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "the space as it is"]);
    let run = |repo: &Path| {
        assert_cmd::Command::cargo_bin("genie-gitops")
            .unwrap()
            .args(["nightly", "--simulator", "--dry-run", "--repo"])
            .arg(repo)
            .env("HOME", dir.path())
            .env_remove("GITHUB_REPOSITORY")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("GENIE_GITOPS_GITHUB_TOKEN")
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap()
    };
    let planned = run(&work);
    let stdout = String::from_utf8_lossy(&planned.stdout);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&planned.stderr)
    );
    assert!(
        stdout.contains("(dry run: nothing was written)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Skipped tracking issue: no GitHub"),
        "{stdout}"
    );

    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    git(&empty, &["init", "-q", "-b", "main"]);
    let refused = run(&empty);
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("error:"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
