//! Shared set-up for the NL engine's tests: the simulated Wanderbricks workspace of each fixture
//! repository, built the way `sim serve --repo` builds it (`sim::workspace`): the base catalog
//! plus the repository's durable files (tables YAML, the two metric views and three table
//! functions), and the fixture spaces with their templates resolved.
//!
//! The poor fixture's assets are undocumented (no metric-view synonyms, unhelpful function
//! comments); the curated fixture's are documented. Tests that need documentation on the poor
//! assets add it to their own copy.

#![allow(dead_code)]

use chrono::NaiveDate;
use genie_gitops::git::fs::load_dir;
use genie_gitops::model::space::SerializedSpace;
use genie_gitops::sim::catalog::Catalog;
use genie_gitops::sim::data::{self, Dataset};
use genie_gitops::sim::engine::SqlEngine;
use genie_gitops::sim::nl::Knowledge;
use genie_gitops::sim::workspace::{
    ResolvedRepo, SimWorkspace, build_catalog, generate_data, resolve_repo,
};

/// The seed every NL test generates its data with.
pub const SEED: u64 = 42;

/// The poor fixture repository.
pub const POOR_REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
/// The curated fixture repository.
pub const CURATED_REPO: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks-curated");

/// The poor fixture's space file.
pub const POOR: &str =
    include_str!("../../fixtures/wanderbricks/genie/wanderbricks.geniespace.json");
/// The curated fixture's space file.
pub const CURATED: &str =
    include_str!("../../fixtures/wanderbricks-curated/genie/wanderbricks.geniespace.json");

/// "Today" for every test: the dataset's default as-of date.
pub fn as_of() -> NaiveDate {
    data::default_as_of()
}

/// Resolves the fixture's template variables for the simulated workspace.
pub fn resolve(text: &str) -> String {
    text.replace("${catalog}", data::CATALOG)
        .replace("${schema}", data::SCHEMA)
}

/// Parses a fixture space with its templates resolved.
pub fn space(text: &str) -> SerializedSpace {
    match serde_json::from_str(&resolve(text)) {
        Ok(space) => space,
        Err(error) => panic!("a fixture space does not parse: {error}"),
    }
}

/// A fixture repository resolved for its default target.
pub fn repo(path: &str) -> ResolvedRepo {
    let snapshot = match load_dir(std::path::Path::new(path)) {
        Ok(snapshot) => snapshot,
        Err(error) => panic!("cannot read {path}: {error:#}"),
    };
    match resolve_repo(&snapshot, None) {
        Ok(repo) => repo,
        Err(error) => panic!("{path} does not load: {error}"),
    }
}

/// A fixture's workspace: SQL engine with the repository's durable files, and the same
/// generated data for value dictionaries.
pub struct Workspace {
    pub engine: SqlEngine,
    pub data: Dataset,
}

impl Workspace {
    /// The poor fixture's workspace.
    pub fn new() -> Self {
        Self::of(POOR_REPO)
    }

    /// The curated fixture's workspace.
    pub fn curated() -> Self {
        Self::of(CURATED_REPO)
    }

    /// The workspace of the repository at `path`.
    pub fn of(path: &str) -> Self {
        match SimWorkspace::from_repo(repo(path), SEED, as_of()) {
            Ok(workspace) => Self {
                engine: workspace.engine,
                data: (*workspace.data).clone(),
            },
            Err(error) => panic!("the workspace of {path} does not start: {error}"),
        }
    }

    /// What the NL engine sees of `space` in this workspace.
    pub fn knowledge(&self, space: &SerializedSpace) -> Knowledge {
        let catalog = self.engine.catalog();
        let info = genie_gitops::sim::nl::CatalogInfo::from_catalog(catalog);
        Knowledge::build(space, &info, &(catalog, &self.data))
    }
}

/// The poor fixture's catalog: the base catalog plus its durable files (no engine, no SQLite).
pub fn catalog() -> Catalog {
    match build_catalog(Some(&repo(POOR_REPO))) {
        Ok(catalog) => catalog,
        Err(error) => panic!("the poor fixture's durable files do not compile: {error}"),
    }
}

/// The generated data for [`SEED`].
pub fn dataset() -> Dataset {
    generate_data(SEED, as_of())
}
