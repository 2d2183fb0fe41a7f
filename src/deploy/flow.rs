//! The deploy flow, run on a push to the default branch: read exactly one commit's files, plan
//! desired vs live, execute the plan, verify the result (the live space equals the desired one
//! and still scores above the thresholds), record the verified results as the baseline note on
//! the commit, and tell GitHub (a commit status, a comment on the merged pull request, and one
//! tracking issue while deploys fail).
//!
//! [`prepare`] reads the repository (no network); [`run`] does the rest against a connected
//! workspace. In dry-run mode [`run`] stops after printing the plan: nothing is written to the
//! workspace, git or GitHub, and the remote's notes are not fetched (the local ones are read).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use git2::Oid;
use serde::Serialize;

use super::execute::{self, BundleCommand};
use super::plan::{self, DeployPlan, DesiredSpace, LiveSpace, PlanInput, short};
use crate::databricks::Workspace;
use crate::eval::results::{self, RunResults};
use crate::eval::scope::Scope;
use crate::git::fs::load_dir;
use crate::git::notes::{self, Baseline};
use crate::git::remote::{PushResult, Remote};
use crate::git::repo::GitRepo;
use crate::github::checks::{self, StatusState};
use crate::github::types::WriteMode;
use crate::github::{comments, issues, pulls};
use crate::model::settings::DeployMode;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space;
use crate::report::{self, Report};
use crate::runner::action::ActionContext;
use crate::runner::evaluate::{self, Against, Options, PrepareError, Prepared as EvalPrepared};
use crate::runner::live::{self, Unresolved};

/// The label of tracking issues genie-gitops opens.
pub const ISSUE_LABEL: &str = "genie-gitops";

/// The marker kind of the deploy-failure tracking issue and the deploy comment.
pub const FAILURE_KIND: &str = "deploy-failure";

/// The marker kind of the sticky deploy comment on a merged pull request.
pub const COMMENT_KIND: &str = "deploy";

/// What to deploy.
#[derive(Debug, Clone)]
pub struct Request {
    /// The repository directory (inside a git work tree).
    pub repo: PathBuf,
    /// The space (required when the repository has several).
    pub space: Option<String>,
    /// The target (default: the default target).
    pub target: Option<String>,
    /// The commit (default: `GITHUB_SHA`, else `HEAD`).
    pub sha: Option<String>,
    /// `api` or `bundle` (default: the target's `deploy_mode`).
    pub mode: Option<DeployMode>,
    /// The git remote the baseline note is pushed to (default: see [`ActionContext::remote`]).
    pub remote: Option<String>,
    /// The Databricks CLI for bundle mode.
    pub databricks_cli: PathBuf,
}

/// The repository read for one deploy.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The evaluation the verification runs (project, space, target, questions, desired space).
    pub eval: EvalPrepared,
    /// The commit being deployed.
    pub sha: String,
    oid: Oid,
    /// Its files, relative to the repository directory.
    pub files: RepoSnapshot,
    /// The repository directory.
    pub repo_dir: PathBuf,
    /// The git work tree's root (where notes are read and written).
    pub git_root: PathBuf,
    /// The repository directory relative to the git root (`""` or `dir/`).
    prefix: String,
    /// How the space is shipped.
    pub mode: DeployMode,
    /// The Databricks CLI for bundle mode.
    pub databricks_cli: PathBuf,
    /// The remote flag.
    remote: Option<String>,
}

/// The repository cannot be deployed as configured (exit 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// How a deploy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The plan was applied and verified; the baseline is recorded.
    Deployed,
    /// The live space already matched the commit: nothing was written.
    AlreadyLive,
    /// Dry run: the plan was printed, nothing was written.
    DryRun,
    /// Applied, but the live space scores below the thresholds (exit 2).
    BelowThreshold,
    /// An operational failure (exit 1).
    Failed,
    /// Invalid configuration (exit 3).
    Invalid,
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// The space.
    pub space: String,
    /// The target.
    pub target: String,
    /// The commit.
    pub sha: String,
    /// One sentence saying what happened.
    pub message: String,
    /// The plan, once it was made.
    pub plan: Option<DeployPlan>,
    /// The whole plan was applied by this run (the `deployed` output).
    pub deployed: bool,
    /// The post-deploy evaluation.
    pub report: Option<Report>,
    /// Problems that did not stop the deploy (e.g. GitHub could not be told).
    pub warnings: Vec<String>,
}

impl Outcome {
    /// Accuracy of the post-deploy evaluation, 0–1.
    pub fn accuracy(&self) -> Option<f64> {
        self.report.as_ref().map(|r| r.accuracy.rate)
    }

    fn succeeded(&self) -> bool {
        matches!(self.status, Status::Deployed | Status::AlreadyLive)
    }

    /// An outcome for a failure before anything was planned.
    pub fn failure(request: &Request, sha: &str, status: Status, message: String) -> Self {
        Self {
            status,
            space: request.space.clone().unwrap_or_else(|| "(all)".into()),
            target: request.target.clone().unwrap_or_else(|| "(default)".into()),
            sha: sha.to_owned(),
            message,
            plan: None,
            deployed: false,
            report: None,
            warnings: Vec::new(),
        }
    }
}

/// The commit a request deploys: `--sha`, else `GITHUB_SHA`, else `HEAD`.
pub fn requested_sha(request: &Request, ctx: &ActionContext) -> String {
    request
        .sha
        .clone()
        .or_else(|| ctx.env.sha.clone())
        .unwrap_or_else(|| "HEAD".into())
}

/// Reads commit `sha` of the repository and everything the deploy needs from it. Configuration
/// problems are [`Invalid`]; git failures are operational.
pub fn prepare(request: &Request, sha: &str) -> anyhow::Result<Prepared> {
    let git = GitRepo::discover(&request.repo)?;
    let root = git
        .workdir()
        .context("deploy needs a checkout, not a bare repository")?
        .to_path_buf();
    let prefix = prefix_of(&root, &request.repo)?;
    let oid = git
        .resolve(sha)
        .map_err(|e| Invalid(format!("--sha {sha}: {e:#}")))?;
    let files = subtree(&git.snapshot_at(&oid.to_string())?, &prefix);
    let options = Options {
        space: request.space.clone(),
        target: request.target.clone(),
        scope: Scope::Full,
        against: Against::Live,
        engine: None,
        repeat: None,
    };
    let eval = evaluate::prepare(&files, &options).map_err(|e| match e {
        PrepareError::Files(_) | PrepareError::Config(_) => Invalid(e.to_string()),
    })?;
    let mode = request.mode.unwrap_or(eval.target.deploy_mode);
    let prepared = Prepared {
        mode,
        sha: oid.to_string(),
        oid,
        files,
        repo_dir: request.repo.clone(),
        git_root: root,
        prefix,
        databricks_cli: request.databricks_cli.clone(),
        remote: request.remote.clone(),
        eval,
    };
    if mode == DeployMode::Bundle {
        prepared.check_checkout()?;
    }
    Ok(prepared)
}

impl Prepared {
    /// Bundle mode deploys the checkout: every file of the commit must read the same there.
    fn check_checkout(&self) -> anyhow::Result<()> {
        let checkout = load_dir(&self.repo_dir)?;
        let differ: Vec<&str> = self
            .files
            .iter()
            .filter(|(path, text)| checkout.get(path) != Some(*text))
            .map(|(path, _)| path)
            .collect();
        if differ.is_empty() {
            return Ok(());
        }
        Err(Invalid(format!(
            "bundle mode deploys the checkout, which differs from {} in {}; check out that commit (actions/checkout does) or use --mode api",
            short(&self.sha),
            differ.join(", ")
        ))
        .into())
    }

    /// The space as the repository wants it, templates resolved.
    pub fn desired(&self) -> DesiredSpace {
        DesiredSpace {
            model: self.eval.space_model.clone(),
            title: self.eval.title.clone(),
            description: self.eval.description.clone(),
        }
    }

    fn space(&self) -> &str {
        &self.eval.space.name
    }

    fn target(&self) -> &str {
        &self.eval.target.name
    }

    /// An outcome about this commit and space, with nothing planned or deployed yet.
    pub fn outcome(&self, status: Status, message: String) -> Outcome {
        Outcome {
            status,
            space: self.space().to_owned(),
            target: self.target().to_owned(),
            sha: self.sha.clone(),
            message,
            plan: None,
            deployed: false,
            report: None,
            warnings: Vec::new(),
        }
    }
}

/// The repository directory relative to the work tree's root, as `""` or `dir/`.
fn prefix_of(root: &Path, repo: &Path) -> anyhow::Result<String> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", root.display()))?;
    let repo = repo
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", repo.display()))?;
    let relative = repo.strip_prefix(&root).with_context(|| {
        format!(
            "{} is not inside the work tree {}",
            repo.display(),
            root.display()
        )
    })?;
    let text = relative.to_string_lossy().replace('\\', "/");
    Ok(if text.is_empty() {
        text
    } else {
        format!("{text}/")
    })
}

/// The files of `snapshot` under `prefix`, with the prefix removed.
fn subtree(snapshot: &RepoSnapshot, prefix: &str) -> RepoSnapshot {
    let mut out = RepoSnapshot::new();
    for (path, text) in snapshot.iter() {
        if let Some(rest) = path.strip_prefix(prefix) {
            out.insert(rest, text);
        }
    }
    out
}

/// Plans, executes, verifies and records the deploy of `p` on `ws`, then tells GitHub. Never
/// fails: every problem is an [`Outcome`] with its status.
pub async fn run(p: &Prepared, ws: &Workspace, ctx: &ActionContext) -> Outcome {
    let mut outcome = match attempt(p, ws, ctx).await {
        Ok(outcome) => outcome,
        Err(failure) => failure.into_outcome(p),
    };
    let warnings = publish(ctx, &outcome).await;
    outcome.warnings.extend(warnings);
    outcome
}

/// Why a deploy stopped, with what was done before.
struct Failure {
    status: Status,
    error: anyhow::Error,
    plan: Option<DeployPlan>,
    deployed: bool,
    report: Option<Report>,
}

impl Failure {
    fn new(status: Status, error: anyhow::Error) -> Self {
        Self {
            status,
            error,
            plan: None,
            deployed: false,
            report: None,
        }
    }

    fn with_plan(mut self, plan: &DeployPlan) -> Self {
        self.plan = Some(plan.clone());
        self
    }

    fn into_outcome(self, p: &Prepared) -> Outcome {
        let mut outcome = p.outcome(self.status, format!("{:#}", self.error));
        outcome.plan = self.plan;
        outcome.deployed = self.deployed;
        outcome.report = self.report;
        outcome
    }
}

/// An error's status: configuration problems are [`Status::Invalid`].
fn classify(error: anyhow::Error) -> Failure {
    let invalid =
        error.downcast_ref::<Invalid>().is_some() || error.downcast_ref::<Unresolved>().is_some();
    Failure::new(
        if invalid {
            Status::Invalid
        } else {
            Status::Failed
        },
        error,
    )
}

async fn attempt(p: &Prepared, ws: &Workspace, ctx: &ActionContext) -> Result<Outcome, Failure> {
    let apply = ctx.mode == WriteMode::Apply;
    let remote = if apply {
        remote(p, ctx).map_err(classify)?
    } else {
        None
    };
    let fetched = match &remote {
        Some(remote) => notes::fetch(remote, &p.git_root)
            .context("fetching the baseline notes")
            .map_err(classify)?,
        None => None,
    };
    let mut warnings = Vec::new();
    let baseline = last_deployed(p, &mut warnings);
    let live = read_live(p, ws).await.map_err(classify)?;
    let plan = make_plan(p, &live, baseline.as_ref()).map_err(classify)?;
    tracing::debug!("{}", plan::render(&plan).trim_end());
    let mut outcome = p.outcome(Status::DryRun, String::new());
    outcome.plan = Some(plan.clone());
    outcome.warnings = warnings;
    if plan.is_noop() {
        outcome.status = if apply {
            Status::AlreadyLive
        } else {
            Status::DryRun
        };
        outcome.message = format!("live already matches {}", short(&p.sha));
        return Ok(outcome);
    }
    if !apply {
        outcome.message = format!(
            "dry run: {} statement(s) and {} space difference(s) would be deployed; nothing was written",
            plan.statements.len(),
            plan.space_changes.len()
        );
        return Ok(outcome);
    }
    if let Some(w) = set_status(ctx, p, StatusState::Pending, "deploying").await {
        outcome.warnings.push(w);
    }
    execute(p, ws, &plan, &live)
        .await
        .map_err(|e| classify(e).with_plan(&plan))?;
    let previous = baseline.as_ref().map(|d| &d.baseline);
    let (report, results) = verify(p, ws, &plan, previous).await.map_err(|mut f| {
        f.plan = Some(plan.clone());
        f.deployed = true;
        f
    })?;
    if !report.gate.passed {
        let mut failure = Failure::new(
            Status::BelowThreshold,
            anyhow::anyhow!(
                "deployed, but the live space is below the thresholds: {}",
                report.gate.failures.join("; ")
            ),
        )
        .with_plan(&plan);
        failure.deployed = true;
        failure.report = Some(report);
        return Err(failure);
    }
    let recorded = record_baseline(p, ctx, remote.as_ref(), fetched, &results).map_err(|e| {
        let mut failure = Failure::new(
            Status::Failed,
            e.context("deployed and verified, but the baseline note was not recorded"),
        )
        .with_plan(&plan);
        failure.deployed = true;
        failure
    })?;
    outcome.status = Status::Deployed;
    outcome.deployed = true;
    outcome.message = format!(
        "deployed {} and verified it: accuracy {:.1}%; baseline {recorded}",
        short(&p.sha),
        report.accuracy.rate * 100.0
    );
    outcome.report = Some(report);
    Ok(outcome)
}

/// The remote the note is pushed to. Outside Actions, a checkout without `origin` and no
/// `--remote` keeps the note local (with a warning) rather than failing the deploy.
fn remote(p: &Prepared, ctx: &ActionContext) -> anyhow::Result<Option<Remote>> {
    match ctx.remote(p.remote.as_deref(), &p.git_root) {
        Ok(remote) => Ok(Some(remote)),
        Err(e) if p.remote.is_none() && !ctx.env.in_actions => {
            tracing::warn!("{e:#}; the baseline note will be recorded locally only");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The live space with its configuration and etag.
struct Live {
    space: LiveSpace,
    etag: Option<String>,
    warehouse_id: Option<String>,
}

async fn read_live(p: &Prepared, ws: &Workspace) -> anyhow::Result<Live> {
    let found = live::resolve(
        &ws.genie,
        &p.eval.space,
        p.target(),
        p.eval.title.as_deref(),
        &p.repo_dir,
    )
    .await?;
    tracing::info!("{}", found.resolution.describe(&found.space_id));
    read_space(ws, &found.space_id).await
}

async fn read_space(ws: &Workspace, space_id: &str) -> anyhow::Result<Live> {
    let got = ws
        .genie
        .get_space(space_id, true)
        .await
        .with_context(|| format!("reading the live space {space_id}"))?;
    let text = got.serialized_space.filter(|s| !s.trim().is_empty()).with_context(|| {
        format!("the workspace returned no configuration for space {space_id}; deploying needs CAN EDIT on the space")
    })?;
    let parsed = space::parse(&format!("live space {space_id}"), &text).map_err(|diags| {
        let lines: Vec<String> = diags.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })?;
    Ok(Live {
        space: LiveSpace {
            space_id: space_id.to_owned(),
            model: parsed.file.space,
            title: got.title,
            description: got.description,
        },
        etag: got.etag,
        warehouse_id: got.warehouse_id,
    })
}

/// The last deployed commit of the space: its baseline and files. When history cannot be read
/// (a shallow clone) there is none, with a warning: every durable file is then applied, which
/// is safe because every statement replaces what it sets.
fn last_deployed(p: &Prepared, warnings: &mut Vec<String>) -> Option<Deployed> {
    let found = notes::latest(&p.git_root, p.oid, p.space()).and_then(|baseline| {
        let Some(baseline) = baseline else {
            return Ok(None);
        };
        let git = GitRepo::open(&p.git_root)?;
        let files = subtree(&git.snapshot_at(&baseline.commit.to_string())?, &p.prefix);
        Ok(Some(Deployed { baseline, files }))
    });
    found.unwrap_or_else(|e| {
        let warning = format!(
            "cannot read the last deployed commit ({e:#}); every durable file is applied. \
             Check out with full history (actions/checkout `fetch-depth: 0`)"
        );
        tracing::warn!("{warning}");
        warnings.push(warning);
        None
    })
}

/// The last deployed commit: its baseline note and its files.
struct Deployed {
    baseline: Baseline,
    files: RepoSnapshot,
}

fn make_plan(p: &Prepared, live: &Live, deployed: Option<&Deployed>) -> anyhow::Result<DeployPlan> {
    let desired = p.desired();
    let sha = deployed.map(|d| d.baseline.commit.to_string());
    plan::plan(&PlanInput {
        space: p.space(),
        target: p.target(),
        sha: &p.sha,
        desired: &desired,
        live: &live.space,
        deployed: sha.as_deref().zip(deployed.map(|d| &d.files)),
        files: &p.files,
        durable: &p.eval.space.files,
        variables: &p.eval.target.variables,
    })
    .map_err(|e| Invalid(format!("{e:#}")).into())
}

/// The warehouse the UC statements run on.
fn warehouse(p: &Prepared, ws: &Workspace, live: &Live) -> anyhow::Result<String> {
    let chosen = p
        .eval
        .target
        .warehouse_id
        .as_deref()
        .or(live.warehouse_id.as_deref())
        .or(p.eval.warehouse_id.as_deref())
        .or(ws.warehouse_id.as_deref())
        .filter(|w| !w.trim().is_empty());
    match chosen {
        Some(w) => Ok(w.to_owned()),
        None => Err(Invalid(format!(
            "no SQL warehouse for the Unity Catalog statements: set targets.{}.warehouse_id or DATABRICKS_WAREHOUSE_ID",
            p.target()
        ))
        .into()),
    }
}

/// UC statements first (the space may use a new function or metric view), then the space.
async fn execute(
    p: &Prepared,
    ws: &Workspace,
    plan: &DeployPlan,
    live: &Live,
) -> anyhow::Result<()> {
    if !plan.statements.is_empty() {
        let warehouse = warehouse(p, ws, live)?;
        execute::run_statements(&ws.sql, &warehouse, &plan.statements).await?;
    }
    match p.mode {
        DeployMode::Api if plan.updates_space() => {
            execute::update_space(&ws.genie, plan, &p.desired(), live.etag.clone()).await?;
        }
        DeployMode::Api => {}
        DeployMode::Bundle => {
            let command = BundleCommand {
                program: p.databricks_cli.clone(),
                dir: p.repo_dir.clone(),
                target: p.target().to_owned(),
            };
            let output = command.run().await?;
            tracing::debug!("bundle deploy output:\n{output}");
        }
    }
    Ok(())
}

/// Reads the space back (it must now equal the desired one) and evaluates it against the
/// thresholds, compared with the previous baseline.
async fn verify(
    p: &Prepared,
    ws: &Workspace,
    plan: &DeployPlan,
    baseline: Option<&Baseline>,
) -> Result<(Report, RunResults), Failure> {
    let after = read_space(ws, &plan.space_id).await.map_err(classify)?;
    let left = plan::space_changes(&p.desired(), &after.space);
    if !left.is_empty() {
        let pointers: Vec<&str> = left.iter().map(|c| c.pointer.as_str()).collect();
        return Err(Failure::new(
            Status::Failed,
            anyhow::anyhow!(
                "after the deploy the live space {} still differs from {} at {}",
                plan.space_id,
                short(&p.sha),
                pointers.join(", ")
            ),
        ));
    }
    let mut announce = |q: &results::QuestionResult| {
        tracing::debug!(id = %q.id, outcome = ?q.outcome, "graded");
    };
    let results = evaluate::run(&p.eval, ws, &p.repo_dir, &mut announce)
        .await
        .context("evaluating the deployed space")
        .map_err(classify)?;
    let previous = baseline.and_then(|b| match results::parse(&b.results.to_string()) {
        Ok(previous) => Some(previous),
        Err(e) => {
            tracing::warn!("the baseline note on {} is unreadable: {e}", b.commit);
            None
        }
    });
    let report = report::build(
        &results,
        &p.eval.project.settings.thresholds,
        previous.as_ref(),
    );
    Ok((report, results))
}

/// Records `results` as the baseline note on the commit and pushes it with a lease; a refused
/// lease fetches the remote's notes and tries once more. Returns where it went.
fn record_baseline(
    p: &Prepared,
    ctx: &ActionContext,
    remote: Option<&Remote>,
    fetched: Option<Oid>,
    results: &RunResults,
) -> anyhow::Result<String> {
    let value = serde_json::to_value(results)?;
    let record = || notes::record(&p.git_root, p.oid, p.space(), value.clone(), &ctx.author);
    let Some(remote) = remote else {
        record()?;
        return Ok("recorded in the local notes only (no remote)".into());
    };
    let mut expected = fetched;
    for attempt in 1..=2 {
        record()?;
        match notes::push(remote, &p.git_root, expected)? {
            PushResult::Pushed => return Ok(format!("note pushed to {}", notes::NOTES_REF)),
            PushResult::Rejected { reason } if attempt == 1 => {
                tracing::warn!("the notes push was refused ({reason}); fetching and retrying once");
                expected = notes::fetch(remote, &p.git_root)?;
            }
            PushResult::Rejected { reason } => {
                bail!("the remote refused {} twice: {reason}", notes::NOTES_REF)
            }
        }
    }
    bail!("the baseline note was not pushed")
}

/// The commit status context of a space's deploy.
pub fn status_context(space: &str) -> String {
    format!("genie-gitops/deploy ({space})")
}

/// Sets the deploy status on the commit; a warning when GitHub refuses.
async fn set_status(
    ctx: &ActionContext,
    p: &Prepared,
    state: StatusState,
    description: &str,
) -> Option<String> {
    let gh = ctx.github.as_ref()?;
    let url = ctx.env.run_url();
    checks::set_status(
        gh,
        &p.sha,
        state,
        &status_context(p.space()),
        description,
        url.as_deref(),
        ctx.mode,
    )
    .await
    .err()
    .map(|e| format!("cannot set the commit status: {e}"))
}

/// Tells GitHub how the deploy ended: the tracking issue (opened or updated on failure, closed
/// on success), a sticky comment on the merged pull request, and the commit status. Returns
/// warnings for what GitHub refused; the deploy's own outcome stands. Writes nothing without a
/// GitHub client or in dry-run mode.
pub async fn publish(ctx: &ActionContext, outcome: &Outcome) -> Vec<String> {
    let (Some(gh), Some(bot)) = (&ctx.github, &ctx.bot_login) else {
        return Vec::new();
    };
    if ctx.mode == WriteMode::DryRun {
        return Vec::new();
    }
    let mut warnings = Vec::new();
    let marker = issues::tracking_marker(FAILURE_KIND, Some(&outcome.space));
    let run_url = ctx.env.run_url();
    let mut issue_url = None;
    if outcome.succeeded() {
        let why = format!(
            "Resolved: {} of `{}` to `{}` succeeded ({}).",
            short(&outcome.sha),
            outcome.space,
            outcome.target,
            outcome.message
        );
        if let Err(e) = issues::close(gh, &marker, bot, ISSUE_LABEL, &why, ctx.mode).await {
            warnings.push(format!("cannot close the deploy-failure issue: {e}"));
        }
    } else {
        let title = format!(
            "genie-gitops: deploying `{}` to `{}` failed",
            outcome.space, outcome.target
        );
        let text = issue_text(outcome, run_url.as_deref());
        match issues::upsert(gh, &marker, bot, ISSUE_LABEL, &title, &text, None, ctx.mode).await {
            Ok(result) => issue_url = result.url,
            Err(e) => warnings.push(format!("cannot open the deploy-failure issue: {e}")),
        }
    }
    match pulls::for_commit(gh, &outcome.sha).await {
        Ok(prs) => {
            if let Some(pr) = prs.iter().find(|pr| pr.merged_at.is_some()) {
                let marker = comments::sticky_marker(COMMENT_KIND, Some(&outcome.space));
                let text = comment_text(outcome, run_url.as_deref(), issue_url.as_deref());
                if let Err(e) =
                    comments::upsert_sticky(gh, pr.number, &marker, bot, &text, None, ctx.mode)
                        .await
                {
                    warnings.push(format!("cannot comment on #{}: {e}", pr.number));
                }
            }
        }
        Err(e) => warnings.push(format!("cannot find the merged pull request: {e}")),
    }
    let state = match outcome.status {
        Status::Deployed | Status::AlreadyLive | Status::DryRun => StatusState::Success,
        Status::BelowThreshold => StatusState::Failure,
        Status::Failed | Status::Invalid => StatusState::Error,
    };
    if let Err(e) = checks::set_status(
        gh,
        &outcome.sha,
        state,
        &status_context(&outcome.space),
        &outcome.message,
        run_url.as_deref(),
        ctx.mode,
    )
    .await
    {
        warnings.push(format!("cannot set the commit status: {e}"));
    }
    warnings
}

/// The headline of an outcome, for comments and summaries.
fn headline(outcome: &Outcome) -> String {
    let sha = short(&outcome.sha);
    let (space, target) = (&outcome.space, &outcome.target);
    match outcome.status {
        Status::Deployed => format!("✅ Deployed `{sha}`: space `{space}` on `{target}`"),
        Status::AlreadyLive => {
            format!("✅ Nothing to deploy: `{space}` on `{target}` already matches `{sha}`")
        }
        Status::DryRun => {
            format!("🔍 Deploy plan (dry run) for `{space}` on `{target}` at `{sha}`")
        }
        Status::BelowThreshold => {
            format!("❌ Deployed `{sha}` to `{target}`, but `{space}` is below its thresholds")
        }
        Status::Failed => format!("❌ Deploying `{sha}` (space `{space}`) to `{target}` failed"),
        Status::Invalid => {
            format!(
                "❌ Cannot deploy `{sha}` (space `{space}`) to `{target}`: invalid configuration"
            )
        }
    }
}

/// The markdown a person reads about a deploy: headline, what happened, the plan.
pub fn summary_markdown(outcome: &Outcome) -> String {
    let mut out = format!("### {}\n\n{}\n", headline(outcome), outcome.message);
    if let Some(report) = &outcome.report {
        let a = &report.accuracy;
        out.push_str(&format!(
            "\nPost-deploy evaluation: accuracy **{:.1}%** ({}/{}), gate {}.\n",
            a.rate * 100.0,
            a.correct,
            a.total,
            if report.gate.passed {
                "passed"
            } else {
                "failed"
            }
        ));
    }
    if let Some(plan) = &outcome.plan {
        out.push_str(&format!(
            "\n<details><summary>Plan</summary>\n\n```text\n{}```\n\n</details>\n",
            plan::render(plan)
        ));
    }
    out
}

fn comment_text(outcome: &Outcome, run_url: Option<&str>, issue_url: Option<&str>) -> String {
    let mut text = summary_markdown(outcome);
    if let Some(url) = issue_url {
        text.push_str(&format!("\nTracking issue: {url}\n"));
    }
    if let Some(url) = run_url {
        text.push_str(&format!("\n[Workflow run]({url})\n"));
    }
    text
}

fn issue_text(outcome: &Outcome, run_url: Option<&str>) -> String {
    let mut text = format!(
        "The deploy of commit `{}` failed. This issue stays open until a deploy of `{}` to `{}` succeeds, and is closed then.\n\n```text\n{}\n```\n",
        outcome.sha, outcome.space, outcome.target, outcome.message
    );
    if let Some(url) = run_url {
        text.push_str(&format!("\nWorkflow run: {url}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::plan::{DdlBase, SpaceChange};

    fn outcome(status: Status, message: &str) -> Outcome {
        Outcome {
            status,
            space: "sales".into(),
            target: "prod".into(),
            sha: "abcdef0123456789abcdef0123456789abcdef01".into(),
            message: message.into(),
            plan: Some(DeployPlan {
                space: "sales".into(),
                target: "prod".into(),
                sha: "abcdef0123456789abcdef0123456789abcdef01".into(),
                space_id: "0123456789abcdef0123456789abcdef".into(),
                ddl_base: DdlBase::Nothing,
                statements: vec!["COMMENT ON TABLE main.s.t IS 'x'".into()],
                space_changes: vec![SpaceChange {
                    pointer: "/instructions/text_instructions/0/content".into(),
                    live: Some("old".into()),
                    desired: Some("new".into()),
                }],
            }),
            deployed: false,
            report: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_failed_deploy_comment_links_the_tracking_issue_and_the_run() {
        let failed = outcome(
            Status::Failed,
            "Unity Catalog statement 1 of 1 failed (0 applied before it): `COMMENT ON TABLE main.s.t IS 'x'`: TABLE_OR_VIEW_NOT_FOUND",
        );
        insta::assert_snapshot!(comment_text(
            &failed,
            Some("https://github.com/acme/genie/actions/runs/7"),
            Some("https://github.com/acme/genie/issues/3")
        ));
    }

    #[test]
    fn the_tracking_issue_says_when_it_will_be_closed() {
        let failed = outcome(Status::Failed, "the live space changed after it was read");
        insta::assert_snapshot!(issue_text(&failed, None));
    }

    #[test]
    fn a_repository_in_a_subdirectory_reads_its_own_files_only() {
        let mut all = RepoSnapshot::new();
        all.insert("genie/databricks.yml", "a");
        all.insert("other/databricks.yml", "b");
        let sub = subtree(&all, "genie/");
        assert_eq!(sub.get("databricks.yml"), Some("a"));
        assert_eq!(sub.len(), 1);
        assert_eq!(subtree(&all, "").len(), 2);
    }
}
