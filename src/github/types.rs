//! The few fields genie-gitops reads from GitHub's answers, and how writes are gated.

use serde::Deserialize;

/// Whether an operation may write to GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Read and write.
    Apply,
    /// Read only; report what would be written.
    DryRun,
}

impl WriteMode {
    /// `--dry-run` given → [`WriteMode::DryRun`].
    pub fn from_dry_run(dry_run: bool) -> Self {
        if dry_run {
            WriteMode::DryRun
        } else {
            WriteMode::Apply
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// Login, e.g. `github-actions[bot]`.
    pub login: String,
}

/// One side of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PrBranch {
    /// Branch name.
    #[serde(rename = "ref")]
    pub branch: String,
    /// Commit SHA.
    pub sha: String,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Number.
    pub number: u64,
    /// Web address.
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// When it was merged, if it was.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Source branch.
    pub head: PrBranch,
    /// Target branch.
    pub base: PrBranch,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
}

impl PullRequest {
    /// Closed without being merged.
    pub fn is_declined(&self) -> bool {
        self.state == "closed" && self.merged_at.is_none()
    }
}

/// An issue or pull request comment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Id.
    pub id: u64,
    /// Body (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
    /// Web address.
    #[serde(default)]
    pub html_url: String,
}

/// An issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Number.
    pub number: u64,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Web address.
    #[serde(default)]
    pub html_url: String,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
    /// Present when the "issue" is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

/// A check run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRun {
    /// Id, to update it later.
    pub id: u64,
    /// Web address.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// `author` is `login` (case-insensitive, as GitHub logins are).
pub(crate) fn authored_by(author: Option<&User>, login: &str) -> bool {
    author.is_some_and(|u| u.login.eq_ignore_ascii_case(login))
}
