//! Creating a repository's spaces in the simulator at start-up: every space of a
//! [`ResolvedRepo`] (the project's bundle and settings, templates resolved for one target by
//! [`crate::sim::workspace::resolve_repo`]) goes through the same path as
//! `POST /api/2.0/genie/spaces`, so the API's own checks apply. Every space runs on the
//! simulator's warehouse, whatever warehouse the repository names.

use std::collections::BTreeMap;

use super::spaces::{SpaceRequest, create_space};
use super::state::SimState;
use crate::sim::workspace::{RepoSpace, ResolvedRepo};

/// Creates the repository's spaces; returns space name (bundle resource key) → space id.
pub fn create_spaces(
    state: &SimState,
    repo: &ResolvedRepo,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut created = BTreeMap::new();
    for space in &repo.spaces {
        let id = create_one(state, space)?;
        created.insert(space.name.clone(), id);
    }
    Ok(created)
}

fn create_one(state: &SimState, space: &RepoSpace) -> anyhow::Result<String> {
    let serialized_space = serde_json::to_string(&space.space)?;
    let request = SpaceRequest {
        warehouse_id: Some(state.warehouse_id()),
        serialized_space: Some(serialized_space),
        title: Some(space.title.clone().unwrap_or_else(|| space.name.clone())),
        description: space.description.clone(),
        parent_path: space.parent_path.clone(),
        etag: None,
    };
    let created = create_space(state, request).map_err(|e| {
        anyhow::anyhow!(
            "genie space `{}` was refused: {} ({}); run `genie-gitops validate` on the repository",
            space.name,
            e.message,
            e.error_code
        )
    })?;
    Ok(created.space_id)
}
