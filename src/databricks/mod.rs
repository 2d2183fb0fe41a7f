//! The Databricks workspace client: auth, retries, rate limits, Genie spaces and conversations,
//! SQL statements and serving endpoints. One of the only modules that touch the network.
//!
//! Build a [`Workspace`] once per process from a resolved [`auth::WorkspaceConfig`] and hand
//! its clients (cheap clones sharing one HTTP pool, one token cache and one question limiter)
//! to whoever needs them.

pub mod auth;
pub mod error;
pub mod genie;
pub mod http;
pub mod limiter;
pub mod profile;
pub mod serving;
pub mod sql;
pub mod types;

use std::sync::Arc;

pub use error::DatabricksError;

/// Every client of one workspace, sharing one HTTP pool, token cache and question limiter.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The raw signed HTTP client (for calls not wrapped below).
    pub api: http::ApiClient,
    /// Genie spaces, questions and evaluation runs.
    pub genie: Arc<genie::GenieClient>,
    /// SQL statements.
    pub sql: sql::SqlClient,
    /// Chat completions.
    pub serving: serving::ServingClient,
    /// The warehouse named by the configuration, if any.
    pub warehouse_id: Option<String>,
}

impl Workspace {
    /// Connects to the configured host.
    pub fn connect(
        config: &auth::WorkspaceConfig,
        policy: http::RetryPolicy,
        limiter: limiter::QuestionLimiter,
    ) -> Result<Self, DatabricksError> {
        Ok(Self::from_api(
            http::ApiClient::new(config, policy)?,
            config,
            limiter,
        ))
    }

    /// Connects to `base` instead of the configured host (a simulator or a mock server).
    pub fn connect_to(
        base: url::Url,
        config: &auth::WorkspaceConfig,
        policy: http::RetryPolicy,
        limiter: limiter::QuestionLimiter,
    ) -> Result<Self, DatabricksError> {
        Ok(Self::from_api(
            http::ApiClient::with_base_url(base, config, policy)?,
            config,
            limiter,
        ))
    }

    fn from_api(
        api: http::ApiClient,
        config: &auth::WorkspaceConfig,
        limiter: limiter::QuestionLimiter,
    ) -> Self {
        Self {
            genie: Arc::new(genie::GenieClient::new(api.clone(), limiter)),
            sql: sql::SqlClient::new(api.clone()),
            serving: serving::ServingClient::new(api.clone()),
            warehouse_id: config.warehouse_id.clone(),
            api,
        }
    }
}
