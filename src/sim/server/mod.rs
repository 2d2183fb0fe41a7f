//! The simulator's HTTP server: the Databricks API subset genie-gitops uses (Genie spaces,
//! conversations, eval runs, SQL statements, OAuth tokens and an OpenAI-style chat endpoint),
//! with bearer-token auth and seeded fault injection.
//!
//! [`spawn`] starts it on 127.0.0.1 (port 0 picks a free one) and returns a [`SimHandle`] with the
//! base URL and token; dropping the handle shuts the server down. `genie-gitops sim serve` runs
//! the same server in the foreground. The endpoints are listed in `docs/simulator-api.md`.

pub mod answerer;
pub mod conversations;
pub mod error;
pub mod eval_runs;
pub mod extract;
pub mod faults;
pub mod grade;
pub mod oidc;
pub mod repo;
pub mod serving;
pub mod spaces;
pub mod state;
pub mod statements;
pub mod validate;
pub mod warehouse;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use self::answerer::Answerer;
use self::error::ApiError;
use self::faults::Faults;
use self::serving::ChatScript;
use self::state::{AskedQuestion, FaultCounts, SimState};
use self::warehouse::Warehouse;
use crate::sim::workspace::ResolvedRepo;

/// Server settings other than the answerer and the warehouse.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seeds ids and every fault decision.
    pub seed: u64,
    /// The static bearer token the API accepts (like a PAT).
    pub token: SecretString,
    /// The OAuth client the token endpoint accepts for client credentials (and token exchange).
    pub oauth_client_id: String,
    pub oauth_client_secret: SecretString,
    /// Lifetime of tokens issued by `/oidc/v1/token`.
    pub token_lifetime: Duration,
    pub faults: Faults,
    /// Scripted replies of the chat endpoint; `None` makes it answer 404.
    pub chat_script: Option<ChatScript>,
    /// Rows per result chunk of the statement API.
    pub chunk_rows: usize,
    /// How long a Genie query result stays readable before QUERY_RESULT_EXPIRED.
    pub result_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 42,
            token: SecretString::from("sim-token"),
            oauth_client_id: "sim-client".to_owned(),
            oauth_client_secret: SecretString::from("sim-secret"),
            token_lifetime: Duration::from_secs(3600),
            faults: Faults::default(),
            chat_script: None,
            chunk_rows: 1000,
            result_ttl: Duration::from_secs(3600),
        }
    }
}

/// Everything [`spawn`] needs.
#[derive(Debug)]
pub struct SimConfig {
    pub settings: Settings,
    pub answerer: Answerer,
    pub warehouse: Warehouse,
    /// A resolved repository whose spaces are created at start-up (see
    /// [`crate::sim::workspace::SimWorkspace::into_sim_config`]).
    pub repo: Option<ResolvedRepo>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// A running simulator. Dropping it shuts the server down.
#[derive(Debug)]
pub struct SimHandle {
    base_url: String,
    state: Arc<SimState>,
    spaces: BTreeMap<String, String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, the workspace host to give clients.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The static bearer token the server accepts.
    pub fn token(&self) -> &SecretString {
        &self.state.config.token
    }

    /// The id of the simulated SQL warehouse.
    pub fn warehouse_id(&self) -> String {
        self.state.warehouse_id()
    }

    /// Spaces created from `--repo`: bundle resource key → space id.
    pub fn spaces(&self) -> &BTreeMap<String, String> {
        &self.spaces
    }

    /// Every question the answerer has answered, in order.
    pub fn asked_questions(&self) -> Vec<AskedQuestion> {
        self.state.resources().asked.clone()
    }

    /// How many faults were injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.state.resources().faults
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Waits until the server stops (it stops only on shutdown or a fatal I/O error).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the simulator on 127.0.0.1:`config.port`, loading `config.repo` first.
pub async fn spawn(config: SimConfig) -> anyhow::Result<SimHandle> {
    let SimConfig {
        settings,
        answerer,
        warehouse,
        repo,
        port,
    } = config;
    settings.faults.check().context("invalid fault settings")?;
    let state = SimState::new(settings, answerer, warehouse);
    let spaces = match &repo {
        Some(repo) => repo::create_spaces(&state, repo)?,
        None => BTreeMap::new(),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let address = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(Arc::clone(&state));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!("the simulator stopped: {err}");
        }
    });
    Ok(SimHandle {
        base_url: format!("http://{address}"),
        state,
        spaces,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// The whole API.
pub fn router(state: Arc<SimState>) -> Router {
    let genie = "/api/2.0/genie/spaces/{space_id}";
    let conversation = "/api/2.0/genie/spaces/{space_id}/conversations/{conversation_id}";
    let attachment = "/api/2.0/genie/spaces/{space_id}/conversations/{conversation_id}/messages/{message_id}/attachments/{attachment_id}";
    let eval_run = "/api/2.0/genie/spaces/{space_id}/eval-runs/{eval_run_id}";
    let api = Router::new()
        .route(
            "/api/2.0/genie/spaces",
            get(spaces::list).post(spaces::create),
        )
        .route(
            genie,
            get(spaces::get).patch(spaces::update).delete(spaces::trash),
        )
        .route(
            &format!("{genie}/start-conversation"),
            post(conversations::start),
        )
        .route(
            &format!("{genie}/conversations"),
            get(conversations::list_conversations),
        )
        .route(conversation, delete(conversations::delete_conversation))
        .route(
            &format!("{conversation}/messages"),
            get(conversations::list_messages).post(conversations::create_message),
        )
        .route(
            &format!("{conversation}/messages/{{message_id}}"),
            get(conversations::get_message),
        )
        .route(
            &format!("{attachment}/query-result"),
            get(conversations::query_result),
        )
        .route(
            &format!("{attachment}/execute-query"),
            post(conversations::execute_query),
        )
        .route(
            &format!("{genie}/eval-runs"),
            get(eval_runs::list).post(eval_runs::create),
        )
        .route(eval_run, get(eval_runs::get))
        .route(&format!("{eval_run}/results"), get(eval_runs::results))
        .route(
            &format!("{eval_run}/results/{{result_id}}"),
            get(eval_runs::result_details),
        )
        .route("/api/2.0/sql/statements", post(statements::execute))
        .route(
            "/api/2.0/sql/statements/{statement_id}",
            get(statements::get),
        )
        .route("/api/2.0/sql/history/queries", get(statements::history))
        .route(
            "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}",
            get(statements::get_chunk),
        )
        .route(
            "/api/2.0/sql/statements/{statement_id}/cancel",
            post(statements::cancel),
        )
        .route(
            "/serving-endpoints/chat/completions",
            post(serving::chat_completions),
        )
        .route(
            "/serving-endpoints/{endpoint}/invocations",
            post(serving::chat_completions),
        )
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            inject_server_errors,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            oidc::require_bearer,
        ));
    Router::new()
        .route("/oidc/v1/token", post(oidc::token))
        .route(
            "/oidc/.well-known/oauth-authorization-server",
            get(oidc::discovery),
        )
        .merge(api)
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    ApiError::not_found("No API found for this path and method.").into_response()
}

/// Middleware: refuses a seeded share of authenticated requests with 500 or 503, and another
/// share with 429, before they do anything, so retrying them is always safe. One roll per
/// request decides both: below `server_error_rate` a 5xx, then up to `rate_limited_rate` more a
/// 429.
async fn inject_server_errors(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let faults = &state.config.faults;
    if faults.server_error_rate > 0.0 || faults.rate_limited_rate > 0.0 {
        let key = state.next_request_number().to_string();
        let roll = state.dice.roll("server-error", &key);
        if roll < faults.server_error_rate {
            let error = if state.dice.roll("server-error-kind", &key) < 0.5 {
                ApiError::internal("Internal error (injected fault).")
            } else {
                ApiError::unavailable("The service is temporarily unavailable (injected fault).")
            };
            state.resources().faults.server_errors += 1;
            return error.into_response();
        }
        if roll < faults.server_error_rate + faults.rate_limited_rate {
            let mut error = ApiError::rate_limited("Too many requests (injected fault).", 1);
            error.retry_after_secs = Some(faults.rate_limited_retry_after_secs);
            state.resources().faults.rate_limited += 1;
            return error.into_response();
        }
    }
    next.run(request).await
}
