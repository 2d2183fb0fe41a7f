//! `genie-gitops pr`: on a `pull_request` run, evaluate the pull request's head against its
//! base and tell the reviewers (a check run on the head, one sticky comment per space, the
//! step outputs `accuracy` and `regressions`, the job summary). Base and head come from the
//! event, else `--base`/`--head`, else `origin/main`..`HEAD`. Fork pull requests and
//! `pull_request_target` runs are skipped with a note in the job summary. `--dry-run` writes
//! nothing to GitHub and prints the report. Exit codes: 0 ok (or skipped, or nothing to
//! evaluate), 2 a regression or a score below the base's thresholds, 1 operational error,
//! 3 invalid configuration or files.

use std::io::Write;
use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::databricks::auth::ProcessEnvironment;
use crate::github::types::WriteMode;
use crate::runner::action::ActionContext;
use crate::runner::pr::{self, Options, PrError, PrRun, Verdict, WorkspaceSource};

/// Evaluate a pull request's head against its base, with a check run and a sticky comment.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml, in a git work tree).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Only this space (default: every space the pull request touches).
    #[arg(long)]
    pub space: Option<String>,
    /// The target whose workspace hosts the temporary spaces (default: the default target).
    #[arg(long)]
    pub target: Option<String>,
    /// The base revision, when the run is not for a `pull_request` event (default: origin/main).
    #[arg(long)]
    pub base: Option<String>,
    /// The head revision, when the run is not for a `pull_request` event (default: HEAD).
    #[arg(long)]
    pub head: Option<String>,
    /// Where the baseline notes are fetched from (default: the Actions repository, else origin).
    #[arg(long, env = crate::runner::action::REMOTE_VARIABLE)]
    pub remote: Option<String>,
    /// Evaluate on the built-in simulator, loaded with the base's files, instead of a
    /// workspace. The simulator is a stand-in for Genie, not Genie.
    #[arg(long)]
    pub simulator: bool,
    /// Write nothing to GitHub; print the report.
    #[arg(long)]
    pub dry_run: bool,
    /// `text`: the report as markdown; `json`: the outcome as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let ctx = ActionContext::from_process(WriteMode::from_dry_run(args.dry_run)).await?;
    let opts = Options {
        repo: args.repo,
        space: args.space,
        target: args.target,
        base: args.base,
        head: args.head,
        remote: args.remote,
    };
    let source = if args.simulator {
        WorkspaceSource::Simulator
    } else {
        WorkspaceSource::Environment(&ProcessEnvironment)
    };
    let outcome = match pr::run(&ctx, &opts, source).await {
        Ok(outcome) => outcome,
        Err(e) => {
            if let Some(PrError::InvalidConfig(message)) = e.downcast_ref::<PrError>() {
                eprintln!("error: {message}");
                return Ok(Exit::InvalidConfig);
            }
            return Err(e);
        }
    };
    print(&outcome, args.output, args.dry_run)?;
    Ok(match outcome.verdict() {
        Verdict::Ok => Exit::Ok,
        Verdict::Regression => Exit::Regression,
        Verdict::Invalid => Exit::InvalidConfig,
    })
}

fn print(outcome: &PrRun, format: OutputFormat, dry_run: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(outcome)?)?;
    } else {
        write!(out, "{}", outcome.summary())?;
    }
    if dry_run {
        eprintln!("dry run: no check run, comment or status was written to GitHub");
    }
    Ok(())
}
