//! `genie-gitops optimize`: the measured, lever-ordered improvement loop. Proposes metadata
//! fixes, measures each on a temporary space (levers 1–3 on the dev target, rolled back),
//! keeps only what measurably helps, commits each accepted lever on `genie-gitops/<space>`
//! and writes the lever-impact report (`optimize-report.md`, `optimize-report.json`) and the
//! checkpoint into `--out`. `--dry-run` prints the plan and makes no call and no write.
//! Exit codes: 0 target met (or paused by `--max-questions`), 2 below the target,
//! 1 operational error, 3 invalid configuration.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::databricks::auth::ProcessEnvironment;
use crate::git::fs::load_dir;
use crate::git::repo::Author;
use crate::report::optimize::{self as report, OptimizeReport, RunContext};
use crate::runner::connect::connect;
use crate::runner::optimize::{
    CheckpointFile, CommitTarget, Finish, Options, Plan, Prepared, Workspaces, commit_levers,
    prepare, run as run_optimizer,
};

/// Improve a space's metadata, measured, and commit each accepted lever on a branch.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The space to optimize (required when the repository has several).
    #[arg(long)]
    pub space: Option<String>,
    /// The target whose workspace is asked (default: the default target).
    #[arg(long)]
    pub target: Option<String>,
    /// Print the plan and make no call and no write.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue a stopped run from its checkpoint without re-asking answered questions.
    #[arg(long)]
    pub resume: bool,
    /// The checkpoint file (default: `<out>/checkpoint.json`).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Stop (checkpointed) after this many Genie questions in this invocation.
    #[arg(long)]
    pub max_questions: Option<usize>,
    /// Where the report and the checkpoint go (default: `<repo>/.genie-gitops`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The branch the accepted levers are committed on (default: `genie-gitops/<space>`).
    #[arg(long)]
    pub branch: Option<String>,
    /// Write the report but make no commit.
    #[arg(long)]
    pub no_commit: bool,
    /// `text`: the markdown report; `json`: the report as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let repo = load_dir(&args.repo)?;
    let options = Options {
        space: args.space.clone(),
        target: args.target.clone(),
    };
    let prepared = match prepare(&repo, &options) {
        Ok(prepared) => prepared,
        Err(e) => return invalid(&e.to_string()),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.repo.join(".genie-gitops"));
    let checkpoint = CheckpointFile(
        args.checkpoint
            .clone()
            .unwrap_or_else(|| out.join("checkpoint.json")),
    );
    let branch = args
        .branch
        .clone()
        .unwrap_or_else(|| format!("genie-gitops/{}", prepared.eval.space.name));
    if args.dry_run {
        print_plan(&prepared.plan(), &args, &branch, &checkpoint)?;
        return Ok(Exit::Ok);
    }
    let resume = if args.resume {
        match checkpoint.load() {
            Ok(state) => Some(state),
            Err(e) => return invalid(&format!("{e:#}")),
        }
    } else {
        None
    };
    let env = ProcessEnvironment;
    let main = connect(&prepared.eval.project, &prepared.eval.target, &env)?;
    let dev = match &prepared.dev_target {
        Some(t) if t.name != prepared.eval.target.name => {
            Some(connect(&prepared.eval.project, t, &env)?)
        }
        _ => None,
    };
    let workspaces = Workspaces {
        main: &main,
        dev: match (&prepared.dev_target, &dev) {
            (Some(_), Some(dev)) => Some(dev),
            (Some(_), None) => Some(&main),
            (None, _) => None,
        },
    };
    let finish = run_optimizer(
        &prepared,
        &workspaces,
        &checkpoint,
        resume,
        args.max_questions,
    )
    .await?;
    let summary = match finish {
        Finish::Paused { asked } => {
            eprintln!(
                "paused after {asked} Genie question(s) (--max-questions); the checkpoint is {}; continue with --resume",
                checkpoint.0.display()
            );
            return Ok(Exit::Ok);
        }
        Finish::Done(summary) => summary,
    };
    let report = report::build(&summary, &repo, &prepared.questions, context(&prepared));
    write_report(&out, &report)?;
    if args.no_commit {
        eprintln!("--no-commit: nothing committed");
    } else {
        let target = CommitTarget {
            repo_dir: &args.repo,
            branch: &branch,
            author: &Author::default(),
        };
        let commits = commit_levers(&target, &repo, &summary)?;
        for c in &commits {
            eprintln!(
                "committed lever {} on {branch}: {} ({})",
                c.lever,
                c.sha,
                c.files.join(", ")
            );
        }
    }
    print_report(&report, args.output)?;
    Ok(if report.target_met {
        Exit::Ok
    } else {
        Exit::Regression
    })
}

fn context(p: &Prepared) -> RunContext {
    RunContext {
        space: p.eval.space.name.clone(),
        target: p.eval.target.name.clone(),
        uc_measurement: p.uc.describe(),
        target_accuracy: p.settings.target_accuracy,
    }
}

fn invalid(message: &str) -> anyhow::Result<Exit> {
    eprintln!("error: {message}");
    Ok(Exit::InvalidConfig)
}

fn write_report(out: &Path, report: &OptimizeReport) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let files = [
        ("optimize-report.md", report::render_markdown(report)),
        (
            "optimize-report.json",
            serde_json::to_string_pretty(report)? + "\n",
        ),
    ];
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn print_report(report: &OptimizeReport, format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(report)?)?,
        OutputFormat::Text => write!(out, "{}", report::render_markdown(report))?,
    }
    Ok(())
}

fn print_plan(
    plan: &Plan,
    args: &Args,
    branch: &str,
    checkpoint: &CheckpointFile,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.output == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(plan)?)?;
        return Ok(());
    }
    let levers: Vec<String> = plan.levers.iter().map(u8::to_string).collect();
    writeln!(
        out,
        "Plan: optimize space `{}` ({}) on target `{}`.",
        plan.space, plan.space_file, plan.target
    )?;
    writeln!(
        out,
        "Questions: {} train, {} val, {} held_out; the baseline asks all {} once, held_out again on the final space only.",
        plan.train, plan.val, plan.held_out, plan.baseline_questions
    )?;
    writeln!(
        out,
        "Levers {} in order (1–5 before 6), target train accuracy {:.0}%, at most {} round(s), Genie-question budget {}.",
        levers.join(", "),
        plan.target_accuracy * 100.0,
        plan.max_rounds,
        plan.budget.map_or("none".to_string(), |b| b.to_string())
    )?;
    writeln!(out, "{}.", plan.uc_measurement)?;
    writeln!(
        out,
        "Each candidate is measured on a temporary space from its patched space file (always trashed); checkpoint {}{}.",
        checkpoint.0.display(),
        if args.resume { " (resumed)" } else { "" }
    )?;
    writeln!(
        out,
        "Accepted levers would be committed on `{branch}`{}. Nothing was called or written (dry run).",
        if args.no_commit {
            " (--no-commit: they will not)"
        } else {
            ""
        }
    )?;
    Ok(())
}
