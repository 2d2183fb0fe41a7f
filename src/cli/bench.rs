//! `genie-gitops bench [--short] [--output text|json]`: measures the tool against its
//! performance targets (`crate::bench`, explained in docs/performance.md) and prints a table or
//! one JSON document. Exit 0 when every judged target is met; 2 in full mode when one is
//! missed; 1 when a measurement fails. `--short` (CI) never fails on timing: a debug build on
//! a loaded machine says nothing about speed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::{Exit, OutputFormat};
use crate::bench::{self, Options};

/// `bench` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Small sizes and an optimize run capped at 24 questions: seconds, for CI.
    #[arg(long)]
    pub short: bool,
    /// The repository the optimize run starts from (default: this checkout's fixtures/wanderbricks).
    #[arg(long, value_name = "DIR")]
    pub fixture: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// Runs the bench.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let fixture = args.fixture.unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/wanderbricks"
        ))
    });
    if !fixture.join("databricks.yml").exists() {
        eprintln!(
            "error: {} is not the Wanderbricks fixture; pass --fixture DIR",
            fixture.display()
        );
        return Ok(Exit::InvalidConfig);
    }
    let options = Options {
        short: args.short,
        binary: std::env::current_exe()
            .context("cannot find this binary to serve the simulator")?,
        fixture,
    };
    let report = bench::run(&options).await?;
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Text => write!(out, "{}", report.render_text())?,
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
    }
    Ok(if report.missed() && !args.short {
        Exit::Regression
    } else {
        Exit::Ok
    })
}
