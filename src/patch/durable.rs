//! Applying lever 1–5 operations to the durable metadata files: read the file with its model to
//! check the guard, then call the model's format-preserving edit function, so comments, key order
//! and every untouched byte stay as written.

use super::error::Problem;
use super::op::{ForeignKeySpec, Op};
use super::space::{add_to_list, remove_from_list};
use crate::model::diag::Diagnostic;
use crate::model::metric_view::{self, Field, MetricView};
use crate::model::yaml_edit::{EditError, Loaded};
use crate::model::{function, properties, tables};

/// Applies a lever 1–5 `op` to `text` (named `file`) and returns the new text. The patch is
/// refused when the edited file has a validation error the original did not have.
pub(super) fn apply(file: &str, text: &str, op: &Op) -> Result<String, Problem> {
    let out = edit(file, text, op)?;
    let before = error_messages(file, text, op);
    if let Some(new) = error_messages(file, &out, op)
        .into_iter()
        .find(|m| !before.contains(m))
    {
        return Err(Problem::Invalid {
            object: op.object().to_string(),
            message: format!("the result would not validate: {new}"),
        });
    }
    Ok(out)
}

/// The messages of the errors the file's loader reports.
fn error_messages(file: &str, text: &str, op: &Op) -> Vec<String> {
    let diagnostics = match op.default_lever() {
        1 => tables::load(file, text).diagnostics,
        2 => metric_view::load(file, text, Some("")).diagnostics,
        3 => function::parse(file, text).err().into_iter().collect(),
        _ => properties::load(file, text).diagnostics,
    };
    diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|d| d.message)
        .collect()
}

fn edit(file: &str, text: &str, op: &Op) -> Result<String, Problem> {
    let object = op.object().to_string();
    match op {
        Op::SetUcTableComment {
            table, old, new, ..
        } => {
            let doc = read(tables::load(file, text))?;
            let t = uc_table(&doc, table)?;
            guard(&object, old, &t.comment)?;
            edited(
                &object,
                tables::set_table_comment(text, &t.name, new.as_deref()),
            )
        }
        Op::SetUcColumnComment {
            table,
            column,
            old,
            new,
            ..
        } => {
            let doc = read(tables::load(file, text))?;
            let (t, c) = uc_column(&doc, table, column, &object)?;
            guard(&object, old, &c.comment)?;
            edited(
                &object,
                tables::set_column_comment(text, &t.name, &c.name, new.as_deref()),
            )
        }
        Op::AddUcColumnSynonym {
            table,
            column,
            synonym,
            index,
            ..
        } => {
            let doc = read(tables::load(file, text))?;
            let (t, c) = uc_column(&doc, table, column, &object)?;
            let mut list = c.synonyms.clone();
            add_to_list(&object, &mut list, synonym, *index)?;
            let result = if list.last() == Some(synonym) {
                tables::add_synonym(text, &t.name, &c.name, synonym)
            } else {
                tables::set_synonyms(text, &t.name, &c.name, &list)
            };
            edited(&object, result)
        }
        Op::RemoveUcColumnSynonym {
            table,
            column,
            synonym,
            index,
            ..
        } => {
            let doc = read(tables::load(file, text))?;
            let (t, c) = uc_column(&doc, table, column, &object)?;
            remove_from_list(&object, &mut c.synonyms.clone(), synonym, *index)?;
            edited(
                &object,
                tables::remove_synonym(text, &t.name, &c.name, synonym),
            )
        }
        Op::SetUcTag {
            table,
            column,
            key,
            old,
            new,
            ..
        } => {
            let doc = read(tables::load(file, text))?;
            let t = uc_table(&doc, table)?;
            let (tags, column_name) = match column {
                Some(column) => {
                    let (_, c) = uc_column(&doc, table, column, &object)?;
                    (&c.tags, Some(c.name.as_str()))
                }
                None => (&t.tags, None),
            };
            guard(&object, old, &tags.get(key).cloned())?;
            let result = match new {
                Some(value) => tables::set_tag(text, &t.name, column_name, key, value),
                None => tables::unset_tag(text, &t.name, column_name, key),
            };
            edited(&object, result)
        }
        Op::SetUcPrimaryKey {
            table, old, new, ..
        } => {
            let doc = read(tables::load(file, text))?;
            let t = uc_table(&doc, table)?;
            if t.primary_key != *old {
                return Err(Problem::Guard {
                    object,
                    expected: describe_key(old),
                    found: describe_key(&t.primary_key),
                });
            }
            check_key_columns(&object, new)?;
            edited(&object, tables::set_primary_key(text, &t.name, new))
        }
        Op::AddUcForeignKey {
            table, foreign_key, ..
        } => {
            let doc = read(tables::load(file, text))?;
            let t = uc_table(&doc, table)?;
            if t.foreign_keys
                .iter()
                .any(|fk| fk.columns == foreign_key.columns)
            {
                return Err(Problem::Guard {
                    object,
                    expected: "no foreign key on these columns".to_owned(),
                    found: "one already present".to_owned(),
                });
            }
            let fk = to_model(foreign_key, &object)?;
            edited(&object, tables::add_foreign_key(text, &t.name, &fk))
        }
        Op::RemoveUcForeignKey {
            table, foreign_key, ..
        } => {
            let doc = read(tables::load(file, text))?;
            let t = uc_table(&doc, table)?;
            let found = t
                .foreign_keys
                .iter()
                .find(|fk| fk.columns == foreign_key.columns)
                .ok_or_else(|| not_found(&object))?;
            let expected = to_model(foreign_key, &object)?;
            if *found != expected {
                return Err(Problem::Guard {
                    object,
                    expected: describe_fk(&expected),
                    found: describe_fk(found),
                });
            }
            edited(
                &object,
                tables::remove_foreign_key(text, &t.name, &foreign_key.columns),
            )
        }
        Op::SetMvComment {
            kind,
            name,
            old,
            new,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let field = mv_field(&view, *kind, name, &object)?;
            guard(&object, old, &field.comment)?;
            edited(
                &object,
                metric_view::set_comment(text, kind.model(), name, new.as_deref()),
            )
        }
        Op::SetMvDisplayName {
            kind,
            name,
            old,
            new,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let field = mv_field(&view, *kind, name, &object)?;
            guard(&object, old, &field.display_name)?;
            edited(
                &object,
                metric_view::set_display_name(text, kind.model(), name, new.as_deref()),
            )
        }
        Op::AddMvSynonym {
            kind,
            name,
            synonym,
            index,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let field = mv_field(&view, *kind, name, &object)?;
            let mut list = field.synonyms.clone();
            add_to_list(&object, &mut list, synonym, *index)?;
            let result = if list.last() == Some(synonym) {
                metric_view::add_synonym(text, kind.model(), name, synonym)
            } else {
                metric_view::set_synonyms(text, kind.model(), name, &list)
            };
            edited(&object, result)
        }
        Op::RemoveMvSynonym {
            kind,
            name,
            synonym,
            index,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let field = mv_field(&view, *kind, name, &object)?;
            remove_from_list(&object, &mut field.synonyms.clone(), synonym, *index)?;
            edited(
                &object,
                metric_view::remove_synonym(text, kind.model(), name, synonym),
            )
        }
        Op::AddMvMeasure {
            name,
            expr,
            comment,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let exists = view
                .measures
                .iter()
                .chain(&view.dimensions)
                .any(|f| f.name == *name);
            if exists {
                return Err(Problem::Guard {
                    object,
                    expected: format!("no field called {name}"),
                    found: "one already present".to_owned(),
                });
            }
            edited(
                &object,
                metric_view::add_measure(text, name, expr, comment.as_deref()),
            )
        }
        Op::RemoveMvMeasure {
            name,
            expr,
            comment,
            ..
        } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            let found = mv_field(&view, super::op::FieldKind::Measure, name, &object)?;
            let expected = Field {
                name: name.clone(),
                expr: expr.clone(),
                comment: comment.clone(),
                ..Default::default()
            };
            if *found != expected {
                return Err(Problem::Guard {
                    object,
                    expected: format!(
                        "a measure with only expr {expr:?} and comment {}",
                        show(comment)
                    ),
                    found: format!(
                        "expr {:?}, comment {}, and {} more keys",
                        found.expr,
                        show(&found.comment),
                        extra_keys(found)
                    ),
                });
            }
            edited(&object, metric_view::remove_measure(text, name))
        }
        Op::SetMvFilter { old, new, .. } => {
            let view = read(metric_view::load(file, text, Some("")))?.view;
            guard(&object, old, &view.filter)?;
            edited(&object, metric_view::set_filter(text, new.as_deref()))
        }
        Op::SetFunctionComment { old, new, .. } => {
            let f = function::parse(file, text).map_err(|d| unreadable(&d))?;
            let found = f.comment.map(|c| c.value);
            guard(&object, old, &found)?;
            function::set_comment(text, new.as_deref()).map_err(|e| edit_refused(&object, e))
        }
        Op::SetFunctionParamComment {
            param, old, new, ..
        } => {
            let f = function::parse(file, text).map_err(|d| unreadable(&d))?;
            let p = f.param(param).ok_or_else(|| not_found(&object))?;
            let found = p.comment.as_ref().map(|c| c.value.clone());
            guard(&object, old, &found)?;
            function::set_param_comment(text, param, new.as_deref())
                .map_err(|e| edit_refused(&object, e))
        }
        Op::SetTableProperty {
            table,
            key,
            old,
            new,
            ..
        } => {
            let doc = read(properties::load(file, text))?;
            let t = doc.table(table).ok_or_else(|| Problem::NotFound {
                object: format!("table {table}"),
            })?;
            guard(&object, old, &t.properties.get(key).cloned())?;
            let result = match new {
                Some(value) => properties::set_property(text, &t.name, key, value),
                None => properties::unset_property(text, &t.name, key),
            };
            edited(&object, result)
        }
        _ => Err(Problem::Invalid {
            object,
            message: "not a durable-file patch".to_owned(),
        }),
    }
}

/// The loaded value, or the file's first error.
fn read<T>(loaded: Loaded<T>) -> Result<T, Problem> {
    match loaded.diagnostics.iter().find(|d| d.is_error()) {
        Some(d) => Err(unreadable(d)),
        None => Ok(loaded.value),
    }
}

fn unreadable(d: &Diagnostic) -> Problem {
    Problem::Unreadable(d.to_string())
}

fn not_found(object: &str) -> Problem {
    Problem::NotFound {
        object: object.to_owned(),
    }
}

fn guard(object: &str, expected: &Option<String>, found: &Option<String>) -> Result<(), Problem> {
    if expected == found {
        return Ok(());
    }
    let show = |v: &Option<String>| {
        v.as_ref()
            .map_or_else(|| "none".to_owned(), |s| format!("{s:?}"))
    };
    Err(Problem::Guard {
        object: object.to_owned(),
        expected: show(expected),
        found: show(found),
    })
}

/// An optional value for messages: `"text"` or `none`.
fn show(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or_else(|| "none".to_owned(), |s| format!("{s:?}"))
}

fn edited(object: &str, result: Result<String, EditError>) -> Result<String, Problem> {
    result.map_err(|e| edit_refused(object, e))
}

fn edit_refused(object: &str, error: impl std::fmt::Display) -> Problem {
    Problem::Edit {
        object: object.to_owned(),
        message: error.to_string(),
    }
}

fn uc_table<'d>(
    doc: &'d tables::TablesFile,
    table: &str,
) -> Result<&'d tables::TableMeta, Problem> {
    doc.table(table).ok_or_else(|| Problem::NotFound {
        object: format!("table {table}"),
    })
}

fn uc_column<'d>(
    doc: &'d tables::TablesFile,
    table: &str,
    column: &str,
    object: &str,
) -> Result<(&'d tables::TableMeta, &'d tables::ColumnMeta), Problem> {
    let t = uc_table(doc, table)?;
    let c = t.column(column).ok_or_else(|| not_found(object))?;
    Ok((t, c))
}

fn mv_field<'v>(
    view: &'v MetricView,
    kind: super::op::FieldKind,
    name: &str,
    object: &str,
) -> Result<&'v Field, Problem> {
    let list = match kind {
        super::op::FieldKind::Dimension => &view.dimensions,
        super::op::FieldKind::Measure => &view.measures,
    };
    list.iter()
        .find(|f| f.name == name)
        .ok_or_else(|| not_found(object))
}

/// How many keys beyond name, expr and comment a measure has.
fn extra_keys(field: &Field) -> usize {
    usize::from(field.display_name.is_some())
        + usize::from(!field.synonyms.is_empty())
        + usize::from(field.format_type.is_some())
        + usize::from(!field.window.is_empty())
}

/// The model's foreign key for a patch's `{columns, references, name}`.
fn to_model(spec: &ForeignKeySpec, object: &str) -> Result<tables::ForeignKey, Problem> {
    let invalid = || Problem::Invalid {
        object: object.to_owned(),
        message: format!(
            "`references` is not `catalog.schema.table(column, …)`: {:?}",
            spec.references
        ),
    };
    let text = spec.references.trim();
    let open = text.rfind('(').ok_or_else(invalid)?;
    let inner = text
        .get(open + 1..)
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(invalid)?;
    let table = text.get(..open).unwrap_or_default().trim();
    let ref_columns: Vec<String> = inner
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if table.is_empty() || ref_columns.is_empty() || spec.columns.is_empty() {
        return Err(invalid());
    }
    Ok(tables::ForeignKey {
        name: spec.name.clone(),
        columns: spec.columns.clone(),
        table: table.to_owned(),
        ref_columns,
    })
}

/// A primary key for messages: `(a, b)` or `no primary key`.
fn describe_key(columns: &[String]) -> String {
    if columns.is_empty() {
        "no primary key".to_owned()
    } else {
        format!("({})", columns.join(", "))
    }
}

/// A new primary key names each column once, and no column by an empty name.
fn check_key_columns(object: &str, columns: &[String]) -> Result<(), Problem> {
    let invalid = |message: String| Problem::Invalid {
        object: object.to_owned(),
        message,
    };
    if columns.iter().any(|c| c.trim().is_empty()) {
        return Err(invalid("a primary-key column has an empty name".to_owned()));
    }
    for (i, column) in columns.iter().enumerate() {
        if columns[..i].iter().any(|c| c.eq_ignore_ascii_case(column)) {
            return Err(invalid(format!(
                "the primary key names column `{column}` twice"
            )));
        }
    }
    Ok(())
}

fn describe_fk(fk: &tables::ForeignKey) -> String {
    let name = fk
        .name
        .as_ref()
        .map_or_else(String::new, |n| format!(" named {n}"));
    format!("({}) → {}{name}", fk.columns.join(", "), fk.references())
}
