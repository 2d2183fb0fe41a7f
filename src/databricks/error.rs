//! Typed errors of the workspace client, and the parser that turns any error body the
//! Databricks REST API sends (structured JSON, `{"error": …}`, `CODE: message`, HTML, empty)
//! into one [`ApiError`].

use std::time::Duration;

use serde::Deserialize;

use super::auth::AuthError;

/// Everything a workspace call can fail with. Callers branch on the variant; users read the
/// message.
#[derive(Debug, thiserror::Error)]
pub enum DatabricksError {
    /// The server answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No credentials could be resolved, or the token endpoint refused them.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request never reached the server (DNS, connect, TLS), so it is safe to send again.
    #[error("cannot reach {url}: {message}")]
    Connect { url: String, message: String },
    /// A non-idempotent call failed after it may have reached the server (the connection
    /// broke, or the server answered 500). It must be reconciled before it is sent again.
    #[error("the outcome of {url} is unknown ({message}); the server may have acted on it")]
    Ambiguous { url: String, message: String },
    /// The retry budget ran out while the server kept answering with retryable errors.
    #[error("gave up on {url} after {attempts} attempts in {elapsed:?}: {last}")]
    RetryBudgetExhausted {
        url: String,
        attempts: u32,
        elapsed: Duration,
        last: String,
    },
    /// A 2xx answer whose body is not the JSON we expected.
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
    /// A SQL statement ended FAILED (the HTTP status was 200).
    #[error("{0}")]
    Statement(Box<StatementError>),
    /// A caller's deadline passed before the operation finished.
    #[error("{what} did not finish within {deadline:?}")]
    Deadline { what: String, deadline: Duration },
    /// The workspace answered in a way the client cannot use (a documented but unsupported
    /// shape, such as EXTERNAL_LINKS results).
    #[error("{0}")]
    Unsupported(String),
}

impl From<ApiError> for DatabricksError {
    fn from(e: ApiError) -> Self {
        DatabricksError::Api(Box::new(e))
    }
}

impl From<StatementError> for DatabricksError {
    fn from(e: StatementError) -> Self {
        DatabricksError::Statement(Box::new(e))
    }
}

impl DatabricksError {
    /// The HTTP status of an API error, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            DatabricksError::Api(e) => Some(e.status),
            _ => None,
        }
    }
}

/// A non-2xx answer, parsed as far as the body allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {path}: HTTP {status}{}: {message}{}", code_suffix(.error_code), request_suffix(.request_id))]
pub struct ApiError {
    /// HTTP method of the failed request.
    pub method: String,
    /// Path of the failed request (no host, no query).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Databricks `error_code` (`RESOURCE_DOES_NOT_EXIST`, …) when the body named one.
    pub error_code: Option<String>,
    /// Human-readable message (from the body, or the status reason when the body has none).
    pub message: String,
    /// Request id from a `RequestInfo` detail or the `x-request-id` header.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (`Retry-After` header or `RetryInfo` detail).
    pub retry_after: Option<Duration>,
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" {c}")).unwrap_or_default()
}

fn request_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|i| format!(" (request id {i})"))
        .unwrap_or_default()
}

/// A statement that the warehouse ran and that failed (`status.state = FAILED`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement {statement_id} failed: {}{message}{}", code_prefix(.error_code), sql_state_suffix(.sql_state))]
pub struct StatementError {
    /// The statement id the warehouse gave it.
    pub statement_id: String,
    /// The final state (`FAILED`, `CANCELED`, `CLOSED`).
    pub state: String,
    /// `status.error.error_code` (`BAD_REQUEST`, …).
    pub error_code: Option<String>,
    /// `status.error.message`.
    pub message: String,
    /// `status.sql_state` (`42P01`, …).
    pub sql_state: Option<String>,
}

fn code_prefix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default()
}

fn sql_state_suffix(state: &Option<String>) -> String {
    state
        .as_ref()
        .map(|s| format!(" (SQLSTATE {s})"))
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

/// What the error body said, before the request context is attached.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParsedBody {
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub retry_delay: Option<Duration>,
}

/// Parses any error body. Never fails: an unreadable body yields a short excerpt as message.
pub(crate) fn parse_error_body(body: &str) -> ParsedBody {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return ParsedBody::default();
    }
    if let Ok(json) = serde_json::from_str::<ErrorBody>(trimmed) {
        return from_json(json);
    }
    if looks_like_html(trimmed) {
        return ParsedBody {
            message: Some(html_text(trimmed)),
            ..ParsedBody::default()
        };
    }
    if let Some((code, message)) = split_code_message(trimmed) {
        return ParsedBody {
            error_code: Some(code.to_string()),
            message: Some(message.trim().to_string()),
            ..ParsedBody::default()
        };
    }
    ParsedBody {
        message: Some(excerpt(trimmed)),
        ..ParsedBody::default()
    }
}

fn from_json(json: ErrorBody) -> ParsedBody {
    let mut parsed = ParsedBody {
        error_code: json.error_code,
        message: json.message,
        ..ParsedBody::default()
    };
    if parsed.message.is_none() {
        parsed.message = match json.error {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Object(o)) => o
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string),
            _ => None,
        };
    }
    for detail in &json.details {
        let kind = detail.get("@type").and_then(|t| t.as_str()).unwrap_or("");
        if kind.ends_with("RequestInfo") {
            parsed.request_id = detail
                .get("request_id")
                .and_then(|v| v.as_str())
                .map(str::to_string);
        } else if kind.ends_with("RetryInfo") {
            parsed.retry_delay = detail
                .get("retry_delay")
                .and_then(|v| v.as_str())
                .and_then(parse_proto_duration);
        }
    }
    parsed
}

/// Parses a protobuf JSON duration such as `"1s"` or `"0.5s"`.
pub(crate) fn parse_proto_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype") || head.starts_with("<html") || head.starts_with('<')
}

/// The text inside the first `<pre>` block, else the document with tags removed.
fn html_text(body: &str) -> String {
    let pre = regex::Regex::new(r"(?is)<pre[^>]*>(.*?)</pre>").ok();
    if let Some(caps) = pre.as_ref().and_then(|re| re.captures(body))
        && let Some(inner) = caps.get(1)
    {
        return excerpt(inner.as_str().trim());
    }
    let tags = regex::Regex::new(r"(?s)<[^>]*>").ok();
    let text = match tags {
        Some(re) => re.replace_all(body, " ").to_string(),
        None => body.to_string(),
    };
    excerpt(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `RESOURCE_DOES_NOT_EXIST: no such space` → (code, message).
fn split_code_message(body: &str) -> Option<(&str, &str)> {
    let (code, message) = body.split_once(':')?;
    let is_code = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
    is_code.then_some((code, message))
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_structured_body_yields_code_message_request_id_and_retry_delay() {
        let body = r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down","details":[
            {"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"req-1","serving_data":""},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retry_delay":"2.5s"}]}"#;
        let parsed = parse_error_body(body);
        assert_eq!(parsed.error_code.as_deref(), Some("REQUEST_LIMIT_EXCEEDED"));
        assert_eq!(parsed.message.as_deref(), Some("slow down"));
        assert_eq!(parsed.request_id.as_deref(), Some("req-1"));
        assert_eq!(parsed.retry_delay, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn an_error_string_body_is_read_as_the_message() {
        let parsed = parse_error_body(r#"{"error":"invalid_client"}"#);
        assert_eq!(parsed.message.as_deref(), Some("invalid_client"));
        assert_eq!(parsed.error_code, None);
    }

    #[test]
    fn an_html_body_is_reduced_to_its_pre_block() {
        let body = "<html><head><title>Error 503</title></head><body><h2>HTTP ERROR 503</h2><pre>Service Unavailable</pre></body></html>";
        assert_eq!(
            parse_error_body(body).message.as_deref(),
            Some("Service Unavailable")
        );
    }

    #[test]
    fn a_plain_code_and_message_body_is_split() {
        let parsed = parse_error_body("PERMISSION_DENIED: you cannot");
        assert_eq!(parsed.error_code.as_deref(), Some("PERMISSION_DENIED"));
        assert_eq!(parsed.message.as_deref(), Some("you cannot"));
    }

    #[test]
    fn an_empty_body_yields_nothing() {
        assert_eq!(parse_error_body("  \n"), ParsedBody::default());
    }

    #[test]
    fn a_long_garbage_body_is_cut_short_on_a_char_boundary() {
        let body = "é".repeat(1000);
        let message = parse_error_body(&body).message.unwrap_or_default();
        assert_eq!(message.chars().count(), 301);
    }

    #[test]
    fn proto_durations_parse_and_reject_nonsense() {
        assert_eq!(parse_proto_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_proto_duration("-1s"), None);
        assert_eq!(parse_proto_duration("1m"), None);
    }
}
