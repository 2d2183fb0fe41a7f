//! The SQL Statement Execution API: execute (`wait_timeout` semantics), get, result chunks and
//! cancel, plus the `StatementResponse` rendering Genie's query results share.
//!
//! A statement runs to completion at submission; the `statement_latency_ms` fault decides how
//! long it then *reports* RUNNING. `wait_timeout: "0s"` always answers PENDING first. A SQL error
//! is HTTP 200 with `status.state = FAILED`, `status.error{error_code, message}` and
//! `status.sql_state`. Results are split into chunks of `Settings::chunk_rows` rows linked by
//! `next_chunk_index`; only `INLINE` + `JSON_ARRAY` is served. Query history lists every
//! statement (newest first) so a client can find one whose submission answer it lost.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::error::{ApiError, ApiResult};
use super::extract::json_body;
use super::state::{SimState, epoch_millis};
use super::warehouse::SqlFailure;
use crate::model::result::ResultSet;

/// Why a statement failed, as `status.error` and `status.sql_state` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub error_code: String,
    pub message: String,
    pub sql_state: Option<String>,
}

impl From<SqlFailure> for StatementError {
    fn from(failure: SqlFailure) -> Self {
        Self {
            error_code: "BAD_REQUEST".to_owned(),
            message: failure.display_message(),
            sql_state: Some(failure.sql_state),
        }
    }
}

/// One submitted statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub id: String,
    /// The SQL text as submitted (query history shows it).
    pub text: String,
    pub submitted: Instant,
    /// Submission time in milliseconds since the Unix epoch (query history filters on it).
    pub submitted_ms: i64,
    /// How long it reports RUNNING.
    pub latency: Duration,
    pub outcome: Result<ResultSet, StatementError>,
    pub cancelled: bool,
}

impl Statement {
    /// The state at `now`.
    pub fn state_at(&self, now: Instant) -> &'static str {
        if self.cancelled {
            "CANCELED"
        } else if now.duration_since(self.submitted) < self.latency {
            "RUNNING"
        } else if self.outcome.is_ok() {
            "SUCCEEDED"
        } else {
            "FAILED"
        }
    }
}

/// Runs SQL on the warehouse off the async threads.
pub async fn run_sql(
    state: &Arc<SimState>,
    sql: String,
    params: Vec<(String, String)>,
) -> Result<ResultSet, SqlFailure> {
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || state.warehouse().execute(&sql, &params))
        .await
        .unwrap_or_else(|join_error| {
            Err(SqlFailure {
                error_class: "INTERNAL_ERROR".to_owned(),
                sql_state: "XX000".to_owned(),
                message: format!("the statement crashed: {join_error}"),
            })
        })
}

/// Databricks `type_text` for a `type_name`.
fn type_text(type_name: &str) -> &str {
    match type_name {
        "LONG" => "BIGINT",
        "SHORT" => "SMALLINT",
        "BYTE" => "TINYINT",
        other => other,
    }
}

/// Renders a statement's full response (status, manifest and first chunk) in a given state.
pub fn render_statement(
    id: &str,
    state: &str,
    outcome: &Result<ResultSet, StatementError>,
    chunk_rows: usize,
) -> Value {
    match (state, outcome) {
        ("SUCCEEDED", Ok(result)) => json!({
            "statement_id": id,
            "status": {"state": "SUCCEEDED"},
            "manifest": manifest(result, chunk_rows),
            "result": chunk(id, result, 0, chunk_rows),
        }),
        ("FAILED", Err(error)) => {
            let mut status = json!({
                "state": "FAILED",
                "error": {"error_code": error.error_code, "message": error.message},
            });
            if let Some(sql_state) = &error.sql_state {
                status["sql_state"] = Value::from(sql_state.as_str());
            }
            json!({"statement_id": id, "status": status})
        }
        (state, _) => json!({"statement_id": id, "status": {"state": state}}),
    }
}

fn chunk_count(result: &ResultSet, chunk_rows: usize) -> usize {
    result.rows.len().div_ceil(chunk_rows).max(1)
}

fn manifest(result: &ResultSet, chunk_rows: usize) -> Value {
    let columns: Vec<Value> = result
        .columns
        .iter()
        .enumerate()
        .map(|(position, column)| {
            json!({
                "name": column.name,
                "type_text": type_text(&column.type_name),
                "type_name": column.type_name,
                "position": position,
            })
        })
        .collect();
    let chunks: Vec<Value> = (0..chunk_count(result, chunk_rows))
        .map(|index| {
            let rows = chunk_rows_range(result, index, chunk_rows);
            json!({"chunk_index": index, "row_offset": rows.start, "row_count": rows.len()})
        })
        .collect();
    json!({
        "format": "JSON_ARRAY",
        "schema": {"column_count": columns.len(), "columns": columns},
        "total_chunk_count": chunks.len(),
        "chunks": chunks,
        "total_row_count": result.rows.len(),
        "truncated": result.truncated,
    })
}

/// The rows of chunk `index`.
fn chunk_rows_range(result: &ResultSet, index: usize, chunk_rows: usize) -> Range<usize> {
    let start = index.saturating_mul(chunk_rows).min(result.rows.len());
    let end = start.saturating_add(chunk_rows).min(result.rows.len());
    start..end
}

/// One result chunk: `data_array` of strings or nulls, linked to the next chunk.
pub fn chunk(id: &str, result: &ResultSet, index: usize, chunk_rows: usize) -> Value {
    let range = chunk_rows_range(result, index, chunk_rows);
    let mut body = json!({
        "chunk_index": index,
        "row_offset": range.start,
        "row_count": range.len(),
        "data_array": result.rows.slice(range),
    });
    if index + 1 < chunk_count(result, chunk_rows) {
        body["next_chunk_index"] = Value::from(index + 1);
        body["next_chunk_internal_link"] = Value::from(format!(
            "/api/2.0/sql/statements/{id}/result/chunks/{}",
            index + 1
        ));
    }
    body
}

/// The body of `POST /api/2.0/sql/statements`.
#[derive(Debug, Deserialize)]
pub struct ExecuteRequest {
    warehouse_id: Option<String>,
    statement: Option<String>,
    wait_timeout: Option<String>,
    on_wait_timeout: Option<String>,
    disposition: Option<String>,
    format: Option<String>,
    row_limit: Option<usize>,
    #[serde(default)]
    parameters: Vec<StatementParameter>,
}

/// A named `:parameter`; its value is always bound as text.
#[derive(Debug, Deserialize)]
pub struct StatementParameter {
    name: String,
    value: Option<String>,
}

/// Parses `wait_timeout`: `0s`, or `5s` to `50s`.
fn parse_wait_timeout(raw: Option<&str>) -> ApiResult<Duration> {
    let raw = raw.unwrap_or("10s");
    let seconds = raw
        .strip_suffix('s')
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|&n| n == 0 || (5..=50).contains(&n))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "wait_timeout '{raw}' is invalid: use 0s or a value between 5s and 50s"
            ))
        })?;
    Ok(Duration::from_secs(seconds))
}

fn check_execute_request(request: &ExecuteRequest) -> ApiResult<()> {
    if request.warehouse_id.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::invalid("warehouse_id is required"));
    }
    if request
        .statement
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        return Err(ApiError::invalid("statement is required"));
    }
    if request
        .disposition
        .as_deref()
        .is_some_and(|d| d != "INLINE")
    {
        return Err(ApiError::invalid(
            "The simulator serves only disposition INLINE",
        ));
    }
    if request.format.as_deref().is_some_and(|f| f != "JSON_ARRAY") {
        return Err(ApiError::invalid(
            "The simulator serves only format JSON_ARRAY",
        ));
    }
    match request.on_wait_timeout.as_deref() {
        None | Some("CONTINUE") | Some("CANCEL") => Ok(()),
        Some(other) => Err(ApiError::invalid(format!(
            "on_wait_timeout '{other}' is invalid: use CONTINUE or CANCEL"
        ))),
    }
}

fn apply_row_limit(mut result: ResultSet, row_limit: Option<usize>) -> ResultSet {
    if let Some(limit) = row_limit
        && result.rows.len() > limit
    {
        result.rows.truncate(limit);
        result.truncated = true;
    }
    result
}

/// Runs SQL and records it as a statement; also used for Genie's queries.
pub async fn submit(
    state: &Arc<SimState>,
    sql: String,
    params: Vec<(String, String)>,
) -> Statement {
    let id = state.new_statement_id();
    let submitted = state.now();
    let submitted_ms = epoch_millis();
    let text = sql.clone();
    let injected =
        state.dice.roll("statement-fault", &id) < state.config.faults.failed_statement_rate;
    let outcome = if injected {
        state.resources().faults.failed_statements += 1;
        Err(StatementError {
            error_code: "TEMPORARILY_UNAVAILABLE".to_owned(),
            message: "The SQL warehouse is temporarily unavailable (injected fault). Retry."
                .to_owned(),
            sql_state: None,
        })
    } else {
        run_sql(state, sql, params)
            .await
            .map_err(StatementError::from)
    };
    let statement = Statement {
        id: id.clone(),
        text,
        submitted,
        submitted_ms,
        latency: Duration::from_millis(state.config.faults.statement_latency_ms),
        outcome,
        cancelled: false,
    };
    state.resources().statements.insert(id, statement.clone());
    statement
}

/// `POST /api/2.0/sql/statements`.
pub async fn execute(State(state): State<Arc<SimState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let request: ExecuteRequest = json_body(&body)?;
    check_execute_request(&request)?;
    let wait = parse_wait_timeout(request.wait_timeout.as_deref())?;
    let params = request
        .parameters
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    let sql = request.statement.clone().unwrap_or_default();
    let mut statement = submit(&state, sql, params).await;
    if let Ok(result) = statement.outcome {
        statement.outcome = Ok(apply_row_limit(result, request.row_limit));
        state
            .resources()
            .statements
            .insert(statement.id.clone(), statement.clone());
    }
    let chunk_rows = state.config.chunk_rows;
    if wait.is_zero() {
        return Ok(Json(render_statement(
            &statement.id,
            "PENDING",
            &statement.outcome,
            chunk_rows,
        )));
    }
    tokio::time::sleep(statement.latency.min(wait)).await;
    let mut state_now = statement.state_at(state.now());
    if state_now == "RUNNING" && request.on_wait_timeout.as_deref() == Some("CANCEL") {
        cancel_statement(&state, &statement.id);
        state_now = "CANCELED";
    }
    Ok(Json(render_statement(
        &statement.id,
        state_now,
        &statement.outcome,
        chunk_rows,
    )))
}

fn find(state: &SimState, id: &str) -> ApiResult<Statement> {
    state
        .resources()
        .statements
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("Statement {id} does not exist.")))
}

fn cancel_statement(state: &SimState, id: &str) {
    let now = state.now();
    if let Some(statement) = state.resources().statements.get_mut(id)
        && statement.state_at(now) == "RUNNING"
    {
        statement.cancelled = true;
    }
}

/// `GET /api/2.0/sql/statements/{id}`.
pub async fn get(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let statement = find(&state, &id)?;
    let now = statement.state_at(state.now());
    Ok(Json(render_statement(
        &id,
        now,
        &statement.outcome,
        state.config.chunk_rows,
    )))
}

/// `GET /api/2.0/sql/statements/{id}/result/chunks/{chunk_index}`.
pub async fn get_chunk(
    State(state): State<Arc<SimState>>,
    Path((id, index)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let statement = find(&state, &id)?;
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::invalid(format!("Invalid chunk index '{index}'")))?;
    let current = statement.state_at(state.now());
    let result = match (&statement.outcome, current) {
        (Ok(result), "SUCCEEDED") => result,
        _ => {
            return Err(ApiError::invalid(format!(
                "Statement {id} is {current}: results are only available once it has SUCCEEDED"
            )));
        }
    };
    let chunk_rows = state.config.chunk_rows;
    if index >= chunk_count(result, chunk_rows) {
        return Err(ApiError::invalid(format!(
            "Chunk index {index} is out of range for statement {id}"
        )));
    }
    Ok(Json(chunk(&id, result, index, chunk_rows)))
}

/// `POST /api/2.0/sql/statements/{id}/cancel`: best effort, empty response.
pub async fn cancel(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    find(&state, &id)?;
    cancel_statement(&state, &id);
    Ok(Json(json!({})))
}

/// The query-history filters the simulator honours (others are accepted and ignored).
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    #[serde(rename = "filter_by.query_start_time_range.start_time_ms")]
    start_time_ms: Option<i64>,
    max_results: Option<usize>,
}

/// `GET /api/2.0/sql/history/queries`: statements started since `start_time_ms`, newest first,
/// at most `max_results` (default 100) — enough for a client reconciling a lost submission.
pub async fn history(
    State(state): State<Arc<SimState>>,
    axum::extract::Query(query): axum::extract::Query<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    let since = query.start_time_ms.unwrap_or(i64::MIN);
    let max = query.max_results.unwrap_or(100).clamp(1, 1000);
    let now = state.now();
    let warehouse_id = state.warehouse_id();
    let mut listed: Vec<(i64, String, Value)> = state
        .resources()
        .statements
        .values()
        .filter(|s| s.submitted_ms >= since)
        .map(|s| {
            let item = json!({
                "query_id": s.id,
                "query_text": s.text,
                "status": history_status(s.state_at(now)),
                "warehouse_id": warehouse_id,
                "query_start_time_ms": s.submitted_ms,
            });
            (s.submitted_ms, s.id.clone(), item)
        })
        .collect();
    listed.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let res: Vec<Value> = listed.into_iter().take(max).map(|(_, _, v)| v).collect();
    Ok(Json(json!({ "res": res, "has_next_page": false })))
}

/// Query history names states differently from the statement API.
fn history_status(state: &str) -> &'static str {
    match state {
        "RUNNING" => "RUNNING",
        "SUCCEEDED" => "FINISHED",
        "CANCELED" => "CANCELED",
        _ => "FAILED",
    }
}
