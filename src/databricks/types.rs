//! Request and response bodies of the Databricks REST API, with the wire field names.
//! Responses are lenient: every field the docs do not guarantee is optional, unknown enum
//! values land in an `Unknown` variant, and unknown fields are ignored, because the API's
//! own samples disagree with its reference (`research/databricks-api.md`).

use serde::{Deserialize, Serialize};

use crate::model::result::{ResultColumn, ResultSet, Rows};

// ---------------------------------------------------------------------------------------------
// Genie spaces

/// A Genie space as the spaces API returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenieSpace {
    pub space_id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub warehouse_id: Option<String>,
    pub parent_path: Option<String>,
    /// The space configuration, a JSON document in a string (only with
    /// `include_serialized_space=true` and CAN EDIT).
    pub serialized_space: Option<String>,
    /// Returned only with `include_serialized_space=true`.
    pub etag: Option<String>,
    pub create_time: Option<String>,
    pub update_time: Option<String>,
}

/// `GET /api/2.0/genie/spaces`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListSpacesResponse {
    pub spaces: Vec<GenieSpace>,
    pub next_page_token: Option<String>,
}

/// `POST /api/2.0/genie/spaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateSpaceRequest {
    pub warehouse_id: String,
    pub serialized_space: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_path: Option<String>,
}

/// `PATCH /api/2.0/genie/spaces/{space_id}`: only the fields set are changed;
/// `serialized_space` replaces the whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateSpaceRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serialized_space: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// The etag read with the space; a stale one is refused by the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_path: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Genie conversations

/// A conversation (list and start responses; `id` is the legacy name of `conversation_id`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Conversation {
    pub conversation_id: Option<String>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub created_timestamp: Option<i64>,
}

impl Conversation {
    /// The conversation id under either name.
    pub fn id(&self) -> Option<&str> {
        self.conversation_id.as_deref().or(self.id.as_deref())
    }
}

/// `GET …/conversations`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListConversationsResponse {
    pub conversations: Vec<Conversation>,
    pub next_page_token: Option<String>,
}

/// `POST …/start-conversation`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StartConversationResponse {
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    pub conversation: Option<Conversation>,
    pub message: Option<GenieMessage>,
}

impl StartConversationResponse {
    /// The (conversation id, message id) pair, from wherever the response put them.
    pub fn ids(&self) -> Option<(String, String)> {
        let conversation = self
            .conversation_id
            .clone()
            .or_else(|| {
                self.conversation
                    .as_ref()
                    .and_then(|c| c.id().map(str::to_string))
            })
            .or_else(|| {
                self.message
                    .as_ref()
                    .and_then(|m| m.conversation_id.clone())
            })?;
        let message = self.message_id.clone().or_else(|| {
            self.message
                .as_ref()
                .and_then(|m| m.id().map(str::to_string))
        })?;
        Some((conversation, message))
    }
}

/// Where a Genie message is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageStatus {
    Submitted,
    FetchingMetadata,
    FilteringContext,
    AskingAi,
    PendingWarehouse,
    ExecutingQuery,
    Completed,
    Failed,
    Cancelled,
    QueryResultExpired,
    /// A value not in the documented enum (the docs' own samples say `IN_PROGRESS`).
    #[default]
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    /// Whether polling can stop.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MessageStatus::Completed
                | MessageStatus::Failed
                | MessageStatus::Cancelled
                | MessageStatus::QueryResultExpired
        )
    }
}

/// A Genie message (`message_id`, legacy `id`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GenieMessage {
    pub message_id: Option<String>,
    pub id: Option<String>,
    pub conversation_id: Option<String>,
    pub space_id: Option<String>,
    pub content: Option<String>,
    pub status: MessageStatus,
    #[serde(deserialize_with = "null_as_default")]
    pub attachments: Vec<Attachment>,
    pub error: Option<MessageError>,
    pub created_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
}

impl GenieMessage {
    /// The message id under either name.
    pub fn id(&self) -> Option<&str> {
        self.message_id.as_deref().or(self.id.as_deref())
    }
}

/// `GET …/conversations/{cid}/messages`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListMessagesResponse {
    pub messages: Vec<GenieMessage>,
    pub next_page_token: Option<String>,
}

/// Why a message failed (`error.type` is one of ~65 `MessageErrorType` values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MessageError {
    pub error: Option<String>,
    #[serde(rename = "type")]
    pub error_type: Option<String>,
}

/// One attachment of a message: a query, a text, or suggested questions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Attachment {
    pub attachment_id: Option<String>,
    pub query: Option<QueryAttachment>,
    pub text: Option<TextAttachment>,
    pub suggested_questions: Option<SuggestedQuestions>,
}

/// The SQL Genie wrote.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryAttachment {
    pub query: Option<String>,
    pub description: Option<String>,
    pub title: Option<String>,
    pub statement_id: Option<String>,
    pub query_result_metadata: Option<QueryResultMetadata>,
}

/// Row count of the query's result as Genie reports it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryResultMetadata {
    pub row_count: Option<i64>,
    pub is_truncated: Option<bool>,
}

/// A text answer or a clarifying question.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TextAttachment {
    pub content: Option<String>,
    /// `TEXT_ATTACHMENT_PURPOSE_ANSWER` or `TEXT_ATTACHMENT_PURPOSE_FOLLOW_UP_QUESTION`.
    pub purpose: Option<String>,
}

/// Follow-up questions Genie suggests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SuggestedQuestions {
    pub questions: Vec<String>,
}

/// `GET …/attachments/{aid}/query-result` and `POST …/execute-query`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryResultResponse {
    pub statement_response: Option<StatementResponse>,
}

// ---------------------------------------------------------------------------------------------
// Genie benchmark evaluation runs

/// Status of an eval run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvalRunStatus {
    NotStarted,
    Running,
    Done,
    EvaluationFailed,
    EvaluationCancelled,
    EvaluationTimeout,
    /// Anything else (the docs' samples say `"string"`).
    #[default]
    #[serde(other)]
    Unknown,
}

impl EvalRunStatus {
    /// Whether polling can stop.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            EvalRunStatus::Done
                | EvalRunStatus::EvaluationFailed
                | EvalRunStatus::EvaluationCancelled
                | EvalRunStatus::EvaluationTimeout
        )
    }
}

/// A benchmark evaluation run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvalRun {
    pub eval_run_id: String,
    pub eval_run_status: EvalRunStatus,
    pub num_questions: Option<i64>,
    pub num_done: Option<i64>,
    pub num_correct: Option<i64>,
    pub num_needs_review: Option<i64>,
    pub created_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
}

/// `GET …/eval-runs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListEvalRunsResponse {
    pub eval_runs: Vec<EvalRun>,
    pub next_page_token: Option<String>,
}

/// One question's line in an eval run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvalResult {
    pub result_id: String,
    pub benchmark_question_id: Option<String>,
    /// Shape not pinned down by the docs (string or string array): kept as JSON.
    pub question: Option<serde_json::Value>,
    pub benchmark_answer: Option<serde_json::Value>,
    pub status: Option<String>,
}

/// `GET …/eval-runs/{rid}/results`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListEvalResultsResponse {
    pub eval_results: Vec<EvalResult>,
    pub next_page_token: Option<String>,
}

/// `GET …/eval-runs/{rid}/results/{result_id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvalResultDetails {
    pub actual_response: Vec<EvalResponse>,
    pub expected_response: Vec<EvalResponse>,
    /// `GOOD`, `BAD` or `NEEDS_REVIEW`.
    pub assessment: Option<String>,
    pub assessment_reasons: Vec<String>,
    pub manual_assessment: Option<serde_json::Value>,
}

/// One response inside eval result details.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvalResponse {
    pub response: Option<String>,
    /// `SQL` or `TEXT`.
    pub response_type: Option<String>,
    pub sql_execution_result: Option<StatementResponse>,
}

// ---------------------------------------------------------------------------------------------
// SQL statements

/// `POST /api/2.0/sql/statements`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecuteStatementRequest {
    pub warehouse_id: String,
    pub statement: String,
    /// `0s` or `5s`–`50s`.
    pub wait_timeout: String,
    /// `CONTINUE` or `CANCEL`.
    pub on_wait_timeout: String,
    /// Always `INLINE` here.
    pub disposition: String,
    /// Always `JSON_ARRAY` here.
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<StatementParameter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_tags: Vec<QueryTag>,
}

/// A named parameter, referenced as `:name` in the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementParameter {
    pub name: String,
    /// `None` binds NULL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A SQL type (`INT`, `DATE`, …); the server defaults to STRING.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub sql_type: Option<String>,
}

/// A key/value tag recorded with the statement in query history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryTag {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// State of a statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatementState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
    Closed,
    #[default]
    #[serde(other)]
    Unknown,
}

impl StatementState {
    /// Whether polling can stop.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StatementState::Succeeded
                | StatementState::Failed
                | StatementState::Canceled
                | StatementState::Closed
        )
    }
}

/// A statement's status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatementStatus {
    pub state: StatementState,
    pub error: Option<ServiceError>,
    pub sql_state: Option<String>,
}

/// `status.error` of a statement.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceError {
    pub error_code: Option<String>,
    pub message: Option<String>,
}

/// The statement object (execute, get, and Genie's query-result).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatementResponse {
    pub statement_id: Option<String>,
    pub status: StatementStatus,
    pub manifest: Option<ResultManifest>,
    pub result: Option<ResultData>,
}

/// Shape of a result: schema and chunk layout.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResultManifest {
    pub format: Option<String>,
    pub schema: Option<ResultSchema>,
    pub total_chunk_count: Option<i64>,
    pub total_row_count: Option<i64>,
    pub truncated: Option<bool>,
}

/// The result's columns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResultSchema {
    pub column_count: Option<i64>,
    pub columns: Vec<ColumnInfo>,
}

/// One column of a result.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ColumnInfo {
    pub name: String,
    pub type_name: Option<String>,
    pub type_text: Option<String>,
    pub position: Option<i64>,
}

/// One chunk of rows, read straight into the compact [`Rows`]. Cells are strings or null on the
/// wire; other JSON values are accepted and kept as their JSON text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResultData {
    pub chunk_index: Option<i64>,
    pub row_offset: Option<i64>,
    pub row_count: Option<i64>,
    pub data_array: Option<Rows>,
    pub external_links: Option<Vec<serde_json::Value>>,
    pub next_chunk_index: Option<i64>,
}

impl ResultManifest {
    /// The columns as the shared result type names them.
    pub fn result_columns(&self) -> Vec<ResultColumn> {
        self.schema
            .iter()
            .flat_map(|s| s.columns.iter())
            .map(|c| ResultColumn {
                name: c.name.clone(),
                type_name: c
                    .type_name
                    .clone()
                    .or_else(|| c.type_text.clone())
                    .unwrap_or_else(|| "STRING".to_string()),
            })
            .collect()
    }
}

/// A result set built from a manifest and the chunks fetched for it.
pub fn result_set(manifest: Option<&ResultManifest>, rows: Rows) -> ResultSet {
    ResultSet {
        columns: manifest
            .map(ResultManifest::result_columns)
            .unwrap_or_default(),
        rows,
        truncated: manifest.and_then(|m| m.truncated).unwrap_or(false),
    }
}

// ---------------------------------------------------------------------------------------------
// Query history (used to reconcile a statement whose POST had an ambiguous outcome)

/// `GET /api/2.0/sql/history/queries`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryHistoryResponse {
    pub res: Vec<QueryInfo>,
    pub next_page_token: Option<String>,
    pub has_next_page: Option<bool>,
}

/// One entry of query history (`query_id` is the statement id).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryInfo {
    pub query_id: String,
    pub query_text: Option<String>,
    pub status: Option<String>,
    pub warehouse_id: Option<String>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
