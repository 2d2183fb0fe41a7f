//! The resolved project: bundle + settings merged into one list of spaces and targets.
//!
//! Commands never read the bundle or the settings directly; they call [`discover`] once and use
//! the [`Project`]. Merge rules (settings override the bundle):
//! - spaces: every bundle `genie_spaces` entry, plus every settings `spaces.<name>`; a settings
//!   entry with a bundle key's name overrides its space file, title and warehouse; a new name
//!   needs a `space_file`;
//! - benchmarks: the settings' list, else `benchmarks/<name>.yaml` (or `.yml`) when it exists;
//! - targets: the union of bundle and settings targets; settings fields win;
//! - template variables for a target, later sources winning: bundle variable defaults → bundle
//!   target variables → settings target variables; each is available as `${var.x}` and as `${x}`
//!   (the seed system's `${catalog}` style), plus `${bundle.target}`, `${bundle.name}` and
//!   `${workspace.host}` when known.
//!
//! Paths are repository paths (relative to the repository root, `/`-separated).

use std::collections::BTreeMap;

use super::bundle::{self, Bundle, SpaceContent};
use super::diag::{self, Diagnostic};
use super::settings::{self, DeployMode, DurableFiles, Settings, SpaceTargetSettings};
use super::snapshot::RepoSnapshot;
use super::template::Variables;

/// Everything genie-gitops knows about a repository's spaces and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Effective settings (defaults filled in when there is no settings file).
    pub settings: Settings,
    /// The settings file's path, when there is one.
    pub settings_file: Option<String>,
    /// The bundle, when there is one.
    pub bundle: Option<Bundle>,
    /// Spaces by name.
    pub spaces: BTreeMap<String, ProjectSpace>,
    /// Targets by name.
    pub targets: BTreeMap<String, ProjectTarget>,
    /// The target used when none is named.
    pub default_target: Option<String>,
}

/// One space with its files and per-target data.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSpace {
    /// Name (the bundle resource key or the settings key).
    pub name: String,
    /// Title (may hold templates).
    pub title: Option<String>,
    /// Description (may hold templates).
    pub description: Option<String>,
    /// Where the space configuration lives.
    pub source: SpaceSource,
    /// Benchmark files, repository paths.
    pub benchmarks: Vec<String>,
    /// Durable metadata files, repository paths.
    pub files: DurableFiles,
    /// Warehouse (may hold templates).
    pub warehouse_id: Option<String>,
    /// Workspace folder from the bundle.
    pub parent_path: Option<String>,
    /// Per-target data from the settings, by target name.
    pub targets: BTreeMap<String, SpaceTargetSettings>,
    /// True when the bundle declares it (so `deploy_mode: bundle` can ship it).
    pub in_bundle: bool,
}

/// Where a space's configuration lives.
#[derive(Debug, Clone, PartialEq)]
pub enum SpaceSource {
    /// A `.geniespace.json` file (repository path).
    File(String),
    /// Inline in a bundle file.
    Inline {
        /// The bundle file that holds it.
        declared_in: String,
        /// The configuration as JSON.
        json: serde_json::Value,
    },
}

/// One workspace target.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectTarget {
    /// Name.
    pub name: String,
    /// Workspace URL.
    pub host: Option<String>,
    /// `~/.databrickscfg` profile.
    pub profile: Option<String>,
    /// Default warehouse.
    pub warehouse_id: Option<String>,
    /// `development` / `production` from the bundle.
    pub mode: Option<String>,
    /// How `deploy` ships changes.
    pub deploy_mode: DeployMode,
    /// Template variables for this target.
    pub variables: Variables,
}

/// Why a target cannot be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The named target does not exist.
    #[error("unknown target `{name}`; known targets: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// Known names, comma-separated.
        known: String,
    },
    /// No name given and no default.
    #[error("no target given and no default target; known targets: {known}")]
    NoDefault {
        /// Known names, comma-separated.
        known: String,
    },
}

impl Project {
    /// The named target, or the default one.
    pub fn target(&self, name: Option<&str>) -> Result<&ProjectTarget, TargetError> {
        let known = || {
            let names: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let Some(name) = name.or(self.default_target.as_deref()) else {
            return Err(TargetError::NoDefault { known: known() });
        };
        self.targets.get(name).ok_or_else(|| TargetError::Unknown {
            name: name.to_string(),
            known: known(),
        })
    }

    /// The space called `name`.
    pub fn space(&self, name: &str) -> Option<&ProjectSpace> {
        self.spaces.get(name)
    }
}

/// Finds the settings file and the bundle in `repo`, merges them and validates the result.
/// Returns the project with its warnings, or every error.
pub fn discover(repo: &RepoSnapshot) -> Result<(Project, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let settings_file = repo
        .contains(settings::FILE_NAME)
        .then(|| settings::FILE_NAME.to_string());
    let settings = match &settings_file {
        Some(path) => {
            let text = repo.get(path).unwrap_or_default();
            settings::load(path, text)?
        }
        None => Settings::default(),
    };
    let bundle_path = RepoSnapshot::normalize_path(&settings.bundle);
    let bundle = if repo.contains(&bundle_path) {
        let (bundle, mut warnings) = bundle::load(repo, &bundle_path)?;
        diags.append(&mut warnings);
        Some(bundle)
    } else {
        if settings_file.is_some() && settings.bundle != settings::Settings::default().bundle {
            return Err(vec![
                Diagnostic::error(
                    settings::FILE_NAME,
                    format!("bundle file `{bundle_path}` not found"),
                )
                .hint("fix `bundle:` or remove it"),
            ]);
        }
        None
    };
    if settings_file.is_none() && bundle.is_none() {
        return Err(vec![
            Diagnostic::error(".", "no databricks.yml or .genie-gitops.yml found")
                .hint("run genie-gitops in the repository root, or create a .genie-gitops.yml"),
        ]);
    }
    let settings_name = settings_file
        .clone()
        .unwrap_or_else(|| settings::FILE_NAME.into());
    let spaces = merge_spaces(repo, &settings, bundle.as_ref(), &settings_name, &mut diags);
    let targets = merge_targets(&settings, bundle.as_ref());
    let default_target = default_target(&settings, bundle.as_ref(), &targets);
    check_target_names(&settings, &targets, &spaces, &settings_name, &mut diags);
    diag::sort(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let project = Project {
        settings,
        settings_file,
        bundle,
        spaces,
        targets,
        default_target,
    };
    Ok((project, diags))
}

fn merge_spaces(
    repo: &RepoSnapshot,
    settings: &Settings,
    bundle: Option<&Bundle>,
    settings_file: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, ProjectSpace> {
    let mut spaces = BTreeMap::new();
    for resource in bundle.map(|b| b.spaces.values()).into_iter().flatten() {
        let source = match &resource.content {
            Some(SpaceContent::File(path)) => SpaceSource::File(path.clone()),
            Some(SpaceContent::Inline(json)) => SpaceSource::Inline {
                declared_in: resource.declared_in.clone(),
                json: json.clone(),
            },
            None => continue,
        };
        spaces.insert(
            resource.key.clone(),
            ProjectSpace {
                name: resource.key.clone(),
                title: resource.title.clone(),
                description: resource.description.clone(),
                source,
                benchmarks: Vec::new(),
                files: in_dir(settings_file, &settings.files),
                warehouse_id: resource.warehouse_id.clone(),
                parent_path: resource.parent_path.clone(),
                targets: BTreeMap::new(),
                in_bundle: true,
            },
        );
    }
    for (name, over) in &settings.spaces {
        let file = over
            .space_file
            .as_ref()
            .map(|p| bundle::relative_to(settings_file, p));
        let space = match (spaces.get_mut(name), file) {
            (Some(space), file) => {
                if let Some(file) = file {
                    space.source = SpaceSource::File(file);
                }
                space
            }
            (None, Some(file)) => spaces.entry(name.clone()).or_insert(ProjectSpace {
                name: name.clone(),
                title: None,
                description: None,
                source: SpaceSource::File(file),
                benchmarks: Vec::new(),
                files: in_dir(settings_file, &settings.files),
                warehouse_id: None,
                parent_path: None,
                targets: BTreeMap::new(),
                in_bundle: false,
            }),
            (None, None) => {
                diags.push(
                    Diagnostic::error(
                        settings_file,
                        format!(
                            "space `{name}` has no `space_file` and the bundle does not declare it"
                        ),
                    )
                    .hint(format!(
                        "add `space_file:` under `spaces.{name}`, or name a bundle genie_spaces key"
                    )),
                );
                continue;
            }
        };
        if over.title.is_some() {
            space.title.clone_from(&over.title);
        }
        if over.warehouse_id.is_some() {
            space.warehouse_id.clone_from(&over.warehouse_id);
        }
        if let Some(files) = &over.files {
            space.files = in_dir(settings_file, &settings.files.with_override(files));
        }
        space.benchmarks = over
            .benchmarks
            .iter()
            .map(|p| bundle::relative_to(settings_file, p))
            .collect();
        space.targets.clone_from(&over.targets);
    }
    for space in spaces.values_mut() {
        if space.benchmarks.is_empty() {
            space.benchmarks = conventional_benchmarks(repo, &space.name);
        }
        for path in space.benchmarks.iter().chain(source_file(&space.source)) {
            if !repo.contains(path) {
                diags.push(
                    Diagnostic::error(
                        settings_file,
                        format!("space `{}`: file `{path}` not found", space.name),
                    )
                    .hint("paths in the settings file are relative to it"),
                );
            }
        }
    }
    spaces
}

fn source_file(source: &SpaceSource) -> Option<&String> {
    match source {
        SpaceSource::File(path) => Some(path),
        SpaceSource::Inline { .. } => None,
    }
}

fn conventional_benchmarks(repo: &RepoSnapshot, name: &str) -> Vec<String> {
    ["yaml", "yml"]
        .iter()
        .map(|ext| format!("benchmarks/{name}.{ext}"))
        .filter(|p| repo.contains(p))
        .take(1)
        .collect()
}

fn in_dir(settings_file: &str, files: &DurableFiles) -> DurableFiles {
    DurableFiles {
        tables: bundle::relative_to(settings_file, &files.tables),
        metric_views: bundle::relative_to(settings_file, &files.metric_views),
        functions: bundle::relative_to(settings_file, &files.functions),
        table_properties: bundle::relative_to(settings_file, &files.table_properties),
    }
}

fn merge_targets(settings: &Settings, bundle: Option<&Bundle>) -> BTreeMap<String, ProjectTarget> {
    let mut names: Vec<&String> = settings.targets.keys().collect();
    if let Some(b) = bundle {
        names.extend(b.targets.keys());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| (name.clone(), merge_target(name, settings, bundle)))
        .collect()
}

fn merge_target(name: &str, settings: &Settings, bundle: Option<&Bundle>) -> ProjectTarget {
    let from_settings = settings.targets.get(name);
    let from_bundle = bundle.and_then(|b| b.targets.get(name));
    let top = bundle.map(|b| &b.workspace);
    let host = from_settings
        .and_then(|t| t.host.clone())
        .or_else(|| from_bundle.and_then(|t| t.workspace.host.clone()))
        .or_else(|| top.and_then(|w| w.host.clone()));
    let profile = from_settings
        .and_then(|t| t.profile.clone())
        .or_else(|| from_bundle.and_then(|t| t.workspace.profile.clone()))
        .or_else(|| top.and_then(|w| w.profile.clone()));

    let mut variables = Variables::new();
    let mut set = |key: &str, value: &str| {
        variables.set(format!("var.{key}"), value);
        variables.set(key, value);
    };
    for (key, var) in bundle.map(|b| &b.variables).into_iter().flatten() {
        if let Some(default) = &var.default {
            set(key, default);
        }
    }
    for (key, value) in from_bundle.map(|t| &t.variables).into_iter().flatten() {
        set(key, value);
    }
    for (key, value) in from_settings.map(|t| &t.variables).into_iter().flatten() {
        set(key, value);
    }
    variables.set("bundle.target", name);
    if let Some(bundle_name) = bundle.and_then(|b| b.name.as_ref()) {
        variables.set("bundle.name", bundle_name);
    }
    if let Some(host) = &host {
        variables.set("workspace.host", host);
    }
    ProjectTarget {
        name: name.to_string(),
        host,
        profile,
        warehouse_id: from_settings.and_then(|t| t.warehouse_id.clone()),
        mode: from_bundle.and_then(|t| t.mode.clone()),
        deploy_mode: from_settings.map(|t| t.deploy_mode).unwrap_or_default(),
        variables,
    }
}

fn default_target(
    settings: &Settings,
    bundle: Option<&Bundle>,
    targets: &BTreeMap<String, ProjectTarget>,
) -> Option<String> {
    settings
        .default_target
        .clone()
        .or_else(|| {
            settings
                .targets
                .iter()
                .find(|(_, t)| t.default)
                .map(|(n, _)| n.clone())
        })
        .or_else(|| {
            bundle?
                .targets
                .iter()
                .find(|(_, t)| t.default)
                .map(|(n, _)| n.clone())
        })
        .or_else(|| {
            (targets.len() == 1)
                .then(|| targets.keys().next().cloned())
                .flatten()
        })
}

fn check_target_names(
    settings: &Settings,
    targets: &BTreeMap<String, ProjectTarget>,
    spaces: &BTreeMap<String, ProjectSpace>,
    settings_file: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let known: Vec<&str> = targets.keys().map(String::as_str).collect();
    let mut check = |name: &str, what: &str| {
        if !targets.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    settings_file,
                    format!("{what} names unknown target `{name}`"),
                )
                .hint(format!(
                    "known targets: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )),
            );
        }
    };
    if let Some(name) = &settings.default_target {
        check(name, "`default_target`");
    }
    if let Some(name) = &settings.dev_target {
        check(name, "`dev_target`");
    }
    for space in spaces.values() {
        for name in space.targets.keys() {
            check(name, &format!("space `{}`", space.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        for (p, t) in files {
            s.insert(p, *t);
        }
        s
    }

    const BUNDLE: &str = "bundle:\n  name: b\nvariables:\n  catalog:\n    default: main\n  warehouse_id:\n    default: w1\nresources:\n  genie_spaces:\n    sales:\n      title: Sales\n      warehouse_id: ${var.warehouse_id}\n      file_path: genie/sales.geniespace.json\ntargets:\n  dev:\n    default: true\n    variables:\n      catalog: dev_cat\n  prod:\n    workspace:\n      host: https://prod.cloud.databricks.com\n";

    #[test]
    fn settings_override_the_bundle_and_variables_layer_per_target() {
        let r = repo(&[
            ("databricks.yml", BUNDLE),
            ("genie/sales.geniespace.json", "{}"),
            ("benchmarks/sales.yaml", "[]"),
            (
                ".genie-gitops.yml",
                "version: 1\nspaces:\n  sales:\n    title: Sales v2\n    targets:\n      prod:\n        space_id: 0123456789abcdef0123456789abcdef\ntargets:\n  prod:\n    variables:\n      gold_schema: gold\n",
            ),
        ]);
        let (project, warnings) = discover(&r).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let sales = project.space("sales").unwrap();
        assert_eq!(sales.title.as_deref(), Some("Sales v2"));
        assert_eq!(sales.benchmarks, vec!["benchmarks/sales.yaml"]);
        assert_eq!(sales.files.tables, "genie/uc/tables.yml");
        assert_eq!(project.default_target.as_deref(), Some("dev"));
        let dev = &project.target(None).unwrap().variables;
        assert_eq!(dev.get("catalog"), Some("dev_cat"));
        assert_eq!(dev.get("var.warehouse_id"), Some("w1"));
        let prod = project.target(Some("prod")).unwrap();
        assert_eq!(prod.variables.get("gold_schema"), Some("gold"));
        assert_eq!(prod.variables.get("catalog"), Some("main"));
        assert_eq!(prod.variables.get("bundle.target"), Some("prod"));
        assert_eq!(
            prod.host.as_deref(),
            Some("https://prod.cloud.databricks.com")
        );
    }

    #[test]
    fn a_settings_space_without_a_file_or_bundle_entry_is_an_error() {
        let r = repo(&[(
            ".genie-gitops.yml",
            "version: 1\nspaces:\n  ghost: {}\ndev_target: nope\n",
        )]);
        let errs = discover(&r).unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 2, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("`dev_target` names unknown target `nope`"))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("space `ghost` has no `space_file`"))
        );
    }

    #[test]
    fn an_unknown_target_is_named_with_the_known_ones() {
        let r = repo(&[
            ("databricks.yml", BUNDLE),
            ("genie/sales.geniespace.json", "{}"),
        ]);
        let (project, _) = discover(&r).unwrap();
        let err = project.target(Some("qa")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown target `qa`; known targets: dev, prod"
        );
    }
}
