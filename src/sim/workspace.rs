//! A simulated workspace from a repository: what `sim serve --repo` and the integration tests
//! stand up.
//!
//! [`resolve_repo`] reads a repository the way every other command does
//! ([`crate::model::project::discover`]), picks a target and resolves `${…}` templates with its
//! variables: each space's configuration, title and description, its benchmark files, and its
//! durable lever files (lever-1 tables YAML, metric views, SQL functions; see [`compile`]).
//! [`SimWorkspace`] then builds the simulated Unity Catalog (the base Wanderbricks-lite catalog
//! plus those durable files), generates the data once, and hands out the SQL engine, the NL
//! engine's [`Knowledge`] and an [`Answerer::Engine`] over the same data.
//! [`SimWorkspace::into_sim_config`] wires it all into a server configuration whose start-up
//! creates the repository's spaces.

pub mod compile;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use serde_json::Value;
use thiserror::Error;

use crate::git::fs::load_dir;
use crate::model::benchmarks::{self, Benchmark};
use crate::model::check::{FileKind, durable_files};
use crate::model::diag::Diagnostic;
use crate::model::project::{self, ProjectSpace, SpaceSource};
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::{self, SerializedSpace};
use crate::model::tables;
use crate::model::template::{self, TemplateError, Variables};
use crate::sim::catalog::{Catalog, MetricView, SqlFunction};
use crate::sim::data::{self, DataConfig, Dataset};
use crate::sim::engine::{SqlEngine, SqlError};
use crate::sim::nl::{CatalogInfo, Knowledge};
use crate::sim::server::answerer::{Answerer, EngineAnswerer};
use crate::sim::server::warehouse::Warehouse;
use crate::sim::server::{Settings, SimConfig};
use compile::CompileError;

/// Why a repository cannot become a simulated workspace.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkspaceError {
    /// The repository's files do not validate: every error, `file:line:col`.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
    /// The target cannot be chosen.
    #[error(transparent)]
    Target(#[from] project::TargetError),
    /// A file names a template variable the target does not define.
    #[error("{file}: {source}; define it in the bundle's variables or the target's")]
    Template {
        /// The file holding the reference.
        file: String,
        /// Which variables were unknown.
        source: TemplateError,
    },
    /// A durable file cannot become a catalog object.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The SQL engine could not start.
    #[error("the SQL engine could not start: {0}")]
    Engine(#[from] SqlError),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(Diagnostic::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A repository resolved for one target: its spaces and durable files, templates resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRepo {
    /// The target the templates were resolved for (`None` when the project has no targets).
    pub target: Option<String>,
    /// That target's template variables.
    pub variables: Variables,
    /// The spaces, sorted by name.
    pub spaces: Vec<RepoSpace>,
    /// Lever-1 files: path and content.
    pub tables: Vec<(String, tables::TablesFile)>,
    /// Lever-2 metric views, compiled.
    pub metric_views: Vec<MetricView>,
    /// Lever-3 functions, compiled.
    pub functions: Vec<SqlFunction>,
}

/// One space of a repository, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoSpace {
    /// The bundle resource key (or settings key).
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub parent_path: Option<String>,
    /// The configuration with every template resolved.
    pub space: SerializedSpace,
    /// The questions of its benchmark files, templates kept (resolve with
    /// [`ResolvedRepo::variables`], e.g. through `model::space::benchmarks::with_benchmarks`).
    pub benchmarks: Vec<Benchmark>,
}

impl ResolvedRepo {
    /// The space called `name`.
    pub fn space(&self, name: &str) -> Option<&RepoSpace> {
        self.spaces.iter().find(|s| s.name == name)
    }
}

/// Resolves `repo` for `target` (the project's default target when `None`).
pub fn resolve_repo(
    repo: &RepoSnapshot,
    target: Option<&str>,
) -> Result<ResolvedRepo, WorkspaceError> {
    let (project, _warnings) = project::discover(repo).map_err(WorkspaceError::Invalid)?;
    let (target, variables) = if target.is_none() && project.targets.is_empty() {
        (None, Variables::new())
    } else {
        let chosen = project.target(target)?;
        (Some(chosen.name.clone()), chosen.variables.clone())
    };
    let mut out = ResolvedRepo {
        target,
        variables,
        spaces: Vec::new(),
        tables: Vec::new(),
        metric_views: Vec::new(),
        functions: Vec::new(),
    };
    let mut seen_files = BTreeSet::new();
    for space_def in project.spaces.values() {
        out.spaces
            .push(resolve_space(repo, space_def, &out.variables)?);
        for (path, kind) in durable_files(repo, space_def) {
            if seen_files.insert(path.clone()) {
                add_durable(&mut out, repo, &path, &kind)?;
            }
        }
    }
    Ok(out)
}

fn resolve_text(file: &str, text: &str, vars: &Variables) -> Result<String, WorkspaceError> {
    template::resolve(text, vars).map_err(|source| WorkspaceError::Template {
        file: file.to_owned(),
        source,
    })
}

fn resolve_option(
    file: &str,
    text: Option<&String>,
    vars: &Variables,
) -> Result<Option<String>, WorkspaceError> {
    text.map(|t| resolve_text(file, t, vars)).transpose()
}

/// Resolves every string in a JSON value (keys stay as written).
fn resolve_json(file: &str, value: &mut Value, vars: &Variables) -> Result<(), WorkspaceError> {
    match value {
        Value::String(s) => *s = resolve_text(file, s, vars)?,
        Value::Array(items) => {
            for item in items {
                resolve_json(file, item, vars)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                resolve_json(file, item, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn resolve_space(
    repo: &RepoSnapshot,
    space_def: &ProjectSpace,
    vars: &Variables,
) -> Result<RepoSpace, WorkspaceError> {
    let (file, templated) = match &space_def.source {
        SpaceSource::File(path) => {
            let text = repo.get(path).unwrap_or_default();
            let parsed = space::parse(path, text).map_err(WorkspaceError::Invalid)?;
            (path.clone(), parsed.file.space)
        }
        SpaceSource::Inline { declared_in, json } => {
            let space = serde_json::from_value(json.clone()).map_err(|e| {
                WorkspaceError::Invalid(vec![
                    Diagnostic::error(declared_in, format!("space `{}`: {e}", space_def.name))
                        .hint("write the inline serialized_space as a version 2 space object"),
                ])
            })?;
            (declared_in.clone(), space)
        }
    };
    let mut json = serde_json::to_value(&templated).unwrap_or(Value::Null);
    resolve_json(&file, &mut json, vars)?;
    let space = serde_json::from_value(json).map_err(|e| {
        WorkspaceError::Invalid(vec![Diagnostic::error(
            &file,
            format!("the space no longer reads once its templates are resolved: {e}"),
        )])
    })?;
    let mut benchmarks = Vec::new();
    for path in &space_def.benchmarks {
        let text = repo.get(path).unwrap_or_default();
        let (loaded, _warnings) = benchmarks::load(path, text).map_err(WorkspaceError::Invalid)?;
        benchmarks.extend(loaded.questions);
    }
    let bundle_file = "databricks.yml";
    Ok(RepoSpace {
        name: space_def.name.clone(),
        title: resolve_option(bundle_file, space_def.title.as_ref(), vars)?,
        description: resolve_option(bundle_file, space_def.description.as_ref(), vars)?,
        parent_path: resolve_option(bundle_file, space_def.parent_path.as_ref(), vars)?,
        space,
        benchmarks,
    })
}

fn add_durable(
    out: &mut ResolvedRepo,
    repo: &RepoSnapshot,
    path: &str,
    kind: &FileKind,
) -> Result<(), WorkspaceError> {
    let text = resolve_text(path, repo.get(path).unwrap_or_default(), &out.variables)?;
    match kind {
        FileKind::Tables => {
            let loaded = tables::load(path, &text);
            if loaded.has_errors() {
                return Err(WorkspaceError::Invalid(loaded.diagnostics));
            }
            out.tables.push((path.to_owned(), loaded.value));
        }
        FileKind::MetricView(identifier) => {
            let identifier = identifier
                .as_deref()
                .map(|id| resolve_text(path, id, &out.variables))
                .transpose()?;
            out.metric_views
                .push(compile::metric_view(path, &text, identifier.as_deref())?);
        }
        FileKind::Function => out.functions.push(compile::function(path, &text)?),
        // Levers 4–5 (table properties) have no effect on the simulated catalog.
        FileKind::Properties | FileKind::Space | FileKind::Benchmarks => {}
    }
    Ok(())
}

/// The base Wanderbricks-lite catalog with a repository's durable files applied.
pub fn build_catalog(repo: Option<&ResolvedRepo>) -> Result<Catalog, WorkspaceError> {
    let mut catalog = data::wanderbricks_catalog();
    let Some(repo) = repo else {
        return Ok(catalog);
    };
    for (path, file) in &repo.tables {
        compile::apply_tables(path, file, &mut catalog)?;
    }
    for view in &repo.metric_views {
        catalog
            .define_metric_view(view.clone())
            .map_err(|e| CompileError::Unsupported {
                file: view.name.to_string(),
                message: e.to_string(),
            })?;
    }
    for function in &repo.functions {
        catalog
            .define_function(function.clone())
            .map_err(|e| CompileError::Unsupported {
                file: function.name.to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(catalog)
}

/// The generated Wanderbricks-lite data for a seed and "today".
pub fn generate_data(seed: u64, as_of: NaiveDate) -> Dataset {
    data::generate(&DataConfig {
        as_of,
        ..DataConfig::new(seed)
    })
}

/// A running simulated workspace: SQL engine, data and (optionally) the repository it came from.
#[derive(Debug)]
pub struct SimWorkspace {
    /// The SQL engine over the catalog and data.
    pub engine: SqlEngine,
    /// The generated data, shared with the NL engine's value dictionaries.
    pub data: Arc<Dataset>,
    /// The repository, when the workspace was built from one.
    pub repo: Option<ResolvedRepo>,
}

impl SimWorkspace {
    /// The bare Wanderbricks-lite workspace: no durable files, no spaces.
    pub fn wanderbricks(seed: u64, as_of: NaiveDate) -> Result<Self, WorkspaceError> {
        Self::build(None, seed, as_of)
    }

    /// The workspace of a resolved repository.
    pub fn from_repo(
        repo: ResolvedRepo,
        seed: u64,
        as_of: NaiveDate,
    ) -> Result<Self, WorkspaceError> {
        Self::build(Some(repo), seed, as_of)
    }

    /// Reads the repository at `path` from disk and builds its workspace for `target`.
    pub fn load(
        path: &Path,
        target: Option<&str>,
        seed: u64,
        as_of: NaiveDate,
    ) -> anyhow::Result<Self> {
        let snapshot = load_dir(path)
            .with_context(|| format!("cannot read the repository {}", path.display()))?;
        let repo = resolve_repo(&snapshot, target)
            .with_context(|| format!("cannot load the repository {}", path.display()))?;
        Ok(Self::from_repo(repo, seed, as_of)?)
    }

    fn build(
        repo: Option<ResolvedRepo>,
        seed: u64,
        as_of: NaiveDate,
    ) -> Result<Self, WorkspaceError> {
        let catalog = build_catalog(repo.as_ref())?;
        let data = Arc::new(generate_data(seed, as_of));
        let engine = SqlEngine::with_dataset(catalog, &data, as_of)?;
        Ok(Self { engine, data, repo })
    }

    /// The simulated Unity Catalog.
    pub fn catalog(&self) -> &Catalog {
        self.engine.catalog()
    }

    /// What the NL engine sees of `space` (templates resolved) in this workspace.
    pub fn knowledge(&self, space: &SerializedSpace) -> Knowledge {
        let catalog = self.engine.catalog();
        let info = CatalogInfo::from_catalog(catalog);
        Knowledge::build(space, &info, &(catalog, self.data.as_ref()))
    }

    /// The NL engine as the server's answerer, over this workspace's data.
    pub fn answerer(&self) -> Answerer {
        Answerer::Engine(EngineAnswerer::new(Arc::clone(&self.data)))
    }

    /// A server configuration: this workspace's engine as the warehouse, the NL engine as the
    /// answerer, and the repository's spaces created at start-up.
    pub fn into_sim_config(self, settings: Settings, port: u16) -> SimConfig {
        let answerer = self.answerer();
        SimConfig {
            settings,
            answerer,
            warehouse: Warehouse::Engine(Box::new(self.engine)),
            repo: self.repo,
            port,
        }
    }
}
