//! The real workspace client driven against the in-process simulator, call by call: spaces
//! (paged list, get with and without the configuration, create, update with etags, trash),
//! asking questions through to every outcome (SQL with chunked rows, text, clarification,
//! failures, expired results), a start-conversation response lost on the way back (through a
//! TCP relay), benchmark eval runs, SQL statements (chunks, parameters, failures, cancel on
//! deadline), chat completions, PAT and OAuth M2M auth with token expiry, the question limiter
//! under the simulator's 429s, and the `spaces list` and `sql` commands run as processes.
//!
//! Genie tests use the scripted answerer and warehouse; statement tests use the simulator's SQL
//! engine over Wanderbricks-lite, because every statement the client sends carries a marker
//! comment that a scripted warehouse (matching exact text) would not recognise.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod support;

use genie_gitops::databricks::Workspace;
use genie_gitops::databricks::auth::{self, AuthSettings, Credentials, MapEnvironment};
use genie_gitops::databricks::error::DatabricksError;
use genie_gitops::databricks::genie::Outcome;
use genie_gitops::databricks::http::Call;
use genie_gitops::databricks::limiter::{LimiterConfig, QuestionLimiter};
use genie_gitops::databricks::serving::{ChatMessage, ChatOptions};
use genie_gitops::databricks::sql::StatementOptions;
use genie_gitops::databricks::types::{
    CreateSpaceRequest, EvalRunStatus, ListConversationsResponse, MessageStatus,
    StatementParameter, StatementResponse, StatementState, UpdateSpaceRequest,
};
use genie_gitops::model::result::ResultSet;
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::engine::SqlEngine;
use genie_gitops::sim::server::faults::{Faults, RateLimitResponse};
use genie_gitops::sim::server::serving::ChatScript;
use genie_gitops::sim::server::warehouse::Warehouse;
use genie_gitops::sim::server::{Settings, SimConfig, SimHandle, spawn};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use support::client::{base_url, connect, connect_with, fast_limiter, fast_policy, m2m};
use support::*;

const CHAT_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/sim/chat-responses.yaml"
);

// --- the simulator ---------------------------------------------------------------------------

fn engine_warehouse() -> Warehouse {
    match SqlEngine::wanderbricks(42, default_as_of()) {
        Ok(engine) => Warehouse::Engine(Box::new(engine)),
        Err(error) => panic!("the simulator's SQL engine does not start: {error}"),
    }
}

async fn start_with(settings: Settings, warehouse: Warehouse) -> SimHandle {
    let config = SimConfig {
        settings,
        answerer: answerer(),
        warehouse,
        repo: None,
        port: 0,
    };
    spawn(config).await.expect("the simulator starts")
}

async fn start(settings: Settings) -> SimHandle {
    start_with(settings, scripted_warehouse()).await
}

fn with_faults(faults: Faults) -> Settings {
    Settings {
        faults,
        ..Settings::default()
    }
}

// --- the client ------------------------------------------------------------------------------

fn create_request(sim: &SimHandle, title: &str) -> CreateSpaceRequest {
    CreateSpaceRequest {
        warehouse_id: sim.warehouse_id(),
        serialized_space: space_json().to_string(),
        title: Some(title.to_owned()),
        description: Some(format!("{title}, for tests")),
        parent_path: None,
    }
}

async fn create_space(sim: &SimHandle, workspace: &Workspace) -> String {
    let created = workspace
        .genie
        .create_space(&create_request(sim, "Bookings"))
        .await
        .expect("the space is created");
    created.space_id
}

/// The HTTP status and error code of an API error; panics on any other result.
fn api_status<T: std::fmt::Debug>(result: Result<T, DatabricksError>) -> (u16, String) {
    match result {
        Err(DatabricksError::Api(e)) => (e.status, e.error_code.unwrap_or_default()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

const DEADLINE: Duration = Duration::from_secs(20);

// --- spaces ----------------------------------------------------------------------------------

#[tokio::test]
async fn listing_spaces_follows_pages_until_every_space_is_seen() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let mut created = Vec::new();
    for n in 0..205 {
        let request = create_request(&sim, &format!("Space {n:03}"));
        let space = workspace.genie.create_space(&request).await;
        created.push(space.expect("the space is created").space_id);
    }
    let first_page = workspace.genie.list_spaces_page(None).await;
    let first_page = first_page.expect("the first page is listed");
    assert_eq!(first_page.spaces.len(), 100);
    assert!(first_page.next_page_token.is_some());

    let listed = workspace.genie.list_spaces().await.expect("spaces list");
    let ids: Vec<String> = listed.iter().map(|s| s.space_id.clone()).collect();
    assert_eq!(ids, created, "every space once, in creation order");
    assert!(
        listed
            .iter()
            .all(|s| s.serialized_space.is_none() && s.etag.is_none()),
        "a listed space carries no configuration and no etag"
    );
}

#[tokio::test]
async fn a_space_has_its_configuration_and_etag_only_when_asked_for() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;

    let bare = workspace.genie.get_space(&space_id, false).await;
    let bare = bare.expect("the space is read");
    assert_eq!(bare.title.as_deref(), Some("Bookings"));
    assert_eq!(bare.warehouse_id, Some(sim.warehouse_id()));
    assert_eq!((bare.serialized_space, bare.etag), (None, None));

    let full = workspace.genie.get_space(&space_id, true).await;
    let full = full.expect("the space is read with its configuration");
    assert_eq!(full.etag.as_deref(), Some("1"));
    let config: Value = serde_json::from_str(full.serialized_space.as_deref().unwrap_or_default())
        .expect("serialized_space is JSON");
    assert_eq!(config["version"], 2);
    assert_eq!(config["data_sources"]["tables"][0]["identifier"], BOOKINGS);
}

#[tokio::test]
async fn the_etag_moves_only_when_the_configuration_changes_and_a_stale_one_is_refused() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let genie = &workspace.genie;
    let current = genie.get_space(&space_id, true).await.expect("read");
    let same_config = current.serialized_space.clone();

    let retitled = UpdateSpaceRequest {
        title: Some("Bookings (renamed)".into()),
        serialized_space: same_config.clone(),
        etag: current.etag.clone(),
        ..UpdateSpaceRequest::default()
    };
    let after = genie.update_space(&space_id, &retitled).await;
    let after = after.expect("an unchanged configuration is accepted");
    assert_eq!(after.title.as_deref(), Some("Bookings (renamed)"));
    assert_eq!(
        after.etag.as_deref(),
        Some("1"),
        "nothing changed in the config"
    );

    let mut changed: Value = serde_json::from_str(same_config.as_deref().unwrap_or_default())
        .expect("serialized_space is JSON");
    changed["data_sources"]["tables"][0]["description"] = json!(["Every booking."]);
    let edit = UpdateSpaceRequest {
        serialized_space: Some(changed.to_string()),
        etag: Some("1".into()),
        ..UpdateSpaceRequest::default()
    };
    let bumped = genie.update_space(&space_id, &edit).await;
    assert_eq!(
        bumped.expect("the edit is accepted").etag.as_deref(),
        Some("2")
    );
    let reread = genie.get_space(&space_id, true).await.expect("read");
    assert_eq!(reread.etag.as_deref(), Some("2"));

    let stale = genie.update_space(&space_id, &edit).await;
    let message = match &stale {
        Err(DatabricksError::Api(e)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(api_status(stale), (409, "ABORTED".to_owned()));
    assert!(message.contains("etag"), "{message}");
}

#[tokio::test]
async fn a_space_naming_an_unknown_table_is_refused_with_403() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let mut request = create_request(&sim, "Nope");
    request.serialized_space =
        json!({"version": 2, "data_sources": {"tables": [{"identifier": "main.nope.t"}]}})
            .to_string();
    let refused = workspace.genie.create_space(&request).await;
    assert_eq!(api_status(refused), (403, "PERMISSION_DENIED".to_owned()));
}

#[tokio::test]
async fn a_trashed_space_is_gone_from_get_list_and_trash() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let keep = create_space(&sim, &workspace).await;
    let doomed = create_space(&sim, &workspace).await;
    workspace
        .genie
        .trash_space(&doomed)
        .await
        .expect("the space is trashed");

    let got = workspace.genie.get_space(&doomed, false).await;
    assert_eq!(api_status(got), (404, "NOT_FOUND".to_owned()));
    let again = workspace.genie.trash_space(&doomed).await;
    assert_eq!(api_status(again).0, 404);
    let listed = workspace.genie.list_spaces().await.expect("spaces list");
    let ids: Vec<&str> = listed.iter().map(|s| s.space_id.as_str()).collect();
    assert_eq!(ids, [keep.as_str()]);
}

// --- asking ----------------------------------------------------------------------------------

fn stepping(step_ms: u64) -> Settings {
    with_faults(Faults {
        step_latency_ms: step_ms,
        ..Faults::default()
    })
}

#[tokio::test]
async fn a_question_is_polled_through_its_steps_to_sql_and_its_rows() {
    let sim = start(stepping(15)).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let answer = workspace
        .genie
        .ask(&space_id, "How many bookings?", DEADLINE)
        .await
        .expect("the question is answered");
    match answer.outcome {
        Outcome::Sql {
            sql,
            description,
            result,
            text,
        } => {
            assert_eq!(sql, COUNT_SQL);
            assert_eq!(description.as_deref(), Some("Counts bookings."));
            assert_eq!(result.columns[0].name, "n");
            assert_eq!(result.rows.to_vecs(), vec![vec![Some("20000".to_owned())]]);
            assert_eq!(text, None);
        }
        other => panic!("expected SQL, got {other:?}"),
    }
    let asked = sim.asked_questions();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (
            asked[0].conversation_id.as_str(),
            asked[0].message_id.as_str()
        ),
        (answer.conversation_id.as_str(), answer.message_id.as_str())
    );
}

#[tokio::test]
async fn a_query_result_in_small_chunks_is_read_whole_and_in_order() {
    let sim = start(Settings {
        chunk_rows: 2,
        ..Settings::default()
    })
    .await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let answer = workspace
        .genie
        .ask(&space_id, "Bookings per region?", DEADLINE)
        .await
        .expect("the question is answered");
    let Outcome::Sql { result, .. } = answer.outcome else {
        panic!("expected SQL, got {:?}", answer.outcome);
    };
    let regions: Vec<Option<String>> = result
        .rows
        .iter()
        .map(|r| r.cell(0).map(str::to_owned))
        .collect();
    let expected: Vec<Option<String>> = REGIONS.iter().map(|r| Some((*r).to_owned())).collect();
    assert_eq!(regions, expected, "three chunks of 2, 2 and 1 rows");
    assert_eq!(result.column_count(), 2);
}

#[tokio::test]
async fn an_expired_query_result_is_executed_again_without_asking_again() {
    let sim = start(Settings {
        chunk_rows: 2,
        result_ttl: Duration::ZERO,
        ..Settings::default()
    })
    .await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let answer = workspace
        .genie
        .ask(&space_id, "Bookings per region?", DEADLINE)
        .await
        .expect("the question is answered");
    let Outcome::Sql { result, .. } = answer.outcome else {
        panic!("expected SQL, got {:?}", answer.outcome);
    };
    assert_eq!(result.row_count(), REGIONS.len());
    assert_eq!(
        sim.asked_questions().len(),
        1,
        "re-executing is not re-asking"
    );

    let message: genie_gitops::databricks::types::GenieMessage = workspace
        .api
        .send(Call::get(format!(
            "/api/2.0/genie/spaces/{space_id}/conversations/{}/messages/{}",
            answer.conversation_id, answer.message_id
        )))
        .await
        .expect("the message is read");
    assert_eq!(message.status, MessageStatus::QueryResultExpired);
}

#[tokio::test]
async fn text_and_clarification_answers_are_told_apart() {
    let sim = start(stepping(5)).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let genie = &workspace.genie;
    let text = genie.ask(&space_id, "Hello", DEADLINE).await;
    assert_eq!(
        text.expect("answered").outcome,
        Outcome::Text {
            text: "Hi! Ask me about bookings.".into()
        }
    );
    let clarification = genie.ask(&space_id, "Which revenue?", DEADLINE).await;
    assert_eq!(
        clarification.expect("answered").outcome,
        Outcome::Clarification {
            question: "Do you mean booking totals or payments?".into()
        }
    );
}

#[tokio::test]
async fn a_query_that_fails_is_a_failed_outcome_with_the_sql_error() {
    let sim = start(stepping(5)).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let answer = workspace
        .genie
        .ask(&space_id, "Broken question", DEADLINE)
        .await
        .expect("the question is answered");
    match answer.outcome {
        Outcome::Failed {
            status,
            error_type,
            message,
        } => {
            assert_eq!(status, MessageStatus::Failed);
            assert_eq!(error_type.as_deref(), Some("SQL_EXECUTION_EXCEPTION"));
            assert!(message.contains("UNRESOLVED_COLUMN"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn injected_failed_and_cancelled_messages_are_typed_failures() {
    let failing = start(with_faults(Faults {
        failed_message_rate: 1.0,
        failed_message_type: "REPLY_PROCESS_TIMEOUT_EXCEPTION".into(),
        ..Faults::default()
    }))
    .await;
    let cancelling = start(with_faults(Faults {
        cancelled_message_rate: 1.0,
        ..Faults::default()
    }))
    .await;
    let mut outcomes = Vec::new();
    for sim in [&failing, &cancelling] {
        let workspace = connect(sim);
        let space_id = create_space(sim, &workspace).await;
        let answer = workspace
            .genie
            .ask(&space_id, "How many bookings?", DEADLINE)
            .await;
        outcomes.push(answer.expect("a final message").outcome);
    }
    match &outcomes[..] {
        [
            Outcome::Failed {
                status: MessageStatus::Failed,
                error_type: Some(failed_type),
                ..
            },
            Outcome::Failed {
                status: MessageStatus::Cancelled,
                ..
            },
        ] => assert_eq!(failed_type, "REPLY_PROCESS_TIMEOUT_EXCEPTION"),
        other => panic!("expected FAILED then CANCELLED, got {other:?}"),
    }
}

#[tokio::test]
async fn a_question_genie_keeps_rate_limiting_is_asked_again_three_times_then_reported() {
    let sim = start(with_faults(Faults {
        questions_per_minute: Some(1),
        rate_limit_response: RateLimitResponse::MessageError,
        ..Faults::default()
    }))
    .await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let genie = &workspace.genie;
    let first = genie.ask(&space_id, "Hello", DEADLINE).await;
    assert!(matches!(first, Ok(ref a) if matches!(a.outcome, Outcome::Text { .. })));
    let limited = genie.ask(&space_id, "How many bookings?", DEADLINE).await;
    match limited.expect("a final message").outcome {
        Outcome::Failed { error_type, .. } => assert_eq!(
            error_type.as_deref(),
            Some("RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION")
        ),
        other => panic!("expected a rate-limit failure, got {other:?}"),
    }
    let conversations = list_conversations(&workspace, &space_id).await;
    assert_eq!(
        conversations,
        1 + 4,
        "one ask, then one limited ask plus three re-asks"
    );
    assert_eq!(
        sim.asked_questions().len(),
        1,
        "limited questions are not answered"
    );
}

async fn list_conversations(workspace: &Workspace, space_id: &str) -> usize {
    let call = Call::get(format!("/api/2.0/genie/spaces/{space_id}/conversations"));
    let listed: ListConversationsResponse =
        workspace.api.send(call).await.expect("conversations list");
    listed.conversations.len()
}

/// The simulator's limit is a rolling minute and its `Retry-After` says when the oldest question
/// leaves it, so this test waits about a minute, as a client of a real 5/min workspace would.
#[tokio::test]
async fn under_the_servers_429s_every_question_is_answered_exactly_once() {
    let sim = start(with_faults(Faults {
        questions_per_minute: Some(2),
        rate_limit_response: RateLimitResponse::Http429,
        ..Faults::default()
    }))
    .await;
    let limiter = QuestionLimiter::new(LimiterConfig {
        questions_per_minute: 600.0,
        max_in_flight: 3,
        default_backoff: Duration::from_millis(50),
    });
    let workspace = connect_with(&sim, pat_of(&sim), limiter.clone());
    let space_id = create_space(&sim, &workspace).await;
    let questions = [
        "How many bookings?",
        "Bookings per region?",
        "Hello",
        "Which revenue?",
    ];
    let mut tasks = Vec::new();
    for question in questions {
        let genie = Arc::clone(&workspace.genie);
        let space_id = space_id.clone();
        tasks.push(tokio::spawn(async move {
            genie
                .ask(&space_id, question, Duration::from_secs(180))
                .await
        }));
    }
    for task in tasks {
        let answer = task.await.expect("the task finishes");
        answer.expect("every question is answered despite the 429s");
    }
    let asked: Vec<String> = sim
        .asked_questions()
        .into_iter()
        .map(|q| q.question)
        .collect();
    let distinct: BTreeSet<&String> = asked.iter().collect();
    assert_eq!(asked.len(), questions.len(), "{asked:?}");
    assert_eq!(distinct.len(), questions.len(), "{asked:?}");
    assert_eq!(list_conversations(&workspace, &space_id).await, 4);
    assert_eq!(limiter.in_flight(), 0);
}

fn pat_of(sim: &SimHandle) -> Credentials {
    Credentials::Pat(SecretString::from(sim.token().expose_secret().to_owned()))
}

// --- eval runs -------------------------------------------------------------------------------

#[tokio::test]
async fn an_eval_run_is_created_waited_for_and_its_results_and_details_read() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let space_id = create_space(&sim, &workspace).await;
    let genie = &workspace.genie;
    let run = genie.create_eval_run(&space_id, None).await;
    let run = run.expect("the run starts");
    assert_eq!(run.num_questions, Some(2));
    let done = genie
        .wait_eval_run(&space_id, &run.eval_run_id, DEADLINE)
        .await
        .expect("the run finishes");
    assert_eq!(done.eval_run_status, EvalRunStatus::Done);
    assert_eq!((done.num_done, done.num_correct), (Some(2), Some(1)));

    let results = genie.eval_results(&space_id, &run.eval_run_id).await;
    let results = results.expect("the results are listed");
    let mut assessments = BTreeMap::new();
    for line in &results {
        let details = genie
            .eval_result_details(&space_id, &run.eval_run_id, &line.result_id)
            .await
            .expect("the details are read");
        assert_eq!(details.expected_response.len(), 1);
        let actual = details.actual_response.first().expect("Genie's answer");
        assert_eq!(actual.response_type.as_deref(), Some("SQL"));
        let id = line.benchmark_question_id.clone().unwrap_or_default();
        assessments.insert(id, details.assessment.unwrap_or_default());
    }
    let expected = BTreeMap::from([(Q1.into(), "GOOD".into()), (Q2.into(), "BAD".into())]);
    assert_eq!(assessments, expected);

    let one = genie
        .create_eval_run(&space_id, Some(&[Q2.to_owned()]))
        .await;
    assert_eq!(one.expect("a one-question run").num_questions, Some(1));
    let unknown = genie
        .create_eval_run(&space_id, Some(&["f".repeat(32)]))
        .await;
    assert_eq!(api_status(unknown).0, 400);
}

// --- SQL statements --------------------------------------------------------------------------

fn single_value(result: &ResultSet) -> String {
    result.rows.cell(0, 0).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn statements_succeed_bind_parameters_and_read_every_chunk() {
    let sim = start_with(
        Settings {
            chunk_rows: 4,
            ..Settings::default()
        },
        engine_warehouse(),
    )
    .await;
    let workspace = connect(&sim);
    let sql = &workspace.sql;
    let options = StatementOptions::new(sim.warehouse_id());

    let count = sql
        .execute(COUNT_SQL, &options)
        .await
        .expect("the count runs");
    assert_eq!(count.columns[0].name, "n");
    let total: u64 = single_value(&count).parse().expect("a number");
    assert!(total > 0);

    let by_status = "SELECT COUNT(*) AS n FROM main.wanderbricks.bookings WHERE status = :status";
    let literal = "SELECT COUNT(*) AS n FROM main.wanderbricks.bookings WHERE status = 'confirmed'";
    let mut with_parameter = options.clone();
    with_parameter.parameters.push(StatementParameter {
        name: "status".into(),
        value: Some("confirmed".into()),
        sql_type: None,
    });
    let bound = sql.execute(by_status, &with_parameter).await;
    let inline = sql.execute(literal, &options).await;
    let bound = single_value(&bound.expect("the parameterized count runs"));
    assert_eq!(
        bound,
        single_value(&inline.expect("the literal count runs"))
    );
    assert!(bound.parse::<u64>().is_ok_and(|n| n > 0 && n < total));

    let ids = "SELECT booking_id FROM main.wanderbricks.bookings ORDER BY booking_id LIMIT 25";
    let chunked = sql.execute(ids, &options).await.expect("the ids are read");
    let ids: Vec<u64> = chunked
        .rows
        .iter()
        .map(|r| r.cell(0).unwrap_or_default().parse().expect("an id"))
        .collect();
    assert_eq!(ids.len(), 25, "seven chunks of at most 4 rows");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn a_failed_statement_is_a_typed_error_with_its_sql_state() {
    let sim = start_with(Settings::default(), engine_warehouse()).await;
    let workspace = connect(&sim);
    let options = StatementOptions::new(sim.warehouse_id());
    let failed = workspace.sql.execute(BAD_SQL, &options).await;
    match failed {
        Err(DatabricksError::Statement(e)) => {
            assert_eq!(e.state, "FAILED");
            assert_eq!(e.error_code.as_deref(), Some("BAD_REQUEST"));
            assert!(e.sql_state.is_some(), "{e}");
            assert!(e.message.contains("nope"), "{e}");
        }
        other => panic!("expected a statement error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unavailable_warehouse_fails_the_statement_without_a_sql_state() {
    let sim = start_with(
        with_faults(Faults {
            failed_statement_rate: 1.0,
            ..Faults::default()
        }),
        engine_warehouse(),
    )
    .await;
    let workspace = connect(&sim);
    let options = StatementOptions::new(sim.warehouse_id());
    match workspace.sql.execute(COUNT_SQL, &options).await {
        Err(DatabricksError::Statement(e)) => {
            assert_eq!(e.error_code.as_deref(), Some("TEMPORARILY_UNAVAILABLE"));
            assert_eq!(e.sql_state, None);
        }
        other => panic!("expected a statement error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_statement_past_a_short_deadline_is_cancelled_on_time() {
    let sim = start_with(
        with_faults(Faults {
            statement_latency_ms: 30_000,
            ..Faults::default()
        }),
        engine_warehouse(),
    )
    .await;
    let workspace = connect(&sim);
    let mut options = StatementOptions::new(sim.warehouse_id());
    options.deadline = Duration::from_secs(2);
    let started = std::time::Instant::now();
    let outcome = workspace.sql.execute(COUNT_SQL, &options).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let statement_id = match outcome {
        Err(DatabricksError::Deadline { what, .. }) => what
            .strip_prefix("statement ")
            .unwrap_or_default()
            .to_owned(),
        other => panic!("expected the deadline to pass, got {other:?}"),
    };
    let call = Call::get(format!("/api/2.0/sql/statements/{statement_id}"));
    let status: StatementResponse = workspace.api.send(call).await.expect("the statement");
    assert_eq!(status.status.state, StatementState::Canceled);
}

// --- serving ---------------------------------------------------------------------------------

#[tokio::test]
async fn chat_and_chat_json_read_the_scripted_replies() {
    let script = ChatScript::from_file(std::path::Path::new(CHAT_FIXTURE)).expect("chat fixture");
    let sim = start(Settings {
        chat_script: Some(script),
        ..Settings::default()
    })
    .await;
    let workspace = connect(&sim);
    let serving = &workspace.serving;
    let messages = [
        ChatMessage::system("You improve Genie spaces. Answer in JSON."),
        ChatMessage::user("Propose a synonym for created_at"),
    ];
    let proposal = serving
        .chat_json("databricks-claude", &messages, ChatOptions::default())
        .await
        .expect("a JSON reply");
    assert_eq!(proposal["column"], "created_at");
    assert_eq!(proposal["synonyms"][0], "booked");

    let plain = [ChatMessage::user("Tell me a story")];
    let text = serving
        .chat("databricks-claude", &plain, ChatOptions::default())
        .await;
    assert_eq!(
        text.expect("the default reply").as_str(),
        "I have no scripted answer for that."
    );
    let not_json = serving
        .chat_json("databricks-claude", &plain, ChatOptions::default())
        .await;
    assert!(
        matches!(&not_json, Err(DatabricksError::Decode { message, .. }) if message.contains("JSON")),
        "{not_json:?}"
    );
}

#[tokio::test]
async fn chat_without_a_configured_endpoint_is_a_404() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    let reply = workspace
        .serving
        .chat("nope", &[ChatMessage::user("hi")], ChatOptions::default())
        .await;
    assert_eq!(api_status(reply).0, 404);
}

// --- auth ------------------------------------------------------------------------------------

fn environment(vars: &[(&str, &str)]) -> MapEnvironment {
    MapEnvironment {
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        files: BTreeMap::new(),
    }
}

#[tokio::test]
async fn the_environments_host_and_token_reach_the_simulator() {
    let sim = start(Settings::default()).await;
    let env = environment(&[
        ("DATABRICKS_HOST", sim.base_url()),
        ("DATABRICKS_TOKEN", sim.token().expose_secret()),
    ]);
    let config = auth::resolve(&AuthSettings::default(), &env).expect("the config resolves");
    assert_eq!(config.credentials.method(), "pat");
    let workspace = Workspace::connect(&config, fast_policy(), fast_limiter()).expect("client");
    create_space(&sim, &workspace).await;
    let listed = workspace.genie.list_spaces().await.expect("spaces list");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn oauth_client_credentials_from_the_environment_get_a_token_and_work() {
    let sim = start(Settings::default()).await;
    let env = environment(&[
        ("DATABRICKS_HOST", sim.base_url()),
        ("DATABRICKS_CLIENT_ID", "sim-client"),
        ("DATABRICKS_CLIENT_SECRET", "sim-secret"),
    ]);
    let config = auth::resolve(&AuthSettings::default(), &env).expect("the config resolves");
    assert_eq!(config.credentials.method(), "oauth-m2m");
    let workspace = Workspace::connect(&config, fast_policy(), fast_limiter()).expect("client");
    create_space(&sim, &workspace).await;
    assert_eq!(
        workspace.genie.list_spaces().await.map(|s| s.len()).ok(),
        Some(1)
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_auth_error_naming_the_method() {
    let sim = start(Settings::default()).await;
    let workspace = connect_with(&sim, m2m("wrong"), fast_limiter());
    match workspace.genie.list_spaces().await {
        Err(DatabricksError::Auth(e)) => {
            let message = e.to_string();
            assert!(message.starts_with("oauth-m2m:"), "{message}");
            assert!(!message.contains("wrong"), "the secret leaked: {message}");
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

/// Tokens live 100 ms but `expires_in` rounds up to 1 s, so the client believes its token good
/// for half a second: the call after 250 ms is refused with 401 and must refresh and retry.
#[tokio::test]
async fn an_oauth_token_that_expired_on_the_server_is_refreshed_and_the_call_retried() {
    let sim = start(Settings {
        token_lifetime: Duration::from_millis(100),
        ..Settings::default()
    })
    .await;
    let stale = own_token(&sim).await;
    let workspace = connect_with(&sim, m2m("sim-secret"), fast_limiter());
    let space_id = create_space(&sim, &workspace).await;
    tokio::time::sleep(Duration::from_millis(250)).await;

    let refused = reqwest::Client::new()
        .get(format!("{}/api/2.0/genie/spaces", sim.base_url()))
        .bearer_auth(stale)
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status().as_u16(), 401, "tokens really expire");

    for _ in 0..4 {
        let space = workspace.genie.get_space(&space_id, false).await;
        assert_eq!(space.expect("refreshed and retried").space_id, space_id);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A token fetched outside the client, to show the server's expiry.
async fn own_token(sim: &SimHandle) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/oidc/v1/token", sim.base_url()))
        .basic_auth("sim-client", Some("sim-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
        .send()
        .await
        .expect("answered");
    let body: Value = response.json().await.expect("JSON");
    body["access_token"].as_str().unwrap_or_default().to_owned()
}

// --- the commands, as processes --------------------------------------------------------------

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with only the simulator's host and token in its environment (off the async
/// threads, so the in-process simulator keeps serving).
async fn run_cli(sim: &SimHandle, args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("a temporary HOME");
    let home_path = home.path().to_path_buf();
    let host = sim.base_url().to_owned();
    let token = sim.token().expose_secret().to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("genie-gitops")
            .expect("the binary is built")
            .env_clear()
            .env("HOME", home_path)
            .env("DATABRICKS_HOST", host)
            .env("DATABRICKS_TOKEN", token)
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the blocking task finishes");
    drop(home);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spaces_list_runs_against_the_simulator() {
    let sim = start(Settings::default()).await;
    let workspace = connect(&sim);
    for title in ["Revenue", "Bookings"] {
        let request = create_request(&sim, title);
        workspace
            .genie
            .create_space(&request)
            .await
            .expect("created");
    }
    let json = run_cli(&sim, &["spaces", "list", "--output", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let rows: Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    let titles: Vec<&str> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["title"].as_str())
        .collect();
    assert_eq!(titles, ["Bookings", "Revenue"], "sorted by title");

    let text = run_cli(&sim, &["spaces", "list"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!(text.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_command_runs_a_query_and_reports_a_failed_one() {
    let sim = start_with(Settings::default(), engine_warehouse()).await;
    let warehouse = sim.warehouse_id();
    let query = "SELECT status, COUNT(*) AS n FROM main.wanderbricks.bookings GROUP BY status ORDER BY status";
    let ok = run_cli(&sim, &["sql", query, "--warehouse-id", &warehouse]).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    insta::assert_snapshot!(ok.stdout);

    let json = run_cli(
        &sim,
        &[
            "sql",
            COUNT_SQL,
            "--warehouse-id",
            &warehouse,
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let result: Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    assert_eq!(result["columns"][0]["name"], "n");

    let failed = run_cli(&sim, &["sql", BAD_SQL, "--warehouse-id", &warehouse]).await;
    assert_eq!(failed.code, 1);
    assert!(failed.stderr.contains("SQLSTATE"), "{}", failed.stderr);
    assert!(failed.stdout.is_empty());
    insta::assert_snapshot!("sql_failure_stderr", failed.stderr);
}

// --- a lost response --------------------------------------------------------------------------

/// A TCP relay in front of the simulator that, once armed, forwards the next start-conversation
/// request and then closes the client's connection instead of passing the answer back: the
/// server asked the question, the client never heard.
struct DroppingProxy {
    base_url: url::Url,
    armed: Arc<AtomicBool>,
}

impl DroppingProxy {
    async fn start(sim: &SimHandle) -> Self {
        let upstream = base_url(sim)
            .socket_addrs(|| None)
            .expect("the simulator's address")[0];
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let armed = Arc::new(AtomicBool::new(false));
        let relay_armed = Arc::clone(&armed);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, Arc::clone(&relay_armed)));
            }
        });
        let base_url = url::Url::parse(&format!("http://{address}")).expect("proxy URL");
        Self { base_url, armed }
    }

    fn drop_next_start(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }
}

async fn relay(
    mut client: TcpStream,
    upstream: std::net::SocketAddr,
    armed: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    let mut drop_response = false;
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_server = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            read = client.read(&mut from_client) => {
                let chunk = from_client.get(..read?).unwrap_or_default();
                if chunk.is_empty() {
                    return Ok(());
                }
                let is_start = chunk.windows(19).any(|w| w == b"/start-conversation");
                if is_start && armed.swap(false, Ordering::SeqCst) {
                    drop_response = true;
                }
                server.write_all(chunk).await?;
            }
            read = server.read(&mut from_server) => {
                let chunk = from_server.get(..read?).unwrap_or_default();
                if chunk.is_empty() || drop_response {
                    return Ok(());
                }
                client.write_all(chunk).await?;
            }
        }
    }
}

fn connect_via(sim: &SimHandle, proxy: &DroppingProxy) -> Workspace {
    let config = auth::WorkspaceConfig {
        host: proxy.base_url.clone(),
        credentials: pat_of(sim),
        warehouse_id: Some(sim.warehouse_id()),
        profile: None,
    };
    Workspace::connect_to(
        proxy.base_url.clone(),
        &config,
        fast_policy(),
        fast_limiter(),
    )
    .expect("the client builds")
}

async fn asked_once_after_a_lost_response(earlier_questions: usize) {
    let sim = start(Settings::default()).await;
    let proxy = DroppingProxy::start(&sim).await;
    let workspace = connect_via(&sim, &proxy);
    let space_id = create_space(&sim, &workspace).await;
    for _ in 0..earlier_questions {
        let earlier = workspace.genie.ask(&space_id, "Hello", DEADLINE).await;
        earlier.expect("an earlier question is answered");
    }
    proxy.drop_next_start();
    let answer = workspace
        .genie
        .ask(&space_id, "How many bookings?", DEADLINE)
        .await
        .expect("the question is answered");
    assert!(matches!(answer.outcome, Outcome::Sql { .. }), "{answer:?}");
    let asked: Vec<String> = sim
        .asked_questions()
        .into_iter()
        .filter(|q| q.question == "How many bookings?")
        .map(|q| q.conversation_id)
        .collect();
    assert_eq!(asked, [answer.conversation_id], "asked once, and adopted");
}

#[tokio::test]
async fn a_lost_start_conversation_response_is_reconciled_not_asked_again() {
    asked_once_after_a_lost_response(0).await;
}

#[tokio::test]
async fn a_lost_response_is_reconciled_in_a_space_with_many_conversations() {
    asked_once_after_a_lost_response(120).await;
}

// --- exact rollback of a primary key over a nullable column ----------------------------------

/// `properties` as `main.information_schema` shows it: nullability and constraints.
async fn properties_catalog(
    ws: &Workspace,
    options: &StatementOptions,
) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for query in [
        "SELECT column_name, is_nullable FROM main.information_schema.columns WHERE table_name = 'properties' ORDER BY column_name",
        "SELECT constraint_name, constraint_type FROM main.information_schema.table_constraints WHERE table_name = 'properties' ORDER BY constraint_name",
    ] {
        match ws.sql.execute(query, options).await {
            Ok(result) => rows.extend(result.rows.to_vecs()),
            Err(error) => panic!("{query}: {error}"),
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_key_over_a_nullable_column_is_applied_and_rolled_back_exactly() {
    use genie_gitops::model::settings::DurableFiles;
    use genie_gitops::model::snapshot::RepoSnapshot;
    use genie_gitops::model::template::Variables;
    use genie_gitops::runner::optimize::uc;

    let sim = start_with(Settings::default(), engine_warehouse()).await;
    let ws = connect(&sim);
    let options = StatementOptions::new(sim.warehouse_id());
    let files = DurableFiles::default();
    let tables = |key: &str| {
        let mut snapshot = RepoSnapshot::new();
        let text = format!(
            "tables:\n  - name: main.wanderbricks.properties\n{key}    columns:\n      - {{name: host_id, comment: The host}}\n"
        );
        snapshot.insert(&files.tables, text);
        snapshot
    };
    let (base, candidate) = (tables(""), tables("    primary_key: [host_id]\n"));
    let vars = Variables::new();
    let ddl = |from: &RepoSnapshot, to: &RepoSnapshot| {
        uc::ddl_between(from, to, &files, &vars).unwrap_or_else(|e| panic!("{e:#}"))
    };
    let before = properties_catalog(&ws, &options).await;
    let columns =
        uc::key_columns(&base, &candidate, &files, &vars).unwrap_or_else(|e| panic!("{e:#}"));
    let mut rollback = ddl(&candidate, &base);
    let restore = uc::nullability_rollback(&ws.sql, &options, &columns)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        restore,
        vec!["ALTER TABLE main.wanderbricks.properties ALTER COLUMN host_id DROP NOT NULL"]
    );
    rollback.extend(restore);
    for statement in ddl(&base, &candidate) {
        if let Err(error) = ws.sql.execute(&statement, &options).await {
            panic!("{statement}: {error}");
        }
    }
    let applied = properties_catalog(&ws, &options).await;
    let host = |rows: &[Vec<Option<String>>]| {
        rows.iter()
            .find(|r| r.first().and_then(Option::as_deref) == Some("host_id"))
            .and_then(|r| r.get(1).cloned().flatten())
    };
    assert_eq!(host(&before).as_deref(), Some("YES"));
    assert_eq!(host(&applied).as_deref(), Some("NO"));
    assert_ne!(applied, before, "the key was not added");
    for statement in &rollback {
        if let Err(error) = ws.sql.execute(statement, &options).await {
            panic!("{statement}: {error}");
        }
    }
    assert_eq!(properties_catalog(&ws, &options).await, before);
    sim.shutdown().await;
}
