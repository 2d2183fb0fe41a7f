//! What every GitHub-facing flow (`pr`, `nightly`, `deploy`) reads from its environment, once:
//! the Actions variables, the event payload, a GitHub client and the bot's login, the git remote
//! the bot pushes to, and where the step's outputs and summary go.
//!
//! Outside Actions (a terminal, the demo) the same flows run with whatever is set: no repository
//! or token means no GitHub client, and the flow says what it skipped.

use std::path::Path;

use anyhow::{Context, Result};

use crate::git::remote::Remote;
use crate::git::repo::Author;
use crate::github::client::GitHub;
use crate::github::env::ActionEnv;
use crate::github::event::{self, ReadEvent};
use crate::github::outputs::{self, ActionOutputs};
use crate::github::types::WriteMode;

/// The variable naming the login the token acts as (the action's `bot-login` input).
pub const BOT_LOGIN_VARIABLE: &str = "GENIE_GITOPS_BOT_LOGIN";

/// The variable that overrides the git remote the bot pushes to (default: the Actions
/// repository's clone URL, else the checkout's `origin`).
pub const REMOTE_VARIABLE: &str = "GENIE_GITOPS_REMOTE";

/// The environment of one flow run.
pub struct ActionContext {
    /// The Actions variables.
    pub env: ActionEnv,
    /// The event payload, when `GITHUB_EVENT_NAME` and `GITHUB_EVENT_PATH` are set.
    pub event: Option<ReadEvent>,
    /// The GitHub client, when a repository and a token are known.
    pub github: Option<GitHub>,
    /// Whose comments, issues and pull requests are the bot's.
    pub bot_login: Option<String>,
    /// The bot's git identity.
    pub author: Author,
    /// Read-only (`--dry-run`) or not.
    pub mode: WriteMode,
}

impl ActionContext {
    /// Reads the environment of this process (see [`ActionContext::from_env`]).
    pub async fn from_process(mode: WriteMode) -> Result<Self> {
        let explicit = std::env::var(BOT_LOGIN_VARIABLE).ok();
        Self::from_env(ActionEnv::from_process(), explicit.as_deref(), mode).await
    }

    /// Reads the event payload and connects to GitHub when a repository and a token are set.
    /// The bot login is `explicit`, else the token's own login, else `github-actions[bot]`.
    pub async fn from_env(env: ActionEnv, explicit: Option<&str>, mode: WriteMode) -> Result<Self> {
        let event = read_event(&env)?;
        let github = match (&env.repository, &env.token) {
            (Some(repo), Some(token)) => {
                Some(GitHub::new(&env.api_url, token.clone(), repo.clone())?)
            }
            _ => None,
        };
        let bot_login = match &github {
            Some(gh) => Some(
                gh.bot_login(explicit)
                    .await
                    .context("cannot tell which GitHub account the token belongs to")?,
            ),
            None => explicit.map(str::to_owned),
        };
        let author = match &bot_login {
            Some(login) => Author {
                name: login.clone(),
                email: format!("{login}@users.noreply.github.com"),
            },
            None => Author::default(),
        };
        Ok(Self {
            env,
            event,
            github,
            bot_login,
            author,
            mode,
        })
    }

    /// The remote the bot pushes its branch and notes to: `remote` when given, else the Actions
    /// repository's clone URL, else the `origin` of the checkout at `repo_dir`. The GitHub token
    /// goes with it (never on a command line).
    pub fn remote(&self, remote: Option<&str>, repo_dir: &Path) -> Result<Remote> {
        let url = match remote {
            Some(url) => url.to_owned(),
            None => match self.env.clone_url() {
                Some(url) if self.env.in_actions => url,
                _ => origin_url(repo_dir)?,
            },
        };
        Ok(Remote {
            url,
            token: self.env.token.clone(),
        })
    }

    /// Writes the step outputs and appends `summary` to the job summary, when Actions provides
    /// the files. These are the step's own files, written in dry-run mode too.
    pub fn finish(
        &self,
        outputs: &ActionOutputs,
        summary: Option<&str>,
        full_report: Option<&str>,
    ) -> Result<()> {
        if let Some(file) = &self.env.output_file {
            outputs::write_outputs(file, outputs)?;
        }
        if let (Some(file), Some(summary)) = (&self.env.summary_file, summary) {
            outputs::append_summary(file, summary, full_report)?;
        }
        Ok(())
    }
}

/// Reads `GITHUB_EVENT_PATH` when the event name and path are both set.
fn read_event(env: &ActionEnv) -> Result<Option<ReadEvent>> {
    let (Some(name), Some(path)) = (&env.event_name, &env.event_path) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the event payload {}", path.display()))?;
    let read = event::parse(name, &path.display().to_string(), &text)?;
    for warning in &read.warnings {
        tracing::warn!("{warning}");
    }
    Ok(Some(read))
}

/// The URL of the checkout's `origin` remote.
fn origin_url(repo_dir: &Path) -> Result<String> {
    let repo = git2::Repository::discover(repo_dir)
        .with_context(|| format!("{} is not inside a git repository", repo_dir.display()))?;
    let origin = repo.find_remote("origin").with_context(|| {
        format!(
            "the repository at {} has no `origin` remote; pass --remote URL or set {REMOTE_VARIABLE}",
            repo_dir.display()
        )
    })?;
    origin
        .url()
        .map(str::to_owned)
        .context("the `origin` remote's URL is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_repository_or_token_there_is_no_github_client() {
        let env = ActionEnv::from_vars([("GITHUB_TOKEN".to_owned(), "t".to_owned())]);
        let ctx = ActionContext::from_env(env, Some("bot"), WriteMode::DryRun)
            .await
            .unwrap();
        assert!(ctx.github.is_none());
        assert_eq!(ctx.bot_login.as_deref(), Some("bot"));
        assert_eq!(ctx.author.email, "bot@users.noreply.github.com");
    }

    #[tokio::test]
    async fn an_explicit_remote_wins_and_a_checkout_without_origin_says_what_to_do() {
        let env = ActionEnv::from_vars([]);
        let ctx = ActionContext::from_env(env, None, WriteMode::DryRun)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        assert_eq!(
            ctx.remote(Some("/tmp/r.git"), dir.path()).unwrap().url,
            "/tmp/r.git"
        );
        let err = ctx.remote(None, dir.path()).unwrap_err().to_string();
        assert!(err.contains("--remote"), "{err}");
    }
}
