//! Loading a user repository into the simulator: every `resources.genie_spaces.<key>` of its
//! `databricks.yml` becomes a space, read from its `file_path` (the bare `serialized_space`
//! object or the API wrapper around it) or its inline `serialized_space`.
//!
//! This is a plain YAML read of the fields the simulator needs; `${…}` references in
//! `warehouse_id` resolve to the simulator's own warehouse.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;

use super::spaces::{SpaceRequest, create_space};
use super::state::SimState;

#[derive(Debug, Default, Deserialize)]
struct Bundle {
    #[serde(default)]
    resources: Resources,
}

#[derive(Debug, Default, Deserialize)]
struct Resources {
    #[serde(default)]
    genie_spaces: BTreeMap<String, GenieSpaceResource>,
}

#[derive(Debug, Deserialize)]
struct GenieSpaceResource {
    title: Option<String>,
    description: Option<String>,
    warehouse_id: Option<String>,
    parent_path: Option<String>,
    file_path: Option<String>,
    serialized_space: Option<Value>,
}

/// Creates the repository's spaces; returns resource key → space id.
pub fn load_repo(state: &SimState, repo: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let bundle_path = repo.join("databricks.yml");
    let text = std::fs::read_to_string(&bundle_path)
        .with_context(|| format!("cannot read {}", bundle_path.display()))?;
    let bundle: Bundle = serde_saphyr::from_str(&text)
        .with_context(|| format!("{}: not a readable bundle file", bundle_path.display()))?;
    if bundle.resources.genie_spaces.is_empty() {
        bail!(
            "{}: no resources.genie_spaces entries; add one with a file_path to the space file",
            bundle_path.display()
        );
    }
    let mut created = BTreeMap::new();
    for (key, resource) in bundle.resources.genie_spaces {
        let serialized_space = space_text(repo, &key, &resource)?;
        let warehouse_id = resource
            .warehouse_id
            .filter(|w| !w.contains("${"))
            .unwrap_or_else(|| state.warehouse_id());
        let request = SpaceRequest {
            warehouse_id: Some(warehouse_id),
            serialized_space: Some(serialized_space),
            title: Some(resource.title.unwrap_or_else(|| key.clone())),
            description: resource.description,
            parent_path: resource.parent_path.filter(|p| !p.contains("${")),
            etag: None,
        };
        let space = create_space(state, request).map_err(|e| {
            anyhow::anyhow!(
                "{}: genie space `{key}` was refused: {} ({})",
                bundle_path.display(),
                e.message,
                e.error_code
            )
        })?;
        created.insert(key, space.space_id);
    }
    Ok(created)
}

/// The `serialized_space` string of one resource.
fn space_text(repo: &Path, key: &str, resource: &GenieSpaceResource) -> anyhow::Result<String> {
    match (&resource.file_path, &resource.serialized_space) {
        (Some(file), _) => {
            let path = repo.join(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the space file {}", path.display()))?;
            unwrap_space_file(&text)
                .with_context(|| format!("{}: not a space file", path.display()))
        }
        (None, Some(Value::String(inline))) => Ok(inline.clone()),
        (None, Some(inline)) => Ok(inline.to_string()),
        (None, None) => bail!("genie space `{key}` has neither file_path nor serialized_space"),
    }
}

/// Accepts the bare `serialized_space` object or the API wrapper carrying it.
fn unwrap_space_file(text: &str) -> anyhow::Result<String> {
    let value: Value = serde_json::from_str(text)?;
    match value.get("serialized_space") {
        Some(Value::String(inner)) => Ok(inner.clone()),
        Some(inner) => Ok(inner.to_string()),
        None => Ok(text.to_owned()),
    }
}
