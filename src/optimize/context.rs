//! What the proposal rules read: the repository at the accepted state (space file and durable
//! lever files), the schema, the settings, and the train questions with their failures. The
//! leakage guard lives here: [`Context::new`] keeps only train questions, so held-out (and
//! validation) questions can never feed a proposal.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::settings::{self, DurableFiles};
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::{ColumnConfig, DataSource, SerializedSpace};
use crate::model::{function, metric_view, space, tables};
use crate::sql::analyze::QueryFeatures;

use super::case::{FailureCase, Question, Role};

/// The optimizer's settings, resolved from `.genie-gitops.yml` (and command-line flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Levers the loop may use, 1–6.
    pub levers: Vec<u8>,
    /// Train accuracy at which the loop stops, 0–1.
    pub target_accuracy: f64,
    /// Rounds (passes over the levers) at most.
    pub max_rounds: u32,
    /// Stop after this many rounds without an accepted gain.
    pub plateau_rounds: u32,
    /// Train questions' gold SQL may become example SQL (parameterized).
    pub allow_benchmark_examples: bool,
    /// Blast radius: distinct objects per candidate.
    pub max_objects: usize,
    /// Genie questions the run may ask, at most.
    pub max_questions: Option<u32>,
    /// Gate questions allowed to go from pass to fail.
    pub max_regressions: u32,
    /// A P0 question that passed must still pass.
    pub p0_must_pass: bool,
    /// Non-inferiority margin of the paired test (a proportion).
    pub margin: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            levers: vec![1, 2, 3, 4, 5, 6],
            target_accuracy: 0.8,
            max_rounds: 5,
            plateau_rounds: 2,
            allow_benchmark_examples: false,
            max_objects: 10,
            max_questions: None,
            max_regressions: 0,
            p0_must_pass: true,
            margin: 0.05,
        }
    }
}

impl Settings {
    /// The optimizer's view of repository settings.
    pub fn from_repo(s: &settings::Settings) -> Self {
        Settings {
            levers: s.levers.clone(),
            target_accuracy: s.thresholds.min_accuracy,
            max_rounds: s.optimize.max_iterations,
            plateau_rounds: s.optimize.plateau_rounds,
            allow_benchmark_examples: s.optimize.allow_benchmark_examples,
            max_objects: s.optimize.max_patches_per_lever as usize,
            max_questions: s.genie.max_questions_per_run,
            max_regressions: s.thresholds.max_regressions,
            p0_must_pass: s.thresholds.p0_must_pass,
            ..Settings::default()
        }
    }
}

/// The columns of each table the space may use (from Unity Catalog or the tables file), keyed
/// by the table's last name part, lower case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub tables: BTreeMap<String, Vec<String>>,
}

/// The last dotted part of a name, without backticks, lower case.
pub fn short(name: &str) -> String {
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches('`')
        .to_lowercase()
}

/// Where a durable file defines an object: the file and the object's name as written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    pub name: String,
}

/// Everything a rule may read.
pub struct Context<'a> {
    pub snapshot: &'a RepoSnapshot,
    /// The space file's repository path.
    pub space_path: &'a str,
    pub space: SerializedSpace,
    pub files: &'a DurableFiles,
    pub schema: &'a Schema,
    pub settings: &'a Settings,
    /// Train questions only.
    pub questions: Vec<&'a Question>,
    /// Failures of train questions only, with their question.
    pub failures: Vec<(&'a Question, &'a FailureCase)>,
}

impl<'a> Context<'a> {
    /// A context over the accepted snapshot. Questions that are not train, and their failures,
    /// are dropped here: the leakage guard. Fails when the space file is missing or invalid.
    pub fn new(
        snapshot: &'a RepoSnapshot,
        space_path: &'a str,
        files: &'a DurableFiles,
        schema: &'a Schema,
        settings: &'a Settings,
        questions: &'a [Question],
        failures: &'a [FailureCase],
    ) -> Result<Self, String> {
        let text = snapshot
            .get(space_path)
            .ok_or_else(|| format!("{space_path}: the space file is not in the repository"))?;
        let parsed = space::file::parse(space_path, text).map_err(|diags| {
            let first = diags.first().map(|d| d.to_string()).unwrap_or_default();
            format!("{space_path}: the space file does not parse: {first}")
        })?;
        let train: Vec<&Question> = questions.iter().filter(|q| q.role == Role::Train).collect();
        let failures = failures
            .iter()
            .filter_map(|f| {
                let q = train.iter().find(|q| q.id == f.question_id)?;
                Some((*q, f))
            })
            .collect();
        Ok(Context {
            snapshot,
            space_path,
            space: parsed.file.space,
            files,
            schema,
            settings,
            questions: train,
            failures,
        })
    }

    /// The space's data source (table or metric view) whose identifier ends in `table`.
    pub fn source(&self, table: &str) -> Option<&DataSource> {
        let table = short(table);
        self.space
            .data_sources_iter()
            .find(|d| short(&d.identifier) == table)
    }

    /// The space's column config of `table.column`, if any.
    pub fn column_config(&self, table: &str, column: &str) -> Option<&ColumnConfig> {
        self.source(table)?
            .column_configs
            .iter()
            .find(|c| c.column_name.eq_ignore_ascii_case(column))
    }

    /// The identifier of a registered function whose name ends in `name`.
    pub fn function_identifier(&self, name: &str) -> Option<&str> {
        let name = short(name);
        self.space
            .sql_functions()
            .iter()
            .find(|f| short(&f.identifier) == name)
            .map(|f| f.identifier.as_str())
    }

    /// Whether the tables file defines `table.column` (lever 1 can document it).
    pub fn tables_file_column(&self, table: &str, column: &str) -> Option<Located> {
        let text = self.snapshot.get(&self.files.tables)?;
        let loaded = tables::load(&self.files.tables, text);
        let t = loaded
            .value
            .tables
            .iter()
            .find(|t| short(&t.name) == short(table))?;
        t.columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(column))
            .then(|| Located {
                file: self.files.tables.clone(),
                name: t.name.clone(),
            })
    }

    /// The comment the tables file gives `table.column`.
    pub fn uc_column_comment(&self, table: &str, column: &str) -> Option<String> {
        let text = self.snapshot.get(&self.files.tables)?;
        tables::load(&self.files.tables, text)
            .value
            .tables
            .iter()
            .filter(|t| short(&t.name) == short(table))
            .flat_map(|t| t.columns.iter())
            .find(|c| c.name.eq_ignore_ascii_case(column))
            .and_then(|c| c.comment.clone())
    }

    /// Whether the settings enable `lever`.
    pub fn lever_enabled(&self, lever: u8) -> bool {
        self.settings.levers.contains(&lever)
    }

    /// The tables file's entry of `table`, when lever 1 can edit it.
    pub fn tables_file_table(&self, table: &str) -> Option<Located> {
        let text = self.snapshot.get(&self.files.tables)?;
        let loaded = tables::load(&self.files.tables, text);
        loaded
            .value
            .tables
            .iter()
            .find(|t| short(&t.name) == short(table))
            .map(|t| Located {
                file: self.files.tables.clone(),
                name: t.name.clone(),
            })
    }

    /// The metric-view file defining the view `view` (lever 2), with the field names it has.
    pub fn metric_view_file(&self, view: &str) -> Option<(String, metric_view::MetricView)> {
        let dir = format!("{}/", self.files.metric_views.trim_end_matches('/'));
        self.snapshot
            .paths()
            .filter(|p| p.starts_with(&dir))
            .find_map(|path| {
                let text = self.snapshot.get(path)?;
                let stem = path.rsplit('/').next()?.split('.').next()?.to_owned();
                let loaded = metric_view::load(path, text, Some(&stem));
                let name = short(&loaded.value.identifier);
                (!loaded.has_errors() && (name == short(view) || stem == short(view)))
                    .then(|| (path.to_owned(), loaded.value.view))
            })
    }

    /// The function file defining `name` (lever 3), with its current comment.
    pub fn function_file(&self, name: &str) -> Option<(String, Option<String>)> {
        let dir = format!("{}/", self.files.functions.trim_end_matches('/'));
        self.snapshot
            .paths()
            .filter(|p| p.starts_with(&dir))
            .find_map(|path| {
                let parsed = function::parse(path, self.snapshot.get(path)?).ok()?;
                (short(&parsed.identifier) == short(name))
                    .then(|| (path.to_owned(), parsed.comment.map(|c| c.value)))
            })
    }

    /// Train questions whose gold query reads `table` (as a table).
    pub fn golds_reading(&self, table: &str) -> Vec<&'a Question> {
        let table = short(table);
        self.questions
            .iter()
            .copied()
            .filter(|q| reads(&q.gold, &table))
            .collect()
    }

    /// Other tables of the schema that are registered in the space and have a column with a
    /// name part equal to `word`'s stem (a competing reading of the word).
    pub fn competitors(&self, table: &str, word_stem: &str) -> BTreeSet<String> {
        let table = short(table);
        self.schema
            .tables
            .iter()
            .filter(|(t, _)| **t != table && self.source(t).is_some())
            .filter(|(_, cols)| {
                cols.iter()
                    .any(|c| super::phrase::name_stems(c).contains(word_stem))
            })
            .map(|(t, _)| t.clone())
            .collect()
    }
}

/// Whether the features read `table` (last name part, lower case).
pub fn reads(features: &QueryFeatures, table: &str) -> bool {
    features.tables.iter().any(|t| t.name == table)
}
