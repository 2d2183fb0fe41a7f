//! The end-to-end optimize benchmark: `optimize` over the Wanderbricks fixture, run in this
//! process against the simulator in a child process (`genie-gitops sim serve`), so this
//! process's CPU time is the tool's own and none of the simulator's.
//!
//! **Latency model.** Genie takes 10 s per answer (the middle of the 5–15 s users see: 6 s
//! thinking in ASKING_AI, 0.8 s in each of the other five status steps), a SQL statement 1 s,
//! and the workspace accepts 5 questions per minute. Every time constant — those latencies,
//! the rate limit on both sides and the client's backoff unit and retry budget — is divided by
//! the time factor, so the run takes minutes of modelled time in seconds of real time. The
//! modelled wall time is the real elapsed time × the factor. The tool's CPU time is *not*
//! scaled (the tool does the same work however long it waits), so its share of the modelled
//! wall time is what a real run would see; its share of the real elapsed time is an upper
//! bound also reported.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use super::process::cpu_seconds;
use crate::databricks::Workspace;
use crate::databricks::auth::{self, AuthSettings, MapEnvironment};
use crate::databricks::http::RetryPolicy;
use crate::databricks::limiter::{LimiterConfig, QuestionLimiter};
use crate::git::fs::load_dir;
use crate::runner::optimize::{CheckpointFile, Finish, Options, Workspaces, prepare, run};

/// Genie's answer time in the model.
pub const ANSWER_SECONDS: f64 = 10.0;
/// A SQL statement's run time in the model.
pub const STATEMENT_SECONDS: f64 = 1.0;
/// The workspace's Genie questions per minute (the free API tier).
pub const QUESTIONS_PER_MINUTE: f64 = 5.0;
/// Questions open at once (the settings' default `genie.concurrency`).
const CONCURRENCY: u32 = 2;

/// The latency model's speed-up and the run's question cap.
#[derive(Debug, Clone)]
pub struct OptimizeBench {
    /// Every time constant is divided by this.
    pub time_factor: u32,
    /// Stop after this many Genie questions (`--short`); `None` runs to the end.
    pub max_questions: Option<usize>,
    /// The `genie-gitops` binary that serves the simulator.
    pub binary: PathBuf,
    /// The fixture repository (`fixtures/wanderbricks`).
    pub fixture: PathBuf,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizeRun {
    pub time_factor: u32,
    /// Genie questions asked.
    pub questions: usize,
    /// The seed system's schedule for the same loop; `None` when the run was capped.
    pub seed_schedule: Option<usize>,
    pub real_seconds: f64,
    /// `real_seconds` × the time factor.
    pub modelled_seconds: f64,
    /// The rate-limit floor: questions ÷ 5 per minute, in modelled seconds.
    pub floor_seconds: f64,
    /// The tool's CPU seconds (this process), unscaled.
    pub cpu_seconds: f64,
}

impl OptimizeRun {
    /// Questions spent as a share of the seed system's schedule.
    pub fn share_of_seed(&self) -> Option<f64> {
        self.seed_schedule
            .filter(|s| *s > 0)
            .map(|s| self.questions as f64 / s as f64)
    }

    /// Modelled wall time ÷ the rate-limit floor.
    pub fn wall_over_floor(&self) -> f64 {
        self.modelled_seconds / self.floor_seconds.max(f64::MIN_POSITIVE)
    }

    /// The tool's CPU time as a share of the modelled wall time (the figure with a target).
    pub fn cpu_share_modelled(&self) -> f64 {
        self.cpu_seconds / self.modelled_seconds.max(f64::MIN_POSITIVE)
    }

    /// The tool's CPU time as a share of the real elapsed time (an upper bound).
    pub fn cpu_share_real(&self) -> f64 {
        self.cpu_seconds / self.real_seconds.max(f64::MIN_POSITIVE)
    }
}

/// The simulator child; killed when dropped.
struct SimChild {
    child: Child,
    host: String,
}

impl Drop for SimChild {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            tracing::debug!("the simulator child had already stopped: {e}");
        }
        let _ = self.child.wait();
    }
}

impl OptimizeBench {
    /// Runs the benchmark.
    pub async fn run(&self) -> anyhow::Result<OptimizeRun> {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let repo = dir.path().join("repo");
        copy_dir(&self.fixture, &repo)?;
        std::fs::write(repo.join(".genie-gitops.yml"), self.settings())
            .context("cannot write the bench settings")?;
        let faults = dir.path().join("faults.yaml");
        std::fs::write(&faults, self.faults()).context("cannot write the faults file")?;
        let sim = self.start_simulator(&repo, &faults).await?;
        let workspace = self.workspace(&sim.host)?;
        let snapshot = load_dir(&repo)?;
        let prepared = prepare(&snapshot, &Options::default())
            .map_err(|e| anyhow::anyhow!("the fixture does not prepare: {e}"))?;
        let workspaces = Workspaces {
            main: &workspace,
            dev: Some(&workspace),
        };
        let checkpoint = CheckpointFile(dir.path().join("checkpoint.json"));
        let cpu_before = cpu_seconds().context("/proc/self/stat is not readable (Linux only)")?;
        let started = Instant::now();
        let finish = run(
            &prepared,
            &workspaces,
            &checkpoint,
            None,
            self.max_questions,
        )
        .await?;
        let real_seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds().unwrap_or(cpu_before) - cpu_before;
        drop(sim);
        let (questions, seed_schedule) = match finish {
            Finish::Done(summary) => (summary.questions_asked, Some(summary.seed_schedule)),
            Finish::Paused { asked } => (asked, None),
        };
        let factor = f64::from(self.time_factor);
        Ok(OptimizeRun {
            time_factor: self.time_factor,
            questions,
            seed_schedule,
            real_seconds,
            modelled_seconds: real_seconds * factor,
            floor_seconds: questions as f64 / QUESTIONS_PER_MINUTE * 60.0,
            cpu_seconds: cpu,
        })
    }

    fn scaled_ms(&self, seconds: f64) -> u64 {
        (seconds * 1000.0 / f64::from(self.time_factor.max(1))).round() as u64
    }

    fn questions_per_minute(&self) -> u32 {
        (QUESTIONS_PER_MINUTE * f64::from(self.time_factor.max(1))).round() as u32
    }

    /// The fixture's settings with the scaled question rate and the workspace as dev target.
    fn settings(&self) -> String {
        format!(
            "version: 1\nspaces:\n  wanderbricks:\n    benchmarks:\n      - benchmarks/golden-queries.yaml\n\
             dev_target: dev\n\
             thresholds:\n  min_accuracy: 0.9\n  max_regressions: 0\n  p0_must_pass: true\n\
             evaluation:\n  as_of: \"2025-06-30\"\n\
             genie:\n  questions_per_minute: {}\n  concurrency: {CONCURRENCY}\n\
             optimize:\n  allow_benchmark_examples: true\n",
            self.questions_per_minute()
        )
    }

    /// The simulator's latency and rate limit, scaled.
    fn faults(&self) -> String {
        let other_step = self.scaled_ms((ANSWER_SECONDS - 6.0) / 5.0);
        format!(
            "step_latency_ms: {other_step}\nlatency_ms:\n  ASKING_AI: {}\nstatement_latency_ms: {}\nquestions_per_minute: {}\n",
            self.scaled_ms(6.0),
            self.scaled_ms(STATEMENT_SECONDS),
            self.questions_per_minute()
        )
    }

    /// Starts `genie-gitops sim serve` on a free port and reads the host it prints.
    async fn start_simulator(&self, repo: &Path, faults: &Path) -> anyhow::Result<SimChild> {
        let mut child = Command::new(&self.binary)
            .args(["sim", "serve", "--port", "0", "--target", "dev", "--repo"])
            .arg(repo)
            .arg("--faults")
            .arg(faults)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {} sim serve", self.binary.display()))?;
        let stdout = child.stdout.take().context("no stdout from sim serve")?;
        let host = tokio::task::spawn_blocking(move || read_host(stdout)).await??;
        Ok(SimChild { child, host })
    }

    /// A client whose backoff and budget are scaled like the latencies.
    fn workspace(&self, host: &str) -> anyhow::Result<Workspace> {
        let mut env = MapEnvironment::default();
        env.vars.insert("DATABRICKS_HOST".into(), host.to_owned());
        env.vars
            .insert("DATABRICKS_TOKEN".into(), "sim-token".into());
        let config = auth::resolve(&AuthSettings::default(), &env)?;
        let factor = self.time_factor.max(1);
        let defaults = RetryPolicy::default();
        let policy = RetryPolicy {
            budget: defaults.budget / factor,
            request_timeout: defaults.request_timeout,
            backoff_unit: defaults.backoff_unit / factor,
        };
        let limiter = QuestionLimiter::new(LimiterConfig {
            questions_per_minute: f64::from(self.questions_per_minute()),
            max_in_flight: CONCURRENCY as usize,
            default_backoff: Duration::from_secs(1) / factor,
        });
        Ok(Workspace::connect(&config, policy, limiter)?)
    }
}

/// The `host: URL` line `sim serve` prints first. The rest of its output is drained on a
/// thread of its own, so the simulator never writes into a closed pipe.
fn read_host(stdout: std::process::ChildStdout) -> anyhow::Result<String> {
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.context("cannot read sim serve's output")?;
        if let Some(host) = line.strip_prefix("host: ") {
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(host.trim().to_owned());
        }
    }
    bail!("sim serve stopped before printing its host")
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
