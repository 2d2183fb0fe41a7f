//! Check runs and commit statuses: the pass/fail a reviewer sees next to a commit.

use serde::Serialize;

use super::client::{GitHub, GitHubError};
use super::limits::{self, Limit};
use super::types::{CheckRun, WriteMode};

/// How a finished check run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// Passed.
    Success,
    /// Failed (a regression, a score below threshold).
    Failure,
    /// Nothing to judge (e.g. skipped for a fork).
    Neutral,
    /// Not run.
    Skipped,
}

/// A check run's state and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRunDraft {
    /// Name shown in the checks list, e.g. `genie-gitops/eval (sales)`.
    pub name: String,
    /// The commit it is about.
    pub head_sha: String,
    /// `None` while running, the conclusion once done.
    pub conclusion: Option<Conclusion>,
    /// One-line title.
    pub title: String,
    /// Markdown summary, trimmed to the limit.
    pub summary: String,
    /// Link to the run.
    pub details_url: Option<String>,
}

#[derive(Serialize)]
struct CheckRunBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    head_sha: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conclusion: Option<Conclusion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details_url: Option<&'a str>,
    output: CheckOutput<'a>,
}

#[derive(Serialize)]
struct CheckOutput<'a> {
    title: &'a str,
    summary: String,
}

impl CheckRunDraft {
    fn body(&self, create: bool) -> CheckRunBody<'_> {
        CheckRunBody {
            name: create.then_some(self.name.as_str()),
            head_sha: create.then_some(self.head_sha.as_str()),
            status: if self.conclusion.is_some() {
                "completed"
            } else {
                "in_progress"
            },
            conclusion: self.conclusion,
            details_url: self.details_url.as_deref(),
            output: CheckOutput {
                title: &self.title,
                summary: limits::fit(&self.summary, Limit::CheckRun, self.details_url.as_deref()),
            },
        }
    }
}

/// Creates a check run; `None` in dry-run mode.
pub async fn create(
    gh: &GitHub,
    draft: &CheckRunDraft,
    mode: WriteMode,
) -> Result<Option<CheckRun>, GitHubError> {
    if mode == WriteMode::DryRun {
        return Ok(None);
    }
    gh.post(&gh.repo_route("/check-runs"), &draft.body(true))
        .await
        .map(Some)
}

/// Updates check run `id` to show `draft`.
pub async fn update(
    gh: &GitHub,
    id: u64,
    draft: &CheckRunDraft,
    mode: WriteMode,
) -> Result<(), GitHubError> {
    if mode == WriteMode::DryRun {
        return Ok(());
    }
    let _run: CheckRun = gh
        .patch(
            &gh.repo_route(&format!("/check-runs/{id}")),
            &draft.body(false),
        )
        .await?;
    Ok(())
}

/// A commit status's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusState {
    /// Running.
    Pending,
    /// Passed.
    Success,
    /// Failed.
    Failure,
    /// Could not run.
    Error,
}

/// Sets the status `context` on commit `sha` (descriptions are cut to GitHub's 140 characters).
pub async fn set_status(
    gh: &GitHub,
    sha: &str,
    state: StatusState,
    context: &str,
    description: &str,
    target_url: Option<&str>,
    mode: WriteMode,
) -> Result<(), GitHubError> {
    if mode == WriteMode::DryRun {
        return Ok(());
    }
    #[derive(Serialize)]
    struct Status<'a> {
        state: StatusState,
        context: &'a str,
        description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        target_url: Option<&'a str>,
    }
    let status = Status {
        state,
        context,
        description: description.chars().take(140).collect(),
        target_url,
    };
    let _created: serde_json::Value = gh
        .post(&gh.repo_route(&format!("/statuses/{sha}")), &status)
        .await?;
    Ok(())
}
