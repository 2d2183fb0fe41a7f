//! The workspace client against wiremock (edge cases a simulator does not produce: 429 storms,
//! 503, 500, HTML and malformed bodies, token expiry, pagination, chunked and failed
//! statements, every Genie message status) and against a raw TCP server that drops the
//! connection after reading a start-conversation request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genie_gitops::databricks::Workspace;
use genie_gitops::databricks::auth::{Credentials, WorkspaceConfig};
use genie_gitops::databricks::error::DatabricksError;
use genie_gitops::databricks::genie::Outcome;
use genie_gitops::databricks::http::RetryPolicy;
use genie_gitops::databricks::limiter::{LimiterConfig, QuestionLimiter};
use genie_gitops::databricks::serving::{ChatMessage, ChatOptions};
use genie_gitops::databricks::sql::StatementOptions;
use genie_gitops::databricks::types::{
    CreateSpaceRequest, GenieMessage, ListSpacesResponse, MessageStatus, QueryResultResponse,
    StartConversationResponse, StatementResponse, StatementState,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SPACE: &str = "01f0b37c378e1c9100000000000000a1";
const CONV: &str = "01f0b37c378e1c9100000000000000c1";
const MSG: &str = "01f0b37c378e1c9100000000000000d1";
const ATT: &str = "01f0b37c378e1c9100000000000000e1";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        backoff_unit: Duration::from_millis(2),
    }
}

fn config(host: &str, credentials: Credentials) -> WorkspaceConfig {
    WorkspaceConfig {
        host: url::Url::parse(host).expect("test URL"),
        credentials,
        warehouse_id: Some("wh-1".into()),
        profile: None,
    }
}

fn pat() -> Credentials {
    Credentials::Pat(SecretString::from("dapi-test"))
}

fn fast_limiter() -> QuestionLimiter {
    QuestionLimiter::new(LimiterConfig {
        questions_per_minute: 60_000.0,
        max_in_flight: 4,
        default_backoff: Duration::from_millis(5),
    })
}

fn workspace_at(uri: &str, credentials: Credentials) -> Workspace {
    let config = config(uri, credentials);
    Workspace::connect(&config, fast_policy(), fast_limiter()).expect("client builds")
}

async fn workspace(server: &MockServer) -> Workspace {
    workspace_at(&server.uri(), pat())
}

fn space_path() -> String {
    format!("/api/2.0/genie/spaces/{SPACE}")
}

fn message_path() -> String {
    format!("{}/conversations/{CONV}/messages/{MSG}", space_path())
}

fn space_json() -> Value {
    json!({"space_id": SPACE, "title": "Sales", "warehouse_id": "wh-1"})
}

// --- retries -------------------------------------------------------------------------------

#[tokio::test]
async fn a_429_storm_without_retry_after_is_retried_until_it_clears() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(
                json!({"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}),
            ),
        )
        .up_to_n_times(5)
        .expect(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .and(header("authorization", "Bearer dapi-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .expect(1)
        .mount(&server)
        .await;
    let space = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert_eq!(
        space.map(|s| s.title).ok().flatten().as_deref(),
        Some("Sales")
    );
}

#[tokio::test]
async fn a_429_with_retry_after_waits_as_long_as_the_server_asks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .mount(&server)
        .await;
    let started = Instant::now();
    let result = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_info_detail_is_honoured_like_retry_after() {
    let server = MockServer::start().await;
    let body = json!({"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy","details":[
        {"@type":"type.googleapis.com/google.rpc.RetryInfo","retry_delay":"0.3s"}]});
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(503).set_body_json(body))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .mount(&server)
        .await;
    let started = Instant::now();
    assert!(
        workspace(&server)
            .await
            .genie
            .get_space(SPACE, false)
            .await
            .is_ok()
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_endless_429_storm_ends_when_the_retry_budget_is_spent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert!(
        matches!(err, Err(DatabricksError::RetryBudgetExhausted { .. })),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string("<html><body><pre>Service Unavailable</pre></body></html>"),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        workspace(&server)
            .await
            .genie
            .get_space(SPACE, false)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_500_on_a_read_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error_code":"INTERNAL_ERROR","message":"boom"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"space_id": SPACE})))
        .expect(1)
        .mount(&server)
        .await;
    let space = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert_eq!(space.map(|s| s.space_id).ok().as_deref(), Some(SPACE));
}

#[tokio::test]
async fn a_500_on_a_create_is_reconciled_not_resent_blindly_and_reports_code_message_and_request_id()
 {
    let server = MockServer::start().await;
    let body = json!({"error_code":"INTERNAL_ERROR","message":"boom","details":[
        {"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"req-42","serving_data":""}]});
    Mock::given(method("POST"))
        .and(path("/api/2.0/genie/spaces"))
        .respond_with(ResponseTemplate::new(500).set_body_json(body))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"spaces": []})))
        .expect(3)
        .mount(&server)
        .await;
    let request = CreateSpaceRequest {
        warehouse_id: "wh".into(),
        serialized_space: "{}".into(),
        title: Some("t".into()),
        description: None,
        parent_path: None,
    };
    let err = workspace(&server).await.genie.create_space(&request).await;
    let message = err.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
    insta::assert_snapshot!(message);
}

#[tokio::test]
async fn an_html_error_body_becomes_a_readable_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<html><head><title>Error 403</title></head><body><h2>HTTP ERROR 403</h2><pre>Invalid access token.</pre></body></html>",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = workspace(&server).await.genie.get_space(SPACE, false).await;
    let message = err.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
    insta::assert_snapshot!(message);
}

#[tokio::test]
async fn an_empty_error_body_falls_back_to_the_status_reason() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let err = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert!(
        matches!(&err, Err(DatabricksError::Api(e)) if e.status == 404 && e.message == "Not Found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_malformed_success_body_is_a_decode_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"space_id\": 12"))
        .mount(&server)
        .await;
    let err = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert!(
        matches!(err, Err(DatabricksError::Decode { .. })),
        "{err:?}"
    );
}

// --- auth ----------------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_oauth_token_is_refreshed_once_and_the_call_retried() {
    let server = MockServer::start().await;
    let tokens = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&tokens);
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(header("authorization", "Basic c3AtaWQ6c3Atc2VjcmV0"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(json!({
                "access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": 3600}))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error_code":"UNAUTHORIZED","message":"Token expired"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .and(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .expect(2)
        .mount(&server)
        .await;
    let credentials = Credentials::OAuthM2M {
        client_id: "sp-id".into(),
        client_secret: SecretString::from("sp-secret"),
    };
    let ws = workspace_at(&server.uri(), credentials);
    assert!(ws.genie.get_space(SPACE, false).await.is_ok());
    // The refreshed token is cached: the second call does not hit the token endpoint.
    assert!(ws.genie.get_space(SPACE, false).await.is_ok());
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_that_expires_immediately_is_refreshed_before_each_use() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token":"short","expires_in":0})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .expect(2)
        .mount(&server)
        .await;
    let credentials = Credentials::OAuthM2M {
        client_id: "sp-id".into(),
        client_secret: SecretString::from("sp-secret"),
    };
    let ws = workspace_at(&server.uri(), credentials);
    assert!(ws.genie.get_space(SPACE, false).await.is_ok());
    assert!(ws.genie.get_space(SPACE, false).await.is_ok());
}

#[tokio::test]
async fn a_pat_rejected_with_401_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error_code":"UNAUTHORIZED","message":"bad token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = workspace(&server).await.genie.get_space(SPACE, false).await;
    assert_eq!(err.err().and_then(|e| e.status()), Some(401));
}

#[tokio::test]
async fn github_oidc_exchanges_the_actions_token_with_the_configured_audience() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/gh-token"))
        .and(query_param("audience", "acct-1"))
        .and(header("authorization", "Bearer gh-request-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value":"gh-jwt"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(|req: &Request| {
            let form = String::from_utf8_lossy(&req.body).to_string();
            let ok = form.contains("subject_token=gh-jwt")
                && form.contains("client_id=sp-app")
                && form.contains("token-exchange");
            if ok {
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token":"ws-token","expires_in":3600}))
            } else {
                ResponseTemplate::new(400).set_body_json(json!({"error":"invalid_request"}))
            }
        })
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .and(header("authorization", "Bearer ws-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(space_json()))
        .expect(1)
        .mount(&server)
        .await;
    let credentials = Credentials::GithubOidc {
        client_id: Some("sp-app".into()),
        audience: "acct-1".into(),
        request_url: format!("{}/gh-token?api-version=2.0", server.uri()),
        request_token: SecretString::from("gh-request-token"),
    };
    let result = workspace_at(&server.uri(), credentials)
        .genie
        .get_space(SPACE, false)
        .await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_refused_client_secret_says_what_to_check() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error":"invalid_client"})))
        .mount(&server)
        .await;
    let credentials = Credentials::OAuthM2M {
        client_id: "sp-id".into(),
        client_secret: SecretString::from("wrong"),
    };
    let err = workspace_at(&server.uri(), credentials)
        .genie
        .get_space(SPACE, false)
        .await;
    let message = err.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
    let message = message.replace(&server.uri(), "http://mock");
    insta::assert_snapshot!(message);
}

// --- spaces --------------------------------------------------------------------------------

#[tokio::test]
async fn listing_spaces_follows_page_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces"))
        .and(query_param("page_token", "p2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"spaces":[{"space_id":"b","title":"B"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"spaces":[{"space_id":"a","title":"A"}],"next_page_token":"p2"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let spaces = workspace(&server)
        .await
        .genie
        .list_spaces()
        .await
        .unwrap_or_default();
    let ids: Vec<_> = spaces.iter().map(|s| s.space_id.as_str()).collect();
    assert_eq!(ids, vec!["a", "b"]);
}

#[tokio::test]
async fn get_create_update_and_trash_use_the_documented_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(space_path()))
        .and(query_param("include_serialized_space", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"space_id":SPACE,"serialized_space":"{\"version\":2}","etag":"7"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/genie/spaces"))
        .and(body_partial_json(
            json!({"warehouse_id":"wh-1","serialized_space":"{\"version\":2}","title":"Copy"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"space_id":"new"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(space_path()))
        .and(body_partial_json(json!({"etag":"7","title":"Renamed"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"space_id":SPACE,"title":"Renamed"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.0/genie/spaces/new"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let ws = workspace(&server).await;
    let got = ws.genie.get_space(SPACE, true).await.unwrap_or_default();
    assert_eq!(got.etag.as_deref(), Some("7"));
    let created = ws
        .genie
        .create_space(&genie_gitops::databricks::types::CreateSpaceRequest {
            warehouse_id: "wh-1".into(),
            serialized_space: got.serialized_space.clone().unwrap_or_default(),
            title: Some("Copy".into()),
            ..Default::default()
        })
        .await
        .unwrap_or_default();
    assert_eq!(created.space_id, "new");
    let update = genie_gitops::databricks::types::UpdateSpaceRequest {
        title: Some("Renamed".into()),
        etag: got.etag.clone(),
        ..Default::default()
    };
    assert!(ws.genie.update_space(SPACE, &update).await.is_ok());
    assert!(ws.genie.trash_space("new").await.is_ok());
}

#[tokio::test]
async fn a_stale_etag_is_reported_as_a_conflict() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(space_path()))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"error_code":"ABORTED","message":"etag mismatch"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let update = genie_gitops::databricks::types::UpdateSpaceRequest {
        etag: Some("1".into()),
        ..Default::default()
    };
    let err = workspace(&server)
        .await
        .genie
        .update_space(SPACE, &update)
        .await;
    assert!(
        matches!(&err, Err(DatabricksError::Api(e)) if e.status == 409 && e.error_code.as_deref() == Some("ABORTED"))
    );
}

// --- SQL statements ------------------------------------------------------------------------

fn manifest(chunks: i64) -> Value {
    json!({"format":"JSON_ARRAY","schema":{"column_count":2,"columns":[
        {"name":"region","type_text":"STRING","type_name":"STRING","position":0},
        {"name":"n","type_text":"BIGINT","type_name":"LONG","position":1}]},
        "total_chunk_count":chunks,"total_row_count":3,"truncated":false})
}

#[tokio::test]
async fn a_pending_statement_is_polled_and_every_chunk_is_gathered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_partial_json(
            json!({"warehouse_id":"wh-1","disposition":"INLINE","format":"JSON_ARRAY",
            "parameters":[{"name":"r","value":"EU"}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statement_id":"st-1","status":{"state":"PENDING"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statement_id":"st-1","status":{"state":"RUNNING"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"statement_id":"st-1","status":{"state":"SUCCEEDED"},
            "manifest":manifest(2),
            "result":{"chunk_index":0,"row_offset":0,"row_count":2,"data_array":[["EU","10"],["US",null]],"next_chunk_index":1}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-1/result/chunks/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"chunk_index":1,"row_offset":2,"row_count":1,"data_array":[["APAC","3"]]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut options = StatementOptions::new("wh-1");
    options
        .parameters
        .push(genie_gitops::databricks::types::StatementParameter {
            name: "r".into(),
            value: Some("EU".into()),
            sql_type: None,
        });
    let result = workspace(&server)
        .await
        .sql
        .execute("SELECT region, n FROM t WHERE region = :r", &options)
        .await;
    let result = result.unwrap_or_default();
    insta::assert_json_snapshot!(result);
}

#[tokio::test]
async fn a_failed_statement_is_a_typed_error_with_its_sql_state() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"statement_id":"st-2","status":{"state":"FAILED",
            "error":{"error_code":"BAD_REQUEST","message":"[TABLE_OR_VIEW_NOT_FOUND] The table `t` cannot be found."},
            "sql_state":"42P01"}})))
        .mount(&server)
        .await;
    let err = workspace(&server)
        .await
        .sql
        .execute("SELECT * FROM t", &StatementOptions::new("wh-1"))
        .await;
    match err {
        Err(DatabricksError::Statement(e)) => {
            assert_eq!(e.sql_state.as_deref(), Some("42P01"));
            insta::assert_snapshot!(e.to_string());
        }
        other => panic!("expected a statement error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_statement_past_its_deadline_is_cancelled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statement_id":"st-3","status":{"state":"PENDING"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statement_id":"st-3","status":{"state":"RUNNING"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/st-3/cancel"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut options = StatementOptions::new("wh-1");
    options.deadline = Duration::from_millis(50);
    let err = workspace(&server)
        .await
        .sql
        .execute("SELECT 1", &options)
        .await;
    assert!(
        matches!(err, Err(DatabricksError::Deadline { .. })),
        "{err:?}"
    );
}

// --- Genie questions -----------------------------------------------------------------------

async fn mount_start(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("{}/start-conversation", space_path())))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversation_id": CONV, "message_id": MSG,
            "conversation": {"conversation_id": CONV}, "message": {"message_id": MSG, "status": "SUBMITTED"}})))
        .mount(server)
        .await;
}

async fn mount_message_sequence(server: &MockServer, final_message: Value) {
    for status in ["SUBMITTED", "ASKING_AI", "EXECUTING_QUERY"] {
        Mock::given(method("GET"))
            .and(path(message_path()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(
                    json!({"message_id":MSG,"conversation_id":CONV,"status":status}),
                ),
            )
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(final_message))
        .mount(server)
        .await;
}

fn query_message(status: &str) -> Value {
    json!({"message_id":MSG,"conversation_id":CONV,"space_id":SPACE,"content":"How many?","status":status,
        "attachments":[
            {"attachment_id":ATT,"query":{"query":"SELECT region, n FROM t","description":"Counts by region","statement_id":"st-g"}},
            {"text":{"content":"There are two regions."}}]})
}

fn statement_response() -> Value {
    json!({"statement_response":{"statement_id":"st-g","status":{"state":"SUCCEEDED"},"manifest":manifest(1),
        "result":{"chunk_index":0,"row_offset":0,"row_count":2,"data_array":[["EU","10"],["US","5"]]}}})
}

async fn ask(
    server: &MockServer,
) -> Result<genie_gitops::databricks::genie::Answer, DatabricksError> {
    workspace(server)
        .await
        .genie
        .ask(SPACE, "How many?", Duration::from_secs(5))
        .await
}

#[tokio::test]
async fn a_completed_message_with_a_query_yields_sql_and_its_rows() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(&server, query_message("COMPLETED")).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{}/attachments/{ATT}/query-result",
            message_path()
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(statement_response()))
        .expect(1)
        .mount(&server)
        .await;
    let answer = ask(&server).await;
    insta::assert_json_snapshot!(answer.map(|a| a.outcome).map_err(|e| e.to_string()));
}

#[tokio::test]
async fn an_expired_query_result_is_re_executed() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(&server, query_message("QUERY_RESULT_EXPIRED")).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/attachments/{ATT}/execute-query",
            message_path()
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(statement_response()))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert!(
        matches!(&outcome, Ok(Outcome::Sql { result, .. }) if result.rows.len() == 2),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_text_only_answer_is_text() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(&server, json!({"message_id":MSG,"conversation_id":CONV,"status":"COMPLETED",
        "attachments":[{"attachment_id":"x","text":{"content":"Revenue is recognised at checkout.","purpose":"TEXT_ATTACHMENT_PURPOSE_ANSWER"}}]})).await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Text {
            text: "Revenue is recognised at checkout.".into()
        })
    );
}

#[tokio::test]
async fn a_follow_up_question_is_a_clarification() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(&server, json!({"message_id":MSG,"conversation_id":CONV,"status":"COMPLETED",
        "attachments":[{"text":{"content":"Which year do you mean?","purpose":"TEXT_ATTACHMENT_PURPOSE_FOLLOW_UP_QUESTION"}}]})).await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Clarification {
            question: "Which year do you mean?".into()
        })
    );
}

#[tokio::test]
async fn a_failed_message_keeps_its_error_type() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(
        &server,
        json!({"message_id":MSG,"conversation_id":CONV,"status":"FAILED",
        "error":{"error":"[TABLE_OR_VIEW_NOT_FOUND] t","type":"SQL_EXECUTION_EXCEPTION"}}),
    )
    .await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert_eq!(
        outcome.ok(),
        Some(Outcome::Failed {
            status: MessageStatus::Failed,
            error_type: Some("SQL_EXECUTION_EXCEPTION".into()),
            message: "[TABLE_OR_VIEW_NOT_FOUND] t".into(),
        })
    );
}

#[tokio::test]
async fn a_cancelled_message_is_a_failure() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    mount_message_sequence(
        &server,
        json!({"message_id":MSG,"conversation_id":CONV,"status":"CANCELLED"}),
    )
    .await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert!(
        matches!(
            outcome,
            Ok(Outcome::Failed {
                status: MessageStatus::Cancelled,
                ..
            })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_rate_limited_message_pauses_and_asks_again() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message_id":MSG,"conversation_id":CONV,"status":"FAILED",
            "error":{"error":"too many questions","type":"RATE_LIMIT_EXCEEDED_GENERIC_EXCEPTION"}}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message_id":MSG,"conversation_id":CONV,"status":"COMPLETED",
            "attachments":[{"text":{"content":"ok"}}]}),
        ))
        .mount(&server)
        .await;
    let outcome = ask(&server).await.map(|a| a.outcome);
    assert_eq!(outcome.ok(), Some(Outcome::Text { text: "ok".into() }));
    let starts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("start-conversation"))
        .count();
    assert_eq!(starts, 2);
}

#[tokio::test]
async fn a_429_on_start_conversation_is_retried_through_the_limiter() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{}/start-conversation", space_path())))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mount_start(&server).await;
    mount_message_sequence(
        &server,
        json!({"message_id":MSG,"conversation_id":CONV,"status":"COMPLETED",
        "attachments":[{"text":{"content":"ok"}}]}),
    )
    .await;
    assert!(ask(&server).await.is_ok());
}

#[tokio::test]
async fn a_message_that_never_finishes_hits_the_deadline() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"message_id":MSG,"status":"ASKING_AI"})),
        )
        .mount(&server)
        .await;
    let err = workspace(&server)
        .await
        .genie
        .ask(SPACE, "How many?", Duration::from_millis(100))
        .await;
    assert!(
        matches!(err, Err(DatabricksError::Deadline { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn eval_runs_are_created_polled_and_read() {
    let server = MockServer::start().await;
    let runs = format!("{}/eval-runs", space_path());
    Mock::given(method("POST"))
        .and(path(runs.clone()))
        .and(body_partial_json(json!({"benchmark_question_ids":["q1"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"eval_run_id":"r1","eval_run_status":"NOT_STARTED","num_questions":1}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{runs}/r1")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"eval_run_id":"r1","eval_run_status":"RUNNING"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{runs}/r1")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"eval_run_id":"r1","eval_run_status":"DONE","num_correct":1}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{runs}/r1/results")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"eval_results":[{"result_id":"res1","benchmark_question_id":"q1","status":"DONE"}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{runs}/r1/results/res1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"assessment":"BAD","assessment_reasons":["RESULT_MISSING_ROWS"],
            "actual_response":[{"response":"SELECT 1","response_type":"SQL"}]}),
        ))
        .mount(&server)
        .await;
    let ws = workspace(&server).await;
    let run = ws
        .genie
        .create_eval_run(SPACE, Some(&["q1".to_string()]))
        .await
        .unwrap_or_default();
    let done = ws
        .genie
        .wait_eval_run(SPACE, &run.eval_run_id, Duration::from_secs(5))
        .await
        .unwrap_or_default();
    assert_eq!(done.num_correct, Some(1));
    let results = ws.genie.eval_results(SPACE, "r1").await.unwrap_or_default();
    let details = ws
        .genie
        .eval_result_details(SPACE, "r1", &results[0].result_id)
        .await
        .unwrap_or_default();
    assert_eq!(details.assessment_reasons, vec!["RESULT_MISSING_ROWS"]);
}

// --- serving -------------------------------------------------------------------------------

#[tokio::test]
async fn chat_json_asks_for_json_mode_and_retries_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/chat/completions"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/chat/completions"))
        .and(body_partial_json(json!({"model":"databricks-claude","response_format":{"type":"json_object"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object":"chat.completion",
            "choices":[{"index":0,"message":{"role":"assistant","content":"```json\n{\"verdict\":\"pass\"}\n```"}}]})))
        .expect(1)
        .mount(&server)
        .await;
    let value = workspace(&server)
        .await
        .serving
        .chat_json(
            "databricks-claude",
            &[ChatMessage::user("judge this")],
            ChatOptions::default(),
        )
        .await;
    assert_eq!(value.ok(), Some(json!({"verdict":"pass"})));
}

// --- reference payloads --------------------------------------------------------------------

fn reference(name: &str) -> Option<String> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/databricks-api-examples/"
    );
    std::fs::read_to_string(format!("{dir}{name}")).ok()
}

#[test]
fn the_documented_payloads_parse_into_the_wire_types() {
    let Some(list) = reference("genie-list-spaces.response.json") else {
        eprintln!("skipping: ../shared/reference/databricks-api-examples not found");
        return;
    };
    let spaces: ListSpacesResponse = serde_json::from_str(&list).unwrap_or_default();
    assert_eq!(spaces.spaces.len(), 1);
    let start = reference("genie-start-conversation.response.json").unwrap_or_default();
    let start: StartConversationResponse = serde_json::from_str(&start).unwrap_or_default();
    assert_eq!(
        start.ids(),
        Some((
            "6a64adad2e664ee58de08488f986af3e".into(),
            "e1ef34712a29169db030324fd0e1df5f".into()
        ))
    );
    let newer = reference("genie-start-conversation.response.newer.json").unwrap_or_default();
    let newer: StartConversationResponse = serde_json::from_str(&newer).unwrap_or_default();
    assert!(newer.ids().is_some());
    let pending = reference("genie-get-message.response.json").unwrap_or_default();
    let pending: GenieMessage = serde_json::from_str(&pending).unwrap_or_default();
    assert_eq!(
        pending.status,
        MessageStatus::Unknown,
        "IN_PROGRESS is not a documented status"
    );
    assert!(!pending.status.is_terminal());
    let captured =
        reference("genie-get-message.completed-with-query.captured.json").unwrap_or_default();
    let captured: GenieMessage = serde_json::from_str(&captured).unwrap_or_default();
    assert_eq!(captured.status, MessageStatus::Completed);
    assert_eq!(captured.attachments.len(), 3);
    let result =
        reference("genie-get-message-attachment-query-result.response.json").unwrap_or_default();
    let result: QueryResultResponse = serde_json::from_str(&result).unwrap_or_default();
    assert!(result.statement_response.is_some());
    let failed = reference("sql-execute-statement.failed.response.json").unwrap_or_default();
    let failed: StatementResponse = serde_json::from_str(&failed).unwrap_or_default();
    assert_eq!(failed.status.state, StatementState::Failed);
    let vendor =
        reference("sql-execute-statement.succeeded.vendor-example.json").unwrap_or_default();
    let vendor: Value = serde_json::from_str(&vendor).unwrap_or_default();
    let vendor: StatementResponse =
        serde_json::from_value(vendor["data"].clone()).unwrap_or_default();
    assert_eq!(
        vendor
            .result
            .and_then(|r| r.data_array)
            .map(|rows| rows.len()),
        Some(2)
    );
}

// --- the lost response ---------------------------------------------------------------------

mod dropped_connection {
    //! A raw HTTP/1.1 server that reads the start-conversation request, records it and closes
    //! the socket without answering — the case wiremock cannot produce.

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    async fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let head = &text[..end];
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if buffer.len() >= end + 4 + length {
                    let request_line = head.lines().next().unwrap_or_default().to_string();
                    let body =
                        String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).to_string();
                    return Some((request_line, body));
                }
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

    #[tokio::test]
    async fn a_question_is_asked_once_when_the_connection_drops_after_the_server_accepted_it() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let starts = Arc::new(AtomicUsize::new(0));
        let server_starts = Arc::clone(&starts);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let starts = Arc::clone(&server_starts);
                tokio::spawn(async move {
                    let Some((line, body)) = read_request(&mut stream).await else {
                        return;
                    };
                    if line.starts_with("POST") && line.contains("start-conversation") {
                        assert!(body.contains("How many?"));
                        starts.fetch_add(1, Ordering::SeqCst);
                        drop(stream); // accepted, then the connection dies before the answer
                    } else if line.contains(&format!("/conversations/{CONV}/messages/{MSG}")) {
                        respond(
                            &mut stream,
                            json!({"message_id":MSG,"conversation_id":CONV,"status":"COMPLETED",
                            "attachments":[{"text":{"content":"ok"}}]}),
                        )
                        .await;
                    } else if line.contains(&format!("/conversations/{CONV}/messages")) {
                        respond(&mut stream, json!({"messages":[{"message_id":MSG,"conversation_id":CONV,"content":"How many?","status":"SUBMITTED"}]})).await;
                    } else if line.contains("/conversations") {
                        respond(&mut stream, json!({"conversations":[
                            {"conversation_id":"someone-elses","title":"Another question","created_timestamp":0},
                            {"conversation_id":CONV,"title":"How many?"}]})).await;
                    }
                });
            }
        });
        let ws = workspace_at(&format!("http://{address}"), pat());
        let answer = ws
            .genie
            .ask(SPACE, "How many?", Duration::from_secs(5))
            .await;
        assert_eq!(
            starts.load(Ordering::SeqCst),
            1,
            "the question was sent more than once"
        );
        let answer = answer.map_err(|e| e.to_string());
        assert!(
            matches!(&answer, Ok(a) if a.conversation_id == CONV && a.outcome == Outcome::Text { text: "ok".into() }),
            "{answer:?}"
        );
    }
}
