//! The SQL warehouse behind the simulator: the seam between the HTTP server and the SQL engine.
//! Statements, Genie's queries and the eval-run grader all execute through [`Warehouse::execute`];
//! space validation asks it which tables exist.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::result::ResultSet;

/// A failed statement, in Databricks' terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFailure {
    /// Databricks error class, e.g. `TABLE_OR_VIEW_NOT_FOUND`.
    pub error_class: String,
    /// SQLSTATE, e.g. `42P01`.
    pub sql_state: String,
    /// The message without the `[CLASS]` prefix.
    pub message: String,
}

impl SqlFailure {
    /// The message as Databricks shows it: `[CLASS] message`.
    pub fn display_message(&self) -> String {
        format!("[{}] {}", self.error_class, self.message)
    }
}

/// Where SQL runs.
#[derive(Debug, Clone)]
pub enum Warehouse {
    /// Fixed results per statement text (whitespace-trimmed), for tests of the server itself; any
    /// other statement fails with `TABLE_OR_VIEW_NOT_FOUND`.
    Scripted {
        /// Three-part names of the tables the catalog knows (lowercase).
        tables: BTreeSet<String>,
        /// Statement text → its outcome.
        results: BTreeMap<String, Result<ResultSet, SqlFailure>>,
    },
}

impl Warehouse {
    /// Executes one statement with named `:parameters`.
    pub fn execute(
        &self,
        sql: &str,
        _params: &[(String, String)],
    ) -> Result<ResultSet, SqlFailure> {
        match self {
            Self::Scripted { results, .. } => {
                results.get(sql.trim()).cloned().unwrap_or_else(|| {
                    Err(SqlFailure {
                        error_class: "TABLE_OR_VIEW_NOT_FOUND".to_owned(),
                        sql_state: "42P01".to_owned(),
                        message: "The scripted warehouse has no result for this statement."
                            .to_owned(),
                    })
                })
            }
        }
    }

    /// Whether a three-part table, view or metric view name exists (case-insensitive).
    pub fn has_table(&self, identifier: &str) -> bool {
        match self {
            Self::Scripted { tables, .. } => tables.contains(&identifier.to_lowercase()),
        }
    }
}
