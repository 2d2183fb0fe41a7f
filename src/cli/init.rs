//! `genie-gitops init [--repo PATH] [--force]`: scaffolds `.genie-gitops.yml` and the three
//! workflows (pull request, nightly, deploy) into a user's repository.
//!
//! The workflows run one job per space (a matrix over the spaces the repository declares),
//! with least-privilege `permissions:`, one concurrency group per space for everything that
//! writes, and OIDC to Databricks. Existing files are kept unless `--force` is given. With no
//! space declared yet, only the settings file is written and the command says what to add.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args as ClapArgs;

use super::Exit;
use crate::git::fs::load_dir;
use crate::model::project::{self, Project, SpaceSource};
use crate::model::settings;

/// Scaffold the settings file and the GitHub workflows into a repository.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository to set up.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,

    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Where the workflows go.
const WORKFLOW_DIR: &str = ".github/workflows";

const SETTINGS_TEMPLATE: &str = include_str!("../../templates/.genie-gitops.yml");
const PR_TEMPLATE: &str = include_str!("../../templates/genie-gitops-pr.yml");
const NIGHTLY_TEMPLATE: &str = include_str!("../../templates/genie-gitops-nightly.yml");
const DEPLOY_TEMPLATE: &str = include_str!("../../templates/genie-gitops-deploy.yml");

/// One file `init` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldFile {
    /// Path relative to the repository root.
    pub path: String,
    /// Content.
    pub text: String,
}

/// What the scaffold is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldInput {
    /// Space names, sorted.
    pub spaces: Vec<String>,
    /// Files whose change should trigger the pull request and deploy workflows, sorted.
    pub paths: Vec<String>,
    /// The branch pull requests merge into.
    pub base_branch: String,
    /// The bot branch prefix.
    pub branch_prefix: String,
    /// The action's version tag.
    pub version: String,
}

impl ScaffoldInput {
    /// Reads spaces and watched paths from a discovered project.
    pub fn from_project(project: &Project, base_branch: &str) -> Self {
        let mut paths: BTreeSet<String> = BTreeSet::new();
        paths.insert(settings::FILE_NAME.to_owned());
        paths.insert(project.settings.bundle.clone());
        paths.insert("benchmarks/**".to_owned());
        for space in project.spaces.values() {
            match &space.source {
                SpaceSource::File(path) => paths.insert(path.clone()),
                SpaceSource::Inline { declared_in, .. } => paths.insert(declared_in.clone()),
            };
            paths.extend(space.benchmarks.iter().cloned());
            let files = &space.files;
            paths.insert(files.tables.clone());
            paths.insert(format!("{}/**", files.metric_views.trim_end_matches('/')));
            paths.insert(format!("{}/**", files.functions.trim_end_matches('/')));
            paths.insert(files.table_properties.clone());
        }
        // A path already watched through a `dir/**` pattern adds nothing to the trigger list.
        let globs: Vec<String> = paths
            .iter()
            .filter_map(|p| p.strip_suffix("**").map(str::to_owned))
            .collect();
        let paths = paths
            .into_iter()
            .filter(|p| p.ends_with("**") || !globs.iter().any(|dir| p.starts_with(dir.as_str())))
            .collect();
        Self {
            spaces: project.spaces.keys().cloned().collect(),
            paths,
            base_branch: base_branch.to_owned(),
            branch_prefix: project.settings.github.branch_prefix.clone(),
            version: format!("v{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The files `init` writes for `input`: the settings file, and the workflows when there is at
/// least one space.
pub fn scaffold(input: &ScaffoldInput) -> Vec<ScaffoldFile> {
    let mut files = vec![ScaffoldFile {
        path: settings::FILE_NAME.to_owned(),
        text: SETTINGS_TEMPLATE.to_owned(),
    }];
    if input.spaces.is_empty() {
        return files;
    }
    let spaces = format!(
        "[{}]",
        input
            .spaces
            .iter()
            .map(|s| yaml_string(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let paths: String = input
        .paths
        .iter()
        .map(|p| format!("      - {}\n", yaml_string(p)))
        .collect();
    let fill = |template: &str| {
        template
            .replace("{{SPACES}}", &spaces)
            .replace("{{PATHS}}\n", &paths)
            .replace("{{BASE_BRANCH}}", &input.base_branch)
            .replace("{{BRANCH_PREFIX}}", &input.branch_prefix)
            .replace("{{VERSION}}", &input.version)
    };
    for (name, template) in [
        ("genie-gitops-pr.yml", PR_TEMPLATE),
        ("genie-gitops-nightly.yml", NIGHTLY_TEMPLATE),
        ("genie-gitops-deploy.yml", DEPLOY_TEMPLATE),
    ] {
        files.push(ScaffoldFile {
            path: format!("{WORKFLOW_DIR}/{name}"),
            text: fill(template),
        });
    }
    files
}

/// A YAML scalar: plain when safe, double-quoted otherwise.
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !s.starts_with(['-', '.']);
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Created,
    Overwritten,
    Kept,
}

pub async fn run(args: Args) -> Result<Exit> {
    let root = args.repo.as_path();
    let snapshot = load_dir(root)?;
    let project = if snapshot.contains(settings::FILE_NAME) || snapshot.contains("databricks.yml") {
        match project::discover(&snapshot) {
            Ok((project, _warnings)) => Some(project),
            Err(diagnostics) => {
                for d in &diagnostics {
                    eprintln!("{d}");
                }
                eprintln!("fix these first (`genie-gitops validate`), then run init again");
                return Ok(Exit::InvalidConfig);
            }
        }
    } else {
        None
    };
    let base = base_branch(root);
    let input = match &project {
        Some(p) => ScaffoldInput::from_project(p, &base),
        None => ScaffoldInput {
            spaces: Vec::new(),
            paths: Vec::new(),
            base_branch: base,
            branch_prefix: settings::Settings::default().github.branch_prefix,
            version: format!("v{}", env!("CARGO_PKG_VERSION")),
        },
    };
    let mut results = Vec::new();
    for file in scaffold(&input) {
        let written = write(root, &file, args.force)?;
        results.push((file.path, written));
    }
    write!(
        std::io::stdout().lock(),
        "{}",
        render_report(&results, &input)
    )?;
    Ok(Exit::Ok)
}

/// What `init` prints: one line per file, then the spaces and the next steps.
fn render_report(results: &[(String, Written)], input: &ScaffoldInput) -> String {
    let mut out = String::new();
    for (path, written) in results {
        out.push_str(&match written {
            Written::Created => format!("created     {path}\n"),
            Written::Overwritten => format!("overwritten {path}\n"),
            Written::Kept => format!("kept        {path} (it exists; --force overwrites it)\n"),
        });
    }
    out.push_str(&next_steps(input));
    out.push('\n');
    out
}

/// The closing advice.
fn next_steps(input: &ScaffoldInput) -> String {
    if input.spaces.is_empty() {
        return "no Genie space found: declare one under resources.genie_spaces in databricks.yml \
                (or under spaces: in .genie-gitops.yml), then run `genie-gitops init --force` \
                to write the workflows"
            .to_owned();
    }
    format!(
        "spaces: {}\nnext: set the repository variables DATABRICKS_HOST and DATABRICKS_CLIENT_ID \
         (a service principal federated with this repository), enable \"Allow GitHub Actions to \
         create and approve pull requests\", and see docs/github-action.md for a GitHub App token",
        input.spaces.join(", ")
    )
}

fn write(root: &Path, file: &ScaffoldFile, force: bool) -> Result<Written> {
    let target = crate::git::fs::safe_join(root, &file.path)?;
    let exists = target.exists();
    if exists && !force {
        return Ok(Written::Kept);
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&target, &file.text)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(if exists {
        Written::Overwritten
    } else {
        Written::Created
    })
}

/// The branch checked out in `root`, else `main`.
fn base_branch(root: &Path) -> String {
    git2::Repository::discover(root)
        .ok()
        .and_then(|repo| {
            repo.head()
                .ok()
                .and_then(|h| h.shorthand().ok().map(str::to_owned))
        })
        .filter(|b| b != "HEAD" && !b.starts_with("genie-gitops/"))
        .unwrap_or_else(|| "main".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanderbricks() -> Option<ScaffoldInput> {
        let root = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/wanderbricks"
        ));
        let snapshot = load_dir(root).ok()?;
        let (project, _) = project::discover(&snapshot).ok()?;
        let mut input = ScaffoldInput::from_project(&project, "main");
        input.version = "v1.2.3".into();
        Some(input)
    }

    #[test]
    fn init_scaffolds_the_settings_and_three_workflows_for_the_repositorys_spaces() {
        let input = wanderbricks().expect("the wanderbricks fixture is a valid project");
        let files = scaffold(&input);
        let rendered: String = files
            .iter()
            .map(|f| format!("=== {} ===\n{}\n", f.path, f.text))
            .collect();
        insta::assert_snapshot!(rendered);
    }

    #[test]
    fn init_reports_each_file_and_what_to_do_next() {
        let input = wanderbricks().expect("fixture");
        let results = vec![
            (".genie-gitops.yml".to_owned(), Written::Kept),
            (
                ".github/workflows/genie-gitops-pr.yml".to_owned(),
                Written::Created,
            ),
            (
                ".github/workflows/genie-gitops-nightly.yml".to_owned(),
                Written::Overwritten,
            ),
        ];
        insta::assert_snapshot!(render_report(&results, &input));
        let mut empty = input.clone();
        empty.spaces.clear();
        assert!(render_report(&[], &empty).contains("no Genie space found"));
    }

    #[test]
    fn the_scaffolded_settings_file_is_valid() {
        assert!(settings::parse(settings::FILE_NAME, SETTINGS_TEMPLATE).is_ok());
    }

    #[test]
    fn every_scaffolded_workflow_is_yaml_with_least_privilege_and_per_space_groups() {
        let mut input = wanderbricks().expect("fixture");
        input.spaces.push("odd name".into());
        for file in scaffold(&input).iter().skip(1) {
            let doc: serde_json::Value =
                serde_saphyr::from_str(&file.text).unwrap_or_else(|e| panic!("{}: {e}", file.path));
            let perms = doc["permissions"].as_object().expect("permissions block");
            assert!(
                perms.values().all(|v| v == "read" || v == "write"),
                "{}",
                file.path
            );
            assert!(!perms.contains_key("actions") && !perms.contains_key("packages"));
            let job = doc["jobs"]
                .as_object()
                .and_then(|j| j.values().next())
                .unwrap();
            let group = job["concurrency"]["group"].as_str().unwrap();
            assert!(group.contains("${{ matrix.space }}"), "{}", file.path);
            let spaces = job["strategy"]["matrix"]["space"].as_array().unwrap();
            assert!(spaces.iter().any(|s| s == "odd name"), "{}", file.path);
        }
    }

    #[test]
    fn without_spaces_only_the_settings_file_is_written() {
        let input = ScaffoldInput {
            spaces: vec![],
            paths: vec![],
            base_branch: "main".into(),
            branch_prefix: "genie-gitops/".into(),
            version: "v0".into(),
        };
        let files = scaffold(&input);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, ".genie-gitops.yml");
    }

    #[test]
    fn existing_files_are_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let file = ScaffoldFile {
            path: ".github/workflows/x.yml".into(),
            text: "new\n".into(),
        };
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(dir.path().join(&file.path), "mine\n").unwrap();
        assert_eq!(write(dir.path(), &file, false).unwrap(), Written::Kept);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&file.path)).unwrap(),
            "mine\n"
        );
        assert_eq!(
            write(dir.path(), &file, true).unwrap(),
            Written::Overwritten
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&file.path)).unwrap(),
            "new\n"
        );
    }
}
