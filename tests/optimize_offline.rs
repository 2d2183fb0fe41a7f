//! The optimization loop offline: the simulator's pure parts (SQL engine + NL engine over the
//! poor Wanderbricks fixture) stand in for Genie and the warehouse, every answer is graded with
//! `eval::compare`, `sql::analyze`/`sql::diff` and `eval::taxonomy::classify`, the optimizer's
//! state machine decides, and accepted patches are applied to the fixture snapshot with the
//! patch language. No HTTP, no disk writes.

mod sim_nl_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use genie_gitops::eval::compare::{CompareOptions, compare};
use genie_gitops::eval::taxonomy::{FailureType, Finding, classify};
use genie_gitops::model::benchmarks::{self, Benchmark};
use genie_gitops::model::result::ResultSet;
use genie_gitops::model::settings::DurableFiles;
use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::optimize::case::{Answer, FailureCase, Graded, Outcome, Question, SqlOutcome};
use genie_gitops::optimize::checkpoint::{Checkpoint, StopReason};
use genie_gitops::optimize::context::{Schema, Settings, short};
use genie_gitops::optimize::machine::{Input, Optimizer, Step, Summary};
use genie_gitops::patch;
use genie_gitops::sim::answer::Answer as SimAnswer;
use genie_gitops::sim::nl::{CatalogInfo, Knowledge, answer};
use genie_gitops::sim::workspace::{build_catalog, resolve_repo};
use genie_gitops::sql::analyze::{AssetCatalog, analyze};
use genie_gitops::sql::diff::diff;
use sim_nl_support::{Workspace, as_of, resolve};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const SPACE_PATH: &str = "genie/wanderbricks.geniespace.json";
const BENCHMARKS_PATH: &str = "benchmarks/golden-queries.yaml";

/// The fixture repository as a snapshot (every text file under the fixture directory).
fn fixture_snapshot() -> RepoSnapshot {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut RepoSnapshot) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("{} is not readable", dir.display());
        };
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                out.insert(&relative.to_string_lossy(), text);
            }
        }
    }
    let root = std::path::Path::new(FIXTURE);
    let mut snapshot = RepoSnapshot::new();
    walk(root, root, &mut snapshot);
    snapshot
}

/// The analyzer's view of the workspace's assets.
fn asset_catalog(info: &CatalogInfo) -> AssetCatalog {
    AssetCatalog {
        metric_views: info.metric_views.iter().map(|m| m.name.clone()).collect(),
    }
}

/// The simulated Genie and warehouse, with the gold results computed once.
struct Harness {
    workspace: Workspace,
    catalog: AssetCatalog,
    gold: BTreeMap<String, ResultSet>,
    /// Genie questions actually put to the NL engine.
    asked: usize,
    /// What the NL engine sees, per variant.
    knowledge: BTreeMap<String, Knowledge>,
}

impl Harness {
    fn new(questions: &[Question]) -> Self {
        let mut workspace = Workspace::new();
        let info = CatalogInfo::from_catalog(workspace.engine.catalog());
        let mut gold = BTreeMap::new();
        for q in questions {
            match workspace.engine.execute(&q.gold_sql, &[]) {
                Ok(result) => {
                    gold.insert(q.id.clone(), result);
                }
                Err(error) => panic!("{}: the gold SQL fails: {error}", q.id),
            }
        }
        Harness {
            workspace,
            catalog: asset_catalog(&info),
            gold,
            asked: 0,
            knowledge: BTreeMap::new(),
        }
    }

    fn schema(&self) -> Schema {
        let info = CatalogInfo::from_catalog(self.workspace.engine.catalog());
        Schema {
            tables: info
                .tables
                .iter()
                .map(|t| {
                    let columns = t.columns.iter().map(|c| c.name.clone()).collect();
                    (short(&t.name), columns)
                })
                .collect(),
        }
    }

    /// What the NL engine sees of a variant: the repository resolved the way `sim serve --repo`
    /// resolves it, its durable files compiled into the catalog, its space over that catalog.
    fn knowledge_of(&mut self, variant: &str, snapshot: &RepoSnapshot) -> &Knowledge {
        let data = &self.workspace.data;
        self.knowledge.entry(variant.to_owned()).or_insert_with(|| {
            let repo = match resolve_repo(snapshot, None) {
                Ok(repo) => repo,
                Err(error) => panic!("the patched repository does not resolve: {error}"),
            };
            let catalog = match build_catalog(Some(&repo)) {
                Ok(catalog) => catalog,
                Err(error) => panic!("the patched durable files do not compile: {error}"),
            };
            let Some(space) = repo.space("wanderbricks") else {
                panic!("the patched repository lost its space");
            };
            let info = CatalogInfo::from_catalog(&catalog);
            Knowledge::build(&space.space, &info, &(&catalog, data))
        })
    }

    /// Asks the simulated Genie one question on the variant's space.
    fn ask(&mut self, variant: &str, snapshot: &RepoSnapshot, question: &Question) -> Answer {
        self.asked += 1;
        let knowledge = self.knowledge_of(variant, snapshot);
        match answer(knowledge, &question.text, as_of(), None) {
            SimAnswer::Sql { sql, .. } => Answer::Sql { sql },
            SimAnswer::Clarification { text } => Answer::Clarification { text },
            SimAnswer::Text { text } => Answer::Text { text },
        }
    }

    /// Grades an answer the way the evaluator does.
    fn grade(&mut self, question: &Question, answer: Answer) -> Graded {
        let gold = &self.gold[&question.id];
        let whole = |failure, text: &str| vec![Finding::whole(failure, text)];
        let (correct, outcome, findings) = match &answer {
            Answer::Sql { sql } => match self.workspace.engine.execute(sql, &[]) {
                Ok(result) => {
                    let comparison = compare(gold, &result, &CompareOptions::default());
                    let features = analyze(sql, &self.catalog).ok();
                    let structural = features.as_ref().map(|f| diff(&question.gold, f));
                    let findings = classify(structural.as_ref(), &comparison);
                    let outcome = Outcome::Sql(Box::new(SqlOutcome {
                        sql: sql.clone(),
                        features,
                        diff: structural,
                        comparison: Some(comparison.clone()),
                    }));
                    (comparison.is_match(), outcome, findings)
                }
                Err(error) => {
                    let outcome = Outcome::Sql(Box::new(SqlOutcome {
                        sql: sql.clone(),
                        features: analyze(sql, &self.catalog).ok(),
                        diff: None,
                        comparison: None,
                    }));
                    let text = error.to_string();
                    (false, outcome, whole(FailureType::SyntaxOrFunction, &text))
                }
            },
            Answer::Clarification { text } => (
                false,
                Outcome::Clarification { text: text.clone() },
                whole(FailureType::AmbiguousQuestion, text),
            ),
            Answer::Text { text } => (
                false,
                Outcome::Text { text: text.clone() },
                whole(FailureType::NoSqlAnswer, text),
            ),
            Answer::Error { message } => (
                false,
                Outcome::Error {
                    message: message.clone(),
                },
                whole(FailureType::GenieError, message),
            ),
        };
        Graded {
            question_id: question.id.clone(),
            answer,
            correct,
            failure: (!correct).then(|| FailureCase {
                question_id: question.id.clone(),
                outcome,
                findings,
            }),
        }
    }
}

fn questions(catalog: &AssetCatalog) -> Vec<Question> {
    let text = include_str!("../fixtures/wanderbricks/benchmarks/golden-queries.yaml");
    let benchmarks: Vec<Benchmark> = match benchmarks::load(BENCHMARKS_PATH, text) {
        Ok((file, _)) => file.questions,
        Err(errors) => panic!("the benchmarks do not load: {errors:#?}"),
    };
    benchmarks
        .iter()
        .map(|b| {
            let gold_sql = resolve(&b.expected_sql);
            match analyze(&gold_sql, catalog) {
                Ok(features) => Question::from_benchmark(b, gold_sql, features),
                Err(error) => panic!("{}: the gold SQL does not analyze: {error}", b.id),
            }
        })
        .collect()
}

fn settings() -> Settings {
    Settings {
        target_accuracy: 0.9,
        allow_benchmark_examples: true,
        ..Settings::default()
    }
}

fn input(questions: Vec<Question>, schema: Schema, settings: Settings) -> Input {
    Input {
        settings,
        questions,
        snapshot: fixture_snapshot(),
        space_path: SPACE_PATH.into(),
        files: DurableFiles::default(),
        schema,
        overlay: false,
    }
}

/// Where a "killed" run stops.
#[derive(Debug, Clone, Copy)]
struct Kill {
    /// Once the harness has asked this many Genie questions (counted across resumes).
    after: usize,
    /// The last answer arrived and was stored, but the kill came before it was graded.
    ungraded: bool,
}

/// Drives the optimizer as the runner does (each new answer stored on arrival, then graded)
/// until it is done, or until `kill` (then returns `None`: the "killed" run).
fn drive(
    optimizer: &mut Optimizer,
    harness: &mut Harness,
    questions: &[Question],
    kill: Option<Kill>,
    seen: &mut BTreeSet<(String, String)>,
) -> Option<Summary> {
    let killed = |asked: usize| kill.is_some_and(|k| asked >= k.after);
    loop {
        let step = match optimizer.step() {
            Ok(step) => step,
            Err(error) => panic!("the optimizer stopped: {error}"),
        };
        match step {
            Step::Done(summary) => return Some(*summary),
            Step::Ask(ask) => {
                for id in &ask.questions {
                    let Some(question) = questions.iter().find(|q| &q.id == id) else {
                        panic!("asked for an unknown question {id}");
                    };
                    let answer = match optimizer.cached(&ask.variant, id) {
                        Some(answer) => answer.clone(),
                        None => {
                            if killed(harness.asked) {
                                return None;
                            }
                            seen.insert((ask.variant.clone(), id.clone()));
                            let answer = harness.ask(&ask.variant, &ask.snapshot, question);
                            if let Err(error) = optimizer.arrive(&ask.variant, id, answer.clone()) {
                                panic!("arrival refused: {error}");
                            }
                            if kill.is_some_and(|k| k.ungraded) && killed(harness.asked) {
                                return None;
                            }
                            answer
                        }
                    };
                    let graded = harness.grade(question, answer);
                    if let Err(error) = optimizer.record(&ask.variant, graded) {
                        panic!("record refused: {error}");
                    }
                }
            }
        }
    }
}

fn pct(s: genie_gitops::optimize::machine::Score) -> String {
    format!("{}/{} ({:.0}%)", s.correct, s.total, 100.0 * s.rate())
}

fn print(summary: &Summary) {
    println!(
        "train {} → {}; held_out {} → {}",
        pct(summary.baseline_train),
        pct(summary.final_train),
        pct(summary.baseline_held_out),
        summary.final_held_out.map(pct).unwrap_or_default()
    );
    for step in &summary.accepted {
        println!(
            "accepted lever {} (round {}): fixed {:?}, {}/{} → {}/{}",
            step.lever,
            step.round,
            step.fixed,
            step.before.0,
            step.before.1,
            step.after.0,
            step.after.1
        );
        for r in &step.rationales {
            println!("    {r}");
        }
    }
    for r in &summary.rejected {
        println!(
            "rejected lever {} {}: {} — {}",
            r.lever, r.rule, r.rationale, r.reason
        );
    }
    for (lever, audit) in &summary.audit {
        println!("lever {lever}: {audit:?}");
    }
    for (id, outcome) in &summary.per_question {
        if outcome.1 == Some(false) {
            println!("still wrong: {id}");
        }
    }
    for p in &summary.frontier {
        println!("pareto frontier: {p:?}");
    }
    println!("baseline clusters: {}", summary.baseline_clusters.len());
    for c in &summary.remaining {
        println!(
            "remaining {} {:?} {} {:?}",
            c.id, c.failure, c.blame, c.questions
        );
    }
    println!(
        "Genie questions: {} asked ({:?}); the seed system's schedule would ask {}",
        summary.questions_asked, summary.spent_by_gate, summary.seed_schedule
    );
}

/// One uninterrupted run, shared by the tests that compare against it.
struct Run {
    questions: Vec<Question>,
    summary: Summary,
    asked: usize,
}

static RUN: LazyLock<Run> = LazyLock::new(|| {
    let (questions, mut harness) = setup();
    let mut optimizer = Optimizer::new(input(questions.clone(), harness.schema(), settings()));
    let mut seen = BTreeSet::new();
    let Some(summary) = drive(&mut optimizer, &mut harness, &questions, None, &mut seen) else {
        panic!("the run did not finish");
    };
    print(&summary);
    Run {
        questions,
        summary,
        asked: harness.asked,
    }
});

fn setup() -> (Vec<Question>, Harness) {
    let info = CatalogInfo::from_catalog(&sim_nl_support::catalog());
    let questions = questions(&asset_catalog(&info));
    let harness = Harness::new(&questions);
    (questions, harness)
}

#[test]
fn the_offline_loop_takes_the_poor_fixture_past_the_target() {
    let run = &*RUN;
    let summary = &run.summary;
    assert!(
        summary.baseline_train.rate() < 0.5,
        "the fixture is not poor"
    );
    assert!(
        summary.final_train.rate() >= 0.85,
        "train accuracy below 85%"
    );
    let held_out = summary
        .final_held_out
        .unwrap_or_else(|| panic!("no held-out evaluation"));
    assert!(
        held_out.correct > summary.baseline_held_out.correct,
        "held-out did not improve"
    );
    assert!(summary.held_out_regressions.is_empty());
}

#[test]
fn levers_one_to_five_are_tried_before_six_in_every_round() {
    let attempts = &RUN.summary.attempts;
    assert!(!attempts.is_empty());
    for window in attempts.windows(2) {
        let ((r1, l1), (r2, l2)) = (window[0], window[1]);
        assert!(
            r2 > r1 || (r2 == r1 && l2 > l1),
            "out of order: {attempts:?}"
        );
    }
    let first_round: Vec<u8> = attempts.iter().filter(|a| a.0 == 0).map(|a| a.1).collect();
    assert_eq!(first_round, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn every_accepted_patch_set_changes_the_files_it_names() {
    let mut snapshot = fixture_snapshot();
    assert!(!RUN.summary.accepted.is_empty());
    for step in &RUN.summary.accepted {
        let next = match patch::apply_all(&snapshot, &step.patches, usize::MAX) {
            Ok(next) => next,
            Err(error) => panic!("an accepted set does not re-apply: {error}"),
        };
        let changed = snapshot.changed_paths(&next);
        assert!(!changed.is_empty(), "lever {} changed nothing", step.lever);
        assert_eq!(changed, step.files);
        for p in &step.patches {
            assert!(changed.iter().any(|c| c == p.op.file()));
        }
        snapshot = next;
    }
}

#[test]
fn the_loop_asks_fewer_questions_than_the_seed_schedule_and_counts_them_exactly() {
    let run = &*RUN;
    println!(
        "Genie questions: {} asked; the seed system's schedule (baseline, then slice + P0 + \
         full for every lever tried) would ask {}",
        run.summary.questions_asked, run.summary.seed_schedule
    );
    assert_eq!(run.summary.questions_asked, run.asked);
    assert!(run.summary.questions_asked < run.summary.seed_schedule);
    assert_eq!(run.questions.len(), 48);
}

#[test]
fn a_killed_run_resumes_to_the_same_commits_without_asking_a_question_twice() {
    let (questions, mut harness) = setup();
    let mut seen = BTreeSet::new();
    let mut first = Optimizer::new(input(questions.clone(), harness.schema(), settings()));
    let kill = Kill {
        after: 70,
        ungraded: false,
    };
    let killed = drive(&mut first, &mut harness, &questions, Some(kill), &mut seen);
    assert!(killed.is_none(), "the run finished before it was killed");
    let mut harness = Harness::new(&questions);
    let mut resumed = restart(&first, &questions, &harness);
    drop(first);
    let Some(summary) = drive(&mut resumed, &mut harness, &questions, None, &mut seen) else {
        panic!("the resumed run did not finish");
    };
    let patches = |s: &Summary| -> Vec<_> {
        s.accepted
            .iter()
            .map(|a| (a.lever, a.patches.clone()))
            .collect()
    };
    assert_eq!(patches(&summary), patches(&RUN.summary));
    assert_eq!(summary.questions_asked, RUN.summary.questions_asked);
    assert_eq!(
        seen.len(),
        summary.questions_asked,
        "a question was asked twice"
    );
}

/// What a new process does after a kill: reads the saved checkpoint and resumes from it.
fn restart(killed: &Optimizer, questions: &[Question], harness: &Harness) -> Optimizer {
    let saved = match serde_json::to_string(killed.checkpoint()) {
        Ok(json) => json,
        Err(error) => panic!("the checkpoint does not serialize: {error}"),
    };
    let state: Checkpoint = match serde_json::from_str(&saved) {
        Ok(state) => state,
        Err(error) => panic!("the checkpoint does not deserialize: {error}"),
    };
    match Optimizer::resume(
        input(questions.to_vec(), harness.schema(), settings()),
        state,
    ) {
        Ok(optimizer) => optimizer,
        Err(error) => panic!("resume refused: {error}"),
    }
}

/// The crash-resume drill without processes: killed at 20 points spread over the run (every
/// other one with its last answer stored but not graded) and resumed each time, the run ends
/// with exactly the uninterrupted run's summary — decisions, audit, clusters, questions — and
/// no question is asked twice.
#[test]
fn a_run_killed_at_twenty_points_ends_exactly_like_the_uninterrupted_one() {
    let (questions, mut harness) = setup();
    let mut seen = BTreeSet::new();
    let mut optimizer = Optimizer::new(input(questions.clone(), harness.schema(), settings()));
    for i in 1..=20 {
        let kill = Kill {
            after: i * RUN.asked / 21,
            ungraded: i % 2 == 1,
        };
        let finished = drive(
            &mut optimizer,
            &mut harness,
            &questions,
            Some(kill),
            &mut seen,
        );
        assert!(finished.is_none(), "the run finished before {kill:?}");
        optimizer = restart(&optimizer, &questions, &harness);
    }
    let Some(summary) = drive(&mut optimizer, &mut harness, &questions, None, &mut seen) else {
        panic!("the resumed run did not finish");
    };
    let json = |s: &Summary| match serde_json::to_string_pretty(s) {
        Ok(json) => json,
        Err(error) => panic!("the summary does not serialize: {error}"),
    };
    assert_eq!(json(&summary), json(&RUN.summary));
    assert!(!summary.baseline_clusters.is_empty());
    assert_eq!(harness.asked, RUN.asked, "a question was asked twice");
}

#[test]
fn without_a_dev_target_levers_one_to_three_are_measured_by_overlay_and_commit_the_same_patches() {
    let (questions, mut harness) = setup();
    let overlay = Input {
        overlay: true,
        ..input(questions.clone(), harness.schema(), settings())
    };
    let mut optimizer = Optimizer::new(overlay);
    let mut seen = BTreeSet::new();
    let Some(summary) = drive(&mut optimizer, &mut harness, &questions, None, &mut seen) else {
        panic!("the overlay run did not finish");
    };
    print(&summary);
    let commits = |s: &Summary| -> Vec<_> {
        s.accepted
            .iter()
            .map(|a| (a.lever, a.patches.clone(), a.files.clone()))
            .collect()
    };
    assert_eq!(commits(&summary), commits(&RUN.summary));
    let levers: Vec<(u8, bool)> = summary
        .accepted
        .iter()
        .map(|a| (a.lever, a.overlay))
        .collect();
    assert_eq!(levers, vec![(1, true), (2, true), (3, true), (6, false)]);
    assert!(RUN.summary.accepted.iter().all(|a| !a.overlay));
}

#[test]
fn a_budget_too_small_for_a_candidate_stops_before_spending_it() {
    let (questions, mut harness) = setup();
    let budget = Settings {
        max_questions: Some(60),
        ..settings()
    };
    let mut optimizer = Optimizer::new(input(questions.clone(), harness.schema(), budget));
    let mut seen = BTreeSet::new();
    let Some(summary) = drive(&mut optimizer, &mut harness, &questions, None, &mut seen) else {
        panic!("the run did not finish");
    };
    assert_eq!(summary.stop, Some(StopReason::Budget));
    assert_eq!(summary.questions_asked, questions.len());
    assert!(summary.accepted.is_empty());
}
