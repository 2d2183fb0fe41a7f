//! What a step hands back to its workflow: `$GITHUB_OUTPUT` values and the job summary.
//!
//! Outputs use the multiline `name<<DELIMITER` syntax, so any value (even one with newlines) is
//! safe; the delimiter is chosen so that it never occurs in the value. The summary is appended
//! within what is left of the step's 1 MiB budget, trimmed by whole sections (see [`super::limits`]).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use super::limits::{self, Limit};

/// What happened to the bot's pull request in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrOperation {
    /// A pull request was opened.
    Created,
    /// The open pull request got a new branch head, title or body.
    Updated,
    /// The pull request was closed (its change is no longer needed).
    Closed,
    /// Nothing changed.
    None,
}

impl PrOperation {
    /// The output value: `created`, `updated`, `closed` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrOperation::Created => "created",
            PrOperation::Updated => "updated",
            PrOperation::Closed => "closed",
            PrOperation::None => "none",
        }
    }
}

/// The action's outputs; unset ones are not written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionOutputs {
    /// `pr-number`.
    pub pr_number: Option<u64>,
    /// `pr-url`.
    pub pr_url: Option<String>,
    /// `pr-operation`.
    pub pr_operation: Option<PrOperation>,
    /// `accuracy`, 0–1.
    pub accuracy: Option<f64>,
    /// `regressions`: questions that went from pass to fail.
    pub regressions: Option<u32>,
    /// `deployed`: the merged commit reached the workspace.
    pub deployed: Option<bool>,
}

impl ActionOutputs {
    /// The set outputs as (name, value), in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(n) = self.pr_number {
            pairs.push(("pr-number", n.to_string()));
        }
        if let Some(url) = &self.pr_url {
            pairs.push(("pr-url", url.clone()));
        }
        if let Some(op) = self.pr_operation {
            pairs.push(("pr-operation", op.as_str().to_owned()));
        }
        if let Some(a) = self.accuracy {
            pairs.push(("accuracy", format!("{a:.4}")));
        }
        if let Some(r) = self.regressions {
            pairs.push(("regressions", r.to_string()));
        }
        if let Some(d) = self.deployed {
            pairs.push(("deployed", d.to_string()));
        }
        pairs
    }

    /// The `$GITHUB_OUTPUT` text for these outputs.
    pub fn render(&self) -> String {
        self.pairs()
            .iter()
            .map(|(name, value)| render_output(name, value))
            .collect()
    }
}

/// One output in the multiline syntax, with a delimiter that does not occur in `value`.
pub fn render_output(name: &str, value: &str) -> String {
    let mut delimiter = "GENIE_GITOPS_EOF".to_owned();
    let mut n = 0;
    while value.contains(&delimiter) {
        n += 1;
        delimiter = format!("GENIE_GITOPS_EOF_{n}");
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// Appends `outputs` to the `$GITHUB_OUTPUT` file.
pub fn write_outputs(file: &Path, outputs: &ActionOutputs) -> Result<()> {
    append(file, &outputs.render())
}

/// Appends `markdown` to the job summary file, trimmed to what is left of the step's 1 MiB.
/// Returns the text written.
pub fn append_summary(file: &Path, markdown: &str, full_report: Option<&str>) -> Result<String> {
    let used = match std::fs::metadata(file) {
        Ok(meta) => usize::try_from(meta.len()).unwrap_or(usize::MAX),
        Err(_) => 0,
    };
    let left = limits::SUMMARY_MAX_BYTES.saturating_sub(used);
    let text = limits::fit(markdown, Limit::Bytes(left), full_report);
    append(file, &text)?;
    Ok(text)
}

fn append(file: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot open {}", file.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_use_the_multiline_syntax_in_a_fixed_order() {
        let outputs = ActionOutputs {
            pr_number: Some(12),
            pr_url: Some("https://github.com/a/b/pull/12".into()),
            pr_operation: Some(PrOperation::Created),
            accuracy: Some(0.8125),
            regressions: Some(0),
            deployed: None,
        };
        insta::assert_snapshot!(outputs.render(), @r"
        pr-number<<GENIE_GITOPS_EOF
        12
        GENIE_GITOPS_EOF
        pr-url<<GENIE_GITOPS_EOF
        https://github.com/a/b/pull/12
        GENIE_GITOPS_EOF
        pr-operation<<GENIE_GITOPS_EOF
        created
        GENIE_GITOPS_EOF
        accuracy<<GENIE_GITOPS_EOF
        0.8125
        GENIE_GITOPS_EOF
        regressions<<GENIE_GITOPS_EOF
        0
        GENIE_GITOPS_EOF
        ");
    }

    #[test]
    fn a_value_holding_the_delimiter_gets_another_one() {
        let text = render_output("x", "a\nGENIE_GITOPS_EOF\nb");
        assert!(text.starts_with("x<<GENIE_GITOPS_EOF_1\n"), "{text}");
        assert!(text.ends_with("\nGENIE_GITOPS_EOF_1\n"));
    }

    #[test]
    fn the_summary_is_appended_within_the_steps_budget() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("summary.md");
        std::fs::write(&file, "x".repeat(limits::SUMMARY_MAX_BYTES - 1000)).unwrap();
        let report = format!("verdict\n## A\n{}\n## B\nok\n", "y".repeat(5000));
        let written = append_summary(&file, &report, Some("https://r")).unwrap();
        assert!(
            written.contains("`A`") && written.contains("## B"),
            "{written}"
        );
        let total = std::fs::metadata(&file).unwrap().len() as usize;
        assert!(total <= limits::SUMMARY_MAX_BYTES, "{total}");
    }
}
