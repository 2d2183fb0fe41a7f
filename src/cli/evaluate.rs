//! `genie-gitops evaluate`: asks a space its benchmark questions and judges every answer
//! strictly. Writes `results.json` (schema: docs/results-schema.md), `failures.json`,
//! `report.md` and `junit.xml` into `--out`, prints a summary (or the report as JSON) on
//! stdout. `--dry-run` prints the plan and makes no call. Exit codes: 0 passed, 2 below the
//! threshold / a P0 failing / a regression against `--baseline`, 1 operational error,
//! 3 invalid configuration.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};

use crate::databricks::auth::ProcessEnvironment;
use crate::eval::results::{self, QuestionResult, RunResults};
use crate::eval::scope::Scope;
use crate::git::fs::load_dir;
use crate::model::settings::EvalEngine;
use crate::report::{self, Report, junit, markdown};
use crate::runner::connect::connect;
use crate::runner::evaluate::{Against, Options, Plan, prepare, run as run_evaluation};
use crate::runner::live::Unresolved;
use crate::runner::simulator;

/// Which space to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgainstArg {
    /// The deployed space.
    Live,
    /// A temporary space created from the repository's file, trashed afterwards.
    File,
}

/// How to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// A fresh conversation per question.
    Conversation,
    /// Databricks' eval-runs API.
    Native,
}

/// Evaluate a space against its benchmark questions.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The space to evaluate (required when the repository has several).
    #[arg(long)]
    pub space: Option<String>,
    /// The target (default: the default target).
    #[arg(long)]
    pub target: Option<String>,
    /// full | p0 | held_out | train | ids:ID,ID | objects:NAME,NAME
    #[arg(long, default_value = "full")]
    pub scope: String,
    /// `live`: the deployed space; `file`: a temporary space from the repository's file.
    #[arg(long, value_enum, default_value_t = AgainstArg::Live)]
    pub against: AgainstArg,
    /// Times each question is asked (default: the settings' evaluation.repeat).
    #[arg(long)]
    pub repeat: Option<u32>,
    /// A previous results.json to compare with (deltas, newly failing/passing, McNemar).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// `conversation` or `native` (default: the settings' evaluation.engine).
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
    /// Where results.json, failures.json, report.md and junit.xml go.
    #[arg(long, default_value = "genie-gitops-results")]
    pub out: PathBuf,
    /// `text`: a summary; `json`: the report as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Print the plan (questions, scope, expected Genie calls) and make no call.
    #[arg(long)]
    pub dry_run: bool,
    /// Evaluate against the built-in simulator (loaded with this repository) instead of a
    /// workspace: no Databricks account needed. The simulator is a stand-in for Genie, not Genie.
    #[arg(long)]
    pub simulator: bool,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let scope: Scope = match args.scope.parse() {
        Ok(scope) => scope,
        Err(e) => return invalid(&format!("--scope: {e}")),
    };
    let repo = load_dir(&args.repo)?;
    let options = Options {
        space: args.space.clone(),
        target: args.target.clone(),
        scope,
        against: match args.against {
            AgainstArg::Live => Against::Live,
            AgainstArg::File => Against::File,
        },
        engine: args.engine.map(|e| match e {
            EngineArg::Conversation => EvalEngine::Conversation,
            EngineArg::Native => EvalEngine::Native,
        }),
        repeat: args.repeat,
    };
    let mut prepared = match prepare(&repo, &options) {
        Ok(prepared) => prepared,
        Err(e) => return invalid(&e.to_string()),
    };
    let baseline = match &args.baseline {
        Some(path) => match read_results(path) {
            Ok(b) => Some(b),
            Err(e) => return invalid(&format!("{e:#}")),
        },
        None => None,
    };
    if args.dry_run {
        print_plan(&prepared.plan(), args.output)?;
        return Ok(Exit::Ok);
    }
    // Held for the whole run: dropping it stops the simulator.
    let mut _simulator = None;
    let workspace = if args.simulator {
        let (handle, env) =
            simulator::start(&args.repo, args.target.as_deref(), &prepared.project).await?;
        eprintln!(
            "simulator: {} (a stand-in for Genie, seeded {})",
            handle.base_url(),
            simulator::SIMULATOR_SEED
        );
        _simulator = Some(handle);
        simulator::unthrottle(&mut prepared.project);
        connect(&prepared.project, &prepared.target, &env)?
    } else {
        connect(&prepared.project, &prepared.target, &ProcessEnvironment)?
    };
    let mut announce = |q: &QuestionResult| {
        tracing::debug!(id = %q.id, outcome = ?q.outcome, "graded");
    };
    let results = match run_evaluation(&prepared, &workspace, &args.repo, &mut announce).await {
        Ok(results) => results,
        Err(e) if e.downcast_ref::<Unresolved>().is_some() => return invalid(&format!("{e:#}")),
        Err(e) => return Err(e),
    };
    let report = report::build(
        &results,
        &prepared.project.settings.thresholds,
        baseline.as_ref(),
    );
    write_outputs(&args.out, &results, &report)?;
    print_report(&report, args.output, &args.out)?;
    Ok(if report.gate.passed {
        Exit::Ok
    } else {
        Exit::Regression
    })
}

fn invalid(message: &str) -> anyhow::Result<Exit> {
    eprintln!("error: {message}");
    Ok(Exit::InvalidConfig)
}

fn read_results(path: &Path) -> anyhow::Result<RunResults> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--baseline: cannot read {}", path.display()))?;
    results::parse(&text).with_context(|| format!("--baseline {}", path.display()))
}

fn write_outputs(out: &Path, results: &RunResults, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let failures: Vec<&QuestionResult> = results
        .questions
        .iter()
        .filter(|q| !q.outcome.is_pass())
        .collect();
    let failures = serde_json::json!({
        "schema_version": results::SCHEMA_VERSION,
        "failures": failures,
    });
    let files = [
        (
            "results.json",
            serde_json::to_string_pretty(results)? + "\n",
        ),
        (
            "failures.json",
            serde_json::to_string_pretty(&failures)? + "\n",
        ),
        ("report.md", markdown::render(report)),
        ("junit.xml", junit::render(report, results)),
    ];
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn print_plan(plan: &Plan, format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(plan)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "Plan: evaluate space `{}` on target `{}` against {} with the {} engine, scope {}, repeat {}.",
        plan.space,
        plan.target,
        match plan.against {
            Against::Live => "the live space",
            Against::File => "a temporary space from the repository's file",
        },
        plan.engine,
        plan.scope,
        plan.repeat
    )?;
    writeln!(
        out,
        "Calls: {} Genie question(s), {} native eval run(s), {} ground-truth statement(s), {} temporary space(s). Nothing was called (dry run).",
        plan.genie_questions, plan.eval_runs, plan.ground_truth_statements, plan.temporary_spaces
    )?;
    writeln!(out, "Questions ({}):", plan.questions.len())?;
    for q in &plan.questions {
        writeln!(
            out,
            "  {} [{} {}] {}",
            q.id, q.priority, q.split, q.question
        )?;
    }
    Ok(())
}

fn print_report(report: &Report, format: OutputFormat, out_dir: &Path) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(report)?)?;
        return Ok(());
    }
    let a = &report.accuracy;
    let verdict = if report.gate.passed {
        "PASS".to_string()
    } else {
        format!("FAIL: {}", report.gate.failures.join("; "))
    };
    writeln!(out, "{verdict}")?;
    writeln!(
        out,
        "accuracy {:.1}% ({}/{}, 95% CI {:.1}–{:.1}%), {} not evaluable; space {} ({})",
        a.rate * 100.0,
        a.correct,
        a.total,
        a.ci95.low * 100.0,
        a.ci95.high * 100.0,
        report.counts.not_evaluable,
        report.run.space_id,
        report.run.resolved_by
    )?;
    for q in report.questions.iter().filter(|q| !q.outcome.is_pass()) {
        writeln!(
            out,
            "  {} {:?} {} {}",
            q.id,
            q.outcome,
            q.cause.as_deref().unwrap_or("-"),
            q.reasons.join(",")
        )?;
    }
    writeln!(out, "results in {}", out_dir.display())?;
    Ok(())
}
