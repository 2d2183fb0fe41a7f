//! Deploy: plan (desired vs live), then execute through the API or `databricks bundle deploy`.
//!
//! [`plan`] is pure (desired vs live → a [`plan::DeployPlan`]); [`execute`] applies a plan to
//! the workspace; [`flow`] is the whole `genie-gitops deploy` run: plan, execute, verify, record
//! the baseline note and tell GitHub.

pub mod execute;
pub mod flow;
pub mod plan;
