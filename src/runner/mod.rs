//! The I/O-driving orchestration shared by `evaluate` (and later `optimize`, `pr`, `nightly`):
//! connecting to the workspace of a target, finding which live space a repository space is,
//! the temporary-space lifecycle (always trashed, also on error and Ctrl-C), ground truth
//! executed once per run and cached, asking with bounded concurrency through the shared
//! limiter, progress on a terminal or sparse log lines in CI, and per-question callbacks.
//!
//! The decisions stay in the pure modules (`eval`, `report`); this module only moves data
//! between them and the workspace.

pub mod action;
pub mod connect;
pub mod demo;
pub mod evaluate;
pub mod live;
pub mod nightly;
pub mod optimize;
pub mod pr;
pub mod progress;
pub mod simulator;
pub mod temp;
pub mod truth;
