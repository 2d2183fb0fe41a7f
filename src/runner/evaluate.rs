//! The evaluation run: [`prepare`] reads and checks everything from the repository (no
//! network), [`Prepared::plan`] says what a run would do (the `--dry-run` output), and [`run`]
//! does it: find the live space or create a temporary one from the repository's file, run
//! every gold query once, ask every question (`repeat` times) through the conversation API or
//! the native eval-runs API, grade each answer with `eval::grade` as soon as its attempts are
//! in (calling back per question), and return the run's results.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::live;
use super::progress::Progress;
use super::temp::with_temporary_space;
use super::truth::GroundTruth;
use crate::databricks::genie::{Answer, GenieClient, Outcome as GenieOutcome};
use crate::databricks::serving::{ChatMessage, ChatOptions};
use crate::databricks::types::{CreateSpaceRequest, EvalResponse, StatementState};
use crate::databricks::{DatabricksError, Workspace};
use crate::eval::asi::SpaceIndex;
use crate::eval::grade::{GenieAnswer, Graded, QuestionContext, grade, question_result};
use crate::eval::judge::{needs_semantic_judge, parse_semantic_reply, semantic_prompt};
use crate::eval::results::{JudgeVerdict, Judgement, QuestionResult, RunInfo, RunResults};
use crate::eval::scope::{Scope, select};
use crate::model::benchmarks::{self, Benchmark};
use crate::model::diag::Diagnostic;
use crate::model::project::{Project, ProjectSpace, ProjectTarget, SpaceSource};
use crate::model::result::ResultSet;
use crate::model::settings::EvalEngine;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::{
    self, BenchmarkAnswer, BenchmarkQuestion, Benchmarks, SerializedSpace, to_lines,
};
use crate::model::template;

/// How long one question may take, start to final answer.
const ASK_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// How long one native evaluation run may take.
const EVAL_RUN_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// Which space is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// The deployed space.
    Live,
    /// A temporary space created from the repository's space file (trashed afterwards).
    File,
}

impl Against {
    fn label(self) -> &'static str {
        match self {
            Against::Live => "live",
            Against::File => "file",
        }
    }
}

fn engine_label(engine: EvalEngine) -> &'static str {
    match engine {
        EvalEngine::Conversation => "conversation",
        EvalEngine::Native => "native",
    }
}

/// What the user asked for; `None` falls back to the settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub space: Option<String>,
    pub target: Option<String>,
    pub scope: Scope,
    pub against: Against,
    pub engine: Option<EvalEngine>,
    pub repeat: Option<u32>,
}

/// The repository cannot be evaluated as configured (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{}", render(.0))]
    Files(Vec<Diagnostic>),
    #[error("{0}")]
    Config(String),
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One question ready to run.
#[derive(Debug, Clone)]
pub struct PreparedQuestion {
    pub benchmark: Benchmark,
    /// The gold SQL with the target's variables resolved.
    pub gold_sql: String,
}

/// Everything read from the repository for one run.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub project: Project,
    pub space: ProjectSpace,
    pub target: ProjectTarget,
    pub scope: Scope,
    pub against: Against,
    pub engine: EvalEngine,
    pub repeat: u32,
    pub questions: Vec<PreparedQuestion>,
    /// The repository's space with the target's variables resolved.
    pub space_model: SerializedSpace,
    pub title: Option<String>,
    pub description: Option<String>,
    pub warehouse_id: Option<String>,
}

/// The `--dry-run` output: what a run would do, with no call made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub space: String,
    pub target: String,
    pub scope: String,
    pub against: Against,
    pub engine: String,
    pub repeat: u32,
    pub questions: Vec<PlannedQuestion>,
    /// Questions Genie would be asked (conversation engine), or asked inside eval runs.
    pub genie_questions: usize,
    /// Native evaluation runs started (0 for the conversation engine).
    pub eval_runs: usize,
    /// Distinct gold queries run on the warehouse.
    pub ground_truth_statements: usize,
    /// Spaces created and trashed.
    pub temporary_spaces: usize,
}

/// One planned question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedQuestion {
    pub id: String,
    pub priority: String,
    pub split: String,
    pub question: String,
}

/// Reads the project, the space and its benchmarks from `repo` and applies the options.
pub fn prepare(repo: &RepoSnapshot, opts: &Options) -> Result<Prepared, PrepareError> {
    let (project, _warnings) =
        crate::model::project::discover(repo).map_err(PrepareError::Files)?;
    let space = pick_space(&project, opts.space.as_deref())?;
    let target = project
        .target(opts.target.as_deref())
        .map_err(|e| PrepareError::Config(e.to_string()))?
        .clone();
    let vars = &target.variables;
    let resolve = |what: &str, text: &str| {
        template::resolve(text, vars).map_err(|e| {
            PrepareError::Config(format!(
                "{what}: {e} (target `{}`); define the variable for this target",
                target.name
            ))
        })
    };
    let all = load_benchmarks(repo, &space)?;
    let policy = project.settings.evaluation.split_policy();
    let chosen =
        select(&opts.scope, &all, &policy).map_err(|e| PrepareError::Config(e.to_string()))?;
    let mut questions = Vec::new();
    for b in chosen {
        let gold_sql = resolve(&format!("benchmark `{}`", b.id), &b.expected_sql)?;
        questions.push(PreparedQuestion {
            benchmark: b.clone(),
            gold_sql,
        });
    }
    let space_text = space_json(repo, &space)?;
    let resolved = resolve(&format!("space `{}`", space.name), &space_text)?;
    let space_model: SerializedSpace = serde_json::from_str(&resolved).map_err(|e| {
        PrepareError::Config(format!(
            "space `{}` after template resolution: {e}",
            space.name
        ))
    })?;
    let evaluation = &project.settings.evaluation;
    let repeat = opts.repeat.unwrap_or(evaluation.repeat).max(1);
    let engine = opts.engine.unwrap_or(evaluation.engine);
    if let Some(cap) = project.settings.genie.max_questions_per_run {
        let asked = questions.len() * repeat as usize;
        if asked > cap as usize {
            return Err(PrepareError::Config(format!(
                "this run would ask {asked} questions but genie.max_questions_per_run is {cap}; narrow --scope, lower --repeat or raise the cap"
            )));
        }
    }
    let optional =
        |what: &str, text: &Option<String>| text.as_deref().map(|t| resolve(what, t)).transpose();
    Ok(Prepared {
        title: optional("title", &space.title)?,
        description: optional("description", &space.description)?,
        warehouse_id: match &target.warehouse_id {
            Some(w) => Some(w.clone()),
            None => optional("warehouse_id", &space.warehouse_id)?,
        },
        project,
        space,
        target,
        scope: opts.scope.clone(),
        against: opts.against,
        engine,
        repeat,
        questions,
        space_model,
    })
}

fn pick_space(project: &Project, name: Option<&str>) -> Result<ProjectSpace, PrepareError> {
    let known = || {
        project
            .spaces
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => project.space(name).cloned().ok_or_else(|| {
            PrepareError::Config(format!("unknown space `{name}`; known spaces: {}", known()))
        }),
        None => match project.spaces.values().collect::<Vec<_>>().as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(PrepareError::Config(
                "the repository declares no Genie space".into(),
            )),
            _ => Err(PrepareError::Config(format!(
                "the repository has several spaces ({}); choose one with --space",
                known()
            ))),
        },
    }
}

fn load_benchmarks(
    repo: &RepoSnapshot,
    space: &ProjectSpace,
) -> Result<Vec<Benchmark>, PrepareError> {
    if space.benchmarks.is_empty() {
        return Err(PrepareError::Config(format!(
            "space `{}` has no benchmark file; add benchmarks/{}.yaml or list one under spaces.{}.benchmarks",
            space.name, space.name, space.name
        )));
    }
    let mut all = Vec::new();
    for path in &space.benchmarks {
        let text = repo
            .get(path)
            .ok_or_else(|| PrepareError::Config(format!("benchmark file `{path}` not found")))?;
        let (file, _warnings) = benchmarks::load(path, text).map_err(PrepareError::Files)?;
        all.extend(file.questions);
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = all.iter().find(|b| !seen.insert(b.id.clone())) {
        return Err(PrepareError::Config(format!(
            "benchmark id `{}` appears in more than one benchmark file of space `{}`",
            dup.id, space.name
        )));
    }
    Ok(all)
}

/// The space configuration as the API's JSON string, templates unresolved.
fn space_json(repo: &RepoSnapshot, space: &ProjectSpace) -> Result<String, PrepareError> {
    match &space.source {
        SpaceSource::File(path) => {
            let text = repo
                .get(path)
                .ok_or_else(|| PrepareError::Config(format!("space file `{path}` not found")))?;
            let parsed = space::parse(path, text).map_err(PrepareError::Files)?;
            Ok(parsed.file.space.to_api_string())
        }
        SpaceSource::Inline { declared_in, json } => {
            let model: SerializedSpace = serde_json::from_value(json.clone()).map_err(|e| {
                PrepareError::Config(format!("{declared_in}: inline serialized_space: {e}"))
            })?;
            Ok(model.to_api_string())
        }
    }
}

impl Prepared {
    /// What [`run`] would do.
    pub fn plan(&self) -> Plan {
        let policy = self.project.settings.evaluation.split_policy();
        let distinct: BTreeSet<&str> = self.questions.iter().map(|q| q.gold_sql.trim()).collect();
        let asked = self.questions.len() * self.repeat as usize;
        Plan {
            space: self.space.name.clone(),
            target: self.target.name.clone(),
            scope: self.scope.to_string(),
            against: self.against,
            engine: engine_label(self.engine).to_string(),
            repeat: self.repeat,
            questions: self
                .questions
                .iter()
                .map(|q| PlannedQuestion {
                    id: q.benchmark.id.clone(),
                    priority: q.benchmark.priority.to_string(),
                    split: q.benchmark.split_with(&policy).to_string(),
                    question: q.benchmark.question.clone(),
                })
                .collect(),
            genie_questions: asked,
            eval_runs: match self.engine {
                EvalEngine::Native => self.repeat as usize,
                EvalEngine::Conversation => 0,
            },
            ground_truth_statements: distinct.len(),
            temporary_spaces: usize::from(self.against == Against::File),
        }
    }

    fn run_info(&self, space_id: &str, resolved_by: &str) -> RunInfo {
        let evaluation = &self.project.settings.evaluation;
        RunInfo {
            space: self.space.name.clone(),
            target: self.target.name.clone(),
            space_id: space_id.to_string(),
            resolved_by: resolved_by.to_string(),
            against: self.against.label().to_string(),
            engine: engine_label(self.engine).to_string(),
            scope: self.scope.to_string(),
            as_of: evaluation.as_of.clone(),
            repeat: self.repeat,
            float_tolerance: evaluation.float_tolerance,
        }
    }

    /// The id a question gets as a benchmark of a temporary space (native engine).
    fn native_id(benchmark: &Benchmark) -> String {
        space::new_id(&format!("genie-gitops benchmark {}", benchmark.id))
    }

    /// The repository's space with this run's questions as its benchmarks (native engine).
    fn space_for_native(&self) -> SerializedSpace {
        let mut model = self.space_model.clone();
        model.benchmarks = Some(Benchmarks {
            questions: self
                .questions
                .iter()
                .map(|q| BenchmarkQuestion {
                    id: Self::native_id(&q.benchmark),
                    question: to_lines(&q.benchmark.question),
                    answer: vec![BenchmarkAnswer {
                        format: "SQL".into(),
                        content: to_lines(&q.gold_sql),
                        ..BenchmarkAnswer::default()
                    }],
                    ..BenchmarkQuestion::default()
                })
                .collect(),
            ..Benchmarks::default()
        });
        model
    }
}

/// Runs the prepared evaluation on `ws`. `repo_root` is where the bundle deployment state
/// lives; `on_question` is called once per question as soon as it is graded.
pub async fn run(
    prepared: &Prepared,
    ws: &Workspace,
    repo_root: &Path,
    on_question: &mut (dyn FnMut(&QuestionResult) + Send),
) -> anyhow::Result<RunResults> {
    match prepared.against {
        Against::Live => {
            let found = live::resolve(
                &ws.genie,
                &prepared.space,
                &prepared.target.name,
                prepared.title.as_deref(),
                repo_root,
            )
            .await?;
            tracing::info!("{}", found.resolution.describe(&found.space_id));
            let live = ws
                .genie
                .get_space(&found.space_id, true)
                .await
                .with_context(|| format!("reading the live space {}", found.space_id))?;
            let live_model: Option<SerializedSpace> = live
                .serialized_space
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            let model = live_model.unwrap_or_else(|| prepared.space_model.clone());
            let warehouse = pick_warehouse(prepared, live.warehouse_id.as_deref(), ws)?;
            let target = Target {
                space_id: &found.space_id,
                resolved_by: found.resolution.label(),
                model: &model,
                warehouse: &warehouse,
            };
            evaluate_space(prepared, ws, &target, on_question).await
        }
        Against::File => {
            let warehouse = pick_warehouse(prepared, None, ws)?;
            let model = match prepared.engine {
                EvalEngine::Native => prepared.space_for_native(),
                EvalEngine::Conversation => prepared.space_model.clone(),
            };
            let title = prepared.title.as_deref().unwrap_or(&prepared.space.name);
            let request = CreateSpaceRequest {
                warehouse_id: warehouse.clone(),
                serialized_space: model.to_api_string(),
                title: Some(format!("[genie-gitops evaluate] {title}")),
                description: prepared.description.clone(),
                parent_path: None,
            };
            with_temporary_space(Arc::clone(&ws.genie), &request, |space_id| async move {
                let target = Target {
                    space_id: &space_id,
                    resolved_by: "temporary",
                    model: &model,
                    warehouse: &warehouse,
                };
                evaluate_space(prepared, ws, &target, on_question).await
            })
            .await
        }
    }
}

fn pick_warehouse(
    prepared: &Prepared,
    live: Option<&str>,
    ws: &Workspace,
) -> anyhow::Result<String> {
    let chosen = prepared
        .target
        .warehouse_id
        .as_deref()
        .or(live)
        .or(prepared.warehouse_id.as_deref())
        .or(ws.warehouse_id.as_deref());
    match chosen {
        Some(w) if !w.trim().is_empty() => Ok(w.to_string()),
        _ => bail!(
            "no SQL warehouse for ground truth: set targets.{}.warehouse_id, the space's warehouse_id or DATABRICKS_WAREHOUSE_ID",
            prepared.target.name
        ),
    }
}

/// The space being asked.
struct Target<'a> {
    space_id: &'a str,
    resolved_by: &'a str,
    model: &'a SerializedSpace,
    warehouse: &'a str,
}

async fn evaluate_space(
    p: &Prepared,
    ws: &Workspace,
    target: &Target<'_>,
    on_question: &mut (dyn FnMut(&QuestionResult) + Send),
) -> anyhow::Result<RunResults> {
    let evaluation = &p.project.settings.evaluation;
    let mut truth = GroundTruth::new(ws.sql.clone(), target.warehouse, evaluation.as_of.clone());
    let mut golds = Vec::with_capacity(p.questions.len());
    for q in &p.questions {
        golds.push(truth.get(&q.gold_sql).await);
    }
    tracing::info!(statements = truth.executed(), "ground truth ready");
    let index = SpaceIndex::from_space(target.model);
    let policy = evaluation.split_policy();
    let mut grader = Grader {
        prepared: p,
        golds: &golds,
        index: &index,
        policy: &policy,
        float_tolerance: evaluation.float_tolerance,
        progress: Progress::new(p.questions.len()),
        results: vec![None; p.questions.len()],
        on_question,
    };
    match p.engine {
        EvalEngine::Conversation => ask_all(p, &ws.genie, target.space_id, &mut grader).await?,
        EvalEngine::Native => native_all(p, ws, target, &mut grader).await?,
    }
    let Grader {
        results, progress, ..
    } = grader;
    progress.finish();
    let mut questions: Vec<QuestionResult> = results.into_iter().flatten().collect();
    if let Some(llm) = &p.project.settings.llm {
        for q in &mut questions {
            semantic_judge(ws, &llm.endpoint, q).await;
        }
    }
    Ok(RunResults::new(
        p.run_info(target.space_id, target.resolved_by),
        questions,
    ))
}

/// Grades questions as their attempts complete.
struct Grader<'a> {
    prepared: &'a Prepared,
    golds: &'a [Result<ResultSet, String>],
    index: &'a SpaceIndex,
    policy: &'a benchmarks::SplitPolicy,
    float_tolerance: f64,
    progress: Progress,
    results: Vec<Option<QuestionResult>>,
    on_question: &'a mut (dyn FnMut(&QuestionResult) + Send),
}

impl Grader<'_> {
    fn context(&self, i: usize) -> Option<QuestionContext<'_>> {
        let q = self.prepared.questions.get(i)?;
        let gold = self.golds.get(i)?;
        Some(QuestionContext {
            benchmark: &q.benchmark,
            gold_sql: &q.gold_sql,
            gold: gold.as_ref().map_err(String::as_str),
            index: self.index,
            float_tolerance: self.float_tolerance,
            split_policy: self.policy,
        })
    }

    /// Grades every attempt of question `i`, records and announces the result.
    fn finish(&mut self, i: usize, answers: &[GenieAnswer], assessment: Option<String>) {
        let Some(ctx) = self.context(i) else {
            return;
        };
        let graded: Vec<Graded> = answers.iter().map(|a| grade(&ctx, a)).collect();
        let mut result = question_result(&ctx, graded);
        result.native_assessment = assessment;
        self.progress
            .question_done(&result.id, result.outcome.is_pass());
        (self.on_question)(&result);
        if let Some(slot) = self.results.get_mut(i) {
            *slot = Some(result);
        }
    }
}

/// How many times the LLM is asked before its judgement is given up.
const LLM_TRIES: usize = 3;

/// Adds the LLM's semantic-equivalence judgement to a question whose code judges disagree
/// (advisory: the outcome stays the result match). Replies that are not the required JSON
/// are asked again; after [`LLM_TRIES`] the judge is recorded as skipped with the reason.
async fn semantic_judge(ws: &Workspace, endpoint: &str, q: &mut QuestionResult) {
    let Some(genie_sql) = q.attempts.first().and_then(|a| a.sql.clone()) else {
        return;
    };
    if !needs_semantic_judge(&q.judges) {
        return;
    }
    let prompt = semantic_prompt(&q.question, &q.gold_sql, &genie_sql, &q.judges);
    let messages = [ChatMessage::user(prompt)];
    let mut last_error = String::new();
    for _ in 0..LLM_TRIES {
        match ws
            .serving
            .chat_json(endpoint, &messages, ChatOptions::default())
            .await
        {
            Ok(reply) => match parse_semantic_reply(&reply) {
                Ok(judgement) => {
                    q.judges.push(judgement);
                    return;
                }
                Err(e) => last_error = e,
            },
            Err(e) => last_error = e.to_string(),
        }
    }
    q.judges.push(Judgement {
        judge: "semantic_equivalence".into(),
        verdict: JudgeVerdict::Skipped,
        detail: format!("no usable reply from `{endpoint}` after {LLM_TRIES} tries: {last_error}"),
    });
}

/// An error that stops the run instead of counting as a failed answer: the workspace refused
/// us (authentication, permission, no such space).
fn is_fatal(e: &DatabricksError) -> bool {
    matches!(e, DatabricksError::Auth(_)) || matches!(e.status(), Some(401 | 403 | 404))
}

fn from_genie(answer: Answer) -> GenieAnswer {
    let conversation_id = Some(answer.conversation_id);
    match answer.outcome {
        GenieOutcome::Sql { sql, result, .. } => GenieAnswer::Sql {
            sql,
            result,
            conversation_id,
        },
        GenieOutcome::Text { text } => GenieAnswer::Text {
            text,
            conversation_id,
        },
        GenieOutcome::Clarification { question } => GenieAnswer::Clarification {
            question,
            conversation_id,
        },
        GenieOutcome::Failed {
            error_type,
            message,
            ..
        } => GenieAnswer::Error {
            error_type,
            message,
            conversation_id,
        },
    }
}

/// Asks every question `repeat` times, each in a fresh conversation, as many at once as the
/// shared limiter allows; grades each question when its last attempt is in.
async fn ask_all(
    p: &Prepared,
    genie: &Arc<GenieClient>,
    space_id: &str,
    grader: &mut Grader<'_>,
) -> anyhow::Result<()> {
    let repeat = p.repeat as usize;
    // A question's deadline runs from its ask, so questions wait for a slot here rather than
    // in the limiter's queue.
    let slots = Arc::new(Semaphore::new(
        p.project.settings.genie.concurrency.max(1) as usize
    ));
    let mut tasks = JoinSet::new();
    for (i, q) in p.questions.iter().enumerate() {
        for attempt in 0..repeat {
            let genie = Arc::clone(genie);
            let slots = Arc::clone(&slots);
            let space_id = space_id.to_string();
            let question = q.benchmark.question.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let answer = genie.ask(&space_id, &question, ASK_DEADLINE).await;
                (i, attempt, answer)
            });
        }
    }
    let mut slots: Vec<Vec<Option<GenieAnswer>>> = vec![vec![None; repeat]; p.questions.len()];
    while let Some(joined) = tasks.join_next().await {
        let (i, attempt, answer) = joined.context("a question task panicked")?;
        let answer = match answer {
            Ok(answer) => from_genie(answer),
            Err(e) if is_fatal(&e) => {
                tasks.abort_all();
                return Err(anyhow::Error::new(e).context("the workspace refused the question"));
            }
            Err(e) => GenieAnswer::Error {
                error_type: None,
                message: e.to_string(),
                conversation_id: None,
            },
        };
        let Some(question_slots) = slots.get_mut(i) else {
            continue;
        };
        if let Some(slot) = question_slots.get_mut(attempt) {
            *slot = Some(answer);
        }
        if question_slots.iter().all(Option::is_some) {
            let answers: Vec<GenieAnswer> =
                question_slots.iter_mut().filter_map(Option::take).collect();
            grader.finish(i, &answers, None);
        }
    }
    Ok(())
}

/// The space benchmark id of each question: generated ids on a temporary space, matched by
/// question text on the live space.
fn native_ids(p: &Prepared, target: &Target<'_>) -> anyhow::Result<Vec<String>> {
    if p.against == Against::File {
        return Ok(p
            .questions
            .iter()
            .map(|q| Prepared::native_id(&q.benchmark))
            .collect());
    }
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let live = target.model.benchmark_questions();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for q in &p.questions {
        let want = norm(&q.benchmark.question);
        match live
            .iter()
            .find(|b| norm(&space::text(&b.question)) == want)
        {
            Some(b) => ids.push(b.id.clone()),
            None => missing.push(q.benchmark.id.clone()),
        }
    }
    if !missing.is_empty() {
        bail!(
            "--engine native needs every question among the live space's benchmarks; missing: {}. Deploy the benchmarks, or use --against file (which adds them to the temporary space)",
            missing.join(", ")
        );
    }
    Ok(ids)
}

/// Runs `repeat` native evaluation runs over the questions and grades Genie's answers from
/// them with our own comparator (the run's assessment is kept alongside).
async fn native_all(
    p: &Prepared,
    ws: &Workspace,
    target: &Target<'_>,
    grader: &mut Grader<'_>,
) -> anyhow::Result<()> {
    let ids = native_ids(p, target)?;
    let mut answers: Vec<Vec<GenieAnswer>> = vec![Vec::new(); ids.len()];
    let mut assessments: Vec<Option<String>> = vec![None; ids.len()];
    for attempt in 0..p.repeat {
        let run = ws
            .genie
            .create_eval_run(target.space_id, Some(&ids))
            .await
            .context("starting a native evaluation run")?;
        let done = ws
            .genie
            .wait_eval_run(target.space_id, &run.eval_run_id, EVAL_RUN_DEADLINE)
            .await?;
        tracing::info!(run = %done.eval_run_id, status = ?done.eval_run_status, attempt, "evaluation run finished");
        let lines = ws
            .genie
            .eval_results(target.space_id, &done.eval_run_id)
            .await?;
        for line in lines {
            let Some(i) = line
                .benchmark_question_id
                .as_deref()
                .and_then(|id| ids.iter().position(|x| x == id))
            else {
                continue;
            };
            let details = ws
                .genie
                .eval_result_details(target.space_id, &done.eval_run_id, &line.result_id)
                .await?;
            let answer = native_answer(ws, details.actual_response.first()).await;
            if let Some(list) = answers.get_mut(i) {
                list.push(answer);
            }
            if attempt == 0
                && let Some(slot) = assessments.get_mut(i)
            {
                *slot = details.assessment.clone();
            }
        }
    }
    for (i, list) in answers.iter_mut().enumerate() {
        if list.len() < p.repeat as usize {
            list.resize(
                p.repeat as usize,
                GenieAnswer::Error {
                    error_type: None,
                    message: "the evaluation run returned no result for this question".into(),
                    conversation_id: None,
                },
            );
        }
        let assessment = assessments.get_mut(i).and_then(Option::take);
        grader.finish(i, list, assessment);
    }
    Ok(())
}

async fn native_answer(ws: &Workspace, response: Option<&EvalResponse>) -> GenieAnswer {
    let Some(response) = response else {
        return GenieAnswer::Error {
            error_type: None,
            message: "the evaluation run recorded no answer".into(),
            conversation_id: None,
        };
    };
    let text = response.response.clone().unwrap_or_default();
    if response.response_type.as_deref() != Some("SQL") {
        return GenieAnswer::Text {
            text,
            conversation_id: None,
        };
    }
    let Some(statement) = response.sql_execution_result.clone() else {
        return GenieAnswer::Error {
            error_type: None,
            message: "the evaluation run kept no result for Genie's SQL".into(),
            conversation_id: None,
        };
    };
    if statement.status.state != StatementState::Succeeded {
        let error = statement.status.error.clone().unwrap_or_default();
        return GenieAnswer::Error {
            error_type: error.error_code.clone(),
            message: error.message.unwrap_or_else(|| "Genie's SQL failed".into()),
            conversation_id: None,
        };
    }
    match ws.sql.all_rows(statement).await {
        Ok(result) => GenieAnswer::Sql {
            sql: text,
            result,
            conversation_id: None,
        },
        Err(e) => GenieAnswer::Error {
            error_type: None,
            message: format!("reading Genie's result: {e}"),
            conversation_id: None,
        },
    }
}
