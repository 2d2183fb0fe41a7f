//! The operations a patch can perform: one enum variant per patch type, each naming the file it
//! edits, the object it targets and the value it expects to find there (the guard).
//!
//! Text fields of the space file are string arrays, as in the file itself, so that a patch and its
//! inverse restore the exact elements. Setters carry `old` and `new`; an empty array (or an absent
//! value) means "not set".

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::space::{DataSource, ExampleQuestionSql, JoinSpec, Snippet, SqlFunctionRef};

/// A space-file column: the data source's identifier and the column name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRef {
    /// The space file's path in the repository.
    pub file: String,
    /// The table's or metric view's `identifier`, as written in the space file.
    pub table: String,
    pub column: String,
}

/// Which list of `sql_snippets` an entry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnippetKind {
    Filter,
    Expression,
    Measure,
}

impl SnippetKind {
    /// The singular noun used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Filter => "filter",
            Self::Expression => "expression",
            Self::Measure => "measure",
        }
    }
}

/// Which list of `data_sources` an entry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Table,
    MetricView,
}

/// A metric view's dimension or measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Dimension,
    Measure,
}

impl FieldKind {
    /// The matching kind of the metric-view model.
    pub fn model(self) -> crate::model::metric_view::FieldKind {
        match self {
            Self::Dimension => crate::model::metric_view::FieldKind::Dimension,
            Self::Measure => crate::model::metric_view::FieldKind::Measure,
        }
    }

    /// The singular noun used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Dimension => "dimension",
            Self::Measure => "measure",
        }
    }
}

/// A foreign key as written in a lever-1 tables file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKeySpec {
    pub columns: Vec<String>,
    /// `catalog.schema.table(col, …)`.
    pub references: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One typed edit. The JSON form is an object whose `type` names the variant in snake case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    // ----- space file: column configs (lever 6 / knowledge store)
    /// Sets a column's space-level description.
    SetColumnDescription {
        #[serde(flatten)]
        column: ColumnRef,
        #[serde(default)]
        old: Vec<String>,
        #[serde(default)]
        new: Vec<String>,
    },
    /// Adds a synonym to a column (at `index`, or at the end).
    AddColumnSynonym {
        #[serde(flatten)]
        column: ColumnRef,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Removes a synonym from a column; `index`, when given, is part of the guard.
    RemoveColumnSynonym {
        #[serde(flatten)]
        column: ColumnRef,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Hides (`true`) or shows a column.
    SetColumnExclude {
        #[serde(flatten)]
        column: ColumnRef,
        old: Option<bool>,
        new: Option<bool>,
    },
    /// Turns format assistance (value sampling) on or off.
    SetColumnFormatAssistance {
        #[serde(flatten)]
        column: ColumnRef,
        old: Option<bool>,
        new: Option<bool>,
    },
    /// Turns entity matching (the value index) on or off.
    SetColumnEntityMatching {
        #[serde(flatten)]
        column: ColumnRef,
        old: Option<bool>,
        new: Option<bool>,
    },
    // ----- space file: data sources, joins, snippets, examples, instructions, functions
    /// Sets a table's or metric view's space-level description.
    SetTableDescription {
        file: String,
        table: String,
        #[serde(default)]
        old: Vec<String>,
        #[serde(default)]
        new: Vec<String>,
    },
    /// Registers a table or metric view in the space.
    AddDataSource {
        file: String,
        kind: SourceKind,
        source: DataSource,
    },
    /// Removes a table or metric view; `source` must match the entry exactly.
    RemoveDataSource {
        file: String,
        kind: SourceKind,
        source: DataSource,
    },
    /// Adds a join spec (its `sql` must carry a relationship marker).
    AddJoinSpec {
        file: String,
        #[serde(deserialize_with = "with_optional_id")]
        join: JoinSpec,
    },
    /// Removes a join spec; `join` must match the entry exactly.
    RemoveJoinSpec { file: String, join: JoinSpec },
    /// Adds a filter, expression or measure snippet.
    AddSqlSnippet {
        file: String,
        kind: SnippetKind,
        #[serde(deserialize_with = "with_optional_id")]
        snippet: Snippet,
    },
    /// Removes a snippet; `snippet` must match the entry exactly.
    RemoveSqlSnippet {
        file: String,
        kind: SnippetKind,
        snippet: Snippet,
    },
    /// Replaces a snippet (same id) with a new version.
    UpdateSqlSnippet {
        file: String,
        kind: SnippetKind,
        old: Snippet,
        new: Snippet,
    },
    /// Adds an example question with its SQL (and, for a trusted asset, typed parameters).
    AddExampleSql {
        file: String,
        #[serde(deserialize_with = "with_optional_id")]
        example: ExampleQuestionSql,
    },
    /// Removes an example; `example` must match the entry exactly.
    RemoveExampleSql {
        file: String,
        example: ExampleQuestionSql,
    },
    /// Sets the whole text instruction: creates it when `old` is empty, removes it when `new` is.
    SetTextInstruction {
        file: String,
        /// The instruction's id: checked when it exists, used when it is created (derived from
        /// the patch when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        old: Vec<String>,
        #[serde(default)]
        new: Vec<String>,
    },
    /// Appends lines to the text instruction (creating it when there is none).
    AppendTextInstruction { file: String, lines: Vec<String> },
    /// Removes lines from the end of the text instruction (the inverse of an append).
    TruncateTextInstruction { file: String, lines: Vec<String> },
    /// Replaces the one occurrence of `old` in the text instruction with `new`.
    ReplaceTextInstruction {
        file: String,
        old: String,
        new: String,
    },
    /// Registers a SQL function as a trusted asset.
    AddSqlFunction {
        file: String,
        #[serde(deserialize_with = "with_optional_id")]
        function: SqlFunctionRef,
    },
    /// Removes a SQL function; `function` must match the entry exactly.
    RemoveSqlFunction {
        file: String,
        function: SqlFunctionRef,
    },
    // ----- lever 1: tables YAML
    /// Sets (or removes) a table's Unity Catalog comment.
    SetUcTableComment {
        file: String,
        table: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Sets (or removes) a column's Unity Catalog comment.
    SetUcColumnComment {
        file: String,
        table: String,
        column: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Adds a synonym to a column of a tables file (at `index`, or at the end).
    AddUcColumnSynonym {
        file: String,
        table: String,
        column: String,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Removes a synonym from a column of a tables file; `index`, when given, is a guard.
    RemoveUcColumnSynonym {
        file: String,
        table: String,
        column: String,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Sets (or removes) a tag of a table, or of one of its columns.
    SetUcTag {
        file: String,
        table: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        key: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Sets a table's informational primary key: `old` is the key expected now, `new` the key
    /// wanted (an empty list means "none": declares a key from nothing, or removes it).
    SetUcPrimaryKey {
        file: String,
        table: String,
        #[serde(default)]
        old: Vec<String>,
        #[serde(default)]
        new: Vec<String>,
    },
    /// Adds an informational foreign key.
    AddUcForeignKey {
        file: String,
        table: String,
        foreign_key: ForeignKeySpec,
    },
    /// Removes a foreign key; `foreign_key` must match the entry exactly.
    RemoveUcForeignKey {
        file: String,
        table: String,
        foreign_key: ForeignKeySpec,
    },
    // ----- lever 2: metric views
    /// Sets (or removes) a dimension's or measure's comment.
    SetMvComment {
        file: String,
        kind: FieldKind,
        name: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Sets (or removes) a dimension's or measure's display name.
    SetMvDisplayName {
        file: String,
        kind: FieldKind,
        name: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Adds a synonym to a dimension or measure (at `index`, or at the end).
    AddMvSynonym {
        file: String,
        kind: FieldKind,
        name: String,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Removes a synonym from a dimension or measure; `index`, when given, is a guard.
    RemoveMvSynonym {
        file: String,
        kind: FieldKind,
        name: String,
        synonym: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    /// Appends a measure `{name, expr, comment?}`.
    AddMvMeasure {
        file: String,
        name: String,
        expr: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Removes a measure that has exactly these keys and values.
    RemoveMvMeasure {
        file: String,
        name: String,
        expr: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Sets (or removes) the metric view's global filter.
    SetMvFilter {
        file: String,
        old: Option<String>,
        new: Option<String>,
    },
    // ----- lever 3: SQL function files
    /// Sets (or removes) the function's `COMMENT`.
    SetFunctionComment {
        file: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// Sets (or removes) a parameter's `COMMENT`.
    SetFunctionParamComment {
        file: String,
        param: String,
        old: Option<String>,
        new: Option<String>,
    },
    // ----- levers 4-5: table properties
    /// Sets (or removes) a table property.
    SetTableProperty {
        file: String,
        table: String,
        key: String,
        old: Option<String>,
        new: Option<String>,
    },
}

/// Deserializes a list entry whose `id` may be left out (it is then derived from the patch).
fn with_optional_id<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let mut value = serde_json::Value::deserialize(deserializer)?;
    if let Some(map) = value.as_object_mut() {
        map.entry("id")
            .or_insert_with(|| serde_json::Value::String(String::new()));
    }
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

impl Op {
    /// The repository path of the file this operation edits.
    pub fn file(&self) -> &str {
        use Op::*;
        match self {
            SetColumnDescription { column, .. }
            | AddColumnSynonym { column, .. }
            | RemoveColumnSynonym { column, .. }
            | SetColumnExclude { column, .. }
            | SetColumnFormatAssistance { column, .. }
            | SetColumnEntityMatching { column, .. } => &column.file,
            SetTableDescription { file, .. }
            | AddDataSource { file, .. }
            | RemoveDataSource { file, .. }
            | AddJoinSpec { file, .. }
            | RemoveJoinSpec { file, .. }
            | AddSqlSnippet { file, .. }
            | RemoveSqlSnippet { file, .. }
            | UpdateSqlSnippet { file, .. }
            | AddExampleSql { file, .. }
            | RemoveExampleSql { file, .. }
            | SetTextInstruction { file, .. }
            | AppendTextInstruction { file, .. }
            | TruncateTextInstruction { file, .. }
            | ReplaceTextInstruction { file, .. }
            | AddSqlFunction { file, .. }
            | RemoveSqlFunction { file, .. }
            | SetUcTableComment { file, .. }
            | SetUcColumnComment { file, .. }
            | AddUcColumnSynonym { file, .. }
            | RemoveUcColumnSynonym { file, .. }
            | SetUcTag { file, .. }
            | SetUcPrimaryKey { file, .. }
            | AddUcForeignKey { file, .. }
            | RemoveUcForeignKey { file, .. }
            | SetMvComment { file, .. }
            | SetMvDisplayName { file, .. }
            | AddMvSynonym { file, .. }
            | RemoveMvSynonym { file, .. }
            | AddMvMeasure { file, .. }
            | RemoveMvMeasure { file, .. }
            | SetMvFilter { file, .. }
            | SetFunctionComment { file, .. }
            | SetFunctionParamComment { file, .. }
            | SetTableProperty { file, .. } => file,
        }
    }

    /// The `type` tag of this operation, as written in JSON.
    pub fn type_name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }
}
