//! Throughput of the Genie question limiter under injected rate limiting: workers share one
//! [`QuestionLimiter`] configured for 600 questions per minute with 4 in flight (the 5/min
//! production rate sped up 120×, every time constant scaled alike: a 10 ms default backoff
//! stands for 1.2 s). One start in five is refused with a 429 (half with a 10 ms
//! `Retry-After`, half without); an accepted question stays open 380 ms, as if Genie were
//! answering. The figure is the accepted rate as a share of the configured rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::databricks::limiter::{LimiterConfig, QuestionLimiter};

/// Questions per minute the limiter is configured for.
pub const RATE_PER_MINUTE: f64 = 600.0;
/// Questions open at once.
pub const MAX_IN_FLIGHT: usize = 4;
const WORKERS: usize = 8;
const ANSWER_TIME: Duration = Duration::from_millis(380);
const REJECT_ONE_IN: u64 = 5;
const WARM_UP: Duration = Duration::from_secs(1);

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LimiterRun {
    pub seconds: f64,
    pub attempts: u64,
    pub refused: u64,
    pub accepted: u64,
    /// Accepted questions per minute.
    pub rate_per_minute: f64,
    /// `rate_per_minute` ÷ [`RATE_PER_MINUTE`].
    pub share_of_configured: f64,
    pub peak_in_flight: usize,
    pub mean_in_flight: f64,
}

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

/// Runs the workers for `duration` (at least two seconds make a meaningful rate).
pub async fn run(duration: Duration) -> anyhow::Result<LimiterRun> {
    let limiter = QuestionLimiter::new(LimiterConfig {
        questions_per_minute: RATE_PER_MINUTE,
        max_in_flight: MAX_IN_FLIGHT,
        default_backoff: Duration::from_millis(10),
    });
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let stop_at = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        tasks.spawn(worker(limiter.clone(), Arc::clone(&stats), stop_at));
    }
    tasks.spawn(sample_in_flight(
        Arc::clone(&stats),
        started + WARM_UP.min(duration / 2),
        stop_at,
    ));
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| anyhow::anyhow!("a limiter worker failed: {e}"))?;
    }
    let seconds = duration.as_secs_f64();
    let accepted = stats.accepted.load(Ordering::SeqCst);
    let rate_per_minute = accepted as f64 / (seconds / 60.0);
    let samples = stats.open_samples.load(Ordering::SeqCst).max(1);
    Ok(LimiterRun {
        seconds,
        attempts: stats.attempts.load(Ordering::SeqCst),
        refused: stats.rejected.load(Ordering::SeqCst),
        accepted,
        rate_per_minute,
        share_of_configured: rate_per_minute / RATE_PER_MINUTE,
        peak_in_flight: stats.peak_open.load(Ordering::SeqCst),
        mean_in_flight: stats.open_sum.load(Ordering::SeqCst) as f64 / samples as f64,
    })
}
