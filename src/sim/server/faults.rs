//! Fault injection and realism: per-step latency, a questions-per-minute limit, random 5xx,
//! FAILED / CANCELLED messages, failed statements and the seeded nondeterminism flag.
//!
//! Every random decision is a hash of the seed and what is being decided (the question and how
//! many times it was asked before, a request's sequence number, ...), never a shared random
//! stream, so concurrent requests cannot reorder the dice: the same seed gives the same answers.
//!
//! The YAML file (`sim serve --faults FILE`) has these keys, all optional:
//!
//! ```yaml
//! step_latency_ms: 100          # time spent in each message status step (default 0)
//! latency_ms:                   # per-step overrides, by status name
//!   ASKING_AI: 400
//! statement_latency_ms: 0       # time a SQL statement spends RUNNING
//! questions_per_minute: 5       # questions accepted per rolling minute (default: no limit)
//! rate_limit_response: http_429 # or message_error: FAILED with RATE_LIMIT_EXCEEDED_*
//! server_error_rate: 0.0        # share of API requests refused with 500 or 503
//! rate_limited_rate: 0.0        # share of API requests refused with 429 REQUEST_LIMIT_EXCEEDED
//! rate_limited_retry_after_secs: 1 # the Retry-After those 429s carry (0: retry at once)
//! failed_message_rate: 0.0      # share of questions whose message ends FAILED
//! failed_message_type: RETRYABLE_PROCESSING_EXCEPTION
//! cancelled_message_rate: 0.0   # share of questions whose message ends CANCELLED
//! failed_statement_rate: 0.0    # share of SQL statements that fail TEMPORARILY_UNAVAILABLE
//! nondeterminism: false         # pass a jitter seed to the answerer (near-tie variance)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// The message status steps that take time, in order.
pub const TIMED_STEPS: [&str; 6] = [
    "SUBMITTED",
    "FETCHING_METADATA",
    "FILTERING_CONTEXT",
    "ASKING_AI",
    "PENDING_WAREHOUSE",
    "EXECUTING_QUERY",
];

/// How an over-limit question is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitResponse {
    /// HTTP 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After`; nothing is created.
    #[default]
    Http429,
    /// The message is created and ends FAILED with `RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION`.
    MessageError,
}

/// The fault configuration (see the module docs for the YAML form).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Milliseconds spent in each timed message status step.
    pub step_latency_ms: u64,
    /// Per-step overrides of `step_latency_ms`, keyed by status name.
    pub latency_ms: BTreeMap<String, u64>,
    /// Milliseconds a SQL statement stays RUNNING.
    pub statement_latency_ms: u64,
    /// Questions accepted per rolling minute across all spaces; `None` for no limit.
    pub questions_per_minute: Option<u32>,
    /// How over-limit questions are refused.
    pub rate_limit_response: RateLimitResponse,
    /// Share of authenticated API requests refused with a random 500 or 503.
    pub server_error_rate: f64,
    /// Share of authenticated API requests refused with 429 `REQUEST_LIMIT_EXCEEDED`, whatever
    /// the questions-per-minute window says (a busy workspace; the fault drills use it).
    pub rate_limited_rate: f64,
    /// The `Retry-After` seconds of those injected 429s.
    pub rate_limited_retry_after_secs: u64,
    /// Share of questions whose message ends FAILED.
    pub failed_message_rate: f64,
    /// The `error.type` of injected FAILED messages.
    pub failed_message_type: String,
    /// Share of questions whose message ends CANCELLED.
    pub cancelled_message_rate: f64,
    /// Share of SQL statements that fail with `TEMPORARILY_UNAVAILABLE`.
    pub failed_statement_rate: f64,
    /// Give the answerer a jitter seed per question, emulating Genie's run-to-run variance.
    pub nondeterminism: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            step_latency_ms: 0,
            latency_ms: BTreeMap::new(),
            statement_latency_ms: 0,
            questions_per_minute: None,
            rate_limit_response: RateLimitResponse::Http429,
            server_error_rate: 0.0,
            rate_limited_rate: 0.0,
            rate_limited_retry_after_secs: 1,
            failed_message_rate: 0.0,
            failed_message_type: "RETRYABLE_PROCESSING_EXCEPTION".to_owned(),
            cancelled_message_rate: 0.0,
            failed_statement_rate: 0.0,
            nondeterminism: false,
        }
    }
}

impl Faults {
    /// Reads and checks a faults YAML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the faults file {}", path.display()))?;
        Self::from_yaml(&text).with_context(|| format!("{}: invalid faults file", path.display()))
    }

    /// Parses and checks the YAML form.
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        let faults: Faults = serde_saphyr::from_str(text)?;
        faults.check()?;
        Ok(faults)
    }

    /// Refuses rates outside 0..=1 and latency keys that are not timed steps.
    pub fn check(&self) -> anyhow::Result<()> {
        let rates = [
            ("server_error_rate", self.server_error_rate),
            ("rate_limited_rate", self.rate_limited_rate),
            ("failed_message_rate", self.failed_message_rate),
            ("cancelled_message_rate", self.cancelled_message_rate),
            ("failed_statement_rate", self.failed_statement_rate),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                bail!("{name} is {rate}; use a share between 0 and 1");
            }
        }
        if self.server_error_rate + self.rate_limited_rate > 1.0 {
            bail!("server_error_rate + rate_limited_rate exceed 1");
        }
        if self.failed_message_rate + self.cancelled_message_rate > 1.0 {
            bail!("failed_message_rate + cancelled_message_rate exceed 1");
        }
        for step in self.latency_ms.keys() {
            if !TIMED_STEPS.contains(&step.as_str()) {
                bail!(
                    "latency_ms has unknown step `{step}`; use one of {}",
                    TIMED_STEPS.join(", ")
                );
            }
        }
        if self.questions_per_minute == Some(0) {
            bail!("questions_per_minute is 0; leave it out for no limit");
        }
        Ok(())
    }

    /// Time spent in one message status step.
    pub fn step_latency(&self, step: &str) -> Duration {
        let ms = self
            .latency_ms
            .get(step)
            .copied()
            .unwrap_or(self.step_latency_ms);
        Duration::from_millis(ms)
    }
}

/// How an injected fault ends a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFault {
    /// FAILED with this `error.type`.
    Failed(String),
    /// CANCELLED.
    Cancelled,
}

/// Seeded, order-independent dice.
#[derive(Debug, Clone, Copy)]
pub struct Dice {
    seed: u64,
}

impl Dice {
    /// Dice for one seed.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// A number in `[0, 1)` determined by the seed, the purpose and the key.
    pub fn roll(&self, purpose: &str, key: &str) -> f64 {
        let bits = self.hash(purpose, key) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }

    /// A 64-bit value determined by the seed, the purpose and the key.
    pub fn hash(&self, purpose: &str, key: &str) -> u64 {
        let mut hasher = Sha256::new();
        hasher.update(self.seed.to_le_bytes());
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(key.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }

    /// The injected fault, if any, for the `occurrence`-th asking of a question.
    pub fn message_fault(&self, faults: &Faults, question_key: &str) -> Option<MessageFault> {
        let roll = self.roll("message-fault", question_key);
        if roll < faults.failed_message_rate {
            Some(MessageFault::Failed(faults.failed_message_type.clone()))
        } else if roll < faults.failed_message_rate + faults.cancelled_message_rate {
            Some(MessageFault::Cancelled)
        } else {
            None
        }
    }
}

/// A rolling one-minute window of accepted questions.
#[derive(Debug, Default)]
pub struct QuestionWindow {
    accepted: VecDeque<Instant>,
}

impl QuestionWindow {
    /// Admits a question at `now`, or says how long until one more fits.
    pub fn admit(&mut self, limit: u32, now: Instant) -> Result<(), Duration> {
        let minute = Duration::from_secs(60);
        while let Some(&oldest) = self.accepted.front() {
            if now.duration_since(oldest) >= minute {
                self.accepted.pop_front();
            } else {
                break;
            }
        }
        if self.accepted.len() < limit as usize {
            self.accepted.push_back(now);
            return Ok(());
        }
        let oldest = self.accepted.front().copied().unwrap_or(now);
        Err(minute.saturating_sub(now.duration_since(oldest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_key_roll_the_same_number() {
        let dice = Dice::new(7);
        assert_eq!(dice.roll("p", "k"), Dice::new(7).roll("p", "k"));
        assert_ne!(dice.roll("p", "k"), Dice::new(8).roll("p", "k"));
        assert!((0.0..1.0).contains(&dice.roll("p", "k")));
    }

    #[test]
    fn a_full_window_says_when_the_next_question_fits() {
        let mut window = QuestionWindow::default();
        let start = Instant::now();
        assert!(window.admit(2, start).is_ok());
        assert!(window.admit(2, start + Duration::from_secs(10)).is_ok());
        let wait = window.admit(2, start + Duration::from_secs(20));
        assert_eq!(wait, Err(Duration::from_secs(40)));
        assert!(window.admit(2, start + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn a_faults_file_with_an_unknown_step_is_refused() {
        let err = Faults::from_yaml("latency_ms:\n  THINKING: 5\n").unwrap_err();
        assert!(err.to_string().contains("unknown step `THINKING`"), "{err}");
    }

    #[test]
    fn a_rate_above_one_is_refused() {
        let err = Faults::from_yaml("server_error_rate: 1.5\n").unwrap_err();
        assert!(err.to_string().contains("server_error_rate"), "{err}");
    }

    #[test]
    fn step_overrides_beat_the_default_latency() {
        let faults = Faults::from_yaml("step_latency_ms: 10\nlatency_ms:\n  ASKING_AI: 50\n")
            .expect("valid faults");
        assert_eq!(faults.step_latency("ASKING_AI"), Duration::from_millis(50));
        assert_eq!(faults.step_latency("SUBMITTED"), Duration::from_millis(10));
    }
}
