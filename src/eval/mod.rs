//! Evaluation: what to run (scopes), result comparison, judges, failure taxonomy and blame,
//! repeatability and statistics. Pure: answers in, verdicts out.
pub mod asi;
pub mod baseline;
pub mod compare;
pub mod grade;
pub mod judge;
pub mod repeat;
pub mod results;
pub mod scope;
pub mod stats;
pub mod taxonomy;
