//! SQL analysis: parse Databricks SQL (sqlparser, `DatabricksDialect`), sanitize, guard that a
//! statement is read-only, extract referenced objects and clause features, and diff two queries
//! structurally. Pure: SQL text in, facts out.

pub mod analyze;
pub mod diff;
pub mod guard;
