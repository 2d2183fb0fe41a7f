//! The tool's own CPU time per question (`cargo bench --bench overhead`), excluding Genie and
//! the warehouse: `evaluate` runs the Wanderbricks fixture (48 questions, conversation engine)
//! against the in-process simulator with zero latency. The simulator runs on its own runtime
//! and threads; the evaluation runs on a current-thread runtime on the main thread, whose CPU
//! time (`/proc/thread-self/schedstat`, nanoseconds) is the tool's overhead: preparing,
//! HTTP, polling, JSON, ground-truth bookkeeping, comparison, judges, ASI and reporting.
//! Target: < 5 ms per question. Linux only (prints a note elsewhere).

use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use genie_gitops::databricks::Workspace;
use genie_gitops::databricks::auth::{self, AuthSettings, MapEnvironment};
use genie_gitops::databricks::http::RetryPolicy;
use genie_gitops::databricks::limiter::{LimiterConfig, QuestionLimiter};
use genie_gitops::eval::scope::Scope;
use genie_gitops::git::fs::load_dir;
use genie_gitops::model::settings::Thresholds;
use genie_gitops::report::{self, markdown};
use genie_gitops::runner::evaluate::{Against, Options, prepare, run};
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::server::{Settings, spawn};
use genie_gitops::sim::workspace::SimWorkspace;
use secrecy::ExposeSecret;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const ROUNDS: usize = 5;

/// CPU nanoseconds this thread has run, when the kernel says.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Starts the simulator on its own runtime thread; returns its URL and token.
fn start_simulator() -> (String, String) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("simulator runtime");
        runtime.block_on(async move {
            let workspace =
                SimWorkspace::load(Path::new(FIXTURE), Some("dev"), 42, default_as_of())
                    .expect("the fixture loads");
            let sim = spawn(workspace.into_sim_config(Settings::default(), 0))
                .await
                .expect("the simulator starts");
            let id = sim
                .spaces()
                .get("wanderbricks")
                .cloned()
                .unwrap_or_default();
            tx.send((
                sim.base_url().to_string(),
                sim.token().expose_secret().to_string(),
                id,
            ))
            .expect("send");
            sim.wait().await;
        });
    });
    let (url, token, id) = rx.recv().expect("the simulator reports its address");
    (url, format!("{token}\n{id}"))
}

fn main() {
    let Some(_) = thread_cpu_ns() else {
        println!("overhead: /proc/thread-self/schedstat is not available; Linux only");
        return;
    };
    let (url, token_and_id) = start_simulator();
    let (token, space_id) = token_and_id.split_once('\n').unwrap_or_default();
    let repo_dir = tempfile::tempdir().expect("tempdir");
    copy_dir(Path::new(FIXTURE), repo_dir.path());
    let settings = format!(
        "version: 1\nspaces:\n  wanderbricks:\n    benchmarks:\n      - benchmarks/golden-queries.yaml\n    targets:\n      dev:\n        space_id: \"{space_id}\"\n\
         evaluation:\n  as_of: \"2025-06-30\"\ngenie:\n  questions_per_minute: 1000000\n  concurrency: 8\n"
    );
    std::fs::write(repo_dir.path().join(".genie-gitops.yml"), settings).expect("settings");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut env = MapEnvironment::default();
    env.vars.insert("DATABRICKS_HOST".into(), url);
    env.vars
        .insert("DATABRICKS_TOKEN".into(), token.to_string());
    let config = auth::resolve(&AuthSettings::default(), &env).expect("auth");
    let limiter = QuestionLimiter::new(LimiterConfig {
        questions_per_minute: 1_000_000.0,
        max_in_flight: 8,
        ..LimiterConfig::default()
    });
    let workspace = Workspace::connect(&config, RetryPolicy::default(), limiter).expect("client");

    println!("round | questions | wall ms | tool CPU ms | CPU ms / question");
    let mut per_question = Vec::new();
    for round in 1..=ROUNDS {
        let wall = Instant::now();
        let cpu = thread_cpu_ns().unwrap_or_default();
        let (questions, _chars) = runtime.block_on(async {
            let repo = load_dir(repo_dir.path()).expect("repo");
            let opts = Options {
                space: None,
                target: None,
                scope: Scope::Full,
                against: Against::Live,
                engine: None,
                repeat: None,
            };
            let prepared = prepare(&repo, &opts).expect("prepare");
            let mut ignore = |_: &genie_gitops::eval::results::QuestionResult| {};
            let results = run(&prepared, &workspace, repo_dir.path(), &mut ignore)
                .await
                .expect("run");
            let report = report::build(&results, &Thresholds::default(), None);
            let text =
                serde_json::to_string(&results).unwrap_or_default() + &markdown::render(&report);
            (results.questions.len(), text.len())
        });
        let cpu_ms = thread_cpu_ns().unwrap_or_default().saturating_sub(cpu) as f64 / 1e6;
        let each = cpu_ms / questions.max(1) as f64;
        per_question.push(each);
        println!(
            "{round:>5} | {questions:>9} | {:>7.1} | {cpu_ms:>11.1} | {each:>17.2}",
            wall.elapsed().as_secs_f64() * 1e3
        );
    }
    per_question.sort_by(f64::total_cmp);
    let median = per_question
        .get(per_question.len() / 2)
        .copied()
        .unwrap_or_default();
    println!("median tool CPU per question: {median:.2} ms (target < 5 ms)");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
