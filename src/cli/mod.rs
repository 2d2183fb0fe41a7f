//! The command line: one file per subcommand. Each resolves its arguments, the environment and
//! the settings once, then calls the core and the adapters. Logs go to stderr, machine output to
//! stdout.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod demo;
mod deploy;
mod evaluate;
mod fmt;
mod init;
mod log;
mod nightly;
mod optimize;
mod patch;
mod pr;
mod schema;
mod sim;
mod spaces;
mod sql;
mod validate;

/// Process exit codes, as documented in the README (design §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked and nothing is below threshold.
    Ok = 0,
    /// An operational error: network, auth, I/O, a bug.
    Operational = 1,
    /// A regression or a score below threshold; also "would change" for `--check` style commands
    /// that say so in their help.
    Regression = 2,
    /// Invalid configuration or input files.
    InvalidConfig = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// How a command prints its result on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// For machines: one JSON document.
    Json,
}

/// Keep a Databricks AI/BI Genie space as code: evaluate, optimize, review and deploy it through git.
#[derive(Debug, Parser)]
#[command(name = "genie-gitops", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v debug, -vv trace). `GENIE_GITOPS_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the repository's Genie files and report every problem with its position.
    Validate(validate::Args),
    /// Rewrite the repository's space files in canonical form (`--check` to only list them).
    Fmt(fmt::Args),
    /// Print the JSON schema of the settings file (.genie-gitops.yml).
    Schema(schema::Args),
    /// Run the local workspace simulator.
    Sim(sim::Args),
    /// Apply typed patches to the repository's files.
    Patch(patch::Args),
    /// Evaluate a space against its benchmark questions, strictly, and explain every failure.
    Evaluate(evaluate::Args),
    /// Look at the workspace's Genie spaces.
    Spaces(spaces::Args),
    /// Run one read-only SQL statement on a warehouse and print the rows.
    Sql(sql::Args),
    /// Improve a space's metadata lever by lever, measured, and commit each accepted lever on a branch.
    Optimize(optimize::Args),
    /// Scaffold .genie-gitops.yml and the GitHub workflows into a repository.
    Init(init::Args),
    /// Evaluate a pull request's head against its base: a check run and one sticky comment per space.
    Pr(pr::Args),
    /// Deploy a merged commit: plan desired vs live, apply, verify, record the baseline.
    Deploy(deploy::Args),
    /// Evaluate the live spaces, track regressions and drift in an issue, and propose measured fixes as a pull request.
    Nightly(nightly::Args),
    /// Try the whole loop with no workspace and no GitHub account: the example repository, the simulator and a local stand-in for GitHub.
    Demo(demo::Args),
    /// Measure speed, Genie questions spent and CPU share against the performance targets.
    Bench(bench::Args),
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Operational.into();
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::Operational.into()
        }
    }
}

async fn run(command: Option<Command>) -> anyhow::Result<Exit> {
    let Some(command) = command else {
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(Exit::Ok);
    };
    match command {
        Command::Validate(args) => validate::run(args).await,
        Command::Fmt(args) => fmt::run(args).await,
        Command::Schema(args) => schema::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Patch(args) => patch::run(args).await,
        Command::Evaluate(args) => evaluate::run(args).await,
        Command::Spaces(args) => spaces::run(args).await,
        Command::Sql(args) => sql::run(args).await,
        Command::Init(args) => init::run(args).await,
        Command::Optimize(args) => optimize::run(args).await,
        Command::Pr(args) => pr::run(args).await,
        Command::Deploy(args) => deploy::run(args).await,
        Command::Nightly(args) => nightly::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}
