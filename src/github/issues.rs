//! Tracking issues: one open issue per kind and space (a regression, drift, a failed deploy),
//! found by its marker and author among the open issues with the bot's label, opened or
//! updated while the problem lasts and closed with a comment once it is gone.

use serde::Serialize;

use super::client::{GitHub, GitHubError};
use super::comments;
use super::limits::{self, Limit};
use super::marker::Marker;
use super::types::{Issue, WriteMode, authored_by};

/// What happened to a tracking issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueAction {
    /// Opened (dry run: would open).
    Opened,
    /// Edited (dry run: would edit).
    Updated,
    /// Already says this.
    Unchanged,
    /// Closed (dry run: would close).
    Closed,
    /// No open issue to close.
    NoneOpen,
}

/// The outcome of a tracking-issue write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueResult {
    /// What was (or would be) done.
    pub action: IssueAction,
    /// The issue's number, when it exists.
    pub number: Option<u64>,
    /// The issue's web address, when it exists.
    pub url: Option<String>,
}

/// The marker of the tracking issue of `kind` (about `space`, when given).
pub fn tracking_marker(kind: &str, space: Option<&str>) -> Marker {
    Marker::Issue {
        kind: kind.to_owned(),
        space: space.map(str::to_owned),
    }
}

/// The open tracking issue carrying `marker`, written by `bot`, among issues labelled `label`.
pub async fn find_open(
    gh: &GitHub,
    marker: &Marker,
    bot: &str,
    label: &str,
) -> Result<Option<Issue>, GitHubError> {
    #[derive(Serialize)]
    struct Query<'a> {
        state: &'a str,
        labels: &'a str,
    }
    let issues: Vec<Issue> = gh
        .get_all(
            &gh.repo_route("/issues"),
            &Query {
                state: "open",
                labels: label,
            },
        )
        .await?;
    Ok(issues.into_iter().find(|i| {
        i.pull_request.is_none()
            && authored_by(i.user.as_ref(), bot)
            && i.body.as_deref().is_some_and(|b| marker.is_in(b))
    }))
}

/// Opens the tracking issue for `marker`, or edits the open one, to show `title` and `text`.
#[allow(clippy::too_many_arguments)]
pub async fn upsert(
    gh: &GitHub,
    marker: &Marker,
    bot: &str,
    label: &str,
    title: &str,
    text: &str,
    full_report: Option<&str>,
    mode: WriteMode,
) -> Result<IssueResult, GitHubError> {
    let body = limits::fit(
        &format!("{}\n\n{}\n", text.trim_end(), marker.render()),
        Limit::Body,
        full_report,
    );
    let existing = find_open(gh, marker, bot, label).await?;
    if let Some(issue) = existing {
        let result = |action| IssueResult {
            action,
            number: Some(issue.number),
            url: Some(issue.html_url.clone()),
        };
        if issue.title == title && issue.body.as_deref() == Some(body.as_str()) {
            return Ok(result(IssueAction::Unchanged));
        }
        if mode == WriteMode::Apply {
            let _edited: Issue = gh
                .patch(
                    &gh.repo_route(&format!("/issues/{}", issue.number)),
                    &serde_json::json!({ "title": title, "body": body }),
                )
                .await?;
        }
        return Ok(result(IssueAction::Updated));
    }
    if mode == WriteMode::DryRun {
        return Ok(IssueResult {
            action: IssueAction::Opened,
            number: None,
            url: None,
        });
    }
    let opened: Issue = gh
        .post(
            &gh.repo_route("/issues"),
            &serde_json::json!({ "title": title, "body": body, "labels": [label] }),
        )
        .await?;
    Ok(IssueResult {
        action: IssueAction::Opened,
        number: Some(opened.number),
        url: Some(opened.html_url),
    })
}

/// Closes the open tracking issue for `marker`, after commenting `why`.
pub async fn close(
    gh: &GitHub,
    marker: &Marker,
    bot: &str,
    label: &str,
    why: &str,
    mode: WriteMode,
) -> Result<IssueResult, GitHubError> {
    let Some(issue) = find_open(gh, marker, bot, label).await? else {
        return Ok(IssueResult {
            action: IssueAction::NoneOpen,
            number: None,
            url: None,
        });
    };
    if mode == WriteMode::Apply {
        comments::post(gh, issue.number, why, mode).await?;
        let _closed: Issue = gh
            .patch(
                &gh.repo_route(&format!("/issues/{}", issue.number)),
                &serde_json::json!({ "state": "closed", "state_reason": "completed" }),
            )
            .await?;
    }
    Ok(IssueResult {
        action: IssueAction::Closed,
        number: Some(issue.number),
        url: Some(issue.html_url),
    })
}
