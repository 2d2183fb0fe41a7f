//! Hidden marker blocks: the state genie-gitops keeps in the text it posts, so it needs no store.
//!
//! A marker is an HTML comment holding one JSON object, invisible on GitHub:
//! `<!-- genie-gitops: {"marker":"proposal","space":"sales","proposal_hash":"…","base_sha":"…"} -->`.
//! Pull request bodies carry a [`Marker::Proposal`]; sticky comments and tracking issues carry
//! a [`Marker::Comment`] / [`Marker::Issue`] naming their kind, which is how they are found again.
//! `>` inside the JSON is written as `\u003e`, so no value can end the HTML comment early.

use serde::{Deserialize, Serialize};

/// The text that opens every marker.
pub const PREFIX: &str = "<!-- genie-gitops: ";

/// The text that closes every marker.
const SUFFIX: &str = " -->";

/// The state one marker carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "marker", rename_all = "snake_case")]
pub enum Marker {
    /// A bot pull request's body: what it proposes and on top of what.
    Proposal(ProposalMarker),
    /// A sticky comment of one kind (one per kind per pull request).
    Comment {
        /// What the comment reports, e.g. `eval`.
        kind: String,
        /// The space it is about, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        space: Option<String>,
    },
    /// A tracking issue of one kind (one open per kind and space).
    Issue {
        /// What the issue tracks, e.g. `regression` or `deploy-failure`.
        kind: String,
        /// The space it is about, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        space: Option<String>,
    },
}

/// What a bot pull request proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalMarker {
    /// The space's name.
    pub space: String,
    /// Hash of the proposed change (see `crate::github::proposal::proposal_hash`).
    pub proposal_hash: String,
    /// The base commit the branch was built on.
    pub base_sha: String,
}

impl Marker {
    /// The marker as an HTML comment, on one line.
    pub fn render(&self) -> String {
        // Serializing these plain structs cannot fail; fall back to an empty object regardless.
        let json = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        format!("{PREFIX}{}{SUFFIX}", json.replace('>', "\\u003e"))
    }

    /// Every marker in `text`, in order. Comments that start like a marker but do not hold a
    /// valid one (say, edited by hand) are skipped.
    pub fn find_all(text: &str) -> Vec<Marker> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(PREFIX) {
            let after = &rest[start + PREFIX.len()..];
            let Some(end) = after.find("-->") else { break };
            if let Ok(marker) = serde_json::from_str::<Marker>(after[..end].trim()) {
                found.push(marker);
            }
            rest = &after[end..];
        }
        found
    }

    /// The first proposal marker in `text`.
    pub fn find_proposal(text: &str) -> Option<ProposalMarker> {
        Self::find_all(text).into_iter().find_map(|m| match m {
            Marker::Proposal(p) => Some(p),
            _ => None,
        })
    }

    /// `text` holds this exact marker.
    pub fn is_in(&self, text: &str) -> bool {
        Self::find_all(text).contains(self)
    }
}

/// `text` without any marker block (for comparing what people see).
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(PREFIX) {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find("-->") {
            Some(end) => rest = &after[end + 3..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal() -> Marker {
        Marker::Proposal(ProposalMarker {
            space: "sales".into(),
            proposal_hash: "abc123".into(),
            base_sha: "0123".into(),
        })
    }

    #[test]
    fn a_marker_reads_back_from_a_body() {
        let body = format!("# Report\n\ntext\n\n{}\n", proposal().render());
        assert_eq!(Marker::find_all(&body), vec![proposal()]);
        assert_eq!(
            Marker::find_proposal(&body).map(|p| p.proposal_hash),
            Some("abc123".into())
        );
        assert_eq!(strip(&body), "# Report\n\ntext\n\n\n");
    }

    #[test]
    fn a_marker_renders_on_one_line_in_the_documented_shape() {
        assert_eq!(
            proposal().render(),
            r#"<!-- genie-gitops: {"marker":"proposal","space":"sales","proposal_hash":"abc123","base_sha":"0123"} -->"#
        );
    }

    #[test]
    fn a_value_holding_the_comment_end_cannot_close_the_marker_early() {
        let m = Marker::Comment {
            kind: "eval-->x".into(),
            space: Some("a>b".into()),
        };
        let rendered = m.render();
        assert_eq!(rendered.matches("-->").count(), 1, "{rendered}");
        assert!(m.is_in(&format!("text {rendered} more")));
    }

    #[test]
    fn broken_or_foreign_comments_are_skipped() {
        let text = "<!-- genie-gitops: {not json} --> <!-- other --> <!-- genie-gitops: {\"marker\":\"comment\",\"kind\":\"eval\"} -->";
        assert_eq!(
            Marker::find_all(text),
            vec![Marker::Comment {
                kind: "eval".into(),
                space: None
            }]
        );
        assert!(Marker::find_all("<!-- genie-gitops: {\"marker\":\"comment\"").is_empty());
    }
}
