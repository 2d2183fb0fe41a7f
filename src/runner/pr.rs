//! The `pr` flow: evaluate a pull request's head against its base, and tell the reviewers.
//!
//! [`start`] decides from the event whether to run at all: fork pull requests and
//! `pull_request_target` runs are skipped (no secrets for a fork's files), closed ones have
//! nothing to evaluate. [`run`] then reads the base, head and merge-base trees with
//! `GitRepo::snapshot_at` (never the work tree), takes the settings and thresholds from the
//! BASE commit's `.genie-gitops.yml` (a pull request cannot lower its own bar) and everything
//! else from the head, and for each space the pull request touches: evaluates the head's files
//! on a temporary space, takes the base's results from the nearest baseline note when its
//! managed files equal the base's (else evaluates the base's files on a temporary space too),
//! and builds the evaluate report with the baseline comparison. A check run on the head SHA,
//! one sticky `pr-eval` comment per space, the step outputs and the job summary carry the result;
//! in dry-run mode nothing is written to GitHub.
//!
//! The markdown shown to reviewers is built by the pure functions in [`comment`].

pub mod comment;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Oid;
use serde::Serialize;

use super::action::ActionContext;
use super::connect::connect;
use super::evaluate::{Against, Options as EvalOptions, PrepareError, Prepared, prepare};
use super::simulator::{self, unthrottle};
use crate::databricks::Workspace;
use crate::databricks::auth::{Environment, MapEnvironment};
use crate::eval::results::{self, RunResults};
use crate::eval::scope::Scope;
use crate::git::notes;
use crate::git::repo::GitRepo;
use crate::github::checks::{self, CheckRunDraft, Conclusion};
use crate::github::client::{ACTIONS_BOT, GitHub};
use crate::github::comments;
use crate::github::event::Event;
use crate::github::outputs::ActionOutputs;
use crate::github::types::WriteMode;
use crate::model::check::durable_files;
use crate::model::diag::Diagnostic;
use crate::model::project::{self, Project, ProjectSpace, SpaceSource};
use crate::model::settings;
use crate::model::snapshot::RepoSnapshot;
use crate::report::{self, Report};
use crate::sim::server::SimHandle;
use comment::{BaseSource, BenchmarkChange, ChangedFile, SpaceView};

/// The kind of the sticky comment (one per space and pull request).
pub const COMMENT_KIND: &str = "pr-eval";

/// The check run's name; the space follows in parentheses.
pub const CHECK_NAME: &str = "genie-gitops/eval";

/// The base compared with when neither the event nor `--base` names one.
pub const DEFAULT_BASE: &str = "origin/main";

/// The head evaluated when neither the event nor `--head` names one.
pub const DEFAULT_HEAD: &str = "HEAD";

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The repository directory (the git work tree or a directory inside it).
    pub repo: PathBuf,
    /// Only this space (default: every space of the head).
    pub space: Option<String>,
    /// The target (default: the default target).
    pub target: Option<String>,
    /// The base revision when the run is not for a `pull_request` event.
    pub base: Option<String>,
    /// The head revision when the run is not for a `pull_request` event.
    pub head: Option<String>,
    /// Where the baseline notes are fetched from (default: the Actions repository, else `origin`).
    pub remote: Option<String>,
}

/// Where the temporary spaces are created.
pub enum WorkspaceSource<'a> {
    /// The built-in simulator, loaded with the base's files (the deployed state).
    Simulator,
    /// The target's workspace, with credentials from this environment.
    Environment(&'a dyn Environment),
}

/// The flow cannot run because the repository's configuration is invalid (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum PrError {
    /// The base's settings or bundle, or the options, do not work.
    #[error("{0}")]
    InvalidConfig(String),
}

/// The two commits compared, and the pull request they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revisions {
    /// The base revision (a SHA from the event, else `--base`, else [`DEFAULT_BASE`]).
    pub base: String,
    /// The head revision (a SHA from the event, else `--head`, else [`DEFAULT_HEAD`]).
    pub head: String,
    /// The pull request's number, when the run is for a `pull_request` event.
    pub pull_request: Option<u64>,
}

/// What [`start`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Do not evaluate; the text says why (for the job summary).
    Skip(String),
    /// Compare these revisions.
    Compare(Revisions),
}

/// Decides from the event (if any) and the options whether and what to compare.
pub fn start(event: Option<&Event>, opts: &Options) -> Start {
    let Some(Event::PullRequest(pr)) = event else {
        return Start::Compare(Revisions {
            base: opts.base.clone().unwrap_or_else(|| DEFAULT_BASE.to_owned()),
            head: opts.head.clone().unwrap_or_else(|| DEFAULT_HEAD.to_owned()),
            pull_request: None,
        });
    };
    if pr.target {
        return Start::Skip(format!(
            "genie-gitops skipped pull request #{}: this run was started by \
             `pull_request_target`, which carries the base repository's secrets, so the pull \
             request's files are never evaluated here. Trigger the workflow on `pull_request`.",
            pr.number
        ));
    }
    if pr.from_fork {
        let from = pr.head.repo.as_deref().unwrap_or("a deleted repository");
        return Start::Skip(format!(
            "genie-gitops skipped pull request #{}: it comes from a fork (`{from}`), and a \
             fork's files are never evaluated with this repository's credentials. A maintainer \
             can push the branch to this repository to have it evaluated.",
            pr.number
        ));
    }
    if pr.action == "closed" {
        return Start::Skip(format!(
            "genie-gitops has nothing to evaluate: pull request #{} is closed.",
            pr.number
        ));
    }
    if opts.base.is_some() || opts.head.is_some() {
        tracing::warn!("--base and --head are ignored: the pull_request event names both commits");
    }
    Start::Compare(Revisions {
        base: pr.base.sha.clone(),
        head: pr.head.sha.clone(),
        pull_request: Some(pr.number),
    })
}

/// What happened to one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceStatus {
    /// Evaluated, and the head clears the base's thresholds.
    Passed,
    /// Evaluated, and the head regresses or is below the base's thresholds.
    Failed,
    /// The pull request touches none of the space's managed files.
    NothingToEvaluate,
    /// The head's files cannot be evaluated (they do not validate).
    Invalid,
}

/// The outcome for one space.
#[derive(Debug, Clone, Serialize)]
pub struct SpaceRun {
    /// The space's name.
    pub space: String,
    /// What happened.
    pub status: SpaceStatus,
    /// The managed files the pull request changes.
    pub changed_files: Vec<ChangedFile>,
    /// Benchmarks the pull request adds, removes or edits.
    pub benchmark_changes: Vec<BenchmarkChange>,
    /// Where the base's results came from (evaluated spaces only).
    pub base_source: Option<BaseSource>,
    /// The evaluate report of the head against the base (evaluated spaces only).
    pub report: Option<Report>,
    /// The comment, check-run and job-summary text.
    pub markdown: String,
}

/// The outcome of a `pr` run.
#[derive(Debug, Clone, Serialize)]
pub struct PrRun {
    /// Why nothing was evaluated, when the run was skipped.
    pub skipped: Option<String>,
    /// The compared revisions (none when skipped).
    pub revisions: Option<Revisions>,
    /// One entry per space, sorted by name.
    pub spaces: Vec<SpaceRun>,
}

/// The run's verdict, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Skipped, nothing to evaluate, or every space passed (exit 0).
    Ok,
    /// A space regressed or is below threshold (exit 2).
    Regression,
    /// A space's files do not validate (exit 3).
    Invalid,
}

impl PrRun {
    fn skipped(reason: String) -> Self {
        Self {
            skipped: Some(reason),
            revisions: None,
            spaces: Vec::new(),
        }
    }

    /// Invalid files win over regressions, which win over passing.
    pub fn verdict(&self) -> Verdict {
        let has = |s: SpaceStatus| self.spaces.iter().any(|r| r.status == s);
        if has(SpaceStatus::Invalid) {
            Verdict::Invalid
        } else if has(SpaceStatus::Failed) {
            Verdict::Regression
        } else {
            Verdict::Ok
        }
    }

    /// The step outputs: the lowest head accuracy and the total of newly failing questions
    /// over the evaluated spaces.
    pub fn outputs(&self) -> ActionOutputs {
        let reports: Vec<&Report> = self
            .spaces
            .iter()
            .filter_map(|s| s.report.as_ref())
            .collect();
        ActionOutputs {
            accuracy: reports
                .iter()
                .map(|r| r.accuracy.rate)
                .min_by(f64::total_cmp),
            regressions: (!reports.is_empty()).then(|| {
                let total: usize = reports.iter().map(|r| regressions(r)).sum();
                u32::try_from(total).unwrap_or(u32::MAX)
            }),
            ..ActionOutputs::default()
        }
    }

    /// The job summary: the skip note, or every space's text.
    pub fn summary(&self) -> String {
        match &self.skipped {
            Some(reason) => format!("# genie-gitops pr\n\n{reason}\n"),
            None => self
                .spaces
                .iter()
                .map(|s| s.markdown.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Questions that newly fail on the head.
fn regressions(report: &Report) -> usize {
    report
        .baseline
        .as_ref()
        .map_or(0, |b| b.newly_failing.len())
}

/// Runs the flow for the event in `ctx` (see the module documentation).
pub async fn run(
    ctx: &ActionContext,
    opts: &Options,
    source: WorkspaceSource<'_>,
) -> Result<PrRun> {
    let revisions = match start(ctx.event.as_ref().map(|e| &e.event), opts) {
        Start::Skip(reason) => {
            let outcome = PrRun::skipped(reason);
            ctx.finish(&outcome.outputs(), Some(&outcome.summary()), None)?;
            return Ok(outcome);
        }
        Start::Compare(revisions) => revisions,
    };
    let trees = Trees::read(&opts.repo, &revisions)?;
    let base_project = discover(&trees.base)
        .map_err(|d| PrError::InvalidConfig(format!("the base's files: {d}")))?;
    let head_settings_problems = head_settings_problems(&trees);
    let head = with_base_settings(&trees.head, &trees.base);
    let head_project = discover(&head);
    let names = space_names(opts, &base_project, head_project.as_ref().ok())?;
    fetch_notes(ctx, opts, &trees.root);
    let publisher = Publisher::new(ctx, &revisions, &trees);
    let mut workspaces = Workspaces {
        source,
        base: &trees.base,
        target: opts.target.as_deref(),
        simulator: None,
    };
    let mut spaces = Vec::new();
    for name in names {
        let input = SpaceInput {
            name: &name,
            opts,
            trees: &trees,
            base_project: &base_project,
            head: &head,
            head_project: head_project.as_ref(),
            head_settings_problems: &head_settings_problems,
        };
        spaces.push(run_space(&input, &publisher, &mut workspaces).await?);
    }
    let outcome = PrRun {
        skipped: None,
        revisions: Some(revisions),
        spaces,
    };
    ctx.finish(
        &outcome.outputs(),
        Some(&outcome.summary()),
        ctx.env.run_url().as_deref(),
    )?;
    Ok(outcome)
}

/// The trees the flow reads, scoped to the repository directory.
struct Trees {
    /// The git work tree's root (where notes are read).
    root: PathBuf,
    base_sha: Oid,
    head_sha: Oid,
    base: RepoSnapshot,
    head: RepoSnapshot,
    /// Where the head branched off the base: what the pull request itself changed is
    /// `merge_base..head`.
    merge_base: RepoSnapshot,
    git: GitRepo,
    /// The repository directory's path inside the work tree (`""` at the root).
    prefix: String,
}

impl Trees {
    fn read(repo_dir: &Path, revisions: &Revisions) -> Result<Self> {
        let git = GitRepo::discover(repo_dir)?;
        let root = git
            .workdir()
            .context("the repository has no work tree (a bare repository?)")?
            .to_path_buf();
        let prefix = prefix_of(repo_dir, &root)?;
        let base_sha = resolve(&git, &revisions.base, "base")?;
        let head_sha = resolve(&git, &revisions.head, "head")?;
        let merge_base = merge_base(&root, base_sha, head_sha).unwrap_or(base_sha);
        Ok(Self {
            base: snapshot(&git, &prefix, base_sha)?,
            head: snapshot(&git, &prefix, head_sha)?,
            merge_base: snapshot(&git, &prefix, merge_base)?,
            root,
            base_sha,
            head_sha,
            git,
            prefix,
        })
    }

    /// The files of `commit`, scoped like the others.
    fn at(&self, commit: Oid) -> Result<RepoSnapshot> {
        snapshot(&self.git, &self.prefix, commit)
    }
}

/// The managed files of `commit` under `prefix`, as if the repository directory were the root.
fn snapshot(git: &GitRepo, prefix: &str, commit: Oid) -> Result<RepoSnapshot> {
    let full = git
        .snapshot_at(&commit.to_string())
        .with_context(|| format!("cannot read the files of commit {commit}"))?;
    Ok(scoped(&full, prefix))
}

fn resolve(git: &GitRepo, rev: &str, which: &str) -> Result<Oid> {
    git.resolve(rev).with_context(|| {
        format!(
            "cannot find the {which} commit `{rev}`; fetch it (actions/checkout `fetch-depth: 0`) \
             or pass --{which}"
        )
    })
}

/// The best common ancestor of the two commits, if they have one.
fn merge_base(root: &Path, base: Oid, head: Oid) -> Option<Oid> {
    let repo = git2::Repository::open(root).ok()?;
    repo.merge_base(base, head).ok()
}

/// `repo_dir`'s path inside the work tree `root`, `/`-separated, with a trailing `/` unless
/// it is the root itself.
fn prefix_of(repo_dir: &Path, root: &Path) -> Result<String> {
    let dir = repo_dir
        .canonicalize()
        .with_context(|| format!("cannot open {}", repo_dir.display()))?;
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot open {}", root.display()))?;
    let inside = dir.strip_prefix(&root).with_context(|| {
        format!(
            "{} is not inside the work tree {}",
            dir.display(),
            root.display()
        )
    })?;
    let parts: Vec<String> = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(if parts.is_empty() {
        String::new()
    } else {
        format!("{}/", parts.join("/"))
    })
}

/// The files of `snapshot` under `prefix`, with the prefix removed.
fn scoped(snapshot: &RepoSnapshot, prefix: &str) -> RepoSnapshot {
    if prefix.is_empty() {
        return snapshot.clone();
    }
    let mut out = RepoSnapshot::new();
    for (path, text) in snapshot.iter() {
        if let Some(inner) = path.strip_prefix(prefix) {
            out.insert(inner, text);
        }
    }
    out
}

/// `head` with the base's settings file (or none, when the base has none): the head's space
/// files judged by the base's rules.
fn with_base_settings(head: &RepoSnapshot, base: &RepoSnapshot) -> RepoSnapshot {
    let mut merged = head.clone();
    match base.get(settings::FILE_NAME) {
        Some(text) => merged.insert(settings::FILE_NAME, text),
        None => merged.remove(settings::FILE_NAME),
    };
    merged
}

/// The problems of the head's own settings file, when the pull request changes it: it is not
/// used for this run, but it will be after the merge.
fn head_settings_problems(trees: &Trees) -> Vec<Diagnostic> {
    let Some(text) = trees.head.get(settings::FILE_NAME) else {
        return Vec::new();
    };
    if trees.base.get(settings::FILE_NAME) == Some(text) {
        return Vec::new();
    }
    settings::load(settings::FILE_NAME, text)
        .err()
        .unwrap_or_default()
}

/// The project of `snapshot`, or its errors as one text.
fn discover(snapshot: &RepoSnapshot) -> Result<Project, String> {
    project::discover(snapshot)
        .map(|(project, _warnings)| project)
        .map_err(|diags| render_diagnostics(&diags))
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The spaces to look at: `--space`, else every space of the head (the base's when the head
/// does not validate).
fn space_names(
    opts: &Options,
    base: &Project,
    head: Option<&Project>,
) -> Result<Vec<String>, PrError> {
    let known: BTreeSet<&String> = base
        .spaces
        .keys()
        .chain(head.into_iter().flat_map(|h| h.spaces.keys()))
        .collect();
    match &opts.space {
        Some(name) if known.contains(name) => Ok(vec![name.clone()]),
        Some(name) => Err(PrError::InvalidConfig(format!(
            "unknown space `{name}`; known spaces: {}",
            known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => {
            let names: Vec<String> = head.unwrap_or(base).spaces.keys().cloned().collect();
            if names.is_empty() {
                return Err(PrError::InvalidConfig(
                    "the repository declares no Genie space".into(),
                ));
            }
            Ok(names)
        }
    }
}

/// Brings the remote's baseline notes into the local repository. A failure only means the
/// base is evaluated instead, so it is a warning.
fn fetch_notes(ctx: &ActionContext, opts: &Options, root: &Path) {
    let fetched = ctx
        .remote(opts.remote.as_deref(), root)
        .and_then(|remote| notes::fetch(&remote, root));
    if let Err(e) = fetched {
        tracing::warn!("cannot fetch the baseline notes ({e:#}); using the local ones, if any");
    }
}

/// Everything one space's run reads.
struct SpaceInput<'a> {
    name: &'a str,
    opts: &'a Options,
    trees: &'a Trees,
    base_project: &'a Project,
    /// The head's files with the base's settings.
    head: &'a RepoSnapshot,
    head_project: Result<&'a Project, &'a String>,
    head_settings_problems: &'a [Diagnostic],
}

async fn run_space(
    input: &SpaceInput<'_>,
    publisher: &Publisher<'_>,
    workspaces: &mut Workspaces<'_>,
) -> Result<SpaceRun> {
    let name = input.name;
    let trees = input.trees;
    let paths = managed_paths_of(input);
    let changed_files = changed_files(&paths, &trees.merge_base, &trees.head, input);
    let benchmark_changes = benchmark_changes(input);
    let view = SpaceView {
        space: name,
        pull_request: publisher.number,
        base_sha: trees.base_sha.to_string(),
        head_sha: trees.head_sha.to_string(),
        changed_files: &changed_files,
        benchmark_changes: &benchmark_changes,
        thresholds: &input.base_project.settings.thresholds,
    };
    let finish = |status, base_source, report, markdown| SpaceRun {
        space: name.to_owned(),
        status,
        changed_files: changed_files.clone(),
        benchmark_changes: benchmark_changes.clone(),
        base_source,
        report,
        markdown,
    };
    if changed_files.is_empty() {
        let markdown = comment::nothing_to_evaluate(&view);
        publisher.nothing_to_evaluate(name, &markdown).await?;
        return Ok(finish(SpaceStatus::NothingToEvaluate, None, None, markdown));
    }
    let head_prepared = match prepare_head(input) {
        Ok(prepared) => prepared,
        Err(problems) => {
            let markdown = comment::invalid(&view, &problems);
            publisher.invalid(name, &markdown).await?;
            return Ok(finish(SpaceStatus::Invalid, None, None, markdown));
        }
    };
    let check = publisher.begin(name).await?;
    let evaluated = evaluate_both(input, head_prepared, workspaces).await;
    let (head_results, base) = match evaluated {
        Ok(both) => both,
        Err(e) => {
            let markdown = comment::did_not_finish(&view, &format!("{e:#}"));
            if let Err(publish) = publisher
                .end(
                    name,
                    check,
                    Conclusion::Failure,
                    "The evaluation did not finish",
                    &markdown,
                )
                .await
            {
                tracing::error!("cannot report the failure on GitHub: {publish:#}");
            }
            return Err(e);
        }
    };
    let report = report::build(
        &head_results,
        &input.base_project.settings.thresholds,
        base.results.as_ref(),
    );
    let markdown = comment::evaluated(&view, &report, &base.source, base.results.as_ref());
    let (status, conclusion) = if report.gate.passed {
        (SpaceStatus::Passed, Conclusion::Success)
    } else {
        (SpaceStatus::Failed, Conclusion::Failure)
    };
    let title = comment::check_title(&report);
    publisher
        .end(name, check, conclusion, &title, &markdown)
        .await?;
    Ok(finish(status, Some(base.source), Some(report), markdown))
}

/// The head prepared for evaluation, or every reason it cannot be.
fn prepare_head(input: &SpaceInput<'_>) -> Result<Prepared, String> {
    let mut problems = Vec::new();
    if !input.head_settings_problems.is_empty() {
        problems.push(format!(
            "the pull request's `{}` (used after the merge) does not validate:\n{}",
            settings::FILE_NAME,
            render_diagnostics(input.head_settings_problems)
        ));
    }
    let prepared = match input.head_project {
        Err(diags) => Err(diags.clone()),
        Ok(_) => prepare(input.head, &eval_options(input.name, input.opts))
            .map_err(|e| e.to_string())
            .and_then(|prepared| connect_as_base(prepared, input.base_project)),
    };
    match prepared {
        Ok(prepared) if problems.is_empty() => Ok(prepared),
        Ok(_) => Err(problems.join("\n\n")),
        Err(e) => {
            problems.push(e);
            Err(problems.join("\n\n"))
        }
    }
}

/// Points `prepared` at the base's workspace for its target: host, profile and warehouse come
/// from the base, never from the pull request, which could otherwise send the workspace
/// credentials to a host of its choosing.
fn connect_as_base(mut prepared: Prepared, base: &Project) -> Result<Prepared, String> {
    let name = prepared.target.name.clone();
    let Ok(target) = base.target(Some(&name)) else {
        return Err(format!(
            "the target `{name}` is not in the base's bundle: a pull request cannot add the \
             workspace it is evaluated on; merge the target first"
        ));
    };
    if prepared.target.host != target.host || prepared.target.profile != target.profile {
        tracing::warn!(
            "the pull request changes the workspace of target `{name}`; evaluating on the base's"
        );
    }
    prepared.target.host = target.host.clone();
    prepared.target.profile = target.profile.clone();
    if prepared.target.warehouse_id != target.warehouse_id {
        prepared.target.warehouse_id = target.warehouse_id.clone();
        prepared.warehouse_id = target.warehouse_id.clone().or(prepared.warehouse_id);
    }
    Ok(prepared)
}

fn eval_options(space: &str, opts: &Options) -> EvalOptions {
    EvalOptions {
        space: Some(space.to_owned()),
        target: opts.target.clone(),
        scope: Scope::Full,
        against: Against::File,
        engine: None,
        repeat: None,
    }
}

/// The base's results and where they came from.
struct Base {
    source: BaseSource,
    results: Option<RunResults>,
}

/// Evaluates the head, then finds or evaluates the base.
async fn evaluate_both(
    input: &SpaceInput<'_>,
    mut head: Prepared,
    workspaces: &mut Workspaces<'_>,
) -> Result<(RunResults, Base)> {
    let root = &input.trees.root;
    let head_results = workspaces
        .evaluate(&mut head, root)
        .await
        .context("evaluating the head's files")?;
    let base = match note_results(input)? {
        Some(base) => base,
        None => match prepare(&input.trees.base, &eval_options(input.name, input.opts)) {
            Ok(mut prepared) => Base {
                results: Some(
                    workspaces
                        .evaluate(&mut prepared, root)
                        .await
                        .context("evaluating the base's files")?,
                ),
                source: BaseSource::Evaluated,
            },
            Err(e) => Base {
                source: BaseSource::Unavailable {
                    reason: base_unavailable(&e),
                },
                results: None,
            },
        },
    };
    Ok((head_results, base))
}

fn base_unavailable(e: &PrepareError) -> String {
    format!("the base's files cannot be evaluated: {e}")
}

/// The nearest baseline note's results, when the managed files at its commit equal the base's.
fn note_results(input: &SpaceInput<'_>) -> Result<Option<Base>> {
    let trees = input.trees;
    let found = match notes::latest(&trees.root, trees.base_sha, input.name) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!("cannot read the baseline notes ({e:#}); evaluating the base instead");
            return Ok(None);
        }
    };
    let Some(baseline) = found else {
        return Ok(None);
    };
    let at_note = trees.at(baseline.commit)?;
    let mut paths = BTreeSet::new();
    if let Some(space) = input.base_project.space(input.name) {
        paths.extend(managed_paths(
            input.base_project,
            space,
            &[&at_note, &trees.base],
        ));
    }
    let differ = paths.iter().any(|p| at_note.get(p) != trees.base.get(p));
    if paths.is_empty() || differ {
        tracing::info!(
            note = %baseline.commit,
            "the baseline note's managed files differ from the base's; evaluating the base"
        );
        return Ok(None);
    }
    match results::parse(&baseline.results.to_string()) {
        Ok(results) => Ok(Some(Base {
            source: BaseSource::Note {
                commit: baseline.commit.to_string(),
            },
            results: Some(results),
        })),
        Err(e) => {
            tracing::warn!(
                note = %baseline.commit,
                "the baseline note does not hold a results document ({e}); evaluating the base"
            );
            Ok(None)
        }
    }
}

/// The managed paths of the space in the head and the base projects.
fn managed_paths_of(input: &SpaceInput<'_>) -> BTreeSet<String> {
    let trees = input.trees;
    let snapshots = [&trees.merge_base, &trees.head];
    let mut paths = BTreeSet::new();
    for project in [Some(input.base_project), input.head_project.ok()]
        .into_iter()
        .flatten()
    {
        if let Some(space) = project.space(input.name) {
            paths.extend(managed_paths(project, space, &snapshots));
        }
    }
    paths.insert(settings::FILE_NAME.to_owned());
    paths
}

/// Every file that defines `space` in `project`, as present in any of `snapshots`: its space
/// file (or the bundle file declaring it inline), benchmarks, durable metadata files, the
/// settings file and the bundle's files.
pub fn managed_paths(
    project: &Project,
    space: &ProjectSpace,
    snapshots: &[&RepoSnapshot],
) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    match &space.source {
        SpaceSource::File(path) => paths.insert(path.clone()),
        SpaceSource::Inline { declared_in, .. } => paths.insert(declared_in.clone()),
    };
    paths.extend(space.benchmarks.iter().cloned());
    paths.insert(space.files.tables.clone());
    paths.insert(space.files.table_properties.clone());
    for snapshot in snapshots {
        paths.extend(durable_files(snapshot, space).into_iter().map(|(p, _)| p));
    }
    paths.insert(settings::FILE_NAME.to_owned());
    if let Some(bundle) = &project.bundle {
        paths.extend(bundle.files.iter().cloned());
    }
    paths
}

/// The managed files that differ between `before` and `after`, with what each one is.
fn changed_files(
    paths: &BTreeSet<String>,
    before: &RepoSnapshot,
    after: &RepoSnapshot,
    input: &SpaceInput<'_>,
) -> Vec<ChangedFile> {
    let space = input
        .head_project
        .ok()
        .and_then(|p| p.space(input.name))
        .or_else(|| input.base_project.space(input.name));
    paths
        .iter()
        .filter(|p| before.get(p) != after.get(p))
        .map(|p| ChangedFile {
            path: p.clone(),
            kind: comment::file_kind(p, space, input.base_project),
            change: comment::FileChange::between(before.get(p), after.get(p)),
        })
        .collect()
}

/// The benchmarks the pull request adds, removes or edits (merge base → head).
fn benchmark_changes(input: &SpaceInput<'_>) -> Vec<BenchmarkChange> {
    let files: BTreeSet<String> = [Some(input.base_project), input.head_project.ok()]
        .into_iter()
        .flatten()
        .filter_map(|p| p.space(input.name))
        .flat_map(|s| s.benchmarks.iter().cloned())
        .collect();
    let before = comment::benchmarks_in(&input.trees.merge_base, &files);
    let after = comment::benchmarks_in(&input.trees.head, &files);
    comment::benchmark_changes(&before, &after)
}

/// The workspace the temporary spaces are created in, connected on first use.
struct Workspaces<'a> {
    source: WorkspaceSource<'a>,
    /// The base's files: what the simulator is loaded with.
    base: &'a RepoSnapshot,
    target: Option<&'a str>,
    /// The running simulator (dropping it stops the server).
    simulator: Option<(SimHandle, MapEnvironment)>,
}

impl Workspaces<'_> {
    /// Evaluates `prepared` on a temporary space (always trashed).
    async fn evaluate(&mut self, prepared: &mut Prepared, root: &Path) -> Result<RunResults> {
        let ws = self.connect(prepared).await?;
        let mut graded = |q: &crate::eval::results::QuestionResult| {
            tracing::debug!(id = %q.id, outcome = ?q.outcome, "graded");
        };
        super::evaluate::run(prepared, &ws, root, &mut graded).await
    }

    async fn connect(&mut self, prepared: &mut Prepared) -> Result<Workspace> {
        match self.source {
            WorkspaceSource::Environment(env) => connect(&prepared.project, &prepared.target, env),
            WorkspaceSource::Simulator => {
                if self.simulator.is_none() {
                    // Loaded with the base's files (the deployed state): the head's durable-file
                    // changes reach a workspace only at deploy, here as in a real one.
                    let (handle, env) =
                        simulator::start_snapshot(self.base, self.target, &prepared.project)
                            .await
                            .context("cannot load the base into the simulator")?;
                    tracing::info!(url = handle.base_url(), "simulator (a stand-in for Genie)");
                    self.simulator = Some((handle, env));
                }
                unthrottle(&mut prepared.project);
                let Some((_, env)) = &self.simulator else {
                    anyhow::bail!("the simulator did not start");
                };
                connect(&prepared.project, &prepared.target, env)
            }
        }
    }
}

/// Writes the check run and the sticky comment, when the run is for a pull request and a
/// GitHub client is configured; in dry-run mode it only reads.
struct Publisher<'a> {
    github: Option<&'a GitHub>,
    bot: String,
    number: Option<u64>,
    head_sha: String,
    details_url: Option<String>,
    mode: WriteMode,
}

impl<'a> Publisher<'a> {
    fn new(ctx: &'a ActionContext, revisions: &Revisions, trees: &Trees) -> Self {
        Self {
            github: ctx
                .github
                .as_ref()
                .filter(|_| revisions.pull_request.is_some()),
            bot: ctx
                .bot_login
                .clone()
                .unwrap_or_else(|| ACTIONS_BOT.to_owned()),
            number: revisions.pull_request,
            head_sha: trees.head_sha.to_string(),
            details_url: ctx.env.run_url(),
            mode: ctx.mode,
        }
    }

    fn draft(
        &self,
        space: &str,
        conclusion: Option<Conclusion>,
        title: &str,
        summary: &str,
    ) -> CheckRunDraft {
        CheckRunDraft {
            name: format!("{CHECK_NAME} ({space})"),
            head_sha: self.head_sha.clone(),
            conclusion,
            title: title.to_owned(),
            summary: summary.to_owned(),
            details_url: self.details_url.clone(),
        }
    }

    fn marker(space: &str) -> crate::github::marker::Marker {
        comments::sticky_marker(COMMENT_KIND, Some(space))
    }

    /// An in-progress check run and the placeholder comment. Returns the check run's id.
    async fn begin(&self, space: &str) -> Result<Option<u64>> {
        let (Some(gh), Some(number)) = (self.github, self.number) else {
            return Ok(None);
        };
        if self.mode == WriteMode::DryRun {
            return Ok(None);
        }
        let draft = self.draft(
            space,
            None,
            "Evaluating the head against the base",
            "The evaluation is running.",
        );
        let run = checks::create(gh, &draft, self.mode)
            .await
            .context("creating the check run")?;
        let placeholder = comments::placeholder(
            "genie-gitops is evaluating this pull request's head against its base",
        );
        comments::upsert_sticky(
            gh,
            number,
            &Self::marker(space),
            &self.bot,
            &placeholder,
            None,
            self.mode,
        )
        .await
        .context("posting the placeholder comment")?;
        Ok(run.map(|r| r.id))
    }

    /// Completes the check run (or creates it completed) and puts `markdown` in the comment.
    async fn end(
        &self,
        space: &str,
        check: Option<u64>,
        conclusion: Conclusion,
        title: &str,
        markdown: &str,
    ) -> Result<()> {
        let (Some(gh), Some(number)) = (self.github, self.number) else {
            return Ok(());
        };
        let draft = self.draft(space, Some(conclusion), title, markdown);
        match check {
            Some(id) => checks::update(gh, id, &draft, self.mode).await,
            None => checks::create(gh, &draft, self.mode).await.map(|_| ()),
        }
        .context("completing the check run")?;
        let result = comments::upsert_sticky(
            gh,
            number,
            &Self::marker(space),
            &self.bot,
            markdown,
            self.details_url.as_deref(),
            self.mode,
        )
        .await
        .context("posting the report comment")?;
        tracing::info!(action = ?result.action, url = result.url.as_deref().unwrap_or("-"), "pr-eval comment");
        Ok(())
    }

    /// A completed failing check and the comment for files that do not validate.
    async fn invalid(&self, space: &str, markdown: &str) -> Result<()> {
        self.end(
            space,
            None,
            Conclusion::Failure,
            "The pull request's files do not validate",
            markdown,
        )
        .await
    }

    /// A short neutral check; an existing comment (from an earlier push) is brought up to
    /// date, but no new one is posted.
    async fn nothing_to_evaluate(&self, space: &str, markdown: &str) -> Result<()> {
        let (Some(gh), Some(number)) = (self.github, self.number) else {
            return Ok(());
        };
        let draft = self.draft(
            space,
            Some(Conclusion::Neutral),
            "Nothing to evaluate",
            markdown,
        );
        checks::create(gh, &draft, self.mode)
            .await
            .context("creating the check run")?;
        let existing = comments::list(gh, number)
            .await
            .context("listing the comments")?;
        if comments::find_sticky(&existing, &Self::marker(space), &self.bot).is_some() {
            comments::upsert_sticky(
                gh,
                number,
                &Self::marker(space),
                &self.bot,
                markdown,
                None,
                self.mode,
            )
            .await
            .context("updating the comment")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::event::{PrSide, PullRequestEvent};

    fn pull_request(head_repo: Option<&str>, target: bool, action: &str) -> Event {
        let side = |sha: &str, repo: Option<&str>| PrSide {
            branch: "b".into(),
            sha: sha.into(),
            repo: repo.map(str::to_owned),
        };
        let head = side("head-sha", head_repo);
        let base = side("base-sha", Some("acme/genie"));
        Event::PullRequest(PullRequestEvent {
            action: action.into(),
            number: 7,
            title: "t".into(),
            author: "ann".into(),
            from_fork: head.repo != base.repo,
            head,
            base,
            merged: false,
            merge_commit_sha: None,
            target,
        })
    }

    #[test]
    fn a_same_repository_pull_request_compares_the_events_commits() {
        let opts = Options {
            base: Some("ignored".into()),
            ..Options::default()
        };
        let event = pull_request(Some("acme/genie"), false, "synchronize");
        assert_eq!(
            start(Some(&event), &opts),
            Start::Compare(Revisions {
                base: "base-sha".into(),
                head: "head-sha".into(),
                pull_request: Some(7),
            })
        );
    }

    #[test]
    fn fork_pull_requests_and_pull_request_target_runs_are_skipped_with_a_reason() {
        let opts = Options::default();
        let fork = pull_request(Some("mallory/genie"), false, "opened");
        let Start::Skip(reason) = start(Some(&fork), &opts) else {
            panic!("a fork pull request must be skipped");
        };
        assert!(reason.contains("fork (`mallory/genie`)"), "{reason}");
        let target = pull_request(Some("acme/genie"), true, "opened");
        let Start::Skip(reason) = start(Some(&target), &opts) else {
            panic!("a pull_request_target run must be skipped");
        };
        assert!(reason.contains("pull_request_target"), "{reason}");
        let closed = pull_request(Some("acme/genie"), false, "closed");
        assert!(matches!(start(Some(&closed), &opts), Start::Skip(_)));
    }

    #[test]
    fn without_a_pull_request_event_the_flags_then_the_defaults_name_the_commits() {
        let defaults = start(None, &Options::default());
        assert_eq!(
            defaults,
            Start::Compare(Revisions {
                base: DEFAULT_BASE.into(),
                head: DEFAULT_HEAD.into(),
                pull_request: None,
            })
        );
        let opts = Options {
            base: Some("v1".into()),
            head: Some("topic".into()),
            ..Options::default()
        };
        let Start::Compare(r) = start(None, &opts) else {
            panic!("flags compare");
        };
        assert_eq!((r.base.as_str(), r.head.as_str()), ("v1", "topic"));
    }

    #[test]
    fn the_heads_files_are_judged_with_the_bases_settings() {
        let mut head = RepoSnapshot::new();
        head.insert("space.json", "head");
        head.insert(settings::FILE_NAME, "thresholds: lowered");
        let mut base = RepoSnapshot::new();
        base.insert("space.json", "base");
        base.insert(settings::FILE_NAME, "thresholds: strict");
        let merged = with_base_settings(&head, &base);
        assert_eq!(merged.get("space.json"), Some("head"));
        assert_eq!(merged.get(settings::FILE_NAME), Some("thresholds: strict"));
        base.remove(settings::FILE_NAME);
        assert_eq!(
            with_base_settings(&head, &base).get(settings::FILE_NAME),
            None
        );
    }

    #[test]
    fn a_repository_in_a_subdirectory_sees_only_its_own_files() {
        let mut full = RepoSnapshot::new();
        full.insert("genie/databricks.yml", "x");
        full.insert("other/databricks.yml", "y");
        let inner = scoped(&full, "genie/");
        assert_eq!(inner.paths().collect::<Vec<_>>(), vec!["databricks.yml"]);
        assert_eq!(inner.get("databricks.yml"), Some("x"));
    }

    fn fixture() -> RepoSnapshot {
        crate::git::fs::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/wanderbricks"
        )))
        .unwrap()
    }

    #[test]
    fn a_pull_request_cannot_point_the_evaluation_at_another_workspace() {
        let base = fixture();
        let mut head = base.clone();
        let bundle = head.get("databricks.yml").unwrap().to_owned();
        let evil = bundle.replace(
            "  dev:\n    default: true\n",
            "  dev:\n    default: true\n    workspace:\n      host: https://evil.example.com\n",
        );
        assert_ne!(
            evil, bundle,
            "the fixture's dev target moved; update this test"
        );
        head.insert("databricks.yml", &evil);
        let base_project = discover(&base).unwrap();
        let opts = Options::default();
        let prepared = prepare(&head, &eval_options("wanderbricks", &opts)).unwrap();
        assert_eq!(
            prepared.target.host.as_deref(),
            Some("https://evil.example.com")
        );
        let pinned = connect_as_base(prepared, &base_project).unwrap();
        assert_eq!(
            pinned.target.host,
            base_project.target(Some("dev")).unwrap().host
        );

        let mut renamed = head.clone();
        renamed.insert("databricks.yml", bundle.replace("  dev:\n", "  pr-only:\n"));
        let prepared = prepare(&renamed, &eval_options("wanderbricks", &opts)).unwrap();
        let err = connect_as_base(prepared, &base_project).unwrap_err();
        assert!(err.contains("not in the base's bundle"), "{err}");
    }
}
