//! The Genie spaces API: list (paged, never with `serialized_space`), get (`etag` and
//! `serialized_space` only with `include_serialized_space=true`), create, update (full
//! replacement; the etag is bumped only when the content changes; a stale etag is 409) and trash
//! (a trashed space is 404 from then on).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::extract::{json_body, page, query_param};
use super::state::{SimState, rfc3339_now};
use super::validate::accept_space;
use crate::model::space::SerializedSpace;

/// Where a space lands when the request names no `parent_path`.
const DEFAULT_PARENT: &str = "/Users/sim-user@example.com";

/// One Genie space.
#[derive(Debug, Clone)]
pub struct Space {
    pub space_id: String,
    pub title: String,
    pub description: String,
    pub warehouse_id: String,
    pub parent_path: String,
    /// The accepted content, upgraded to version 2.
    pub content: SerializedSpace,
    /// Starts at 1; bumped when `serialized_space` changes.
    pub etag: u64,
    pub create_time: String,
    pub update_time: String,
    pub trashed: bool,
}

impl Space {
    /// The content as the API returns it: a compact JSON string.
    pub fn serialized(&self) -> String {
        serde_json::to_string(&self.content).unwrap_or_default()
    }

    fn render(&self, include_serialized_space: bool) -> Value {
        let mut body = json!({
            "space_id": self.space_id,
            "title": self.title,
            "description": self.description,
            "warehouse_id": self.warehouse_id,
            "parent_path": self.parent_path,
            "create_time": self.create_time,
            "update_time": self.update_time,
        });
        if include_serialized_space {
            body["serialized_space"] = Value::from(self.serialized());
            body["etag"] = Value::from(self.etag.to_string());
        }
        body
    }

    fn render_listed(&self) -> Value {
        json!({
            "space_id": self.space_id,
            "title": self.title,
            "description": self.description,
            "warehouse_id": self.warehouse_id,
        })
    }
}

/// The body of create and update requests.
#[derive(Debug, Default, Deserialize)]
pub struct SpaceRequest {
    pub warehouse_id: Option<String>,
    pub serialized_space: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub parent_path: Option<String>,
    pub etag: Option<String>,
}

fn normalize_parent(path: &str) -> String {
    let stripped = path.strip_prefix("/Workspace").unwrap_or(path);
    if stripped.is_empty() {
        "/".to_owned()
    } else {
        stripped.to_owned()
    }
}

/// Looks up a live (not trashed) space, or 404.
pub fn live_space(state: &SimState, space_id: &str) -> ApiResult<Space> {
    state
        .resources()
        .spaces
        .get(space_id)
        .filter(|s| !s.trashed)
        .cloned()
        .ok_or_else(|| not_found(space_id))
}

fn not_found(space_id: &str) -> ApiError {
    ApiError::not_found(format!("Genie space {space_id} does not exist."))
}

/// Creates a space from a request (also used when loading `--repo`).
pub fn create_space(state: &SimState, request: SpaceRequest) -> ApiResult<Space> {
    let warehouse_id = request
        .warehouse_id
        .filter(|w| !w.is_empty())
        .ok_or_else(|| ApiError::invalid("warehouse_id is required"))?;
    let raw = request
        .serialized_space
        .ok_or_else(|| ApiError::invalid("serialized_space is required"))?;
    let content = accept_space(&raw, &state.warehouse())?;
    let now = rfc3339_now();
    let space = Space {
        space_id: state.new_id(),
        title: request
            .title
            .unwrap_or_else(|| "New Genie space".to_owned()),
        description: request.description.unwrap_or_default(),
        warehouse_id,
        parent_path: normalize_parent(request.parent_path.as_deref().unwrap_or(DEFAULT_PARENT)),
        content,
        etag: 1,
        create_time: now.clone(),
        update_time: now,
        trashed: false,
    };
    let mut resources = state.resources();
    resources.space_order.push(space.space_id.clone());
    resources
        .spaces
        .insert(space.space_id.clone(), space.clone());
    Ok(space)
}

/// `GET /api/2.0/genie/spaces`.
pub async fn list(
    State(state): State<Arc<SimState>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let live: Vec<Value> = {
        let resources = state.resources();
        resources
            .space_order
            .iter()
            .filter_map(|id| resources.spaces.get(id))
            .filter(|s| !s.trashed)
            .map(Space::render_listed)
            .collect()
    };
    let (spaces, next) = page(&live, &query, 100)?;
    let mut body = json!({ "spaces": spaces });
    if let Some(token) = next {
        body["next_page_token"] = Value::from(token);
    }
    Ok(Json(body))
}

/// `GET /api/2.0/genie/spaces/{space_id}`.
pub async fn get(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let include = query_param::<bool>(&query, "include_serialized_space")?.unwrap_or(false);
    Ok(Json(live_space(&state, &space_id)?.render(include)))
}

/// `POST /api/2.0/genie/spaces`.
pub async fn create(State(state): State<Arc<SimState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let request: SpaceRequest = json_body(&body)?;
    Ok(Json(create_space(&state, request)?.render(true)))
}

/// `PATCH /api/2.0/genie/spaces/{space_id}`.
pub async fn update(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: SpaceRequest = json_body(&body)?;
    let new_content = match &request.serialized_space {
        Some(raw) => Some((accept_space(raw, &state.warehouse())?, raw.clone())),
        None => None,
    };
    let mut resources = state.resources();
    let space = resources
        .spaces
        .get_mut(&space_id)
        .filter(|s| !s.trashed)
        .ok_or_else(|| not_found(&space_id))?;
    if let Some(etag) = &request.etag
        && *etag != space.etag.to_string()
    {
        return Err(ApiError::aborted(format!(
            "The etag '{etag}' is stale: Genie space {space_id} is at etag '{}'. Get the space again and retry.",
            space.etag
        )));
    }
    if let Some((content, raw)) = new_content {
        if content_changed(&space.content, &raw) {
            space.etag += 1;
        }
        space.content = content;
    }
    if let Some(title) = request.title {
        space.title = title;
    }
    if let Some(description) = request.description {
        space.description = description;
    }
    if let Some(warehouse_id) = request.warehouse_id.filter(|w| !w.is_empty()) {
        space.warehouse_id = warehouse_id;
    }
    if let Some(parent) = request.parent_path {
        space.parent_path = normalize_parent(&parent);
    }
    space.update_time = rfc3339_now();
    Ok(Json(space.render(true)))
}

/// Whether the submitted JSON differs from what is stored (compared as JSON values, so key order
/// and whitespace do not count, but a version-1 submission or an unsorted list does).
fn content_changed(stored: &SerializedSpace, submitted: &str) -> bool {
    let stored = serde_json::to_value(stored).unwrap_or(Value::Null);
    let submitted: Value = serde_json::from_str(submitted).unwrap_or(Value::Null);
    stored != submitted
}

/// `DELETE /api/2.0/genie/spaces/{space_id}`: moves the space to the trash.
pub async fn trash(
    State(state): State<Arc<SimState>>,
    Path(space_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut resources = state.resources();
    let space = resources
        .spaces
        .get_mut(&space_id)
        .filter(|s| !s.trashed)
        .ok_or_else(|| not_found(&space_id))?;
    space.trashed = true;
    Ok(Json(json!({})))
}
