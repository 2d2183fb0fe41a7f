//! `genie-gitops deploy`: deploys exactly one commit of the repository (default `GITHUB_SHA`,
//! else `HEAD`) to a target after merge: plans desired vs live, no-ops when they match,
//! executes through the API or `databricks bundle deploy`, verifies the live space and records
//! its results as the baseline note. `--dry-run` prints the plan and writes nothing. Exit codes:
//! 0 deployed or already live, 1 operational error, 2 deployed but below the thresholds,
//! 3 invalid configuration. See docs/deploy.md.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::databricks::Workspace;
use crate::databricks::auth::ProcessEnvironment;
use crate::deploy::flow::{self, Invalid, Outcome, Prepared, Request, Status};
use crate::deploy::plan;
use crate::github::outputs::ActionOutputs;
use crate::github::types::WriteMode;
use crate::model::settings::DeployMode;
use crate::runner::action::ActionContext;
use crate::runner::connect::connect;
use crate::runner::simulator;
use crate::sim::server::SimHandle;

/// How the space is shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// PATCH the space through the REST API and run the UC DDL.
    Api,
    /// Run `databricks bundle deploy -t TARGET`, then the UC DDL.
    Bundle,
}

/// Deploy a merged commit to a target.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml, in a git checkout).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The space to deploy (required when the repository has several).
    #[arg(long)]
    pub space: Option<String>,
    /// The target (default: the default target).
    #[arg(long)]
    pub target: Option<String>,
    /// The commit to deploy (default: GITHUB_SHA, else HEAD). Its files are read from git, not
    /// from the work tree.
    #[arg(long)]
    pub sha: Option<String>,
    /// `api` or `bundle` (default: the target's `deploy_mode` setting, else `api`).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// The git remote the baseline note is pushed to (default: GENIE_GITOPS_REMOTE, the Actions
    /// repository, else `origin`).
    #[arg(long, env = "GENIE_GITOPS_REMOTE")]
    pub remote: Option<String>,
    /// The Databricks CLI used in bundle mode.
    #[arg(
        long,
        env = "GENIE_GITOPS_DATABRICKS_CLI",
        default_value = "databricks"
    )]
    pub databricks_cli: PathBuf,
    /// Deploy to the built-in simulator (loaded with this repository's work tree) instead of a
    /// workspace. The simulator is a stand-in for Genie, not Genie.
    #[arg(long)]
    pub simulator: bool,
    /// Print the plan and write nothing (workspace, git, GitHub).
    #[arg(long)]
    pub dry_run: bool,
    /// `text`: the plan and what happened; `json`: the outcome as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let mode = WriteMode::from_dry_run(args.dry_run);
    let ctx = ActionContext::from_process(mode).await?;
    let request = Request {
        repo: args.repo.clone(),
        space: args.space.clone(),
        target: args.target.clone(),
        sha: args.sha.clone(),
        mode: args.mode.map(|m| match m {
            ModeArg::Api => DeployMode::Api,
            ModeArg::Bundle => DeployMode::Bundle,
        }),
        remote: args.remote.clone(),
        databricks_cli: args.databricks_cli.clone(),
    };
    let outcome = deploy(&request, &ctx, args.simulator).await?;
    print(&outcome, args.output)?;
    let outputs = ActionOutputs {
        deployed: Some(outcome.deployed),
        accuracy: outcome.accuracy(),
        ..ActionOutputs::default()
    };
    ctx.finish(&outputs, Some(&flow::summary_markdown(&outcome)), None)?;
    Ok(exit_of(outcome.status))
}

/// Prepares, connects and runs the flow. A configuration problem or a workspace that cannot be
/// reached is an [`Outcome`] too, so it reaches the output, the job summary and GitHub.
async fn deploy(
    request: &Request,
    ctx: &ActionContext,
    use_simulator: bool,
) -> anyhow::Result<Outcome> {
    let sha = flow::requested_sha(request, ctx);
    let mut prepared = match flow::prepare(request, &sha) {
        Ok(prepared) => prepared,
        Err(e) if e.downcast_ref::<Invalid>().is_some() => {
            let outcome = Outcome::failure(request, &sha, Status::Invalid, format!("{e:#}"));
            return Ok(reported(ctx, outcome).await);
        }
        Err(e) => return Err(e),
    };
    if use_simulator {
        simulator::unthrottle(&mut prepared.eval.project);
    }
    // Held for the whole run: dropping it stops the simulator.
    let (_simulator, workspace) = match workspace(&prepared, &request.repo, use_simulator).await {
        Ok(connected) => connected,
        Err(e) => {
            let outcome = prepared.outcome(Status::Failed, format!("{e:#}"));
            return Ok(reported(ctx, outcome).await);
        }
    };
    Ok(flow::run(&prepared, &workspace, ctx).await)
}

/// `outcome` after telling GitHub about it.
async fn reported(ctx: &ActionContext, mut outcome: Outcome) -> Outcome {
    let warnings = flow::publish(ctx, &outcome).await;
    outcome.warnings.extend(warnings);
    outcome
}

/// The target's workspace, or the built-in simulator loaded with the repository's work tree.
async fn workspace(
    prepared: &Prepared,
    repo: &Path,
    use_simulator: bool,
) -> anyhow::Result<(Option<SimHandle>, Workspace)> {
    let (project, target) = (&prepared.eval.project, &prepared.eval.target);
    if !use_simulator {
        let ws = connect(project, target, &ProcessEnvironment)?;
        return Ok((None, ws));
    }
    let (handle, env) = simulator::start(repo, Some(&target.name), project).await?;
    eprintln!(
        "simulator: {} (a stand-in for Genie, seeded {})",
        handle.base_url(),
        simulator::SIMULATOR_SEED
    );
    let ws = connect(project, target, &env)?;
    Ok((Some(handle), ws))
}

/// The exit code of a status (design §8).
pub fn exit_of(status: Status) -> Exit {
    match status {
        Status::Deployed | Status::AlreadyLive | Status::DryRun => Exit::Ok,
        Status::BelowThreshold => Exit::Regression,
        Status::Failed => Exit::Operational,
        Status::Invalid => Exit::InvalidConfig,
    }
}

fn print(outcome: &Outcome, format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(outcome)?)?;
        return Ok(());
    }
    if let Some(plan) = &outcome.plan {
        write!(out, "{}", plan::render(plan))?;
    }
    if outcome.plan.as_ref().is_none_or(|p| !p.is_noop()) {
        writeln!(out, "{}", outcome.message)?;
    }
    if let Some(report) = &outcome.report {
        let a = &report.accuracy;
        writeln!(
            out,
            "post-deploy accuracy {:.1}% ({}/{}), gate {}",
            a.rate * 100.0,
            a.correct,
            a.total,
            if report.gate.passed {
                "passed"
            } else {
                "failed"
            }
        )?;
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
