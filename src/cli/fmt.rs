//! `genie-gitops fmt [PATH] [--check]`: rewrites the repository's space files canonically (the
//! API's sort order, stable key order, 2-space indent, trailing newline), as `terraform fmt` does
//! for HCL. YAML and SQL files are left as their authors wrote them: genie-gitops edits those in
//! place without reformatting. `--check` writes nothing, lists the files that would change and
//! exits 1 when there are any.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::Exit;
use crate::git::fs::{load_dir, write_changes};
use crate::model::check::check_repo;
use crate::model::project::SpaceSource;
use crate::model::space;

/// Rewrite the repository's space files in canonical form.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The repository (a directory holding databricks.yml or .genie-gitops.yml).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Write nothing; list the files that would change and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let before = load_dir(&args.path)?;
    let check = check_repo(&before);
    let Some(project) = check.project else {
        for d in &check.diagnostics {
            eprintln!("{d}");
        }
        return Ok(Exit::InvalidConfig);
    };
    let mut after = before.clone();
    let mut unreadable = false;
    for space_def in project.spaces.values() {
        let SpaceSource::File(path) = &space_def.source else {
            continue;
        };
        let Some(text) = before.get(path) else {
            continue;
        };
        match space::canonicalize(path, text) {
            Ok(canonical) => {
                after.insert(path, canonical);
            }
            Err(diags) => {
                unreadable = true;
                for d in diags {
                    eprintln!("{d}");
                }
            }
        }
    }
    let changed = before.changed_paths(&after);
    if args.check {
        for path in &changed {
            println!("{path}");
        }
    } else {
        write_changes(&args.path, &before, &after)
            .with_context(|| format!("cannot write into {}", args.path.display()))?;
        for path in &changed {
            println!("formatted {path}");
        }
    }
    Ok(if unreadable {
        Exit::InvalidConfig
    } else if args.check && !changed.is_empty() {
        Exit::Operational
    } else {
        Exit::Ok
    })
}
