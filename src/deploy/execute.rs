//! Executing a [`DeployPlan`]: the Unity Catalog statements on the target's warehouse, one at a
//! time and stopping at the first refusal, then the space itself, either through the REST API
//! (`api` mode: one PATCH carrying the etag read with the live space, so a change made in the
//! meantime is refused rather than overwritten) or through `databricks bundle deploy -t TARGET`
//! (`bundle` mode: a child process with its arguments as separate argv entries and its output
//! captured).
//!
//! A space that does not exist yet is not created in `api` mode: a title that matches no space
//! is more often a renamed space than a new one, and creating a second space would split its
//! users. `bundle` mode's deployment state is what creates spaces (see `docs/deploy.md`).

use std::path::PathBuf;
use std::process::Stdio;

use crate::databricks::DatabricksError;
use crate::databricks::genie::GenieClient;
use crate::databricks::sql::{SqlClient, StatementOptions};
use crate::databricks::types::UpdateSpaceRequest;

use super::plan::{DeployPlan, DesiredSpace};

/// How many characters of the bundle command's output an error keeps (the end of it).
const OUTPUT_TAIL: usize = 4_000;

/// Why executing a plan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The warehouse refused a statement; the ones before it were applied.
    #[error(
        "Unity Catalog statement {index} of {total} failed ({applied} applied before it): `{statement}`: {source}"
    )]
    Statement {
        /// 1-based position of the failed statement.
        index: usize,
        /// Statements in the plan.
        total: usize,
        /// Statements applied before it.
        applied: usize,
        /// The statement.
        statement: String,
        /// The warehouse's answer.
        #[source]
        source: DatabricksError,
    },
    /// The live space changed after it was read; nothing was overwritten.
    #[error(
        "the live space {space_id} changed after it was read (its etag moved); nothing was overwritten: run the deploy again"
    )]
    Stale {
        /// The live space.
        space_id: String,
    },
    /// The workspace refused the space update.
    #[error("updating the live space {space_id} failed: {source}")]
    Update {
        /// The live space.
        space_id: String,
        /// The workspace's answer.
        #[source]
        source: DatabricksError,
    },
    /// The Databricks CLI could not be started.
    #[error(
        "cannot run `{program}`: {message}; install the Databricks CLI (bundle mode needs it on PATH) or deploy with --mode api"
    )]
    BundleStart {
        /// The program that was run.
        program: String,
        /// Why it could not start.
        message: String,
    },
    /// `databricks bundle deploy` exited unsuccessfully.
    #[error("`{command}` failed ({status}); its output ends with:\n{output}")]
    BundleFailed {
        /// The command line, for a person.
        command: String,
        /// The exit status.
        status: String,
        /// The end of its stdout and stderr.
        output: String,
    },
}

/// Runs `statements` in order on `warehouse`; stops at the first one the warehouse refuses.
/// Returns how many were applied.
pub async fn run_statements(
    sql: &SqlClient,
    warehouse: &str,
    statements: &[String],
) -> Result<usize, ExecuteError> {
    let options = StatementOptions::new(warehouse);
    tracing::info!(
        "running {} Unity Catalog statement(s) on warehouse {warehouse}",
        statements.len()
    );
    for (i, statement) in statements.iter().enumerate() {
        tracing::debug!(index = i + 1, %statement, "Unity Catalog statement");
        if let Err(source) = sql.execute(statement, &options).await {
            return Err(ExecuteError::Statement {
                index: i + 1,
                total: statements.len(),
                applied: i,
                statement: statement.clone(),
                source,
            });
        }
    }
    Ok(statements.len())
}

/// Replaces the live space's configuration with `desired` (and its title and description when
/// the plan changes them), refused by the workspace when the space moved past `etag`.
pub async fn update_space(
    genie: &GenieClient,
    plan: &DeployPlan,
    desired: &DesiredSpace,
    etag: Option<String>,
) -> Result<(), ExecuteError> {
    let request = UpdateSpaceRequest {
        serialized_space: Some(desired.model.to_api_string()),
        title: desired.title.clone().filter(|_| plan.changes_title()),
        description: desired
            .description
            .clone()
            .filter(|_| plan.changes_description()),
        etag,
        ..UpdateSpaceRequest::default()
    };
    match genie.update_space(&plan.space_id, &request).await {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(409) => Err(ExecuteError::Stale {
            space_id: plan.space_id.clone(),
        }),
        Err(source) => Err(ExecuteError::Update {
            space_id: plan.space_id.clone(),
            source,
        }),
    }
}

/// `databricks bundle deploy -t TARGET`, run in the bundle's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleCommand {
    /// The Databricks CLI (`databricks`, found on PATH, unless a path is given).
    pub program: PathBuf,
    /// The directory holding `databricks.yml`.
    pub dir: PathBuf,
    /// The bundle target.
    pub target: String,
}

impl BundleCommand {
    /// The arguments, one argv entry each.
    pub fn args(&self) -> Vec<String> {
        ["bundle", "deploy", "-t", &self.target]
            .map(str::to_owned)
            .to_vec()
    }

    /// The command as a person would type it (for messages only; it is never run by a shell).
    pub fn display(&self) -> String {
        format!("{} {}", self.program.display(), self.args().join(" "))
    }

    /// Runs the command with no input and its output captured; returns the output.
    pub async fn run(&self) -> Result<String, ExecuteError> {
        tracing::info!(command = %self.display(), "deploying the bundle");
        let output = tokio::process::Command::new(&self.program)
            .args(self.args())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| ExecuteError::BundleStart {
                program: self.program.display().to_string(),
                message: e.to_string(),
            })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            return Ok(text);
        }
        Err(ExecuteError::BundleFailed {
            command: self.display(),
            status: output.status.to_string(),
            output: tail(&text, OUTPUT_TAIL),
        })
    }
}

/// The last `max` characters of `text`.
fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    let text: String = text.chars().skip(count.saturating_sub(max)).collect();
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_command_passes_the_target_as_its_own_argument() {
        let command = BundleCommand {
            program: "databricks".into(),
            dir: ".".into(),
            target: "prod; rm -rf /".into(),
        };
        assert_eq!(command.args(), ["bundle", "deploy", "-t", "prod; rm -rf /"]);
    }

    #[test]
    fn the_output_tail_keeps_the_end() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 3), "ab");
    }
}
