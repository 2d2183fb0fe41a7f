//! Ground truth: each gold SQL passes the read-only guard, runs once per run on the target
//! warehouse and is cached by its text and the as-of date, so questions sharing a gold query
//! (and repeated attempts) cost one statement.

use std::collections::BTreeMap;

use crate::databricks::sql::{SqlClient, StatementOptions};
use crate::model::result::ResultSet;
use crate::sql::guard;

/// The ground-truth executor and its cache.
#[derive(Debug)]
pub struct GroundTruth {
    sql: SqlClient,
    options: StatementOptions,
    as_of: Option<String>,
    cache: BTreeMap<(String, Option<String>), Result<ResultSet, String>>,
    executed: usize,
}

impl GroundTruth {
    /// Runs statements on `warehouse_id`; `as_of` pins "today" in the cache key.
    pub fn new(sql: SqlClient, warehouse_id: &str, as_of: Option<String>) -> Self {
        Self {
            sql,
            options: StatementOptions::new(warehouse_id),
            as_of,
            cache: BTreeMap::new(),
            executed: 0,
        }
    }

    /// The gold result of `gold_sql`, or why there is none (refused or failed).
    pub async fn get(&mut self, gold_sql: &str) -> Result<ResultSet, String> {
        let key = (gold_sql.trim().to_string(), self.as_of.clone());
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let outcome = match guard::check(gold_sql) {
            Err(e) => Err(format!("refused by the read-only guard: {e}")),
            Ok(query) => {
                self.executed += 1;
                self.sql
                    .execute(&query.sql, &self.options)
                    .await
                    .map_err(|e| format!("failed on the warehouse: {e}"))
            }
        };
        self.cache.insert(key, outcome.clone());
        outcome
    }

    /// Statements actually sent.
    pub fn executed(&self) -> usize {
        self.executed
    }
}
