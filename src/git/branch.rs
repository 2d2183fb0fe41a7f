//! Branch safety for the bot branch (`genie-gitops/<space>`): rebuild it on the current base,
//! push only when its content changes, push with a lease, and never overwrite anyone else.
//!
//! [`sync`] decides in this order:
//! 1. fetch the base and the bot branch from the remote;
//! 2. if the bot branch holds a commit not authored *and* committed by the bot → [`BranchOutcome::Paused`]
//!    (nothing is pushed; the flows say "paused" in the pull request);
//! 3. if the base changed a file the proposal edits → [`BranchOutcome::Conflict`]; otherwise
//!    rebuild one commit per lever on the base tip; if the result equals the base →
//!    [`BranchOutcome::NothingToPropose`] (the head never equals the base, which would close the PR);
//! 4. if the remote branch already has the same tree → [`BranchOutcome::Unchanged`] (no push);
//! 5. push with `--force-with-lease=<branch>:<the sha we examined>`; if the branch moved in the
//!    meantime the push is refused and nothing is lost → [`BranchOutcome::Paused`] when the
//!    newcomer is a person, [`BranchOutcome::Raced`] when it is another bot run.

use anyhow::{Context, Result};
use git2::Oid;

use super::remote::{PushResult, Remote};
use super::repo::{Author, CommitInfo, GitRepo};
use crate::model::snapshot::RepoSnapshot;

/// One commit of the bot branch: a lever's message and the files after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeverCommit {
    /// Commit message (first line: what the lever changed).
    pub message: String,
    /// The repository's managed files after this lever (and every earlier one).
    pub files: RepoSnapshot,
}

/// What [`sync`] is asked to do.
#[derive(Debug, Clone)]
pub struct BranchRequest<'a> {
    /// The branch to merge into, e.g. `main`.
    pub base: &'a str,
    /// The bot branch, e.g. `genie-gitops/sales`.
    pub branch: &'a str,
    /// The managed files the proposal was computed from (the first lever's "before").
    pub from: &'a RepoSnapshot,
    /// The commits to put on the base, in order.
    pub commits: &'a [LeverCommit],
    /// The bot's identity; commits by anyone else pause the bot.
    pub author: &'a Author,
    /// Decide everything but push nothing.
    pub dry_run: bool,
}

/// What happened to the bot branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchOutcome {
    /// The rebuilt branch was pushed.
    Pushed {
        /// The new head.
        head: Oid,
        /// The base it is built on.
        base: Oid,
        /// The remote head it replaced, if the branch existed.
        previous: Option<Oid>,
    },
    /// Dry run: the rebuilt branch would have been pushed.
    WouldPush {
        /// The rebuilt head (local only).
        head: Oid,
        /// The base it is built on.
        base: Oid,
        /// The remote head it would replace.
        previous: Option<Oid>,
    },
    /// The remote branch already holds exactly this content: nothing pushed.
    Unchanged {
        /// The remote head, kept.
        head: Oid,
        /// The current base.
        base: Oid,
    },
    /// The proposal changes nothing relative to the base: nothing pushed.
    NothingToPropose {
        /// The current base.
        base: Oid,
        /// The remote bot branch, if it exists.
        remote_head: Option<Oid>,
    },
    /// Someone else committed to the bot branch: nothing pushed until they are done.
    Paused {
        /// The remote head, kept.
        remote_head: Oid,
        /// The current base.
        base: Oid,
        /// The commits that are not the bot's, newest first.
        foreign: Vec<CommitInfo>,
    },
    /// The base changed files the proposal edits since it was computed: nothing pushed; the
    /// proposal must be computed again on the new base.
    Conflict {
        /// The current base.
        base: Oid,
        /// The files both sides changed, sorted.
        paths: Vec<String>,
    },
    /// Another bot run moved the branch while this one worked: nothing pushed, nothing lost.
    Raced {
        /// Where the remote branch is now.
        remote_head: Option<Oid>,
        /// Git's refusal.
        reason: String,
    },
}

impl BranchOutcome {
    /// The commit the remote branch points at afterwards (for dry runs: would point at).
    pub fn head(&self) -> Option<Oid> {
        match self {
            BranchOutcome::Pushed { head, .. }
            | BranchOutcome::WouldPush { head, .. }
            | BranchOutcome::Unchanged { head, .. } => Some(*head),
            BranchOutcome::Paused { remote_head, .. } => Some(*remote_head),
            BranchOutcome::Conflict { .. } => None,
            BranchOutcome::NothingToPropose { remote_head, .. }
            | BranchOutcome::Raced { remote_head, .. } => *remote_head,
        }
    }

    /// A short markdown paragraph for the pull request when the bot is paused; `None` otherwise.
    pub fn paused_note(&self, branch: &str) -> Option<String> {
        let BranchOutcome::Paused { foreign, .. } = self else {
            return None;
        };
        let mut note = format!(
            "> [!WARNING]\n> **Paused.** `{branch}` has commits genie-gitops did not make, so it \
             will not push over them. Merge or close this pull request, or delete the branch, to \
             let it propose again.\n>\n"
        );
        for c in foreign {
            let short = c.sha.get(..7).unwrap_or(&c.sha);
            note.push_str(&format!(
                "> - `{short}` {} ({} <{}>)\n",
                c.summary, c.author.name, c.author.email
            ));
        }
        Some(note)
    }
}

/// Brings the remote bot branch to the requested commits on the current base, safely (see the
/// module docs). Local refs other than the tracking refs are never moved.
pub fn sync(repo: &GitRepo, remote: &Remote, req: &BranchRequest<'_>) -> Result<BranchOutcome> {
    let dir = repo.git_dir();
    let base = remote
        .fetch(dir, req.base)?
        .with_context(|| format!("the remote has no branch `{}`", req.base))?;
    let remote_head = remote.fetch(dir, req.branch)?;
    if let Some(tip) = remote_head {
        let foreign = foreign_commits(repo, base, tip, req.author)?;
        if !foreign.is_empty() {
            return Ok(BranchOutcome::Paused {
                remote_head: tip,
                base,
                foreign,
            });
        }
    }
    let paths = conflicts(repo, base, req.from, req.commits)?;
    if !paths.is_empty() {
        return Ok(BranchOutcome::Conflict { base, paths });
    }
    let Some(head) = rebuild(repo, base, req.from, req.commits, req.author)? else {
        return Ok(BranchOutcome::NothingToPropose { base, remote_head });
    };
    if let Some(tip) = remote_head
        && repo.tree_id(tip)? == repo.tree_id(head)?
    {
        return Ok(BranchOutcome::Unchanged { head: tip, base });
    }
    if req.dry_run {
        return Ok(BranchOutcome::WouldPush {
            head,
            base,
            previous: remote_head,
        });
    }
    match remote.push_with_lease(dir, head, req.branch, remote_head)? {
        PushResult::Pushed => Ok(BranchOutcome::Pushed {
            head,
            base,
            previous: remote_head,
        }),
        PushResult::Rejected { reason } => {
            let now = remote.fetch(dir, req.branch)?;
            if let Some(tip) = now {
                let foreign = foreign_commits(repo, base, tip, req.author)?;
                if !foreign.is_empty() {
                    return Ok(BranchOutcome::Paused {
                        remote_head: tip,
                        base,
                        foreign,
                    });
                }
            }
            Ok(BranchOutcome::Raced {
                remote_head: now,
                reason,
            })
        }
    }
}

/// Commits on `tip` but not on `base` that the bot did not both author and commit.
pub fn foreign_commits(
    repo: &GitRepo,
    base: Oid,
    tip: Oid,
    bot: &Author,
) -> Result<Vec<CommitInfo>> {
    Ok(repo
        .commits_between(base, tip)?
        .into_iter()
        .filter(|c| !c.is_by(bot))
        .collect())
}

/// Files the proposal edits (relative to `from`) that the base has also changed since.
pub fn conflicts(
    repo: &GitRepo,
    base: Oid,
    from: &RepoSnapshot,
    commits: &[LeverCommit],
) -> Result<Vec<String>> {
    let Some(last) = commits.last() else {
        return Ok(Vec::new());
    };
    let base_files = repo.snapshot_at(&base.to_string())?;
    Ok(from
        .changed_paths(&last.files)
        .into_iter()
        .filter(|p| base_files.get(p) != from.get(p))
        .collect())
}

/// Writes `commits` on top of `base`, each applying its change relative to the one before
/// (the first relative to `from`) and skipping levers that change nothing; returns the new head,
/// or `None` when the result has the base's tree.
pub fn rebuild(
    repo: &GitRepo,
    base: Oid,
    from: &RepoSnapshot,
    commits: &[LeverCommit],
    author: &Author,
) -> Result<Option<Oid>> {
    let mut parent = base;
    let mut before = from.clone();
    for lever in commits {
        if let Some(next) =
            repo.write_commit(parent, &before, &lever.files, &lever.message, author)?
        {
            parent = next;
        }
        before = lever.files.clone();
    }
    if parent == base || repo.tree_id(parent)? == repo.tree_id(base)? {
        return Ok(None);
    }
    Ok(Some(parent))
}
