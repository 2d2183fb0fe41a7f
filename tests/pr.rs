//! `genie-gitops pr` end to end, in process: a temporary git repository built from
//! `fixtures/wanderbricks` with a base commit on `main` and a head commit on `topic`, pushed to
//! a local bare origin; a stateful fake GitHub (`LocalGitHub`) holding the pull request; the
//! built-in simulator hosting the temporary spaces. Covers a pull request that improves the
//! space (newly passing, check success), one that breaks it (newly failing first, check
//! failure, exit 2), a second push editing the same comment, fork and `pull_request_target`
//! runs (skipped, zero writes), settings read from the base, the dry run (zero writes), the
//! baseline note, a pull request touching nothing managed, and the comment's text (snapshot).

mod support;
use support::repo::{copy_dir, git};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use genie_gitops::eval::results::{RunInfo, RunResults};
use genie_gitops::git::notes;
use genie_gitops::git::remote::Remote;
use genie_gitops::git::repo::Author;
use genie_gitops::github::client::GitHub;
use genie_gitops::github::env::{ActionEnv, RepoName};
use genie_gitops::github::types::{PullRequest, WriteMode};
use genie_gitops::runner::action::ActionContext;
use genie_gitops::runner::pr::comment::BaseSource;
use genie_gitops::runner::pr::{self, Options, PrRun, SpaceStatus, Verdict, WorkspaceSource};
use genie_gitops::sim::github::LocalGitHub;
use secrecy::SecretString;
use serde_json::{Value, json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const EVENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/github-events"
);
const SPACE_FILE: &str = "genie/wanderbricks.geniespace.json";
const BOT: &str = "genie-gitops[bot]";
const BOT_TOKEN: &str = "bot-token";

/// The base's settings: a bar the fixture's poor space clears (42%), no regression allowed.
const BASE_SETTINGS: &str = "version: 1
spaces:
  wanderbricks:
    benchmarks:
      - benchmarks/golden-queries.yaml
thresholds:
  min_accuracy: 0.4
  max_regressions: 0
  p0_must_pass: false
evaluation:
  as_of: \"2025-06-30\"
genie:
  questions_per_minute: 100000
  concurrency: 8
";

/// A bare origin, a work tree with `main` (the base) and `topic` (the head), and a fake
/// GitHub holding pull request `topic` → `main` opened by Ann.
struct World {
    dir: tempfile::TempDir,
    bare: PathBuf,
    work: PathBuf,
    fake: LocalGitHub,
    number: u64,
    base: String,
    runs: AtomicUsize,
}

impl World {
    /// Builds the base from the fixture, then the head by applying `change` to the work tree.
    async fn new(change: impl FnOnce(&Path)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("origin.git");
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "origin.git"],
        );
        let work = dir.path().join("work");
        copy_dir(Path::new(FIXTURE), &work);
        std::fs::write(work.join(".genie-gitops.yml"), BASE_SETTINGS).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["add", "."]);
        git(&work, &["commit", "-qm", "base"]);
        git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
        let base = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["checkout", "-qb", "topic"]);
        change(&work);
        git(&work, &["commit", "-qam", "the change under review"]);
        git(&work, &["push", "-q", bare.to_str().unwrap(), "topic"]);

        let fake = LocalGitHub::start("acme", "genie", BOT_TOKEN, BOT)
            .await
            .expect("the local GitHub starts");
        fake.use_repository(bare.clone());
        fake.add_user("ann-token", "ann");
        let ann = GitHub::new(
            &fake.url,
            SecretString::from("ann-token"),
            RepoName::parse("acme/genie").unwrap(),
        )
        .unwrap();
        let pull: PullRequest = ann
            .post(
                &ann.repo_route("/pulls"),
                &json!({"title": "Tune the space", "head": "topic", "base": "main"}),
            )
            .await
            .expect("Ann opens the pull request");
        Self {
            dir,
            bare,
            work,
            fake,
            number: pull.number,
            base,
            runs: AtomicUsize::new(0),
        }
    }

    fn head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Another commit on the head, pushed.
    fn push_more(&self, change: impl FnOnce(&Path)) {
        change(&self.work);
        git(&self.work, &["commit", "-qam", "more"]);
        git(
            &self.work,
            &["push", "-q", self.bare.to_str().unwrap(), "topic"],
        );
    }

    /// The `pull_request` payload GitHub would send for the current head.
    fn event(&self, head_repo: &str) -> Value {
        json!({
            "action": "synchronize",
            "pull_request": {
                "number": self.number,
                "title": "Tune the space",
                "user": {"login": "ann"},
                "head": {"ref": "topic", "sha": self.head(), "repo": {"full_name": head_repo}},
                "base": {"ref": "main", "sha": self.base, "repo": {"full_name": "acme/genie"}},
            }
        })
    }

    /// The Actions environment of a run for `event_name` with `payload`.
    async fn context(&self, event_name: &str, payload: &Value, mode: WriteMode) -> ActionContext {
        let n = self.runs.fetch_add(1, Ordering::SeqCst);
        let run = self.dir.path().join(format!("run-{n}"));
        std::fs::create_dir_all(&run).unwrap();
        let event = run.join("event.json");
        std::fs::write(&event, payload.to_string()).unwrap();
        let vars = [
            ("GITHUB_API_URL", self.fake.url.clone()),
            ("GITHUB_REPOSITORY", "acme/genie".into()),
            ("GITHUB_TOKEN", BOT_TOKEN.into()),
            ("GITHUB_EVENT_NAME", event_name.into()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_OUTPUT", run.join("output").display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                run.join("summary.md").display().to_string(),
            ),
        ];
        let env = ActionEnv::from_vars(vars.map(|(k, v)| (k.to_owned(), v)));
        ActionContext::from_env(env, Some(BOT), mode).await.unwrap()
    }

    fn options(&self) -> Options {
        Options {
            repo: self.work.clone(),
            remote: Some(self.bare.display().to_string()),
            ..Options::default()
        }
    }

    /// Runs `pr` for the current head on the simulator.
    async fn run(&self, mode: WriteMode) -> (PrRun, ActionContext) {
        let ctx = self
            .context("pull_request", &self.event("acme/genie"), mode)
            .await;
        let outcome = pr::run(&ctx, &self.options(), WorkspaceSource::Simulator)
            .await
            .expect("the pr flow runs");
        (outcome, ctx)
    }

    /// Write requests since the world was set up (Ann's pull request is one).
    fn writes_by_runs(&self) -> Vec<String> {
        let writes = self.fake.writes();
        writes
            .iter()
            .skip(1)
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The bodies of the comments on the pull request.
    fn comments(&self) -> Vec<String> {
        self.fake
            .comments_on(self.number)
            .into_iter()
            .map(|c| c.body)
            .collect()
    }
}

/// Edits the space file's JSON in place.
fn edit_space(work: &Path, edit: impl FnOnce(&mut Value)) {
    let path = work.join(SPACE_FILE);
    let mut space: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut space);
    std::fs::write(&path, serde_json::to_string_pretty(&space).unwrap() + "\n").unwrap();
}

/// Lever 6: an instruction the simulator follows (deleted reviews, which country).
fn improve_instruction(work: &Path) {
    edit_space(work, |space| {
        space["instructions"]["text_instructions"][0]["content"] = json!([
            "- Always filter reviews.is_deleted = FALSE\n",
            "- Use destinations.country for country, nation\n"
        ]);
    });
}

/// Drops the payments table from the space: the payment questions stop working.
fn drop_payments(work: &Path) {
    edit_space(work, |space| {
        let tables = space["data_sources"]["tables"].as_array_mut().unwrap();
        tables.retain(|t| !t["identifier"].as_str().unwrap().ends_with(".payments"));
    });
}

fn only_space(outcome: &PrRun) -> &pr::SpaceRun {
    assert_eq!(outcome.spaces.len(), 1, "{outcome:#?}");
    &outcome.spaces[0]
}

fn check_runs(w: &World) -> Vec<Value> {
    w.fake.check_runs().into_iter().map(|r| r.body).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_that_improves_an_instruction_shows_newly_passing_questions_and_a_successful_check() {
    let w = World::new(improve_instruction).await;
    let (outcome, ctx) = w.run(WriteMode::Apply).await;

    assert_eq!(outcome.verdict(), Verdict::Ok);
    let space = only_space(&outcome);
    assert_eq!(space.status, SpaceStatus::Passed);
    assert_eq!(space.base_source, Some(BaseSource::Evaluated));
    let baseline = space.report.as_ref().unwrap().baseline.as_ref().unwrap();
    assert!(baseline.newly_failing.is_empty(), "{baseline:?}");
    assert!(
        baseline
            .newly_passing
            .contains(&"wanderbricks_018".to_owned())
    );

    let comments = w.comments();
    assert_eq!(comments.len(), 1, "one sticky comment");
    assert!(
        comments[0].contains("**Newly passing (3)**"),
        "{}",
        comments[0]
    );
    assert!(!comments[0].contains("⌛"), "the placeholder was replaced");

    let runs = check_runs(&w);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["head_sha"], json!(w.head()));
    assert_eq!(runs[0]["name"], json!("genie-gitops/eval (wanderbricks)"));
    assert_eq!(runs[0]["status"], json!("completed"));
    assert_eq!(runs[0]["conclusion"], json!("success"));

    let output = std::fs::read_to_string(ctx.env.output_file.as_ref().unwrap()).unwrap();
    assert!(
        output.contains("accuracy<<GENIE_GITOPS_EOF\n0.4792\n"),
        "{output}"
    );
    assert!(
        output.contains("regressions<<GENIE_GITOPS_EOF\n0\n"),
        "{output}"
    );
    let summary = std::fs::read_to_string(ctx.env.summary_file.as_ref().unwrap()).unwrap();
    assert!(summary.contains("**✅ PASS**"), "{summary}");
    assert!(w.fake.unexpected().is_empty(), "{:?}", w.fake.unexpected());

    insta::with_settings!({filters => vec![
        (r"\b[0-9a-f]{40}\b", "[sha]"),
        (r"`[0-9a-f]{7}`", "`[sha]`"),
    ]}, {
        insta::assert_snapshot!("improving_pr_comment", comments[0]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_that_breaks_something_lists_newly_failing_first_fails_its_check_and_exits_2() {
    let w = World::new(|work| {
        improve_instruction(work);
        drop_payments(work);
    })
    .await;
    let (outcome, ctx) = w.run(WriteMode::Apply).await;

    assert_eq!(outcome.verdict(), Verdict::Regression, "exit code 2");
    let space = only_space(&outcome);
    assert_eq!(space.status, SpaceStatus::Failed);
    let body = &w.comments()[0];
    let failing = body.find("**Newly failing (2)**: `wanderbricks_012`, `wanderbricks_013`");
    let passing = body.find("**Newly passing");
    assert!(
        failing.is_some() && failing < passing,
        "newly failing comes first:\n{body}"
    );
    assert!(body.contains("**❌ FAIL**: 2 regression(s)"), "{body}");
    let runs = check_runs(&w);
    assert_eq!(runs[0]["conclusion"], json!("failure"));
    let output = std::fs::read_to_string(ctx.env.output_file.as_ref().unwrap()).unwrap();
    assert!(
        output.contains("regressions<<GENIE_GITOPS_EOF\n2\n"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_push_edits_the_same_comment_and_checks_the_new_head() {
    let w = World::new(drop_payments).await;
    let (first, _) = w.run(WriteMode::Apply).await;
    assert_eq!(first.verdict(), Verdict::Regression);
    let first_comment = w.fake.comments_on(w.number)[0].clone();

    // The author restores the payments table and improves the instruction instead.
    w.push_more(|work| {
        git(work, &["checkout", "-q", "main", "--", SPACE_FILE]);
        improve_instruction(work);
    });
    let (second, _) = w.run(WriteMode::Apply).await;
    assert_eq!(second.verdict(), Verdict::Ok);

    let comments = w.fake.comments_on(w.number);
    assert_eq!(comments.len(), 1, "one comment, edited in place");
    assert_eq!(comments[0].id, first_comment.id);
    assert!(
        comments[0].body.contains("**✅ PASS**"),
        "{}",
        comments[0].body
    );
    let runs = check_runs(&w);
    assert_eq!(runs.len(), 2, "one check run per head commit");
    assert_eq!(runs[1]["head_sha"], json!(w.head()));
    assert_eq!(runs[1]["conclusion"], json!("success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_the_base_so_a_pr_cannot_lower_its_own_bar() {
    let w = World::new(|work| {
        drop_payments(work);
        let lowered = BASE_SETTINGS
            .replace("min_accuracy: 0.4", "min_accuracy: 0.0")
            .replace("max_regressions: 0", "max_regressions: 10");
        std::fs::write(work.join(".genie-gitops.yml"), lowered).unwrap();
    })
    .await;
    let (outcome, _) = w.run(WriteMode::Apply).await;

    assert_eq!(outcome.verdict(), Verdict::Regression);
    let space = only_space(&outcome);
    let gate = &space.report.as_ref().unwrap().gate;
    assert!(
        gate.failures.iter().any(|f| f.contains("(allowed: 0)")),
        "{gate:?}"
    );
    assert!(
        space
            .markdown
            .contains("its settings apply after the merge"),
        "{}",
        space.markdown
    );
    assert!(
        space
            .changed_files
            .iter()
            .any(|f| f.path == ".genie-gitops.yml")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_writes_nothing_to_github_and_lists_an_edited_gold_query() {
    let w = World::new(|work| {
        drop_payments(work);
        // A gold query edited in the same pull request (same result, another column name).
        let path = work.join("benchmarks/golden-queries.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replacen("COUNT(*) AS bookings FROM", "COUNT(*) AS n FROM", 1);
        std::fs::write(&path, edited).unwrap();
    })
    .await;
    let (outcome, _) = w.run(WriteMode::DryRun).await;

    assert_eq!(outcome.verdict(), Verdict::Regression);
    let markdown = &only_space(&outcome).markdown;
    assert!(markdown.contains("**Newly failing (2)**"), "{markdown}");
    assert!(
        markdown
            .contains("- edited `wanderbricks_002` (expected_sql): How many bookings are there?"),
        "an edited gold query is visible to reviewers:\n{markdown}"
    );
    assert!(w.writes_by_runs().is_empty(), "{:?}", w.writes_by_runs());
    assert!(w.comments().is_empty());
    assert!(check_runs(&w).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_note_on_the_base_replaces_evaluating_the_base() {
    let w = World::new(improve_instruction).await;
    // The deploy flow recorded the verified results of `main` and pushed them.
    let base = git2::Oid::from_str(&w.base).unwrap();
    let recorded = RunResults::new(
        RunInfo {
            space: "wanderbricks".into(),
            ..RunInfo::default()
        },
        Vec::new(),
    );
    let results = serde_json::to_value(&recorded).unwrap();
    notes::record(&w.work, base, "wanderbricks", results, &Author::default()).unwrap();
    let remote = Remote::anonymous(w.bare.to_str().unwrap());
    notes::push(&remote, &w.work, None).unwrap();
    // A fresh checkout has no notes: the run must fetch them.
    let notes_ref = notes::NOTES_REF;
    git(&w.work, &["update-ref", "-d", notes_ref]);

    let (outcome, _) = w.run(WriteMode::Apply).await;
    let space = only_space(&outcome);
    assert_eq!(
        space.base_source,
        Some(BaseSource::Note {
            commit: w.base.clone()
        })
    );
    assert!(
        space.markdown.contains("the verified baseline recorded on"),
        "{}",
        space.markdown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_touching_no_managed_file_gets_a_neutral_check_and_no_comment() {
    let w = World::new(|work| {
        std::fs::write(work.join("README.md"), "# Edited by hand\n").unwrap();
    })
    .await;
    let (outcome, _) = w.run(WriteMode::Apply).await;

    assert_eq!(outcome.verdict(), Verdict::Ok);
    assert_eq!(only_space(&outcome).status, SpaceStatus::NothingToEvaluate);
    assert!(w.comments().is_empty());
    let runs = check_runs(&w);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["conclusion"], json!("neutral"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_and_pull_request_target_runs_are_skipped_with_zero_writes() {
    let w = World::new(improve_instruction).await;
    let mut payloads = vec![("pull_request", w.event("mallory/genie"))];
    let real_fork = Path::new(EVENTS).join("pull_request.opened.fork.json");
    match std::fs::read_to_string(&real_fork) {
        Ok(text) => payloads.push(("pull_request", serde_json::from_str(&text).unwrap())),
        Err(_) => eprintln!(
            "skipping the real fork payload: {} not found",
            real_fork.display()
        ),
    }
    payloads.push(("pull_request_target", w.event("acme/genie")));

    for (name, payload) in payloads {
        let ctx = w.context(name, &payload, WriteMode::Apply).await;
        let outcome = pr::run(&ctx, &w.options(), WorkspaceSource::Simulator)
            .await
            .unwrap();
        assert_eq!(outcome.verdict(), Verdict::Ok, "exit 0");
        assert!(outcome.spaces.is_empty());
        let reason = outcome.skipped.as_deref().unwrap_or_default();
        assert!(
            reason.contains("fork") || reason.contains("pull_request_target"),
            "{reason}"
        );
        let summary = std::fs::read_to_string(ctx.env.summary_file.as_ref().unwrap()).unwrap();
        assert!(summary.contains(reason), "{summary}");
    }
    assert!(w.writes_by_runs().is_empty(), "{:?}", w.writes_by_runs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_whose_space_file_does_not_parse_gets_the_position_in_a_failing_check() {
    let w = World::new(|work| {
        std::fs::write(work.join(SPACE_FILE), "{\n  \"version\": 2,\n").unwrap();
    })
    .await;
    let (outcome, _) = w.run(WriteMode::Apply).await;

    assert_eq!(outcome.verdict(), Verdict::Invalid, "exit code 3");
    let body = &w.comments()[0];
    assert!(body.contains("**❌ INVALID**"), "{body}");
    assert!(
        body.contains("genie/wanderbricks.geniespace.json:"),
        "{body}"
    );
    let runs = check_runs(&w);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["conclusion"], json!("failure"));
}
