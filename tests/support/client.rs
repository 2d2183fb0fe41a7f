//! Clients of the in-process simulator for tests: millisecond backoff and a question limit that
//! never holds a test back, so fault drills stay fast.

use std::time::Duration;

use genie_gitops::databricks::Workspace;
use genie_gitops::databricks::auth::{Credentials, WorkspaceConfig};
use genie_gitops::databricks::http::RetryPolicy;
use genie_gitops::databricks::limiter::{LimiterConfig, QuestionLimiter};
use genie_gitops::sim::server::SimHandle;
use secrecy::{ExposeSecret, SecretString};

/// Retries within 10 s, backing off in 5 ms steps.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(10),
        request_timeout: Duration::from_secs(10),
        backoff_unit: Duration::from_millis(5),
    }
}

/// 60,000 questions a minute, 4 at once.
pub fn fast_limiter() -> QuestionLimiter {
    QuestionLimiter::new(LimiterConfig {
        questions_per_minute: 60_000.0,
        max_in_flight: 4,
        default_backoff: Duration::from_millis(5),
    })
}

/// The simulator's base URL.
pub fn base_url(sim: &SimHandle) -> url::Url {
    url::Url::parse(sim.base_url()).expect("the simulator's URL parses")
}

/// A client of `sim` signing in with `credentials`, asking through `limiter`.
pub fn connect_with(
    sim: &SimHandle,
    credentials: Credentials,
    limiter: QuestionLimiter,
) -> Workspace {
    let config = WorkspaceConfig {
        host: base_url(sim),
        credentials,
        warehouse_id: Some(sim.warehouse_id()),
        profile: None,
    };
    Workspace::connect_to(base_url(sim), &config, fast_policy(), limiter)
        .expect("the client builds")
}

/// A client of `sim` with its token and [`fast_limiter`].
pub fn connect(sim: &SimHandle) -> Workspace {
    let token = SecretString::from(sim.token().expose_secret().to_owned());
    connect_with(sim, Credentials::Pat(token), fast_limiter())
}

/// OAuth machine-to-machine credentials for the simulator's client, with `secret`.
pub fn m2m(secret: &str) -> Credentials {
    Credentials::OAuthM2M {
        client_id: "sim-client".to_owned(),
        client_secret: SecretString::from(secret.to_owned()),
    }
}
