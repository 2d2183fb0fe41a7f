//! Security checks that hold today, as tests (issue 8, item 5):
//!
//! - a canary token (`dapi` + random hex), used as the Databricks token, the OAuth client secret
//!   and the GitHub token, never shows in the clients' logs at TRACE (captured while they drive
//!   the in-process simulator and the fake GitHub), in auth errors (message or Debug), in the
//!   Debug output of anything that holds it, in a panic message built from those values, or in
//!   the stdout/stderr of the `spaces list` and `sql` commands run as processes;
//! - every data-changing statement shape in a benchmark file is rejected by
//!   `model::benchmarks::load`, which runs before anything reaches a warehouse;
//! - no `std::process::Command` in `src/` receives question or SQL text.

mod support;

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use genie_gitops::databricks::Workspace;
use genie_gitops::databricks::auth::{self, AuthSettings, Credentials, MapEnvironment};
use genie_gitops::databricks::sql::StatementOptions;
use genie_gitops::databricks::types::CreateSpaceRequest;
use genie_gitops::github::client::GitHub;
use genie_gitops::github::env::{ActionEnv, RepoName};
use genie_gitops::model::benchmarks;
use genie_gitops::sim::answer::Answer;
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::engine::SqlEngine;
use genie_gitops::sim::server::answerer::Answerer;
use genie_gitops::sim::server::warehouse::Warehouse;
use genie_gitops::sim::server::{Settings, SimConfig, SimHandle, spawn};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use genie_gitops::sim::github::LocalGitHub;
use support::client::{connect_with, fast_limiter, m2m};

const BOOKINGS: &str = "main.wanderbricks.bookings";
const COUNT_SQL: &str = "SELECT COUNT(*) AS n FROM main.wanderbricks.bookings";
const QUESTION: &str = "How many bookings?";

// --- canaries and captured logs --------------------------------------------------------------

/// A fresh token that looks like a Databricks PAT: `dapi` + 32 random hex digits.
fn canary() -> String {
    let half = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("dapi{:016x}{:016x}", half(), half())
}

/// Panics naming `what` when `text` holds any of `secrets`.
fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} leaks a secret:\n{text}");
    }
}

/// Everything every test in this binary logs, at TRACE, including `log` records of the HTTP
/// stack (the subscriber is global and bridges `log`). Each test's canary is unique, so one
/// shared buffer can be checked by all of them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(captured.clone())
            .with_ansi(false)
            .try_init();
        captured
    })
}

// --- the simulator and clients ---------------------------------------------------------------

fn engine_warehouse() -> Warehouse {
    match SqlEngine::wanderbricks(42, default_as_of()) {
        Ok(engine) => Warehouse::Engine(Box::new(engine)),
        Err(error) => panic!("the simulator's SQL engine does not start: {error}"),
    }
}

fn answerer() -> Answerer {
    let answer = Answer::Sql {
        sql: COUNT_SQL.to_owned(),
        description: "Counts bookings.".to_owned(),
        trusted: false,
        trace: vec![],
    };
    Answerer::Scripted([(QUESTION.to_owned(), answer)].into())
}

/// A simulator that accepts `token` as its PAT and `secret` as its OAuth client secret.
async fn start_sim(token: &str, secret: &str) -> SimHandle {
    let settings = Settings {
        token: SecretString::from(token.to_owned()),
        oauth_client_secret: SecretString::from(secret.to_owned()),
        ..Settings::default()
    };
    let config = SimConfig {
        settings,
        answerer: answerer(),
        warehouse: engine_warehouse(),
        repo: None,
        port: 0,
    };
    spawn(config).await.expect("the simulator starts")
}

/// Creates a space, lists spaces, asks a question and runs a statement.
async fn drive(sim: &SimHandle, workspace: &Workspace) {
    let space = json!({
        "version": 2,
        "data_sources": {"tables": [{"identifier": BOOKINGS}]},
    });
    let request = CreateSpaceRequest {
        warehouse_id: sim.warehouse_id(),
        serialized_space: space.to_string(),
        title: Some("Bookings".to_owned()),
        description: None,
        parent_path: None,
    };
    let created = workspace.genie.create_space(&request).await;
    let space_id = created.expect("the space is created").space_id;
    let listed = workspace.genie.list_spaces().await.expect("spaces list");
    assert!(!listed.is_empty());
    let answer = workspace
        .genie
        .ask(&space_id, QUESTION, Duration::from_secs(20))
        .await;
    answer.expect("the question is answered");
    let options = StatementOptions::new(sim.warehouse_id());
    let rows = workspace.sql.execute(COUNT_SQL, &options).await;
    assert_eq!(rows.expect("the statement runs").row_count(), 1);
}

// --- the token never leaks from the clients --------------------------------------------------

#[tokio::test]
async fn a_pat_never_appears_in_trace_logs_or_in_an_auth_failure() {
    let logs = logs();
    let (token, wrong) = (canary(), canary());
    let sim = start_sim(&token, "unused-secret").await;
    let workspace = connect_with(
        &sim,
        Credentials::Pat(SecretString::from(token.clone())),
        fast_limiter(),
    );
    drive(&sim, &workspace).await;
    assert_clean(
        "the workspace client's Debug",
        &format!("{workspace:?}"),
        &[&token],
    );

    let refused = connect_with(
        &sim,
        Credentials::Pat(SecretString::from(wrong.clone())),
        fast_limiter(),
    );
    let error = refused
        .genie
        .list_spaces()
        .await
        .expect_err("a wrong token is refused");
    assert_eq!(error.status(), Some(401));
    let shown = format!("{error}\n{error:?}");
    assert_clean("a 401 error", &shown, &[&token, &wrong]);

    let captured = logs.text();
    assert!(
        captured.contains("request (Authorization redacted)") && captured.contains("TRACE"),
        "the logs were not captured at TRACE"
    );
    assert_clean("the TRACE logs", &captured, &[&token, &wrong]);
}

#[tokio::test]
async fn an_oauth_client_secret_never_appears_in_trace_logs_or_in_an_auth_failure() {
    let logs = logs();
    let (secret, wrong) = (canary(), canary());
    let sim = start_sim("sim-token", &secret).await;
    let workspace = connect_with(&sim, m2m(&secret), fast_limiter());
    drive(&sim, &workspace).await;

    let refused = connect_with(&sim, m2m(&wrong), fast_limiter());
    let error = refused
        .genie
        .list_spaces()
        .await
        .expect_err("a wrong secret is refused");
    let shown = format!("{error}\n{error:?}");
    assert_clean("a token-request error", &shown, &[&secret, &wrong]);
    assert_clean("the TRACE logs", &logs.text(), &[&secret, &wrong]);
}

#[tokio::test]
async fn a_github_token_never_appears_in_trace_logs_or_debug_output() {
    let logs = logs();
    let token = canary();
    let fake = LocalGitHub::start("acme", "genie", &token, "genie-bot")
        .await
        .expect("the local GitHub starts");
    let repo = RepoName::parse("acme/genie").expect("a repository name");
    let github = GitHub::new(&fake.url, SecretString::from(token.clone()), repo)
        .expect("the GitHub client builds");
    let login = github.login().await.expect("the token's login is read");
    assert_eq!(login.as_deref(), Some("genie-bot"));
    assert_clean(
        "the GitHub client's Debug",
        &format!("{github:?}"),
        &[&token],
    );

    let env = ActionEnv::from_vars([
        ("GITHUB_TOKEN".to_owned(), token.clone()),
        ("GITHUB_REPOSITORY".to_owned(), "acme/genie".to_owned()),
    ]);
    assert_eq!(
        env.token.as_ref().map(|t| t.expose_secret()),
        Some(token.as_str())
    );
    assert_clean(
        "the Actions environment's Debug",
        &format!("{env:?}"),
        &[&token],
    );
    assert_clean("the TRACE logs", &logs.text(), &[&token]);
}

// --- auth resolution errors and Debug output -------------------------------------------------

fn env_with(vars: &[(&str, &str)], files: &[(&str, &str)]) -> MapEnvironment {
    MapEnvironment {
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        files: files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect(),
    }
}

#[test]
fn auth_errors_and_resolved_configs_never_show_the_token() {
    let token = canary();
    let host = "https://adb-1.azuredatabricks.net";
    let cfg = "/home/ci/.databrickscfg";
    let cases: Vec<(&str, MapEnvironment)> = vec![
        ("no host", env_with(&[("DATABRICKS_TOKEN", &token)], &[])),
        (
            "a bad host",
            env_with(
                &[
                    ("DATABRICKS_HOST", "not a url"),
                    ("DATABRICKS_TOKEN", &token),
                ],
                &[],
            ),
        ),
        (
            "an incomplete M2M setup",
            env_with(
                &[
                    ("DATABRICKS_HOST", host),
                    ("DATABRICKS_AUTH_TYPE", "oauth-m2m"),
                    ("DATABRICKS_CLIENT_SECRET", &token),
                ],
                &[],
            ),
        ),
        (
            "an unknown auth type",
            env_with(
                &[
                    ("DATABRICKS_HOST", host),
                    ("DATABRICKS_TOKEN", &token),
                    ("DATABRICKS_AUTH_TYPE", "magic"),
                ],
                &[],
            ),
        ),
        (
            "a missing profile",
            env_with(
                &[
                    ("DATABRICKS_CONFIG_FILE", cfg),
                    ("DATABRICKS_CONFIG_PROFILE", "prod"),
                ],
                &[(cfg, &format!("[dev]\nhost = {host}\ntoken = {token}\n"))],
            ),
        ),
    ];
    for (case, env) in cases {
        let error = auth::resolve(&AuthSettings::default(), &env)
            .expect_err("the configuration is incomplete");
        assert_clean(case, &format!("{error}\n{error:?}"), &[&token]);
    }

    let env = env_with(
        &[("DATABRICKS_HOST", host), ("DATABRICKS_TOKEN", &token)],
        &[],
    );
    let config = auth::resolve(&AuthSettings::default(), &env).expect("a PAT setup resolves");
    assert!(matches!(config.credentials, Credentials::Pat(_)));
    assert_clean(
        "a resolved config's Debug",
        &format!("{config:?}"),
        &[&token],
    );
    let settings = AuthSettings {
        token: Some(SecretString::from(token.clone())),
        client_secret: Some(SecretString::from(token.clone())),
        ..AuthSettings::default()
    };
    assert_clean("auth settings' Debug", &format!("{settings:?}"), &[&token]);
}

#[test]
fn a_malformed_config_file_line_is_reported_without_its_secret() {
    let token = canary();
    let cfg = "/home/ci/.databrickscfg";
    for text in [
        format!("[DEFAULT]\nhost = https://h\ntoken {token}\n"),
        format!("[DEFAULT\ntoken = {token}\n"),
        format!("[DEFAULT]\n{token}\n"),
    ] {
        let env = env_with(&[("DATABRICKS_CONFIG_FILE", cfg)], &[(cfg, &text)]);
        let error =
            auth::resolve(&AuthSettings::default(), &env).expect_err("the file is malformed");
        assert_clean(
            "a config file syntax error",
            &format!("{error}\n{error:?}"),
            &[&token],
        );
    }
}

#[test]
fn a_panic_message_built_from_credential_holders_has_no_secret() {
    let token = canary();
    let config = auth::WorkspaceConfig {
        host: url::Url::parse("https://adb-1.azuredatabricks.net").expect("a URL"),
        credentials: Credentials::Pat(SecretString::from(token.clone())),
        warehouse_id: None,
        profile: None,
    };
    let env = ActionEnv::from_vars([("GENIE_GITOPS_GITHUB_TOKEN".to_owned(), token.clone())]);
    let payload = std::panic::catch_unwind(|| panic!("unexpected state: {config:?} {env:?}"))
        .expect_err("the closure panics");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.starts_with("unexpected state"), "{message}");
    assert_clean("a panic message", &message, &[&token]);
}

// --- the commands, as processes --------------------------------------------------------------

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary at TRACE with `token` as DATABRICKS_TOKEN and `github_token` in every GitHub
/// token variable (off the async threads, so the in-process simulator keeps serving).
async fn run_cli(sim: &SimHandle, token: &str, github_token: &str, args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("a temporary HOME");
    let home_path = home.path().to_path_buf();
    let host = sim.base_url().to_owned();
    let (token, github_token) = (token.to_owned(), github_token.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("genie-gitops")
            .expect("the binary is built")
            .env_clear()
            .env("HOME", home_path)
            .env("DATABRICKS_HOST", host)
            .env("DATABRICKS_TOKEN", token)
            .env("GITHUB_TOKEN", &github_token)
            .env("GENIE_GITOPS_GITHUB_TOKEN", &github_token)
            .env("GENIE_GITOPS_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the blocking task finishes");
    drop(home);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spaces_and_sql_commands_never_print_a_token() {
    let (token, github_token, wrong) = (canary(), canary(), canary());
    let sim = start_sim(&token, "unused-secret").await;
    let warehouse = sim.warehouse_id();
    let bad_sql = "SELECT nope FROM main.wanderbricks.bookings";
    let runs: Vec<(&str, &str, Vec<&str>, i32)> = vec![
        ("spaces list", &token, vec!["spaces", "list"], 0),
        (
            "spaces list --output json",
            &token,
            vec!["spaces", "list", "--output", "json"],
            0,
        ),
        (
            "sql",
            &token,
            vec!["sql", COUNT_SQL, "--warehouse-id", &warehouse],
            0,
        ),
        (
            "a failing sql",
            &token,
            vec!["sql", bad_sql, "--warehouse-id", &warehouse],
            1,
        ),
        (
            "spaces list with a wrong token",
            &wrong,
            vec!["spaces", "list"],
            1,
        ),
    ];
    for (what, used, args, expected_code) in runs {
        let run = run_cli(&sim, used, &github_token, &args).await;
        assert_eq!(run.code, expected_code, "{what}: {}", run.stderr);
        let secrets = [token.as_str(), github_token.as_str(), wrong.as_str()];
        assert_clean(&format!("{what} (stdout)"), &run.stdout, &secrets);
        assert_clean(&format!("{what} (stderr)"), &run.stderr, &secrets);
        assert!(
            run.stderr.contains("TRACE") || run.stderr.contains("DEBUG"),
            "{what}: the run did not log at TRACE, so it proves nothing:\n{}",
            run.stderr
        );
    }
}

// --- benchmarks cannot carry writes ----------------------------------------------------------

/// Every data-changing statement shape, as benchmark ground truth.
const WRITES: &[(&str, &str)] = &[
    ("insert", "INSERT INTO main.x.t VALUES (1)"),
    (
        "insert_select",
        "INSERT OVERWRITE main.x.t SELECT * FROM main.x.s",
    ),
    ("update", "UPDATE main.x.t SET a = 1 WHERE b = 2"),
    (
        "delete",
        "DELETE FROM ${catalog}.${schema}.bookings WHERE 1 = 1",
    ),
    (
        "merge",
        "MERGE INTO main.x.t USING main.x.s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a",
    ),
    ("drop", "DROP TABLE main.x.t"),
    ("create", "CREATE TABLE main.x.t AS SELECT 1 AS a"),
    (
        "create_view",
        "CREATE OR REPLACE VIEW main.x.v AS SELECT 1 AS a",
    ),
    ("alter", "ALTER TABLE main.x.t ADD COLUMN c INT"),
    ("truncate", "TRUNCATE TABLE main.x.t"),
    ("grant", "GRANT SELECT ON TABLE main.x.t TO `someone`"),
    ("revoke", "REVOKE SELECT ON TABLE main.x.t FROM `someone`"),
    ("comment", "COMMENT ON TABLE main.x.t IS 'owned'"),
    ("cte_write", "WITH gone AS (DELETE FROM main.x.t) SELECT 1"),
    ("select_into", "SELECT * INTO main.x.copy FROM main.x.t"),
    ("two_statements", "SELECT 1; DROP TABLE main.x.t"),
    (
        "commented_write",
        "SELECT 1 /* harmless */; -- then\nDELETE FROM main.x.t",
    ),
];

fn benchmark_file(id: &str, sql: &str) -> String {
    let indented: String = sql.lines().map(|l| format!("      {l}\n")).collect();
    format!(
        "wanderbricks:\n  - id: \"{id}\"\n    question: \"Anything?\"\n    category: \"aggregation\"\n    \
         expected_asset: \"TABLE\"\n    expected_sql: |\n{indented}"
    )
}

#[test]
fn a_read_only_benchmark_loads() {
    let text = benchmark_file("read_only", COUNT_SQL);
    let loaded = benchmarks::load("golden-queries.yaml", &text);
    assert!(loaded.is_ok(), "{loaded:?}");
}

#[test]
fn every_write_statement_in_a_benchmark_is_rejected_at_load() {
    for (id, sql) in WRITES {
        let text = benchmark_file(id, sql);
        let Err(diagnostics) = benchmarks::load("golden-queries.yaml", &text) else {
            panic!("`{id}` loaded: {sql}");
        };
        let about_sql = diagnostics
            .iter()
            .any(|d| d.is_error() && d.to_string().contains(&format!("expected_sql of `{id}`")));
        assert!(
            about_sql,
            "`{id}` was refused for another reason: {diagnostics:?}"
        );
    }
}

// --- no shell command receives question or SQL text -----------------------------------------

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every line of `src/` that starts or names a process: (file, trimmed line) → line numbers.
fn process_call_sites() -> BTreeMap<(String, String), Vec<usize>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sites: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for file in rust_files(&root.join("src")) {
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        let relative = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let starts_process = code.contains("Command::new")
                || code.contains("process::Command")
                || code.contains("process::{")
                || code.contains("tokio::process")
                || code.contains("std::os::unix::process")
                || code.contains("libc::exec");
            if starts_process {
                let key = (relative.clone(), line.trim().to_owned());
                sites.entry(key).or_default().push(index + 1);
            }
        }
    }
    sites
}

/// The only process genie-gitops starts is `git`, in `git::remote::Remote::run`, for
/// `ls-remote`, `fetch` and `push`. Its arguments are fixed flags, the remote URL (from the
/// Actions environment or configuration), branch names and refs the tool builds itself, and
/// commit ids; the token travels in `GIT_CONFIG_*` environment variables. No shell is involved
/// (`Command` runs the program directly, so nothing is ever interpreted), and `remote.rs` never
/// sees a question, a benchmark or SQL. Any new call site fails this test until it is reviewed
/// and added here with the same reasoning.
///
/// `deploy --mode bundle` (`src/deploy/execute.rs`) runs the Databricks CLI as
/// `databricks bundle deploy -t <target>`: fixed words and the bundle target's name, in the
/// bundle's directory, stdin closed.
/// `genie-gitops bench` (`src/bench/`) starts two more, never with a question or SQL: this
/// binary as `sim serve --port 0 --target dev --repo <temp dir> --faults <temp file>`, and
/// `python3 <temp script> <temp gold.csv> <temp actual.csv>` over generated numbers, dates and
/// `city-N` names.
#[test]
fn no_process_in_src_receives_question_or_sql_text() {
    let sites = process_call_sites();
    let found: Vec<(String, String)> = sites.keys().cloned().collect();
    let expected = [
        (
            "src/bench/optimize.rs",
            "let mut child = Command::new(&self.binary)",
        ),
        (
            "src/bench/optimize.rs",
            "use std::process::{Child, Command, Stdio};",
        ),
        (
            "src/bench/pandas.rs",
            "let output = match Command::new(\"python3\")",
        ),
        ("src/bench/pandas.rs", "use std::process::Command;"),
        (
            "src/deploy/execute.rs",
            "let output = tokio::process::Command::new(&self.program)",
        ),
        ("src/git/remote.rs", "let mut cmd = Command::new(\"git\");"),
        ("src/git/remote.rs", "use std::process::{Command, Output};"),
    ]
    .map(|(file, line)| (file.to_owned(), line.to_owned()));
    assert_eq!(
        found, expected,
        "process call sites changed ({sites:?}): review them for question/SQL text and update \
         this test"
    );
    assert!(sites.values().all(|lines| lines.len() == 1), "{sites:?}");

    let remote = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/git/remote.rs"))
        .expect("src/git/remote.rs is readable");
    let lower = remote.to_lowercase();
    for word in ["question", "sql", "benchmark"] {
        assert!(!lower.contains(word), "src/git/remote.rs mentions `{word}`");
    }
    for shell in ["sh -c", "\"sh\"", "\"bash\"", "\"-c\""] {
        assert!(
            !remote.contains(shell),
            "src/git/remote.rs starts a shell (`{shell}`)"
        );
    }
    let runs = remote.matches("self.run(").count();
    assert_eq!(
        runs, 4,
        "git runs only for ls-remote (of branches or one ref), fetch and push"
    );

    let deploy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/deploy/execute.rs"
    ))
    .expect("src/deploy/execute.rs is readable");
    assert!(
        deploy.contains(r#"["bundle", "deploy", "-t", &self.target]"#),
        "the bundle command's arguments changed: review them"
    );
}
