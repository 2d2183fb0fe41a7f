//! The HTTP layer every workspace call goes through: bearer auth, retries with the SDKs'
//! policy, a total retry budget, typed errors, and debug tracing with no secrets in it.
//!
//! Retried: 429 and 503 (sleeping for `Retry-After` or the `RetryInfo` detail when given),
//! connection failures before the request left, the SDKs' transient error messages, and a 500
//! on an idempotent call (repeating a read or a full replacement cannot do harm). For a
//! non-idempotent call, a 500 — the server may have acted before it failed — and any failure
//! after the request may have reached the server surface as [`DatabricksError::Ambiguous`], so
//! the caller reconciles instead of asking twice. A 401 with a refreshable OAuth credential gets one fresh
//! token and one more try.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use url::Url;

use super::auth::{TokenSource, WorkspaceConfig};
use super::error::{ApiError, DatabricksError, parse_error_body};

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total time spent waiting between attempts before giving up (SDK default 300 s).
    pub budget: Duration,
    /// Timeout of one HTTP request (SDK default 60 s).
    pub request_timeout: Duration,
    /// The backoff step: attempt `n` waits `min(n, 10) × unit` plus up to one `unit` of jitter
    /// (1 s like the SDKs; tests use milliseconds).
    pub backoff_unit: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(300),
            request_timeout: Duration::from_secs(60),
            backoff_unit: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: `min(attempt, 10)` units plus jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.backoff_unit * attempt.min(10) + self.backoff_unit.mul_f64(jitter_fraction())
    }
}

/// A uniformly spread number in `[0, 1)` from the standard library's per-process random keys
/// (no RNG crate needed for jitter).
pub(crate) fn jitter_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Messages the SDKs treat as transient whatever the status.
const TRANSIENT_MESSAGES: [&str; 9] = [
    "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException",
    "does not have any associated worker environments",
    "There is no worker environment with id",
    "Unknown worker environment",
    "ClusterNotReadyException",
    "worker env WorkerEnvId",
    "Timed out after ",
    "RPC token bucket limit has been exceeded",
    "Please try again later",
];

/// One call: what to send and how it may be retried.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<serde_json::Value>,
    idempotent: bool,
    retry_rate_limits: bool,
}

impl Call {
    /// A GET (idempotent).
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path, true)
    }

    /// A POST that creates something: never re-sent after an ambiguous failure.
    pub fn post_create(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self::new(Method::POST, path, false).body(body)
    }

    /// A POST that is safe to repeat (cancel, execute-query of the same attachment, …).
    pub fn post_idempotent(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self::new(Method::POST, path, true).body(body)
    }

    /// A PATCH (a full replacement of the fields sent, so repeating it is harmless).
    pub fn patch(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self::new(Method::PATCH, path, true).body(body)
    }

    /// A DELETE.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path, true)
    }

    fn new(method: Method, path: impl Into<String>, idempotent: bool) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            idempotent,
            retry_rate_limits: true,
        }
    }

    fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    /// Returns 429 to the caller instead of retrying it (the question limiter handles it).
    pub fn no_rate_limit_retry(mut self) -> Self {
        self.retry_rate_limits = false;
        self
    }
}

/// Installs ring as rustls's crypto provider; harmless when one is installed already.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Builds the shared reqwest client.
pub fn http_client(policy: &RetryPolicy) -> Result<reqwest::Client, DatabricksError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(policy.request_timeout)
        .connect_timeout(policy.request_timeout.min(Duration::from_secs(30)))
        .user_agent(concat!("genie-gitops/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DatabricksError::Connect {
            url: String::new(),
            message: format!("cannot build the HTTP client: {e}"),
        })
}

/// A signed, retrying client for one workspace (cheap to clone).
#[derive(Debug, Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    tokens: TokenSource,
    policy: RetryPolicy,
}

/// What went wrong in one attempt.
enum Failure {
    Status(ApiError),
    NotSent(String),
    MaybeSent(String),
}

impl ApiClient {
    /// A client for the resolved workspace.
    pub fn new(config: &WorkspaceConfig, policy: RetryPolicy) -> Result<Self, DatabricksError> {
        Self::with_base_url(config.host.clone(), config, policy)
    }

    /// A client sending to `base` (a simulator or mock server) with the configured credentials;
    /// OAuth tokens are also requested from `base`.
    pub fn with_base_url(
        base: Url,
        config: &WorkspaceConfig,
        policy: RetryPolicy,
    ) -> Result<Self, DatabricksError> {
        let http = http_client(&policy)?;
        let tokens = TokenSource::new(config.credentials.clone(), &base, http.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                tokens,
                policy,
            }),
        })
    }

    /// The workspace base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// Sends the call with retries and decodes the JSON answer (an empty body decodes as
    /// `null`, so `()` and `Option<T>` accept it).
    pub async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T, DatabricksError> {
        let url = self.url(&call.path)?;
        let text = self.send_text(&call, &url).await?;
        let json = if text.trim().is_empty() {
            "null"
        } else {
            text.as_str()
        };
        serde_json::from_str(json).map_err(|e| DatabricksError::Decode {
            url: url.path().to_string(),
            message: format!("{e} in `{}`", json.chars().take(200).collect::<String>()),
        })
    }

    fn url(&self, path: &str) -> Result<Url, DatabricksError> {
        self.inner
            .base
            .join(path)
            .map_err(|e| DatabricksError::Decode {
                url: path.to_string(),
                message: format!("invalid request path: {e}"),
            })
    }

    async fn send_text(&self, call: &Call, url: &Url) -> Result<String, DatabricksError> {
        let policy = self.inner.policy;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        loop {
            attempt += 1;
            let failure = match self.attempt(call, url).await? {
                Ok(text) => return Ok(text),
                Err(failure) => failure,
            };
            let wait = match failure {
                Failure::Status(e)
                    if e.status == 401 && !refreshed_token && self.inner.tokens.can_refresh() =>
                {
                    tracing::debug!(path = %url.path(), "401: refreshing the token once");
                    self.inner.tokens.invalidate().await;
                    refreshed_token = true;
                    continue;
                }
                Failure::Status(e) if e.status == 500 && !call.idempotent => {
                    return Err(DatabricksError::Ambiguous {
                        url: url.path().to_string(),
                        message: e.to_string(),
                    });
                }
                Failure::Status(e) => match retry_wait(&e, call, attempt, &policy) {
                    Some(wait) => (wait, e.to_string()),
                    None => return Err(e.into()),
                },
                Failure::NotSent(message) => (policy.backoff(attempt), message),
                Failure::MaybeSent(message) if call.idempotent => {
                    (policy.backoff(attempt), message)
                }
                Failure::MaybeSent(message) => {
                    return Err(DatabricksError::Ambiguous {
                        url: url.path().to_string(),
                        message,
                    });
                }
            };
            let (delay, last) = wait;
            if started.elapsed() + delay > policy.budget {
                return Err(DatabricksError::RetryBudgetExhausted {
                    url: url.path().to_string(),
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    last,
                });
            }
            tracing::debug!(method = %call.method, path = %url.path(), attempt, ?delay, reason = %last, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt. The outer error is fatal (no token); the inner one is judged by the caller.
    async fn attempt(
        &self,
        call: &Call,
        url: &Url,
    ) -> Result<Result<String, Failure>, DatabricksError> {
        let token = self.inner.tokens.token().await?;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .bearer_auth(token.expose_secret());
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        tracing::debug!(method = %call.method, path = %url.path(), query = ?call.query, "request (Authorization redacted)");
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Ok(Err(Failure::NotSent(e.to_string()))),
            Err(e) => return Ok(Err(Failure::MaybeSent(error_chain(&e)))),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => return Ok(Err(Failure::MaybeSent(error_chain(&e)))),
        };
        tracing::debug!(method = %call.method, path = %url.path(), status = status.as_u16(), bytes = text.len(), "response");
        if status.is_success() {
            return Ok(Ok(text));
        }
        Ok(Err(Failure::Status(api_error(
            call, url, status, &headers, &text,
        ))))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

fn api_error(
    call: &Call,
    url: &Url,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> ApiError {
    let parsed = parse_error_body(body);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .or(parsed.retry_delay);
    ApiError {
        method: call.method.to_string(),
        path: url.path().to_string(),
        status: status.as_u16(),
        error_code: parsed.error_code,
        message: parsed.message.filter(|m| !m.is_empty()).unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no message")
                .to_string()
        }),
        request_id: parsed
            .request_id
            .or_else(|| header("x-request-id"))
            .or_else(|| header("x-databricks-request-id")),
        retry_after,
    }
}

/// How long to wait before retrying this error, or `None` when it must not be retried.
fn retry_wait(e: &ApiError, call: &Call, attempt: u32, policy: &RetryPolicy) -> Option<Duration> {
    let retryable = match e.status {
        500 => call.idempotent,
        429 => call.retry_rate_limits,
        503 => true,
        _ => TRANSIENT_MESSAGES.iter().any(|m| e.message.contains(m)),
    };
    retryable.then(|| e.retry_after.unwrap_or_else(|| policy.backoff(attempt)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_ten_units_plus_under_one_unit_of_jitter() {
        let policy = RetryPolicy {
            backoff_unit: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for (attempt, floor) in [(1, 100), (3, 300), (10, 1000), (25, 1000)] {
            let wait = policy.backoff(attempt);
            assert!(wait >= Duration::from_millis(floor), "{attempt}: {wait:?}");
            assert!(
                wait < Duration::from_millis(floor + 100),
                "{attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            let j = jitter_fraction();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
