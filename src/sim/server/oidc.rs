//! Authentication: the bearer-token check on every API route, and the workspace OAuth endpoint
//! `/oidc/v1/token` that issues short-lived tokens for client credentials (HTTP Basic) and for
//! token exchange (RFC 8693 form fields, as GitHub Actions OIDC federation sends them).
//!
//! Issued tokens really expire: after `Settings::token_lifetime` they get 401 like a stale token.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use super::error::ApiError;
use super::state::SimState;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// An access token issued by the OAuth endpoint.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub expires_at: Instant,
}

/// Middleware: refuses API requests without a valid bearer token.
pub async fn require_bearer(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    match check_bearer(&state, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

fn check_bearer(state: &SimState, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Credential was not sent or was of an unsupported type for this API.",
            )
        })?;
    if presented == state.config.token.expose_secret() {
        return Ok(());
    }
    let resources = state.resources();
    match resources.tokens.get(presented) {
        Some(token) if token.expires_at > state.now() => Ok(()),
        Some(_) => Err(ApiError::unauthorized(
            "Invalid access token: the token has expired. Obtain a new token and retry.",
        )),
        None => Err(ApiError::unauthorized("Invalid access token.")),
    }
}

/// The form fields of a token request (both grant types).
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    subject_token: Option<String>,
    subject_token_type: Option<String>,
}

/// An OAuth error response (`{"error", "error_description"}`), as the endpoint returns them.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> OAuthError {
    OAuthError {
        status,
        error,
        description: description.to_owned(),
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        (self.status, Json(body)).into_response()
    }
}

/// `POST /oidc/v1/token`.
pub async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    let scope = form.scope.clone().unwrap_or_else(|| "all-apis".to_owned());
    let outcome = match form.grant_type.as_deref() {
        Some("client_credentials") => check_client_credentials(&state, &headers, &form),
        Some(TOKEN_EXCHANGE) => check_token_exchange(&state, &form),
        Some(other) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!(
                "grant_type `{other}` is not supported; use client_credentials or {TOKEN_EXCHANGE}"
            ),
        )),
        None => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        )),
    };
    if let Err(error) = outcome {
        return error.into_response();
    }
    let lifetime = state.config.token_lifetime;
    let access_token = format!("sim-oauth-{}", state.new_id());
    state.resources().tokens.insert(
        access_token.clone(),
        IssuedToken {
            expires_at: state.now() + lifetime,
        },
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": whole_seconds(lifetime),
        "scope": scope,
    }))
    .into_response()
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn check_client_credentials(
    state: &SimState,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<(), OAuthError> {
    let (id, secret) = basic_credentials(headers)
        .or_else(|| form.client_id.clone().zip(form.client_secret.clone()))
        .ok_or_else(|| {
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed: send client_id:client_secret as HTTP Basic credentials",
            )
        })?;
    let known_id = &state.config.oauth_client_id;
    let known_secret = state.config.oauth_client_secret.expose_secret();
    if id == *known_id && secret == known_secret {
        Ok(())
    } else {
        Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        ))
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn check_token_exchange(state: &SimState, form: &TokenForm) -> Result<(), OAuthError> {
    if form.subject_token_type.as_deref() != Some(JWT_TOKEN_TYPE) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("subject_token_type must be {JWT_TOKEN_TYPE}"),
        ));
    }
    let looks_like_jwt = form.subject_token.as_deref().is_some_and(|t| {
        let parts: Vec<&str> = t.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
    });
    if !looks_like_jwt {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "subject_token must be a JWT (header.payload.signature)",
        ));
    }
    match form.client_id.as_deref() {
        Some(id) if id != state.config.oauth_client_id => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no federation policy matches this client_id",
        )),
        _ => Ok(()),
    }
}

/// `GET /oidc/.well-known/oauth-authorization-server`: the discovery document SDKs read.
pub async fn discovery(headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}/oidc");
    Json(json!({
        "issuer": base,
        "token_endpoint": format!("{base}/v1/token"),
        "authorization_endpoint": format!("{base}/v1/authorize"),
        "grant_types_supported": ["client_credentials", TOKEN_EXCHANGE],
    }))
    .into_response()
}
