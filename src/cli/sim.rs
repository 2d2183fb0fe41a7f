//! `genie-gitops sim serve`: runs the local workspace simulator in the foreground until Ctrl-C.
//!
//! The spaces of `--repo` are created at start-up and printed (resource key → space id) on
//! stdout, with the host to point clients at. SQL runs on the simulator's engine over the
//! Wanderbricks-lite data generated from `--seed` with "today" pinned to `--as-of`. Until the NL
//! engine is wired in, questions get the scripted answerer's "no answer" text.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use secrecy::SecretString;

use super::Exit;
use crate::sim::data::default_as_of;
use crate::sim::engine::SqlEngine;
use crate::sim::server::answerer::Answerer;
use crate::sim::server::faults::Faults;
use crate::sim::server::serving::ChatScript;
use crate::sim::server::warehouse::Warehouse;
use crate::sim::server::{Settings, SimConfig, spawn};

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
    /// A repository whose databricks.yml `resources.genie_spaces` are created at start-up.
    #[arg(long)]
    repo: Option<PathBuf>,
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
    let engine = SqlEngine::wanderbricks(args.seed, as_of)
        .map_err(|e| anyhow::anyhow!("cannot start the SQL engine: {}", e.message))?;
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
    let config = SimConfig {
        settings,
        answerer: Answerer::Scripted(BTreeMap::new()),
        warehouse: Warehouse::Engine(Box::new(engine)),
        repo: args.repo,
        port: args.port,
    };
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
