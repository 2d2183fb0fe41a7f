//! The Genie API: spaces (list, get, create, update, trash), asking a question and reading
//! its answer, and benchmark evaluation runs.
//!
//! [`GenieClient::ask`] goes through the shared [`QuestionLimiter`]: it waits for a start
//! slot, starts a conversation (a 429 refunds the slot and waits), polls the message with
//! backoff until it is final or the deadline passes, then classifies it into an [`Outcome`]
//! and fetches the query result (every chunk), re-executing it when it has expired. When the
//! start POST fails ambiguously, the client looks for the conversation it may have created
//! (same question, started after we sent it, not claimed by another ask of this process)
//! before it asks again, so a question is asked and billed once. Creating an eval run is
//! reconciled the same way (a run created after the request for the same questions), and so
//! is creating a space (a space with the same title created after the request).
//!
//! Transient failures are retried without asking Genie for a second answer: a message that
//! ends FAILED with `RETRYABLE_PROCESSING_EXCEPTION` produced no answer, so the question is
//! asked again in a fresh conversation (at most [`TRANSIENT_REASKS`] times); a message whose
//! query the warehouse failed transiently (`TEMPORARILY_UNAVAILABLE`, …) keeps Genie's answer
//! and only its query is run again through execute-query (at most
//! [`crate::databricks::sql::TRANSIENT_RESUBMITS`] times).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tokio::time::Instant;

use super::error::DatabricksError;
use super::http::{ApiClient, Call};
use super::limiter::QuestionLimiter;
use super::sql::{SqlClient, TRANSIENT_RESUBMITS, epoch_ms, is_transient_error_code};
use super::types::{
    Attachment, Conversation, CreateSpaceRequest, EvalResult, EvalResultDetails, EvalRun,
    GenieMessage, GenieSpace, ListConversationsResponse, ListEvalResultsResponse,
    ListEvalRunsResponse, ListMessagesResponse, ListSpacesResponse, MessageStatus,
    QueryResultResponse, StartConversationResponse, StatementResponse, StatementState,
    UpdateSpaceRequest,
};
use crate::model::result::ResultSet;

/// How many times a question is re-asked after Genie answered `RATE_LIMIT_EXCEEDED_*`.
const RATE_LIMIT_REASKS: u32 = 3;
/// How many times a space creation whose outcome was unknown, and that left no space, is
/// sent again.
pub const AMBIGUOUS_CREATE_RESENDS: u32 = 3;
/// How many times a question is re-asked after a message ended FAILED with a retryable error.
pub const TRANSIENT_REASKS: u32 = 3;
/// Message `error.type`s that say Genie produced no answer and may on another try.
const TRANSIENT_MESSAGE_ERRORS: [&str; 1] = ["RETRYABLE_PROCESSING_EXCEPTION"];
/// How far back (ms) a conversation may have started and still be ours when reconciling,
/// allowing for clock skew between us and the workspace.
const RECONCILE_SKEW_MS: i64 = 5 * 60 * 1000;

/// What Genie made of a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Genie wrote SQL; `result` holds every row it returned.
    Sql {
        sql: String,
        description: Option<String>,
        result: ResultSet,
        /// The text answer that came with the query, if any.
        text: Option<String>,
    },
    /// A text-only answer.
    Text { text: String },
    /// Genie asked the user to clarify.
    Clarification { question: String },
    /// The message ended FAILED or CANCELLED.
    Failed {
        status: MessageStatus,
        /// `error.type` (`SQL_EXECUTION_EXCEPTION`, …) when Genie gave one.
        error_type: Option<String>,
        message: String,
    },
}

/// One asked question: where it lives and what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub conversation_id: String,
    pub message_id: String,
    pub outcome: Outcome,
}

/// Client of `/api/2.0/genie`.
#[derive(Debug)]
pub struct GenieClient {
    api: ApiClient,
    sql: SqlClient,
    limiter: QuestionLimiter,
    /// Conversations and eval runs this process started or adopted, so reconciliation never
    /// adopts one twice.
    claimed: Mutex<BTreeSet<String>>,
}

fn space_path(space_id: &str) -> String {
    format!("/api/2.0/genie/spaces/{space_id}")
}

fn to_body<T: Serialize>(value: &T) -> Result<serde_json::Value, DatabricksError> {
    serde_json::to_value(value).map_err(|e| DatabricksError::Decode {
        url: String::new(),
        message: e.to_string(),
    })
}

impl GenieClient {
    /// A Genie client sharing the process's question limiter.
    pub fn new(api: ApiClient, limiter: QuestionLimiter) -> Self {
        Self {
            sql: SqlClient::new(api.clone()),
            api,
            limiter,
            claimed: Mutex::new(BTreeSet::new()),
        }
    }

    // --- spaces -------------------------------------------------------------------------------

    /// One page of spaces.
    pub async fn list_spaces_page(
        &self,
        page_token: Option<&str>,
    ) -> Result<ListSpacesResponse, DatabricksError> {
        let mut call = Call::get("/api/2.0/genie/spaces").query("page_size", 100);
        if let Some(token) = page_token {
            call = call.query("page_token", token);
        }
        self.api.send(call).await
    }

    /// Every space the caller can see, following page tokens (no `serialized_space`).
    pub async fn list_spaces(&self) -> Result<Vec<GenieSpace>, DatabricksError> {
        let mut spaces = Vec::new();
        let mut token: Option<String> = None;
        let mut seen_tokens = BTreeSet::new();
        loop {
            let page = self.list_spaces_page(token.as_deref()).await?;
            spaces.extend(page.spaces);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if seen_tokens.insert(next.clone()) => token = Some(next),
                _ => return Ok(spaces),
            }
        }
    }

    /// One space; with `include_serialized_space` its configuration and etag too.
    pub async fn get_space(
        &self,
        space_id: &str,
        include_serialized_space: bool,
    ) -> Result<GenieSpace, DatabricksError> {
        let mut call = Call::get(space_path(space_id));
        if include_serialized_space {
            call = call.query("include_serialized_space", "true");
        }
        self.api.send(call).await
    }

    /// Creates a space. When the POST fails ambiguously, the space it may have created (same
    /// title, created after the request, not claimed by this process) is adopted; with none it
    /// is sent again (at most [`AMBIGUOUS_CREATE_RESENDS`] times); with several the ambiguous
    /// error is returned rather than guessing.
    pub async fn create_space(
        &self,
        request: &CreateSpaceRequest,
    ) -> Result<GenieSpace, DatabricksError> {
        let body = to_body(request)?;
        let mut resends = 0;
        loop {
            let sent_at_ms = epoch_ms();
            let call = Call::post_create("/api/2.0/genie/spaces", body.clone());
            let error = match self.api.send::<GenieSpace>(call).await {
                Ok(space) => {
                    self.claim(&space.space_id);
                    return Ok(space);
                }
                Err(e @ DatabricksError::Ambiguous { .. })
                    if resends < AMBIGUOUS_CREATE_RESENDS =>
                {
                    e
                }
                Err(e) => return Err(e),
            };
            tracing::warn!(%error, "space creation outcome unknown: looking for the space before creating it again");
            let found = self.find_created_spaces(request, sent_at_ms).await?;
            match found.as_slice() {
                [] => resends += 1,
                [space] => {
                    self.claim(&space.space_id);
                    return Ok(space.clone());
                }
                _ => return Err(error),
            }
        }
    }

    /// Unclaimed spaces titled like `request` whose creation time is after `sent_at_ms`
    /// (allowing for clock skew).
    async fn find_created_spaces(
        &self,
        request: &CreateSpaceRequest,
        sent_at_ms: i64,
    ) -> Result<Vec<GenieSpace>, DatabricksError> {
        let created_after = |space: &GenieSpace| {
            space.create_time.as_deref().is_none_or(|t| {
                chrono::DateTime::parse_from_rfc3339(t).map_or(true, |t| {
                    t.timestamp_millis() >= sent_at_ms - RECONCILE_SKEW_MS
                })
            })
        };
        Ok(self
            .list_spaces()
            .await?
            .into_iter()
            .filter(|space| space.title == request.title && created_after(space))
            .filter(|space| !self.is_claimed(&space.space_id))
            .collect())
    }

    /// Updates a space; pass the etag read with it to refuse a concurrent change.
    pub async fn update_space(
        &self,
        space_id: &str,
        request: &UpdateSpaceRequest,
    ) -> Result<GenieSpace, DatabricksError> {
        self.api
            .send(Call::patch(space_path(space_id), to_body(request)?))
            .await
    }

    /// Moves a space to the trash.
    pub async fn trash_space(&self, space_id: &str) -> Result<(), DatabricksError> {
        self.api
            .send::<Option<serde_json::Value>>(Call::delete(space_path(space_id)))
            .await
            .map(|_| ())
    }

    // --- asking -------------------------------------------------------------------------------

    /// Asks `question` in a fresh conversation and waits up to `deadline` for the answer.
    pub async fn ask(
        &self,
        space_id: &str,
        question: &str,
        deadline: Duration,
    ) -> Result<Answer, DatabricksError> {
        let started = Instant::now();
        let mut reasks = 0;
        let mut transient_reasks = 0;
        loop {
            let mut permit = self.limiter.acquire().await;
            let (conversation_id, message_id) = self
                .start(space_id, question, &mut permit, started, deadline)
                .await?;
            let message = self
                .poll(space_id, &conversation_id, &message_id, started, deadline)
                .await?;
            let error_type = message.error.as_ref().and_then(|e| e.error_type.clone());
            let rate_limited = error_type
                .as_deref()
                .is_some_and(|t| t.starts_with("RATE_LIMIT_EXCEEDED"));
            if message.status == MessageStatus::Failed && rate_limited && reasks < RATE_LIMIT_REASKS
            {
                reasks += 1;
                tracing::warn!(
                    space_id,
                    error_type,
                    "Genie is rate limiting: pausing, then asking again"
                );
                self.limiter.pause(None);
                continue;
            }
            let retryable = error_type
                .as_deref()
                .is_some_and(|t| TRANSIENT_MESSAGE_ERRORS.contains(&t));
            if message.status == MessageStatus::Failed
                && retryable
                && transient_reasks < TRANSIENT_REASKS
            {
                transient_reasks += 1;
                tracing::warn!(
                    space_id,
                    error_type,
                    "Genie failed the message without an answer: asking again"
                );
                continue;
            }
            let outcome = self.outcome(space_id, &message).await?;
            return Ok(Answer {
                conversation_id,
                message_id,
                outcome,
            });
        }
    }

    /// Starts the conversation, retrying refused starts and reconciling ambiguous ones.
    async fn start(
        &self,
        space_id: &str,
        question: &str,
        permit: &mut super::limiter::QuestionPermit,
        started: Instant,
        deadline: Duration,
    ) -> Result<(String, String), DatabricksError> {
        let path = format!("{}/start-conversation", space_path(space_id));
        loop {
            let sent_at_ms = epoch_ms();
            let call = Call::post_create(path.clone(), json!({ "content": question }))
                .no_rate_limit_retry();
            let found = match self.api.send::<StartConversationResponse>(call).await {
                Ok(response) => response.ids().ok_or_else(|| DatabricksError::Decode {
                    url: path.clone(),
                    message: "start-conversation returned no conversation or message id".into(),
                })?,
                Err(DatabricksError::Api(e)) if e.status == 429 => {
                    if started.elapsed() + e.retry_after.unwrap_or_default() > deadline {
                        return Err(DatabricksError::Api(e));
                    }
                    permit.rejected(e.retry_after).await;
                    continue;
                }
                Err(DatabricksError::Ambiguous { url, message }) => {
                    tracing::warn!(%url, %message, "start-conversation outcome unknown: looking for the conversation before asking again");
                    match self.reconcile(space_id, question, sent_at_ms).await? {
                        Some(ids) => ids,
                        None => {
                            tracing::warn!(
                                "the question is not in the space's conversations: asking it again"
                            );
                            continue;
                        }
                    }
                }
                Err(e) => return Err(e),
            };
            self.claim(&found.0);
            return Ok(found);
        }
    }

    fn claim(&self, conversation_id: &str) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(conversation_id.to_string())
    }

    fn is_claimed(&self, conversation_id: &str) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(conversation_id)
    }

    /// Finds a conversation this ask started although the response was lost (two looks, as
    /// the server may still be writing it).
    async fn reconcile(
        &self,
        space_id: &str,
        question: &str,
        sent_at_ms: i64,
    ) -> Result<Option<(String, String)>, DatabricksError> {
        for round in 1..=2 {
            if let Some(found) = self.find_started(space_id, question, sent_at_ms).await? {
                return Ok(Some(found));
            }
            if round == 1 {
                tokio::time::sleep(self.api.policy().backoff(1)).await;
            }
        }
        Ok(None)
    }

    /// Looks through every page of the space's conversations: the API does not promise an
    /// order, and a busy space has more conversations than one page holds.
    async fn find_started(
        &self,
        space_id: &str,
        question: &str,
        sent_at_ms: i64,
    ) -> Result<Option<(String, String)>, DatabricksError> {
        let path = format!("{}/conversations", space_path(space_id));
        let mut token: Option<String> = None;
        let mut seen_tokens = BTreeSet::new();
        loop {
            let mut call = Call::get(path.clone()).query("page_size", 100);
            if let Some(t) = &token {
                call = call.query("page_token", t);
            }
            let page: ListConversationsResponse = self.api.send(call).await?;
            let found = self
                .find_in_page(space_id, question, sent_at_ms, &page.conversations)
                .await?;
            if found.is_some() {
                return Ok(found);
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if seen_tokens.insert(next.clone()) => token = Some(next),
                _ => return Ok(None),
            }
        }
    }

    /// The unclaimed recent conversation of one page whose messages hold `question`.
    async fn find_in_page(
        &self,
        space_id: &str,
        question: &str,
        sent_at_ms: i64,
        conversations: &[Conversation],
    ) -> Result<Option<(String, String)>, DatabricksError> {
        let candidates = conversations.iter().filter(|c| {
            let recent = c
                .created_timestamp
                .is_none_or(|t| t == 0 || t >= sent_at_ms - RECONCILE_SKEW_MS);
            let title_fits = c
                .title
                .as_deref()
                .is_none_or(|t| question.starts_with(t.trim_end_matches('…')));
            recent && title_fits
        });
        for conversation in candidates {
            let Some(cid) = conversation.id() else {
                continue;
            };
            if self.is_claimed(cid) {
                continue;
            }
            let call = Call::get(format!(
                "{}/conversations/{cid}/messages",
                space_path(space_id)
            ));
            let messages: ListMessagesResponse = self.api.send(call).await?;
            let ours = messages
                .messages
                .iter()
                .find(|m| m.content.as_deref() == Some(question))
                .and_then(GenieMessage::id);
            if let Some(mid) = ours {
                tracing::info!(
                    conversation_id = cid,
                    message_id = mid,
                    "found the conversation the lost request started"
                );
                return Ok(Some((cid.to_string(), mid.to_string())));
            }
        }
        Ok(None)
    }

    /// Polls the message with `min(attempt, 10)` units of backoff until it is final.
    async fn poll(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
        started: Instant,
        deadline: Duration,
    ) -> Result<GenieMessage, DatabricksError> {
        let path = format!(
            "{}/conversations/{conversation_id}/messages/{message_id}",
            space_path(space_id)
        );
        let mut attempt = 0;
        loop {
            let message: GenieMessage = self.api.send(Call::get(path.clone())).await?;
            if message.status.is_terminal() {
                return Ok(message);
            }
            attempt += 1;
            let pause = self.api.policy().backoff(attempt);
            if started.elapsed() + pause > deadline {
                return Err(DatabricksError::Deadline {
                    what: format!(
                        "Genie message {message_id} (last status {:?})",
                        message.status
                    ),
                    deadline,
                });
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Classifies a final message, fetching the query result when there is one.
    async fn outcome(
        &self,
        space_id: &str,
        message: &GenieMessage,
    ) -> Result<Outcome, DatabricksError> {
        if message.status == MessageStatus::Failed
            && let Some(outcome) = self.rerun_transient_query(space_id, message).await?
        {
            return Ok(outcome);
        }
        match message.status {
            MessageStatus::Failed | MessageStatus::Cancelled => {
                let error = message.error.clone().unwrap_or_default();
                return Ok(Outcome::Failed {
                    status: message.status,
                    error_type: error.error_type,
                    message: error
                        .error
                        .unwrap_or_else(|| format!("the message ended {:?}", message.status)),
                });
            }
            _ => {}
        }
        let query = query_attachment(message);
        let answer_text = text_of(&message.attachments, false);
        if let Some(attachment) = query {
            let expired = message.status == MessageStatus::QueryResultExpired;
            let result = self
                .query_result(space_id, message, attachment, expired)
                .await?;
            let q = attachment.query.clone().unwrap_or_default();
            return Ok(Outcome::Sql {
                sql: q.query.unwrap_or_default(),
                description: q.description,
                result,
                text: answer_text,
            });
        }
        if let Some(question) = text_of(&message.attachments, true) {
            return Ok(Outcome::Clarification { question });
        }
        Ok(Outcome::Text {
            text: answer_text.unwrap_or_default(),
        })
    }

    /// For a FAILED message whose query the warehouse failed transiently: runs Genie's query
    /// again through execute-query (Genie is not asked again) until it stops failing
    /// transiently. `None` when the message has no query or its failure was not transient.
    async fn rerun_transient_query(
        &self,
        space_id: &str,
        message: &GenieMessage,
    ) -> Result<Option<Outcome>, DatabricksError> {
        let Some(attachment) = query_attachment(message) else {
            return Ok(None);
        };
        let Some(aid) = attachment.attachment_id.as_deref() else {
            return Ok(None);
        };
        let base = format!(
            "{}/conversations/{}/messages/{}/attachments/{aid}",
            space_path(space_id),
            message.conversation_id.as_deref().unwrap_or_default(),
            message.id().unwrap_or_default()
        );
        let read: QueryResultResponse = self
            .api
            .send(Call::get(format!("{base}/query-result")))
            .await?;
        let mut statement = read.statement_response.unwrap_or_default();
        let mut reruns = 0;
        while statement.status.state == StatementState::Failed
            && transient_statement(&statement)
            && reruns < TRANSIENT_RESUBMITS
        {
            reruns += 1;
            tracing::warn!(
                space_id,
                "the warehouse failed Genie's query transiently: running it again"
            );
            tokio::time::sleep(self.api.policy().backoff(reruns)).await;
            let rerun: QueryResultResponse = self
                .api
                .send(Call::post_idempotent(
                    format!("{base}/execute-query"),
                    json!({}),
                ))
                .await?;
            statement = rerun.statement_response.unwrap_or_default();
        }
        if reruns == 0 || statement.status.state != StatementState::Succeeded {
            return Ok(None);
        }
        let result = self.sql.all_rows(statement).await?;
        let q = attachment.query.clone().unwrap_or_default();
        Ok(Some(Outcome::Sql {
            sql: q.query.unwrap_or_default(),
            description: q.description,
            result,
            text: text_of(&message.attachments, false),
        }))
    }

    /// The query's rows: read them, or re-execute the query when the result has expired.
    async fn query_result(
        &self,
        space_id: &str,
        message: &GenieMessage,
        attachment: &Attachment,
        expired: bool,
    ) -> Result<ResultSet, DatabricksError> {
        let base = format!(
            "{}/conversations/{}/messages/{}",
            space_path(space_id),
            message.conversation_id.as_deref().unwrap_or_default(),
            message.id().unwrap_or_default()
        );
        let Some(aid) = attachment.attachment_id.as_deref() else {
            let legacy: QueryResultResponse = self
                .api
                .send(Call::get(format!("{base}/query-result")))
                .await?;
            return self.rows(legacy).await;
        };
        let read = Call::get(format!("{base}/attachments/{aid}/query-result"));
        let rerun =
            Call::post_idempotent(format!("{base}/attachments/{aid}/execute-query"), json!({}));
        if expired {
            return self.rows(self.api.send(rerun).await?).await;
        }
        match self.api.send::<QueryResultResponse>(read).await {
            Ok(response) => self.rows(response).await,
            Err(e) if is_expired(&e) => self.rows(self.api.send(rerun).await?).await,
            Err(e) => Err(e),
        }
    }

    async fn rows(&self, response: QueryResultResponse) -> Result<ResultSet, DatabricksError> {
        let statement = response.statement_response.unwrap_or_default();
        self.sql.all_rows(statement).await
    }

    // --- evaluation runs ----------------------------------------------------------------------

    /// Starts a benchmark evaluation run (all benchmark questions when `question_ids` is None).
    ///
    /// Sent at most twice: when the POST fails ambiguously, the run it may have created is
    /// looked for first ([`Self::find_created_run`]) and adopted; only when no run shows up is
    /// it sent again. Several plausible runs are not guessed between: the error is returned.
    pub async fn create_eval_run(
        &self,
        space_id: &str,
        question_ids: Option<&[String]>,
    ) -> Result<EvalRun, DatabricksError> {
        let body = match question_ids {
            Some(ids) => json!({ "benchmark_question_ids": ids }),
            None => json!({}),
        };
        let path = format!("{}/eval-runs", space_path(space_id));
        let mut sends = 0;
        loop {
            sends += 1;
            let sent_at_ms = epoch_ms();
            let call = Call::post_create(path.clone(), body.clone());
            let error = match self.api.send::<EvalRun>(call).await {
                Ok(run) => {
                    self.claim(&eval_run_claim(&run.eval_run_id));
                    return Ok(run);
                }
                Err(e @ DatabricksError::Ambiguous { .. }) => e,
                Err(e) => return Err(e),
            };
            tracing::warn!(%error, "eval-run creation outcome unknown: looking for the run before starting it again");
            match self
                .reconcile_eval_run(space_id, question_ids, sent_at_ms)
                .await?
            {
                RunSearch::Found(run) => {
                    self.claim(&eval_run_claim(&run.eval_run_id));
                    return Ok(run);
                }
                RunSearch::Several(ids) => {
                    tracing::warn!(
                        runs = ids.join(", "),
                        "several new eval runs could be the lost one: not guessing"
                    );
                    return Err(error);
                }
                RunSearch::None if sends < 2 => {
                    tracing::warn!(
                        "no eval run was created by the lost request: starting it again"
                    );
                }
                RunSearch::None => return Err(error),
            }
        }
    }

    /// Looks twice (the server may still be writing it) for the run a lost create made.
    async fn reconcile_eval_run(
        &self,
        space_id: &str,
        question_ids: Option<&[String]>,
        sent_at_ms: i64,
    ) -> Result<RunSearch, DatabricksError> {
        for round in 1..=2 {
            let found = self
                .find_created_run(space_id, question_ids, sent_at_ms)
                .await?;
            if !matches!(found, RunSearch::None) || round == 2 {
                return Ok(found);
            }
            tokio::time::sleep(self.api.policy().backoff(1)).await;
        }
        Ok(RunSearch::None)
    }

    /// The unclaimed runs created after `sent_at_ms` (less the clock-skew allowance) for the
    /// same questions: the same count, and no result line for a question not asked for.
    async fn find_created_run(
        &self,
        space_id: &str,
        question_ids: Option<&[String]>,
        sent_at_ms: i64,
    ) -> Result<RunSearch, DatabricksError> {
        let mut matching = Vec::new();
        for run in self.list_eval_runs(space_id).await? {
            let recent = run
                .created_timestamp
                .is_none_or(|t| t == 0 || t >= sent_at_ms - RECONCILE_SKEW_MS);
            if !recent || self.is_claimed(&eval_run_claim(&run.eval_run_id)) {
                continue;
            }
            if let Some(ids) = question_ids {
                let count_fits = run
                    .num_questions
                    .is_none_or(|n| usize::try_from(n).is_ok_and(|n| n == ids.len()));
                if !count_fits || !self.results_within(space_id, &run, ids).await? {
                    continue;
                }
            }
            matching.push(run);
        }
        Ok(match matching.len() {
            0 => RunSearch::None,
            1 => RunSearch::Found(matching.remove(0)),
            _ => RunSearch::Several(matching.into_iter().map(|r| r.eval_run_id).collect()),
        })
    }

    /// Whether every result line the run has so far is for one of `ids`.
    async fn results_within(
        &self,
        space_id: &str,
        run: &EvalRun,
        ids: &[String],
    ) -> Result<bool, DatabricksError> {
        let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let results = self.eval_results(space_id, &run.eval_run_id).await?;
        Ok(results.iter().all(|r| {
            r.benchmark_question_id
                .as_deref()
                .is_none_or(|id| wanted.contains(id))
        }))
    }

    /// Every evaluation run of the space, following page tokens.
    pub async fn list_eval_runs(&self, space_id: &str) -> Result<Vec<EvalRun>, DatabricksError> {
        let path = format!("{}/eval-runs", space_path(space_id));
        let mut runs = Vec::new();
        let mut token: Option<String> = None;
        let mut seen_tokens = BTreeSet::new();
        loop {
            let mut call = Call::get(path.clone());
            if let Some(t) = &token {
                call = call.query("page_token", t);
            }
            let page: ListEvalRunsResponse = self.api.send(call).await?;
            runs.extend(page.eval_runs);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if seen_tokens.insert(next.clone()) => token = Some(next),
                _ => return Ok(runs),
            }
        }
    }

    /// One evaluation run.
    pub async fn get_eval_run(
        &self,
        space_id: &str,
        run_id: &str,
    ) -> Result<EvalRun, DatabricksError> {
        self.api
            .send(Call::get(format!(
                "{}/eval-runs/{run_id}",
                space_path(space_id)
            )))
            .await
    }

    /// Polls an evaluation run until it is final or the deadline passes.
    pub async fn wait_eval_run(
        &self,
        space_id: &str,
        run_id: &str,
        deadline: Duration,
    ) -> Result<EvalRun, DatabricksError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let run = self.get_eval_run(space_id, run_id).await?;
            if run.eval_run_status.is_terminal() {
                return Ok(run);
            }
            attempt += 1;
            let pause = self.api.policy().backoff(attempt);
            if started.elapsed() + pause > deadline {
                return Err(DatabricksError::Deadline {
                    what: format!("evaluation run {run_id}"),
                    deadline,
                });
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Every result line of an evaluation run, following page tokens.
    pub async fn eval_results(
        &self,
        space_id: &str,
        run_id: &str,
    ) -> Result<Vec<EvalResult>, DatabricksError> {
        let path = format!("{}/eval-runs/{run_id}/results", space_path(space_id));
        let mut results = Vec::new();
        let mut token: Option<String> = None;
        let mut seen_tokens = BTreeSet::new();
        loop {
            let mut call = Call::get(path.clone());
            if let Some(t) = &token {
                call = call.query("page_token", t);
            }
            let page: ListEvalResultsResponse = self.api.send(call).await?;
            results.extend(page.eval_results);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if seen_tokens.insert(next.clone()) => token = Some(next),
                _ => return Ok(results),
            }
        }
    }

    /// The details (responses, assessment, reasons) of one result line.
    pub async fn eval_result_details(
        &self,
        space_id: &str,
        run_id: &str,
        result_id: &str,
    ) -> Result<EvalResultDetails, DatabricksError> {
        let path = format!(
            "{}/eval-runs/{run_id}/results/{result_id}",
            space_path(space_id)
        );
        self.api.send(Call::get(path)).await
    }
}

/// The answer text (`follow_up = false`) or the clarifying question (`true`), joined.
fn text_of(attachments: &[Attachment], follow_up: bool) -> Option<String> {
    let texts: Vec<&str> = attachments
        .iter()
        .filter_map(|a| a.text.as_ref())
        .filter(|t| {
            let is_follow_up = t
                .purpose
                .as_deref()
                .is_some_and(|p| p.ends_with("FOLLOW_UP_QUESTION"));
            is_follow_up == follow_up
        })
        .filter_map(|t| t.content.as_deref())
        .filter(|c| !c.trim().is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

/// What looking for a lost eval run found.
enum RunSearch {
    /// No candidate.
    None,
    /// Exactly one candidate: ours.
    Found(EvalRun),
    /// Several candidates (their ids): too risky to pick one.
    Several(Vec<String>),
}

/// The key an eval run is claimed under (conversations are claimed by their bare id).
fn eval_run_claim(run_id: &str) -> String {
    format!("eval-run:{run_id}")
}

/// The attachment holding Genie's SQL, if any.
fn query_attachment(message: &GenieMessage) -> Option<&Attachment> {
    message.attachments.iter().find(|a| {
        a.query
            .as_ref()
            .and_then(|q| q.query.as_deref())
            .is_some_and(|sql| !sql.trim().is_empty())
    })
}

/// Whether a statement failed with an error the warehouse may not repeat.
fn transient_statement(statement: &StatementResponse) -> bool {
    let code = statement
        .status
        .error
        .as_ref()
        .and_then(|e| e.error_code.as_deref());
    is_transient_error_code(code)
}

fn is_expired(error: &DatabricksError) -> bool {
    let text = error.to_string();
    text.contains("QUERY_RESULT_EXPIRED") || text.contains("expired")
}

#[cfg(test)]
mod tests {
    //! Eval-run reconciliation against a raw HTTP/1.1 server that can close the socket after
    //! reading a request without answering, which mock servers cannot do.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use secrecy::SecretString;
    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::databricks::Workspace;
    use crate::databricks::auth::{Credentials, WorkspaceConfig};
    use crate::databricks::http::RetryPolicy;
    use crate::databricks::limiter::LimiterConfig;

    const SPACE: &str = "01f0b37c378e1c9100000000000000a1";

    /// The request line of one request, once its body has been read.
    async fn read_request(stream: &mut TcpStream) -> Option<String> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buffer.extend_from_slice(chunk.get(..n)?);
            let text = String::from_utf8_lossy(&buffer).to_string();
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let head = text.get(..end)?;
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return head.lines().next().map(String::from);
            }
        }
    }

    async fn respond(stream: &mut TcpStream, body: Value) {
        let body = body.to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    /// A server whose first `drops` eval-run POSTs are read and then dropped unanswered;
    /// later ones create `r-resent`. `runs` is what listing the space's runs returns.
    async fn server(drops: usize, runs: Value, posts: Arc<AtomicUsize>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let posts = Arc::clone(&posts);
                let runs = runs.clone();
                tokio::spawn(async move {
                    let Some(line) = read_request(&mut stream).await else {
                        return;
                    };
                    if line.starts_with("POST") {
                        if posts.fetch_add(1, Ordering::SeqCst) < drops {
                            drop(stream);
                        } else {
                            respond(&mut stream, json!({"eval_run_id": "r-resent", "eval_run_status": "NOT_STARTED"})).await;
                        }
                    } else if line.contains("/eval-runs/r-ours/results") {
                        respond(&mut stream, json!({"eval_results": [{"result_id": "x", "benchmark_question_id": "q1"}]})).await;
                    } else if line.contains("/eval-runs/r-same-size/results") {
                        respond(&mut stream, json!({"eval_results": [{"result_id": "y", "benchmark_question_id": "q9"}]})).await;
                    } else if line.contains("/eval-runs") {
                        respond(&mut stream, runs).await;
                    }
                });
            }
        });
        format!("http://{address}")
    }

    fn workspace(base: &str) -> Workspace {
        let config = WorkspaceConfig {
            host: url::Url::parse(base).expect("test URL"),
            credentials: Credentials::Pat(SecretString::from("dapi-test")),
            warehouse_id: None,
            profile: None,
        };
        let policy = RetryPolicy {
            budget: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            backoff_unit: Duration::from_millis(2),
        };
        Workspace::connect(
            &config,
            policy,
            QuestionLimiter::new(LimiterConfig::default()),
        )
        .expect("client builds")
    }

    fn ids() -> Vec<String> {
        vec!["q1".into(), "q2".into()]
    }

    #[tokio::test]
    async fn a_lost_eval_run_create_adopts_the_run_it_made_instead_of_starting_another() {
        let now = epoch_ms();
        let runs = json!({"eval_runs": [
            {"eval_run_id": "r-old", "eval_run_status": "DONE", "num_questions": 2, "created_timestamp": 1},
            {"eval_run_id": "r-fewer", "eval_run_status": "RUNNING", "num_questions": 1, "created_timestamp": now},
            {"eval_run_id": "r-same-size", "eval_run_status": "RUNNING", "num_questions": 2, "created_timestamp": now},
            {"eval_run_id": "r-ours", "eval_run_status": "RUNNING", "num_questions": 2, "created_timestamp": now},
        ]});
        let posts = Arc::new(AtomicUsize::new(0));
        let base = server(usize::MAX, runs, Arc::clone(&posts)).await;
        let run = workspace(&base)
            .genie
            .create_eval_run(SPACE, Some(&ids()))
            .await
            .map(|r| r.eval_run_id)
            .map_err(|e| e.to_string());
        assert_eq!(run, Ok("r-ours".to_string()));
        assert_eq!(posts.load(Ordering::SeqCst), 1, "the run was started twice");
    }

    #[tokio::test]
    async fn a_lost_eval_run_create_that_made_nothing_is_sent_once_more() {
        let posts = Arc::new(AtomicUsize::new(0));
        let base = server(1, json!({"eval_runs": []}), Arc::clone(&posts)).await;
        let run = workspace(&base)
            .genie
            .create_eval_run(SPACE, Some(&ids()))
            .await
            .map(|r| r.eval_run_id)
            .map_err(|e| e.to_string());
        assert_eq!(run, Ok("r-resent".to_string()));
        assert_eq!(posts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn several_plausible_runs_are_not_guessed_between() {
        let now = epoch_ms();
        let runs = json!({"eval_runs": [
            {"eval_run_id": "a", "eval_run_status": "RUNNING", "created_timestamp": now},
            {"eval_run_id": "b", "eval_run_status": "RUNNING", "created_timestamp": now},
        ]});
        let posts = Arc::new(AtomicUsize::new(0));
        let base = server(usize::MAX, runs, Arc::clone(&posts)).await;
        let run = workspace(&base).genie.create_eval_run(SPACE, None).await;
        assert!(
            matches!(run, Err(DatabricksError::Ambiguous { .. })),
            "{run:?}"
        );
        assert_eq!(posts.load(Ordering::SeqCst), 1);
    }
}
