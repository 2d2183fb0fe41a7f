//! The GitHub Actions environment: the `GITHUB_*` variables a run sees, read once into an
//! [`ActionEnv`]. Tests build one from a plain list of pairs instead of the process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;

/// The public GitHub API, used when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The public GitHub web address, used when `GITHUB_SERVER_URL` is not set.
pub const DEFAULT_SERVER_URL: &str = "https://github.com";

/// Variables that may hold the API token, first match wins.
pub const TOKEN_VARIABLES: &[&str] = &["GENIE_GITOPS_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"];

/// A repository as `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoName {
    /// The user or organisation.
    pub owner: String,
    /// The repository name.
    pub name: String,
}

impl RepoName {
    /// Parses `owner/name`; anything else is `None`.
    pub fn parse(full_name: &str) -> Option<Self> {
        let (owner, name) = full_name.trim().split_once('/')?;
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (valid(owner) && valid(name)).then(|| Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// What a GitHub Actions run tells its steps through the environment.
#[derive(Debug, Clone)]
pub struct ActionEnv {
    /// `GITHUB_API_URL`, else the public API.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`, else github.com.
    pub server_url: String,
    /// `GITHUB_REPOSITORY`.
    pub repository: Option<RepoName>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`: the event payload.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_SHA`: the commit the run is for.
    pub sha: Option<String>,
    /// `GITHUB_REF`, e.g. `refs/heads/main`.
    pub git_ref: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_OUTPUT`: the step's output file.
    pub output_file: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`: the step's summary file.
    pub summary_file: Option<PathBuf>,
    /// The API token, from the first of [`TOKEN_VARIABLES`] that is set and not empty.
    pub token: Option<SecretString>,
    /// `GITHUB_ACTIONS=true`: running inside GitHub Actions.
    pub in_actions: bool,
}

impl ActionEnv {
    /// Reads the variables of this process.
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Reads the variables from `vars` (name, value); empty values count as unset.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let get = |name: &str| vars.get(name).cloned();
        Self {
            api_url: get("GITHUB_API_URL")
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            server_url: get("GITHUB_SERVER_URL")
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned()),
            repository: get("GITHUB_REPOSITORY").and_then(|r| RepoName::parse(&r)),
            event_name: get("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH").map(PathBuf::from),
            sha: get("GITHUB_SHA"),
            git_ref: get("GITHUB_REF"),
            run_id: get("GITHUB_RUN_ID"),
            output_file: get("GITHUB_OUTPUT").map(PathBuf::from),
            summary_file: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            token: TOKEN_VARIABLES
                .iter()
                .find_map(|name| get(name))
                .map(SecretString::from),
            in_actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
        }
    }

    /// The web page of this run, when the repository and run id are known.
    pub fn run_url(&self) -> Option<String> {
        let repo = self.repository.as_ref()?;
        let run = self.run_id.as_ref()?;
        Some(format!("{}/{repo}/actions/runs/{run}", self.server_url))
    }

    /// The git remote URL of the repository on this server (no credentials in it).
    pub fn clone_url(&self) -> Option<String> {
        let repo = self.repository.as_ref()?;
        Some(format!("{}/{repo}.git", self.server_url))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ActionEnv {
        ActionEnv::from_vars(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_point_at_public_github() {
        let e = env(&[]);
        assert_eq!(e.api_url, "https://api.github.com");
        assert_eq!(e.server_url, "https://github.com");
        assert!(e.repository.is_none() && e.token.is_none() && !e.in_actions);
    }

    #[test]
    fn an_enterprise_server_and_the_run_url_come_from_the_environment() {
        let e = env(&[
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
            ("GITHUB_SERVER_URL", "https://ghe.example.com"),
            ("GITHUB_REPOSITORY", "acme/genie"),
            ("GITHUB_RUN_ID", "42"),
        ]);
        assert_eq!(e.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            e.run_url().as_deref(),
            Some("https://ghe.example.com/acme/genie/actions/runs/42")
        );
    }

    #[test]
    fn the_dedicated_token_variable_wins_and_empty_values_are_ignored() {
        let e = env(&[
            ("GENIE_GITOPS_GITHUB_TOKEN", " "),
            ("GITHUB_TOKEN", "ghs_actions"),
            ("GH_TOKEN", "gho_cli"),
        ]);
        assert_eq!(
            e.token.as_ref().map(|t| t.expose_secret()),
            Some("ghs_actions")
        );
        assert!(
            !format!("{e:?}").contains("ghs_actions"),
            "the token never shows in Debug"
        );
    }

    #[test]
    fn repository_names_must_be_owner_slash_name() {
        assert_eq!(
            RepoName::parse("a/b").map(|r| r.to_string()).as_deref(),
            Some("a/b")
        );
        assert!(RepoName::parse("a").is_none());
        assert!(RepoName::parse("a/b/c").is_none());
        assert!(RepoName::parse("/b").is_none());
    }
}
