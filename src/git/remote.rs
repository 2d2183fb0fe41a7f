//! Talking to a git remote through the `git` CLI: list, fetch, and push with a lease.
//!
//! The token never appears on a command line (where `ps` and logs could show it): it is handed
//! to git as an `http.extraheader` through the `GIT_CONFIG_*` environment variables. Fetched
//! branches land under `refs/genie-gitops/remote/`, away from the user's own branches.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};
use base64::Engine;
use git2::Oid;
use secrecy::{ExposeSecret, SecretString};

/// Where fetched remote branches are kept locally.
pub const TRACKING_PREFIX: &str = "refs/genie-gitops/remote/";

/// A remote repository and the credentials to reach it.
#[derive(Debug, Clone)]
pub struct Remote {
    /// URL or path, e.g. `https://github.com/acme/genie.git` or a local bare repository.
    pub url: String,
    /// Token for HTTPS remotes (sent as `x-access-token` basic auth).
    pub token: Option<SecretString>,
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushResult {
    /// The remote branch now points at the pushed commit.
    Pushed,
    /// The remote branch was not where we expected (the lease), or the push was refused.
    Rejected {
        /// Git's explanation.
        reason: String,
    },
}

impl Remote {
    /// A remote without credentials (a local path, or a URL that needs none).
    pub fn anonymous(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: None,
        }
    }

    /// The local ref that holds the fetched `branch`.
    pub fn tracking_ref(branch: &str) -> String {
        format!("{TRACKING_PREFIX}{branch}")
    }

    /// Where the remote's branches point, for those of `branches` that exist.
    pub fn heads(&self, repo_dir: &Path, branches: &[&str]) -> Result<Vec<(String, Oid)>> {
        let mut args = vec![
            "ls-remote".to_owned(),
            "--heads".to_owned(),
            self.url.clone(),
        ];
        args.extend(branches.iter().map(|b| format!("refs/heads/{b}")));
        let out = self.run(repo_dir, &args)?;
        if !out.status.success() {
            bail!("cannot list the branches of {}: {}", self.url, stderr(&out));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut heads = Vec::new();
        for line in text.lines() {
            let Some((sha, name)) = line.split_once('\t') else {
                continue;
            };
            let Some(branch) = name.strip_prefix("refs/heads/") else {
                continue;
            };
            if branches.contains(&branch) {
                heads.push((branch.to_owned(), Oid::from_str(sha.trim())?));
            }
        }
        Ok(heads)
    }

    /// Fetches `branch` into its tracking ref and returns where it points; `None` (and the
    /// tracking ref removed) when the remote has no such branch.
    pub fn fetch(&self, repo_dir: &Path, branch: &str) -> Result<Option<Oid>> {
        self.fetch_ref(
            repo_dir,
            &format!("refs/heads/{branch}"),
            &Self::tracking_ref(branch),
        )
    }

    /// Pushes commit `local` to `branch`, only if the remote branch is still at `expected`
    /// (`None`: only if it does not exist). Never a plain force-push.
    pub fn push_with_lease(
        &self,
        repo_dir: &Path,
        local: Oid,
        branch: &str,
        expected: Option<Oid>,
    ) -> Result<PushResult> {
        let result =
            self.push_ref_with_lease(repo_dir, local, &format!("refs/heads/{branch}"), expected)?;
        if result == PushResult::Pushed {
            let repo = git2::Repository::open(repo_dir)?;
            repo.reference(
                &Self::tracking_ref(branch),
                local,
                true,
                "genie-gitops: pushed",
            )?;
        }
        Ok(result)
    }

    /// Pushes `local` to the full ref name `remote_ref` (a branch, or a notes ref), only if the
    /// remote ref is still at `expected` (`None`: only if it does not exist).
    pub fn push_ref_with_lease(
        &self,
        repo_dir: &Path,
        local: Oid,
        remote_ref: &str,
        expected: Option<Oid>,
    ) -> Result<PushResult> {
        let lease = format!(
            "--force-with-lease={remote_ref}:{}",
            expected.map(|o| o.to_string()).unwrap_or_default()
        );
        let refspec = format!("{local}:{remote_ref}");
        let args = [
            "push",
            "--porcelain",
            "--no-verify",
            &lease,
            &self.url,
            &refspec,
        ];
        let out = self.run(repo_dir, &args.map(str::to_owned))?;
        if out.status.success() {
            return Ok(PushResult::Pushed);
        }
        let report = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        if report.contains("[rejected]")
            || report.contains("stale info")
            || report.contains("[remote rejected]")
        {
            return Ok(PushResult::Rejected {
                reason: report.trim().to_owned(),
            });
        }
        bail!(
            "cannot push `{remote_ref}` to {}: {}",
            self.url,
            report.trim()
        )
    }

    /// Fetches the full ref name `remote_ref` into `local_ref` (overwriting it) and returns
    /// where it points; `None` (and `local_ref` removed) when the remote has no such ref.
    pub fn fetch_ref(
        &self,
        repo_dir: &Path,
        remote_ref: &str,
        local_ref: &str,
    ) -> Result<Option<Oid>> {
        let args = ["ls-remote", &self.url, remote_ref];
        let out = self.run(repo_dir, &args.map(str::to_owned))?;
        if !out.status.success() {
            bail!("cannot list {remote_ref} on {}: {}", self.url, stderr(&out));
        }
        let listed = String::from_utf8_lossy(&out.stdout);
        let exists = listed.lines().any(|line| {
            line.split_once('\t')
                .is_some_and(|(_, name)| name == remote_ref)
        });
        let repo = git2::Repository::open(repo_dir)?;
        if !exists {
            if let Ok(mut stale) = repo.find_reference(local_ref) {
                stale.delete()?;
            }
            return Ok(None);
        }
        let refspec = format!("+{remote_ref}:{local_ref}");
        let args = [
            "fetch",
            "--no-tags",
            "--no-write-fetch-head",
            "--quiet",
            &self.url,
            &refspec,
        ];
        let out = self.run(repo_dir, &args.map(str::to_owned))?;
        if !out.status.success() {
            bail!(
                "cannot fetch {remote_ref} from {}: {}",
                self.url,
                stderr(&out)
            );
        }
        let oid = repo
            .refname_to_id(local_ref)
            .with_context(|| format!("fetched {remote_ref} but cannot read {local_ref}"))?;
        Ok(Some(oid))
    }

    /// Runs git in `repo_dir` with the credentials in the environment, never prompting.
    fn run(&self, repo_dir: &Path, args: &[String]) -> Result<Output> {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(repo_dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "")
            .env("LC_ALL", "C");
        if let Some(token) = &self.token
            && let Some(key) = extraheader_key(&self.url)
        {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("x-access-token:{}", token.expose_secret()));
            // An empty value first clears any header a checkout step persisted for this
            // server, so only ours is sent.
            cmd.env("GIT_CONFIG_COUNT", "2")
                .env("GIT_CONFIG_KEY_0", &key)
                .env("GIT_CONFIG_VALUE_0", "")
                .env("GIT_CONFIG_KEY_1", &key)
                .env(
                    "GIT_CONFIG_VALUE_1",
                    format!("AUTHORIZATION: basic {basic}"),
                );
        }
        cmd.output().with_context(|| {
            format!(
                "cannot run `git {}`",
                args.first().map(String::as_str).unwrap_or_default()
            )
        })
    }
}

/// `http.<scheme>://<host>/.extraheader` for an HTTP(S) remote; `None` for other remotes.
fn extraheader_key(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?;
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!(
        "http.{}://{host}{port}/.extraheader",
        parsed.scheme()
    ))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_header_is_scoped_to_the_remotes_server() {
        assert_eq!(
            extraheader_key("https://github.com/acme/genie.git").as_deref(),
            Some("http.https://github.com/.extraheader")
        );
        assert_eq!(
            extraheader_key("http://127.0.0.1:8080/r.git").as_deref(),
            Some("http.http://127.0.0.1:8080/.extraheader")
        );
        assert_eq!(extraheader_key("/tmp/remote.git"), None);
        assert_eq!(extraheader_key("git@github.com:acme/genie.git"), None);
    }
}
