//! `genie-gitops sim serve`: runs the local workspace simulator in the foreground until Ctrl-C.
//!
//! `--repo` loads a repository through [`crate::sim::workspace`]: its durable files (tables
//! YAML, metric views, functions) join the simulated Unity Catalog and its spaces are created,
//! templates resolved for `--target`, each on the simulator's warehouse; they are printed
//! (resource key → space id) on stdout with the host to point clients at. Without `--repo` the
//! bare Wanderbricks-lite workspace is served with no spaces. SQL runs on the simulator's engine
//! over data generated from `--seed` with "today" pinned to `--as-of`; questions are answered
//! by the simulator's NL-to-SQL engine.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use secrecy::SecretString;

use super::Exit;
use crate::sim::data::default_as_of;
use crate::sim::server::faults::Faults;
use crate::sim::server::serving::ChatScript;
use crate::sim::server::{Settings, spawn};
use crate::sim::workspace::SimWorkspace;

/// `sim` subcommands.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SimCommand {
    /// Serve the Databricks API subset on 127.0.0.1 (see docs/simulator-api.md).
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// A repository whose spaces and durable files (tables, metric views, functions) are created at start-up.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// The target whose variables resolve the repository's `${…}` templates (default: the project's default target).
    #[arg(long, requires = "repo")]
    target: Option<String>,
    /// The bearer token the API accepts.
    #[arg(
        long,
        env = "GENIE_GITOPS_SIM_TOKEN",
        default_value = "sim-token",
        hide_env_values = true
    )]
    token: String,
    /// Fault injection YAML (latency, rate limit, 5xx, failed messages; see fixtures/sim/faults.yaml).
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
    /// Scripted replies for /serving-endpoints/chat/completions (see fixtures/sim/chat-responses.yaml).
    #[arg(long, value_name = "FILE")]
    chat: Option<PathBuf>,
    /// Seeds ids, data and every fault decision: same seed, same answers.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The simulated "today" (YYYY-MM-DD) for relative dates; defaults to the dataset's end.
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// OAuth client id accepted by /oidc/v1/token.
    #[arg(long, default_value = "sim-client")]
    client_id: String,
    /// OAuth client secret accepted by /oidc/v1/token.
    #[arg(
        long,
        env = "GENIE_GITOPS_SIM_CLIENT_SECRET",
        default_value = "sim-secret",
        hide_env_values = true
    )]
    client_secret: String,
    /// Lifetime of issued OAuth tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime_secs: u64,
}

/// Runs a `sim` subcommand.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        SimCommand::Serve(serve_args) => serve(serve_args).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<Exit> {
    let faults = match &args.faults {
        Some(path) => Faults::from_file(path)?,
        None => Faults::default(),
    };
    let chat_script = args
        .chat
        .as_deref()
        .map(ChatScript::from_file)
        .transpose()?;
    let as_of = args.as_of.unwrap_or_else(default_as_of);
    let workspace = match &args.repo {
        Some(repo) => SimWorkspace::load(repo, args.target.as_deref(), args.seed, as_of)?,
        None => SimWorkspace::wanderbricks(args.seed, as_of)
            .context("cannot start the simulated workspace")?,
    };
    let settings = Settings {
        seed: args.seed,
        token: SecretString::from(args.token),
        oauth_client_id: args.client_id,
        oauth_client_secret: SecretString::from(args.client_secret),
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
        faults,
        chat_script,
        ..Settings::default()
    };
    let config = workspace.into_sim_config(settings, args.port);
    let handle = spawn(config).await?;
    println!("host: {}", handle.base_url());
    println!("warehouse_id: {}", handle.warehouse_id());
    for (key, id) in handle.spaces() {
        println!("space {key}: {id}");
    }
    tracing::info!(seed = args.seed, %as_of, "simulator ready; Ctrl-C stops it");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    handle.shutdown().await;
    Ok(Exit::Ok)
}
