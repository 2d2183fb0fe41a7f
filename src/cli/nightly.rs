//! `genie-gitops nightly`: the scheduled flow. Evaluates each live space, tracks regressions
//! against the last verified baseline and drift from the repository in a tracking issue, then
//! optimizes on temporary spaces and opens or updates the bot's pull request (one commit per
//! accepted lever, the lever-impact report as its body). `--dry-run` writes nothing anywhere:
//! it prints the plan. Exit codes: 0 ok, 2 a regression or drift was found, 1 operational
//! error, 3 invalid configuration.

use std::io::Write;
use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::databricks::auth::{Environment, ProcessEnvironment};
use crate::git::fs::load_dir;
use crate::github::types::WriteMode;
use crate::runner::action::ActionContext;
use crate::runner::nightly::{self, NightlyError, NightlyReport, Options, Request};
use crate::runner::simulator;

/// Evaluate the live spaces, track regressions and drift, propose measured fixes as a pull request.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml) in a git checkout.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Only this space (default: every space of the repository).
    #[arg(long)]
    pub space: Option<String>,
    /// The target whose workspace holds the live spaces (default: the default target).
    #[arg(long)]
    pub target: Option<String>,
    /// The branch proposals are merged into (default: the checkout's branch, else `main`).
    #[arg(long)]
    pub base: Option<String>,
    /// The git remote the bot branch is pushed to (default: the Actions repository, else `origin`).
    #[arg(long, env = "GENIE_GITOPS_REMOTE")]
    pub remote: Option<String>,
    /// Run against the built-in simulator (loaded with this repository) instead of a workspace.
    /// The simulator is a stand-in for Genie, not Genie.
    #[arg(long)]
    pub simulator: bool,
    /// Write nothing (GitHub, git push, Databricks): print what a run would do.
    #[arg(long)]
    pub dry_run: bool,
    /// The optimizer's Genie-question budget; it proposes what it accepted within it.
    #[arg(long)]
    pub max_questions: Option<usize>,
    /// `text`: a markdown summary; `json`: the run as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let mode = if args.dry_run {
        WriteMode::DryRun
    } else {
        WriteMode::Apply
    };
    let ctx = ActionContext::from_process(mode).await?;
    let options = Options {
        space: args.space.clone(),
        target: args.target.clone(),
        base: args.base.clone(),
        remote: args.remote.clone(),
        max_questions: args.max_questions,
        simulator: args.simulator,
    };
    // Held for the whole run: dropping it stops the simulator.
    let mut _simulator = None;
    let databricks: Box<dyn Environment> = if args.simulator {
        let repo = load_dir(&args.repo)?;
        let project = match crate::model::project::discover(&repo) {
            Ok((project, _)) => project,
            Err(diags) => {
                for d in diags {
                    eprintln!("{d}");
                }
                return Ok(Exit::InvalidConfig);
            }
        };
        let (handle, env) = simulator::start(&args.repo, args.target.as_deref(), &project).await?;
        eprintln!(
            "simulator: {} (a stand-in for Genie, seeded {})",
            handle.base_url(),
            simulator::SIMULATOR_SEED
        );
        _simulator = Some(handle);
        Box::new(env)
    } else {
        Box::new(ProcessEnvironment)
    };
    let request = Request {
        repo_dir: &args.repo,
        options: &options,
        databricks: databricks.as_ref(),
        ctx: &ctx,
    };
    let report = match nightly::run(&request).await {
        Ok(report) => report,
        Err(NightlyError::Files(diagnostics)) => {
            eprintln!("{diagnostics}");
            return Ok(Exit::InvalidConfig);
        }
        Err(NightlyError::Config(message)) => {
            eprintln!("error: {message}");
            return Ok(Exit::InvalidConfig);
        }
        Err(NightlyError::Operational(e)) => return Err(e),
    };
    print(&report, args.output)?;
    Ok(if report.needs_attention() {
        Exit::Regression
    } else {
        Exit::Ok
    })
}

fn print(report: &NightlyReport, format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(report)?)?,
        OutputFormat::Text => write!(out, "{}", nightly::render_markdown(report))?,
    }
    Ok(())
}
