//! The one GitHub API client: octocrab pointed at `GITHUB_API_URL`, its own retries off, ours on.
//!
//! octocrab is built without its `retry` feature (Cargo.toml), so it never retries by itself
//! and retries cannot stack.
//! Every request goes through [`GitHub::send`], which retries what is safe to retry: reads and
//! `PATCH`es on 5xx and transport errors, and every request on a rate limit (429, or a 403 that
//! says so), waiting for `Retry-After` when GitHub gives one. A `POST` that failed with a 5xx is
//! not retried, because it may have gone through (a second comment is worse than an error).
//! Responses are read into the small structs of [`super::types`], not octocrab's full models, so
//! a field GitHub adds or drops cannot break a run.

use std::fmt;
use std::time::Duration;

use octocrab::Octocrab;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::env::RepoName;

/// The author of everything `GITHUB_TOKEN` writes.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// Results per page when listing (GitHub's maximum).
pub const PER_PAGE: u32 = 100;

/// How requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub base_delay: Duration,
    /// Longest wait; a `Retry-After` above it fails the request instead.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Create.
    Post,
    /// Update in place.
    Patch,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        })
    }
}

/// A failed GitHub request.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with an error status.
    #[error("GitHub refused {method} {route}: {status} {message}{}", hint(*.status, message))]
    Api {
        /// The request's method.
        method: Method,
        /// The request's path.
        route: String,
        /// HTTP status.
        status: u16,
        /// GitHub's message, with its validation errors.
        message: String,
        /// Seconds GitHub asked us to wait, if it did.
        retry_after: Option<u64>,
    },
    /// GitHub could not be reached, or its answer could not be read.
    #[error("GitHub request {method} {route} failed: {source}")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's path.
        route: String,
        /// What went wrong.
        source: Box<octocrab::Error>,
    },
}

impl GitHubError {
    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Api { status, .. } => Some(*status),
            GitHubError::Transport { .. } => None,
        }
    }

    /// GitHub's message, if it answered.
    pub fn message(&self) -> Option<&str> {
        match self {
            GitHubError::Api { message, .. } => Some(message),
            GitHubError::Transport { .. } => None,
        }
    }

    fn is_rate_limit(&self) -> bool {
        match self {
            GitHubError::Api {
                status, message, ..
            } => {
                *status == 429 || (*status == 403 && message.to_lowercase().contains("rate limit"))
            }
            GitHubError::Transport { .. } => false,
        }
    }

    fn is_transient(&self) -> bool {
        match self {
            GitHubError::Api { status, .. } => *status >= 500,
            GitHubError::Transport { source, .. } => !matches!(
                **source,
                octocrab::Error::Serde { .. } | octocrab::Error::Json { .. }
            ),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            GitHubError::Api { retry_after, .. } => retry_after.map(Duration::from_secs),
            GitHubError::Transport { .. } => None,
        }
    }
}

/// Advice for the errors users hit most with bot tokens.
fn hint(status: u16, message: &str) -> &'static str {
    if message.contains("not permitted to create or approve pull requests") {
        "\n  hint: enable Settings → Actions → General → \"Allow GitHub Actions to create and approve \
         pull requests\" (an organisation setting can override it), or use a GitHub App token"
    } else if message.contains("Resource not accessible by integration") {
        "\n  hint: the token lacks a permission: check the workflow's `permissions:` block; on a \
         pull request from a fork the token is read-only"
    } else if status == 401 {
        "\n  hint: the token is missing or expired: set GITHUB_TOKEN or GENIE_GITOPS_GITHUB_TOKEN"
    } else {
        ""
    }
}

/// An authenticated client for one repository.
#[derive(Debug, Clone)]
pub struct GitHub {
    octo: Octocrab,
    repo: RepoName,
    retry: RetryPolicy,
}

impl GitHub {
    /// A client for `repo` on the API at `api_url` (`GITHUB_API_URL`).
    pub fn new(api_url: &str, token: SecretString, repo: RepoName) -> anyhow::Result<Self> {
        use anyhow::Context;
        let octo = Octocrab::builder()
            .base_uri(api_url)
            .with_context(|| format!("GITHUB_API_URL `{api_url}` is not a URL"))?
            .personal_token(token)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .add_header(
                reqwest::header::ACCEPT,
                "application/vnd.github+json".to_owned(),
            )
            .add_header(
                reqwest::header::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_owned(),
            )
            .build()
            .context("cannot build the GitHub client")?;
        Ok(Self {
            octo,
            repo,
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The repository this client works on.
    pub fn repo(&self) -> &RepoName {
        &self.repo
    }

    /// `/repos/{owner}/{name}` followed by `path`.
    pub fn repo_route(&self, path: &str) -> String {
        format!("/repos/{}/{}{path}", self.repo.owner, self.repo.name)
    }

    /// The login of the token's account: `GET /user`, which installation and Actions tokens
    /// may not call (then `None`).
    pub async fn login(&self) -> Result<Option<String>, GitHubError> {
        match self.get::<super::types::User, _>("/user", &()).await {
            Ok(user) => Ok(Some(user.login)),
            Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whose comments, issues and commits are the bot's: `explicit` (the `bot-login` input),
    /// else the token's own login, else [`ACTIONS_BOT`].
    pub async fn bot_login(&self, explicit: Option<&str>) -> Result<String, GitHubError> {
        if let Some(login) = explicit.filter(|l| !l.trim().is_empty()) {
            return Ok(login.trim().to_owned());
        }
        Ok(self
            .login()
            .await?
            .unwrap_or_else(|| ACTIONS_BOT.to_owned()))
    }

    /// `GET route?query`.
    pub async fn get<T: DeserializeOwned, Q: Serialize + Sync>(
        &self,
        route: &str,
        query: &Q,
    ) -> Result<T, GitHubError> {
        self.send(Method::Get, route, Some(query), None::<&()>)
            .await
    }

    /// Every item of a paged list (`Link: rel="next"`), [`PER_PAGE`] per page.
    pub async fn get_all<T: DeserializeOwned, Q: Serialize + Sync>(
        &self,
        route: &str,
        query: &Q,
    ) -> Result<Vec<T>, GitHubError> {
        #[derive(Serialize)]
        struct Paged<'a, Q> {
            #[serde(flatten)]
            query: &'a Q,
            per_page: u32,
        }
        let paged = Paged {
            query,
            per_page: PER_PAGE,
        };
        let mut page: octocrab::Page<T> = self
            .send(Method::Get, route, Some(&paged), None::<&()>)
            .await?;
        let mut items = page.take_items();
        while let Some(next) = page.next.take() {
            let next = next.to_string();
            page = self
                .send(Method::Get, &next, None::<&()>, None::<&()>)
                .await?;
            items.append(&mut page.take_items());
        }
        Ok(items)
    }

    /// `POST route` with a JSON body.
    pub async fn post<T: DeserializeOwned, B: Serialize + Sync>(
        &self,
        route: &str,
        body: &B,
    ) -> Result<T, GitHubError> {
        self.send(Method::Post, route, None::<&()>, Some(body))
            .await
    }

    /// `PATCH route` with a JSON body.
    pub async fn patch<T: DeserializeOwned, B: Serialize + Sync>(
        &self,
        route: &str,
        body: &B,
    ) -> Result<T, GitHubError> {
        self.send(Method::Patch, route, None::<&()>, Some(body))
            .await
    }

    /// Sends one request with retries (see the module docs for what is retried).
    async fn send<T, Q, B>(
        &self,
        method: Method,
        route: &str,
        query: Option<&Q>,
        body: Option<&B>,
    ) -> Result<T, GitHubError>
    where
        T: octocrab::FromResponse,
        Q: Serialize + Sync + ?Sized,
        B: Serialize + Sync + ?Sized,
    {
        let mut attempt = 1;
        loop {
            let result = match method {
                Method::Get => self.octo.get(route, query).await,
                Method::Post => self.octo.post(route, body).await,
                Method::Patch => self.octo.patch(route, body).await,
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(e) => classify(method, route, e),
            };
            let retryable =
                error.is_rate_limit() || (error.is_transient() && method != Method::Post);
            if !retryable || attempt >= self.retry.attempts {
                return Err(error);
            }
            let backoff = self.retry.base_delay * 2u32.saturating_pow(attempt - 1);
            let wait = error.retry_after().unwrap_or(backoff);
            if wait > self.retry.max_delay {
                return Err(error);
            }
            tracing::warn!(%method, route, attempt, wait_ms = wait.as_millis() as u64, "retrying: {error}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Turns octocrab's error into ours, keeping status, message and `Retry-After`.
fn classify(method: Method, route: &str, error: octocrab::Error) -> GitHubError {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            let mut message = source.message.clone();
            for e in source.errors.iter().flatten() {
                let detail = e
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.to_string());
                message.push_str(&format!("; {detail}"));
            }
            let retry_after = source
                .headers
                .as_ref()
                .and_then(|h| h.get(reqwest::header::RETRY_AFTER))
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            GitHubError::Api {
                method,
                route: route.to_owned(),
                status: source.status_code.as_u16(),
                message,
                retry_after,
            }
        }
        other => GitHubError::Transport {
            method,
            route: route.to_owned(),
            source: Box::new(other),
        },
    }
}
