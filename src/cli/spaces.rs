//! `genie-gitops spaces …`: look at the workspace's Genie spaces. `list` shows them, `export`
//! writes a live space as the repository's canonical space file (templates kept), and `diff`
//! compares live spaces with the repository's files semantically (exit 0 equal, 2 different).
//!
//! Also home of [`ConnectionArgs`], the `--repo`/`--target`/`--host`/`--profile` flags every
//! workspace command shares, and [`connect`], which picks the workspace with the SDK precedence
//! (explicit flag > environment > the target's bundle host and profile) through
//! [`crate::runner::connect`].

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::{Exit, OutputFormat};
use crate::databricks::Workspace;
use crate::databricks::auth::{Environment, ProcessEnvironment};
use crate::git::fs::load_dir;
use crate::model::diag::{self, Diagnostic};
use crate::model::project::{self, Project, ProjectSpace, ProjectTarget, SpaceSource};
use crate::model::settings::{self, Settings};
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::semantic::{Difference, differences};
use crate::model::space::{self, SerializedSpace, SpaceFile};
use crate::model::template::{self, Variables};
use crate::runner::live::{self, Unresolved};

/// Flags that pick the workspace: a target of the repository, or an explicit host/profile.
#[derive(Debug, Clone, ClapArgs)]
pub struct ConnectionArgs {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The repository's target whose workspace, profile and variables to use (default: the
    /// default target, when the repository has one).
    #[arg(long)]
    pub target: Option<String>,
    /// Workspace URL (wins over DATABRICKS_HOST and the target's host).
    #[arg(long)]
    pub host: Option<String>,
    /// Profile of ~/.databrickscfg (wins over DATABRICKS_CONFIG_PROFILE and the target's profile).
    #[arg(long)]
    pub profile: Option<String>,
}

/// A configuration problem the user fixes (exit 3), as opposed to an operational failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// The repository's project and the chosen target.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The repository's files (empty when there is no repository).
    pub repo: RepoSnapshot,
    pub project: Project,
    pub target: ProjectTarget,
    /// Whether a repository (bundle or settings file) was found.
    pub has_repo: bool,
}

/// Reads the repository named by `--repo` and picks `--target`. Without a repository (or
/// without a default target) and without `--target`, an empty target stands in, so the
/// workspace comes from the flags, the environment and the profile alone.
pub fn scope(connection: &ConnectionArgs) -> anyhow::Result<Scope> {
    let root = &connection.repo;
    let has_repo = ["databricks.yml", "databricks.yaml", settings::FILE_NAME]
        .iter()
        .any(|f| root.join(f).is_file());
    if !has_repo {
        if connection.target.is_some() {
            return Err(Invalid(format!(
                "--target needs a repository: no databricks.yml or {} in {}; pass --repo",
                settings::FILE_NAME,
                root.display()
            ))
            .into());
        }
        return Ok(Scope {
            repo: RepoSnapshot::new(),
            project: empty_project(),
            target: empty_target(),
            has_repo,
        });
    }
    let repo = load_dir(root)?;
    let project = match project::discover(&repo) {
        Ok((project, _warnings)) => project,
        Err(diags) => return Err(Invalid(render_diags(&diags)).into()),
    };
    let target = match project.target(connection.target.as_deref()) {
        Ok(target) => target.clone(),
        Err(project::TargetError::NoDefault { .. }) if connection.target.is_none() => {
            empty_target()
        }
        Err(e) => return Err(Invalid(e.to_string()).into()),
    };
    Ok(Scope {
        repo,
        project,
        target,
        has_repo,
    })
}

fn empty_project() -> Project {
    Project {
        settings: Settings::default(),
        settings_file: None,
        bundle: None,
        spaces: BTreeMap::new(),
        targets: BTreeMap::new(),
        default_target: None,
    }
}

fn empty_target() -> ProjectTarget {
    ProjectTarget {
        name: "(none)".into(),
        host: None,
        profile: None,
        warehouse_id: None,
        mode: None,
        deploy_mode: Default::default(),
        variables: Variables::new(),
    }
}

/// The process environment with `--host`/`--profile` standing in for `DATABRICKS_HOST` and
/// `DATABRICKS_CONFIG_PROFILE`, so explicit flags win over both the environment and the target.
struct FlagEnvironment {
    host: Option<String>,
    profile: Option<String>,
}

impl Environment for FlagEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        let flag = match name {
            "DATABRICKS_HOST" => self.host.clone(),
            "DATABRICKS_CONFIG_PROFILE" => self.profile.clone(),
            _ => None,
        };
        flag.or_else(|| ProcessEnvironment.var(name))
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        ProcessEnvironment.read_file(path)
    }
}

/// Connects to the workspace of the scope's target; `warehouse_id` (a flag) wins over the
/// target's warehouse.
pub fn connect(
    connection: &ConnectionArgs,
    scope: &Scope,
    warehouse_id: Option<String>,
) -> anyhow::Result<Workspace> {
    let mut target = scope.target.clone();
    if connection.host.is_some() || connection.profile.is_some() {
        target.host = None;
        target.profile = connection.profile.clone();
    }
    if warehouse_id.is_some() {
        target.warehouse_id = warehouse_id;
    }
    let env = FlagEnvironment {
        host: connection.host.clone(),
        profile: connection.profile.clone(),
    };
    crate::runner::connect::connect(&scope.project, &target, &env)
}

/// `genie-gitops spaces`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    pub command: SpacesCommand,
}

/// What to do with spaces.
#[derive(Debug, Subcommand)]
pub enum SpacesCommand {
    /// List the Genie spaces you can see, sorted by title.
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Write a live space as a canonical space file (templates of the repository's file kept).
    Export {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// A space of the repository (its live id is looked up) or a 32-hex live space id.
        #[arg(long)]
        space: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Compare live spaces with the repository's files, semantically; exit 2 when they differ.
    Diff {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The repository space to compare (default: every space).
        #[arg(long)]
        space: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

/// One row of `spaces list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceRow {
    pub space_id: String,
    pub title: String,
    pub warehouse_id: String,
    pub description: String,
}

/// Runs `spaces …`; configuration problems (bad repository, unknown space or target, a
/// space that matches no live one) exit 3.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let outcome = match args.command {
        SpacesCommand::List { connection, output } => list(&connection, output).await,
        SpacesCommand::Export {
            connection,
            space,
            out,
            output,
        } => export(&connection, &space, &out, output).await,
        SpacesCommand::Diff {
            connection,
            space,
            output,
        } => diff(&connection, space.as_deref(), output).await,
    };
    match outcome {
        Err(e)
            if e.downcast_ref::<Invalid>().is_some()
                || e.downcast_ref::<Unresolved>().is_some() =>
        {
            eprintln!("error: {e:#}");
            Ok(Exit::InvalidConfig)
        }
        other => other,
    }
}

async fn list(connection: &ConnectionArgs, output: OutputFormat) -> anyhow::Result<Exit> {
    let scope = scope(connection)?;
    let workspace = connect(connection, &scope, None)?;
    let spaces = workspace.genie.list_spaces().await?;
    let mut rows: Vec<SpaceRow> = spaces
        .into_iter()
        .map(|s| SpaceRow {
            space_id: s.space_id,
            title: s.title.unwrap_or_default(),
            warehouse_id: s.warehouse_id.unwrap_or_default(),
            description: s.description.unwrap_or_default(),
        })
        .collect();
    rows.sort_by(|a, b| (&a.title, &a.space_id).cmp(&(&b.title, &b.space_id)));
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let text = render_spaces(&rows, output, tty)?;
    stdout.lock().write_all(text.as_bytes())?;
    Ok(Exit::Ok)
}

// --- export ----------------------------------------------------------------------------------

/// What `spaces export` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub space_id: String,
    /// How the live space was found (`id`, `settings`, `bundle_state`, `title`).
    pub resolved_by: String,
    /// One sentence saying how.
    pub resolution: String,
    pub file: String,
    /// Whether templates were restored against the repository's existing file.
    pub templated: bool,
}

async fn export(
    connection: &ConnectionArgs,
    space: &str,
    out: &Path,
    output: OutputFormat,
) -> anyhow::Result<Exit> {
    let scope = scope(connection)?;
    let by_id = space::ids::is_valid_id(space);
    let repo_space = if by_id {
        None
    } else {
        Some(pick_space(&scope.project, space)?)
    };
    let workspace = connect(connection, &scope, None)?;
    let (space_id, resolved_by, resolution, original) = if let Some(repo_space) = repo_space {
        let title = resolved_title(repo_space, &scope.target)?;
        let found = live::resolve(
            &workspace.genie,
            repo_space,
            &scope.target.name,
            title.as_deref(),
            &connection.repo,
        )
        .await?;
        let original = match &repo_space.source {
            SpaceSource::File(path) => scope.repo.get(path).map(String::from),
            SpaceSource::Inline { .. } => None,
        };
        let how = found.resolution.describe(&found.space_id);
        let label = found.resolution.label().to_string();
        (found.space_id, label, how, original)
    } else {
        let original = std::fs::read_to_string(out).ok();
        let how = format!("live space {space} given by id");
        (space.to_string(), "id".to_string(), how, original)
    };
    let live = read_live(&workspace, &space_id).await?;
    let file_name = out.display().to_string();
    let (text, templated) = export_text(
        &file_name,
        live,
        original.as_deref(),
        &scope.target.variables,
    )?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(out, text).with_context(|| format!("cannot write {file_name}"))?;
    let exported = Exported {
        space_id,
        resolved_by,
        resolution,
        file: file_name,
        templated,
    };
    let summary = match output {
        OutputFormat::Json => serde_json::to_string_pretty(&exported)? + "\n",
        OutputFormat::Text => format!(
            "exported {} to {}{}\n",
            exported.resolution,
            exported.file,
            if templated { " (templates kept)" } else { "" }
        ),
    };
    std::io::stdout().lock().write_all(summary.as_bytes())?;
    Ok(Exit::Ok)
}

/// The live space as a canonical file. With the repository's `original` file (templated), the
/// file keeps its form (bare or wrapper) and its `${…}` templates wherever the live values
/// still equal the resolved ones; returns whether that happened.
pub fn export_text(
    file: &str,
    live: SerializedSpace,
    original: Option<&str>,
    vars: &Variables,
) -> anyhow::Result<(String, bool)> {
    let Some(original) = original else {
        return Ok((SpaceFile::bare(live).to_canonical_string(), false));
    };
    let invalid = |what: &str, e: template::TemplateError| {
        Invalid(format!(
            "{file}: {what}: {e}; define the variable for this target"
        ))
    };
    let resolved =
        template::resolve(original, vars).map_err(|e| invalid("resolving the existing file", e))?;
    let resolved_file = space::parse(file, &resolved).map_err(|d| Invalid(render_diags(&d)))?;
    let canonical_original =
        space::canonicalize(file, original).map_err(|d| Invalid(render_diags(&d)))?;
    let edited = SpaceFile {
        space: live,
        wrapper: resolved_file.file.wrapper,
    }
    .to_canonical_string();
    let restored = template::restore(&canonical_original, &edited, vars)
        .map_err(|e| invalid("restoring templates", e))?;
    Ok((restored, true))
}

// --- diff ------------------------------------------------------------------------------------

/// One space compared with its live copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpaceDrift {
    pub space: String,
    pub target: String,
    pub space_id: String,
    pub resolved_by: String,
    pub resolution: String,
    pub differences: Vec<Difference>,
}

async fn diff(
    connection: &ConnectionArgs,
    name: Option<&str>,
    output: OutputFormat,
) -> anyhow::Result<Exit> {
    let scope = scope(connection)?;
    if !scope.has_repo {
        return Err(Invalid(format!(
            "no repository in {}: no databricks.yml or {}; pass --repo",
            connection.repo.display(),
            settings::FILE_NAME
        ))
        .into());
    }
    let spaces: Vec<&ProjectSpace> = match name {
        Some(name) => vec![pick_space(&scope.project, name)?],
        None => scope.project.spaces.values().collect(),
    };
    if spaces.is_empty() {
        return Err(Invalid("the repository declares no Genie space".into()).into());
    }
    let workspace = connect(connection, &scope, None)?;
    let mut drifts = Vec::new();
    for space in spaces {
        drifts.push(drift(connection, &scope, &workspace, space).await?);
    }
    let text = match output {
        OutputFormat::Json => serde_json::to_string_pretty(&drifts)? + "\n",
        OutputFormat::Text => render_drifts(&drifts),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    let differ = drifts.iter().any(|d| !d.differences.is_empty());
    Ok(if differ { Exit::Regression } else { Exit::Ok })
}

async fn drift(
    connection: &ConnectionArgs,
    scope: &Scope,
    workspace: &Workspace,
    space: &ProjectSpace,
) -> anyhow::Result<SpaceDrift> {
    let repo_model = repo_space_model(&scope.repo, space, &scope.target.variables)?;
    let title = resolved_title(space, &scope.target)?;
    let found = live::resolve(
        &workspace.genie,
        space,
        &scope.target.name,
        title.as_deref(),
        &connection.repo,
    )
    .await?;
    let live = read_live(workspace, &found.space_id).await?;
    Ok(SpaceDrift {
        space: space.name.clone(),
        target: scope.target.name.clone(),
        resolution: found.resolution.describe(&found.space_id),
        resolved_by: found.resolution.label().to_string(),
        space_id: found.space_id,
        differences: differences(&repo_model, &live),
    })
}

/// The readable drift report: one block per space, one entry per difference.
pub fn render_drifts(drifts: &[SpaceDrift]) -> String {
    let mut out = String::new();
    for d in drifts {
        let head = format!(
            "space `{}` (target {}) vs {}",
            d.space, d.target, d.resolution
        );
        if d.differences.is_empty() {
            out.push_str(&format!("{head}: no semantic difference\n"));
            continue;
        }
        let n = d.differences.len();
        let plural = if n == 1 { "" } else { "s" };
        out.push_str(&format!("{head}: {n} difference{plural}\n"));
        for diff in &d.differences {
            out.push_str(&format!("  {}\n", diff.pointer));
            out.push_str(&format!("    repo: {}\n", shown(diff.repo.as_ref())));
            out.push_str(&format!("    live: {}\n", shown(diff.live.as_ref())));
        }
    }
    out
}

/// A value on one line, at most 100 characters.
fn shown(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(absent)".into();
    };
    let text = value.to_string();
    if text.chars().count() <= 100 {
        return text;
    }
    text.chars().take(99).collect::<String>() + "…"
}

// --- shared ----------------------------------------------------------------------------------

/// Diagnostics, sorted, one per line (`file:line:col: error: …` + hint).
fn render_diags(diags: &[Diagnostic]) -> String {
    let mut diags = diags.to_vec();
    diag::sort(&mut diags);
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn pick_space<'a>(project: &'a Project, name: &str) -> anyhow::Result<&'a ProjectSpace> {
    project.space(name).ok_or_else(|| {
        let known: Vec<&str> = project.spaces.keys().map(String::as_str).collect();
        let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
        Invalid(format!(
            "unknown space `{name}` (neither a space of the repository nor a 32-hex space id); known spaces: {known}"
        ))
        .into()
    })
}

fn resolved_title(space: &ProjectSpace, target: &ProjectTarget) -> anyhow::Result<Option<String>> {
    space
        .title
        .as_deref()
        .map(|t| template::resolve(t, &target.variables))
        .transpose()
        .map_err(|e| {
            Invalid(format!(
                "space `{}` title: {e} (target `{}`); define the variable for this target",
                space.name, target.name
            ))
            .into()
        })
}

/// The repository's space with the target's templates resolved.
fn repo_space_model(
    repo: &RepoSnapshot,
    space: &ProjectSpace,
    vars: &Variables,
) -> anyhow::Result<SerializedSpace> {
    let (file, api_text) = match &space.source {
        SpaceSource::File(path) => {
            let text = repo
                .get(path)
                .ok_or_else(|| Invalid(format!("space file `{path}` not found")))?;
            let parsed = space::parse(path, text).map_err(|d| Invalid(render_diags(&d)))?;
            (path.clone(), parsed.file.space.to_api_string())
        }
        SpaceSource::Inline { declared_in, json } => {
            let model: SerializedSpace = serde_json::from_value(json.clone())
                .map_err(|e| Invalid(format!("{declared_in}: inline serialized_space: {e}")))?;
            (declared_in.clone(), model.to_api_string())
        }
    };
    let resolved = template::resolve(&api_text, vars)
        .map_err(|e| Invalid(format!("{file}: {e}; define the variable for this target")))?;
    serde_json::from_str(&resolved)
        .map_err(|e| Invalid(format!("{file} after template resolution: {e}")).into())
}

/// The live space's configuration (`include_serialized_space`).
async fn read_live(workspace: &Workspace, space_id: &str) -> anyhow::Result<SerializedSpace> {
    let live = workspace
        .genie
        .get_space(space_id, true)
        .await
        .with_context(|| format!("reading the live space {space_id}"))?;
    let text = live.serialized_space.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "the workspace returned no configuration for space {space_id}; exporting needs CAN EDIT on the space"
        )
    })?;
    let parsed = space::parse(&format!("live space {space_id}"), &text)
        .map_err(|d| anyhow::anyhow!("{}", render_diags(&d)))?;
    Ok(parsed.file.space)
}

/// Renders the space list.
pub fn render_spaces(rows: &[SpaceRow], output: OutputFormat, tty: bool) -> anyhow::Result<String> {
    if output == OutputFormat::Json {
        return Ok(serde_json::to_string_pretty(rows)? + "\n");
    }
    let header = ["SPACE ID", "TITLE", "WAREHOUSE", "DESCRIPTION"]
        .map(str::to_string)
        .to_vec();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.space_id.clone(),
                r.title.clone(),
                r.warehouse_id.clone(),
                one_line(&r.description),
            ]
        })
        .collect();
    Ok(render_table(&header, &cells, tty))
}

/// A text table: padded columns under a header on a terminal, tab-separated otherwise.
pub fn render_table(header: &[String], rows: &[Vec<String>], tty: bool) -> String {
    let mut out = String::new();
    if !tty {
        for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
            out.push_str(
                &row.iter()
                    .map(|c| one_line(c).replace('\t', " "))
                    .collect::<Vec<_>>()
                    .join("\t"),
            );
            out.push('\n');
        }
        return out;
    }
    let width = |i: usize| {
        std::iter::once(header)
            .chain(rows.iter().map(Vec::as_slice))
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count().min(60))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| {
                let shown: String = one_line(cell).chars().take(*w).collect();
                format!("{shown:<w$}")
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SpaceRow> {
        vec![
            SpaceRow {
                space_id: "a1".into(),
                title: "Bookings".into(),
                warehouse_id: "wh".into(),
                description: "Hotel\nbookings".into(),
            },
            SpaceRow {
                space_id: "b2".into(),
                title: "Revenue".into(),
                warehouse_id: "wh".into(),
                description: String::new(),
            },
        ]
    }

    #[test]
    fn the_space_list_renders_as_a_terminal_table() {
        insta::assert_snapshot!(
            render_spaces(&rows(), OutputFormat::Text, true).unwrap_or_default()
        );
    }

    #[test]
    fn the_space_list_renders_as_tab_separated_values_when_piped() {
        insta::assert_snapshot!(
            render_spaces(&rows(), OutputFormat::Text, false).unwrap_or_default()
        );
    }
}
