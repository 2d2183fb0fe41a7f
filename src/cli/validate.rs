//! `genie-gitops validate [PATH]`: checks every file genie-gitops manages in a repository and
//! prints each problem as `file:line:col: level: message` with a hint. Exits 3 when any problem
//! is an error, 0 otherwise (warnings pass).

use std::io::Write;
use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::git::fs::load_dir;
use crate::model::check::{RepoCheck, check_repo};

/// Check the repository's Genie files and report every problem with its position.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// `text`: one problem per line; `json`: a JSON document with every problem.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let repo = load_dir(&args.path)?;
    let check = check_repo(&repo);
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Text => {
            for d in &check.diagnostics {
                writeln!(out, "{d}")?;
            }
        }
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "files": check.files,
                "errors": check.errors(),
                "warnings": check.warnings(),
                "diagnostics": check.diagnostics,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    eprintln!("{}", summary(&check));
    Ok(if check.errors() > 0 {
        Exit::InvalidConfig
    } else {
        Exit::Ok
    })
}

fn summary(check: &RepoCheck) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} in {}",
        plural(check.errors(), "error"),
        plural(check.warnings(), "warning"),
        plural(check.files.len(), "file")
    )
}
