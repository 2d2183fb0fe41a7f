//! `genie-gitops demo`: the nightly loop end to end with no workspace and no GitHub account —
//! the example repository in a fresh git repository with a local bare remote, the built-in
//! simulator as the workspace and a local stand-in for GitHub. Prints where the bot branch,
//! its commits and the pull request (and its body) are, and accuracy before → after.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args as ClapArgs;

use super::{Exit, OutputFormat};
use crate::eval::stats::Accuracy;
use crate::runner::demo::{self, DemoReport};
use crate::runner::nightly::{BaselineCheck, SpaceNight};

/// Run the whole nightly loop on the built-in simulator and a local stand-in for GitHub.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Build the demo in this new or empty directory (default: a new directory under the
    /// system's temporary directory). Either way it is kept, to look at afterwards.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// `text`: where everything is, for people; `json`: the same as one JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

pub async fn run(args: Args) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let report = demo::run(args.keep.as_deref()).await?;
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        OutputFormat::Text => write!(out, "{}", render(&report))?,
    }
    eprintln!("demo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(Exit::Ok)
}

/// The text output: what ran, then where each result is and how to look at it.
pub fn render(r: &DemoReport) -> String {
    let mut out = String::from(
        "genie-gitops demo: the nightly flow on the built-in simulator (a stand-in for Genie, \
         not Genie) and a local stand-in for GitHub.\n\n",
    );
    let line = |out: &mut String, label: &str, value: String| {
        out.push_str(&format!("{label:<13} {value}\n"));
    };
    line(
        &mut out,
        "repository",
        format!(
            "{} (the example, committed on `main`)",
            r.repository.display()
        ),
    );
    line(
        &mut out,
        "remote",
        format!("{} (its `origin`)", r.remote.display()),
    );
    if let Some(live) = &r.live {
        line(&mut out, "live space", percent(live));
    }
    if let Some(night) = r.nightly.spaces.first() {
        line(&mut out, "checks", checks(night));
    }
    if let Some((before, after)) = &r.train {
        line(
            &mut out,
            "accuracy",
            format!("train {} → {}", percent(before), percent(after)),
        );
    }
    if let Some(held_out) = &r.held_out {
        let after = held_out
            .after
            .as_ref()
            .map_or_else(|| "not asked".to_owned(), percent);
        line(
            &mut out,
            "",
            format!(
                "held-out {} → {after} (never used for proposals)",
                percent(&held_out.before)
            ),
        );
    }
    line(
        &mut out,
        "branch",
        format!(
            "{} in the remote, {} commit(s), one per accepted lever:",
            r.branch,
            r.commits.len()
        ),
    );
    for c in &r.commits {
        out.push_str(&format!(
            "  {} {}\n",
            c.sha.get(..7).unwrap_or(&c.sha),
            c.summary
        ));
    }
    match &r.pull_request {
        Some(pr) => {
            line(
                &mut out,
                "pull request",
                format!("#{} {} ({})", pr.number, pr.title, pr.url),
            );
            line(&mut out, "  body", pr.body_file.display().to_string());
        }
        None => line(&mut out, "pull request", "none was opened".into()),
    }
    out.push_str(&format!(
        "\nLook around:\n  git -C {} log --stat main..{}\n  less {}\nRemove it all with: rm -rf {}\n",
        r.remote.display(),
        r.branch,
        r.pull_request.as_ref().map_or_else(
            || r.dir.display().to_string(),
            |pr| pr.body_file.display().to_string()
        ),
        r.dir.display()
    ));
    out
}

/// The regression and drift checks and the tracking issue, in one line.
fn checks(night: &SpaceNight) -> String {
    let baseline = match &night.baseline {
        BaselineCheck::Compared { newly_failing, .. } => {
            format!("{} newly failing since the baseline", newly_failing.len())
        }
        _ => "no baseline yet (deploy records one)".to_owned(),
    };
    let drift = match night.drift.len() {
        0 => "live matches the repository".to_owned(),
        n => format!("{n} drift(s) from the repository"),
    };
    let issue = night
        .issue
        .as_ref()
        .map_or("skipped", |i| i.action.as_str());
    format!(
        "{baseline}; {drift}; tracking issue: {}",
        issue.replace('_', " ")
    )
}

fn percent(a: &Accuracy) -> String {
    format!("{:.1}% ({}/{})", a.rate * 100.0, a.correct, a.total)
}
