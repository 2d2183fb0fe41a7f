//! Drives every endpoint of the simulator's HTTP server over real HTTP (reqwest), checking the
//! Databricks JSON shapes, the errors, the status progression, the faults and throughput under
//! 100 concurrent conversations. Most tests use the scripted answerer and warehouse, to exercise
//! the server alone; the tests at the end run the real workspace of the fixture repositories
//! (SQL engine + NL engine): graded by the simulator's own eval-runs API, DDL through the
//! statements API changing Genie's answers, and 100 concurrent conversations.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use genie_gitops::git::fs::load_dir;
use genie_gitops::model::space::benchmarks::{benchmark_question_id, with_benchmarks};
use genie_gitops::sim::server::faults::{Faults, RateLimitResponse};
use genie_gitops::sim::server::serving::ChatScript;
use genie_gitops::sim::server::warehouse::Warehouse;
use genie_gitops::sim::server::{Settings, SimConfig, SimHandle, spawn};
use genie_gitops::sim::workspace::{SimWorkspace, resolve_repo};
use reqwest::StatusCode;
use serde_json::{Value, json};

use support::*;

async fn start(settings: Settings) -> Sim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = SimConfig {
        settings,
        answerer: answerer(),
        warehouse: scripted_warehouse(),
        repo: None,
        port: 0,
    };
    let handle = spawn(config).await.expect("the simulator starts");
    Sim {
        http: reqwest::Client::new(),
        handle,
    }
}

struct Sim {
    http: reqwest::Client,
    handle: SimHandle,
}

impl Sim {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth("sim-token");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn create_space(&self) -> String {
        let (status, body) = self
            .post(
                "/api/2.0/genie/spaces",
                json!({"warehouse_id": self.handle.warehouse_id(), "title": "Bookings",
                       "serialized_space": space_json().to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["space_id"].as_str().expect("a space id").to_owned()
    }

    async fn ask(&self, space: &str, question: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/api/2.0/genie/spaces/{space}/start-conversation"),
            json!({ "content": question }),
        )
        .await
    }
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401_in_databricks_shape() {
    let sim = start(Settings::default()).await;
    let response = sim
        .http
        .get(sim.url("/api/2.0/genie/spaces"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "UNAUTHORIZED");
    assert!(body["message"].as_str().is_some());
    let wrong = sim
        .http
        .get(sim.url("/api/2.0/genie/spaces"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn spaces_are_created_listed_updated_and_trashed_like_the_real_api() {
    let sim = start(Settings::default()).await;
    let first = sim.create_space().await;
    let second = sim.create_space().await;
    assert!(is_hex32(&first), "{first}");

    let (_, page1) = sim.get("/api/2.0/genie/spaces?page_size=1").await;
    assert_eq!(page1["spaces"].as_array().map(Vec::len), Some(1));
    assert!(page1["spaces"][0].get("serialized_space").is_none());
    assert!(page1["spaces"][0].get("etag").is_none());
    let token = page1["next_page_token"].as_str().expect("a next page");
    let (_, page2) = sim
        .get(&format!(
            "/api/2.0/genie/spaces?page_size=1&page_token={token}"
        ))
        .await;
    assert_eq!(page2["spaces"][0]["space_id"], second.as_str());
    assert!(page2.get("next_page_token").is_none());

    let (_, plain) = sim.get(&format!("/api/2.0/genie/spaces/{first}")).await;
    assert!(plain.get("etag").is_none() && plain.get("serialized_space").is_none());
    let path = format!("/api/2.0/genie/spaces/{first}?include_serialized_space=true");
    let (_, full) = sim.get(&path).await;
    assert_eq!(full["etag"], "1");
    let stored: Value =
        serde_json::from_str(full["serialized_space"].as_str().expect("a string")).expect("json");
    assert_eq!(stored["data_sources"]["tables"][0]["identifier"], BOOKINGS);

    let space_path = format!("/api/2.0/genie/spaces/{first}");
    let patch = |body: Value| sim.call(reqwest::Method::PATCH, &space_path, Some(body));
    let (status, same) =
        patch(json!({"serialized_space": full["serialized_space"], "etag": "1"})).await;
    assert_eq!((status, same["etag"].clone()), (StatusCode::OK, json!("1")));
    let mut changed = space_json();
    changed["instructions"] = json!({"text_instructions": [{"id": "01000000000000000000000000000020", "content": ["Be brief."]}]});
    let (_, bumped) =
        patch(json!({"serialized_space": changed.to_string(), "title": "Renamed"})).await;
    assert_eq!(
        (bumped["etag"].clone(), bumped["title"].clone()),
        (json!("2"), json!("Renamed"))
    );
    let (status, stale) =
        patch(json!({"serialized_space": changed.to_string(), "etag": "1"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["error_code"], "ABORTED");

    let (status, _) = sim
        .call(
            reqwest::Method::DELETE,
            &format!("/api/2.0/genie/spaces/{first}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = sim.get(&format!("/api/2.0/genie/spaces/{first}")).await;
    assert_eq!(
        (status, gone["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );
    let (_, listed) = sim.get("/api/2.0/genie/spaces").await;
    assert_eq!(listed["spaces"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn invalid_spaces_are_refused_with_the_api_errors() {
    let sim = start(Settings::default()).await;
    let create = |space: Value| {
        sim.post(
            "/api/2.0/genie/spaces",
            json!({"warehouse_id": "w", "serialized_space": space.to_string()}),
        )
    };
    let mut bad_id = space_json();
    bad_id["benchmarks"]["questions"][0]["id"] = json!("01f0d0b4e815100000000000000000g1");
    let (status, body) = create(bad_id).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_PARAMETER_VALUE"))
    );

    let mut two = space_json();
    two["instructions"] = json!({"text_instructions": [
        {"id": "01000000000000000000000000000010", "content": ["a"]},
        {"id": "01000000000000000000000000000011", "content": ["b"]}]});
    let (_, body) = create(two).await;
    assert_eq!(
        body["message"],
        "text_instructions must contain at most one item"
    );

    let mut unsorted = space_json();
    let answer = json!([{"format": "SQL", "content": [COUNT_SQL]}]);
    unsorted["benchmarks"]["questions"] = json!([
        {"id": Q2, "question": ["b"], "answer": answer},
        {"id": Q1, "question": ["a"], "answer": answer}]);
    let (status, body) = create(unsorted).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("sorted by id")),
        "{body}"
    );

    let mut unknown = space_json();
    unknown["data_sources"]["tables"] = json!([{"identifier": "main.x.missing"}]);
    let (status, body) = create(unknown).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::FORBIDDEN, json!("PERMISSION_DENIED"))
    );

    let (status, body) = sim
        .post("/api/2.0/genie/spaces", json!({"serialized_space": "{}"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "warehouse_id is required");
    let response = sim
        .http
        .post(sim.url("/api/2.0/genie/spaces"))
        .bearer_auth("sim-token")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "BAD_REQUEST");
}

#[tokio::test]
async fn a_conversation_answers_with_a_query_attachment_and_string_results() {
    let sim = start(Settings::default()).await;
    let space = sim.create_space().await;
    let (status, started) = sim.ask(&space, "How many bookings?").await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let conversation = started["conversation_id"].as_str().expect("cid").to_owned();
    assert_eq!(started["conversation"]["title"], "How many bookings?");
    let message = &started["message"];
    assert_eq!(message["status"], "COMPLETED");
    assert_eq!(message["message_id"], started["message_id"]);
    let attachment = &message["attachments"][0];
    assert_eq!(attachment["query"]["query"], COUNT_SQL);
    assert_eq!(attachment["query"]["query_result_metadata"]["row_count"], 1);
    let aid = attachment["attachment_id"].as_str().expect("aid");
    let mid = message["message_id"].as_str().expect("mid");
    let base = format!("/api/2.0/genie/spaces/{space}/conversations/{conversation}/messages");
    let (_, result) = sim
        .get(&format!("{base}/{mid}/attachments/{aid}/query-result"))
        .await;
    let response = &result["statement_response"];
    assert_eq!(response["status"]["state"], "SUCCEEDED");
    assert_eq!(
        response["manifest"]["schema"]["columns"][0]["type_name"],
        "LONG"
    );
    assert_eq!(
        response["manifest"]["schema"]["columns"][0]["type_text"],
        "BIGINT"
    );
    assert_eq!(response["result"]["data_array"], json!([["20000"]]));
    let (_, rerun) = sim
        .post(
            &format!("{base}/{mid}/attachments/{aid}/execute-query"),
            json!({}),
        )
        .await;
    assert_eq!(
        rerun["statement_response"]["result"]["data_array"],
        json!([["20000"]])
    );

    let (_, follow_up) = sim.post(&base, json!({"content": "Which revenue?"})).await;
    assert_eq!(follow_up["status"], "COMPLETED");
    assert_eq!(
        follow_up["attachments"][0]["text"]["purpose"],
        "FOLLOW_UP_QUESTION"
    );
    assert_eq!(follow_up["attachments"].as_array().map(Vec::len), Some(1));
    let (_, text) = sim.post(&base, json!({"content": "Hello"})).await;
    assert!(text["attachments"][0]["text"].get("purpose").is_none());

    let (_, listed) = sim.get(&base).await;
    assert_eq!(listed["messages"].as_array().map(Vec::len), Some(3));
    let (_, conversations) = sim
        .get(&format!("/api/2.0/genie/spaces/{space}/conversations"))
        .await;
    assert_eq!(
        conversations["conversations"][0]["conversation_id"],
        conversation.as_str()
    );
    let (status, missing) = sim
        .get(&format!("{base}/00000000000000000000000000000000"))
        .await;
    assert_eq!(
        (status, missing["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );
}

#[tokio::test]
async fn a_failing_query_ends_the_message_failed_with_its_error_type() {
    let sim = start(Settings::default()).await;
    let space = sim.create_space().await;
    let (_, started) = sim.ask(&space, "Broken question").await;
    let message = &started["message"];
    assert_eq!(message["status"], "FAILED");
    assert_eq!(message["error"]["type"], "SQL_EXECUTION_EXCEPTION");
    assert!(
        message["error"]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("[UNRESOLVED_COLUMN"))
    );
    assert_eq!(message["attachments"][0]["query"]["query"], BAD_SQL);
}

#[tokio::test]
async fn messages_walk_the_status_steps_in_order() {
    // Steps long enough that a loaded machine still answers the start request and several
    // polls within one step.
    let faults = Faults {
        step_latency_ms: 150,
        ..Faults::default()
    };
    let sim = start(Settings {
        faults,
        ..Settings::default()
    })
    .await;
    let space = sim.create_space().await;
    let (_, started) = sim.ask(&space, "How many bookings?").await;
    assert_eq!(started["message"]["status"], "SUBMITTED");
    assert_eq!(started["message"]["attachments"], json!([]));
    let path = format!(
        "/api/2.0/genie/spaces/{space}/conversations/{}/messages/{}",
        started["conversation_id"].as_str().unwrap_or_default(),
        started["message_id"].as_str().unwrap_or_default()
    );
    let order = [
        "SUBMITTED",
        "FETCHING_METADATA",
        "FILTERING_CONTEXT",
        "ASKING_AI",
        "PENDING_WAREHOUSE",
        "EXECUTING_QUERY",
        "COMPLETED",
    ];
    let mut seen = vec!["SUBMITTED".to_owned()];
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.last().map(String::as_str) != Some("COMPLETED") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (_, message) = sim.get(&path).await;
        let status = message["status"].as_str().unwrap_or_default().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status);
        }
    }
    let positions: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known status"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("COMPLETED"));
    assert!(
        seen.len() >= 4,
        "polling every 10 ms should see most steps: {seen:?}"
    );
}

#[tokio::test]
async fn an_expired_query_result_is_revived_by_execute_query() {
    let sim = start(Settings {
        result_ttl: Duration::from_millis(50),
        ..Settings::default()
    })
    .await;
    let space = sim.create_space().await;
    let (_, started) = sim.ask(&space, "How many bookings?").await;
    let base = format!(
        "/api/2.0/genie/spaces/{space}/conversations/{}/messages/{}",
        started["conversation_id"].as_str().unwrap_or_default(),
        started["message_id"].as_str().unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    let (_, expired) = sim.get(&base).await;
    assert_eq!(expired["status"], "QUERY_RESULT_EXPIRED");
    let aid = expired["attachments"][0]["attachment_id"]
        .as_str()
        .expect("aid")
        .to_owned();
    let (status, _) = sim
        .get(&format!("{base}/attachments/{aid}/query-result"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, rerun) = sim
        .post(
            &format!("{base}/attachments/{aid}/execute-query"),
            json!({}),
        )
        .await;
    assert_eq!(rerun["statement_response"]["status"]["state"], "SUCCEEDED");
    let (_, revived) = sim.get(&base).await;
    assert_eq!(revived["status"], "COMPLETED");
}

#[tokio::test]
async fn statements_honour_wait_timeout_chunks_failures_and_cancel() {
    let sim = start(Settings {
        chunk_rows: 2,
        ..Settings::default()
    })
    .await;
    let execute = |statement: &str, wait: &str| {
        sim.post(
            "/api/2.0/sql/statements",
            json!({"warehouse_id": "w", "statement": statement, "wait_timeout": wait}),
        )
    };
    let (_, pending) = execute(REGIONS_SQL, "0s").await;
    assert_eq!(pending["status"]["state"], "PENDING");
    let id = pending["statement_id"].as_str().expect("id").to_owned();
    let (_, done) = sim.get(&format!("/api/2.0/sql/statements/{id}")).await;
    assert_eq!(done["status"]["state"], "SUCCEEDED");
    assert_eq!(done["manifest"]["total_row_count"], 5);
    assert_eq!(done["manifest"]["total_chunk_count"], 3);
    assert_eq!(done["result"]["next_chunk_index"], 1);
    let mut rows = done["result"]["data_array"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut next = done["result"]["next_chunk_index"].as_u64();
    while let Some(index) = next {
        let (_, chunk) = sim
            .get(&format!(
                "/api/2.0/sql/statements/{id}/result/chunks/{index}"
            ))
            .await;
        rows.extend(chunk["data_array"].as_array().cloned().unwrap_or_default());
        next = chunk["next_chunk_index"].as_u64();
    }
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4], json!(["MEA", "7"]));
    let (status, _) = sim
        .get(&format!("/api/2.0/sql/statements/{id}/result/chunks/9"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, failed) = execute(BAD_SQL, "10s").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(failed["status"]["state"], "FAILED");
    assert_eq!(failed["status"]["error"]["error_code"], "BAD_REQUEST");
    assert_eq!(failed["status"]["sql_state"], "42703");

    let (status, invalid) = execute(COUNT_SQL, "3s").await;
    assert_eq!(
        (status, invalid["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_PARAMETER_VALUE"))
    );
}

#[tokio::test]
async fn a_slow_statement_runs_until_cancelled() {
    let faults = Faults {
        statement_latency_ms: 60_000,
        ..Faults::default()
    };
    let sim = start(Settings {
        faults,
        ..Settings::default()
    })
    .await;
    let (_, pending) = sim
        .post(
            "/api/2.0/sql/statements",
            json!({"warehouse_id": "w", "statement": COUNT_SQL, "wait_timeout": "0s"}),
        )
        .await;
    let id = pending["statement_id"].as_str().expect("id").to_owned();
    let (_, running) = sim.get(&format!("/api/2.0/sql/statements/{id}")).await;
    assert_eq!(running["status"]["state"], "RUNNING");
    let (status, _) = sim
        .post(&format!("/api/2.0/sql/statements/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, cancelled) = sim.get(&format!("/api/2.0/sql/statements/{id}")).await;
    assert_eq!(cancelled["status"]["state"], "CANCELED");
}

#[tokio::test]
async fn oauth_tokens_are_issued_and_really_expire() {
    let settings = Settings {
        token_lifetime: Duration::from_millis(300),
        ..Settings::default()
    };
    let sim = start(settings).await;
    let token_url = sim.url("/oidc/v1/token");
    let issued: Value = sim
        .http
        .post(&token_url)
        .basic_auth("sim-client", Some("sim-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 1);
    let token = issued["access_token"].as_str().expect("token").to_owned();
    let list = |token: String| {
        sim.http
            .get(sim.url("/api/2.0/genie/spaces"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        list(token.clone()).await.expect("answered").status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let expired = list(token).await.expect("answered");
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{body}"
    );

    let refused = sim
        .http
        .post(&token_url)
        .basic_auth("sim-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");

    let exchanged: Value = sim
        .http
        .post(&token_url)
        .form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ("client_id", "sim-client"),
            ("scope", "all-apis"),
        ])
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    let token = exchanged["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        list(token).await.expect("answered").status(),
        StatusCode::OK
    );
    let not_jwt = sim
        .http
        .post(&token_url)
        .form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", "plain"),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(not_jwt.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_question_limit_answers_429_with_retry_after() {
    let faults = Faults {
        questions_per_minute: Some(2),
        ..Faults::default()
    };
    let sim = start(Settings {
        faults,
        ..Settings::default()
    })
    .await;
    let space = sim.create_space().await;
    for _ in 0..2 {
        assert_eq!(
            sim.ask(&space, "How many bookings?").await.0,
            StatusCode::OK
        );
    }
    let response = sim
        .http
        .post(sim.url(&format!("/api/2.0/genie/spaces/{space}/start-conversation")))
        .bearer_auth("sim-token")
        .json(&json!({"content": "How many bookings?"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=60).contains(&retry_after));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(sim.handle.asked_questions().len(), 2);
    let (_, conversations) = sim
        .get(&format!("/api/2.0/genie/spaces/{space}/conversations"))
        .await;
    assert_eq!(
        conversations["conversations"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn the_question_limit_can_fail_messages_instead() {
    let faults = Faults {
        questions_per_minute: Some(1),
        rate_limit_response: RateLimitResponse::MessageError,
        ..Faults::default()
    };
    let sim = start(Settings {
        faults,
        ..Settings::default()
    })
    .await;
    let space = sim.create_space().await;
    sim.ask(&space, "How many bookings?").await;
    let (status, second) = sim.ask(&space, "How many bookings?").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["message"]["status"], "FAILED");
    assert_eq!(
        second["message"]["error"]["type"],
        "RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION"
    );
    assert_eq!(sim.handle.asked_questions().len(), 1);
}

#[tokio::test]
async fn injected_message_faults_repeat_with_the_seed() {
    let faults = Faults {
        failed_message_rate: 0.3,
        cancelled_message_rate: 0.3,
        ..Faults::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = start(Settings {
            seed: 7,
            faults: faults.clone(),
            ..Settings::default()
        })
        .await;
        let space = sim.create_space().await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let (_, started) = sim.ask(&space, "How many bookings?").await;
            statuses.push(
                started["message"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let kinds: BTreeSet<&str> = runs[0].iter().map(String::as_str).collect();
    assert!(kinds.contains("COMPLETED") && kinds.len() >= 2, "{kinds:?}");
}

#[tokio::test]
async fn server_errors_are_injected_before_anything_happens() {
    let faults = Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    };
    let sim = start(Settings {
        faults,
        ..Settings::default()
    })
    .await;
    for _ in 0..6 {
        let (status, body) = sim.get("/api/2.0/genie/spaces").await;
        assert!(
            status == StatusCode::INTERNAL_SERVER_ERROR
                || status == StatusCode::SERVICE_UNAVAILABLE
        );
        assert!(
            body["error_code"] == "INTERNAL_ERROR"
                || body["error_code"] == "TEMPORARILY_UNAVAILABLE"
        );
    }
}

#[tokio::test]
async fn an_eval_run_grades_every_benchmark_question() {
    let sim = start(Settings::default()).await;
    let space = sim.create_space().await;
    let runs = format!("/api/2.0/genie/spaces/{space}/eval-runs");
    let (status, created) = sim.post(&runs, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["num_questions"], 2);
    let run = created["eval_run_id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut current = created.clone();
    while current["eval_run_status"] != "DONE" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        current = sim.get(&format!("{runs}/{run}")).await.1;
    }
    assert_eq!(current["eval_run_status"], "DONE");
    assert_eq!(
        (current["num_done"].clone(), current["num_correct"].clone()),
        (json!(2), json!(1))
    );
    let (_, listed) = sim.get(&runs).await;
    assert_eq!(listed["eval_runs"][0]["eval_run_id"], run.as_str());
    let (_, results) = sim.get(&format!("{runs}/{run}/results")).await;
    let mut assessments = BTreeMap::new();
    for item in results["eval_results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let id = item["result_id"].as_str().unwrap_or_default();
        let (_, details) = sim.get(&format!("{runs}/{run}/results/{id}")).await;
        assert_eq!(details["expected_response"][0]["response_type"], "SQL");
        assert_eq!(
            details["actual_response"][0]["sql_execution_result"]["status"]["state"],
            "SUCCEEDED"
        );
        assessments.insert(
            item["benchmark_question_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            (
                details["assessment"].clone(),
                details["assessment_reasons"].clone(),
            ),
        );
    }
    assert_eq!(assessments[Q1], (json!("GOOD"), json!([])));
    assert_eq!(
        assessments[Q2],
        (json!("BAD"), json!(["SINGLE_CELL_DIFFERENCE"]))
    );
    let (status, unknown) = sim
        .post(
            &runs,
            json!({"benchmark_question_ids": ["ffffffffffffffffffffffffffffffff"]}),
        )
        .await;
    assert_eq!(
        (status, unknown["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_PARAMETER_VALUE"))
    );
}

#[tokio::test]
async fn chat_completions_answer_from_the_script() {
    let script = ChatScript::from_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sim/chat-responses.yaml"
    )))
    .expect("the fixture parses");
    let sim = start(Settings {
        chat_script: Some(script),
        ..Settings::default()
    })
    .await;
    let ask = |content: &str| {
        sim.post(
            "/serving-endpoints/chat/completions",
            json!({"model": "databricks-claude", "messages": [
                {"role": "system", "content": "You improve Genie spaces."},
                {"role": "user", "content": content}]}),
        )
    };
    let (status, matched) = ask("Please PROPOSE A SYNONYM for created_at").await;
    assert_eq!(status, StatusCode::OK, "{matched}");
    assert_eq!(matched["object"], "chat.completion");
    assert_eq!(matched["model"], "databricks-claude");
    let content = matched["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(content.contains("booking date"), "{content}");
    let (_, fallback) = ask("something else").await;
    assert!(
        fallback["choices"][0]["message"]["content"]
            .as_str()
            .is_some()
    );
    assert!(
        fallback["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
}

#[tokio::test]
async fn a_repository_bundle_creates_its_spaces() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let repo = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        repo.path().join("databricks.yml"),
        "bundle:\n  name: demo\nvariables:\n  warehouse_id:\n    default: abc\nresources:\n  genie_spaces:\n    bookings:\n      title: Bookings of ${bundle.name}\n      warehouse_id: ${var.warehouse_id}\n      file_path: ./bookings.geniespace.json\ntargets:\n  dev:\n    default: true\n",
    ).expect("written");
    std::fs::write(
        repo.path().join("bookings.geniespace.json"),
        space_json().to_string(),
    )
    .expect("written");
    let snapshot = load_dir(repo.path()).expect("readable");
    let config = SimConfig {
        settings: Settings::default(),
        answerer: answerer(),
        warehouse: scripted_warehouse(),
        repo: Some(resolve_repo(&snapshot, None).expect("resolves")),
        port: 0,
    };
    let handle = spawn(config).await.expect("starts");
    let id = handle
        .spaces()
        .get("bookings")
        .expect("the space was created")
        .clone();
    let body: Value = reqwest::Client::new()
        .get(format!("{}/api/2.0/genie/spaces/{id}", handle.base_url()))
        .bearer_auth("sim-token")
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(body["title"], "Bookings of demo");
    assert_eq!(body["warehouse_id"], handle.warehouse_id());
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_conversations_complete_without_errors() {
    let sim = start(Settings::default()).await;
    let space = sim.create_space().await;
    let questions = [
        "How many bookings?",
        "Bookings per region?",
        "Which revenue?",
        "Hello",
    ];
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http = sim.http.clone();
        let url = sim.url(&format!("/api/2.0/genie/spaces/{space}/start-conversation"));
        let question = questions[i % questions.len()];
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .bearer_auth("sim-token")
                .json(&json!({"content": question}))
                .send()
                .await;
            match response {
                Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                _ => None,
            }
        }));
    }
    let mut completed = 0;
    for task in tasks {
        let body = task
            .await
            .ok()
            .flatten()
            .expect("every conversation is answered");
        if body["message"]["status"] == "COMPLETED" {
            completed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "100 concurrent conversations in {elapsed:.3} s: {:.0} questions/second",
        100.0 / elapsed
    );
    assert_eq!(completed, 100);
    let asked = sim.handle.asked_questions();
    assert_eq!(asked.len(), 100);
    let messages: BTreeSet<&str> = asked.iter().map(|a| a.message_id.as_str()).collect();
    assert_eq!(messages.len(), 100, "each message answered exactly once");
}

#[tokio::test]
async fn statements_run_on_the_sql_engine_in_chunks() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let as_of = genie_gitops::sim::data::default_as_of();
    let engine =
        genie_gitops::sim::engine::SqlEngine::wanderbricks(42, as_of).expect("the engine starts");
    let config = SimConfig {
        settings: Settings {
            chunk_rows: 3,
            ..Settings::default()
        },
        answerer: answerer(),
        warehouse: Warehouse::Engine(Box::new(engine)),
        repo: None,
        port: 0,
    };
    let handle = spawn(config).await.expect("starts");
    let body: Value = reqwest::Client::new()
        .post(format!("{}/api/2.0/sql/statements", handle.base_url()))
        .bearer_auth("sim-token")
        .json(&json!({"warehouse_id": handle.warehouse_id(), "wait_timeout": "10s",
                      "statement": "SELECT property_type, COUNT(*) AS n FROM main.wanderbricks.properties GROUP BY property_type ORDER BY property_type"}))
        .send().await.expect("answered").json().await.expect("json");
    assert_eq!(body["status"]["state"], "SUCCEEDED", "{body}");
    assert_eq!(
        body["manifest"]["schema"]["columns"][1]["type_name"],
        "LONG"
    );
    assert_eq!(body["manifest"]["total_row_count"], 4);
    assert_eq!(body["result"]["next_chunk_index"], 1);
    assert!(body["result"]["data_array"][0][1].is_string());
    handle.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The real workspace: the fixture repositories on the SQL engine, answered by the NL engine.

const POOR_REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const CURATED_REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks-curated");

/// A simulator serving a fixture repository, with its space's id and benchmarks.
struct Fixture {
    sim: Sim,
    space_id: String,
    benchmarks: Vec<genie_gitops::model::benchmarks::Benchmark>,
    variables: genie_gitops::model::template::Variables,
}

async fn start_fixture(repo: &str) -> Fixture {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let as_of = genie_gitops::sim::data::default_as_of();
    let workspace = SimWorkspace::load(std::path::Path::new(repo), None, 42, as_of)
        .unwrap_or_else(|e| panic!("{repo}: {e:#}"));
    let resolved = workspace.repo.clone().expect("loaded from a repository");
    let space = resolved.space("wanderbricks").expect("the fixture's space");
    let handle = spawn(workspace.into_sim_config(Settings::default(), 0))
        .await
        .expect("the simulator starts");
    let space_id = handle.spaces()["wanderbricks"].clone();
    Fixture {
        sim: Sim {
            http: reqwest::Client::new(),
            handle,
        },
        space_id,
        benchmarks: space.benchmarks.clone(),
        variables: resolved.variables.clone(),
    }
}

impl Fixture {
    /// Puts the repository's benchmarks into the stored space (PATCH with the current etag).
    async fn store_benchmarks(&self) {
        let path = format!("/api/2.0/genie/spaces/{}", self.space_id);
        let (_, body) = self
            .sim
            .get(&format!("{path}?include_serialized_space=true"))
            .await;
        let stored: genie_gitops::model::space::SerializedSpace =
            serde_json::from_str(body["serialized_space"].as_str().expect("serialized"))
                .expect("a stored space reads");
        let with = with_benchmarks(&stored, &self.benchmarks, &self.variables)
            .expect("every benchmark resolves");
        let (status, patched) = self
            .sim
            .call(
                reqwest::Method::PATCH,
                &path,
                Some(
                    json!({"serialized_space": serde_json::to_string(&with).expect("json"),
                            "etag": body["etag"]}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{patched}");
    }

    /// Runs the native eval-runs API over the stored benchmarks; returns question id → assessment.
    async fn eval_run(&self) -> BTreeMap<String, String> {
        let runs = format!("/api/2.0/genie/spaces/{}/eval-runs", self.space_id);
        let (status, run) = self.sim.post(&runs, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let run_id = run["eval_run_id"].as_str().expect("a run id").to_owned();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (_, run) = self.sim.get(&format!("{runs}/{run_id}")).await;
            if run["eval_run_status"] == "DONE" {
                assert_eq!(run["num_done"], run["num_questions"]);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the eval run never finished: {run}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (_, results) = self.sim.get(&format!("{runs}/{run_id}/results")).await;
        let mut out = BTreeMap::new();
        for item in results["eval_results"].as_array().expect("results") {
            let result_id = item["result_id"].as_str().expect("a result id");
            let (status, details) = self
                .sim
                .get(&format!("{runs}/{run_id}/results/{result_id}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{details}");
            assert_eq!(details["expected_response"][0]["response_type"], "SQL");
            let assessment = details["assessment"].as_str().expect("an assessment");
            let question = item["benchmark_question_id"].as_str().expect("an id");
            out.insert(question.to_owned(), assessment.to_owned());
        }
        out
    }
}

/// Percent GOOD of the benchmarks `keep` selects, and the count line for the report.
fn accuracy(
    fixture: &Fixture,
    graded: &BTreeMap<String, String>,
    keep: impl Fn(&genie_gitops::model::benchmarks::Benchmark) -> bool,
) -> (f64, String) {
    let selected: Vec<_> = fixture.benchmarks.iter().filter(|b| keep(b)).collect();
    let good = selected
        .iter()
        .filter(|b| {
            graded
                .get(&benchmark_question_id(&b.id))
                .map(String::as_str)
                == Some("GOOD")
        })
        .count();
    let pct = 100.0 * good as f64 / selected.len().max(1) as f64;
    (pct, format!("{good}/{} ({pct:.0}%)", selected.len()))
}

async fn grade_fixture(repo: &str, low: f64, high: f64) {
    use genie_gitops::model::benchmarks::Split;
    let fixture = start_fixture(repo).await;
    fixture.store_benchmarks().await;
    let graded = fixture.eval_run().await;
    assert_eq!(
        graded.len(),
        fixture.benchmarks.len(),
        "every question graded"
    );
    let (all, all_line) = accuracy(&fixture, &graded, |_| true);
    let held_out = |b: &genie_gitops::model::benchmarks::Benchmark| b.split == Some(Split::HeldOut);
    let (train, train_line) = accuracy(&fixture, &graded, |b| !held_out(b));
    let (held, held_line) = accuracy(&fixture, &graded, held_out);
    let report = format!("{repo}: all {all_line}, train {train_line}, held_out {held_line}");
    eprintln!("{report}");
    assert!((low..=high).contains(&all), "{report}");
    assert!((train - held).abs() <= 15.0, "{report}");
    fixture.sim.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eval_runs_api_grades_the_poor_fixture_like_genie_on_poor_metadata() {
    grade_fixture(POOR_REPO, 30.0, 55.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eval_runs_api_grades_the_curated_fixture_above_90_percent() {
    grade_fixture(CURATED_REPO, 90.0, 100.0).await;
}

/// The text of a started conversation's message (its SQL, or its text answer).
fn answer_text(started: &Value) -> String {
    started["message"]["attachments"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_through_the_statements_api_changes_the_next_answer() {
    let fixture = start_fixture(POOR_REPO).await;
    let ask = |question: &'static str| fixture.sim.ask(&fixture.space_id, question);
    let occupancy = "How full were our properties in Q1 2025?";
    let rate = "What is the average daily rate for villas?";
    let (_, before) = ask(occupancy).await;
    assert!(
        !answer_text(&before).contains("get_property_occupancy"),
        "{before}"
    );
    let (_, before) = ask(rate).await;
    assert!(!answer_text(&before).contains("MEASURE(adr)"), "{before}");

    let snapshot = load_dir(std::path::Path::new(CURATED_REPO)).expect("readable");
    for file in [
        "genie/uc/functions/get_property_occupancy.sql",
        "genie/uc/metric_views/booking_metrics.sql",
    ] {
        let statement = snapshot
            .get(file)
            .expect("a curated file")
            .replace("${catalog}", "main")
            .replace("${schema}", "wanderbricks");
        let (status, body) = fixture
            .sim
            .post(
                "/api/2.0/sql/statements",
                json!({"warehouse_id": fixture.sim.handle.warehouse_id(),
                       "statement": statement, "wait_timeout": "30s"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"]["state"], "SUCCEEDED", "{file}: {body}");
    }
    let (_, after) = ask(occupancy).await;
    assert!(
        answer_text(&after).contains("get_property_occupancy"),
        "{after}"
    );
    let (_, after) = ask(rate).await;
    assert!(answer_text(&after).contains("MEASURE(adr)"), "{after}");

    let (_, failed) = fixture
        .sim
        .post(
            "/api/2.0/sql/statements",
            json!({"warehouse_id": fixture.sim.handle.warehouse_id(), "wait_timeout": "30s",
                   "statement": "CREATE FUNCTION main.wanderbricks.get_top_hosts() RETURNS TABLE (a INT) RETURN SELECT 1"}),
        )
        .await;
    assert_eq!(failed["status"]["state"], "FAILED", "{failed}");
    let message = failed["status"]["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("[ROUTINE_ALREADY_EXISTS]"), "{failed}");
    fixture.sim.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_conversations_with_the_real_engine_complete_without_errors() {
    let fixture = start_fixture(CURATED_REPO).await;
    let questions: Vec<String> = fixture
        .benchmarks
        .iter()
        .map(|b| b.question.clone())
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http = fixture.sim.http.clone();
        let url = fixture.sim.url(&format!(
            "/api/2.0/genie/spaces/{}/start-conversation",
            fixture.space_id
        ));
        let question = questions[i % questions.len()].clone();
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .bearer_auth("sim-token")
                .json(&json!({"content": question}))
                .send()
                .await;
            match response {
                Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                _ => None,
            }
        }));
    }
    let mut statuses = BTreeMap::new();
    for task in tasks {
        let body = task
            .await
            .ok()
            .flatten()
            .expect("every conversation is answered");
        let status = body["message"]["status"].as_str().unwrap_or("?").to_owned();
        *statuses.entry(status).or_insert(0) += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "100 concurrent conversations with the NL and SQL engines in {elapsed:.2} s: {:.1} questions/second",
        100.0 / elapsed
    );
    assert_eq!(statuses, BTreeMap::from([("COMPLETED".to_owned(), 100)]));
    assert_eq!(fixture.sim.handle.asked_questions().len(), 100);
    fixture.sim.handle.shutdown().await;
}
