//! `genie-gitops patch apply`: apply a JSON list of patches to the repository, print the diff,
//! and (without `--dry-run`) write the changed files.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};

use super::Exit;
use crate::git::fs::{load_dir, write_changes};
use crate::model::diag::Diagnostic;
use crate::patch::{self, DEFAULT_MAX_OBJECTS, Patch, PatchError};

/// Work with patch files.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with patches.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Apply a JSON list of patches: print the unified diff, then write the files.
    Apply(ApplyArgs),
}

/// Arguments of `patch apply`.
#[derive(Debug, ClapArgs)]
pub struct ApplyArgs {
    /// The JSON file holding a list of patches (see docs/patches.md).
    #[arg(long)]
    pub patches: PathBuf,
    /// The repository to edit.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Print the diff only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The most distinct objects the set may change.
    #[arg(long, default_value_t = DEFAULT_MAX_OBJECTS)]
    pub max_objects: usize,
}

/// Runs `patch <action>`.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    match args.action {
        Action::Apply(apply) => run_apply(apply),
    }
}

fn run_apply(args: ApplyArgs) -> anyhow::Result<Exit> {
    let name = args.patches.display().to_string();
    let text = std::fs::read_to_string(&args.patches)
        .with_context(|| format!("cannot read the patch file {name}"))?;
    let patches = match parse_patches(&name, &text) {
        Ok(patches) => patches,
        Err(diagnostic) => {
            eprintln!("{diagnostic}");
            return Ok(Exit::InvalidConfig);
        }
    };
    let before = load_dir(&args.repo)
        .with_context(|| format!("cannot read the repository {}", args.repo.display()))?;
    let after = match patch::apply_all(&before, &patches, args.max_objects) {
        Ok(after) => after,
        Err(error) => {
            let exit = exit_for(&error);
            eprintln!("{}", refusal(&name, &error));
            return Ok(exit);
        }
    };
    print!("{}", patch::render_diff(&before, &after));
    for patch in patch::sort_set(&patches) {
        eprintln!("{}", patch.summary());
    }
    if args.dry_run {
        eprintln!("dry run: nothing written");
        return Ok(Exit::Ok);
    }
    let written = write_changes(&args.repo, &before, &after)?;
    eprintln!("wrote {} file(s)", written.len());
    Ok(Exit::Ok)
}

/// Reads a patch file, or says where and why it is not a list of patches.
pub fn parse_patches(file: &str, text: &str) -> Result<Vec<Patch>, Diagnostic> {
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the diagnostic carries the position itself.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_owned();
        Diagnostic::error(file, format!("not a valid patch list: {message}"))
            .at(e.line(), e.column())
            .hint("a patch file is a JSON array of patches; see docs/patches.md for every type")
    })
}

/// Guard failures are operational (the repository moved on: exit 1); conflicts and the
/// blast-radius limit are problems of the patch file itself (exit 3).
fn exit_for(error: &PatchError) -> Exit {
    match error {
        PatchError::Refused { .. } => Exit::Operational,
        PatchError::Conflict { .. } | PatchError::BlastRadius { .. } => Exit::InvalidConfig,
    }
}

fn refusal(file: &str, error: &PatchError) -> String {
    let hint = match error {
        PatchError::Refused { .. } => {
            "nothing was applied; regenerate the patches against the current files"
        }
        PatchError::Conflict { .. } => "nothing was applied; keep only one of the two patches",
        PatchError::BlastRadius { .. } => {
            "nothing was applied; split the set, or raise --max-objects"
        }
    };
    Diagnostic::error(file, error.to_string())
        .hint(hint)
        .to_string()
}
