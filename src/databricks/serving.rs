//! Model serving through the OpenAI-compatible endpoint `POST /serving-endpoints/chat/completions`
//! (`model` = the serving endpoint name), with JSON-mode responses for the LLM judges and
//! proposers. Retries follow the HTTP layer's policy: a completion has no side effect besides
//! its cost, so it is treated as safe to repeat.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::DatabricksError;
use super::http::{ApiClient, Call};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system".into(),
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user".into(),
            content: content.into(),
        }
    }
}

/// Generation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatOptions {
    pub max_tokens: u32,
    pub temperature: f32,
}

impl Default for ChatOptions {
    fn default() -> Self {
        Self {
            max_tokens: 2048,
            temperature: 0.0,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Debug, Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

/// Client of the serving endpoints' chat completions.
#[derive(Debug, Clone)]
pub struct ServingClient {
    api: ApiClient,
}

impl ServingClient {
    /// A serving client over the shared HTTP client.
    pub fn new(api: ApiClient) -> Self {
        Self { api }
    }

    /// The text of the first choice.
    pub async fn chat(
        &self,
        model: &str,
        messages: &[ChatMessage],
        options: ChatOptions,
    ) -> Result<String, DatabricksError> {
        self.complete(model, messages, options, false).await
    }

    /// Asks for a JSON object (`response_format: json_object`) and parses it. Models that wrap
    /// the object in a Markdown code fence are tolerated.
    pub async fn chat_json(
        &self,
        model: &str,
        messages: &[ChatMessage],
        options: ChatOptions,
    ) -> Result<serde_json::Value, DatabricksError> {
        let text = self.complete(model, messages, options, true).await?;
        serde_json::from_str(strip_code_fence(&text)).map_err(|e| DatabricksError::Decode {
            url: CHAT_PATH.into(),
            message: format!(
                "the model did not return a JSON object ({e}): {}",
                text.chars().take(200).collect::<String>()
            ),
        })
    }

    async fn complete(
        &self,
        model: &str,
        messages: &[ChatMessage],
        options: ChatOptions,
        json_mode: bool,
    ) -> Result<String, DatabricksError> {
        let mut body = json!({
            "model": model,
            "messages": messages,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        });
        if json_mode {
            body["response_format"] = json!({ "type": "json_object" });
        }
        let response: ChatResponse = self
            .api
            .send(Call::post_idempotent(CHAT_PATH, body))
            .await?;
        response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| DatabricksError::Decode {
                url: CHAT_PATH.into(),
                message: "the completion has no choices".into(),
            })
    }
}

const CHAT_PATH: &str = "/serving-endpoints/chat/completions";

fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_around_json_are_removed() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence(" {\"a\":1} "), "{\"a\":1}");
        assert_eq!(strip_code_fence("```"), "");
    }
}
