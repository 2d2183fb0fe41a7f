//! The Genie space file: the `serialized_space` JSON (version 2), as typed structs.
//!
//! Every section of the v2 export is modelled; keys this version does not know are kept in each
//! struct's `extra` map so a read-then-write loses nothing. Text fields are arrays of strings, as
//! the API stores them (multi-line SQL is `["SELECT a\n", "FROM t"]`); [`text`] joins them.
//!
//! Field order in these structs is the canonical key order used when writing.
//!
//! Submodules: [`file`] reads a space file (bare or API wrapper, v1 upgraded) with the position
//! of every value; [`canonical`] writes it canonically; [`validate`] reports every problem at its
//! line and column; [`semantic`] compares a live space with the repository's; [`ids`] checks and
//! generates ids; [`params`] finds `:name` markers in example SQL; `shape` checks JSON types.

pub mod benchmarks;
pub mod canonical;
pub mod file;
pub mod ids;
pub mod params;
pub mod semantic;
mod shape;
pub mod validate;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use canonical::canonicalize;
pub use file::{ParsedSpaceFile, Positions, SpaceFile, SpaceForm, Wrapper, parse};
pub use ids::{is_valid_id, new_id};
pub use semantic::{semantic_differences, semantically_equal};
pub use validate::{validate, validate_parsed, validate_space};

/// Unknown keys, kept verbatim.
pub type Extra = Map<String, Value>;

/// Joins a string-array text field the way Genie reads it.
pub fn text(parts: &[String]) -> String {
    parts.concat()
}

/// Splits text into the API's string-array form: one element per line, each but the last
/// keeping its `\n`.
pub fn to_lines(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split_inclusive('\n').map(str::to_owned).collect()
}

/// The `serialized_space` document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SerializedSpace {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<SpaceConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<DataSources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Instructions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmarks: Option<Benchmarks>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `config`: what the UI shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpaceConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_questions: Vec<SampleQuestion>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A question shown to users in the space's UI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleQuestion {
    pub id: String,
    #[serde(default)]
    pub question: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data_sources`: the tables, views and metric views Genie may query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSources {
    /// Always written, even when empty: the API requires the key.
    #[serde(default)]
    pub tables: Vec<DataSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_views: Vec<DataSource>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A table, view or metric view registered in the space.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// Three-part name `catalog.schema.object` (may hold template variables in the repo).
    pub identifier: String,
    /// Space-level description; overrides the Unity Catalog comment for Genie.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_configs: Vec<ColumnConfig>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Per-column knowledge: description, synonyms, hiding and prompt matching.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnConfig {
    pub column_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Hides the column from Genie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
    /// Samples values so literals follow the column's format (v1: `get_example_values`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_format_assistance: Option<bool>,
    /// Indexes distinct values so user wording maps to real values (v1: `build_value_dictionary`).
    /// Requires format assistance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_entity_matching: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ColumnConfig {
    /// Whether the column is hidden from Genie.
    pub fn is_excluded(&self) -> bool {
        self.exclude == Some(true)
    }
    /// Whether format assistance (value sampling) is on.
    pub fn format_assistance(&self) -> bool {
        self.enable_format_assistance == Some(true)
    }
    /// Whether entity matching (the value index) is on.
    pub fn entity_matching(&self) -> bool {
        self.enable_entity_matching == Some(true)
    }
}

/// `instructions`: everything Genie is told beyond the data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Instructions {
    /// At most one entry (the API rejects more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_instructions: Vec<TextInstruction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example_question_sqls: Vec<ExampleQuestionSql>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sql_functions: Vec<SqlFunctionRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub join_specs: Vec<JoinSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_snippets: Option<SqlSnippets>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The space's general text instructions (at most one per space).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextInstruction {
    pub id: String,
    #[serde(default)]
    pub content: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A worked example; with `parameters` it is a trusted asset answered verbatim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExampleQuestionSql {
    pub id: String,
    #[serde(default)]
    pub question: Vec<String>,
    #[serde(default)]
    pub sql: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage_guidance: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ExampleParameter>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A typed `:name` parameter of an example.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExampleParameter {
    pub name: String,
    /// `STRING`, `INTEGER`, `DATE`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<DefaultValue>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The default of an example parameter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DefaultValue {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Unity Catalog function registered as a trusted asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlFunctionRef {
    pub id: String,
    pub identifier: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A join Genie may use: one equality plus a `--rt=FROM_RELATIONSHIP_TYPE_…--` marker in `sql`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinSpec {
    pub id: String,
    pub left: JoinSide,
    pub right: JoinSide,
    #[serde(default)]
    pub sql: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comment: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruction: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One table of a join spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinSide {
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The relationship marker of a join spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Relationship {
    ManyToOne,
    OneToMany,
    OneToOne,
    ManyToMany,
}

impl Relationship {
    /// Every relationship, in marker-name order of the API docs.
    pub const ALL: [Relationship; 4] = [
        Self::ManyToOne,
        Self::OneToMany,
        Self::OneToOne,
        Self::ManyToMany,
    ];

    /// The marker's suffix: `MANY_TO_ONE`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManyToOne => "MANY_TO_ONE",
            Self::OneToMany => "ONE_TO_MANY",
            Self::OneToOne => "ONE_TO_ONE",
            Self::ManyToMany => "MANY_TO_MANY",
        }
    }

    /// The `sql` element carrying this relationship: `--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--`.
    pub fn marker(self) -> String {
        format!("--rt=FROM_RELATIONSHIP_TYPE_{}--", self.as_str())
    }

    /// Reads a marker element back.
    pub fn from_marker(s: &str) -> Option<Self> {
        let inner = s
            .trim()
            .strip_prefix("--rt=FROM_RELATIONSHIP_TYPE_")?
            .strip_suffix("--")?;
        Self::ALL.into_iter().find(|r| r.as_str() == inner)
    }
}

impl JoinSpec {
    /// The relationship from the marker element, if present and well-formed.
    pub fn relationship(&self) -> Option<Relationship> {
        self.sql.iter().find_map(|s| Relationship::from_marker(s))
    }

    /// The join condition: the `sql` elements that are not the marker, joined.
    pub fn condition(&self) -> String {
        self.sql
            .iter()
            .filter(|s| Relationship::from_marker(s).is_none())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `sql_snippets`: governed SQL fragments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SqlSnippets {
    /// Boolean conditions (no `WHERE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Snippet>,
    /// Dimensions: row-level expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expressions: Vec<Snippet>,
    /// Aggregations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<Snippet>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A filter, expression or measure snippet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snippet {
    pub id: String,
    /// Expressions and measures have an alias; filters do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default)]
    pub sql: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruction: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comment: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `benchmarks`: questions with ground-truth SQL, used by the native eval-runs API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Benchmarks {
    #[serde(default)]
    pub questions: Vec<BenchmarkQuestion>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A benchmark question and its ground-truth answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkQuestion {
    pub id: String,
    #[serde(default)]
    pub question: Vec<String>,
    #[serde(default)]
    pub answer: Vec<BenchmarkAnswer>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One answer of a benchmark question.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkAnswer {
    /// `SQL`.
    pub format: String,
    #[serde(default)]
    pub content: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl SerializedSpace {
    /// Tables and views (not metric views).
    pub fn tables(&self) -> &[DataSource] {
        self.data_sources.as_ref().map_or(&[], |d| &d.tables)
    }

    /// Metric views.
    pub fn metric_views(&self) -> &[DataSource] {
        self.data_sources.as_ref().map_or(&[], |d| &d.metric_views)
    }

    /// Tables and metric views together.
    pub fn data_sources_iter(&self) -> impl Iterator<Item = &DataSource> {
        self.tables().iter().chain(self.metric_views())
    }

    /// The text instructions (at most one is valid).
    pub fn text_instructions(&self) -> &[TextInstruction] {
        self.instructions
            .as_ref()
            .map_or(&[], |i| &i.text_instructions)
    }

    /// The example question SQLs.
    pub fn examples(&self) -> &[ExampleQuestionSql] {
        self.instructions
            .as_ref()
            .map_or(&[], |i| &i.example_question_sqls)
    }

    /// The SQL functions registered as trusted assets.
    pub fn sql_functions(&self) -> &[SqlFunctionRef] {
        self.instructions.as_ref().map_or(&[], |i| &i.sql_functions)
    }

    /// The join specs.
    pub fn join_specs(&self) -> &[JoinSpec] {
        self.instructions.as_ref().map_or(&[], |i| &i.join_specs)
    }

    /// The filters, expressions and measures, when present.
    pub fn snippets(&self) -> Option<&SqlSnippets> {
        self.instructions
            .as_ref()
            .and_then(|i| i.sql_snippets.as_ref())
    }

    /// The benchmark questions.
    pub fn benchmark_questions(&self) -> &[BenchmarkQuestion] {
        self.benchmarks.as_ref().map_or(&[], |b| &b.questions)
    }
}

/// Every column config of every table and metric view, with its JSON pointer.
pub(crate) fn column_configs_mut(space: &mut SerializedSpace) -> Vec<(String, &mut ColumnConfig)> {
    let Some(sources) = &mut space.data_sources else {
        return Vec::new();
    };
    let lists = [
        ("tables", &mut sources.tables),
        ("metric_views", &mut sources.metric_views),
    ];
    let mut out = Vec::new();
    for (name, list) in lists {
        for (i, source) in list.iter_mut().enumerate() {
            for (j, config) in source.column_configs.iter_mut().enumerate() {
                out.push((
                    format!("/data_sources/{name}/{i}/column_configs/{j}"),
                    config,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_join_and_split_by_line() {
        let lines = to_lines("SELECT a\nFROM t");
        assert_eq!(lines, vec!["SELECT a\n", "FROM t"]);
        assert_eq!(text(&lines), "SELECT a\nFROM t");
    }

    #[test]
    fn a_join_spec_separates_condition_and_marker() {
        let j = JoinSpec {
            sql: vec![
                "`b`.`property_id` = `p`.`property_id`".into(),
                Relationship::ManyToOne.marker(),
            ],
            ..Default::default()
        };
        assert_eq!(j.relationship(), Some(Relationship::ManyToOne));
        assert_eq!(j.condition(), "`b`.`property_id` = `p`.`property_id`");
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let src = r#"{"version":2,"future":{"x":1},"data_sources":{"tables":[{"identifier":"a.b.c","new_key":true}]}}"#;
        let s: SerializedSpace = serde_json::from_str(src).unwrap();
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["future"]["x"], 1);
        assert_eq!(back["data_sources"]["tables"][0]["new_key"], true);
    }
}
