//! The optimization run: [`prepare`] reads the repository, the space and its benchmarks (no
//! network) and builds the optimizer's input; [`Prepared::plan`] is the `--dry-run` output;
//! [`run`] drives `optimize::machine::Optimizer`: ground truth once, then every `Step::Ask` is
//! answered from the checkpoint or by asking Genie on a temporary space created from the
//! candidate's space file (always trashed), with the candidate's Unity Catalog files applied
//! to the dev target and rolled back after measuring. The checkpoint is written (atomically)
//! when each answer arrives, when it is graded and after every decision. [`commit_levers`] writes each accepted
//! lever as one commit on the bot branch, checking that every patch changed its durable file.

pub mod grade;
pub mod uc;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::evaluate::{self, Against, PrepareError, Prepared as EvalPrepared};
use super::temp::with_temporary_space;
use super::truth::GroundTruth;
use crate::databricks::DatabricksError;
use crate::databricks::Workspace;
use crate::databricks::genie::{Answer as GenieAnswer, GenieClient, Outcome as GenieOutcome};
use crate::databricks::sql::{SqlClient, StatementOptions};
use crate::databricks::types::CreateSpaceRequest;
use crate::eval::asi::SpaceIndex;
use crate::eval::scope::Scope;
use crate::git::repo::{Author, GitRepo, NewCommit};
use crate::model::project::{ProjectTarget, SpaceSource};
use crate::model::result::ResultSet;
use crate::model::settings::EvalEngine;
use crate::model::snapshot::RepoSnapshot;
use crate::model::{metric_view, space, tables, template};
use crate::optimize::audit::AcceptedStep;
use crate::optimize::case::{Answer, Question, Role};
use crate::optimize::checkpoint::Checkpoint;
use crate::optimize::context::{Schema, Settings, short};
use crate::optimize::machine::{Ask, Input, Optimizer, Step, Summary};
use crate::patch;
use crate::sql::analyze::{AssetCatalog, analyze};
use crate::sql::guard;

/// How long one question may take, start to final answer.
const ASK_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// What the command line chose.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub space: Option<String>,
    pub target: Option<String>,
}

/// How candidates of levers 1–3 are measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UcMeasurement {
    /// Their DDL is applied to this target and rolled back after measuring.
    DevTarget { target: String },
    /// No dev target is configured: their space-level equivalents
    /// (`optimize::overlay`) are applied to the temporary space instead.
    Overlay,
}

impl UcMeasurement {
    /// One sentence for the plan and the report.
    pub fn describe(&self) -> String {
        match self {
            UcMeasurement::DevTarget { target } => format!(
                "Unity Catalog levers (1–3) are measured on dev target `{target}`: their DDL is applied before measuring and rolled back with the inverse DDL after"
            ),
            UcMeasurement::Overlay => "Unity Catalog levers (1–3) are measured through a space-level overlay (no `dev_target` is configured): their equivalent space edits — descriptions for comments, join specs for foreign keys, column-config synonyms for metric-view synonyms, a routing instruction for a function COMMENT — are applied to the temporary space, while the commits edit the durable files".into(),
        }
    }
}

/// Everything read from the repository, before any call.
#[derive(Debug)]
pub struct Prepared {
    /// The evaluation view of the same repository (project, space, target, benchmarks).
    pub eval: EvalPrepared,
    pub repo: RepoSnapshot,
    /// The space file's repository path.
    pub space_path: String,
    pub questions: Vec<Question>,
    pub settings: Settings,
    pub schema: Schema,
    pub catalog: AssetCatalog,
    pub uc: UcMeasurement,
    /// The dev target, when levers 1–3 are measured.
    pub dev_target: Option<ProjectTarget>,
}

/// What a run would do (the `--dry-run` output).
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub space: String,
    pub target: String,
    pub space_file: String,
    pub train: usize,
    pub val: usize,
    pub held_out: usize,
    pub levers: Vec<u8>,
    pub target_accuracy: f64,
    pub max_rounds: u32,
    /// Genie questions of the baseline (every question once).
    pub baseline_questions: usize,
    /// The settings' Genie-question budget for the whole run.
    pub budget: Option<u32>,
    pub uc_measurement: String,
}

/// Reads the repository and builds the optimizer's input.
pub fn prepare(repo: &RepoSnapshot, opts: &Options) -> Result<Prepared, PrepareError> {
    let eval = evaluate::prepare(
        repo,
        &evaluate::Options {
            space: opts.space.clone(),
            target: opts.target.clone(),
            scope: Scope::Full,
            against: Against::File,
            engine: Some(EvalEngine::Conversation),
            repeat: Some(1),
        },
    )?;
    let SpaceSource::File(space_path) = &eval.space.source else {
        return Err(PrepareError::Config(format!(
            "space `{}` is declared inline in a bundle file; optimize edits a space file: move it to a .geniespace.json file",
            eval.space.name
        )));
    };
    let catalog = asset_catalog(repo, &eval);
    let mut questions = Vec::with_capacity(eval.questions.len());
    for q in &eval.questions {
        let features = analyze(&q.gold_sql, &catalog).map_err(|e| {
            PrepareError::Config(format!(
                "benchmark `{}`: the expected SQL cannot be analyzed: {e}; fix its expected_sql",
                q.benchmark.id
            ))
        })?;
        questions.push(Question::from_benchmark(
            &q.benchmark,
            q.gold_sql.clone(),
            features,
        ));
    }
    let settings = Settings::from_repo(&eval.project.settings);
    let (uc, dev_target) = match &eval.project.settings.dev_target {
        Some(name) => {
            let target = eval
                .project
                .target(Some(name))
                .map_err(|e| PrepareError::Config(format!("dev_target: {e}")))?
                .clone();
            (
                UcMeasurement::DevTarget {
                    target: name.clone(),
                },
                Some(target),
            )
        }
        None => (UcMeasurement::Overlay, None),
    };
    Ok(Prepared {
        schema: schema(repo, &eval.space.files.tables),
        space_path: space_path.clone(),
        repo: repo.clone(),
        questions,
        settings,
        catalog,
        uc,
        dev_target,
        eval,
    })
}

/// Metric views the analyzer must tell from tables: the space's and the durable files'.
fn asset_catalog(repo: &RepoSnapshot, eval: &EvalPrepared) -> AssetCatalog {
    let mut catalog = SpaceIndex::from_space(&eval.space_model).asset_catalog();
    let dir = eval.space.files.metric_views.trim_end_matches('/');
    for (path, text) in repo.iter() {
        let inside = path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'));
        if inside
            && metric_view::is_sql_form(text)
            && let Ok(parts) = metric_view::split_sql(path, text)
        {
            catalog.metric_views.insert(parts.identifier);
        }
    }
    catalog
}

/// The columns of each table of the tables file (empty when there is none).
fn schema(repo: &RepoSnapshot, tables_path: &str) -> Schema {
    let Some(text) = repo.get(tables_path) else {
        return Schema::default();
    };
    let file = tables::load(tables_path, text).value;
    Schema {
        tables: file
            .tables
            .iter()
            .map(|t| {
                let columns = t.columns.iter().map(|c| c.name.clone()).collect();
                (short(&t.name), columns)
            })
            .collect(),
    }
}

impl Prepared {
    /// The optimizer's input.
    pub fn input(&self) -> Input {
        Input {
            settings: self.settings.clone(),
            questions: self.questions.clone(),
            snapshot: self.repo.clone(),
            space_path: self.space_path.clone(),
            files: self.eval.space.files.clone(),
            schema: self.schema.clone(),
            overlay: self.uc == UcMeasurement::Overlay,
        }
    }

    /// What [`run`] would do.
    pub fn plan(&self) -> Plan {
        let count = |role| self.questions.iter().filter(|q| q.role == role).count();
        Plan {
            space: self.eval.space.name.clone(),
            target: self.eval.target.name.clone(),
            space_file: self.space_path.clone(),
            train: count(Role::Train),
            val: count(Role::Val),
            held_out: count(Role::HeldOut),
            levers: self.settings.levers.clone(),
            target_accuracy: self.settings.target_accuracy,
            max_rounds: self.settings.max_rounds,
            baseline_questions: self.questions.len(),
            budget: self.settings.max_questions,
            uc_measurement: self.uc.describe(),
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum Finish {
    /// The optimizer is done.
    Done(Box<Summary>),
    /// `--max-questions` Genie questions were asked in this process; the checkpoint holds
    /// everything, `--resume` continues.
    Paused { asked: usize },
}

/// Where the checkpoint lives.
#[derive(Debug, Clone)]
pub struct CheckpointFile(pub PathBuf);

impl CheckpointFile {
    /// Reads a saved checkpoint.
    pub fn load(&self) -> anyhow::Result<Checkpoint> {
        let text = std::fs::read_to_string(&self.0).with_context(|| {
            format!(
                "--resume: cannot read the checkpoint {}; run without --resume to start over",
                self.0.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("--resume: {} is not a checkpoint", self.0.display()))
    }

    /// Writes `state` to a temporary file and renames it over the checkpoint, so a kill
    /// leaves either the old or the new checkpoint, never half of one.
    pub fn save(&self, state: &Checkpoint) -> anyhow::Result<()> {
        if let Some(dir) = self.0.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let partial = self.0.with_extension("json.partial");
        let text = serde_json::to_string(state)?;
        std::fs::write(&partial, text)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, &self.0)
            .with_context(|| format!("cannot write {}", self.0.display()))
    }
}

/// The workspaces a run talks to.
pub struct Workspaces<'a> {
    /// The run's target: temporary spaces, Genie questions, ground truth.
    pub main: &'a Workspace,
    /// The dev target's workspace (levers 1–3), when there is one.
    pub dev: Option<&'a Workspace>,
}

/// Drives the optimizer to the end, or until `cap` Genie questions were asked.
pub async fn run(
    p: &Prepared,
    ws: &Workspaces<'_>,
    checkpoint: &CheckpointFile,
    resume: Option<Checkpoint>,
    cap: Option<usize>,
) -> anyhow::Result<Finish> {
    let warehouse = warehouse(p, ws.main)?;
    let golds = ground_truth(p, ws.main, &warehouse).await?;
    let mut optimizer = match resume {
        Some(state) => Optimizer::resume(p.input(), state)
            .with_context(|| format!("--resume: {}", checkpoint.0.display()))?,
        None => Optimizer::new(p.input()),
    };
    let mut session = Session {
        p,
        golds,
        genie: Arc::clone(&ws.main.genie),
        sql: ws.main.sql.clone(),
        warehouse: warehouse.clone(),
        uc: uc_target(p, ws, &warehouse)?,
        executed: BTreeMap::new(),
        checkpoint,
        asked: 0,
        cap,
        not_rolled_back: BTreeSet::new(),
    };
    loop {
        match optimizer.step()? {
            Step::Done(summary) => {
                checkpoint.save(optimizer.checkpoint())?;
                session.warn_leftovers();
                return Ok(Finish::Done(summary));
            }
            Step::Ask(ask) => {
                checkpoint.save(optimizer.checkpoint())?;
                if !session.answer(&mut optimizer, &ask).await? {
                    session.warn_leftovers();
                    return Ok(Finish::Paused {
                        asked: session.asked,
                    });
                }
            }
        }
    }
}

fn warehouse(p: &Prepared, ws: &Workspace) -> anyhow::Result<String> {
    let chosen = p
        .eval
        .target
        .warehouse_id
        .as_deref()
        .or(p.eval.warehouse_id.as_deref())
        .or(ws.warehouse_id.as_deref());
    match chosen {
        Some(w) if !w.trim().is_empty() => Ok(w.to_string()),
        _ => bail!(
            "no SQL warehouse for ground truth: set targets.{}.warehouse_id, the space's warehouse_id or DATABRICKS_WAREHOUSE_ID",
            p.eval.target.name
        ),
    }
}

/// Runs every gold query once; a question whose gold query fails cannot be optimized for.
async fn ground_truth(
    p: &Prepared,
    ws: &Workspace,
    warehouse: &str,
) -> anyhow::Result<BTreeMap<String, ResultSet>> {
    let as_of = p.eval.project.settings.evaluation.as_of.clone();
    let mut truth = GroundTruth::new(ws.sql.clone(), warehouse, as_of);
    let mut golds = BTreeMap::new();
    for q in &p.questions {
        let gold = truth
            .get(&q.gold_sql)
            .await
            .map_err(|e| anyhow::anyhow!("benchmark `{}`: its expected SQL {e}; fix it before optimizing (`genie-gitops evaluate` shows it as not evaluable)", q.id))?;
        golds.insert(q.id.clone(), gold);
    }
    tracing::info!(statements = truth.executed(), "ground truth ready");
    Ok(golds)
}

/// Where lever 1–3 DDL goes.
struct UcTarget {
    sql: SqlClient,
    options: StatementOptions,
    vars: template::Variables,
}

fn uc_target(
    p: &Prepared,
    ws: &Workspaces<'_>,
    run_warehouse: &str,
) -> anyhow::Result<Option<UcTarget>> {
    let Some(target) = &p.dev_target else {
        return Ok(None);
    };
    let Some(dev) = ws.dev else {
        bail!(
            "dev target `{}` is configured but not connected",
            target.name
        );
    };
    let warehouse = target
        .warehouse_id
        .clone()
        .or_else(|| dev.warehouse_id.clone())
        .unwrap_or_else(|| run_warehouse.to_string());
    Ok(Some(UcTarget {
        sql: dev.sql.clone(),
        options: StatementOptions::new(&warehouse),
        vars: target.variables.clone(),
    }))
}

/// One process's work on a run.
struct Session<'a> {
    p: &'a Prepared,
    golds: BTreeMap<String, ResultSet>,
    genie: Arc<GenieClient>,
    sql: SqlClient,
    warehouse: String,
    uc: Option<UcTarget>,
    /// Genie's SQL results per (variant, SQL), for this process.
    executed: BTreeMap<(String, String), Result<ResultSet, String>>,
    checkpoint: &'a CheckpointFile,
    /// Genie questions asked by this process.
    asked: usize,
    cap: Option<usize>,
    /// Rollback statements the dev target refused: their changes are still there.
    not_rolled_back: BTreeSet<String>,
}

impl Session<'_> {
    /// Answers one ask; `false` when the cap stopped it before every question was answered.
    async fn answer(&mut self, optimizer: &mut Optimizer, ask: &Ask) -> anyhow::Result<bool> {
        let fresh: Vec<String> = ask
            .questions
            .iter()
            .filter(|id| optimizer.cached(&ask.variant, id).is_none())
            .cloned()
            .collect();
        let room = self
            .cap
            .map_or(usize::MAX, |cap| cap.saturating_sub(self.asked));
        let to_ask: Vec<String> = fresh.iter().take(room).cloned().collect();
        let (apply, mut rollback) = self.uc_ddl(&ask.snapshot)?;
        rollback.extend(self.nullability_rollback(&ask.snapshot).await?);
        let applied = self.apply_uc(&apply).await;
        let measured = match applied {
            Ok(()) => self.measure(optimizer, ask, &to_ask).await,
            Err(e) => Err(e),
        };
        self.roll_back_uc(&rollback).await;
        measured?;
        Ok(to_ask.len() == fresh.len())
    }

    /// The DDL that applies the candidate's lever 1–3 files, and the DDL that rolls it back.
    fn uc_ddl(&self, candidate: &RepoSnapshot) -> anyhow::Result<(Vec<String>, Vec<String>)> {
        let Some(uc) = &self.uc else {
            return Ok((Vec::new(), Vec::new()));
        };
        let files = &self.p.eval.space.files;
        Ok((
            uc::ddl_between(&self.p.repo, candidate, files, &uc.vars)?,
            uc::ddl_between(candidate, &self.p.repo, files, &uc.vars)?,
        ))
    }

    /// `DROP NOT NULL` for every column the candidate's new primary keys make `NOT NULL` that
    /// is nullable on the dev target now (asked before applying).
    async fn nullability_rollback(&self, candidate: &RepoSnapshot) -> anyhow::Result<Vec<String>> {
        let Some(uc) = &self.uc else {
            return Ok(Vec::new());
        };
        let files = &self.p.eval.space.files;
        let columns = uc::key_columns(&self.p.repo, candidate, files, &uc.vars)?;
        uc::nullability_rollback(&uc.sql, &uc.options, &columns)
            .await
            .with_context(|| format!("{}: reading key columns on the dev target", files.tables))
    }

    /// Applies a candidate's lever 1–3 DDL to the dev target; any refusal stops the run.
    async fn apply_uc(&self, statements: &[String]) -> anyhow::Result<()> {
        let Some(uc) = &self.uc else {
            return Ok(());
        };
        for statement in statements {
            tracing::debug!(%statement, "dev target DDL");
            uc.sql.execute(statement, &uc.options).await.with_context(|| {
                format!("applying the candidate's Unity Catalog change to the dev target: `{statement}`")
            })?;
        }
        Ok(())
    }

    /// Rolls the dev target back with the inverse DDL (exact: removed keys are dropped, removed
    /// tags unset, comments restored). Every statement is tried; one a dev target still refuses
    /// is kept in [`Session::not_rolled_back`] and reported at the end rather than stopping
    /// the run.
    async fn roll_back_uc(&mut self, statements: &[String]) {
        let Some(uc) = &self.uc else {
            return;
        };
        for statement in statements {
            tracing::debug!(%statement, "dev target rollback");
            if let Err(e) = uc.sql.execute(statement, &uc.options).await {
                tracing::warn!(%statement, error = %e, "the dev target refused a rollback statement");
                self.not_rolled_back.insert(statement.clone());
            }
        }
    }

    /// Grades the stored answers of the ask, then asks `to_ask` on a temporary space.
    async fn measure(
        &mut self,
        optimizer: &mut Optimizer,
        ask: &Ask,
        to_ask: &[String],
    ) -> anyhow::Result<()> {
        for id in &ask.questions {
            if let Some(answer) = optimizer.cached(&ask.variant, id).cloned() {
                self.record(optimizer, &ask.variant, id, answer).await?;
            }
        }
        if to_ask.is_empty() {
            return Ok(());
        }
        let request = self.space_request(&ask.snapshot)?;
        let genie = Arc::clone(&self.genie);
        with_temporary_space(genie, &request, |space_id| async move {
            self.ask_all(optimizer, ask, to_ask, &space_id).await
        })
        .await
    }

    /// The temporary space of a candidate: its space file, templates resolved for the target.
    fn space_request(&self, candidate: &RepoSnapshot) -> anyhow::Result<CreateSpaceRequest> {
        let path = &self.p.space_path;
        let text = candidate
            .get(path)
            .with_context(|| format!("the candidate lost the space file {path}"))?;
        let parsed = space::parse(path, text).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "the candidate's space file does not parse:\n{}",
                lines.join("\n")
            )
        })?;
        let vars = &self.p.eval.target.variables;
        let serialized = template::resolve(&parsed.file.space.to_api_string(), vars)
            .with_context(|| format!("resolving the templates of {path}"))?;
        let title = self
            .p
            .eval
            .title
            .as_deref()
            .unwrap_or(&self.p.eval.space.name);
        Ok(CreateSpaceRequest {
            warehouse_id: self.warehouse.clone(),
            serialized_space: serialized,
            title: Some(format!("[genie-gitops optimize] {title}")),
            description: self.p.eval.description.clone(),
            parent_path: None,
        })
    }

    /// Asks each question in a fresh conversation, as many at once as the settings allow.
    /// Each answer is checkpointed the moment it arrives — between gradings, not after them —
    /// and its concurrency slot is freed only then, so a kill loses at most `concurrency`
    /// answers (those Genie is still giving). Each question's task then runs Genie's SQL, and
    /// the answer is graded and checkpointed again.
    async fn ask_all(
        &mut self,
        optimizer: &mut Optimizer,
        ask: &Ask,
        to_ask: &[String],
        space_id: &str,
    ) -> anyhow::Result<()> {
        let concurrency = self.p.eval.project.settings.genie.concurrency.max(1) as usize;
        let slots = Arc::new(Semaphore::new(concurrency));
        let (arrived, mut arrivals) = mpsc::unbounded_channel();
        let mut tasks = JoinSet::new();
        for id in to_ask {
            let text = self
                .question(id)
                .map(|q| q.text.clone())
                .with_context(|| format!("the optimizer asked for an unknown question {id}"))?;
            let (genie, slots, arrived) =
                (Arc::clone(&self.genie), Arc::clone(&slots), arrived.clone());
            let (sql, warehouse) = (self.sql.clone(), self.warehouse.clone());
            let (space_id, id) = (space_id.to_string(), id.clone());
            tasks.spawn(async move {
                let slot = slots.acquire_owned().await;
                let answer = answer_of(genie.ask(&space_id, &text, ASK_DEADLINE).await)?;
                // Stored before its SQL runs; the slot is freed once it is stored, so questions
                // in flight and answers not yet stored never exceed the concurrency. The
                // receiver outlives every task unless the run has already failed.
                let _ = arrived.send((id.clone(), answer.clone(), slot));
                let executed = match &answer {
                    Answer::Sql { sql: query } => {
                        Some(run_read_only(&sql, &warehouse, query).await)
                    }
                    _ => None,
                };
                Ok::<_, DatabricksError>((id, answer, executed))
            });
        }
        drop(arrived);
        loop {
            tokio::select! {
                biased;
                Some((id, answer, slot)) = arrivals.recv() => {
                    self.arrive(optimizer, &ask.variant, &id, answer)?;
                    drop(slot);
                }
                joined = tasks.join_next() => {
                    let Some(joined) = joined else { break };
                    let finished = joined.context("a question task panicked")?;
                    let (id, answer, executed) = match finished {
                        Ok(finished) => finished,
                        Err(e) => {
                            tasks.abort_all();
                            let refused = anyhow::Error::new(e);
                            return Err(refused.context("the workspace refused the question"));
                        }
                    };
                    self.arrive(optimizer, &ask.variant, &id, answer.clone())?;
                    if let (Answer::Sql { sql }, Some(result)) = (&answer, &executed) {
                        let key = (ask.variant.clone(), sql.trim().to_string());
                        self.executed.insert(key, result.clone());
                    }
                    self.grade(optimizer, &ask.variant, &id, answer, executed)?;
                }
            }
        }
        Ok(())
    }

    /// Stores a newly arrived answer (once) and saves the checkpoint.
    fn arrive(
        &mut self,
        optimizer: &mut Optimizer,
        variant: &str,
        id: &str,
        answer: Answer,
    ) -> anyhow::Result<()> {
        if optimizer.cached(variant, id).is_some() {
            return Ok(());
        }
        self.asked += 1;
        optimizer.arrive(variant, id, answer)?;
        self.checkpoint.save(optimizer.checkpoint())
    }

    /// Says which changes the dev target still holds because it refused their rollback.
    fn warn_leftovers(&self) {
        if self.not_rolled_back.is_empty() {
            return;
        }
        let list: Vec<&str> = self.not_rolled_back.iter().map(String::as_str).collect();
        tracing::warn!(
            "the dev target refused {} rollback statement(s); run them by hand to restore it: {}",
            list.len(),
            list.join("; ")
        );
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.p.questions.iter().find(|q| q.id == id)
    }

    /// Grades a stored answer (running its SQL, once per variant and process), records it
    /// and saves the checkpoint.
    async fn record(
        &mut self,
        optimizer: &mut Optimizer,
        variant: &str,
        id: &str,
        answer: Answer,
    ) -> anyhow::Result<()> {
        let executed = match &answer {
            Answer::Sql { sql } => Some(self.execute(variant, sql).await),
            _ => None,
        };
        self.grade(optimizer, variant, id, answer, executed)
    }

    /// Grades an answer whose SQL (if any) has run, records it and saves the checkpoint.
    fn grade(
        &mut self,
        optimizer: &mut Optimizer,
        variant: &str,
        id: &str,
        answer: Answer,
        executed: Option<Result<ResultSet, String>>,
    ) -> anyhow::Result<()> {
        let question = self
            .question(id)
            .with_context(|| format!("the optimizer asked for an unknown question {id}"))?;
        let gold = self
            .golds
            .get(id)
            .with_context(|| format!("no ground truth for {id}"))?;
        let tolerance = self.p.eval.project.settings.evaluation.float_tolerance;
        let graded = grade::grade(question, gold, answer, executed, &self.p.catalog, tolerance);
        tracing::debug!(id, variant, correct = graded.correct, "graded");
        optimizer.record(variant, graded)?;
        self.checkpoint.save(optimizer.checkpoint())
    }

    /// Runs Genie's SQL on the warehouse, once per variant and process.
    async fn execute(&mut self, variant: &str, sql: &str) -> Result<ResultSet, String> {
        let key = (variant.to_string(), sql.trim().to_string());
        if let Some(hit) = self.executed.get(&key) {
            return hit.clone();
        }
        let outcome = run_read_only(&self.sql, &self.warehouse, sql).await;
        self.executed.insert(key, outcome.clone());
        outcome
    }
}

/// Runs Genie's SQL on the warehouse, after the read-only guard.
async fn run_read_only(
    client: &SqlClient,
    warehouse: &str,
    sql: &str,
) -> Result<ResultSet, String> {
    match guard::check(sql) {
        Err(e) => Err(format!("refused by the read-only guard: {e}")),
        Ok(query) => client
            .execute(&query.sql, &StatementOptions::new(warehouse))
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Genie's answer as the checkpoint keeps it; a question that failed is an answer too (the
/// failure is graded), unless the workspace refused it (401, 403, 404), which stops the run.
fn answer_of(outcome: Result<GenieAnswer, DatabricksError>) -> Result<Answer, DatabricksError> {
    match outcome {
        Ok(answer) => Ok(from_genie(answer.outcome)),
        Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => Err(e),
        Err(e) => Ok(Answer::Error {
            message: e.to_string(),
        }),
    }
}

fn from_genie(outcome: GenieOutcome) -> Answer {
    match outcome {
        GenieOutcome::Sql { sql, .. } => Answer::Sql { sql },
        GenieOutcome::Text { text } => Answer::Text { text },
        GenieOutcome::Clarification { question } => Answer::Clarification { text: question },
        GenieOutcome::Failed { message, .. } => Answer::Error { message },
    }
}

/// Where the accepted levers are committed.
#[derive(Debug, Clone)]
pub struct CommitTarget<'a> {
    /// The repository directory (`--repo`), inside a git work tree.
    pub repo_dir: &'a Path,
    pub branch: &'a str,
    pub author: &'a Author,
}

/// One commit made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeverCommit {
    pub lever: u8,
    pub sha: String,
    pub files: Vec<String>,
}

/// The files each accepted step changes, in order: stops with an error when a patch changes
/// no file (a fix that is not in the repository does not exist).
pub fn step_snapshots(
    base: &RepoSnapshot,
    accepted: &[AcceptedStep],
) -> anyhow::Result<Vec<(RepoSnapshot, RepoSnapshot)>> {
    let mut before = base.clone();
    let mut steps = Vec::with_capacity(accepted.len());
    for step in accepted {
        let after = patch::apply_all(&before, &step.patches, usize::MAX).with_context(|| {
            format!("lever {}: the accepted patches do not re-apply", step.lever)
        })?;
        let changed = before.changed_paths(&after);
        for p in &step.patches {
            if !changed.iter().any(|c| c == p.op.file()) {
                bail!(
                    "lever {}: patch `{}` changed no file (expected {}): a change that is not in the repository does not exist; stopping before committing",
                    step.lever,
                    p.summary(),
                    p.op.file()
                );
            }
        }
        steps.push((before, after.clone()));
        before = after;
    }
    Ok(steps)
}

/// Commits each accepted lever on `target.branch`, based on the work tree's `HEAD`, without
/// touching the user's checkout. Re-running replaces the bot's previous commits on the
/// branch; a branch holding someone else's commit is never overwritten.
pub fn commit_levers(
    target: &CommitTarget<'_>,
    base: &RepoSnapshot,
    summary: &Summary,
) -> anyhow::Result<Vec<LeverCommit>> {
    let steps = step_snapshots(base, &summary.accepted)?;
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let git = GitRepo::discover(target.repo_dir)?;
    let workdir = git
        .workdir()
        .context("the repository is bare; run optimize in a checkout")?
        .canonicalize()?;
    let prefix = prefix_of(&workdir, target.repo_dir)?;
    let head = git.resolve("HEAD")?;
    let committed = git.snapshot_at("HEAD")?;
    let expected_tip = bot_tip(&git, head, target)?;
    let mut parent = head;
    let mut made = Vec::new();
    for ((before, after), step) in steps.iter().zip(&summary.accepted) {
        let changed = before.changed_paths(after);
        let (old, new) = (
            prefixed(before, &changed, &prefix),
            prefixed(after, &changed, &prefix),
        );
        for path in &changed {
            let full = format!("{prefix}{path}");
            if parent == head && committed.get(&full) != before.get(path) {
                bail!(
                    "{full} differs from the committed HEAD; commit or stash your changes first, or use --no-commit"
                );
            }
        }
        let message = commit_message(step);
        let commit = NewCommit {
            branch: target.branch,
            parent,
            expected_tip,
            message: &message,
            author: target.author,
        };
        parent = git.commit_changes(&commit, &old, &new)?;
        made.push(LeverCommit {
            lever: step.lever,
            sha: parent.to_string(),
            files: changed,
        });
    }
    Ok(made)
}

/// The repository directory's path inside the work tree, `/`-terminated (empty at the root).
fn prefix_of(workdir: &Path, repo_dir: &Path) -> anyhow::Result<String> {
    let repo_dir = repo_dir.canonicalize()?;
    let relative = repo_dir
        .strip_prefix(workdir)
        .with_context(|| format!("{} is outside its git work tree", repo_dir.display()))?;
    let text = relative.to_string_lossy().replace('\\', "/");
    Ok(if text.is_empty() {
        text
    } else {
        format!("{text}/")
    })
}

fn prefixed(snapshot: &RepoSnapshot, paths: &[String], prefix: &str) -> RepoSnapshot {
    let mut out = RepoSnapshot::new();
    for path in paths {
        if let Some(text) = snapshot.get(path) {
            out.insert(&format!("{prefix}{path}"), text);
        }
    }
    out
}

/// The branch's current tip when only the bot committed on it since `head`.
fn bot_tip(
    git: &GitRepo,
    head: git2::Oid,
    target: &CommitTarget<'_>,
) -> anyhow::Result<Option<git2::Oid>> {
    let Some(tip) = git.branch_tip(target.branch)? else {
        return Ok(None);
    };
    let foreign = git
        .commits_between(head, tip)?
        .into_iter()
        .find(|c| !c.is_by(target.author));
    if let Some(c) = foreign {
        bail!(
            "branch `{}` holds commit {} by {} that genie-gitops did not make; not overwriting it (merge or delete the branch, or use --branch)",
            target.branch,
            c.sha,
            c.author.name
        );
    }
    Ok(Some(tip))
}

/// `genie-gitops: lever N — <summary>`, the questions fixed, the measured delta, trailers.
pub fn commit_message(step: &AcceptedStep) -> String {
    let headline = step
        .rationales
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{} patch(es)", step.patches.len()));
    let more = step.rationales.len().saturating_sub(1);
    let headline = if more > 0 {
        format!("{headline} (+{more} more)")
    } else {
        headline
    };
    let rate = |(c, t): (usize, usize)| if t == 0 { 0.0 } else { c as f64 / t as f64 };
    let delta = rate(step.after) - rate(step.before);
    let fixed: Vec<&str> = step.fixed.iter().map(String::as_str).collect();
    let mut body = format!("genie-gitops: lever {} — {headline}\n\n", step.lever);
    body.push_str(&format!("Fixes: {}\n", fixed.join(", ")));
    body.push_str(&format!(
        "Measured: {}/{} → {}/{} on the gate questions ({:+.1} points), round {}.\n",
        step.before.0,
        step.before.1,
        step.after.0,
        step.after.1,
        delta * 100.0,
        step.round
    ));
    if !step.rationales.is_empty() {
        body.push('\n');
        for r in &step.rationales {
            body.push_str(&format!("- {r}\n"));
        }
    }
    body.push_str(&format!(
        "\nGenie-Gitops-Lever: {}\nGenie-Gitops-Questions: {}\nGenie-Gitops-Delta: {delta:+.4}\n",
        step.lever,
        fixed.join(",")
    ));
    body
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::patch::Patch;
    use crate::patch::op::Op;

    const TABLES: &str = "tables:\n  - name: main.s.bookings\n    columns:\n      - {name: status, comment: Status}\n";

    fn base() -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        s.insert("genie/uc/tables.yml", TABLES);
        s
    }

    fn step(new_comment: &str) -> AcceptedStep {
        AcceptedStep {
            lever: 1,
            round: 0,
            patches: vec![Patch::new(Op::SetUcColumnComment {
                file: "genie/uc/tables.yml".into(),
                table: "main.s.bookings".into(),
                column: "status".into(),
                old: Some("Status".into()),
                new: Some(new_comment.into()),
            })],
            rationales: vec!["\"state\" means bookings.status in q1".into()],
            fixed: BTreeSet::from(["q1".to_string(), "q2".to_string()]),
            before: (14, 36),
            after: (19, 36),
            files: vec!["genie/uc/tables.yml".into()],
            overlay: false,
        }
    }

    #[test]
    fn an_accepted_patch_that_changes_its_file_gives_one_step() {
        let steps = step_snapshots(&base(), &[step("Status (also called: state)")]);
        let steps = steps.unwrap_or_default();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps[0].0.changed_paths(&steps[0].1),
            vec!["genie/uc/tables.yml".to_string()]
        );
    }

    #[test]
    fn an_accepted_patch_that_changes_no_file_stops_the_run() {
        let error = step_snapshots(&base(), &[step("Status")])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(error.contains("changed no file"), "{error}");
    }

    #[test]
    fn the_commit_message_names_the_lever_the_questions_and_the_delta_with_trailers() {
        insta::assert_snapshot!(commit_message(&step("Status (also called: state)")));
    }
}
