//! The nightly flow (`genie-gitops nightly`, and the demo): for each space of the repository,
//!
//! 1. **evaluate the live space** (every benchmark question, as `evaluate --against live`);
//! 2. **regression**: compare with the last verified baseline, the git note `deploy` leaves on
//!    the deployed commit (`git::notes::latest` from `HEAD`); **drift**: compare the live space
//!    with the repository's file, semantically, templates resolved. Either → the space's
//!    tracking issue is opened or updated; neither → an open one is closed;
//! 3. **optimize** on temporary spaces (as `optimize` does) and turn the accepted steps into one
//!    commit per lever, then **publish** them (`github::proposal::publish`: rebuilt on the base,
//!    pushed with a lease, the pull request upserted with the lever-impact report as its body);
//!    a sticky comment on the pull request says what the night found — and says "paused" when a
//!    person committed on the bot branch;
//! 4. the step outputs and the job summary (`ActionContext::finish`).
//!
//! A dry run writes nothing anywhere: it asks Genie nothing and creates no temporary space, so
//! it prints the evaluate and optimize plans, checks drift (reads only) and says what it would
//! do on GitHub. Without a GitHub repository and token the GitHub steps are skipped and the
//! report says so.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::action::ActionContext;
use super::connect::connect;
use super::evaluate::{self, Against, PrepareError};
use super::live::{self, Unresolved};
use super::optimize::{self as optimizer, CheckpointFile, Finish, Workspaces};
use super::simulator;
use crate::databricks::Workspace;
use crate::databricks::auth::Environment;
use crate::eval::results::{self, QuestionResult, RunResults};
use crate::eval::scope::Scope;
use crate::eval::stats::Accuracy;
use crate::git::branch::{BranchOutcome, LeverCommit};
use crate::git::fs::load_dir;
use crate::git::notes;
use crate::git::remote::Remote;
use crate::git::repo::GitRepo;
use crate::github::comments::{self, CommentAction};
use crate::github::issues::{self, IssueAction};
use crate::github::outputs::{ActionOutputs, PrOperation};
use crate::github::proposal::{self, ProposalOutcome, ProposalRequest};
use crate::github::pulls;
use crate::github::types::WriteMode;
use crate::model::project::Project;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::semantic::{Difference, differences};
use crate::model::space::{self, SerializedSpace};
use crate::optimize::checkpoint::StopReason;
use crate::report::optimize::{self as optimize_report, OptimizeReport, RunContext};
use crate::report::{self, Report};

/// The marker kind of the nightly tracking issue and of the nightly sticky comment.
pub const KIND: &str = "nightly";

/// The label a tracking issue gets when the settings list none.
const DEFAULT_LABEL: &str = "genie-gitops";

/// What the command line chose.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this space (default: every space of the repository).
    pub space: Option<String>,
    /// The target whose workspace holds the live space (default: the default target).
    pub target: Option<String>,
    /// The branch proposals are merged into (default: the checkout's branch, else `main`).
    pub base: Option<String>,
    /// The git remote to push to (default: see [`ActionContext::remote`]).
    pub remote: Option<String>,
    /// The optimizer's Genie-question budget (it stops with what it has accepted by then).
    pub max_questions: Option<usize>,
    /// The workspace is the built-in simulator: ask as fast as it answers.
    pub simulator: bool,
}

/// One nightly run's inputs.
pub struct Request<'a> {
    /// The repository directory (`--repo`), inside a git work tree.
    pub repo_dir: &'a Path,
    pub options: &'a Options,
    /// Where the workspace's host and credentials come from.
    pub databricks: &'a dyn Environment,
    /// GitHub, the bot's identity and the write mode.
    pub ctx: &'a ActionContext,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NightlyError {
    /// The repository's files do not load: one `file:line:col: error: …` diagnostic per line
    /// (exit 3).
    #[error("{0}")]
    Files(String),
    /// The repository cannot be run as configured (exit 3).
    #[error("{0}")]
    Config(String),
    /// Network, authentication, git or disk (exit 1).
    #[error(transparent)]
    Operational(#[from] anyhow::Error),
}

impl From<PrepareError> for NightlyError {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Files(diagnostics) => {
                NightlyError::Files(render_diagnostics(&diagnostics))
            }
            PrepareError::Config(message) => NightlyError::Config(message),
        }
    }
}

/// What a run found and did, for every space.
#[derive(Debug, Clone, Serialize)]
pub struct NightlyReport {
    /// Nothing was written anywhere.
    pub dry_run: bool,
    /// The branch proposals target.
    pub base: String,
    pub spaces: Vec<SpaceNight>,
}

impl NightlyReport {
    /// A space regressed against its baseline or drifted from the repository (exit 2).
    pub fn needs_attention(&self) -> bool {
        self.spaces.iter().any(SpaceNight::needs_attention)
    }
}

/// One space's night.
#[derive(Debug, Clone, Serialize)]
pub struct SpaceNight {
    pub space: String,
    pub target: String,
    /// The live space and how it was found.
    pub live_space_id: String,
    pub resolution: String,
    /// The live evaluation; `None` in a dry run (its plan is in `evaluate_plan`).
    pub live: Option<LiveResult>,
    /// The live evaluation's results document (not in the JSON output: `evaluate` writes it).
    #[serde(skip)]
    pub results: Option<RunResults>,
    /// The evaluation a real run makes (dry runs only).
    pub evaluate_plan: Option<evaluate::Plan>,
    pub baseline: BaselineCheck,
    /// Where the live space means something else than the repository's file.
    pub drift: Vec<Difference>,
    /// The tracking issue; `None` without GitHub, or when a dry run cannot tell.
    pub issue: Option<IssueStep>,
    pub optimize: OptimizeStep,
    pub proposal: ProposalStep,
    /// The nightly sticky comment on the pull request, when one was written.
    pub comment: Option<String>,
    /// Steps skipped, and why.
    pub skipped: Vec<String>,
}

impl SpaceNight {
    /// Regression against the baseline, or drift.
    pub fn needs_attention(&self) -> bool {
        self.baseline.regressed() || !self.drift.is_empty()
    }

    /// Questions that passed at the baseline and fail now.
    pub fn regressions(&self) -> Option<u32> {
        match &self.baseline {
            BaselineCheck::Compared { newly_failing, .. } => Some(newly_failing.len() as u32),
            _ => None,
        }
    }
}

/// The live space's evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct LiveResult {
    pub accuracy: Accuracy,
    /// The settings' quality bar (min accuracy, P0) passed.
    pub gate_passed: bool,
    pub gate_failures: Vec<String>,
    /// Questions that did not pass, sorted.
    pub failing: Vec<String>,
}

/// The live evaluation against the last verified baseline.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BaselineCheck {
    /// No deploy has recorded one on this history.
    NoBaseline,
    /// Dry run: nothing was asked, so nothing to compare.
    NotMeasured { commit: Option<String> },
    Compared {
        /// The deployed commit the note is on.
        commit: String,
        baseline: Accuracy,
        current: Accuracy,
        newly_failing: Vec<String>,
        newly_passing: Vec<String>,
        /// More questions regressed than `thresholds.max_regressions` allows.
        regressed: bool,
    },
}

impl BaselineCheck {
    /// Whether the live space fell below its baseline.
    pub fn regressed(&self) -> bool {
        matches!(
            self,
            BaselineCheck::Compared {
                regressed: true,
                ..
            }
        )
    }
}

/// What happened to the tracking issue.
#[derive(Debug, Clone, Serialize)]
pub struct IssueStep {
    /// `opened`, `updated`, `unchanged`, `closed`, `none_open` (dry run: what would happen).
    pub action: String,
    pub number: Option<u64>,
    pub url: Option<String>,
}

/// The optimizer's part.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OptimizeStep {
    /// Dry run: what a run would do.
    Planned { plan: Box<optimizer::Plan> },
    /// The run's lever-impact report.
    Ran { report: Box<OptimizeReport> },
}

/// The bot branch and pull request.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProposalStep {
    /// Nothing was published, and why.
    Skipped { reason: String },
    /// Dry run: optimize would run, then the branch and pull request would be brought up to date.
    Planned {
        branch: String,
        open_pr: Option<u64>,
    },
    /// `github::proposal::publish` ran.
    Published(Box<Published>),
}

/// What publishing did.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub branch: String,
    /// The proposal's hash.
    pub hash: String,
    /// The closed pull request that declined this exact proposal (then nothing else was done).
    pub declined_by: Option<u64>,
    /// One line: what happened to the branch.
    pub branch_outcome: String,
    /// The branch head afterwards.
    pub head: Option<String>,
    /// Set when the branch has commits the bot did not make (nothing was pushed): the
    /// paragraph the pull request shows.
    pub paused_note: Option<String>,
    /// `created`, `updated`, `closed`, `none`.
    pub pr_operation: String,
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
    /// The commit message of every lever, in order.
    pub commits: Vec<String>,
    /// The pull request body as proposed (the lever-impact report, marker not included).
    pub body: String,
    /// The step outputs this proposal sets (`pr-number`, `pr-url`, `pr-operation`).
    #[serde(skip)]
    pub outputs: ActionOutputs,
}

/// Runs the nightly flow for every space (or `--space`), then writes the step outputs and
/// the job summary.
pub async fn run(req: &Request<'_>) -> Result<NightlyReport, NightlyError> {
    let repo = load_dir(req.repo_dir)?;
    let (project, _warnings) = crate::model::project::discover(&repo)
        .map_err(|d| NightlyError::Files(render_diagnostics(&d)))?;
    let names = space_names(&project, req.options.space.as_deref())?;
    let git = GitRepo::discover(req.repo_dir)?;
    let remote = match req.ctx.remote(req.options.remote.as_deref(), req.repo_dir) {
        Ok(remote) => Some(remote),
        // Without GitHub nothing is pushed: the local notes are the only baselines.
        Err(e) if req.ctx.github.is_none() => {
            tracing::debug!("no git remote: {e:#}");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let base = base_branch(&git, req)?;
    let mut report = NightlyReport {
        dry_run: req.ctx.mode == WriteMode::DryRun,
        base: base.clone(),
        spaces: Vec::new(),
    };
    let checkout = Checkout {
        git: &git,
        remote: remote.as_ref(),
        base: &base,
        repo: &repo,
    };
    for name in names {
        let night = one_space(req, &checkout, &name).await?;
        report.spaces.push(night);
    }
    finish(req.ctx, &report)?;
    Ok(report)
}

/// The checkout the run works on.
struct Checkout<'a> {
    git: &'a GitRepo,
    /// Where the branch and the notes live; `None` only without GitHub.
    remote: Option<&'a Remote>,
    base: &'a str,
    /// The repository directory's managed files.
    repo: &'a RepoSnapshot,
}

fn space_names(project: &Project, only: Option<&str>) -> Result<Vec<String>, NightlyError> {
    let known: Vec<String> = project.spaces.keys().cloned().collect();
    match only {
        Some(name) if project.space(name).is_some() => Ok(vec![name.to_owned()]),
        Some(name) => Err(NightlyError::Config(format!(
            "unknown space `{name}`; known spaces: {}",
            known.join(", ")
        ))),
        None if known.is_empty() => Err(NightlyError::Config(
            "the repository declares no Genie space".into(),
        )),
        None => Ok(known),
    }
}

/// `--base`, else the checkout's branch, else the Actions ref, else `main`.
fn base_branch(git: &GitRepo, req: &Request<'_>) -> anyhow::Result<String> {
    if let Some(base) = &req.options.base {
        return Ok(base.clone());
    }
    let repo = git2::Repository::open(git.git_dir())?;
    if let Ok(head) = repo.head()
        && head.is_branch()
        && let Ok(name) = head.shorthand()
    {
        return Ok(name.to_owned());
    }
    let from_actions = req
        .ctx
        .env
        .git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"));
    Ok(from_actions.unwrap_or("main").to_owned())
}

async fn one_space(
    req: &Request<'_>,
    checkout: &Checkout<'_>,
    name: &str,
) -> Result<SpaceNight, NightlyError> {
    let dry_run = req.ctx.mode == WriteMode::DryRun;
    let mut prepared = evaluate::prepare(
        checkout.repo,
        &evaluate::Options {
            space: Some(name.to_owned()),
            target: req.options.target.clone(),
            scope: Scope::Full,
            against: Against::Live,
            engine: None,
            repeat: None,
        },
    )?;
    if req.options.simulator {
        simulator::unthrottle(&mut prepared.project);
    }
    let ws = connect(&prepared.project, &prepared.target, req.databricks)?;
    let found = live::resolve(
        &ws.genie,
        &prepared.space,
        &prepared.target.name,
        prepared.title.as_deref(),
        req.repo_dir,
    )
    .await
    .map_err(config_if_unresolved)?;
    let live_model = read_live(&ws, &found.space_id).await?;
    let optimizer_input = prepare_optimizer(req, checkout.repo, name)?;
    let mut night = SpaceNight {
        space: name.to_owned(),
        target: prepared.target.name.clone(),
        live_space_id: found.space_id.clone(),
        resolution: found.resolution.describe(&found.space_id),
        live: None,
        results: None,
        evaluate_plan: None,
        baseline: BaselineCheck::NoBaseline,
        drift: differences(&prepared.space_model, &live_model),
        issue: None,
        optimize: OptimizeStep::Planned {
            plan: Box::new(optimizer_input.plan()),
        },
        proposal: ProposalStep::Skipped {
            reason: String::new(),
        },
        comment: None,
        skipped: Vec::new(),
    };
    let baseline = latest_baseline(checkout, name)?;
    if dry_run {
        night.evaluate_plan = Some(prepared.plan());
        night.baseline = BaselineCheck::NotMeasured {
            commit: baseline.map(|(commit, _)| commit),
        };
    } else {
        measure_live(req, &prepared, &ws, baseline, &mut night).await?;
    }
    track(req, &mut night, &prepared.project).await?;
    let github = &prepared.project.settings.github;
    let branch = format!("{}{name}", github.branch_prefix);
    if dry_run {
        plan_proposal(req, &mut night, &branch, checkout.base).await?;
    } else {
        let bot = BotBranch {
            name: &branch,
            labels: &github.labels,
        };
        propose(req, checkout, &mut night, &ws, &bot, &optimizer_input).await?;
    }
    comment(req, &mut night).await?;
    Ok(night)
}

/// Evaluates the live space and compares it with the verified `baseline` (commit, results).
async fn measure_live(
    req: &Request<'_>,
    prepared: &evaluate::Prepared,
    ws: &Workspace,
    baseline: Option<(String, RunResults)>,
    night: &mut SpaceNight,
) -> Result<(), NightlyError> {
    let mut quiet = |q: &QuestionResult| tracing::debug!(id = %q.id, "graded");
    let results = evaluate::run(prepared, ws, req.repo_dir, &mut quiet)
        .await
        .map_err(config_if_unresolved)?;
    let previous = baseline.as_ref().map(|(_, r)| r);
    let report = report::build(&results, &prepared.project.settings.thresholds, previous);
    night.live = Some(live_result(&report));
    night.baseline = baseline_check(&report, baseline.map(|(c, _)| c), &prepared.project);
    night.results = Some(results);
    Ok(())
}

/// The optimizer's input for `name`, with the simulator's limits and the `--max-questions`
/// budget applied.
fn prepare_optimizer(
    req: &Request<'_>,
    repo: &RepoSnapshot,
    name: &str,
) -> Result<optimizer::Prepared, NightlyError> {
    let options = optimizer::Options {
        space: Some(name.to_owned()),
        target: req.options.target.clone(),
    };
    let mut prepared = optimizer::prepare(repo, &options)?;
    if req.options.simulator {
        simulator::unthrottle(&mut prepared.eval.project);
    }
    if let Some(budget) = req.options.max_questions {
        prepared.settings.max_questions = Some(u32::try_from(budget).unwrap_or(u32::MAX));
    }
    Ok(prepared)
}

/// A live space the repository cannot be matched to is a configuration problem.
fn config_if_unresolved(e: anyhow::Error) -> NightlyError {
    match e.downcast_ref::<Unresolved>() {
        Some(unresolved) => NightlyError::Config(unresolved.to_string()),
        None => NightlyError::Operational(e),
    }
}

/// The live space's configuration (`include_serialized_space`).
async fn read_live(ws: &Workspace, space_id: &str) -> anyhow::Result<SerializedSpace> {
    let live = ws
        .genie
        .get_space(space_id, true)
        .await
        .with_context(|| format!("reading the live space {space_id}"))?;
    let text = live
        .serialized_space
        .filter(|s| !s.trim().is_empty())
        .with_context(|| {
            format!("the workspace returned no configuration for space {space_id}; the nightly drift check needs CAN EDIT on the space")
        })?;
    let parsed = space::parse(&format!("live space {space_id}"), &text)
        .map_err(|d| anyhow::anyhow!("{}", render_diagnostics(&d)))?;
    Ok(parsed.file.space)
}

/// The verified baseline of `space` nearest to `HEAD`, after fetching the remote's notes.
fn latest_baseline(
    checkout: &Checkout<'_>,
    space: &str,
) -> Result<Option<(String, RunResults)>, NightlyError> {
    let dir = checkout.git.git_dir();
    if let Some(remote) = checkout.remote {
        notes::fetch(remote, dir)?;
    }
    let head = checkout.git.resolve("HEAD")?;
    let Some(found) = notes::latest(dir, head, space)? else {
        return Ok(None);
    };
    let results = results::parse(&found.results.to_string()).map_err(|e| {
        NightlyError::Config(format!(
            "the baseline note on {} is not a results document: {e}; \
             remove it with `git notes --ref genie-gitops remove {}`",
            found.commit, found.commit
        ))
    })?;
    Ok(Some((found.commit.to_string(), results)))
}

fn live_result(report: &Report) -> LiveResult {
    let mut failing: Vec<String> = report
        .questions
        .iter()
        .filter(|q| !q.outcome.is_pass())
        .map(|q| q.id.clone())
        .collect();
    failing.sort();
    LiveResult {
        accuracy: report.accuracy,
        gate_passed: report.gate.passed,
        gate_failures: report.gate.failures.clone(),
        failing,
    }
}

fn baseline_check(report: &Report, commit: Option<String>, project: &Project) -> BaselineCheck {
    match (&report.baseline, commit) {
        (Some(cmp), Some(commit)) => BaselineCheck::Compared {
            commit,
            baseline: cmp.baseline,
            current: cmp.current,
            regressed: cmp.newly_failing.len()
                > project.settings.thresholds.max_regressions as usize,
            newly_failing: cmp.newly_failing.clone(),
            newly_passing: cmp.newly_passing.clone(),
        },
        _ => BaselineCheck::NoBaseline,
    }
}

/// Opens or updates the space's tracking issue while it regresses or drifts; closes it after.
async fn track(
    req: &Request<'_>,
    night: &mut SpaceNight,
    project: &Project,
) -> Result<(), NightlyError> {
    let (Some(gh), Some(bot)) = (&req.ctx.github, req.ctx.bot_login.as_deref()) else {
        night
            .skipped
            .push("tracking issue: no GitHub repository and token".into());
        return Ok(());
    };
    let label = project
        .settings
        .github
        .labels
        .first()
        .map_or(DEFAULT_LABEL, String::as_str);
    let marker = issues::tracking_marker(KIND, Some(&night.space));
    let mode = req.ctx.mode;
    let result = if night.needs_attention() {
        let title = issue_title(night);
        let text = issue_text(night);
        let run_url = req.ctx.env.run_url();
        issues::upsert(
            gh,
            &marker,
            bot,
            label,
            &title,
            &text,
            run_url.as_deref(),
            mode,
        )
        .await
        .context("updating the nightly tracking issue")?
    } else if matches!(night.baseline, BaselineCheck::NotMeasured { .. }) {
        night
            .skipped
            .push("tracking issue: a dry run does not measure regressions, so it cannot tell whether the issue could be closed".into());
        return Ok(());
    } else {
        let why = format!(
            "Resolved: the live space `{}` matches the repository and is not below its baseline.",
            night.space
        );
        issues::close(gh, &marker, bot, label, &why, mode)
            .await
            .context("closing the nightly tracking issue")?
    };
    night.issue = Some(IssueStep {
        action: issue_action(result.action).into(),
        number: result.number,
        url: result.url,
    });
    Ok(())
}

fn issue_action(action: IssueAction) -> &'static str {
    match action {
        IssueAction::Opened => "opened",
        IssueAction::Updated => "updated",
        IssueAction::Unchanged => "unchanged",
        IssueAction::Closed => "closed",
        IssueAction::NoneOpen => "none_open",
    }
}

/// The tracking issue's title: what is wrong with which space.
pub fn issue_title(night: &SpaceNight) -> String {
    let what = match (night.baseline.regressed(), night.drift.is_empty()) {
        (true, false) => "regressed and drifted from the repository",
        (true, true) => "regressed below its baseline",
        _ => "drifted from the repository",
    };
    format!("genie-gitops: live space `{}` {what}", night.space)
}

/// The tracking issue's body: the regression and the drift, each with what to do.
pub fn issue_text(night: &SpaceNight) -> String {
    let mut text = format!(
        "The nightly check of space `{}` on target `{}` ({}) found a problem.\n",
        night.space, night.target, night.resolution
    );
    if let BaselineCheck::Compared {
        commit,
        baseline,
        current,
        newly_failing,
        regressed: true,
        ..
    } = &night.baseline
    {
        text.push_str(&format!(
            "\n## Regression\n\nAccuracy {} at the baseline verified on `{}` → {} now. \
             Newly failing: {}.\n\nFind what changed in the workspace (data, permissions, the \
             space) since that deploy; `genie-gitops evaluate --against live` shows each failure \
             with its cause.\n",
            percent(baseline),
            short_sha(commit),
            percent(current),
            code_list(newly_failing)
        ));
    }
    if !night.drift.is_empty() {
        text.push_str(&format!(
            "\n## Drift\n\nThe live space differs from the repository's file in {} place(s):\n\n",
            night.drift.len()
        ));
        for d in &night.drift {
            text.push_str(&format!(
                "- `{}`: repository {}, live {}\n",
                d.pointer,
                shown(d.repo.as_ref()),
                shown(d.live.as_ref())
            ));
        }
        text.push_str(
            "\nA change that is not in the repository does not exist: put it in the repository \
             through a pull request, or deploy the repository to undo it. \
             `genie-gitops spaces diff` shows the same list.\n",
        );
    }
    text
}

/// Dry run: say which pull request a real run would update.
async fn plan_proposal(
    req: &Request<'_>,
    night: &mut SpaceNight,
    branch: &str,
    base: &str,
) -> Result<(), NightlyError> {
    let Some(gh) = &req.ctx.github else {
        night.proposal = ProposalStep::Skipped {
            reason: "no GitHub repository and token".into(),
        };
        return Ok(());
    };
    let open = pulls::find_open(gh, branch, base)
        .await
        .context("looking up the bot's pull request")?;
    night.proposal = ProposalStep::Planned {
        branch: branch.to_owned(),
        open_pr: open.map(|pr| pr.number),
    };
    Ok(())
}

/// Where the bot proposes for one space.
struct BotBranch<'a> {
    /// `<branch_prefix><space>`.
    name: &'a str,
    /// Labels of a new pull request.
    labels: &'a [String],
}

/// Optimizes the space on temporary spaces and publishes the accepted levers.
async fn propose(
    req: &Request<'_>,
    checkout: &Checkout<'_>,
    night: &mut SpaceNight,
    ws: &Workspace,
    branch: &BotBranch<'_>,
    prepared: &optimizer::Prepared,
) -> Result<(), NightlyError> {
    let (report, steps) = optimize(req, checkout.repo, prepared, ws).await?;
    let stop = report.stop;
    let title = pr_title(&report);
    let body = optimize_report::render_markdown(&report);
    night.optimize = OptimizeStep::Ran {
        report: Box::new(report),
    };
    let (Some(gh), Some(remote)) = (&req.ctx.github, checkout.remote) else {
        night.proposal = ProposalStep::Skipped {
            reason: "no GitHub repository and token: the accepted levers were not published".into(),
        };
        return Ok(());
    };
    if steps.is_empty() && stop != Some(StopReason::TargetMet) {
        night.proposal = ProposalStep::Skipped {
            reason: "the optimizer accepted no lever this night; the branch and pull request are left as they are".into(),
        };
        return Ok(());
    }
    let prefix = repo_prefix(checkout.git, req.repo_dir)?;
    let from = rooted(checkout.repo, &prefix);
    let commits: Vec<LeverCommit> = steps
        .into_iter()
        .map(|(message, files)| LeverCommit {
            message,
            files: rooted(&files, &prefix),
        })
        .collect();
    let run_url = req.ctx.env.run_url();
    let outcome = proposal::publish(
        gh,
        checkout.git,
        remote,
        &ProposalRequest {
            space: &night.space,
            base: checkout.base,
            branch: branch.name,
            from: &from,
            commits: &commits,
            title: &title,
            report: &body,
            labels: branch.labels,
            full_report: run_url.as_deref(),
            author: &req.ctx.author,
            mode: req.ctx.mode,
        },
    )
    .await
    .context("publishing the proposal")?;
    night.proposal =
        ProposalStep::Published(Box::new(published(branch.name, &outcome, &commits, body)));
    Ok(())
}

/// Runs the optimizer; returns its report and, for each accepted step, its commit message and
/// the repository's files after it.
async fn optimize(
    req: &Request<'_>,
    repo: &RepoSnapshot,
    prepared: &optimizer::Prepared,
    ws: &Workspace,
) -> Result<(OptimizeReport, Vec<(String, RepoSnapshot)>), NightlyError> {
    let dev = match &prepared.dev_target {
        Some(t) if t.name != prepared.eval.target.name => {
            Some(connect(&prepared.eval.project, t, req.databricks)?)
        }
        _ => None,
    };
    let workspaces = Workspaces {
        main: ws,
        dev: prepared
            .dev_target
            .as_ref()
            .map(|_| dev.as_ref().unwrap_or(ws)),
    };
    let scratch = tempfile::tempdir().context("cannot create a directory for the checkpoint")?;
    let checkpoint = CheckpointFile(scratch.path().join("checkpoint.json"));
    let summary = match optimizer::run(prepared, &workspaces, &checkpoint, None, None).await? {
        Finish::Done(summary) => summary,
        Finish::Paused { asked } => {
            return Err(anyhow::anyhow!(
                "the optimizer paused after {asked} question(s) although no cap was set"
            )
            .into());
        }
    };
    let context = RunContext {
        space: prepared.eval.space.name.clone(),
        target: prepared.eval.target.name.clone(),
        uc_measurement: prepared.uc.describe(),
        target_accuracy: prepared.settings.target_accuracy,
    };
    let report = optimize_report::build(&summary, repo, &prepared.questions, context);
    let steps = optimizer::step_snapshots(repo, &summary.accepted)?
        .into_iter()
        .zip(&summary.accepted)
        .map(|((_, after), step)| (optimizer::commit_message(step), after))
        .collect();
    Ok((report, steps))
}

/// The pull request's title: the space and the measured gain.
pub fn pr_title(report: &OptimizeReport) -> String {
    format!(
        "genie-gitops: improve `{}` (train {:.1}% → {:.1}%, {} lever(s))",
        report.run.space,
        report.train.before.rate * 100.0,
        report.train.after.rate * 100.0,
        report.levers.len()
    )
}

/// The repository directory's path inside its git work tree, `/`-terminated (empty at the root).
fn repo_prefix(git: &GitRepo, repo_dir: &Path) -> anyhow::Result<String> {
    let workdir = git
        .workdir()
        .context("the repository is bare; run nightly in a checkout")?
        .canonicalize()?;
    let dir = repo_dir.canonicalize()?;
    let relative = dir
        .strip_prefix(&workdir)
        .with_context(|| format!("{} is outside its git work tree", dir.display()))?;
    let text = relative.to_string_lossy().replace('\\', "/");
    Ok(if text.is_empty() {
        text
    } else {
        format!("{text}/")
    })
}

/// `snapshot` with every path relative to the git work tree instead of the repository directory.
fn rooted(snapshot: &RepoSnapshot, prefix: &str) -> RepoSnapshot {
    let mut out = RepoSnapshot::new();
    for (path, text) in snapshot.iter() {
        out.insert(&format!("{prefix}{path}"), text);
    }
    out
}

fn published(
    branch: &str,
    outcome: &ProposalOutcome,
    commits: &[LeverCommit],
    body: String,
) -> Published {
    let outputs = outcome.outputs();
    Published {
        branch: branch.to_owned(),
        hash: outcome.hash.clone(),
        declined_by: outcome.declined_by,
        branch_outcome: outcome.branch.as_ref().map_or_else(
            || "not touched: a closed pull request declined this exact proposal".to_owned(),
            describe_branch,
        ),
        head: outcome
            .branch
            .as_ref()
            .and_then(BranchOutcome::head)
            .map(|oid| oid.to_string()),
        paused_note: outcome.branch.as_ref().and_then(|b| b.paused_note(branch)),
        pr_operation: outputs
            .pr_operation
            .unwrap_or(PrOperation::None)
            .as_str()
            .to_owned(),
        pr_number: outputs.pr_number,
        pr_url: outputs.pr_url.clone(),
        commits: commits
            .iter()
            .map(|c| c.message.lines().next().unwrap_or_default().to_owned())
            .collect(),
        body,
        outputs,
    }
}

/// One line: what happened to the bot branch.
pub fn describe_branch(outcome: &BranchOutcome) -> String {
    match outcome {
        BranchOutcome::Pushed {
            head,
            previous: None,
            ..
        } => format!("pushed {} (a new branch)", short_sha(&head.to_string())),
        BranchOutcome::Pushed {
            head,
            previous: Some(previous),
            ..
        } => format!(
            "pushed {}, rebuilt on the base (it replaces {})",
            short_sha(&head.to_string()),
            short_sha(&previous.to_string())
        ),
        BranchOutcome::WouldPush { head, .. } => {
            format!("would push {} (dry run)", short_sha(&head.to_string()))
        }
        BranchOutcome::Unchanged { .. } => {
            "unchanged: the branch already holds this proposal, nothing pushed".into()
        }
        BranchOutcome::NothingToPropose { .. } => {
            "nothing to propose: the base already holds every accepted change".into()
        }
        BranchOutcome::Paused { foreign, .. } => format!(
            "paused: {} commit(s) on the branch are not the bot's, nothing pushed",
            foreign.len()
        ),
        BranchOutcome::Conflict { paths, .. } => format!(
            "not pushed: the base changed {} since the proposal was computed; the next night proposes again on the new base",
            code_list(paths)
        ),
        BranchOutcome::Raced { reason, .. } => {
            format!("not pushed: another run moved the branch meanwhile ({reason})")
        }
    }
}

/// Posts or edits the nightly sticky comment on the bot's pull request.
async fn comment(req: &Request<'_>, night: &mut SpaceNight) -> Result<(), NightlyError> {
    let ProposalStep::Published(published) = &night.proposal else {
        return Ok(());
    };
    let (Some(number), Some(gh), Some(bot)) = (
        published.pr_number,
        &req.ctx.github,
        req.ctx.bot_login.as_deref(),
    ) else {
        return Ok(());
    };
    if published.pr_operation == PrOperation::Closed.as_str() {
        return Ok(());
    }
    let text = comment_text(night, published);
    let marker = comments::sticky_marker(KIND, Some(&night.space));
    let result = comments::upsert_sticky(gh, number, &marker, bot, &text, None, req.ctx.mode)
        .await
        .context("updating the nightly comment on the pull request")?;
    night.comment = Some(comment_action(result.action).to_owned());
    Ok(())
}

fn comment_action(action: CommentAction) -> &'static str {
    match action {
        CommentAction::Created => "created",
        CommentAction::Updated => "updated",
        CommentAction::Unchanged => "unchanged",
        CommentAction::WouldCreate => "would_create",
        CommentAction::WouldUpdate => "would_update",
    }
}

/// The nightly sticky comment: the paused note first, then what the night measured. It holds
/// only what an identical night measures identically, so such a night leaves it unchanged.
pub fn comment_text(night: &SpaceNight, published: &Published) -> String {
    let mut text = format!("### genie-gitops nightly: `{}`\n\n", night.space);
    if let Some(note) = &published.paused_note {
        text.push_str(note);
        text.push('\n');
    }
    text.push_str("| | |\n|---|---|\n");
    text.push_str(&format!("| live space | {} |\n", live_line(night)));
    text.push_str(&format!(
        "| baseline | {} |\n",
        baseline_line(&night.baseline)
    ));
    text.push_str(&format!("| drift | {} |\n", drift_line(&night.drift)));
    text.push_str(&format!(
        "| proposal | `{}`, {} lever commit(s) |\n",
        published.hash,
        published.commits.len()
    ));
    text
}

/// Writes the step outputs and the job summary.
fn finish(ctx: &ActionContext, report: &NightlyReport) -> anyhow::Result<()> {
    let mut outputs = ActionOutputs::default();
    if let [night] = report.spaces.as_slice() {
        if let ProposalStep::Published(p) = &night.proposal {
            outputs = p.outputs.clone();
        }
        outputs.accuracy = night.live.as_ref().map(|l| l.accuracy.rate);
    }
    let regressions: Vec<u32> = report
        .spaces
        .iter()
        .filter_map(SpaceNight::regressions)
        .collect();
    if !regressions.is_empty() {
        outputs.regressions = Some(regressions.iter().sum());
    }
    let summary = render_markdown(report);
    let run_url = ctx.env.run_url();
    ctx.finish(&outputs, Some(&summary), run_url.as_deref())
}

/// The run as markdown: stdout in text mode and the job summary.
pub fn render_markdown(report: &NightlyReport) -> String {
    let mut out = format!(
        "## genie-gitops nightly{}\n",
        if report.dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        }
    );
    for night in &report.spaces {
        out.push_str(&render_space(night, &report.base));
    }
    out
}

fn render_space(night: &SpaceNight, base: &str) -> String {
    let mut out = format!("\n### `{}` on `{}`\n\n", night.space, night.target);
    out.push_str(&format!(
        "- **Live**: {}; {}\n",
        night.resolution,
        live_line(night)
    ));
    if let Some(live) = &night.live
        && !live.gate_passed
    {
        out.push_str(&format!(
            "  - below the bar: {}\n",
            live.gate_failures.join("; ")
        ));
    }
    out.push_str(&format!(
        "- **Baseline**: {}\n",
        baseline_line(&night.baseline)
    ));
    out.push_str(&format!("- **Drift**: {}\n", drift_line(&night.drift)));
    for d in &night.drift {
        out.push_str(&format!(
            "  - `{}`: repository {}, live {}\n",
            d.pointer,
            shown(d.repo.as_ref()),
            shown(d.live.as_ref())
        ));
    }
    if let Some(issue) = &night.issue {
        out.push_str(&format!(
            "- **Tracking issue**: {}\n",
            issue_line(issue, night)
        ));
    }
    out.push_str(&format!(
        "- **Optimize**: {}\n",
        optimize_line(&night.optimize)
    ));
    out.push_str(&proposal_lines(&night.proposal, base));
    if let Some(action) = &night.comment {
        out.push_str(&format!("- **Nightly comment**: {action}\n"));
    }
    for skipped in &night.skipped {
        out.push_str(&format!("- Skipped {skipped}\n"));
    }
    out
}

fn live_line(night: &SpaceNight) -> String {
    match &night.live {
        Some(live) => format!("accuracy {}", accuracy_with_ci(&live.accuracy)),
        None => match &night.evaluate_plan {
            Some(plan) => format!(
                "not asked (dry run); a run asks {} Genie question(s) on it",
                plan.genie_questions
            ),
            None => "not asked".into(),
        },
    }
}

fn baseline_line(baseline: &BaselineCheck) -> String {
    match baseline {
        BaselineCheck::NoBaseline => {
            "no baseline yet (`deploy` records one on the deployed commit after each merge)".into()
        }
        BaselineCheck::NotMeasured { commit: Some(c) } => {
            format!("verified on `{}`; not compared in a dry run", short_sha(c))
        }
        BaselineCheck::NotMeasured { commit: None } => "no baseline yet".into(),
        BaselineCheck::Compared {
            commit,
            baseline,
            current,
            newly_failing,
            newly_passing,
            regressed,
        } => format!(
            "{} on `{}` → {} now; {} newly failing{}, {} newly passing{}",
            percent(baseline),
            short_sha(commit),
            percent(current),
            newly_failing.len(),
            if newly_failing.is_empty() {
                String::new()
            } else {
                format!(" ({})", code_list(newly_failing))
            },
            newly_passing.len(),
            if *regressed {
                " — **regression**"
            } else {
                ""
            }
        ),
    }
}

fn drift_line(drift: &[Difference]) -> String {
    match drift.len() {
        0 => "none: the live space matches the repository".into(),
        n => format!("**{n} difference(s)** between the live space and the repository"),
    }
}

fn issue_line(issue: &IssueStep, night: &SpaceNight) -> String {
    let which = match (issue.number, &issue.url) {
        (Some(n), Some(url)) => format!(" #{n} ({url})"),
        (Some(n), None) => format!(" #{n}"),
        _ => String::new(),
    };
    let reason = if night.needs_attention() {
        ""
    } else {
        " — no regression and no drift"
    };
    format!("{}{which}{reason}", issue.action.replace('_', " "))
}

fn optimize_line(step: &OptimizeStep) -> String {
    match step {
        OptimizeStep::Planned { plan } => format!(
            "not run (dry run); a run measures levers {} on temporary spaces: baseline {} Genie question(s), target {:.0}%, budget {}",
            plan.levers
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            plan.baseline_questions,
            plan.target_accuracy * 100.0,
            plan.budget.map_or("none".into(), |b| b.to_string())
        ),
        OptimizeStep::Ran { report } => format!(
            "{}; {} Genie question(s) asked",
            report.verdict, report.questions_asked
        ),
    }
}

fn proposal_lines(step: &ProposalStep, base: &str) -> String {
    match step {
        ProposalStep::Skipped { reason } => format!("- **Proposal**: skipped: {reason}\n"),
        ProposalStep::Planned { branch, open_pr } => format!(
            "- **Proposal**: a run would rebuild `{branch}` on `{base}` and {}\n",
            match open_pr {
                Some(n) => format!("update pull request #{n}"),
                None => "open a pull request".into(),
            }
        ),
        ProposalStep::Published(p) => {
            let mut out = format!("- **Branch** `{}`: {}\n", p.branch, p.branch_outcome);
            for commit in &p.commits {
                out.push_str(&format!("  - {commit}\n"));
            }
            if let Some(n) = p.declined_by {
                out.push_str(&format!(
                    "- **Pull request**: not proposed again: #{n} was closed without merging this exact proposal (`{}`)\n",
                    p.hash
                ));
            } else {
                let which = match (p.pr_number, &p.pr_url) {
                    (Some(n), Some(url)) => format!(" #{n} {url}"),
                    (Some(n), None) => format!(" #{n}"),
                    _ => String::new(),
                };
                out.push_str(&format!("- **Pull request**: {}{which}\n", p.pr_operation));
            }
            out
        }
    }
}

fn percent(a: &Accuracy) -> String {
    format!("{:.1}% ({}/{})", a.rate * 100.0, a.correct, a.total)
}

fn accuracy_with_ci(a: &Accuracy) -> String {
    format!(
        "{:.1}% ({}/{}, 95% CI {:.1}–{:.1}%)",
        a.rate * 100.0,
        a.correct,
        a.total,
        a.ci95.low * 100.0,
        a.ci95.high * 100.0
    )
}

fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value on one line, at most 100 characters.
fn shown(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(absent)".into();
    };
    let text = value.to_string();
    if text.chars().count() <= 100 {
        return text;
    }
    text.chars().take(99).collect::<String>() + "…"
}

fn render_diagnostics(diags: &[crate::model::diag::Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::eval::stats::accuracy;

    fn night() -> SpaceNight {
        SpaceNight {
            space: "sales".into(),
            target: "prod".into(),
            live_space_id: "01abc".into(),
            resolution: "live space 01abc from the settings' space_id".into(),
            live: Some(LiveResult {
                accuracy: accuracy(7, 10),
                gate_passed: false,
                gate_failures: vec!["accuracy 70.0% is below the threshold 90.0%".into()],
                failing: vec!["q2".into(), "q5".into(), "q9".into()],
            }),
            results: None,
            evaluate_plan: None,
            baseline: BaselineCheck::Compared {
                commit: "0123456789abcdef".into(),
                baseline: accuracy(8, 10),
                current: accuracy(7, 10),
                newly_failing: vec!["q5".into()],
                newly_passing: vec![],
                regressed: true,
            },
            drift: vec![Difference {
                pointer: "/instructions/text_instructions/0/content".into(),
                repo: Some(json!("Use confirmed bookings.")),
                live: Some(json!("Use all bookings.")),
            }],
            issue: None,
            optimize: OptimizeStep::Planned {
                plan: Box::new(optimizer::Plan {
                    space: "sales".into(),
                    target: "prod".into(),
                    space_file: "genie/sales.geniespace.json".into(),
                    train: 6,
                    val: 2,
                    held_out: 2,
                    levers: vec![4, 5, 6],
                    target_accuracy: 0.9,
                    max_rounds: 5,
                    baseline_questions: 10,
                    budget: Some(40),
                    uc_measurement: String::new(),
                }),
            },
            proposal: ProposalStep::Skipped {
                reason: String::new(),
            },
            comment: None,
            skipped: Vec::new(),
        }
    }

    #[test]
    fn the_tracking_issue_says_what_regressed_and_what_drifted_and_what_to_do() {
        let night = night();
        assert_eq!(
            issue_title(&night),
            "genie-gitops: live space `sales` regressed and drifted from the repository"
        );
        insta::assert_snapshot!(issue_text(&night));
    }

    #[test]
    fn a_paused_proposal_leads_the_nightly_comment_with_the_paused_note() {
        let night = night();
        let published = Published {
            branch: "genie-gitops/sales".into(),
            hash: "6c693272c3a638e9".into(),
            declined_by: None,
            branch_outcome: "paused: 1 commit(s) on the branch are not the bot's, nothing pushed"
                .into(),
            head: Some("fedcba9876543210".into()),
            paused_note: Some(
                "> [!WARNING]\n> **Paused.** `genie-gitops/sales` has commits genie-gitops did not make.\n"
                    .into(),
            ),
            pr_operation: "none".into(),
            pr_number: Some(7),
            pr_url: None,
            commits: vec!["genie-gitops: lever 6 — a synonym".into()],
            body: String::new(),
            outputs: ActionOutputs::default(),
        };
        insta::assert_snapshot!(comment_text(&night, &published));
    }

    #[test]
    fn neither_regression_nor_drift_needs_no_attention() {
        let mut night = night();
        assert!(night.needs_attention());
        night.drift.clear();
        night.baseline = BaselineCheck::NoBaseline;
        assert!(!night.needs_attention());
        assert_eq!(night.regressions(), None);
    }
}
