//! The bot's pull request: found by head branch and base, created or updated in place, never
//! closed and reopened. Its body ends with a [`ProposalMarker`], which is also how a proposal
//! closed without merging is remembered: [`declined`] looks it up among closed pull requests.

use serde::Serialize;

use super::client::{GitHub, GitHubError};
use super::limits::{self, Limit};
use super::marker::{Marker, ProposalMarker};
use super::outputs::PrOperation;
use super::types::{PullRequest, WriteMode};

/// The pull request genie-gitops wants to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrDraft {
    /// The bot branch, e.g. `genie-gitops/sales`.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Title.
    pub title: String,
    /// Body without the marker (the lever-impact report).
    pub body: String,
    /// What the pull request proposes; written into the body.
    pub marker: ProposalMarker,
    /// Labels to put on a new pull request.
    pub labels: Vec<String>,
    /// Link to the full report, used when the body has to be trimmed.
    pub full_report: Option<String>,
}

impl PrDraft {
    /// The body as posted: report trimmed to the limit, then the marker.
    pub fn full_body(&self) -> String {
        let body = format!(
            "{}\n\n{}\n",
            self.body.trim_end(),
            Marker::Proposal(self.marker.clone()).render()
        );
        limits::fit(&body, Limit::Body, self.full_report.as_deref())
    }
}

/// The outcome of a pull request write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrResult {
    /// What happened (for dry runs: what would happen).
    pub operation: PrOperation,
    /// Number, once the pull request exists.
    pub number: Option<u64>,
    /// Web address, once the pull request exists.
    pub url: Option<String>,
    /// Nothing was written because of dry-run mode.
    pub dry_run: bool,
}

/// The open pull request from `head` into `base`.
pub async fn find_open(
    gh: &GitHub,
    head: &str,
    base: &str,
) -> Result<Option<PullRequest>, GitHubError> {
    let prs = list(gh, "open", head, base).await?;
    Ok(prs.into_iter().next())
}

/// Closed pull requests from `head` into `base`, newest first, all pages.
pub async fn list_closed(
    gh: &GitHub,
    head: &str,
    base: &str,
) -> Result<Vec<PullRequest>, GitHubError> {
    list(gh, "closed", head, base).await
}

async fn list(
    gh: &GitHub,
    state: &str,
    head: &str,
    base: &str,
) -> Result<Vec<PullRequest>, GitHubError> {
    #[derive(Serialize)]
    struct Query<'a> {
        state: &'a str,
        head: String,
        base: &'a str,
    }
    let query = Query {
        state,
        head: format!("{}:{head}", gh.repo().owner),
        base,
    };
    gh.get_all(&gh.repo_route("/pulls"), &query).await
}

/// The closed, unmerged pull request that already proposed `marker`'s change for its space.
pub fn declined<'a>(closed: &'a [PullRequest], marker: &ProposalMarker) -> Option<&'a PullRequest> {
    closed.iter().find(|pr| {
        pr.is_declined()
            && pr
                .body
                .as_deref()
                .and_then(Marker::find_proposal)
                .is_some_and(|m| m.space == marker.space && m.proposal_hash == marker.proposal_hash)
    })
}

/// Makes the open pull request for `draft.head` show the draft: creates it, or edits the title
/// and body when they differ (an unchanged pull request is not touched).
pub async fn upsert(
    gh: &GitHub,
    draft: &PrDraft,
    mode: WriteMode,
) -> Result<PrResult, GitHubError> {
    let body = draft.full_body();
    if let Some(existing) = find_open(gh, &draft.head, &draft.base).await? {
        return update(gh, &existing, &draft.title, &body, mode).await;
    }
    if mode == WriteMode::DryRun {
        return Ok(PrResult {
            operation: PrOperation::Created,
            number: None,
            url: None,
            dry_run: true,
        });
    }
    #[derive(Serialize)]
    struct NewPr<'a> {
        title: &'a str,
        head: &'a str,
        base: &'a str,
        body: &'a str,
        maintainer_can_modify: bool,
    }
    let new = NewPr {
        title: &draft.title,
        head: &draft.head,
        base: &draft.base,
        body: &body,
        maintainer_can_modify: false,
    };
    let created: Result<PullRequest, _> = gh.post(&gh.repo_route("/pulls"), &new).await;
    let created = match created {
        Ok(pr) => pr,
        // Another run opened it between our lookup and our create: update that one.
        Err(e) if e.status() == Some(422) && e.message().is_some_and(already_exists) => {
            match find_open(gh, &draft.head, &draft.base).await? {
                Some(existing) => return update(gh, &existing, &draft.title, &body, mode).await,
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    if !draft.labels.is_empty() {
        add_labels(gh, created.number, &draft.labels).await?;
    }
    Ok(PrResult {
        operation: PrOperation::Created,
        number: Some(created.number),
        url: Some(created.html_url),
        dry_run: false,
    })
}

/// Closes pull request `number` (e.g. when the base already holds its change).
pub async fn close(gh: &GitHub, number: u64, mode: WriteMode) -> Result<PrResult, GitHubError> {
    if mode == WriteMode::Apply {
        let _closed: PullRequest = gh
            .patch(
                &gh.repo_route(&format!("/pulls/{number}")),
                &serde_json::json!({ "state": "closed" }),
            )
            .await?;
    }
    Ok(PrResult {
        operation: PrOperation::Closed,
        number: Some(number),
        url: None,
        dry_run: mode == WriteMode::DryRun,
    })
}

/// Pull requests that contain commit `sha` (for a push to main: the merged pull request).
pub async fn for_commit(gh: &GitHub, sha: &str) -> Result<Vec<PullRequest>, GitHubError> {
    gh.get_all(&gh.repo_route(&format!("/commits/{sha}/pulls")), &())
        .await
}

async fn update(
    gh: &GitHub,
    existing: &PullRequest,
    title: &str,
    body: &str,
    mode: WriteMode,
) -> Result<PrResult, GitHubError> {
    let unchanged = existing.title == title && existing.body.as_deref() == Some(body);
    let result = |operation| PrResult {
        operation,
        number: Some(existing.number),
        url: Some(existing.html_url.clone()),
        dry_run: mode == WriteMode::DryRun,
    };
    if unchanged {
        return Ok(result(PrOperation::None));
    }
    if mode == WriteMode::Apply {
        #[derive(Serialize)]
        struct Edit<'a> {
            title: &'a str,
            body: &'a str,
        }
        let _updated: PullRequest = gh
            .patch(
                &gh.repo_route(&format!("/pulls/{}", existing.number)),
                &Edit { title, body },
            )
            .await?;
    }
    Ok(result(PrOperation::Updated))
}

async fn add_labels(gh: &GitHub, number: u64, labels: &[String]) -> Result<(), GitHubError> {
    let _labels: serde_json::Value = gh
        .post(
            &gh.repo_route(&format!("/issues/{number}/labels")),
            &serde_json::json!({ "labels": labels }),
        )
        .await?;
    Ok(())
}

fn already_exists(message: &str) -> bool {
    message.contains("A pull request already exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::types::PrBranch;

    fn pr(number: u64, state: &str, merged: bool, hash: &str) -> PullRequest {
        let marker = Marker::Proposal(ProposalMarker {
            space: "sales".into(),
            proposal_hash: hash.into(),
            base_sha: "b".into(),
        });
        PullRequest {
            number,
            html_url: String::new(),
            state: state.into(),
            title: String::new(),
            body: Some(format!("report\n{}", marker.render())),
            merged_at: merged.then(|| "2026-01-01T00:00:00Z".into()),
            head: PrBranch {
                branch: "genie-gitops/sales".into(),
                sha: "h".into(),
            },
            base: PrBranch {
                branch: "main".into(),
                sha: "b".into(),
            },
            user: None,
        }
    }

    #[test]
    fn a_proposal_closed_unmerged_is_declined_but_a_merged_one_is_not() {
        let wanted = ProposalMarker {
            space: "sales".into(),
            proposal_hash: "h1".into(),
            base_sha: "other-base".into(),
        };
        let closed = vec![pr(1, "closed", true, "h1"), pr(2, "closed", false, "h2")];
        assert!(declined(&closed, &wanted).is_none());
        let closed = vec![pr(3, "closed", false, "h1")];
        assert_eq!(declined(&closed, &wanted).map(|p| p.number), Some(3));
    }

    #[test]
    fn the_draft_body_carries_the_marker_that_reads_back() {
        let draft = PrDraft {
            head: "genie-gitops/sales".into(),
            base: "main".into(),
            title: "t".into(),
            body: "report".into(),
            marker: ProposalMarker {
                space: "sales".into(),
                proposal_hash: "h".into(),
                base_sha: "b".into(),
            },
            labels: vec![],
            full_report: None,
        };
        assert_eq!(
            Marker::find_proposal(&draft.full_body()),
            Some(draft.marker.clone())
        );
    }
}
