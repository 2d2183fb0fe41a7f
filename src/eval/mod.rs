//! Evaluation: what to run (scopes), result comparison, judges, failure taxonomy and blame,
//! repeatability and statistics. Pure: answers in, verdicts out.
pub mod compare;
pub mod stats;
pub mod taxonomy;
