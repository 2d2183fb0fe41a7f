//! Throughput of the Genie question limiter under injected rate limiting.
//!
//! `cargo bench --bench limiter`: 8 workers share one limiter configured for 600 questions per
//! minute with 4 in flight (the 5/min production rate sped up 120×, so every time constant is
//! scaled the same way: a 10 ms default backoff stands for 1.2 s). One start in five is refused
//! with a 429 (half with a 10 ms `Retry-After`, half without); an accepted question stays open
//! for 380 ms, as if Genie were answering. Prints the accepted rate as a share of the configured
//! rate, the peak and mean questions in flight, and fails if the rate is below 95 % or the
//! in-flight bound is broken.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use genie_gitops::databricks::limiter::{LimiterConfig, QuestionLimiter};
use tokio::time::Instant;

const RATE_PER_MINUTE: f64 = 600.0;
const MAX_IN_FLIGHT: usize = 4;
const WORKERS: usize = 8;
const RUN: Duration = Duration::from_secs(8);
const ANSWER_TIME: Duration = Duration::from_millis(380);
const REJECT_ONE_IN: u64 = 5;

/// Counters shared by the workers.
#[derive(Default)]
struct Stats {
    attempts: AtomicU64,
    rejected: AtomicU64,
    accepted: AtomicU64,
    open: AtomicUsize,
    peak_open: AtomicUsize,
    open_samples: AtomicU64,
    open_sum: AtomicU64,
}

/// A deterministic stream deciding which starts are refused (exactly one in five, spread out).
fn refused(attempt: u64) -> bool {
    let mixed = attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    mixed.is_multiple_of(REJECT_ONE_IN)
}

async fn worker(limiter: QuestionLimiter, stats: Arc<Stats>, stop_at: Instant) {
    while Instant::now() < stop_at {
        let mut permit = limiter.acquire().await;
        loop {
            let attempt = stats.attempts.fetch_add(1, Ordering::SeqCst);
            if !refused(attempt) {
                break;
            }
            stats.rejected.fetch_add(1, Ordering::SeqCst);
            let retry_after = attempt
                .is_multiple_of(2)
                .then_some(Duration::from_millis(10));
            permit.rejected(retry_after).await;
        }
        if Instant::now() >= stop_at {
            return;
        }
        stats.accepted.fetch_add(1, Ordering::SeqCst);
        let open = stats.open.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak_open.fetch_max(open, Ordering::SeqCst);
        tokio::time::sleep(ANSWER_TIME).await;
        stats.open.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
    }
}

async fn sample_in_flight(stats: Arc<Stats>, from: Instant, stop_at: Instant) {
    tokio::time::sleep_until(from).await;
    while Instant::now() < stop_at {
        stats
            .open_sum
            .fetch_add(stats.open.load(Ordering::SeqCst) as u64, Ordering::SeqCst);
        stats.open_samples.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() {
    let limiter = QuestionLimiter::new(LimiterConfig {
        questions_per_minute: RATE_PER_MINUTE,
        max_in_flight: MAX_IN_FLIGHT,
        default_backoff: Duration::from_millis(10),
    });
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let stop_at = started + RUN;
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        tasks.push(tokio::spawn(worker(
            limiter.clone(),
            Arc::clone(&stats),
            stop_at,
        )));
    }
    let warm = started + Duration::from_secs(1);
    tasks.push(tokio::spawn(sample_in_flight(
        Arc::clone(&stats),
        warm,
        stop_at,
    )));
    for task in tasks {
        if let Err(e) = task.await {
            eprintln!("a worker failed: {e}");
            std::process::exit(1);
        }
    }
    let minutes = RUN.as_secs_f64() / 60.0;
    let accepted = stats.accepted.load(Ordering::SeqCst);
    let rejected = stats.rejected.load(Ordering::SeqCst);
    let attempts = stats.attempts.load(Ordering::SeqCst);
    let rate = accepted as f64 / minutes;
    let share = rate / RATE_PER_MINUTE;
    let peak = stats.peak_open.load(Ordering::SeqCst);
    let samples = stats.open_samples.load(Ordering::SeqCst).max(1);
    let mean_open = stats.open_sum.load(Ordering::SeqCst) as f64 / samples as f64;
    println!(
        "limiter: configured {RATE_PER_MINUTE:.0}/min, {MAX_IN_FLIGHT} in flight, {:.0} s run",
        RUN.as_secs_f64()
    );
    println!(
        "limiter: {attempts} starts, {rejected} refused with 429 ({:.1} %), {accepted} accepted",
        100.0 * rejected as f64 / attempts.max(1) as f64
    );
    println!(
        "limiter: sustained {rate:.1}/min = {:.1} % of the configured rate",
        100.0 * share
    );
    println!("limiter: in flight peak {peak}, mean {mean_open:.2} (bound {MAX_IN_FLIGHT})");
    if share < 0.95 || peak > MAX_IN_FLIGHT {
        eprintln!(
            "limiter: FAILED (needs >= 95 % of the rate and at most {MAX_IN_FLIGHT} in flight)"
        );
        std::process::exit(1);
    }
}
