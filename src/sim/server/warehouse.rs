//! The SQL warehouse behind the simulator: the seam between the HTTP server and the SQL engine.
//! Statements, Genie's queries and the eval-run grader all execute through [`Warehouse::execute`];
//! space validation asks it which tables exist.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::result::ResultSet;
use crate::sim::catalog::QualifiedName;
use crate::sim::engine::{SqlEngine, SqlError, SqlParam};

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

impl From<SqlError> for SqlFailure {
    fn from(error: SqlError) -> Self {
        Self {
            error_class: error.error_class,
            sql_state: error.sql_state,
            message: error.message,
        }
    }
}

/// Where SQL runs.
#[derive(Debug)]
pub enum Warehouse {
    /// The simulator's SQL engine over the simulated Unity Catalog.
    Engine(Box<SqlEngine>),
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
        &mut self,
        sql: &str,
        params: &[(String, String)],
    ) -> Result<ResultSet, SqlFailure> {
        match self {
            Self::Engine(engine) => {
                let params: Vec<SqlParam> = params
                    .iter()
                    .map(|(name, value)| SqlParam::string(name, value))
                    .collect();
                engine.execute(sql, &params).map_err(SqlFailure::from)
            }
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
            Self::Engine(engine) => QualifiedName::parse(identifier).is_some_and(|name| {
                let catalog = engine.catalog();
                catalog.table(&name).is_some() || catalog.metric_view(&name).is_some()
            }),
            Self::Scripted { tables, .. } => tables.contains(&identifier.to_lowercase()),
        }
    }
}
