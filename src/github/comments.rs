//! Sticky comments: one comment per kind on a pull request, found by its marker **and** its
//! author across every page of comments, and edited in place. A run posts a placeholder first
//! ("⌛ evaluating…") and replaces it with the report, so reviewers see the bot at work.

use serde::Serialize;

use super::client::{GitHub, GitHubError};
use super::limits::{self, Limit};
use super::marker::Marker;
use super::types::{Comment, WriteMode, authored_by};

/// What happened to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    /// Posted a new comment.
    Created,
    /// Edited the existing one.
    Updated,
    /// The existing one already says this.
    Unchanged,
    /// Dry run: a comment would be posted.
    WouldCreate,
    /// Dry run: the existing comment would be edited.
    WouldUpdate,
}

/// The outcome of a comment write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentResult {
    /// What was done.
    pub action: CommentAction,
    /// The comment's id (none when one would be created).
    pub id: Option<u64>,
    /// The comment's web address (none when one would be created).
    pub url: Option<String>,
}

/// The marker of the sticky comment of `kind` (about `space`, when given).
pub fn sticky_marker(kind: &str, space: Option<&str>) -> Marker {
    Marker::Comment {
        kind: kind.to_owned(),
        space: space.map(str::to_owned),
    }
}

/// The placeholder a sticky comment shows while a run is working.
pub fn placeholder(what: &str) -> String {
    format!("⌛ {what}… this comment will be replaced by the report when the run finishes.\n")
}

/// The body genie-gitops posts: `text` trimmed to GitHub's limit, then the marker.
pub fn compose(text: &str, marker: &Marker, full_report: Option<&str>) -> String {
    let body = format!("{}\n\n{}\n", text.trim_end(), marker.render());
    limits::fit(&body, Limit::Body, full_report)
}

/// The bot's comment carrying `marker` among `comments` (the oldest, when several do).
pub fn find_sticky<'a>(comments: &'a [Comment], marker: &Marker, bot: &str) -> Option<&'a Comment> {
    comments.iter().find(|c| {
        authored_by(c.user.as_ref(), bot) && c.body.as_deref().is_some_and(|b| marker.is_in(b))
    })
}

/// Every comment on issue or pull request `number`, all pages.
pub async fn list(gh: &GitHub, number: u64) -> Result<Vec<Comment>, GitHubError> {
    gh.get_all(&gh.repo_route(&format!("/issues/{number}/comments")), &())
        .await
}

/// Creates or edits the sticky comment `marker` on `number` so that it shows `text`.
pub async fn upsert_sticky(
    gh: &GitHub,
    number: u64,
    marker: &Marker,
    bot: &str,
    text: &str,
    full_report: Option<&str>,
    mode: WriteMode,
) -> Result<CommentResult, GitHubError> {
    let body = compose(text, marker, full_report);
    let comments = list(gh, number).await?;
    match find_sticky(&comments, marker, bot) {
        Some(existing) if existing.body.as_deref() == Some(body.as_str()) => Ok(CommentResult {
            action: CommentAction::Unchanged,
            id: Some(existing.id),
            url: Some(existing.html_url.clone()),
        }),
        Some(existing) => match mode {
            WriteMode::DryRun => Ok(CommentResult {
                action: CommentAction::WouldUpdate,
                id: Some(existing.id),
                url: Some(existing.html_url.clone()),
            }),
            WriteMode::Apply => {
                let updated = edit(gh, existing.id, &body).await?;
                Ok(CommentResult {
                    action: CommentAction::Updated,
                    id: Some(updated.id),
                    url: Some(updated.html_url),
                })
            }
        },
        None => post(gh, number, &body, mode).await,
    }
}

/// Posts a new, plain comment (e.g. "deployed" on a merged pull request), trimmed to the limit.
pub async fn post(
    gh: &GitHub,
    number: u64,
    body: &str,
    mode: WriteMode,
) -> Result<CommentResult, GitHubError> {
    if mode == WriteMode::DryRun {
        return Ok(CommentResult {
            action: CommentAction::WouldCreate,
            id: None,
            url: None,
        });
    }
    #[derive(Serialize)]
    struct NewComment<'a> {
        body: &'a str,
    }
    let body = limits::fit(body, Limit::Body, None);
    let created: Comment = gh
        .post(
            &gh.repo_route(&format!("/issues/{number}/comments")),
            &NewComment { body: &body },
        )
        .await?;
    Ok(CommentResult {
        action: CommentAction::Created,
        id: Some(created.id),
        url: Some(created.html_url),
    })
}

async fn edit(gh: &GitHub, id: u64, body: &str) -> Result<Comment, GitHubError> {
    #[derive(Serialize)]
    struct Edit<'a> {
        body: &'a str,
    }
    gh.patch(
        &gh.repo_route(&format!("/issues/comments/{id}")),
        &Edit { body },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::types::User;

    fn comment(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: Some(body.to_owned()),
            user: Some(User {
                login: login.to_owned(),
            }),
            html_url: format!("https://x/{id}"),
        }
    }

    #[test]
    fn the_sticky_comment_needs_both_the_marker_and_the_bot_as_author() {
        let marker = sticky_marker("eval", Some("sales"));
        let other_kind = sticky_marker("deploy", Some("sales"));
        let comments = vec![
            comment(1, "mallory", &compose("fake", &marker, None)),
            comment(
                2,
                "github-actions[bot]",
                &compose("other", &other_kind, None),
            ),
            comment(3, "GitHub-Actions[bot]", &compose("ours", &marker, None)),
            comment(4, "github-actions[bot]", &compose("dup", &marker, None)),
        ];
        let found = find_sticky(&comments, &marker, "github-actions[bot]").map(|c| c.id);
        assert_eq!(found, Some(3));
    }

    #[test]
    fn a_composed_body_ends_with_its_marker_even_when_trimmed() {
        let marker = sticky_marker("eval", None);
        let long = format!("verdict\n## A\n{}\n", "x".repeat(70_000));
        let body = compose(&long, &marker, Some("https://run"));
        assert!(body.chars().count() <= limits::BODY_MAX_CHARS);
        assert!(body.trim_end().ends_with(&marker.render()));
    }
}
