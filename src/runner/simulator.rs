//! The built-in simulator as a run's workspace (`--simulator`, `demo`, `bench`): started in
//! process with the repository's spaces, durable files and data, plus the environment that
//! points the workspace client at it.

use std::path::Path;

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::databricks::auth::MapEnvironment;
use crate::git::fs::load_dir;
use crate::model::project::Project;
use crate::model::snapshot::RepoSnapshot;
use crate::sim::data::default_as_of;
use crate::sim::server::{Settings as SimSettings, SimHandle, spawn};
use crate::sim::workspace::{SimWorkspace, resolve_repo};

/// The seed of simulator runs: fixed, so two runs of the same repository agree.
pub const SIMULATOR_SEED: u64 = 42;

/// Starts the in-process simulator for the repository at `repo` (its `target`, else the
/// default one) and returns it with the environment that points the workspace client at it.
/// Dropping the handle stops the simulator.
pub async fn start(
    repo: &Path,
    target: Option<&str>,
    project: &Project,
) -> anyhow::Result<(SimHandle, MapEnvironment)> {
    let snapshot =
        load_dir(repo).with_context(|| format!("cannot read the repository {}", repo.display()))?;
    start_snapshot(&snapshot, target, project)
        .await
        .with_context(|| {
            format!(
                "cannot load the repository {} into the simulator",
                repo.display()
            )
        })
}

/// Starts the in-process simulator loaded with the files of `snapshot` (e.g. a commit's tree),
/// as [`start`] does for a directory.
pub async fn start_snapshot(
    snapshot: &RepoSnapshot,
    target: Option<&str>,
    project: &Project,
) -> anyhow::Result<(SimHandle, MapEnvironment)> {
    let as_of = match &project.settings.evaluation.as_of {
        Some(date) => chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .with_context(|| format!("`evaluation.as_of` `{date}` is not a YYYY-MM-DD date"))?,
        None => default_as_of(),
    };
    let repo = resolve_repo(snapshot, target)?;
    let workspace = SimWorkspace::from_repo(repo, SIMULATOR_SEED, as_of)?;
    let handle = spawn(workspace.into_sim_config(SimSettings::default(), 0)).await?;
    let env = environment(&handle);
    Ok((handle, env))
}

/// The environment that points the workspace client at a running simulator.
pub fn environment(handle: &SimHandle) -> MapEnvironment {
    let mut env = MapEnvironment::default();
    env.vars
        .insert("DATABRICKS_HOST".into(), handle.base_url().to_owned());
    env.vars.insert(
        "DATABRICKS_TOKEN".into(),
        handle.token().expose_secret().to_owned(),
    );
    env.vars
        .insert("DATABRICKS_WAREHOUSE_ID".into(), handle.warehouse_id());
    env
}

/// The simulator has no per-workspace question quota: ask as fast as it answers.
pub fn unthrottle(project: &mut Project) {
    let limits = &mut project.settings.genie;
    limits.questions_per_minute = limits.questions_per_minute.max(6_000);
    limits.concurrency = limits.concurrency.max(4);
}
