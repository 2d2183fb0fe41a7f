//! The Genie Conversation API: start a conversation, add messages, poll them through the status
//! steps, read and re-execute query results, list conversations and messages.
//!
//! A question is answered once, when its message is created; the status steps
//! (SUBMITTED → FETCHING_METADATA → FILTERING_CONTEXT → ASKING_AI → PENDING_WAREHOUSE →
//! EXECUTING_QUERY) then only reveal it as time passes, each taking the configured step latency,
//! and the message ends COMPLETED, FAILED, CANCELLED, or QUERY_RESULT_EXPIRED once its result is
//! older than `Settings::result_ttl`. With zero latency a message is final when created.
//! Text answers and clarifications skip the two warehouse steps and complete with a text
//! attachment only (a clarification's has `purpose: FOLLOW_UP_QUESTION`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::error::{ApiError, ApiResult};
use super::extract::{json_body, page};
use super::faults::{MessageFault, RateLimitResponse, TIMED_STEPS};
use super::spaces::{Space, live_space};
use super::state::{AskedQuestion, SimState, epoch_millis};
use super::statements::{StatementError, render_statement, submit};
use crate::model::result::ResultSet;
use crate::sim::answer::Answer;

/// The `user_id` every simulated message belongs to.
const SIM_USER_ID: u64 = 5_511_969_577_895_513;

/// One conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub space_id: String,
    pub title: String,
    pub created_ms: i64,
    pub message_ids: Vec<String>,
}

/// A query Genie ran for a message.
#[derive(Debug, Clone)]
pub struct QueryRun {
    pub attachment_id: String,
    pub statement_id: String,
    pub outcome: Result<ResultSet, StatementError>,
    /// After this instant the message reads QUERY_RESULT_EXPIRED.
    pub valid_until: Instant,
}

/// How a message ends.
// Stored once per message and cloned rarely: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MessageOutcome {
    /// The answerer answered; SQL answers carry the query run.
    Answered {
        answer: Answer,
        text_attachment_id: String,
        query: Option<QueryRun>,
    },
    /// An injected fault.
    Fault(MessageFault),
    /// Refused by the questions-per-minute limit (the `message_error` form).
    RateLimited,
}

/// One message (one question).
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub space_id: String,
    pub content: String,
    pub created: Instant,
    pub created_ms: i64,
    /// The timed status steps this message goes through, with their durations.
    pub timeline: Vec<(&'static str, Duration)>,
    pub outcome: MessageOutcome,
}

impl Message {
    /// The status at `now`, and how long after creation that status began.
    pub fn status_at(&self, now: Instant) -> (&'static str, Duration) {
        let elapsed = now.duration_since(self.created);
        let mut start = Duration::ZERO;
        for &(step, duration) in &self.timeline {
            if elapsed < start + duration {
                return (step, start);
            }
            start += duration;
        }
        (self.final_status(now), start)
    }

    fn final_status(&self, now: Instant) -> &'static str {
        match &self.outcome {
            MessageOutcome::RateLimited => "FAILED",
            MessageOutcome::Fault(MessageFault::Failed(_)) => "FAILED",
            MessageOutcome::Fault(MessageFault::Cancelled) => "CANCELLED",
            MessageOutcome::Answered {
                query: Some(query), ..
            } => match &query.outcome {
                Err(_) => "FAILED",
                Ok(_) if now >= query.valid_until => "QUERY_RESULT_EXPIRED",
                Ok(_) => "COMPLETED",
            },
            MessageOutcome::Answered { query: None, .. } => "COMPLETED",
        }
    }

    fn error(&self) -> Option<Value> {
        let (message, kind) = match &self.outcome {
            MessageOutcome::RateLimited => (
                "Rate limit exceeded: too many questions per minute. Wait and ask again."
                    .to_owned(),
                "RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION".to_owned(),
            ),
            MessageOutcome::Fault(MessageFault::Failed(kind)) => (
                "Genie could not process the message (injected fault).".to_owned(),
                kind.clone(),
            ),
            MessageOutcome::Answered {
                query:
                    Some(QueryRun {
                        outcome: Err(error),
                        ..
                    }),
                ..
            } => (error.message.clone(), "SQL_EXECUTION_EXCEPTION".to_owned()),
            _ => return None,
        };
        Some(json!({"error": message, "type": kind}))
    }

    fn query(&self) -> Option<(&QueryRun, &Answer)> {
        match &self.outcome {
            MessageOutcome::Answered {
                query: Some(query),
                answer,
                ..
            } => Some((query, answer)),
            _ => None,
        }
    }

    /// The GenieMessage JSON at `now`.
    pub fn render(&self, now: Instant) -> Value {
        let (status, since) = self.status_at(now);
        let terminal = !TIMED_STEPS.contains(&status);
        let mut attachments = Vec::new();
        let mut body = json!({
            "message_id": self.id,
            "id": self.id,
            "conversation_id": self.conversation_id,
            "space_id": self.space_id,
            "content": self.content,
            "status": status,
            "created_timestamp": self.created_ms,
            "last_updated_timestamp": self.created_ms + since.as_millis() as i64,
            "user_id": SIM_USER_ID,
        });
        if let Some((query, answer)) = self.query()
            && (terminal || status == "EXECUTING_QUERY")
        {
            attachments.push(query_attachment(query, answer, terminal));
            if let (true, Ok(result)) = (terminal, &query.outcome) {
                body["query_result"] = json!({
                    "statement_id": query.statement_id,
                    "row_count": result.row_count(),
                    "is_truncated": result.truncated,
                });
            }
        }
        if let (
            MessageOutcome::Answered {
                answer,
                text_attachment_id,
                ..
            },
            "COMPLETED",
        ) = (&self.outcome, status)
            && let Some(text) = text_attachment(answer, text_attachment_id)
        {
            attachments.push(text);
        }
        body["attachments"] = Value::from(attachments);
        if terminal && let Some(error) = self.error() {
            body["error"] = error;
        }
        body
    }
}

fn query_attachment(query: &QueryRun, answer: &Answer, terminal: bool) -> Value {
    let (sql, description) = match answer {
        Answer::Sql {
            sql, description, ..
        } => (sql.as_str(), description.as_str()),
        _ => ("", ""),
    };
    let mut body = json!({
        "query": sql,
        "description": description,
        "statement_id": query.statement_id,
    });
    if let (true, Ok(result)) = (terminal, &query.outcome) {
        body["query_result_metadata"] =
            json!({"row_count": result.row_count(), "is_truncated": result.truncated});
    }
    json!({"attachment_id": query.attachment_id, "query": body})
}

fn text_attachment(answer: &Answer, attachment_id: &str) -> Option<Value> {
    let text = match answer {
        Answer::Clarification { text } => {
            json!({"content": text, "purpose": "FOLLOW_UP_QUESTION"})
        }
        Answer::Text { text } => json!({ "content": text }),
        Answer::Sql { .. } => return None,
    };
    Some(json!({"attachment_id": attachment_id, "text": text}))
}

fn timeline(state: &SimState, steps: &[&'static str]) -> Vec<(&'static str, Duration)> {
    let faults = &state.config.faults;
    steps
        .iter()
        .map(|&step| (step, faults.step_latency(step)))
        .collect()
}

/// Admits a question under the questions-per-minute limit: `Ok(true)` when admitted, `Ok(false)`
/// when it must end FAILED with a rate-limit error, `Err` (429) when it must be refused outright.
fn admit_question(state: &SimState) -> ApiResult<bool> {
    let Some(limit) = state.config.faults.questions_per_minute else {
        return Ok(true);
    };
    let now = state.now();
    let wait = match state.resources().window.admit(limit, now) {
        Ok(()) => return Ok(true),
        Err(wait) => wait,
    };
    match state.config.faults.rate_limit_response {
        RateLimitResponse::MessageError => Ok(false),
        RateLimitResponse::Http429 => Err(ApiError::rate_limited(
            format!("Too many questions: the limit is {limit} per minute. Retry later."),
            wait.as_secs_f64().ceil() as u64,
        )),
    }
}

/// Asks one question in a conversation: answers it (once), runs its SQL and stores the message.
/// `admitted` is the verdict of [`admit_question`] (server-side callers such as eval runs are not
/// limited and pass `true`); a question not admitted ends FAILED without being answered.
pub async fn ask(
    state: &Arc<SimState>,
    space: &Space,
    conversation_id: &str,
    question: &str,
    admitted: bool,
) -> Message {
    let created = state.now();
    let created_ms = epoch_millis();
    let message_id = state.new_id();
    let (outcome, steps): (MessageOutcome, &[&'static str]) = if admitted {
        answer_question(state, space, conversation_id, &message_id, question).await
    } else {
        (MessageOutcome::RateLimited, &[])
    };
    let message = Message {
        id: message_id.clone(),
        conversation_id: conversation_id.to_owned(),
        space_id: space.space_id.clone(),
        content: question.to_owned(),
        created,
        created_ms,
        timeline: timeline(state, steps),
        outcome,
    };
    let mut resources = state.resources();
    if let Some(conversation) = resources.conversations.get_mut(conversation_id) {
        conversation.message_ids.push(message_id.clone());
    }
    resources.messages.insert(message_id, message.clone());
    message
}

async fn answer_question(
    state: &Arc<SimState>,
    space: &Space,
    conversation_id: &str,
    message_id: &str,
    question: &str,
) -> (MessageOutcome, &'static [&'static str]) {
    let key = occurrence_key(state, &space.space_id, question);
    let thinking_steps = TIMED_STEPS.get(..4).unwrap_or(&TIMED_STEPS);
    if let Some(fault) = state.dice.message_fault(&state.config.faults, &key) {
        state.resources().faults.failed_messages += 1;
        return (MessageOutcome::Fault(fault), thinking_steps);
    }
    let jitter = state
        .config
        .faults
        .nondeterminism
        .then(|| state.dice.hash("jitter", &key));
    let answer = {
        let state = Arc::clone(state);
        let content = space.content.clone();
        let question = question.to_owned();
        tokio::task::spawn_blocking(move || {
            state
                .answerer
                .answer(&state.warehouse, &content, &question, jitter)
        })
        .await
        .unwrap_or_else(|e| Answer::Text {
            text: format!("The answerer crashed: {e}"),
        })
    };
    state.resources().asked.push(AskedQuestion {
        space_id: space.space_id.clone(),
        conversation_id: conversation_id.to_owned(),
        message_id: message_id.to_owned(),
        question: question.to_owned(),
    });
    let text_attachment_id = state.new_id();
    let Answer::Sql { sql, .. } = &answer else {
        let outcome = MessageOutcome::Answered {
            answer,
            text_attachment_id,
            query: None,
        };
        return (outcome, thinking_steps);
    };
    let query = run_query(state, sql.clone(), state.new_id()).await;
    let outcome = MessageOutcome::Answered {
        answer,
        text_attachment_id,
        query: Some(query),
    };
    (outcome, &TIMED_STEPS)
}

/// The dice key for this asking of a question: the space, the text and how often it was asked.
fn occurrence_key(state: &SimState, space_id: &str, question: &str) -> String {
    let mut resources = state.resources();
    let count = resources
        .occurrences
        .entry((space_id.to_owned(), question.to_owned()))
        .or_insert(0);
    let key = format!("{space_id}\u{1f}{question}\u{1f}{count}");
    *count += 1;
    key
}

async fn run_query(state: &Arc<SimState>, sql: String, attachment_id: String) -> QueryRun {
    let statement = submit(state, sql, Vec::new()).await;
    let total_latency: Duration = timeline(state, &TIMED_STEPS).iter().map(|s| s.1).sum();
    QueryRun {
        attachment_id,
        statement_id: statement.id,
        outcome: statement.outcome,
        valid_until: state.now() + total_latency + state.config.result_ttl,
    }
}

/// Creates a conversation record titled by its first question.
pub fn new_conversation(state: &SimState, space_id: &str, title: &str) -> Conversation {
    let conversation = Conversation {
        id: state.new_id(),
        space_id: space_id.to_owned(),
        title: title.to_owned(),
        created_ms: epoch_millis(),
        message_ids: Vec::new(),
    };
    state
        .resources()
        .conversations
        .insert(conversation.id.clone(), conversation.clone());
    conversation
}

/// The body of start-conversation and create-message.
#[derive(Debug, Deserialize)]
pub struct MessageRequest {
    content: Option<String>,
}

fn content_of(body: &Bytes) -> ApiResult<String> {
    let request: MessageRequest = json_body(body)?;
    request
        .content
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("content is required"))
}

/// `POST /api/2.0/genie/spaces/{space_id}/start-conversation`.
pub async fn start(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let content = content_of(&body)?;
    let space = live_space(&state, &space_id)?;
    let admitted = admit_question(&state)?;
    let conversation = new_conversation(&state, &space_id, &content);
    let message = ask(&state, &space, &conversation.id, &content, admitted).await;
    let now = state.now();
    Ok(Json(json!({
        "conversation_id": conversation.id,
        "message_id": message.id,
        "conversation": render_conversation(&conversation, message.created_ms),
        "message": message.render(now),
    })))
}

fn render_conversation(conversation: &Conversation, last_updated_ms: i64) -> Value {
    json!({
        "conversation_id": conversation.id,
        "id": conversation.id,
        "space_id": conversation.space_id,
        "title": conversation.title,
        "created_timestamp": conversation.created_ms,
        "last_updated_timestamp": last_updated_ms,
        "user_id": SIM_USER_ID,
    })
}

fn conversation_in(state: &SimState, space_id: &str, conversation_id: &str) -> ApiResult<()> {
    let resources = state.resources();
    match resources.conversations.get(conversation_id) {
        Some(c) if c.space_id == space_id => Ok(()),
        _ => Err(ApiError::not_found(format!(
            "Conversation {conversation_id} does not exist in space {space_id}."
        ))),
    }
}

fn message_in(
    state: &SimState,
    space_id: &str,
    conversation_id: &str,
    message_id: &str,
) -> ApiResult<Message> {
    conversation_in(state, space_id, conversation_id)?;
    state
        .resources()
        .messages
        .get(message_id)
        .filter(|m| m.conversation_id == conversation_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("Message {message_id} does not exist.")))
}

/// `POST …/conversations/{conversation_id}/messages`.
pub async fn create_message(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let content = content_of(&body)?;
    let space = live_space(&state, &space_id)?;
    conversation_in(&state, &space_id, &conversation_id)?;
    let admitted = admit_question(&state)?;
    let message = ask(&state, &space, &conversation_id, &content, admitted).await;
    Ok(Json(message.render(state.now())))
}

/// `GET …/conversations/{conversation_id}/messages/{message_id}`.
pub async fn get_message(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id, message_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    let message = message_in(&state, &space_id, &conversation_id, &message_id)?;
    Ok(Json(message.render(state.now())))
}

/// `GET …/conversations/{conversation_id}/messages` (paged).
pub async fn list_messages(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id)): Path<(String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    conversation_in(&state, &space_id, &conversation_id)?;
    let now = state.now();
    let rendered: Vec<Value> = {
        let resources = state.resources();
        resources
            .conversations
            .get(&conversation_id)
            .into_iter()
            .flat_map(|c| &c.message_ids)
            .filter_map(|id| resources.messages.get(id))
            .map(|m| m.render(now))
            .collect()
    };
    let (messages, next) = page(&rendered, &query, 100)?;
    let mut body = json!({ "messages": messages });
    if let Some(token) = next {
        body["next_page_token"] = Value::from(token);
    }
    Ok(Json(body))
}

/// `GET /api/2.0/genie/spaces/{space_id}/conversations` (paged, oldest first).
pub async fn list_conversations(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    let mut listed: Vec<(i64, String, Value)> = {
        let resources = state.resources();
        resources
            .conversations
            .values()
            .filter(|c| c.space_id == space_id)
            .map(|c| {
                let item = json!({
                    "conversation_id": c.id,
                    "title": c.title,
                    "created_timestamp": c.created_ms,
                });
                (c.created_ms, c.id.clone(), item)
            })
            .collect()
    };
    listed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let items: Vec<Value> = listed.into_iter().map(|(_, _, item)| item).collect();
    let (conversations, next) = page(&items, &query, 100)?;
    let mut body = json!({ "conversations": conversations });
    if let Some(token) = next {
        body["next_page_token"] = Value::from(token);
    }
    Ok(Json(body))
}

/// `DELETE …/conversations/{conversation_id}`.
pub async fn delete_conversation(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    conversation_in(&state, &space_id, &conversation_id)?;
    let mut resources = state.resources();
    if let Some(conversation) = resources.conversations.remove(&conversation_id) {
        for id in conversation.message_ids {
            resources.messages.remove(&id);
        }
    }
    Ok(Json(json!({})))
}

/// `GET …/messages/{message_id}/attachments/{attachment_id}/query-result`.
pub async fn query_result(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id, message_id, attachment_id)): Path<(
        String,
        String,
        String,
        String,
    )>,
) -> ApiResult<Json<Value>> {
    let message = message_in(&state, &space_id, &conversation_id, &message_id)?;
    let (query, _) = message
        .query()
        .filter(|(q, _)| q.attachment_id == attachment_id)
        .ok_or_else(|| attachment_not_found(&attachment_id))?;
    let now = state.now();
    let statement_state = match message.status_at(now).0 {
        "EXECUTING_QUERY" => "RUNNING",
        "COMPLETED" => "SUCCEEDED",
        "FAILED" => "FAILED",
        "QUERY_RESULT_EXPIRED" => {
            return Err(ApiError::invalid(
                "The query result has expired. Call execute-query to run the query again.",
            ));
        }
        status => {
            return Err(ApiError::invalid(format!(
                "Message {message_id} is {status}: query results are available from EXECUTING_QUERY on"
            )));
        }
    };
    Ok(Json(json!({
        "statement_response": render_statement(
            &query.statement_id,
            statement_state,
            &query.outcome,
            state.config.chunk_rows,
        )
    })))
}

fn attachment_not_found(attachment_id: &str) -> ApiError {
    ApiError::not_found(format!("Query attachment {attachment_id} does not exist."))
}

/// `POST …/messages/{message_id}/attachments/{attachment_id}/execute-query`: runs the query
/// again (the way out of QUERY_RESULT_EXPIRED).
pub async fn execute_query(
    State(state): State<Arc<SimState>>,
    Path((space_id, conversation_id, message_id, attachment_id)): Path<(
        String,
        String,
        String,
        String,
    )>,
) -> ApiResult<Json<Value>> {
    let message = message_in(&state, &space_id, &conversation_id, &message_id)?;
    let (_, answer) = message
        .query()
        .filter(|(q, _)| q.attachment_id == attachment_id)
        .ok_or_else(|| attachment_not_found(&attachment_id))?;
    let Answer::Sql { sql, .. } = answer else {
        return Err(attachment_not_found(&attachment_id));
    };
    let mut run = run_query(&state, sql.clone(), attachment_id.clone()).await;
    run.valid_until = state.now() + state.config.result_ttl;
    let statement_state = if run.outcome.is_ok() {
        "SUCCEEDED"
    } else {
        "FAILED"
    };
    let response = render_statement(
        &run.statement_id,
        statement_state,
        &run.outcome,
        state.config.chunk_rows,
    );
    if let Some(MessageOutcome::Answered { query, .. }) = state
        .resources()
        .messages
        .get_mut(&message_id)
        .map(|m| &mut m.outcome)
    {
        *query = Some(run);
    }
    Ok(Json(json!({ "statement_response": response })))
}
