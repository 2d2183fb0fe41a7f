//! The event that started a workflow run, read from `GITHUB_EVENT_PATH` into a typed [`Event`].
//!
//! Only the fields the flows use are read; everything else in the payload is ignored, so the
//! webhook shape and the Actions `event.json` shape both parse. A pull request is a fork PR when
//! its head repository differs from its base repository (or is gone): `head.repo.fork` says
//! whether the *repository* is a fork, not whether the *pull request* comes from one.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::diag::Diagnostic;

/// Why an event payload cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The payload is not JSON, or lacks a field its event always has.
    #[error("{0}")]
    Invalid(Diagnostic),
}

/// A workflow run's triggering event, reduced to what genie-gitops needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `pull_request` or `pull_request_target`.
    PullRequest(PullRequestEvent),
    /// `push`.
    Push(PushEvent),
    /// `schedule`.
    Schedule(ScheduleEvent),
    /// `workflow_dispatch`.
    WorkflowDispatch(DispatchEvent),
    /// `issue_comment` (on an issue or a pull request).
    IssueComment(CommentEvent),
    /// Any other event, by name.
    Other {
        /// `GITHUB_EVENT_NAME`.
        name: String,
    },
}

/// One side (head or base) of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSide {
    /// Branch name, without `refs/heads/`.
    pub branch: String,
    /// Commit SHA.
    pub sha: String,
    /// `owner/name` of the repository; `None` when it was deleted.
    pub repo: Option<String>,
}

/// A pull request event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestEvent {
    /// `opened`, `synchronize`, `closed`, …
    pub action: String,
    /// The pull request number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Login of the pull request's author.
    pub author: String,
    /// Where the change comes from.
    pub head: PrSide,
    /// Where it would be merged.
    pub base: PrSide,
    /// Closed by merging.
    pub merged: bool,
    /// The merge commit, once merged.
    pub merge_commit_sha: Option<String>,
    /// The head lives in another repository: no secrets, read-only token.
    pub from_fork: bool,
    /// Started by `pull_request_target` (base-repository context and secrets).
    pub target: bool,
}

/// A push event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEvent {
    /// The pushed ref, e.g. `refs/heads/main`.
    pub git_ref: String,
    /// The ref's previous commit (40 zeros when created).
    pub before: String,
    /// The ref's new commit (40 zeros when deleted).
    pub after: String,
    /// The ref was deleted.
    pub deleted: bool,
}

impl PushEvent {
    /// The branch name when a branch was pushed.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }
}

/// A scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEvent {
    /// The cron expression that fired, when the payload names it.
    pub cron: Option<String>,
}

/// A manual run.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchEvent {
    /// The ref the run is on.
    pub git_ref: Option<String>,
    /// The inputs given, by name.
    pub inputs: BTreeMap<String, serde_json::Value>,
}

/// A comment event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    /// `created`, `edited`, `deleted`.
    pub action: String,
    /// The issue or pull request number.
    pub issue_number: u64,
    /// The comment is on a pull request.
    pub on_pull_request: bool,
    /// The comment text.
    pub body: String,
    /// Login of the commenter.
    pub author: String,
    /// `OWNER`, `MEMBER`, `COLLABORATOR`, `CONTRIBUTOR`, `NONE`, …
    pub author_association: String,
}

impl CommentEvent {
    /// The commenter may ask the bot for work (owner, member or collaborator).
    pub fn author_is_trusted(&self) -> bool {
        matches!(
            self.author_association.as_str(),
            "OWNER" | "MEMBER" | "COLLABORATOR"
        )
    }
}

/// A parsed event and the warnings a user should see about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadEvent {
    /// The event.
    pub event: Event,
    /// Things worth telling the user (e.g. `pull_request_target` in use).
    pub warnings: Vec<String>,
}

/// Parses the payload `text` (read from `file`) of the event called `name`.
pub fn parse(name: &str, file: &str, text: &str) -> Result<ReadEvent, EventError> {
    let invalid = |e: serde_json::Error| {
        EventError::Invalid(
            Diagnostic::error(file, format!("cannot read the `{name}` event payload: {e}"))
                .at(e.line().max(1), e.column().max(1))
                .hint("GITHUB_EVENT_PATH must point at the JSON payload GitHub wrote for this run"),
        )
    };
    let mut warnings = Vec::new();
    let event = match name {
        "pull_request" | "pull_request_target" => {
            let raw: RawPullRequestEvent = serde_json::from_str(text).map_err(invalid)?;
            let target = name == "pull_request_target";
            if target {
                warnings.push(
                    "this run was started by `pull_request_target`: it has the base repository's \
                     secrets, so genie-gitops never evaluates files from the pull request's head \
                     here; use `pull_request` instead"
                        .to_owned(),
                );
            }
            Event::PullRequest(raw.into_event(target))
        }
        "push" => {
            let raw: RawPush = serde_json::from_str(text).map_err(invalid)?;
            Event::Push(PushEvent {
                git_ref: raw.git_ref,
                before: raw.before,
                after: raw.after,
                deleted: raw.deleted,
            })
        }
        "schedule" => {
            let raw: RawSchedule = serde_json::from_str(text).map_err(invalid)?;
            Event::Schedule(ScheduleEvent { cron: raw.schedule })
        }
        "workflow_dispatch" => {
            let raw: RawDispatch = serde_json::from_str(text).map_err(invalid)?;
            Event::WorkflowDispatch(DispatchEvent {
                git_ref: raw.git_ref,
                inputs: raw.inputs.unwrap_or_default(),
            })
        }
        "issue_comment" => {
            let raw: RawIssueComment = serde_json::from_str(text).map_err(invalid)?;
            Event::IssueComment(CommentEvent {
                action: raw.action,
                issue_number: raw.issue.number,
                on_pull_request: raw.issue.pull_request.is_some(),
                body: raw.comment.body.unwrap_or_default(),
                author: raw.comment.user.login,
                author_association: raw.comment.author_association.unwrap_or_default(),
            })
        }
        other => {
            serde_json::from_str::<serde_json::Value>(text).map_err(invalid)?;
            Event::Other {
                name: other.to_owned(),
            }
        }
    };
    Ok(ReadEvent { event, warnings })
}

#[derive(Deserialize)]
struct RawUser {
    login: String,
}

#[derive(Deserialize)]
struct RawRepo {
    full_name: String,
}

#[derive(Deserialize)]
struct RawSide {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
    repo: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawPullRequest {
    number: u64,
    #[serde(default)]
    title: String,
    user: RawUser,
    head: RawSide,
    base: RawSide,
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
}

#[derive(Deserialize)]
struct RawPullRequestEvent {
    action: String,
    pull_request: RawPullRequest,
}

impl RawPullRequestEvent {
    fn into_event(self, target: bool) -> PullRequestEvent {
        let pr = self.pull_request;
        let side = |s: RawSide| PrSide {
            branch: s.git_ref,
            sha: s.sha,
            repo: s.repo.map(|r| r.full_name),
        };
        let head = side(pr.head);
        let base = side(pr.base);
        let from_fork = match (&head.repo, &base.repo) {
            (Some(h), Some(b)) => !h.eq_ignore_ascii_case(b),
            _ => true,
        };
        PullRequestEvent {
            action: self.action,
            number: pr.number,
            title: pr.title,
            author: pr.user.login,
            head,
            base,
            merged: pr.merged.unwrap_or(false),
            merge_commit_sha: pr.merge_commit_sha,
            from_fork,
            target,
        }
    }
}

#[derive(Deserialize)]
struct RawPush {
    #[serde(rename = "ref")]
    git_ref: String,
    before: String,
    after: String,
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
struct RawSchedule {
    #[serde(default)]
    schedule: Option<String>,
}

#[derive(Deserialize)]
struct RawDispatch {
    #[serde(rename = "ref", default)]
    git_ref: Option<String>,
    #[serde(default)]
    inputs: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct RawIssue {
    number: u64,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawComment {
    #[serde(default)]
    body: Option<String>,
    user: RawUser,
    #[serde(default)]
    author_association: Option<String>,
}

#[derive(Deserialize)]
struct RawIssueComment {
    action: String,
    issue: RawIssue,
    comment: RawComment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_same_repository_pull_request_is_not_a_fork() {
        let text = r#"{"action":"opened","pull_request":{"number":3,"title":"t","user":{"login":"ann"},
            "head":{"ref":"genie-gitops/sales","sha":"aa","repo":{"full_name":"acme/genie"}},
            "base":{"ref":"main","sha":"bb","repo":{"full_name":"acme/genie"}}}}"#;
        let read = parse("pull_request", "event.json", text).unwrap();
        let Event::PullRequest(pr) = read.event else {
            panic!("not a pull request event");
        };
        assert!(!pr.from_fork && !pr.target);
        assert_eq!(
            (pr.number, pr.head.branch.as_str()),
            (3, "genie-gitops/sales")
        );
        assert!(read.warnings.is_empty());
    }

    #[test]
    fn pull_request_target_is_read_with_a_warning() {
        let text = r#"{"action":"opened","pull_request":{"number":3,"user":{"login":"ann"},
            "head":{"ref":"x","sha":"aa","repo":null},"base":{"ref":"main","sha":"bb","repo":{"full_name":"a/b"}}}}"#;
        let read = parse("pull_request_target", "event.json", text).unwrap();
        let Event::PullRequest(pr) = read.event else {
            panic!("not a pull request event");
        };
        assert!(
            pr.target && pr.from_fork,
            "a deleted head repository counts as a fork"
        );
        assert!(read.warnings[0].contains("pull_request_target"));
    }

    #[test]
    fn a_broken_payload_names_its_file_and_position() {
        let err = parse("push", "/tmp/event.json", "{\n  \"ref\": 1\n}").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/tmp/event.json:2:"), "{text}");
        assert!(text.contains("GITHUB_EVENT_PATH"), "{text}");
    }

    #[test]
    fn only_owners_members_and_collaborators_are_trusted_commenters() {
        let comment = |assoc: &str| CommentEvent {
            action: "created".into(),
            issue_number: 1,
            on_pull_request: true,
            body: String::new(),
            author: "x".into(),
            author_association: assoc.into(),
        };
        assert!(comment("MEMBER").author_is_trusted());
        assert!(!comment("CONTRIBUTOR").author_is_trusted());
        assert!(!comment("NONE").author_is_trusted());
    }
}
