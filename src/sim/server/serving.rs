//! An OpenAI-compatible chat endpoint (`/serving-endpoints/chat/completions`, and the native
//! `/serving-endpoints/{name}/invocations`) answering from a scripted response file:
//!
//! ```yaml
//! responses:
//!   - when_contains: "propose a synonym"   # matched against the last user message
//!     content: '{"synonyms": ["booked"]}'
//! default: "I have no scripted answer for that."
//! ```
//!
//! The first rule whose `when_contains` occurs in the last user message wins (case-insensitive);
//! otherwise `default`; with neither, the endpoint answers 404 as for an unknown endpoint.

use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::json_body;
use super::state::SimState;

/// One scripted reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRule {
    /// Substring of the last user message that selects this reply.
    pub when_contains: String,
    /// The assistant message content.
    pub content: String,
}

/// The scripted response file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatScript {
    #[serde(default)]
    pub responses: Vec<ChatRule>,
    pub default: Option<String>,
}

impl ChatScript {
    /// Reads a response file.
    pub fn from_file(path: &FsPath) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the chat response file {}", path.display()))?;
        serde_saphyr::from_str(&text)
            .with_context(|| format!("{}: invalid chat response file", path.display()))
    }

    /// The scripted reply to a last user message.
    pub fn reply(&self, last_user_message: &str) -> Option<&str> {
        let message = last_user_message.to_lowercase();
        self.responses
            .iter()
            .find(|rule| message.contains(&rule.when_contains.to_lowercase()))
            .map(|rule| rule.content.as_str())
            .or(self.default.as_deref())
    }
}

#[derive(Debug, Deserialize)]
struct ChatRequest {
    model: Option<String>,
    #[serde(default)]
    messages: Vec<ChatMessage>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Value,
}

fn message_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// `POST /serving-endpoints/chat/completions` and `POST /serving-endpoints/{name}/invocations`.
pub async fn chat_completions(
    State(state): State<Arc<SimState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: ChatRequest = json_body(&body)?;
    let last_user = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| message_text(&m.content))
        .ok_or_else(|| ApiError::invalid("messages must contain a user message"))?;
    let script = state.config.chat_script.as_ref().ok_or_else(|| {
        ApiError::not_found("No chat responses are configured (sim serve --chat FILE).")
    })?;
    let content = script.reply(&last_user).ok_or_else(|| {
        ApiError::not_found("No scripted chat response matches and no default is configured.")
    })?;
    let prompt_tokens: usize = request
        .messages
        .iter()
        .map(|m| count_words(&message_text(&m.content)))
        .sum();
    let completion_tokens = count_words(content);
    Ok(Json(json!({
        "id": format!("chatcmpl-{}", state.new_id()),
        "object": "chat.completion",
        "created": epoch_seconds(),
        "model": request.model.unwrap_or_else(|| "sim-chat".to_owned()),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })))
}

fn epoch_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}
