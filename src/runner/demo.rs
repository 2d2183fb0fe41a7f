//! The demo (`genie-gitops demo`): the whole nightly loop on one machine, with no workspace and
//! no GitHub account. It writes the Wanderbricks example repository (embedded in the binary, so
//! an installed binary needs no checkout) into a fresh git repository whose `origin` is a local
//! bare repository, starts the built-in simulator loaded with it and `LocalGitHub` (the
//! stand-in for GitHub) reading that bare repository, runs [`super::nightly`] against both,
//! and gathers where everything landed: the bot branch, its commits, the pull request and its
//! body (written to a file), and accuracy before → after.
//!
//! Everything is kept in one directory the caller names (or a new one under the system's
//! temporary directory), so the repository, the branch and the pull request body can be
//! looked at afterwards.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use super::action::ActionContext;
use super::nightly::{self, NightlyReport, OptimizeStep, Options, ProposalStep, Request};
use super::simulator;
use crate::eval::stats::Accuracy;
use crate::git::remote::{PushResult, Remote};
use crate::git::repo::{Author, GitRepo};
use crate::github::env::ActionEnv;
use crate::github::types::WriteMode;
use crate::model::snapshot::RepoSnapshot;
use crate::report::optimize::HeldOut;
use crate::sim::github::LocalGitHub;

/// The example repository: `fixtures/wanderbricks/`, file by file.
pub const FIXTURE: &[(&str, &str)] = &[
    (
        ".genie-gitops.yml",
        include_str!("../../fixtures/wanderbricks/.genie-gitops.yml"),
    ),
    (
        "README.md",
        include_str!("../../fixtures/wanderbricks/README.md"),
    ),
    (
        "benchmarks/golden-queries.yaml",
        include_str!("../../fixtures/wanderbricks/benchmarks/golden-queries.yaml"),
    ),
    (
        "databricks.yml",
        include_str!("../../fixtures/wanderbricks/databricks.yml"),
    ),
    (
        "genie/uc/functions/get_property_occupancy.sql",
        include_str!("../../fixtures/wanderbricks/genie/uc/functions/get_property_occupancy.sql"),
    ),
    (
        "genie/uc/functions/get_revenue_by_destination.sql",
        include_str!(
            "../../fixtures/wanderbricks/genie/uc/functions/get_revenue_by_destination.sql"
        ),
    ),
    (
        "genie/uc/functions/get_top_hosts.sql",
        include_str!("../../fixtures/wanderbricks/genie/uc/functions/get_top_hosts.sql"),
    ),
    (
        "genie/uc/metric_views/booking_metrics.sql",
        include_str!("../../fixtures/wanderbricks/genie/uc/metric_views/booking_metrics.sql"),
    ),
    (
        "genie/uc/metric_views/review_metrics.sql",
        include_str!("../../fixtures/wanderbricks/genie/uc/metric_views/review_metrics.sql"),
    ),
    (
        "genie/uc/tables.yml",
        include_str!("../../fixtures/wanderbricks/genie/uc/tables.yml"),
    ),
    (
        "genie/wanderbricks.geniespace.json",
        include_str!("../../fixtures/wanderbricks/genie/wanderbricks.geniespace.json"),
    ),
];

/// What the demo adds to the fixture's settings: the simulator is also the dev target, so the
/// Unity Catalog levers (1–3) are measured there and rolled back.
pub const SETTINGS_ADDITION: &str = "\n# Added by `genie-gitops demo`: measure the Unity Catalog levers (1–3) on the dev target,\n# here the simulator's workspace, rolling each candidate back after measuring.\ndev_target: dev\n";

/// The stand-in repository's owner and name.
pub const GITHUB_REPOSITORY: &str = "demo/wanderbricks";

/// The bot's login on the stand-in.
pub const BOT_LOGIN: &str = "genie-gitops[bot]";

/// The stand-in's token for the bot (it guards nothing: the stand-in lives in this process).
const BOT_TOKEN: &str = "demo-bot-token";

/// Who made the repository's first commit.
const OWNER_NAME: &str = "Demo User";
const OWNER_EMAIL: &str = "demo@example.com";

/// Where the demo lives and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The directory holding everything below.
    pub dir: PathBuf,
    /// The example repository (a git checkout on `main`).
    pub repository: PathBuf,
    /// Its `origin`: a bare repository holding `main` and the bot branch.
    pub remote: PathBuf,
    /// The bot branch.
    pub branch: String,
    /// The bot branch's commits, oldest first.
    pub commits: Vec<DemoCommit>,
    /// The bot's pull request on the stand-in, if one was opened.
    pub pull_request: Option<DemoPullRequest>,
    /// The live space's accuracy (every benchmark question).
    pub live: Option<Accuracy>,
    /// Train accuracy at the optimizer's baseline and at its end.
    pub train: Option<(Accuracy, Accuracy)>,
    /// Held-out accuracy at the baseline and on the final space.
    pub held_out: Option<HeldOut>,
    /// The nightly run itself.
    pub nightly: NightlyReport,
}

/// One commit of the bot branch.
#[derive(Debug, Clone, Serialize)]
pub struct DemoCommit {
    pub sha: String,
    pub summary: String,
}

/// The pull request on the stand-in.
#[derive(Debug, Clone, Serialize)]
pub struct DemoPullRequest {
    pub number: u64,
    /// Its address on the stand-in (served only while the demo runs).
    pub url: String,
    pub title: String,
    /// The body as GitHub holds it, written out.
    pub body_file: PathBuf,
}

/// Runs the demo in `dir` (a new or empty directory; `None`: a new temporary one, kept).
pub async fn run(dir: Option<&Path>) -> anyhow::Result<DemoReport> {
    let dir = demo_dir(dir)?;
    let repository = dir.join("repo");
    let remote = dir.join("origin.git");
    write_repository(&repository, &remote)?;

    let repo = crate::git::fs::load_dir(&repository)?;
    let (project, _) = crate::model::project::discover(&repo).map_err(|d| {
        let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the embedded example does not load:\n{}", lines.join("\n"))
    })?;
    let (sim, databricks) = simulator::start(&repository, None, &project).await?;
    tracing::info!(
        "simulator at {} (a stand-in for Genie, seeded {})",
        sim.base_url(),
        simulator::SIMULATOR_SEED
    );
    let github = LocalGitHub::start("demo", "wanderbricks", BOT_TOKEN, BOT_LOGIN)
        .await
        .context("cannot start the local stand-in for GitHub")?;
    github.use_repository(remote.clone());
    tracing::info!("GitHub stand-in at {}", github.url);

    let ctx =
        ActionContext::from_env(github_env(&github), Some(BOT_LOGIN), WriteMode::Apply).await?;
    let options = Options {
        simulator: true,
        ..Options::default()
    };
    let outcome = nightly::run(&Request {
        repo_dir: &repository,
        options: &options,
        databricks: &databricks,
        ctx: &ctx,
    })
    .await;
    sim.shutdown().await;
    let night = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
    gather(dir, repository, remote, &github, night)
}

/// `dir` made sure to exist and be empty, or a new temporary directory that outlives the demo.
fn demo_dir(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let Some(dir) = dir else {
        let temp = tempfile::Builder::new()
            .prefix("genie-gitops-demo-")
            .tempdir()
            .context("cannot create a temporary directory for the demo")?;
        return Ok(temp.keep());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    if entries.next().is_some() {
        bail!(
            "--keep {}: the directory is not empty; name a new or empty directory",
            dir.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

/// The example as one commit on `main` in `repository`, pushed to the bare `remote` (its `origin`).
fn write_repository(repository: &Path, remote: &Path) -> anyhow::Result<()> {
    let mut files = RepoSnapshot::new();
    for (path, text) in FIXTURE {
        files.insert(path, *text);
    }
    if let Some(settings) = files.get(".genie-gitops.yml") {
        let extended = format!("{settings}{SETTINGS_ADDITION}");
        files.insert(".genie-gitops.yml", extended);
    }
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    git2::Repository::init_opts(repository, &init)
        .with_context(|| format!("cannot create a git repository in {}", repository.display()))?;
    init.bare(true);
    let bare = git2::Repository::init_opts(remote, &init)
        .with_context(|| format!("cannot create a bare repository in {}", remote.display()))?;
    drop(bare);
    crate::git::fs::write_changes(repository, &RepoSnapshot::new(), &files)?;

    let git = GitRepo::open(repository)?;
    let owner = Author {
        name: OWNER_NAME.into(),
        email: OWNER_EMAIL.into(),
    };
    let head = commit_all(repository, &files, &owner)?;
    let origin = remote.to_string_lossy().into_owned();
    git2::Repository::open(repository)?
        .remote("origin", &origin)
        .context("cannot add the `origin` remote")?;
    match Remote::anonymous(origin).push_with_lease(git.git_dir(), head, "main", None)? {
        PushResult::Pushed => Ok(()),
        PushResult::Rejected { reason } => bail!("cannot push `main` to the demo remote: {reason}"),
    }
}

/// Commits `files` as the first commit of `main` and checks them out in the index.
fn commit_all(
    repository: &Path,
    files: &RepoSnapshot,
    owner: &Author,
) -> anyhow::Result<git2::Oid> {
    let repo = git2::Repository::open(repository)?;
    let mut index = repo.index()?;
    for path in files.paths() {
        index.add_path(Path::new(path))?;
    }
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let me = git2::Signature::now(&owner.name, &owner.email)?;
    repo.commit(
        Some("HEAD"),
        &me,
        &me,
        "The Wanderbricks Genie space, as it is",
        &tree,
        &[],
    )
    .context("cannot make the demo repository's first commit")
}

/// The Actions-like environment that points genie-gitops at the stand-in. Nothing is read from
/// this process's environment, so a demo inside GitHub Actions writes no outputs there.
fn github_env(github: &LocalGitHub) -> ActionEnv {
    let vars = [
        ("GITHUB_API_URL", github.url.as_str()),
        ("GITHUB_SERVER_URL", github.url.as_str()),
        ("GITHUB_REPOSITORY", GITHUB_REPOSITORY),
        ("GENIE_GITOPS_GITHUB_TOKEN", BOT_TOKEN),
    ];
    ActionEnv::from_vars(vars.map(|(k, v)| (k.to_owned(), v.to_owned())))
}

fn gather(
    dir: PathBuf,
    repository: PathBuf,
    remote: PathBuf,
    github: &LocalGitHub,
    night: NightlyReport,
) -> anyhow::Result<DemoReport> {
    let space = night
        .spaces
        .first()
        .context("the nightly run reported no space")?;
    let branch = match &space.proposal {
        ProposalStep::Published(p) => p.branch.clone(),
        _ => format!("genie-gitops/{}", space.space),
    };
    let commits = branch_commits(&remote, &night.base, &branch)?;
    let pull_request = match github.pulls().into_iter().find(|p| p.head == branch) {
        Some(pr) => {
            let body_file = dir.join(format!("pull-request-{}.md", pr.number));
            std::fs::write(&body_file, &pr.body)
                .with_context(|| format!("cannot write {}", body_file.display()))?;
            Some(DemoPullRequest {
                number: pr.number,
                url: format!("{}/{GITHUB_REPOSITORY}/pull/{}", github.url, pr.number),
                title: pr.title,
                body_file,
            })
        }
        None => None,
    };
    let (train, held_out) = match &space.optimize {
        OptimizeStep::Ran { report } => (
            Some((report.train.before, report.train.after)),
            Some(report.held_out.clone()),
        ),
        OptimizeStep::Planned { .. } => (None, None),
    };
    Ok(DemoReport {
        live: space.live.as_ref().map(|l| l.accuracy),
        dir,
        repository,
        remote,
        branch,
        commits,
        pull_request,
        train,
        held_out,
        nightly: night,
    })
}

/// The commits on `branch` that `base` does not have, oldest first.
fn branch_commits(remote: &Path, base: &str, branch: &str) -> anyhow::Result<Vec<DemoCommit>> {
    let repo = git2::Repository::open_bare(remote)?;
    let Ok(tip) = repo.refname_to_id(&format!("refs/heads/{branch}")) else {
        return Ok(Vec::new());
    };
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    if let Ok(base) = repo.refname_to_id(&format!("refs/heads/{base}")) {
        walk.hide(base)?;
    }
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    let mut commits = Vec::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        commits.push(DemoCommit {
            sha: commit.id().to_string(),
            summary: commit
                .summary()
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    Ok(commits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_example_is_exactly_the_fixture_directory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/wanderbricks");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(&root).unwrap();
                    on_disk.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<String> = FIXTURE.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(
            embedded, on_disk,
            "add the new fixture file to runner::demo::FIXTURE"
        );
        for (path, text) in FIXTURE {
            assert_eq!(
                std::fs::read_to_string(root.join(path)).unwrap(),
                *text,
                "{path}"
            );
        }
    }

    #[test]
    fn a_directory_with_files_in_it_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "x").unwrap();
        let error = demo_dir(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("not empty"), "{error}");
    }
}
