//! Request parsing that fails with Databricks-shaped errors instead of axum's plain-text ones.

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};

/// Parses a JSON request body; an empty body reads as `{}`.
pub fn json_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON in the request body: {e}")))
}

/// Reads an optional typed query parameter, naming it in the error when it does not parse.
pub fn query_param<T: FromStr>(
    query: &BTreeMap<String, String>,
    name: &str,
) -> ApiResult<Option<T>> {
    match query.get(name) {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| {
            ApiError::invalid(format!("Invalid value '{raw}' for query parameter {name}"))
        }),
    }
}

/// Pages through `items` with an offset token: returns the page and the next token, if any.
pub fn page<T: Clone>(
    items: &[T],
    query: &BTreeMap<String, String>,
    default_size: usize,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let size = query_param::<usize>(query, "page_size")?
        .filter(|&s| s > 0)
        .unwrap_or(default_size);
    let start = match query.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .ok()
            .filter(|&offset| offset <= items.len())
            .ok_or_else(|| ApiError::invalid(format!("Invalid page_token '{token}'")))?,
    };
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items.get(start..end).unwrap_or_default().to_vec(), next))
}
