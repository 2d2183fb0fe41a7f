//! `genie-gitops spaces …`: look at the workspace's Genie spaces. `list` is here; `export` and
//! `diff` need the canonical space writer and join this enum as new variants.
//!
//! Also home of [`ConnectionArgs`], the `--host`/`--profile` flags every workspace command
//! shares, and [`connect`], which resolves them with the environment and `~/.databrickscfg`.

use std::io::{IsTerminal, Write};

use clap::{Args as ClapArgs, Subcommand};
use serde::Serialize;

use super::{Exit, OutputFormat};
use crate::databricks::Workspace;
use crate::databricks::auth::{self, AuthSettings, ProcessEnvironment};
use crate::databricks::http::RetryPolicy;
use crate::databricks::limiter::{LimiterConfig, QuestionLimiter};

/// Flags that pick the workspace and the credential.
#[derive(Debug, Clone, ClapArgs)]
pub struct ConnectionArgs {
    /// Workspace URL (else DATABRICKS_HOST, else the profile's host).
    #[arg(long)]
    pub host: Option<String>,
    /// Profile of ~/.databrickscfg (else DATABRICKS_CONFIG_PROFILE, else the default profile).
    #[arg(long)]
    pub profile: Option<String>,
}

/// Connects to the workspace the flags, the environment and the profile name.
pub fn connect(
    connection: &ConnectionArgs,
    warehouse_id: Option<String>,
) -> anyhow::Result<Workspace> {
    let settings = AuthSettings {
        host: connection.host.clone(),
        profile: connection.profile.clone(),
        warehouse_id,
        ..AuthSettings::default()
    };
    let config = auth::resolve(&settings, &ProcessEnvironment)?;
    let limiter = QuestionLimiter::new(LimiterConfig::default());
    Ok(Workspace::connect(
        &config,
        RetryPolicy::default(),
        limiter,
    )?)
}

/// `genie-gitops spaces`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    pub command: SpacesCommand,
}

/// What to do with spaces.
#[derive(Debug, Subcommand)]
pub enum SpacesCommand {
    /// List the Genie spaces you can see, sorted by title.
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

/// One row of `spaces list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceRow {
    pub space_id: String,
    pub title: String,
    pub warehouse_id: String,
    pub description: String,
}

/// Runs `spaces …`.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        SpacesCommand::List { connection, output } => {
            let workspace = connect(&connection, None)?;
            let spaces = workspace.genie.list_spaces().await?;
            let mut rows: Vec<SpaceRow> = spaces
                .into_iter()
                .map(|s| SpaceRow {
                    space_id: s.space_id,
                    title: s.title.unwrap_or_default(),
                    warehouse_id: s.warehouse_id.unwrap_or_default(),
                    description: s.description.unwrap_or_default(),
                })
                .collect();
            rows.sort_by(|a, b| (&a.title, &a.space_id).cmp(&(&b.title, &b.space_id)));
            let stdout = std::io::stdout();
            let tty = stdout.is_terminal();
            let text = render_spaces(&rows, output, tty)?;
            stdout.lock().write_all(text.as_bytes())?;
            Ok(Exit::Ok)
        }
    }
}

/// Renders the space list.
pub fn render_spaces(rows: &[SpaceRow], output: OutputFormat, tty: bool) -> anyhow::Result<String> {
    if output == OutputFormat::Json {
        return Ok(serde_json::to_string_pretty(rows)? + "\n");
    }
    let header = ["SPACE ID", "TITLE", "WAREHOUSE", "DESCRIPTION"]
        .map(str::to_string)
        .to_vec();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.space_id.clone(),
                r.title.clone(),
                r.warehouse_id.clone(),
                one_line(&r.description),
            ]
        })
        .collect();
    Ok(render_table(&header, &cells, tty))
}

/// A text table: padded columns under a header on a terminal, tab-separated otherwise.
pub fn render_table(header: &[String], rows: &[Vec<String>], tty: bool) -> String {
    let mut out = String::new();
    if !tty {
        for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
            out.push_str(
                &row.iter()
                    .map(|c| one_line(c).replace('\t', " "))
                    .collect::<Vec<_>>()
                    .join("\t"),
            );
            out.push('\n');
        }
        return out;
    }
    let width = |i: usize| {
        std::iter::once(header)
            .chain(rows.iter().map(Vec::as_slice))
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count().min(60))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| {
                let shown: String = one_line(cell).chars().take(*w).collect();
                format!("{shown:<w$}")
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SpaceRow> {
        vec![
            SpaceRow {
                space_id: "a1".into(),
                title: "Bookings".into(),
                warehouse_id: "wh".into(),
                description: "Hotel\nbookings".into(),
            },
            SpaceRow {
                space_id: "b2".into(),
                title: "Revenue".into(),
                warehouse_id: "wh".into(),
                description: String::new(),
            },
        ]
    }

    #[test]
    fn the_space_list_renders_as_a_terminal_table() {
        insta::assert_snapshot!(
            render_spaces(&rows(), OutputFormat::Text, true).unwrap_or_default()
        );
    }

    #[test]
    fn the_space_list_renders_as_tab_separated_values_when_piped() {
        insta::assert_snapshot!(
            render_spaces(&rows(), OutputFormat::Text, false).unwrap_or_default()
        );
    }
}
