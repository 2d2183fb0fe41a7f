//! Workspace authentication, resolved the way the Databricks SDKs do it.
//!
//! Precedence: explicit settings > `DATABRICKS_*` environment variables > a profile of
//! `~/.databrickscfg` (which only fills fields still empty, and is skipped when no profile was
//! requested and a host and a credential are already known). Then `auth_type` pins one method,
//! or the first method whose inputs are present wins, in the SDK order `pat`, `oauth-m2m`,
//! `github-oidc`, `env-oidc`, `file-oidc`. The environment is injected through [`Environment`]
//! so tests never touch the process's variables. Tokens are [`SecretString`]s; [`TokenSource`]
//! caches OAuth tokens and refreshes them before they expire.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::profile::ConfigFile;
use crate::model::diag::Diagnostic;

/// Where configuration comes from besides explicit settings: variables and files.
pub trait Environment: Send + Sync {
    /// The value of an environment variable, `None` when unset or empty.
    fn var(&self, name: &str) -> Option<String>;
    /// The text of a file.
    fn read_file(&self, path: &Path) -> std::io::Result<String>;
}

/// The real process environment and file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// An environment made of maps, for tests and for embedding.
#[derive(Debug, Clone, Default)]
pub struct MapEnvironment {
    /// Variables by name.
    pub vars: BTreeMap<String, String>,
    /// File contents by path.
    pub files: BTreeMap<PathBuf, String>,
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// Settings given explicitly (command-line flags, the bundle target). They win over everything.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// Workspace URL, e.g. `https://adb-123.4.azuredatabricks.net`.
    pub host: Option<String>,
    /// A personal access token.
    pub token: Option<SecretString>,
    /// The `~/.databrickscfg` profile to use.
    pub profile: Option<String>,
    /// Service principal application id (OAuth M2M and OIDC federation).
    pub client_id: Option<String>,
    /// Service principal OAuth secret (OAuth M2M).
    pub client_secret: Option<SecretString>,
    /// Pins one method: `pat`, `oauth-m2m`, `github-oidc`, `env-oidc` or `file-oidc`.
    pub auth_type: Option<String>,
    /// Path of the config file (default `~/.databrickscfg`).
    pub config_file: Option<PathBuf>,
    /// SQL warehouse id.
    pub warehouse_id: Option<String>,
    /// Databricks account id (a default token audience for account hosts).
    pub account_id: Option<String>,
    /// Audience of federated tokens.
    pub token_audience: Option<String>,
}

/// The credential a workspace client signs requests with.
#[derive(Clone)]
pub enum Credentials {
    /// A personal access token.
    Pat(SecretString),
    /// OAuth client credentials of a service principal.
    OAuthM2M {
        client_id: String,
        client_secret: SecretString,
    },
    /// A GitHub Actions OIDC token exchanged for a workspace token.
    GithubOidc {
        client_id: Option<String>,
        audience: String,
        request_url: String,
        request_token: SecretString,
    },
    /// An OIDC token from `DATABRICKS_OIDC_TOKEN`, exchanged for a workspace token.
    EnvOidc {
        client_id: Option<String>,
        token: SecretString,
    },
    /// An OIDC token read from a file at each refresh, exchanged for a workspace token.
    FileOidc {
        client_id: Option<String>,
        path: PathBuf,
    },
}

impl Credentials {
    /// The SDK name of the method (`pat`, `oauth-m2m`, …).
    pub fn method(&self) -> &'static str {
        match self {
            Credentials::Pat(_) => "pat",
            Credentials::OAuthM2M { .. } => "oauth-m2m",
            Credentials::GithubOidc { .. } => "github-oidc",
            Credentials::EnvOidc { .. } => "env-oidc",
            Credentials::FileOidc { .. } => "file-oidc",
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, secrets redacted)", self.method())
    }
}

/// A resolved workspace: where it is, how to sign requests, and the warehouse if one was named.
#[derive(Debug, Clone)]
pub struct WorkspaceConfig {
    /// Base URL of the workspace, with no path.
    pub host: Url,
    /// The credential chosen.
    pub credentials: Credentials,
    /// The SQL warehouse id, if configured anywhere.
    pub warehouse_id: Option<String>,
    /// The profile that filled in settings, if one did.
    pub profile: Option<String>,
}

/// Why no usable credential could be resolved or a token could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No host anywhere.
    #[error(
        "no Databricks host configured\n  hint: pass --host, set DATABRICKS_HOST, or add `host = …` to a profile in {config_file}"
    )]
    NoHost { config_file: String },
    /// The host is not a URL.
    #[error(
        "the Databricks host `{host}` is not a valid URL: {message}\n  hint: use the workspace URL, e.g. https://adb-123.4.azuredatabricks.net"
    )]
    BadHost { host: String, message: String },
    /// Nothing to authenticate with.
    #[error(
        "no Databricks credentials found for {host} (tried: {tried})\n  hint: set DATABRICKS_TOKEN (pat), DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET (oauth-m2m), run in GitHub Actions with `permissions: id-token: write` and DATABRICKS_CLIENT_ID (github-oidc), or pick a profile with --profile / DATABRICKS_CONFIG_PROFILE"
    )]
    NoCredentials { host: String, tried: String },
    /// `auth_type` pinned a method whose inputs are missing.
    #[error(
        "auth type `{method}` is selected but {missing} is not set\n  hint: set {missing}, or unset DATABRICKS_AUTH_TYPE / auth_type to let the client choose"
    )]
    Incomplete { method: String, missing: String },
    /// `auth_type` names a method this client does not implement.
    #[error(
        "unsupported auth type `{0}`\n  hint: use one of pat, oauth-m2m, github-oidc, env-oidc, file-oidc"
    )]
    UnknownAuthType(String),
    /// The requested profile is not in the file.
    #[error(
        "profile `{profile}` not found in {file} (profiles there: {available})\n  hint: pick one of those with --profile or DATABRICKS_CONFIG_PROFILE"
    )]
    ProfileNotFound {
        profile: String,
        file: String,
        available: String,
    },
    /// A profile was requested but the file cannot be read.
    #[error(
        "cannot read {file} to load profile `{profile}`: {message}\n  hint: set DATABRICKS_CONFIG_FILE to the right path"
    )]
    ConfigFileUnreadable {
        profile: String,
        file: String,
        message: String,
    },
    /// The config file is malformed.
    #[error("{0}")]
    ConfigFile(Diagnostic),
    /// The token endpoint (or GitHub's OIDC endpoint) refused or failed.
    #[error("{method}: cannot obtain a token from {endpoint}: {message}\n  hint: {hint}")]
    TokenRequest {
        method: String,
        endpoint: String,
        message: String,
        hint: String,
    },
}

const METHOD_ORDER: [&str; 5] = ["pat", "oauth-m2m", "github-oidc", "env-oidc", "file-oidc"];

/// Resolves settings, environment and profile into one workspace configuration.
pub fn resolve(
    settings: &AuthSettings,
    env: &dyn Environment,
) -> Result<WorkspaceConfig, AuthError> {
    let mut merged = settings.clone();
    fill_from_env(&mut merged, env);
    let config_file = config_file_path(&merged, env);
    let profile = fill_from_profile(&mut merged, env, &config_file)?;
    let host_text = merged.host.clone().ok_or_else(|| AuthError::NoHost {
        config_file: config_file.display().to_string(),
    })?;
    let host = parse_host(&host_text)?;
    let credentials = choose_credentials(&merged, env, &host)?;
    Ok(WorkspaceConfig {
        host,
        credentials,
        warehouse_id: merged.warehouse_id,
        profile,
    })
}

fn fill_from_env(s: &mut AuthSettings, env: &dyn Environment) {
    fill(&mut s.host, env.var("DATABRICKS_HOST"));
    fill_secret(&mut s.token, env.var("DATABRICKS_TOKEN"));
    fill(&mut s.profile, env.var("DATABRICKS_CONFIG_PROFILE"));
    fill(&mut s.client_id, env.var("DATABRICKS_CLIENT_ID"));
    fill_secret(&mut s.client_secret, env.var("DATABRICKS_CLIENT_SECRET"));
    fill(&mut s.auth_type, env.var("DATABRICKS_AUTH_TYPE"));
    fill(&mut s.warehouse_id, env.var("DATABRICKS_WAREHOUSE_ID"));
    fill(&mut s.account_id, env.var("DATABRICKS_ACCOUNT_ID"));
    fill(&mut s.token_audience, env.var("DATABRICKS_TOKEN_AUDIENCE"));
    if s.config_file.is_none() {
        s.config_file = env.var("DATABRICKS_CONFIG_FILE").map(PathBuf::from);
    }
}

fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = value.filter(|v| !v.is_empty());
    }
}

fn fill_secret(slot: &mut Option<SecretString>, value: Option<String>) {
    if slot.is_none() {
        *slot = value.filter(|v| !v.is_empty()).map(SecretString::from);
    }
}

fn config_file_path(s: &AuthSettings, env: &dyn Environment) -> PathBuf {
    if let Some(path) = &s.config_file {
        return expand_home(path, env);
    }
    let home = env.var("HOME").or_else(|| env.var("USERPROFILE"));
    match home {
        Some(home) => PathBuf::from(home).join(".databrickscfg"),
        None => PathBuf::from(".databrickscfg"),
    }
}

fn expand_home(path: &Path, env: &dyn Environment) -> PathBuf {
    match (path.strip_prefix("~"), env.var("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

fn has_credential(s: &AuthSettings) -> bool {
    s.token.is_some() || (s.client_id.is_some() && s.client_secret.is_some())
}

/// Fills empty fields from the profile; returns the profile's name when one was used.
fn fill_from_profile(
    s: &mut AuthSettings,
    env: &dyn Environment,
    path: &Path,
) -> Result<Option<String>, AuthError> {
    let requested = s.profile.clone();
    if requested.is_none() && s.host.is_some() && has_credential(s) {
        return Ok(None);
    }
    let file_name = path.display().to_string();
    let text = match env.read_file(path) {
        Ok(text) => text,
        Err(e) => {
            return match requested {
                Some(profile) => Err(AuthError::ConfigFileUnreadable {
                    profile,
                    file: file_name,
                    message: e.to_string(),
                }),
                None => Ok(None),
            };
        }
    };
    let file = ConfigFile::parse(&file_name, &text).map_err(AuthError::ConfigFile)?;
    let name = requested
        .clone()
        .unwrap_or_else(|| file.default_profile_name());
    let Some(profile) = file.profile(&name) else {
        if requested.is_none() {
            return Ok(None);
        }
        return Err(AuthError::ProfileNotFound {
            profile: name,
            file: file_name,
            available: file.profile_names().join(", "),
        });
    };
    let get = |key: &str| profile.get(key).cloned();
    fill(&mut s.host, get("host"));
    fill_secret(&mut s.token, get("token"));
    fill(&mut s.client_id, get("client_id"));
    fill_secret(&mut s.client_secret, get("client_secret"));
    fill(&mut s.auth_type, get("auth_type"));
    fill(&mut s.warehouse_id, get("warehouse_id"));
    fill(&mut s.account_id, get("account_id"));
    fill(&mut s.token_audience, get("token_audience"));
    Ok(Some(name))
}

fn parse_host(text: &str) -> Result<Url, AuthError> {
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| AuthError::BadHost {
        host: text.to_string(),
        message: e.to_string(),
    })?;
    if url.host_str().is_none() {
        return Err(AuthError::BadHost {
            host: text.to_string(),
            message: "it has no host name".to_string(),
        });
    }
    url.set_path("/");
    url.set_query(None);
    Ok(url)
}

fn choose_credentials(
    s: &AuthSettings,
    env: &dyn Environment,
    host: &Url,
) -> Result<Credentials, AuthError> {
    if let Some(method) = s.auth_type.as_deref() {
        if !METHOD_ORDER.contains(&method) {
            return Err(AuthError::UnknownAuthType(method.to_string()));
        }
        return try_method(method, s, env, host).map_err(|missing| AuthError::Incomplete {
            method: method.to_string(),
            missing: missing.to_string(),
        });
    }
    METHOD_ORDER
        .iter()
        .find_map(|method| try_method(method, s, env, host).ok())
        .ok_or_else(|| AuthError::NoCredentials {
            host: host.as_str().trim_end_matches('/').to_string(),
            tried: METHOD_ORDER.join(", "),
        })
}

/// Builds the credential of one method, or names the first missing input.
fn try_method(
    method: &str,
    s: &AuthSettings,
    env: &dyn Environment,
    host: &Url,
) -> Result<Credentials, &'static str> {
    match method {
        "pat" => s
            .token
            .clone()
            .map(Credentials::Pat)
            .ok_or("DATABRICKS_TOKEN"),
        "oauth-m2m" => {
            let client_id = s.client_id.clone().ok_or("DATABRICKS_CLIENT_ID")?;
            let client_secret = s.client_secret.clone().ok_or("DATABRICKS_CLIENT_SECRET")?;
            Ok(Credentials::OAuthM2M {
                client_id,
                client_secret,
            })
        }
        "github-oidc" => {
            let request_url = env
                .var("ACTIONS_ID_TOKEN_REQUEST_URL")
                .ok_or("ACTIONS_ID_TOKEN_REQUEST_URL (add `permissions: id-token: write`)")?;
            let request_token = env
                .var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
                .ok_or("ACTIONS_ID_TOKEN_REQUEST_TOKEN (add `permissions: id-token: write`)")?;
            Ok(Credentials::GithubOidc {
                client_id: s.client_id.clone(),
                audience: token_audience(s, host),
                request_url,
                request_token: SecretString::from(request_token),
            })
        }
        "env-oidc" => {
            let token = env
                .var("DATABRICKS_OIDC_TOKEN")
                .ok_or("DATABRICKS_OIDC_TOKEN")?;
            Ok(Credentials::EnvOidc {
                client_id: s.client_id.clone(),
                token: SecretString::from(token),
            })
        }
        "file-oidc" => {
            let path = env
                .var("DATABRICKS_OIDC_TOKEN_FILEPATH")
                .ok_or("DATABRICKS_OIDC_TOKEN_FILEPATH")?;
            Ok(Credentials::FileOidc {
                client_id: s.client_id.clone(),
                path: PathBuf::from(path),
            })
        }
        _ => Err("a supported auth type"),
    }
}

/// The SDK's audience rule: `DATABRICKS_TOKEN_AUDIENCE`, else the account id on account hosts,
/// else the workspace token endpoint.
fn token_audience(s: &AuthSettings, host: &Url) -> String {
    if let Some(audience) = &s.token_audience {
        return audience.clone();
    }
    let is_account_host = host
        .host_str()
        .is_some_and(|h| h.starts_with("accounts.") || h.starts_with("accounts-"));
    match (&s.account_id, is_account_host) {
        (Some(account), true) => account.clone(),
        _ => token_endpoint(host).to_string(),
    }
}

/// `{host}/oidc/v1/token`.
pub fn token_endpoint(host: &Url) -> Url {
    let mut url = host.clone();
    url.set_path("/oidc/v1/token");
    url
}

/// How long before expiry a cached token is replaced.
const REFRESH_EARLY: Duration = Duration::from_secs(60);

struct CachedToken {
    token: SecretString,
    refresh_at: Instant,
}

/// Hands out bearer tokens: the PAT as is, OAuth tokens cached and refreshed early.
pub struct TokenSource {
    credentials: Credentials,
    token_url: Url,
    http: reqwest::Client,
    cache: tokio::sync::Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("method", &self.credentials.method())
            .field("token_url", &self.token_url.as_str())
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct GithubTokenResponse {
    value: String,
}

impl TokenSource {
    /// A token source for these credentials; OAuth tokens come from `{host}/oidc/v1/token`.
    pub fn new(credentials: Credentials, host: &Url, http: reqwest::Client) -> Self {
        Self {
            credentials,
            token_url: token_endpoint(host),
            http,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The method name, for messages.
    pub fn method(&self) -> &'static str {
        self.credentials.method()
    }

    /// Whether a fresh token can be obtained after a 401 (false for a PAT).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.credentials, Credentials::Pat(_))
    }

    /// A bearer token valid for at least a little while.
    pub async fn token(&self) -> Result<SecretString, AuthError> {
        if let Credentials::Pat(token) = &self.credentials {
            return Ok(token.clone());
        }
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token, so the next call fetches a new one (after a 401).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    async fn fetch(&self) -> Result<CachedToken, AuthError> {
        let requested_at = Instant::now();
        let response = match &self.credentials {
            Credentials::Pat(token) => {
                return Ok(CachedToken {
                    token: token.clone(),
                    refresh_at: requested_at + Duration::from_secs(u32::MAX as u64),
                });
            }
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => {
                let form = [("grant_type", "client_credentials"), ("scope", "all-apis")];
                let request = self
                    .http
                    .post(self.token_url.clone())
                    .basic_auth(client_id, Some(client_secret.expose_secret()))
                    .form(&form);
                self.token_request(request).await?
            }
            Credentials::GithubOidc {
                client_id,
                audience,
                request_url,
                request_token,
            } => {
                let subject = self
                    .github_id_token(request_url, request_token, audience)
                    .await?;
                self.exchange(client_id.as_deref(), &subject).await?
            }
            Credentials::EnvOidc { client_id, token } => {
                self.exchange(client_id.as_deref(), token).await?
            }
            Credentials::FileOidc { client_id, path } => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    self.refused(
                        path.display().to_string(),
                        e.to_string(),
                        "check DATABRICKS_OIDC_TOKEN_FILEPATH",
                    )
                })?;
                let token = SecretString::from(text.trim().to_string());
                self.exchange(client_id.as_deref(), &token).await?
            }
        };
        let lifetime = Duration::from_secs(response.expires_in.unwrap_or(3600));
        let early = REFRESH_EARLY.min(lifetime / 2);
        Ok(CachedToken {
            token: SecretString::from(response.access_token),
            refresh_at: requested_at + lifetime.saturating_sub(early),
        })
    }

    /// RFC 8693 token exchange of an OIDC token for a workspace token.
    async fn exchange(
        &self,
        client_id: Option<&str>,
        subject: &SecretString,
    ) -> Result<TokenResponse, AuthError> {
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", subject.expose_secret()),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ("scope", "all-apis"),
        ];
        if let Some(id) = client_id {
            form.push(("client_id", id));
        }
        let request = self.http.post(self.token_url.clone()).form(&form);
        self.token_request(request).await
    }

    async fn github_id_token(
        &self,
        request_url: &str,
        request_token: &SecretString,
        audience: &str,
    ) -> Result<SecretString, AuthError> {
        let mut url = Url::parse(request_url).map_err(|e| {
            self.refused(
                "ACTIONS_ID_TOKEN_REQUEST_URL".to_string(),
                e.to_string(),
                "run inside GitHub Actions with `permissions: id-token: write`",
            )
        })?;
        url.query_pairs_mut().append_pair("audience", audience);
        let endpoint = redact_query(&url);
        let response = self
            .http
            .get(url)
            .bearer_auth(request_token.expose_secret())
            .send()
            .await
            .map_err(|e| self.refused(endpoint.clone(), e.to_string(), GITHUB_HINT))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let message = format!("HTTP {}: {}", status.as_u16(), excerpt(&body));
            return Err(self.refused(endpoint, message, GITHUB_HINT));
        }
        let parsed: GithubTokenResponse = serde_json::from_str(&body)
            .map_err(|e| self.refused(endpoint, e.to_string(), GITHUB_HINT))?;
        Ok(SecretString::from(parsed.value))
    }

    async fn token_request(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<TokenResponse, AuthError> {
        let endpoint = self.token_url.to_string();
        let hint = self.hint();
        let response = request
            .send()
            .await
            .map_err(|e| self.refused(endpoint.clone(), e.to_string(), hint))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let parsed = super::error::parse_error_body(&body);
            let detail = parsed.message.or(parsed.error_code).unwrap_or_default();
            let message = format!("HTTP {}: {detail}", status.as_u16());
            return Err(self.refused(endpoint, message, hint));
        }
        serde_json::from_str(&body)
            .map_err(|e| self.refused(endpoint, format!("unreadable token response: {e}"), hint))
    }

    fn hint(&self) -> &'static str {
        match self.credentials {
            Credentials::Pat(_) => "check DATABRICKS_TOKEN",
            Credentials::OAuthM2M { .. } => {
                "check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (an OAuth secret of the service principal)"
            }
            Credentials::GithubOidc { .. } => GITHUB_HINT,
            Credentials::EnvOidc { .. } | Credentials::FileOidc { .. } => {
                "check the OIDC token and the service principal's federation policy"
            }
        }
    }

    fn refused(&self, endpoint: String, message: String, hint: &str) -> AuthError {
        AuthError::TokenRequest {
            method: self.method().to_string(),
            endpoint,
            message,
            hint: hint.to_string(),
        }
    }
}

const GITHUB_HINT: &str = "the service principal's federation policy must match this workflow's issuer, subject and audience; set DATABRICKS_TOKEN_AUDIENCE to the policy's audience (often the account id) and DATABRICKS_CLIENT_ID to the service principal's application id";

fn redact_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], files: &[(&str, &str)]) -> MapEnvironment {
        MapEnvironment {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| (PathBuf::from(k), v.to_string()))
                .collect(),
        }
    }

    const CFG: &str = "[DEFAULT]\nhost = https://default.example.com\ntoken = dapi-default\n\n[__settings__]\ndefault_profile = ci\n\n[ci]\nhost = https://ci.example.com\nclient_id = ci-id\nclient_secret = ci-secret\nwarehouse_id = wh-ci\n\n[dev]\nhost = https://dev.example.com\ntoken = dapi-dev\n";

    fn resolved(
        settings: &AuthSettings,
        env: &MapEnvironment,
    ) -> (String, &'static str, Option<String>) {
        match resolve(settings, env) {
            Ok(c) => (c.host.to_string(), c.credentials.method(), c.profile),
            Err(e) => (e.to_string(), "error", None),
        }
    }

    #[test]
    fn explicit_settings_beat_the_environment() {
        let e = env(
            &[
                ("DATABRICKS_HOST", "https://env.example.com"),
                ("DATABRICKS_TOKEN", "dapi-env"),
            ],
            &[],
        );
        let s = AuthSettings {
            host: Some("explicit.example.com".into()),
            ..AuthSettings::default()
        };
        assert_eq!(
            resolved(&s, &e),
            ("https://explicit.example.com/".into(), "pat", None)
        );
    }

    #[test]
    fn the_settings_default_profile_is_used_when_none_is_requested() {
        let e = env(&[("HOME", "/home/u")], &[("/home/u/.databrickscfg", CFG)]);
        let c = resolve(&AuthSettings::default(), &e);
        assert!(
            matches!(&c, Ok(c) if c.host.as_str() == "https://ci.example.com/"
            && c.credentials.method() == "oauth-m2m"
            && c.warehouse_id.as_deref() == Some("wh-ci")
            && c.profile.as_deref() == Some("ci"))
        );
    }

    #[test]
    fn the_profile_from_the_environment_is_used_and_the_config_file_can_move() {
        let e = env(
            &[
                ("DATABRICKS_CONFIG_PROFILE", "dev"),
                ("DATABRICKS_CONFIG_FILE", "/etc/dbcfg"),
            ],
            &[("/etc/dbcfg", CFG)],
        );
        assert_eq!(
            resolved(&AuthSettings::default(), &e),
            ("https://dev.example.com/".into(), "pat", Some("dev".into()))
        );
    }

    #[test]
    fn the_profile_only_fills_empty_fields() {
        let e = env(
            &[("DATABRICKS_TOKEN", "dapi-env")],
            &[("/h/.databrickscfg", CFG)],
        );
        let s = AuthSettings {
            profile: Some("ci".into()),
            config_file: Some("/h/.databrickscfg".into()),
            ..AuthSettings::default()
        };
        assert_eq!(
            resolved(&s, &e),
            ("https://ci.example.com/".into(), "pat", Some("ci".into()))
        );
    }

    #[test]
    fn the_file_is_skipped_when_host_and_credential_are_already_known() {
        let e = env(
            &[
                ("HOME", "/h"),
                ("DATABRICKS_HOST", "https://env.example.com"),
                ("DATABRICKS_TOKEN", "t"),
            ],
            &[("/h/.databrickscfg", "this is not ini")],
        );
        assert_eq!(resolved(&AuthSettings::default(), &e).2, None);
    }

    #[test]
    fn a_missing_profile_names_the_ones_that_exist() {
        let e = env(&[("HOME", "/h")], &[("/h/.databrickscfg", CFG)]);
        let s = AuthSettings {
            profile: Some("prod".into()),
            ..AuthSettings::default()
        };
        insta::assert_snapshot!(resolved(&s, &e).0);
    }

    #[test]
    fn no_credentials_says_what_was_tried_and_what_to_set() {
        let e = env(&[("DATABRICKS_HOST", "https://h.example.com")], &[]);
        insta::assert_snapshot!(resolved(&AuthSettings::default(), &e).0);
    }

    #[test]
    fn github_oidc_is_chosen_in_actions_with_the_audience_rules() {
        let base = [
            ("DATABRICKS_HOST", "https://h.example.com"),
            ("DATABRICKS_CLIENT_ID", "sp"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://gh.example/token?x=1",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh"),
        ];
        let audience = |extra: &[(&str, &str)]| {
            let mut vars: Vec<(&str, &str)> = base.to_vec();
            vars.extend_from_slice(extra);
            match resolve(&AuthSettings::default(), &env(&vars, &[])) {
                Ok(WorkspaceConfig {
                    credentials: Credentials::GithubOidc { audience, .. },
                    ..
                }) => audience,
                other => format!("{other:?}"),
            }
        };
        assert_eq!(audience(&[]), "https://h.example.com/oidc/v1/token");
        assert_eq!(
            audience(&[("DATABRICKS_TOKEN_AUDIENCE", "acct-1")]),
            "acct-1"
        );
    }

    #[test]
    fn a_pinned_auth_type_with_missing_inputs_says_what_is_missing() {
        let e = env(
            &[
                ("DATABRICKS_HOST", "h.example.com"),
                ("DATABRICKS_TOKEN", "t"),
                ("DATABRICKS_AUTH_TYPE", "oauth-m2m"),
            ],
            &[],
        );
        insta::assert_snapshot!(resolved(&AuthSettings::default(), &e).0);
    }

    #[test]
    fn credentials_debug_output_hides_secrets() {
        let c = Credentials::OAuthM2M {
            client_id: "id".into(),
            client_secret: SecretString::from("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
