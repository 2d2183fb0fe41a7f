//! A query result as the Databricks SQL Statement API returns it: typed columns and rows of
//! values that are strings or null. Shared by the workspace client, the simulator and the
//! evaluator, which normalizes the strings by column type before comparing.

use serde::{Deserialize, Serialize};

/// One column of a result: its name and Databricks `type_name` (`LONG`, `STRING`, `DECIMAL`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultColumn {
    pub name: String,
    pub type_name: String,
}

/// A whole result table, all chunks joined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultSet {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Option<String>>>,
    /// The producer cut the rows short (a row or byte limit, or Genie's 5,000-row cap).
    #[serde(default)]
    pub truncated: bool,
}

impl ResultSet {
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }
}
