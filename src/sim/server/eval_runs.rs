//! The native benchmark eval-runs API: create / get / list runs, list results, result details.
//!
//! A run asks each selected `benchmarks.questions` entry in a fresh conversation (in the
//! background, one after another, each taking the message latency), runs the benchmark SQL on
//! the same warehouse and grades the pair with [`super::grade`]. The run is RUNNING until every
//! question is graded, then DONE.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::conversations::{MessageOutcome, ask, new_conversation};
use super::error::{ApiError, ApiResult};
use super::extract::{json_body, page};
use super::faults::{MessageFault, TIMED_STEPS};
use super::grade::{Actual, Grade, grade};
use super::spaces::{Space, live_space};
use super::state::{SimState, epoch_millis};
use super::statements::{StatementError, render_statement, submit};
use crate::model::result::ResultSet;
use crate::model::space::{BenchmarkQuestion, text};
use crate::sim::answer::Answer;

/// One eval run.
#[derive(Debug, Clone)]
pub struct EvalRun {
    pub id: String,
    pub space_id: String,
    pub status: &'static str,
    pub num_questions: usize,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub results: Vec<EvalResult>,
}

/// One graded benchmark question.
#[derive(Debug, Clone)]
pub struct EvalResult {
    pub result_id: String,
    pub question_id: String,
    pub question: String,
    pub expected_sql: String,
    pub expected: (String, Result<ResultSet, StatementError>),
    /// Genie's answer: its SQL statement and outcome, or its text.
    pub actual: ActualResponse,
    pub grade: Grade,
}

/// What Genie answered, as the details endpoint shows it.
#[derive(Debug, Clone)]
pub enum ActualResponse {
    Sql {
        sql: String,
        statement_id: String,
        outcome: Result<ResultSet, StatementError>,
    },
    Text(String),
    Failed,
}

impl EvalRun {
    fn render(&self) -> Value {
        let count = |a: &str| {
            self.results
                .iter()
                .filter(|r| r.grade.assessment.as_str() == a)
                .count()
        };
        json!({
            "eval_run_id": self.id,
            "eval_run_status": self.status,
            "run_by_user": 5_511_969_577_895_513u64,
            "created_timestamp": self.created_ms,
            "last_updated_timestamp": self.updated_ms,
            "num_questions": self.num_questions,
            "num_done": self.results.len(),
            "num_correct": count("GOOD"),
            "num_needs_review": count("NEEDS_REVIEW"),
        })
    }
}

/// The body of `POST …/eval-runs`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateRequest {
    benchmark_question_ids: Option<Vec<String>>,
}

fn select_questions(space: &Space, ids: Option<Vec<String>>) -> ApiResult<Vec<BenchmarkQuestion>> {
    let all = space.content.benchmark_questions();
    if all.is_empty() {
        return Err(ApiError::invalid(format!(
            "Genie space {} has no benchmark questions",
            space.space_id
        )));
    }
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        return Ok(all.to_vec());
    };
    ids.iter()
        .map(|id| {
            all.iter()
                .find(|q| q.id == *id)
                .cloned()
                .ok_or_else(|| ApiError::invalid(format!("Unknown benchmark question id '{id}'")))
        })
        .collect()
}

/// `POST /api/2.0/genie/spaces/{space_id}/eval-runs`.
pub async fn create(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: CreateRequest = json_body(&body)?;
    let space = live_space(&state, &space_id)?;
    let questions = select_questions(&space, request.benchmark_question_ids)?;
    let now = epoch_millis();
    let run = EvalRun {
        id: state.new_id(),
        space_id: space_id.clone(),
        status: "RUNNING",
        num_questions: questions.len(),
        created_ms: now,
        updated_ms: now,
        results: Vec::new(),
    };
    state
        .resources()
        .eval_runs
        .insert(run.id.clone(), run.clone());
    tokio::spawn(execute_run(
        Arc::clone(&state),
        space,
        run.id.clone(),
        questions,
    ));
    Ok(Json(run.render()))
}

async fn execute_run(
    state: Arc<SimState>,
    space: Space,
    run_id: String,
    questions: Vec<BenchmarkQuestion>,
) {
    let latency: Duration = TIMED_STEPS
        .iter()
        .map(|s| state.config.faults.step_latency(s))
        .sum();
    for question in questions {
        tokio::time::sleep(latency).await;
        let result = evaluate_question(&state, &space, &question).await;
        let mut resources = state.resources();
        if let Some(run) = resources.eval_runs.get_mut(&run_id) {
            run.results.push(result);
            run.updated_ms = epoch_millis();
        }
    }
    if let Some(run) = state.resources().eval_runs.get_mut(&run_id) {
        run.status = "DONE";
        run.updated_ms = epoch_millis();
    }
}

async fn evaluate_question(
    state: &Arc<SimState>,
    space: &Space,
    question: &BenchmarkQuestion,
) -> EvalResult {
    let question_text = text(&question.question);
    let expected_sql = question
        .answer
        .iter()
        .find(|a| a.format == "SQL")
        .map(|a| text(&a.content))
        .unwrap_or_default();
    let conversation = new_conversation(state, &space.space_id, &question_text);
    let message = ask(state, space, &conversation.id, &question_text, true).await;
    let expected_statement = submit(state, expected_sql.clone(), Vec::new()).await;
    let actual = actual_response(&message.outcome);
    let expected_rows = match (&expected_statement.outcome, expected_sql.trim().is_empty()) {
        (Ok(rows), false) => Some(rows),
        _ => None,
    };
    let graded = grade(expected_rows, as_graded(&message.outcome, &actual));
    EvalResult {
        result_id: state.new_id(),
        question_id: question.id.clone(),
        question: question_text,
        expected_sql,
        expected: (expected_statement.id, expected_statement.outcome),
        actual,
        grade: graded,
    }
}

fn actual_response(outcome: &MessageOutcome) -> ActualResponse {
    match outcome {
        MessageOutcome::Answered {
            answer: Answer::Sql { sql, .. },
            query: Some(query),
            ..
        } => ActualResponse::Sql {
            sql: sql.clone(),
            statement_id: query.statement_id.clone(),
            outcome: query.outcome.clone(),
        },
        MessageOutcome::Answered {
            answer: Answer::Text { text } | Answer::Clarification { text },
            ..
        } => ActualResponse::Text(text.clone()),
        _ => ActualResponse::Failed,
    }
}

fn as_graded<'a>(outcome: &MessageOutcome, actual: &'a ActualResponse) -> Actual<'a> {
    let injected = matches!(
        outcome,
        MessageOutcome::Fault(MessageFault::Failed(_) | MessageFault::Cancelled)
            | MessageOutcome::RateLimited
    );
    match actual {
        ActualResponse::Sql {
            outcome: Ok(rows), ..
        } => Actual::Rows(rows),
        ActualResponse::Text(_) => Actual::NoSql,
        _ => Actual::Failed { injected },
    }
}

fn find_run(state: &SimState, space_id: &str, run_id: &str) -> ApiResult<EvalRun> {
    state
        .resources()
        .eval_runs
        .get(run_id)
        .filter(|r| r.space_id == space_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("Eval run {run_id} does not exist.")))
}

/// `GET …/eval-runs/{eval_run_id}`.
pub async fn get(
    State(state): State<Arc<SimState>>,
    Path((space_id, run_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    Ok(Json(find_run(&state, &space_id, &run_id)?.render()))
}

/// `GET …/eval-runs` (paged, oldest first).
pub async fn list(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    let mut runs: Vec<EvalRun> = state
        .resources()
        .eval_runs
        .values()
        .filter(|r| r.space_id == space_id)
        .cloned()
        .collect();
    runs.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    let rendered: Vec<Value> = runs.iter().map(EvalRun::render).collect();
    let (eval_runs, next) = page(&rendered, &query, 100)?;
    let mut body = json!({ "eval_runs": eval_runs });
    if let Some(token) = next {
        body["next_page_token"] = Value::from(token);
    }
    Ok(Json(body))
}

/// `GET …/eval-runs/{eval_run_id}/results`.
pub async fn results(
    State(state): State<Arc<SimState>>,
    Path((space_id, run_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    let run = find_run(&state, &space_id, &run_id)?;
    let items: Vec<Value> = run
        .results
        .iter()
        .map(|r| {
            json!({
                "result_id": r.result_id,
                "benchmark_question_id": r.question_id,
                "question": r.question,
                "benchmark_answer": r.expected_sql,
                "status": "DONE",
            })
        })
        .collect();
    Ok(Json(json!({ "eval_results": items })))
}

/// `GET …/eval-runs/{eval_run_id}/results/{result_id}`.
pub async fn result_details(
    State(state): State<Arc<SimState>>,
    Path((space_id, run_id, result_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    live_space(&state, &space_id)?;
    let run = find_run(&state, &space_id, &run_id)?;
    let result = run
        .results
        .iter()
        .find(|r| r.result_id == result_id)
        .ok_or_else(|| ApiError::not_found(format!("Eval result {result_id} does not exist.")))?;
    let chunk_rows = state.config.chunk_rows;
    let actual = match &result.actual {
        ActualResponse::Sql {
            sql,
            statement_id,
            outcome,
        } => json!([{
            "response": sql,
            "response_type": "SQL",
            "sql_execution_result": render_statement(statement_id, terminal_state(outcome), outcome, chunk_rows),
        }]),
        ActualResponse::Text(text) => json!([{"response": text, "response_type": "TEXT"}]),
        ActualResponse::Failed => json!([]),
    };
    let (expected_id, expected_outcome) = &result.expected;
    Ok(Json(json!({
        "result_id": result.result_id,
        "benchmark_question_id": result.question_id,
        "actual_response": actual,
        "expected_response": [{
            "response": result.expected_sql,
            "response_type": "SQL",
            "sql_execution_result": render_statement(expected_id, terminal_state(expected_outcome), expected_outcome, chunk_rows),
        }],
        "assessment": result.grade.assessment.as_str(),
        "assessment_reasons": result.grade.reasons,
    })))
}

fn terminal_state(outcome: &Result<ResultSet, StatementError>) -> &'static str {
    if outcome.is_ok() {
        "SUCCEEDED"
    } else {
        "FAILED"
    }
}
