//! The SQL Statement Execution API: run a statement on a warehouse, wait for it (server-side
//! wait, then polling with backoff), cancel it when the caller's deadline passes, and gather
//! every INLINE `JSON_ARRAY` chunk into one [`ResultSet`]. A FAILED statement (HTTP 200) is a
//! typed [`StatementError`] carrying the SQLSTATE.
//!
//! Statements are non-idempotent POSTs: each carries a client marker (a trailing SQL comment
//! and a query tag). When the POST fails ambiguously, query history is searched for the
//! marker, and the statement found there is followed instead of running it a second time.
//! A statement the warehouse failed with a transient error (`TEMPORARILY_UNAVAILABLE`, …) did
//! not run, so it is submitted again, at most [`TRANSIENT_RESUBMITS`] times.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::error::{DatabricksError, StatementError};
use super::http::{ApiClient, Call, jitter_fraction};
use super::types::{
    ExecuteStatementRequest, QueryHistoryResponse, QueryTag, ResultData, StatementParameter,
    StatementResponse, StatementState, result_set,
};
use crate::model::result::{ResultSet, Rows};

/// The query tag key that carries the client marker.
pub const MARKER_TAG: &str = "genie_gitops_request";

/// How many times a submission whose outcome was unknown, and that query history does not
/// show, is sent again.
const AMBIGUOUS_RESENDS: u32 = 3;

/// How many times a statement that failed transiently is submitted again.
pub const TRANSIENT_RESUBMITS: u32 = 3;

/// Statement error codes that say the warehouse did not run the statement and may later.
const TRANSIENT_ERROR_CODES: [&str; 3] = [
    "TEMPORARILY_UNAVAILABLE",
    "WORKSPACE_TEMPORARILY_UNAVAILABLE",
    "SERVICE_UNDER_MAINTENANCE",
];

/// Whether a statement's `status.error.error_code` is one the warehouse may not repeat.
pub fn is_transient_error_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| TRANSIENT_ERROR_CODES.contains(&c))
}

/// What to run a statement with.
#[derive(Debug, Clone)]
pub struct StatementOptions {
    /// The SQL warehouse.
    pub warehouse_id: String,
    /// Named parameters, referenced as `:name`.
    pub parameters: Vec<StatementParameter>,
    /// Default catalog and schema for unqualified names.
    pub catalog: Option<String>,
    pub schema: Option<String>,
    /// Stop after this many rows (the result is then marked truncated by the server).
    pub row_limit: Option<u64>,
    /// Give up (and cancel the statement) after this long.
    pub deadline: Duration,
}

impl StatementOptions {
    /// Options for a warehouse with a 5-minute deadline and nothing else set.
    pub fn new(warehouse_id: impl Into<String>) -> Self {
        Self {
            warehouse_id: warehouse_id.into(),
            parameters: Vec::new(),
            catalog: None,
            schema: None,
            row_limit: None,
            deadline: Duration::from_secs(300),
        }
    }
}

/// Client of `/api/2.0/sql/statements`.
#[derive(Debug, Clone)]
pub struct SqlClient {
    api: ApiClient,
}

impl SqlClient {
    /// A statement client over the shared HTTP client.
    pub fn new(api: ApiClient) -> Self {
        Self { api }
    }

    /// Runs a statement to completion and returns all its rows; a transient failure is
    /// submitted again (a new marker each time), at most [`TRANSIENT_RESUBMITS`] times.
    pub async fn execute(
        &self,
        statement: &str,
        options: &StatementOptions,
    ) -> Result<ResultSet, DatabricksError> {
        let started = Instant::now();
        let mut resubmits = 0;
        loop {
            match self.execute_once(statement, options, started).await {
                Err(DatabricksError::Statement(e))
                    if resubmits < TRANSIENT_RESUBMITS
                        && is_transient_error_code(e.error_code.as_deref()) =>
                {
                    resubmits += 1;
                    let pause = self.api.policy().backoff(resubmits);
                    if started.elapsed() + pause > options.deadline {
                        return Err(DatabricksError::Statement(e));
                    }
                    tracing::warn!(statement_id = %e.statement_id, error_code = ?e.error_code, "the warehouse failed the statement transiently: submitting it again");
                    tokio::time::sleep(pause).await;
                }
                other => return other,
            }
        }
    }

    async fn execute_once(
        &self,
        statement: &str,
        options: &StatementOptions,
        started: Instant,
    ) -> Result<ResultSet, DatabricksError> {
        let marker = new_marker();
        let request = execute_request(statement, options, &marker);
        let first = self.submit(&request, &marker, options).await?;
        let done = self.wait(first, started, options.deadline).await?;
        self.all_rows(done).await
    }

    async fn submit(
        &self,
        request: &ExecuteStatementRequest,
        marker: &str,
        options: &StatementOptions,
    ) -> Result<StatementResponse, DatabricksError> {
        let body = serde_json::to_value(request).map_err(|e| DatabricksError::Decode {
            url: "/api/2.0/sql/statements".into(),
            message: e.to_string(),
        })?;
        let mut rounds = 0;
        loop {
            let sent_at_ms = epoch_ms();
            let call = Call::post_create("/api/2.0/sql/statements", body.clone());
            let error = match self.api.send::<StatementResponse>(call).await {
                Err(e @ DatabricksError::Ambiguous { .. }) if rounds < AMBIGUOUS_RESENDS => e,
                other => return other,
            };
            rounds += 1;
            tracing::warn!(%error, "statement submission outcome unknown: reconciling through query history");
            if let Some(statement_id) = self
                .find_in_history(marker, &options.warehouse_id, sent_at_ms)
                .await?
            {
                return Ok(StatementResponse {
                    statement_id: Some(statement_id),
                    ..StatementResponse::default()
                });
            }
            tracing::warn!("the statement is not in query history: submitting it again");
        }
    }

    /// Looks for our marker in recent query history (twice, as history lags a little).
    async fn find_in_history(
        &self,
        marker: &str,
        warehouse_id: &str,
        since_ms: i64,
    ) -> Result<Option<String>, DatabricksError> {
        for round in 1..=2 {
            let call = Call::get("/api/2.0/sql/history/queries")
                .query("filter_by.warehouse_ids", warehouse_id)
                .query(
                    "filter_by.query_start_time_range.start_time_ms",
                    since_ms - 60_000,
                )
                .query("max_results", 100);
            let history: QueryHistoryResponse = self.api.send(call).await?;
            let found = history.res.into_iter().find(|q| {
                q.query_text
                    .as_deref()
                    .is_some_and(|text| text.contains(marker))
            });
            if let Some(query) = found {
                return Ok(Some(query.query_id));
            }
            if round == 1 {
                tokio::time::sleep(self.api.policy().backoff(1)).await;
            }
        }
        Ok(None)
    }

    /// Polls until the statement is final; cancels it when the deadline passes.
    async fn wait(
        &self,
        mut response: StatementResponse,
        started: Instant,
        deadline: Duration,
    ) -> Result<StatementResponse, DatabricksError> {
        let statement_id = response.statement_id.clone().unwrap_or_default();
        let mut attempt = 0;
        while !response.status.state.is_terminal() {
            if statement_id.is_empty() {
                return Err(DatabricksError::Decode {
                    url: "/api/2.0/sql/statements".into(),
                    message: "a pending statement came back without a statement_id".into(),
                });
            }
            attempt += 1;
            let pause = poll_delay(self.api.policy().backoff_unit, attempt);
            if started.elapsed() + pause > deadline {
                self.cancel(&statement_id).await;
                return Err(DatabricksError::Deadline {
                    what: format!("statement {statement_id}"),
                    deadline,
                });
            }
            tokio::time::sleep(pause).await;
            response = self
                .api
                .send(Call::get(format!("/api/2.0/sql/statements/{statement_id}")))
                .await?;
        }
        match response.status.state {
            StatementState::Succeeded => Ok(response),
            state => Err(statement_error(&statement_id, state, &response).into()),
        }
    }

    /// Asks the warehouse to stop a statement (best effort: failures are logged).
    pub async fn cancel(&self, statement_id: &str) {
        let call = Call::post_idempotent(
            format!("/api/2.0/sql/statements/{statement_id}/cancel"),
            json!({}),
        );
        if let Err(e) = self.api.send::<serde_json::Value>(call).await {
            tracing::warn!(statement_id, error = %e, "cancelling the statement failed");
        }
    }

    /// All rows of a finished statement: the first chunk in the response, then every
    /// `next_chunk_index`.
    pub async fn all_rows(
        &self,
        response: StatementResponse,
    ) -> Result<ResultSet, DatabricksError> {
        let statement_id = response.statement_id.clone().unwrap_or_default();
        let mut rows = Rows::new();
        let mut chunk = response.result;
        let mut seen = 0usize;
        while let Some(mut data) = chunk {
            reject_external_links(&data)?;
            rows.append(data.data_array.take().unwrap_or_default());
            seen += 1;
            chunk = match data.next_chunk_index {
                Some(next) if seen < MAX_CHUNKS => Some(self.chunk(&statement_id, next).await?),
                Some(_) => {
                    return Err(DatabricksError::Unsupported(format!(
                        "statement {statement_id} has more than {MAX_CHUNKS} chunks"
                    )));
                }
                None => None,
            };
        }
        Ok(result_set(response.manifest.as_ref(), rows))
    }

    async fn chunk(&self, statement_id: &str, index: i64) -> Result<ResultData, DatabricksError> {
        self.api
            .send(Call::get(format!(
                "/api/2.0/sql/statements/{statement_id}/result/chunks/{index}"
            )))
            .await
    }
}

/// A guard against a server that links chunks in a cycle.
const MAX_CHUNKS: usize = 100_000;

fn reject_external_links(data: &ResultData) -> Result<(), DatabricksError> {
    let has_links = data.external_links.as_ref().is_some_and(|l| !l.is_empty());
    if has_links && data.data_array.is_none() {
        return Err(DatabricksError::Unsupported(
            "the result came as EXTERNAL_LINKS; only INLINE JSON_ARRAY results are read".into(),
        ));
    }
    Ok(())
}

fn execute_request(
    statement: &str,
    options: &StatementOptions,
    marker: &str,
) -> ExecuteStatementRequest {
    ExecuteStatementRequest {
        warehouse_id: options.warehouse_id.clone(),
        statement: format!("{}\n/* {MARKER_TAG}={marker} */", statement.trim_end()),
        wait_timeout: server_wait(options.deadline),
        on_wait_timeout: "CONTINUE".into(),
        disposition: "INLINE".into(),
        format: "JSON_ARRAY".into(),
        row_limit: options.row_limit,
        catalog: options.catalog.clone(),
        schema: options.schema.clone(),
        parameters: options.parameters.clone(),
        query_tags: vec![QueryTag {
            key: MARKER_TAG.into(),
            value: Some(marker.to_string()),
        }],
    }
}

fn statement_error(
    statement_id: &str,
    state: StatementState,
    response: &StatementResponse,
) -> StatementError {
    let error = response.status.error.clone().unwrap_or_default();
    StatementError {
        statement_id: statement_id.to_string(),
        state: format!("{state:?}").to_uppercase(),
        error_code: error.error_code,
        message: error
            .message
            .unwrap_or_else(|| format!("the statement ended {state:?}")),
        sql_state: response.status.sql_state.clone(),
    }
}

/// How long the server may hold the submission open: 10 s as the SDKs, less when the caller's
/// deadline is shorter (the API takes `0s` or 5–50 s), so a short deadline is honoured.
fn server_wait(deadline: Duration) -> String {
    let seconds = deadline.as_secs().min(10);
    if seconds < 5 {
        "0s".into()
    } else {
        format!("{seconds}s")
    }
}

/// Polling pace: a quarter unit, growing to two units.
fn poll_delay(unit: Duration, attempt: u32) -> Duration {
    (unit / 4 * attempt.min(8)).max(Duration::from_millis(1))
}

/// A fresh 16-hex-digit marker.
pub(crate) fn new_marker() -> String {
    let high = (jitter_fraction() * u32::MAX as f64) as u64;
    let low = (jitter_fraction() * u32::MAX as f64) as u64;
    format!("{:016x}", (high << 32) | low)
}

/// Wall-clock milliseconds since the epoch (0 if the clock is before 1970).
pub(crate) fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_the_marker_as_comment_and_tag() {
        let mut options = StatementOptions::new("wh");
        options.parameters.push(StatementParameter {
            name: "region".into(),
            value: Some("EU".into()),
            sql_type: None,
        });
        let request = execute_request("SELECT 1 -- trailing\n", &options, "abc");
        insta::assert_json_snapshot!(request);
    }

    #[test]
    fn the_server_wait_never_outlasts_the_deadline() {
        let wait = |secs| server_wait(Duration::from_secs(secs));
        assert_eq!(
            [wait(300), wait(10), wait(7), wait(5), wait(4), wait(0)],
            ["10s", "10s", "7s", "5s", "0s", "0s"]
        );
    }

    #[test]
    fn markers_differ() {
        assert_ne!(new_marker(), new_marker());
    }
}
