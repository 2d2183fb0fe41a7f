//! `genie-gitops deploy` end to end: a git checkout of the Wanderbricks fixture with a local
//! bare "origin", the in-process simulator as the workspace (behind a recording proxy, so every
//! Databricks request is counted) and `LocalGitHub` as GitHub. Covers the no-op, a changed
//! instruction deployed, verified, recorded and reported, one tracking issue across failing
//! runs closed by a later success, a dry run that writes nothing anywhere, and bundle mode
//! calling a fake `databricks` with the right argv.

mod support;
use support::repo::{copy_dir, git};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use genie_gitops::databricks::Workspace;
use genie_gitops::deploy::flow::{self, Outcome, Request, Status};
use genie_gitops::git::fs::load_dir;
use genie_gitops::git::notes;
use genie_gitops::github::env::ActionEnv;
use genie_gitops::github::types::WriteMode;
use genie_gitops::model::project;
use genie_gitops::runner::action::ActionContext;
use genie_gitops::runner::connect::connect;
use genie_gitops::runner::simulator;
use genie_gitops::sim::github::LocalGitHub;
use genie_gitops::sim::server::SimHandle;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const BOT: &str = "genie-gitops[bot]";
const BOT_TOKEN: &str = "bot-token";
const SPACE_FILE: &str = "genie/wanderbricks.geniespace.json";
const OLD_INSTRUCTION: &str = "Answer questions about bookings accurately.";
const NEW_INSTRUCTION: &str = "Answer questions about bookings and stays accurately.";

/// The poor fixture scores 20/48: the thresholds are set so that it passes, which is what a
/// deploy of an unchanged score must do.
const SETTINGS: &str = "version: 1\nspaces:\n  wanderbricks:\n    benchmarks:\n      - benchmarks/golden-queries.yaml\n\
     thresholds:\n  min_accuracy: 0.3\n  max_regressions: 0\n  p0_must_pass: false\n\
     evaluation:\n  as_of: \"2025-06-30\"\n\
     genie:\n  questions_per_minute: 100000\n  concurrency: 8\n";

/// Every Databricks request that passed through the proxy, as `METHOD /path`.
type Log = Arc<Mutex<Vec<String>>>;

/// A reverse proxy in front of the simulator that records each request.
struct Proxy {
    url: String,
    log: Log,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log: Log = Arc::default();
        let client = reqwest::Client::new();
        let upstream = upstream.to_owned();
        let recorded = Arc::clone(&log);
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (client, upstream, log) =
                    (client.clone(), upstream.clone(), Arc::clone(&recorded));
                async move { forward(&client, &upstream, &log, method, uri, headers, body).await }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, log, task }
    }

    /// Requests other than GET (the ones that could change the workspace).
    fn writes(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| !r.starts_with("GET "))
            .cloned()
            .collect()
    }

    fn count(&self, prefix: &str) -> usize {
        self.writes()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }

    fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    log: &Log,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    log.lock().unwrap().push(format!("{method} {}", uri.path()));
    let mut request = client
        .request(method, format!("{upstream}{path}"))
        .body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let Ok(answer) = request.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let mut out = HeaderMap::new();
    for name in ["content-type", "retry-after"] {
        if let Some(value) = answer.headers().get(name) {
            out.insert(name, value.clone());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    (status, out, bytes).into_response()
}

/// A checkout of the fixture with a bare origin, the simulator loaded with it (so live starts
/// equal to the first commit), a recording proxy and a local GitHub reading the origin.
struct World {
    _dir: tempfile::TempDir,
    work: PathBuf,
    bare: PathBuf,
    sim: SimHandle,
    proxy: Proxy,
    github: LocalGitHub,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("origin.git");
    let work = dir.path().join("work");
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "main", "origin.git"],
    );
    copy_dir(Path::new(FIXTURE), &work);
    std::fs::write(work.join(".genie-gitops.yml"), SETTINGS).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(&work, &["push", "-q", "origin", "main"]);
    let (project, _) = project::discover(&load_dir(&work).unwrap()).unwrap();
    let (sim, _env) = simulator::start(&work, Some("dev"), &project)
        .await
        .unwrap();
    let proxy = Proxy::start(sim.base_url()).await;
    let github = LocalGitHub::start("acme", "genie", BOT_TOKEN, BOT)
        .await
        .unwrap();
    github.use_repository(bare.clone());
    World {
        _dir: dir,
        work,
        bare,
        sim,
        proxy,
        github,
    }
}

impl World {
    /// Commits `edit` applied to `path` on `main` and pushes it; returns the SHA.
    fn commit(&self, path: &str, edit: impl Fn(&str) -> String, message: &str) -> String {
        let file = self.work.join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, edit(&text)).unwrap();
        git(&self.work, &["commit", "-q", "-am", message]);
        git(&self.work, &["push", "-q", "origin", "main"]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    fn workspace(&self) -> Workspace {
        let mut env = simulator::environment(&self.sim);
        env.vars
            .insert("DATABRICKS_HOST".into(), self.proxy.url.clone());
        let (project, _) = project::discover(&load_dir(&self.work).unwrap()).unwrap();
        let target = project.target(Some("dev")).unwrap().clone();
        connect(&project, &target, &env).unwrap()
    }

    async fn context(&self, mode: WriteMode) -> ActionContext {
        let env = ActionEnv::from_vars(
            [
                ("GITHUB_REPOSITORY", "acme/genie"),
                ("GITHUB_TOKEN", BOT_TOKEN),
                ("GITHUB_API_URL", self.github.url.as_str()),
                ("GITHUB_RUN_ID", "7"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        ActionContext::from_env(env, Some(BOT), mode).await.unwrap()
    }

    async fn deploy(&self, sha: &str, mode: WriteMode) -> Outcome {
        let request = Request {
            repo: self.work.clone(),
            space: None,
            target: Some("dev".into()),
            sha: Some(sha.to_owned()),
            mode: None,
            remote: Some(self.bare.to_str().unwrap().to_owned()),
            databricks_cli: "databricks".into(),
        };
        let prepared = flow::prepare(&request, sha).unwrap();
        let ctx = self.context(mode).await;
        flow::run(&prepared, &self.workspace(), &ctx).await
    }

    /// The live space's configuration text.
    async fn live_space(&self) -> String {
        let id = self.sim.spaces()["wanderbricks"].clone();
        let got = self.workspace().genie.get_space(&id, true).await.unwrap();
        got.serialized_space.unwrap_or_default()
    }

    /// The remote's note on `sha`, as text.
    fn remote_note(&self, sha: &str) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.bare)
            .args(["notes", "--ref", "genie-gitops", "show", sha])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn new_instruction(text: &str) -> String {
    assert!(
        text.contains(OLD_INSTRUCTION),
        "the fixture's instruction moved"
    );
    text.replace(OLD_INSTRUCTION, NEW_INSTRUCTION)
}

fn head(w: &World) -> String {
    git(&w.work, &["rev-parse", "HEAD"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_that_already_matches_is_a_noop_with_no_space_update() {
    let w = world().await;
    let sha = head(&w);
    // The first deploy knows no deployed commit, so it applies every durable file; the space
    // itself already matches and is not updated.
    let first = w.deploy(&sha, WriteMode::Apply).await;
    assert_eq!(first.status, Status::Deployed, "{}", first.message);
    assert_eq!(w.proxy.count("PATCH"), 0, "{:?}", w.proxy.writes());
    assert!(w.remote_note(&sha).is_some(), "the baseline note is pushed");

    w.proxy.clear();
    let second = w.deploy(&sha, WriteMode::Apply).await;
    assert_eq!(second.status, Status::AlreadyLive, "{}", second.message);
    assert!(!second.deployed);
    assert_eq!(
        second.message,
        format!("live already matches {}", &sha[..12])
    );
    assert_eq!(
        w.proxy.writes(),
        Vec::<String>::new(),
        "no write to the workspace"
    );
    let statuses = w.github.statuses();
    let last = &statuses.last().unwrap().1;
    assert_eq!(last["state"], "success");
    assert_eq!(last["context"], "genie-gitops/deploy (wanderbricks)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_instruction_is_patched_verified_recorded_and_reported_on_the_merged_pr() {
    let w = world().await;
    // A pull request from the bot branch, merged by fast-forward.
    git(
        &w.work,
        &["checkout", "-q", "-b", "genie-gitops/wanderbricks"],
    );
    let sha = w.commit(SPACE_FILE, new_instruction, "Lever 6: say what a stay is");
    git(
        &w.work,
        &["push", "-q", "origin", "genie-gitops/wanderbricks"],
    );
    let ctx = w.context(WriteMode::Apply).await;
    let gh = ctx.github.as_ref().unwrap();
    let pr: serde_json::Value = gh
        .post(
            &gh.repo_route("/pulls"),
            &serde_json::json!({"title": "genie-gitops: wanderbricks", "body": "",
                "head": "genie-gitops/wanderbricks", "base": "main"}),
        )
        .await
        .unwrap();
    let number = pr["number"].as_u64().unwrap();
    git(&w.work, &["checkout", "-q", "main"]);
    git(
        &w.work,
        &["merge", "-q", "--ff-only", "genie-gitops/wanderbricks"],
    );
    git(&w.work, &["push", "-q", "origin", "main"]);
    w.github.close_pull(number, true);

    let outcome = w.deploy(&sha, WriteMode::Apply).await;

    assert_eq!(outcome.status, Status::Deployed, "{}", outcome.message);
    assert!(outcome.deployed);
    assert_eq!(w.proxy.count("PATCH /api/2.0/genie/spaces/"), 1);
    assert!(w.live_space().await.contains(NEW_INSTRUCTION));
    let accuracy = outcome.accuracy().unwrap();
    assert!(accuracy >= 0.3, "{accuracy}");
    let note = w
        .remote_note(&sha)
        .expect("the baseline note is on the remote");
    assert!(note.contains("\"wanderbricks\""), "{note}");
    let statuses = w.github.statuses();
    let (status_sha, status) = statuses.last().unwrap();
    assert_eq!(status_sha, &sha);
    assert_eq!(status["state"], "success");
    let comments = w.github.comments_on(number);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("Deployed"),
        "{}",
        comments[0].body
    );
    assert!(w.github.issues().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_deploys_keep_one_tracking_issue_that_a_later_success_closes() {
    let w = world().await;
    let bad_table = "  - name: ${catalog}.${schema}.no_such_table\n    comment: Refused\n";
    let bad = w.commit(
        "genie/uc/tables.yml",
        |t| format!("{t}{bad_table}"),
        "Describe a table that does not exist",
    );

    let first = w.deploy(&bad, WriteMode::Apply).await;
    assert_eq!(first.status, Status::Failed, "{}", first.message);
    assert!(first.message.contains("no_such_table"), "{}", first.message);
    assert!(
        first.message.contains("Unity Catalog statement"),
        "{}",
        first.message
    );
    let second = w.deploy(&bad, WriteMode::Apply).await;
    assert_eq!(second.status, Status::Failed);
    let issues = w.github.issues();
    assert_eq!(issues.len(), 1, "one tracking issue across two failures");
    assert_eq!(issues[0].state, "open");
    assert!(issues[0].body.contains("no_such_table"));
    assert!(
        issues[0].body.contains("/actions/runs/7"),
        "{}",
        issues[0].body
    );
    let statuses = w.github.statuses();
    assert_eq!(statuses.last().unwrap().1["state"], "error");
    assert!(w.remote_note(&bad).is_none());

    let fixed = w.commit(
        "genie/uc/tables.yml",
        |t| t.replace(bad_table, ""),
        "Drop the table that does not exist",
    );
    let third = w.deploy(&fixed, WriteMode::Apply).await;
    assert_eq!(third.status, Status::Deployed, "{}", third.message);
    let issues = w.github.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].state, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dry_run_prints_the_plan_and_writes_nothing_anywhere() {
    let w = world().await;
    let sha = w.commit(SPACE_FILE, new_instruction, "Say what a stay is");

    let outcome = w.deploy(&sha, WriteMode::DryRun).await;

    assert_eq!(outcome.status, Status::DryRun, "{}", outcome.message);
    assert!(!outcome.deployed);
    let plan = outcome.plan.expect("the plan");
    assert!(plan.updates_space());
    assert!(
        !plan.statements.is_empty(),
        "no deployed commit: every durable file"
    );
    assert_eq!(w.proxy.writes(), Vec::<String>::new());
    assert_eq!(w.github.writes(), Vec::new());
    assert!(!w.live_space().await.contains(NEW_INSTRUCTION));
    assert_eq!(notes::local_tip(&w.work).unwrap(), None);
    assert!(w.remote_note(&sha).is_none());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bundle_mode_runs_databricks_bundle_deploy_with_separate_arguments() {
    let w = world().await;
    let bin = tempfile::tempdir().unwrap();
    let argv = bin.path().join("argv");
    let script = bin.path().join("databricks");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\npwd >> '{}'\necho 'Deployment complete!'\n",
            argv.display(),
            argv.display()
        ),
    )
    .unwrap();
    make_executable(&script);
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("genie-gitops").unwrap();
    cmd.args(["deploy", "--mode", "bundle", "--target", "dev", "--repo"])
        .arg(&w.work)
        .arg("--remote")
        .arg(&w.bare)
        .env("PATH", path)
        .env("HOME", home.path())
        .env("DATABRICKS_HOST", &w.proxy.url)
        .env("DATABRICKS_TOKEN", "sim-token")
        .env("DATABRICKS_WAREHOUSE_ID", w.sim.warehouse_id())
        .env_remove("DATABRICKS_CONFIG_PROFILE")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_SHA")
        .env_remove("GENIE_GITOPS_DATABRICKS_CLI");
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recorded = std::fs::read_to_string(&argv).expect("databricks was called");
    let lines: Vec<&str> = recorded.lines().collect();
    assert_eq!(lines[..4], ["bundle", "deploy", "-t", "dev"]);
    let cwd = PathBuf::from(lines[4]).canonicalize().unwrap();
    assert_eq!(cwd, w.work.canonicalize().unwrap());
    assert!(stdout.contains("deployed"), "{stdout}");
    assert_eq!(w.proxy.count("PATCH"), 0, "bundle mode does not PATCH");
    assert!(w.remote_note(&head(&w)).is_some());
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_notes_push_that_loses_the_race_is_retried_on_top_and_loses_no_note() {
    let w = world().await;
    let sha = head(&w);
    // Another run's note (for another space, on the same commit) waits in the origin; the
    // origin's hook publishes it as the notes ref at the moment our first push arrives, and
    // refuses that push, exactly as a concurrent writer winning the race would.
    let other = r#"{"version":1,"spaces":{"ops":{"accuracy":1}}}"#;
    git(
        &w.work,
        &["notes", "--ref", "genie-gitops", "add", "-m", other, &sha],
    );
    git(
        &w.work,
        &[
            "push",
            "-q",
            "origin",
            "refs/notes/genie-gitops:refs/heads/other-notes",
        ],
    );
    git(&w.work, &["update-ref", "-d", "refs/notes/genie-gitops"]);
    let hook = w.bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nif [ ! -f \"$GIT_DIR/raced\" ]; then\n  touch \"$GIT_DIR/raced\"\n  \
         mkdir -p \"$GIT_DIR/refs/notes\"\n  \
         git rev-parse refs/heads/other-notes > \"$GIT_DIR/refs/notes/genie-gitops\"\n  \
         exit 1\nfi\n",
    )
    .unwrap();
    make_executable(&hook);

    let outcome = w.deploy(&sha, WriteMode::Apply).await;

    assert_eq!(outcome.status, Status::Deployed, "{}", outcome.message);
    assert!(w.bare.join("raced").exists(), "the first push met the race");
    let note = w.remote_note(&sha).expect("the note is on the remote");
    assert!(
        note.contains("\"ops\""),
        "the other run's note survived: {note}"
    );
    assert!(
        note.contains("\"wanderbricks\""),
        "ours is there too: {note}"
    );
}
