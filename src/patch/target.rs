//! What a patch touches, by identity: the [`Object`] it targets (with its parent, so removing a
//! table conflicts with editing one of its columns), the [`Facet`] of that object it changes, the
//! levers it may belong to, its default risk, and its one-line human summary.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::op::{FieldKind, Op, SnippetKind, SourceKind};
use crate::model::space::text;

/// How much review a patch needs: low and medium are applied automatically (medium then passes
/// the P0 gate), high is only ever proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// A metadata object a patch targets, identified by its kind and its key within one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    /// A column config of a space data source.
    Column {
        table: String,
        column: String,
    },
    /// A table or metric view registered in a space.
    DataSource {
        table: String,
    },
    JoinSpec {
        id: String,
    },
    Snippet {
        kind: SnippetKind,
        id: String,
    },
    Example {
        id: String,
    },
    /// The space's (single) text instruction.
    TextInstruction,
    SqlFunction {
        identifier: String,
    },
    /// A table of a lever-1 tables file.
    UcTable {
        table: String,
    },
    /// A column of a lever-1 tables file.
    UcColumn {
        table: String,
        column: String,
    },
    /// A foreign key of a lever-1 table, keyed by its columns.
    UcForeignKey {
        table: String,
        columns: Vec<String>,
    },
    /// A dimension or measure of a metric view.
    MvField {
        kind: FieldKind,
        name: String,
    },
    /// A metric view's global filter.
    MvFilter,
    /// A SQL function (its header).
    Function,
    FunctionParam {
        param: String,
    },
    /// One property of a table in a levers 4-5 file.
    TableProperty {
        table: String,
        key: String,
    },
}

impl Object {
    /// The object this one belongs to, if removing that one would remove this one too.
    pub fn parent(&self) -> Option<Object> {
        match self {
            Object::Column { table, .. } => Some(Object::DataSource {
                table: table.clone(),
            }),
            Object::UcColumn { table, .. } | Object::UcForeignKey { table, .. } => {
                Some(Object::UcTable {
                    table: table.clone(),
                })
            }
            Object::FunctionParam { .. } => Some(Object::Function),
            _ => None,
        }
    }
}

/// The last part of a dotted name: `main.sales.bookings` → `bookings`.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Column { table, column } | Object::UcColumn { table, column } => {
                write!(f, "{}.{column}", short(table))
            }
            Object::DataSource { table } | Object::UcTable { table } => {
                write!(f, "{}", short(table))
            }
            Object::JoinSpec { id } => write!(f, "join spec {id}"),
            Object::Snippet { kind, id } => write!(f, "{} snippet {id}", kind.noun()),
            Object::Example { id } => write!(f, "example {id}"),
            Object::TextInstruction => write!(f, "text instruction"),
            Object::SqlFunction { identifier } => write!(f, "function {}", short(identifier)),
            Object::UcForeignKey { table, columns } => {
                write!(f, "{}({})", short(table), columns.join(", "))
            }
            Object::MvField { kind, name } => write!(f, "{} {name}", kind.noun()),
            Object::MvFilter => write!(f, "filter"),
            Object::Function => write!(f, "function"),
            Object::FunctionParam { param } => write!(f, "parameter {param}"),
            Object::TableProperty { table, key } => write!(f, "{}[{key}]", short(table)),
        }
    }
}

/// The part of an object a patch changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    /// The object itself (added, removed or replaced): conflicts with every other patch on it.
    Whole,
    /// One field or list item (`description`, `synonym booked`, `tag pii`): conflicts with
    /// patches on the same field only.
    Field(String),
}

/// Lever 6 (space file) ops and their durable counterparts, by lever.
fn levers(op: &Op) -> &'static [u8] {
    use Op::*;
    match op {
        SetUcTableComment { .. }
        | SetUcColumnComment { .. }
        | AddUcColumnSynonym { .. }
        | RemoveUcColumnSynonym { .. }
        | SetUcTag { .. }
        | SetUcPrimaryKey { .. }
        | AddUcForeignKey { .. }
        | RemoveUcForeignKey { .. } => &[1],
        SetMvComment { .. }
        | SetMvDisplayName { .. }
        | AddMvSynonym { .. }
        | RemoveMvSynonym { .. }
        | AddMvMeasure { .. }
        | RemoveMvMeasure { .. }
        | SetMvFilter { .. } => &[2],
        SetFunctionComment { .. } | SetFunctionParamComment { .. } => &[3],
        SetTableProperty { .. } => &[4, 5],
        _ => &[6],
    }
}

impl Op {
    /// The levers this operation may be filed under (levers 4 and 5 share table properties).
    pub fn levers(&self) -> &'static [u8] {
        levers(self)
    }

    /// The lever a new patch of this operation gets by default.
    pub fn default_lever(&self) -> u8 {
        levers(self)[0]
    }

    /// The object this operation targets.
    pub fn object(&self) -> Object {
        use Op::*;
        match self {
            SetColumnDescription { column, .. }
            | AddColumnSynonym { column, .. }
            | RemoveColumnSynonym { column, .. }
            | SetColumnExclude { column, .. }
            | SetColumnFormatAssistance { column, .. }
            | SetColumnEntityMatching { column, .. } => Object::Column {
                table: column.table.clone(),
                column: column.column.clone(),
            },
            SetTableDescription { table, .. } => Object::DataSource {
                table: table.clone(),
            },
            AddDataSource { source, .. } | RemoveDataSource { source, .. } => Object::DataSource {
                table: source.identifier.clone(),
            },
            AddJoinSpec { join, .. } | RemoveJoinSpec { join, .. } => Object::JoinSpec {
                id: join.id.clone(),
            },
            AddSqlSnippet { kind, snippet, .. } | RemoveSqlSnippet { kind, snippet, .. } => {
                Object::Snippet {
                    kind: *kind,
                    id: snippet.id.clone(),
                }
            }
            UpdateSqlSnippet { kind, old, .. } => Object::Snippet {
                kind: *kind,
                id: old.id.clone(),
            },
            AddExampleSql { example, .. } | RemoveExampleSql { example, .. } => Object::Example {
                id: example.id.clone(),
            },
            SetTextInstruction { .. }
            | AppendTextInstruction { .. }
            | TruncateTextInstruction { .. }
            | ReplaceTextInstruction { .. } => Object::TextInstruction,
            AddSqlFunction { function, .. } | RemoveSqlFunction { function, .. } => {
                Object::SqlFunction {
                    identifier: function.identifier.clone(),
                }
            }
            SetUcTableComment { table, .. } | SetUcPrimaryKey { table, .. } => Object::UcTable {
                table: table.clone(),
            },
            SetUcTag {
                table,
                column: None,
                ..
            } => Object::UcTable {
                table: table.clone(),
            },
            SetUcColumnComment { table, column, .. }
            | AddUcColumnSynonym { table, column, .. }
            | RemoveUcColumnSynonym { table, column, .. }
            | SetUcTag {
                table,
                column: Some(column),
                ..
            } => Object::UcColumn {
                table: table.clone(),
                column: column.clone(),
            },
            AddUcForeignKey {
                table, foreign_key, ..
            }
            | RemoveUcForeignKey {
                table, foreign_key, ..
            } => Object::UcForeignKey {
                table: table.clone(),
                columns: foreign_key.columns.clone(),
            },
            SetMvComment { kind, name, .. }
            | SetMvDisplayName { kind, name, .. }
            | AddMvSynonym { kind, name, .. }
            | RemoveMvSynonym { kind, name, .. } => Object::MvField {
                kind: *kind,
                name: name.clone(),
            },
            AddMvMeasure { name, .. } | RemoveMvMeasure { name, .. } => Object::MvField {
                kind: FieldKind::Measure,
                name: name.clone(),
            },
            SetMvFilter { .. } => Object::MvFilter,
            SetFunctionComment { .. } => Object::Function,
            SetFunctionParamComment { param, .. } => Object::FunctionParam {
                param: param.clone(),
            },
            SetTableProperty { table, key, .. } => Object::TableProperty {
                table: table.clone(),
                key: key.clone(),
            },
        }
    }

    /// The part of the object this operation changes.
    pub fn facet(&self) -> Facet {
        use Op::*;
        let field = |name: &str| Facet::Field(name.to_owned());
        match self {
            SetColumnDescription { .. } | SetTableDescription { .. } => field("description"),
            AddColumnSynonym { synonym, .. }
            | RemoveColumnSynonym { synonym, .. }
            | AddUcColumnSynonym { synonym, .. }
            | RemoveUcColumnSynonym { synonym, .. }
            | AddMvSynonym { synonym, .. }
            | RemoveMvSynonym { synonym, .. } => Facet::Field(format!("synonym {synonym}")),
            SetColumnExclude { .. } => field("exclude"),
            SetColumnFormatAssistance { .. } => field("format assistance"),
            SetColumnEntityMatching { .. } => field("entity matching"),
            SetUcTableComment { .. }
            | SetUcColumnComment { .. }
            | SetMvComment { .. }
            | SetFunctionComment { .. }
            | SetFunctionParamComment { .. } => field("comment"),
            SetMvDisplayName { .. } => field("display name"),
            SetUcTag { key, .. } => Facet::Field(format!("tag {key}")),
            SetUcPrimaryKey { .. } => field("primary key"),
            _ => Facet::Whole,
        }
    }

    /// Where this operation sorts among operations on the same object: removals first (by
    /// descending index, so earlier positions stay valid), then edits, then additions (by
    /// ascending index, appends last). Applying a set and then its inverse set in this order
    /// restores every list.
    pub fn rank(&self) -> (u8, i64) {
        use Op::*;
        let signed = |i: usize| i64::try_from(i).unwrap_or(i64::MAX);
        match self {
            RemoveColumnSynonym { index: Some(i), .. }
            | RemoveUcColumnSynonym { index: Some(i), .. }
            | RemoveMvSynonym { index: Some(i), .. } => (0, -signed(*i)),
            RemoveColumnSynonym { .. }
            | RemoveUcColumnSynonym { .. }
            | RemoveMvSynonym { .. }
            | RemoveDataSource { .. }
            | RemoveJoinSpec { .. }
            | RemoveSqlSnippet { .. }
            | RemoveExampleSql { .. }
            | RemoveSqlFunction { .. }
            | RemoveUcForeignKey { .. }
            | RemoveMvMeasure { .. }
            | TruncateTextInstruction { .. } => (1, 0),
            AddColumnSynonym { index: Some(i), .. }
            | AddUcColumnSynonym { index: Some(i), .. }
            | AddMvSynonym { index: Some(i), .. } => (3, signed(*i)),
            AddColumnSynonym { .. }
            | AddUcColumnSynonym { .. }
            | AddMvSynonym { .. }
            | AddDataSource { .. }
            | AddJoinSpec { .. }
            | AddSqlSnippet { .. }
            | AddExampleSql { .. }
            | AddSqlFunction { .. }
            | AddUcForeignKey { .. }
            | AddMvMeasure { .. }
            | AppendTextInstruction { .. } => (4, 0),
            _ => (2, 0),
        }
    }

    /// The risk a new patch of this operation gets by default: additions of knowledge are low,
    /// changes to what exists are medium, removals of whole objects (and of tags, which may be
    /// compliance tags) are high.
    pub fn default_risk(&self) -> Risk {
        use Op::*;
        match self {
            AddColumnSynonym { .. }
            | AddUcColumnSynonym { .. }
            | AddMvSynonym { .. }
            | AppendTextInstruction { .. }
            | AddExampleSql { .. } => Risk::Low,
            SetColumnDescription { old, .. } | SetTableDescription { old, .. }
                if old.is_empty() =>
            {
                Risk::Low
            }
            SetUcTableComment { old: None, .. }
            | SetUcColumnComment { old: None, .. }
            | SetMvComment { old: None, .. }
            | SetMvDisplayName { old: None, .. }
            | SetFunctionParamComment { old: None, .. }
            | SetUcTag { old: None, .. }
            | SetTableProperty { old: None, .. } => Risk::Low,
            SetUcPrimaryKey { old, .. } if old.is_empty() => Risk::Low,
            SetColumnFormatAssistance {
                new: Some(true), ..
            }
            | SetColumnEntityMatching {
                new: Some(true), ..
            } => Risk::Low,
            RemoveDataSource { .. }
            | RemoveJoinSpec { .. }
            | RemoveSqlSnippet { .. }
            | RemoveExampleSql { .. }
            | RemoveSqlFunction { .. }
            | RemoveUcForeignKey { .. }
            | RemoveMvMeasure { .. }
            | SetUcTag { new: None, .. } => Risk::High,
            SetUcPrimaryKey { new, .. } if new.is_empty() => Risk::High,
            SetTextInstruction { new, .. } if new.is_empty() => Risk::High,
            _ => Risk::Medium,
        }
    }

    /// What the operation does, in a few words: `add synonym "booked"`.
    pub fn action(&self) -> String {
        use Op::*;
        match self {
            SetColumnDescription { old, new, .. } | SetTableDescription { old, new, .. } => setter(
                "description",
                !old.is_empty(),
                (!new.is_empty()).then(|| text(new)),
            ),
            AddColumnSynonym { synonym, .. }
            | AddUcColumnSynonym { synonym, .. }
            | AddMvSynonym { synonym, .. } => format!("add synonym {synonym:?}"),
            RemoveColumnSynonym { synonym, .. }
            | RemoveUcColumnSynonym { synonym, .. }
            | RemoveMvSynonym { synonym, .. } => format!("remove synonym {synonym:?}"),
            SetColumnExclude { new, .. } => if *new == Some(true) {
                "hide column"
            } else {
                "show column"
            }
            .to_owned(),
            SetColumnFormatAssistance { new, .. } => switch("format assistance", *new),
            SetColumnEntityMatching { new, .. } => switch("entity matching", *new),
            AddDataSource { kind, .. } => format!("register {}", source_noun(*kind)),
            RemoveDataSource { kind, .. } => format!("unregister {}", source_noun(*kind)),
            AddJoinSpec { join, .. } => format!("add join {}", join_text(join)),
            RemoveJoinSpec { join, .. } => format!("remove join {}", join_text(join)),
            AddSqlSnippet { kind, snippet, .. } => {
                format!("add {} {}", kind.noun(), snippet_text(snippet))
            }
            RemoveSqlSnippet { kind, snippet, .. } => {
                format!("remove {} {}", kind.noun(), snippet_text(snippet))
            }
            UpdateSqlSnippet { kind, new, .. } => {
                format!("update {} {}", kind.noun(), snippet_text(new))
            }
            AddExampleSql { example, .. } => format!("add example {:?}", text(&example.question)),
            RemoveExampleSql { example, .. } => {
                format!("remove example {:?}", text(&example.question))
            }
            SetTextInstruction { old, new, .. } => setter(
                "text",
                !old.is_empty(),
                (!new.is_empty()).then(|| text(new)),
            ),
            AppendTextInstruction { lines, .. } => format!("append {:?}", text(lines)),
            TruncateTextInstruction { lines, .. } => format!("remove {:?}", text(lines)),
            ReplaceTextInstruction { old, new, .. } => format!("replace {old:?} with {new:?}"),
            AddSqlFunction { .. } => "register function".to_owned(),
            RemoveSqlFunction { .. } => "unregister function".to_owned(),
            SetUcTableComment { old, new, .. }
            | SetUcColumnComment { old, new, .. }
            | SetMvComment { old, new, .. }
            | SetFunctionComment { old, new, .. }
            | SetFunctionParamComment { old, new, .. } => {
                setter("comment", old.is_some(), new.clone())
            }
            SetMvDisplayName { old, new, .. } => setter("display name", old.is_some(), new.clone()),
            SetUcTag { key, old, new, .. } => {
                setter(&format!("tag {key}"), old.is_some(), new.clone())
            }
            SetUcPrimaryKey { old, new, .. } => match (old.is_empty(), new.is_empty()) {
                (_, true) => "remove primary key".to_owned(),
                (true, false) => format!("add primary key ({})", new.join(", ")),
                (false, false) => format!("set primary key ({})", new.join(", ")),
            },
            AddUcForeignKey { foreign_key, .. } => {
                format!("add foreign key → {}", foreign_key.references)
            }
            RemoveUcForeignKey { foreign_key, .. } => {
                format!("remove foreign key → {}", foreign_key.references)
            }
            AddMvMeasure { expr, .. } => format!("add measure {expr:?}"),
            RemoveMvMeasure { .. } => "remove measure".to_owned(),
            SetMvFilter { old, new, .. } => setter("filter", old.is_some(), new.clone()),
            SetTableProperty { key, old, new, .. } => {
                setter(&format!("property {key}"), old.is_some(), new.clone())
            }
        }
    }
}

/// `add description "…"`, `set description "…"` or `remove description`.
fn setter(what: &str, had_value: bool, new: Option<String>) -> String {
    match (had_value, new) {
        (_, None) => format!("remove {what}"),
        (false, Some(v)) => format!("add {what} {:?}", clip(&v)),
        (true, Some(v)) => format!("set {what} {:?}", clip(&v)),
    }
}

fn switch(what: &str, on: Option<bool>) -> String {
    let state = if on == Some(true) { "on" } else { "off" };
    format!("turn {what} {state}")
}

fn source_noun(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Table => "table",
        SourceKind::MetricView => "metric view",
    }
}

fn join_text(join: &crate::model::space::JoinSpec) -> String {
    let relationship = join.relationship().map_or("?", |r| r.as_str());
    format!("{} ({relationship})", clip(&join.condition()))
}

fn snippet_text(snippet: &crate::model::space::Snippet) -> String {
    match &snippet.alias {
        Some(alias) => alias.clone(),
        None => format!("{:?}", clip(&text(&snippet.sql))),
    }
}

/// Shortens long text for a one-line summary, on a character boundary.
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX - 1).collect();
    format!("{cut}…")
}
