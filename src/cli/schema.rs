//! `genie-gitops schema`: prints the JSON schema of `.genie-gitops.yml` on stdout, so editors can
//! validate and complete the settings file. The repository keeps a copy in
//! `schema/genie-gitops.schema.json`; a test fails when that copy is stale.

use std::io::Write;

use clap::Args as ClapArgs;

use super::Exit;
use crate::model::settings;

/// Print the JSON schema of the settings file (.genie-gitops.yml).
#[derive(Debug, ClapArgs)]
pub struct Args {}

/// Writes the schema to stdout.
pub async fn run(_args: Args) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    out.write_all(settings::json_schema().as_bytes())?;
    out.flush()?;
    Ok(Exit::Ok)
}
