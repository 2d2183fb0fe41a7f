//! A proposal end to end: the bot branch (via [`crate::git::branch`]) and its pull request.
//!
//! [`publish`] is what the nightly flow calls after the optimizer has decided which levers to
//! keep. In order: a proposal whose hash a closed, unmerged pull request already carried is
//! dropped (people said no to exactly this); the branch is synced safely; then the pull request
//! is created or updated — or left alone when the bot is paused or lost a race, and closed when
//! the base already holds the change. Dry-run mode reads everything and writes nothing.

use anyhow::Result;
use sha2::{Digest, Sha256};

use super::client::GitHub;
use super::marker::ProposalMarker;
use super::outputs::{ActionOutputs, PrOperation};
use super::pulls::{self, PrDraft, PrResult};
use super::types::{PullRequest, WriteMode};
use crate::git::branch::{self, BranchOutcome, BranchRequest, LeverCommit};
use crate::git::remote::Remote;
use crate::git::repo::{Author, GitRepo};
use crate::model::snapshot::RepoSnapshot;

/// Everything [`publish`] needs.
#[derive(Debug, Clone)]
pub struct ProposalRequest<'a> {
    /// The space's name.
    pub space: &'a str,
    /// The branch to merge into, e.g. `main`.
    pub base: &'a str,
    /// The bot branch, e.g. `genie-gitops/sales`.
    pub branch: &'a str,
    /// The managed files the proposal was computed from.
    pub from: &'a RepoSnapshot,
    /// One commit per accepted lever, in order.
    pub commits: &'a [LeverCommit],
    /// Pull request title.
    pub title: &'a str,
    /// Pull request body: the lever-impact report (the marker is added).
    pub report: &'a str,
    /// Labels for a new pull request.
    pub labels: &'a [String],
    /// Link to the full report, used when the body must be trimmed.
    pub full_report: Option<&'a str>,
    /// The bot's git identity.
    pub author: &'a Author,
    /// Read-only or not.
    pub mode: WriteMode,
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalOutcome {
    /// The proposal's hash (see [`proposal_hash`]).
    pub hash: String,
    /// The closed pull request that already declined this exact proposal, if any; then nothing
    /// else was done.
    pub declined_by: Option<u64>,
    /// What happened to the branch (none when declined).
    pub branch: Option<BranchOutcome>,
    /// What happened to the pull request (none when it was not touched).
    pub pr: Option<PrResult>,
    /// The open pull request for the branch, if there is one (also when it was not touched, so
    /// a paused run can comment on it).
    pub open_pr: Option<PullRequest>,
}

impl ProposalOutcome {
    /// The action outputs this outcome sets (`pr-number`, `pr-url`, `pr-operation`).
    pub fn outputs(&self) -> ActionOutputs {
        let number = self
            .pr
            .as_ref()
            .and_then(|p| p.number)
            .or(self.open_pr.as_ref().map(|p| p.number));
        let url = self
            .pr
            .as_ref()
            .and_then(|p| p.url.clone())
            .or(self.open_pr.as_ref().map(|p| p.html_url.clone()));
        ActionOutputs {
            pr_number: number,
            pr_url: url,
            pr_operation: Some(
                self.pr
                    .as_ref()
                    .map(|p| p.operation)
                    .unwrap_or(PrOperation::None),
            ),
            ..ActionOutputs::default()
        }
    }
}

/// A stable hash of what a proposal changes: each changed path with its new text (or its
/// removal), relative to the files it was computed from. 16 hex digits.
pub fn proposal_hash(from: &RepoSnapshot, proposed: &RepoSnapshot) -> String {
    let mut hasher = Sha256::new();
    for path in from.changed_paths(proposed) {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        match proposed.get(&path) {
            Some(text) => {
                hasher.update(b"+");
                hasher.update(text.as_bytes());
            }
            None => hasher.update(b"-"),
        }
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Publishes a proposal: branch first, then pull request (see the module docs).
pub async fn publish(
    gh: &GitHub,
    repo: &GitRepo,
    remote: &Remote,
    req: &ProposalRequest<'_>,
) -> Result<ProposalOutcome> {
    let proposed = req.commits.last().map(|c| &c.files).unwrap_or(req.from);
    let hash = proposal_hash(req.from, proposed);
    let open_pr = pulls::find_open(gh, req.branch, req.base).await?;
    let mut outcome = ProposalOutcome {
        hash: hash.clone(),
        declined_by: None,
        branch: None,
        pr: None,
        open_pr,
    };
    let closed = pulls::list_closed(gh, req.branch, req.base).await?;
    let wanted = ProposalMarker {
        space: req.space.to_owned(),
        proposal_hash: hash.clone(),
        base_sha: String::new(),
    };
    if let Some(pr) = pulls::declined(&closed, &wanted) {
        outcome.declined_by = Some(pr.number);
        return Ok(outcome);
    }

    let branch_outcome = branch::sync(
        repo,
        remote,
        &BranchRequest {
            base: req.base,
            branch: req.branch,
            from: req.from,
            commits: req.commits,
            author: req.author,
            dry_run: req.mode == WriteMode::DryRun,
        },
    )?;
    let base = match &branch_outcome {
        BranchOutcome::Pushed { base, .. }
        | BranchOutcome::WouldPush { base, .. }
        | BranchOutcome::Unchanged { base, .. } => Some(*base),
        _ => None,
    };
    outcome.pr = match (&branch_outcome, base) {
        (_, Some(base)) => {
            let draft = PrDraft {
                head: req.branch.to_owned(),
                base: req.base.to_owned(),
                title: req.title.to_owned(),
                body: req.report.to_owned(),
                marker: ProposalMarker {
                    base_sha: base.to_string(),
                    ..wanted
                },
                labels: req.labels.to_vec(),
                full_report: req.full_report.map(str::to_owned),
            };
            Some(pulls::upsert(gh, &draft, req.mode).await?)
        }
        (BranchOutcome::NothingToPropose { .. }, None) => match &outcome.open_pr {
            Some(pr) => Some(pulls::close(gh, pr.number, req.mode).await?),
            None => None,
        },
        _ => None,
    };
    outcome.branch = Some(branch_outcome);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_change_only() {
        let mut from = RepoSnapshot::new();
        from.insert("a.yml", "a: 1\n");
        from.insert("b.yml", "b: 1\n");
        let mut proposed = from.clone();
        proposed.insert("a.yml", "a: 2\n");
        let hash = proposal_hash(&from, &proposed);
        assert_eq!(hash.len(), 16);

        // An unrelated file changing on both sides does not change the hash.
        let mut from2 = from.clone();
        from2.insert("b.yml", "b: 2\n");
        let mut proposed2 = proposed.clone();
        proposed2.insert("b.yml", "b: 2\n");
        assert_eq!(proposal_hash(&from2, &proposed2), hash);

        let mut other = from.clone();
        other.insert("a.yml", "a: 3\n");
        assert_ne!(proposal_hash(&from, &other), hash);
        let mut removed = from.clone();
        removed.remove("a.yml");
        assert_ne!(proposal_hash(&from, &removed), hash);
    }
}
