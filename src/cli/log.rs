//! Logging to stderr. `GENIE_GITOPS_LOG` takes a `tracing` filter (`debug`,
//! `genie_gitops::databricks=trace`, ...); otherwise `-v`/`-q` pick the level.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter =
        EnvFilter::try_from_env("GENIE_GITOPS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal; CI logs and pipes get plain text (and NO_COLOR wins).
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
