//! The simulator's shared state: the configuration, the answerer and warehouse, and every
//! resource the API creates (spaces, conversations, messages, statements, eval runs, tokens).
//!
//! One `std::sync::Mutex` guards the resources; it is never held across an `.await`, and SQL and
//! answering run outside it (in `spawn_blocking`), so concurrent conversations do not serialize
//! on the lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::Instant;

use super::Settings;
use super::answerer::Answerer;
use super::conversations::{Conversation, Message};
use super::eval_runs::EvalRun;
use super::faults::{Dice, QuestionWindow};
use super::oidc::IssuedToken;
use super::spaces::Space;
use super::statements::Statement;
use super::warehouse::Warehouse;

/// One answered question, for tests that assert nothing was asked twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedQuestion {
    pub space_id: String,
    pub conversation_id: String,
    pub message_id: String,
    pub question: String,
}

/// How many faults the simulator injected, for drills that must show the faults fired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests refused with an injected 500 or 503.
    pub server_errors: u64,
    /// Requests refused with an injected 429.
    pub rate_limited: u64,
    /// Messages ended FAILED or CANCELLED by an injected fault (no answer produced).
    pub failed_messages: u64,
    /// Statements (Genie's queries included) failed with an injected `TEMPORARILY_UNAVAILABLE`.
    pub failed_statements: u64,
}

/// Everything the API has created, behind the state's lock.
#[derive(Debug, Default)]
pub struct Resources {
    /// Spaces by id (trashed ones stay, flagged).
    pub spaces: BTreeMap<String, Space>,
    /// Space ids in creation order, for listing.
    pub space_order: Vec<String>,
    pub conversations: BTreeMap<String, Conversation>,
    /// Messages by message id.
    pub messages: BTreeMap<String, Message>,
    pub statements: BTreeMap<String, Statement>,
    pub eval_runs: BTreeMap<String, EvalRun>,
    /// OAuth access tokens issued by `/oidc/v1/token`.
    pub tokens: BTreeMap<String, IssuedToken>,
    /// Questions accepted in the last minute (the rate limit).
    pub window: QuestionWindow,
    /// Every question answered, in order.
    pub asked: Vec<AskedQuestion>,
    /// How many times each (space, question) was asked: keys the fault dice.
    pub occurrences: BTreeMap<(String, String), u64>,
    /// Faults injected so far.
    pub faults: FaultCounts,
}

/// The state every handler shares.
#[derive(Debug)]
pub struct SimState {
    pub config: Settings,
    pub answerer: Answerer,
    pub dice: Dice,
    /// The SQL warehouse; locked only while a statement runs.
    pub warehouse: Mutex<Warehouse>,
    resources: Mutex<Resources>,
    id_counter: AtomicU64,
    request_counter: AtomicU64,
}

impl SimState {
    /// Fresh state for a configuration.
    pub fn new(settings: Settings, answerer: Answerer, warehouse: Warehouse) -> Arc<Self> {
        let dice = Dice::new(settings.seed);
        Arc::new(Self {
            config: settings,
            answerer,
            dice,
            warehouse: Mutex::new(warehouse),
            resources: Mutex::new(Resources::default()),
            id_counter: AtomicU64::new(0),
            request_counter: AtomicU64::new(0),
        })
    }

    /// Locks the resources. A panic while holding the lock cannot leave them half-written in a
    /// way later requests could not read, so a poisoned lock is recovered.
    pub fn resources(&self) -> MutexGuard<'_, Resources> {
        self.resources
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the warehouse (recovering from poison, as above).
    pub fn warehouse(&self) -> MutexGuard<'_, Warehouse> {
        self.warehouse
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new 32-lowercase-hex id, deterministic from the seed and the creation order.
    pub fn new_id(&self) -> String {
        let n = self.id_counter.fetch_add(1, Ordering::Relaxed);
        let high = self.dice.hash("id-high", &n.to_string());
        let low = self.dice.hash("id-low", &n.to_string());
        format!("{high:016x}{low:016x}")
    }

    /// A new statement id in the dashed UUID form the SQL API uses.
    pub fn new_statement_id(&self) -> String {
        let hex = self.new_id();
        let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_owned();
        format!(
            "{}-{}-{}-{}-{}",
            part(0..8),
            part(8..12),
            part(12..16),
            part(16..20),
            part(20..32)
        )
    }

    /// The id of the simulated SQL warehouse (16 hex digits, from the seed).
    pub fn warehouse_id(&self) -> String {
        format!("{:016x}", self.dice.hash("warehouse-id", ""))
    }

    /// The sequence number of the next API request (keys the 5xx dice).
    pub fn next_request_number(&self) -> u64 {
        self.request_counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Now, on the clock that drives status progression and token expiry.
    pub fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Milliseconds since the Unix epoch, for `*_timestamp` fields.
pub fn epoch_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// RFC 3339 time, for `create_time` / `update_time` fields.
pub fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
