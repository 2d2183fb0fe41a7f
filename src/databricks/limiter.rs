//! The Genie question limiter: one per process, shared by every caller through a cheap
//! clone (an `Arc` inside), so an evaluation, a proposal measurement and a deploy check
//! together never exceed the workspace's questions-per-minute allowance (5/min on the free
//! API tier).
//!
//! Two bounds: questions *start* no faster than the configured rate, evenly spaced (no
//! bursts), and at most `max_in_flight` questions are open at once (from start until their
//! answer is final). A 429 on start-conversation refunds the start (the question was not
//! accepted) and pauses every caller for `Retry-After`; a `RATE_LIMIT_EXCEEDED_*` message
//! error pauses every caller without a refund (that question was accepted and counted).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How fast and how wide questions may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterConfig {
    /// Questions started per minute (default 5).
    pub questions_per_minute: f64,
    /// Questions open at once (default 5).
    pub max_in_flight: usize,
    /// Pause after a rate-limit signal that carries no `Retry-After` (default 1 s, as the SDKs).
    pub default_backoff: Duration,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self {
            questions_per_minute: 5.0,
            max_in_flight: 5,
            default_backoff: Duration::from_secs(1),
        }
    }
}

impl LimiterConfig {
    /// The even spacing between two starts.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(60.0 / self.questions_per_minute.max(f64::MIN_POSITIVE))
    }
}

/// The shared limiter handle. Clone it to share it.
#[derive(Debug, Clone)]
pub struct QuestionLimiter {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: LimiterConfig,
    in_flight: Arc<Semaphore>,
    pacer: Mutex<Pacer>,
}

#[derive(Debug)]
struct Pacer {
    /// The earliest instant the next question may start.
    next_start: Instant,
    /// No question starts before this instant (a rate-limit pause).
    paused_until: Instant,
}

/// The right to have one question open. Dropping it frees the slot.
#[derive(Debug)]
pub struct QuestionPermit {
    shared: Arc<Shared>,
    _slot: Option<OwnedSemaphorePermit>,
}

impl QuestionLimiter {
    /// A limiter with this configuration (a zero `max_in_flight` is taken as 1).
    pub fn new(config: LimiterConfig) -> Self {
        let now = Instant::now();
        Self {
            shared: Arc::new(Shared {
                config,
                in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
                pacer: Mutex::new(Pacer {
                    next_start: now,
                    paused_until: now,
                }),
            }),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &LimiterConfig {
        &self.shared.config
    }

    /// Questions open right now.
    pub fn in_flight(&self) -> usize {
        self.shared.config.max_in_flight.max(1) - self.shared.in_flight.available_permits()
    }

    /// Waits for a free slot and then for this question's start time.
    pub async fn acquire(&self) -> QuestionPermit {
        // The semaphore is never closed, so `ok()` always holds a slot here.
        let slot = Arc::clone(&self.shared.in_flight)
            .acquire_owned()
            .await
            .ok();
        self.shared.wait_for_start().await;
        QuestionPermit {
            shared: Arc::clone(&self.shared),
            _slot: slot,
        }
    }

    /// Pauses every caller (a `RATE_LIMIT_EXCEEDED_*` answer). `None` uses the default backoff.
    pub fn pause(&self, wait: Option<Duration>) {
        self.shared.pause(wait);
    }
}

impl QuestionPermit {
    /// The start was refused with 429: give the start back, pause everyone for `retry_after`
    /// (or the default backoff), then wait for a new start time. The open slot is kept.
    pub async fn rejected(&mut self, retry_after: Option<Duration>) {
        self.shared.refund();
        self.shared.pause(retry_after);
        self.shared.wait_for_start().await;
    }
}

impl Shared {
    async fn wait_for_start(&self) {
        loop {
            let ready_at = {
                let mut pacer = self.lock();
                let now = Instant::now();
                let at = pacer.next_start.max(pacer.paused_until);
                if at <= now {
                    pacer.next_start = now.max(pacer.next_start) + self.config.interval();
                    return;
                }
                at
            };
            tokio::time::sleep_until(ready_at).await;
        }
    }

    fn refund(&self) {
        let mut pacer = self.lock();
        let now = Instant::now();
        let earlier = pacer
            .next_start
            .checked_sub(self.config.interval())
            .unwrap_or(now);
        pacer.next_start = earlier.max(now);
    }

    fn pause(&self, wait: Option<Duration>) {
        let until = Instant::now() + wait.unwrap_or(self.config.default_backoff);
        let mut pacer = self.lock();
        pacer.paused_until = pacer.paused_until.max(until);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pacer> {
        // The pacer holds two instants and no invariant a panicking holder could break.
        self.pacer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: f64, in_flight: usize) -> QuestionLimiter {
        QuestionLimiter::new(LimiterConfig {
            questions_per_minute: per_minute,
            max_in_flight: in_flight,
            default_backoff: Duration::from_secs(1),
        })
    }

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[tokio::test]
    async fn starts_are_spaced_evenly_even_when_requested_in_a_burst() {
        let limiter = limiter(600.0, 10);
        let t0 = Instant::now();
        let mut permits = Vec::new();
        let mut starts = Vec::new();
        for _ in 0..4 {
            permits.push(limiter.acquire().await);
            starts.push(ms(t0.elapsed()));
        }
        for (i, start) in starts.iter().enumerate() {
            let expected = 100 * i as u128;
            assert!(*start >= expected && *start < expected + 60, "{starts:?}");
        }
    }

    #[tokio::test]
    async fn no_more_than_max_in_flight_questions_are_open() {
        let limiter = limiter(60_000.0, 2);
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        assert_eq!(limiter.in_flight(), 2);
        let waiting = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
        assert!(
            waiting.is_err(),
            "a third question started while two were open"
        );
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), limiter.acquire()).await;
        assert!(third.is_ok());
    }

    #[tokio::test]
    async fn a_pause_holds_every_caller_back() {
        let limiter = limiter(60_000.0, 4);
        let t0 = Instant::now();
        limiter.pause(Some(Duration::from_millis(150)));
        let _p = limiter.acquire().await;
        assert!(t0.elapsed() >= Duration::from_millis(150));
    }

    #[tokio::test]
    async fn a_rejected_start_is_refunded_and_waits_for_retry_after() {
        let limiter = limiter(60.0, 4);
        let t0 = Instant::now();
        let mut permit = limiter.acquire().await;
        permit.rejected(Some(Duration::from_millis(100))).await;
        // The refund lets the retry go after the 100 ms pause instead of the 1 s spacing.
        assert!(t0.elapsed() >= Duration::from_millis(100));
        assert!(t0.elapsed() < Duration::from_millis(900));
    }
}
