//! The contract between the simulator's NL-to-SQL engine (`sim::nl`) and its HTTP server
//! (`sim::server`): what the engine answers to one question.

use serde::Serialize;

/// What the simulated Genie answers to a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// A query to run, shown to the user as a query attachment.
    Sql {
        /// Databricks SQL, as Genie would write it.
        sql: String,
        /// One-sentence description of what the query does (the attachment's `description`).
        description: String,
        /// Answered from a parameterized example or a function: Genie labels it "Trusted".
        trusted: bool,
        /// Why each part was chosen (which lever supplied it), for debugging and lever tests.
        trace: Vec<String>,
    },
    /// A clarifying question instead of an answer; completes with text only.
    Clarification { text: String },
    /// A text-only answer with no SQL.
    Text { text: String },
}
