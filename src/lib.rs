//! genie-gitops: keep a Databricks AI/BI Genie space as code in git.
//!
//! Dependencies point one way: the pure core (`model`, `sql`, `eval`, `optimize`, `patch`,
//! `report`) never touches the network, the disk or the clock; the adapters (`databricks`,
//! `github`, `git`, `deploy`, `sim`) do; `cli` wires them together. See ARCHITECTURE.md.

pub mod eval;
pub mod model;
pub mod optimize;
pub mod patch;
pub mod report;
pub mod sql;

pub mod databricks;
pub mod deploy;
pub mod git;
pub mod github;
pub mod sim;

pub mod runner;

pub mod bench;

pub mod cli;

pub mod fuzzing;
