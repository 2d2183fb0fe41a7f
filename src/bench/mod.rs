//! `genie-gitops bench`: the performance figures of issue 8, measured in one run and set
//! against their targets — Genie questions, wall time and CPU share of an end-to-end optimize
//! on the simulator, result comparison at 10k–1M rows beside a pandas baseline, and the
//! question limiter's throughput under injected 429s. `docs/performance.md` explains each
//! figure and records the latest numbers. The `benches/` harnesses call the same code.
//!
//! This module measures: it reads the clock, `/proc` and child processes, so it sits with the
//! adapters, not the pure core.

pub mod compare;
pub mod limiter;
pub mod optimize;
pub mod pandas;
pub mod process;
pub mod rng;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use self::limiter::LimiterRun;
use self::optimize::{OptimizeBench, OptimizeRun};
use self::pandas::Pandas;

/// Targets (issue 8).
pub const TARGET_SEED_SHARE: f64 = 0.40;
pub const TARGET_CPU_SHARE: f64 = 0.02;
pub const TARGET_COMPARE_1M_SECONDS: f64 = 2.0;
pub const TARGET_PEAK_RSS_MIB: u64 = 1024;
pub const TARGET_PANDAS_SPEEDUP: f64 = 10.0;
pub const TARGET_THROUGHPUT_SHARE: f64 = 0.95;
pub const TARGET_DEMO_SECONDS: f64 = 15.0;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Small sizes and a capped optimize run: seconds, for CI.
    pub short: bool,
    /// The `genie-gitops` binary (serves the simulator in a child process).
    pub binary: PathBuf,
    /// The fixture repository the optimize run starts from.
    pub fixture: PathBuf,
}

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Missed,
    /// A figure without a target, or a target this mode does not judge.
    Info,
    /// The figure could not be measured here (pandas missing, not Linux, …).
    Unavailable,
}

impl Status {
    fn judge(met: bool) -> Self {
        if met { Status::Met } else { Status::Missed }
    }

    fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "MISSED",
            Status::Info => "—",
            Status::Unavailable => "n/a",
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub measure: String,
    pub measured: String,
    pub target: String,
    pub status: Status,
}

/// One comparator size.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRun {
    pub rows: usize,
    /// Wall-clock seconds of the comparison.
    pub seconds: f64,
    /// CPU seconds of the comparison, when `/proc` says.
    pub cpu_seconds: Option<f64>,
    /// Wall-clock and CPU seconds of the pandas comparison; `None` when pandas is missing.
    pub pandas_seconds: Option<f64>,
    pub pandas_cpu_seconds: Option<f64>,
}

impl CompareRun {
    /// How many times faster than pandas: by CPU time when both sides have it (other
    /// processes on a shared machine then do not distort it), else by wall time.
    pub fn speedup(&self) -> Option<f64> {
        let ratio = |theirs: f64, ours: f64| theirs / ours.max(f64::MIN_POSITIVE);
        match (self.pandas_cpu_seconds, self.cpu_seconds) {
            (Some(theirs), Some(ours)) if ours > 0.0 => Some(ratio(theirs, ours)),
            _ => self
                .pandas_seconds
                .map(|theirs| ratio(theirs, self.seconds)),
        }
    }
}

/// Everything one bench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// `short` or `full`.
    pub mode: &'static str,
    /// `debug` or `release`: the build that measured.
    pub build: &'static str,
    pub rows: Vec<Row>,
    pub optimize: OptimizeRun,
    pub compare: Vec<CompareRun>,
    /// Peak resident memory of this process after the comparisons (inputs included).
    pub compare_peak_rss_mib: Option<u64>,
    pub limiter: LimiterRun,
}

impl BenchReport {
    /// Whether any judged figure missed its target.
    pub fn missed(&self) -> bool {
        self.rows.iter().any(|r| r.status == Status::Missed)
    }

    /// The table, for a terminal or a markdown file.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "genie-gitops bench ({} mode, {} build)\n\n| measure | measured | target | status |\n|---|---|---|---|\n",
            self.mode, self.build
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.measure,
                row.measured,
                row.target,
                row.status.label()
            );
        }
        out
    }
}

/// Runs every measurement, the optimize run last (its simulator is a child process, so the
/// comparisons' memory peak is this process's alone).
pub async fn run(options: &Options) -> anyhow::Result<BenchReport> {
    let sizes: &[usize] = if options.short {
        &compare::SHORT_SIZES
    } else {
        &compare::FULL_SIZES
    };
    let compares = measure_compare(sizes)?;
    let compare_peak_rss_mib = process::peak_rss_mib();
    let limiter_time = if options.short { 3 } else { 8 };
    let limiter = limiter::run(Duration::from_secs(limiter_time)).await?;
    let bench = OptimizeBench {
        time_factor: if options.short { 1000 } else { 100 },
        max_questions: options.short.then_some(24),
        binary: options.binary.clone(),
        fixture: options.fixture.clone(),
    };
    let optimize = bench.run().await.context("the optimize benchmark failed")?;
    let mut rows = optimize_rows(&optimize, options.short);
    rows.extend(compare_rows(&compares, compare_peak_rss_mib, options.short));
    rows.push(limiter_row(&limiter, options.short));
    let demo_seconds = if options.short {
        None
    } else {
        Some(time_demo().await.context("the demo benchmark failed")?)
    };
    rows.push(demo_row(demo_seconds));
    Ok(BenchReport {
        mode: if options.short { "short" } else { "full" },
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        rows,
        optimize,
        compare: compares,
        compare_peak_rss_mib,
        limiter,
    })
}

/// Times the comparator and pandas at each size.
fn measure_compare(sizes: &[usize]) -> anyhow::Result<Vec<CompareRun>> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut runs = Vec::new();
    for &rows in sizes {
        let (gold, actual) = compare::pair(rows);
        let timing = compare::time_compare(&gold, &actual)?;
        let (pandas_seconds, pandas_cpu_seconds) =
            match pandas::time_pandas(&gold, &actual, dir.path())? {
                Pandas::Timed {
                    seconds,
                    cpu_seconds,
                } => (Some(seconds), Some(cpu_seconds)),
                Pandas::Unavailable => (None, None),
            };
        runs.push(CompareRun {
            rows,
            seconds: timing.wall.as_secs_f64(),
            cpu_seconds: timing.cpu_seconds,
            pandas_seconds,
            pandas_cpu_seconds,
        });
    }
    Ok(runs)
}

/// In `--short` mode timing targets are shown but not judged (a debug build on a loaded CI
/// machine says nothing about them).
fn timed(short: bool, met: bool) -> Status {
    if short {
        Status::Info
    } else {
        Status::judge(met)
    }
}

fn optimize_rows(run: &OptimizeRun, short: bool) -> Vec<Row> {
    let questions = match (run.seed_schedule, run.share_of_seed()) {
        (Some(seed), Some(share)) => Row {
            measure: "optimize: Genie questions vs the seed system's schedule".into(),
            measured: format!("{} of {seed} ({:.0}%)", run.questions, share * 100.0),
            target: format!("≤ {:.0}%", TARGET_SEED_SHARE * 100.0),
            status: Status::judge(share <= TARGET_SEED_SHARE),
        },
        _ => Row {
            measure: "optimize: Genie questions vs the seed system's schedule".into(),
            measured: format!("{} (run capped: no schedule)", run.questions),
            target: format!("≤ {:.0}%", TARGET_SEED_SHARE * 100.0),
            status: Status::Unavailable,
        },
    };
    let wall = Row {
        measure: format!(
            "optimize: modelled wall time vs the rate-limit floor (×{} time factor)",
            run.time_factor
        ),
        measured: format!(
            "{:.1} min vs {:.1} min floor ({:.2}×; real {:.1} s)",
            run.modelled_seconds / 60.0,
            run.floor_seconds / 60.0,
            run.wall_over_floor(),
            run.real_seconds
        ),
        target: "the floor: questions ÷ 5/min".into(),
        status: Status::Info,
    };
    let cpu = Row {
        measure: "optimize: the tool's CPU time as a share of wall time".into(),
        measured: format!(
            "{:.2}% of modelled ({:.2} s CPU; {:.1}% of real elapsed)",
            run.cpu_share_modelled() * 100.0,
            run.cpu_seconds,
            run.cpu_share_real() * 100.0
        ),
        target: format!("≤ {:.0}%", TARGET_CPU_SHARE * 100.0),
        status: timed(short, run.cpu_share_modelled() <= TARGET_CPU_SHARE),
    };
    vec![questions, wall, cpu]
}

fn compare_rows(runs: &[CompareRun], peak_rss: Option<u64>, short: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for run in runs {
        let is_1m = run.rows == 1_000_000;
        rows.push(Row {
            measure: format!("compare {} rows × 5 columns", thousands(run.rows)),
            measured: match run.cpu_seconds {
                Some(cpu) => format!("{:.4} s ({cpu:.4} s CPU)", run.seconds),
                None => format!("{:.4} s", run.seconds),
            },
            target: if is_1m {
                format!("< {TARGET_COMPARE_1M_SECONDS:.0} s")
            } else {
                "—".into()
            },
            status: if is_1m {
                timed(short, run.seconds < TARGET_COMPARE_1M_SECONDS)
            } else {
                Status::Info
            },
        });
        rows.push(pandas_row(run, short));
    }
    rows.push(Row {
        measure: "compare: peak RSS (inputs included)".into(),
        measured: peak_rss.map_or("not available (Linux only)".into(), |mb| {
            format!("{mb} MiB")
        }),
        target: format!("< {TARGET_PEAK_RSS_MIB} MiB at 1M rows"),
        status: match peak_rss {
            None => Status::Unavailable,
            Some(mb) => timed(short, mb < TARGET_PEAK_RSS_MIB),
        },
    });
    rows
}

/// Runs the whole `demo` (zero latency) in a temporary directory; its wall-clock seconds.
async fn time_demo() -> anyhow::Result<f64> {
    let dir = tempfile::tempdir().context("cannot create a directory for the demo")?;
    let started = std::time::Instant::now();
    crate::runner::demo::run(Some(dir.path())).await?;
    Ok(started.elapsed().as_secs_f64())
}

fn demo_row(seconds: Option<f64>) -> Row {
    let measure = "the whole `demo` at zero latency".to_owned();
    let target = format!("< {TARGET_DEMO_SECONDS} s (release)");
    match seconds {
        Some(s) => Row {
            measure,
            measured: format!("{s:.1} s"),
            target,
            // A debug build says nothing about the release target.
            status: if cfg!(debug_assertions) {
                Status::Info
            } else {
                Status::judge(s < TARGET_DEMO_SECONDS)
            },
        },
        None => Row {
            measure,
            measured: "full mode only".into(),
            target,
            status: Status::Info,
        },
    }
}

fn pandas_row(run: &CompareRun, short: bool) -> Row {
    let measure = format!(
        "compare vs pandas sort-and-hash, {} rows",
        thousands(run.rows)
    );
    let target = format!("≥ {TARGET_PANDAS_SPEEDUP:.0}× faster");
    match (run.pandas_seconds, run.speedup()) {
        (Some(pandas), Some(speedup)) => Row {
            measure,
            measured: format!(
                "pandas {pandas:.4} s ({:.4} s CPU): {speedup:.1}× faster",
                run.pandas_cpu_seconds.unwrap_or(pandas)
            ),
            target,
            status: timed(short, speedup >= TARGET_PANDAS_SPEEDUP),
        },
        _ => Row {
            measure,
            measured: "pandas not available".into(),
            target,
            status: Status::Unavailable,
        },
    }
}

fn limiter_row(run: &LimiterRun, short: bool) -> Row {
    Row {
        measure: "throughput under 20% injected 429s".into(),
        measured: format!(
            "{:.1}% of {:.0}/min ({} of {} starts refused; peak {} in flight)",
            run.share_of_configured * 100.0,
            limiter::RATE_PER_MINUTE,
            run.refused,
            run.attempts,
            run.peak_in_flight
        ),
        target: format!(
            "≥ {:.0}%, ≤ {} in flight",
            TARGET_THROUGHPUT_SHARE * 100.0,
            limiter::MAX_IN_FLIGHT
        ),
        status: if run.peak_in_flight > limiter::MAX_IN_FLIGHT {
            Status::Missed
        } else {
            timed(short, run.share_of_configured >= TARGET_THROUGHPUT_SHARE)
        },
    }
}

/// 1000000 → "1,000,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn short_mode_shows_timing_targets_without_judging_them() {
        assert_eq!(timed(true, false), Status::Info);
        assert_eq!(timed(false, false), Status::Missed);
        assert_eq!(timed(false, true), Status::Met);
    }
}
