//! Applying space-file operations (lever 6 and the knowledge store): parse the file, check the
//! guard on the typed model, change it, and write it back canonically in its own form.
//!
//! A column config is created when a patch edits a column that has none, and dropped again when
//! a patch leaves it with nothing but its name; likewise `instructions`, `sql_snippets` and
//! `data_sources` are dropped when a removal leaves them empty. So an addition followed by its
//! inverse restores a canonical file byte for byte. A patch is also refused when the file it
//! produces has more validation errors than the file it started from.

use super::error::Problem;
use super::op::{ColumnRef, Op, SnippetKind, SourceKind};
use crate::model::space::{
    self, ColumnConfig, DataSource, Instructions, Positions, SerializedSpace, Snippet, SqlSnippets,
    TextInstruction, text, to_lines,
};

/// Applies `op` to the space file `text` (named `file`) and returns the new text.
pub(super) fn apply(file: &str, text: &str, op: &Op) -> Result<String, Problem> {
    let mut parsed = space::parse(file, text).map_err(|diags| {
        Problem::Unreadable(
            diags
                .first()
                .map_or_else(|| "it does not parse".to_owned(), ToString::to_string),
        )
    })?;
    let before = error_messages(file, &parsed.file.space);
    edit(&mut parsed.file.space, op)?;
    let after = error_messages(file, &parsed.file.space);
    if let Some(new) = after.iter().find(|m| !before.contains(m)) {
        return Err(Problem::Invalid {
            object: op.object().to_string(),
            message: format!("the result would not validate: {new}"),
        });
    }
    Ok(parsed.file.to_canonical_string())
}

fn error_messages(file: &str, space: &SerializedSpace) -> Vec<String> {
    space::validate_space(file, space, &Positions::none())
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.message)
        .collect()
}

fn edit(space: &mut SerializedSpace, op: &Op) -> Result<(), Problem> {
    let object = op.object().to_string();
    match op {
        Op::SetColumnDescription {
            column, old, new, ..
        } => edit_column(space, column, |c| {
            guard(&object, old, &c.description, |v| show_text(v))?;
            c.description = new.clone();
            Ok(())
        }),
        Op::AddColumnSynonym {
            column,
            synonym,
            index,
        } => edit_column(space, column, |c| {
            add_to_list(&object, &mut c.synonyms, synonym, *index)
        }),
        Op::RemoveColumnSynonym {
            column,
            synonym,
            index,
        } => edit_column(space, column, |c| {
            remove_from_list(&object, &mut c.synonyms, synonym, *index)
        }),
        Op::SetColumnExclude {
            column, old, new, ..
        } => edit_column(space, column, |c| {
            guard(&object, old, &c.exclude, show_flag)?;
            c.exclude = *new;
            Ok(())
        }),
        Op::SetColumnFormatAssistance {
            column, old, new, ..
        } => edit_column(space, column, |c| {
            guard(&object, old, &c.enable_format_assistance, show_flag)?;
            c.enable_format_assistance = *new;
            Ok(())
        }),
        Op::SetColumnEntityMatching {
            column, old, new, ..
        } => edit_column(space, column, |c| {
            guard(&object, old, &c.enable_entity_matching, show_flag)?;
            c.enable_entity_matching = *new;
            Ok(())
        }),
        Op::SetTableDescription {
            table, old, new, ..
        } => {
            let source = find_source(space, table).ok_or_else(|| not_found(&object))?;
            guard(&object, old, &source.description, |v| show_text(v))?;
            source.description = new.clone();
            Ok(())
        }
        Op::AddDataSource { kind, source, .. } => add_source(space, &object, *kind, source),
        Op::RemoveDataSource { kind, source, .. } => remove_source(space, &object, *kind, source),
        Op::AddJoinSpec { join, .. } => {
            if join.relationship().is_none() {
                return Err(invalid(
                    &object,
                    "the join's `sql` has no `--rt=FROM_RELATIONSHIP_TYPE_…--` marker; add one",
                ));
            }
            let list = &mut instructions(space).join_specs;
            absent(&object, list.iter().any(|j| j.id == join.id))?;
            list.push(join.clone());
            Ok(())
        }
        Op::RemoveJoinSpec { join, .. } => {
            let list = &mut instructions(space).join_specs;
            take_exact(&object, list, |j| j.id == join.id, join)?;
            prune_instructions(space);
            Ok(())
        }
        Op::AddSqlSnippet { kind, snippet, .. } => {
            let list = snippets(space, *kind);
            absent(&object, list.iter().any(|s| s.id == snippet.id))?;
            list.push(snippet.clone());
            Ok(())
        }
        Op::RemoveSqlSnippet { kind, snippet, .. } => {
            take_exact(
                &object,
                snippets(space, *kind),
                |s| s.id == snippet.id,
                snippet,
            )?;
            prune_instructions(space);
            Ok(())
        }
        Op::UpdateSqlSnippet { kind, old, new, .. } => {
            if new.id != old.id {
                return Err(invalid(
                    &object,
                    "an update keeps the snippet's id; remove it and add a new one instead",
                ));
            }
            let list = snippets(space, *kind);
            let entry = list
                .iter_mut()
                .find(|s| s.id == old.id)
                .ok_or_else(|| not_found(&object))?;
            guard(&object, old, entry, show_json)?;
            *entry = new.clone();
            Ok(())
        }
        Op::AddExampleSql { example, .. } => {
            let list = &mut instructions(space).example_question_sqls;
            absent(&object, list.iter().any(|e| e.id == example.id))?;
            list.push(example.clone());
            Ok(())
        }
        Op::RemoveExampleSql { example, .. } => {
            let list = &mut instructions(space).example_question_sqls;
            take_exact(&object, list, |e| e.id == example.id, example)?;
            prune_instructions(space);
            Ok(())
        }
        Op::SetTextInstruction { id, old, new, .. } => {
            set_text_instruction(space, &object, id.as_deref(), old, new)
        }
        Op::AppendTextInstruction { lines, .. } => {
            let list = &mut instructions(space).text_instructions;
            match list.first_mut() {
                Some(first) => first.content.extend(lines.iter().cloned()),
                None => list.push(TextInstruction {
                    id: super::derived_id(op),
                    content: lines.clone(),
                    ..Default::default()
                }),
            }
            Ok(())
        }
        Op::TruncateTextInstruction { lines, .. } => {
            let list = &mut instructions(space).text_instructions;
            let first = list.first_mut().ok_or_else(|| not_found(&object))?;
            if !first.content.ends_with(lines) {
                return Err(Problem::Guard {
                    object,
                    expected: format!("text ending with {}", show_text(lines)),
                    found: show_text(&first.content),
                });
            }
            first.content.truncate(first.content.len() - lines.len());
            if first.content.is_empty() {
                list.remove(0);
            }
            prune_instructions(space);
            Ok(())
        }
        Op::ReplaceTextInstruction { old, new, .. } => {
            let list = &mut instructions(space).text_instructions;
            let first = list.first_mut().ok_or_else(|| not_found(&object))?;
            replace_once(&object, &mut first.content, old, new)
        }
        Op::AddSqlFunction { function, .. } => {
            let list = &mut instructions(space).sql_functions;
            absent(
                &object,
                list.iter().any(|f| f.identifier == function.identifier),
            )?;
            list.push(function.clone());
            Ok(())
        }
        Op::RemoveSqlFunction { function, .. } => {
            let list = &mut instructions(space).sql_functions;
            take_exact(
                &object,
                list,
                |f| f.identifier == function.identifier,
                function,
            )?;
            prune_instructions(space);
            Ok(())
        }
        _ => Err(invalid(&object, "not a space-file patch")),
    }
}

// ----- guards and messages

fn guard<T: PartialEq>(
    object: &str,
    expected: &T,
    found: &T,
    show: impl Fn(&T) -> String,
) -> Result<(), Problem> {
    if expected == found {
        return Ok(());
    }
    Err(Problem::Guard {
        object: object.to_owned(),
        expected: show(expected),
        found: show(found),
    })
}

fn absent(object: &str, exists: bool) -> Result<(), Problem> {
    if exists {
        return Err(Problem::Guard {
            object: object.to_owned(),
            expected: "no such entry".to_owned(),
            found: "one already present".to_owned(),
        });
    }
    Ok(())
}

fn not_found(object: &str) -> Problem {
    Problem::NotFound {
        object: object.to_owned(),
    }
}

fn invalid(object: &str, message: &str) -> Problem {
    Problem::Invalid {
        object: object.to_owned(),
        message: message.to_owned(),
    }
}

fn show_text(parts: &[String]) -> String {
    if parts.is_empty() {
        "no text".to_owned()
    } else {
        format!("{:?}", text(parts))
    }
}

fn show_flag(flag: &Option<bool>) -> String {
    flag.map_or_else(|| "unset".to_owned(), |b| b.to_string())
}

fn show_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

// ----- lists of strings (synonyms)

/// Adds `item` at `index` (or at the end); refuses duplicates and out-of-range positions.
pub(super) fn add_to_list(
    object: &str,
    list: &mut Vec<String>,
    item: &str,
    index: Option<usize>,
) -> Result<(), Problem> {
    if list.iter().any(|s| s == item) {
        return Err(Problem::Guard {
            object: object.to_owned(),
            expected: format!("no synonym {item:?}"),
            found: "it is already there".to_owned(),
        });
    }
    let at = index.unwrap_or(list.len());
    if at > list.len() {
        return Err(Problem::Guard {
            object: object.to_owned(),
            expected: format!("at least {at} synonyms"),
            found: list.len().to_string(),
        });
    }
    list.insert(at, item.to_owned());
    Ok(())
}

/// Removes `item`, checking it sits at `index` when one is given.
pub(super) fn remove_from_list(
    object: &str,
    list: &mut Vec<String>,
    item: &str,
    index: Option<usize>,
) -> Result<(), Problem> {
    let found = list.iter().position(|s| s == item);
    match (found, index) {
        (Some(at), None) => {
            list.remove(at);
            Ok(())
        }
        (Some(at), Some(i)) if at == i => {
            list.remove(at);
            Ok(())
        }
        _ => Err(Problem::Guard {
            object: object.to_owned(),
            expected: match index {
                Some(i) => format!("synonym {item:?} at position {i}"),
                None => format!("synonym {item:?}"),
            },
            found: format!("{list:?}"),
        }),
    }
}

// ----- column configs and data sources

fn find_source<'s>(space: &'s mut SerializedSpace, table: &str) -> Option<&'s mut DataSource> {
    let sources = space.data_sources.as_mut()?;
    sources
        .tables
        .iter_mut()
        .chain(sources.metric_views.iter_mut())
        .find(|s| s.identifier == table)
}

fn is_bare(config: &ColumnConfig) -> bool {
    *config
        == ColumnConfig {
            column_name: config.column_name.clone(),
            ..Default::default()
        }
}

/// Runs `f` on the column's config, creating it when absent and dropping it when `f` leaves it
/// with nothing but its name.
fn edit_column(
    space: &mut SerializedSpace,
    column: &ColumnRef,
    f: impl FnOnce(&mut ColumnConfig) -> Result<(), Problem>,
) -> Result<(), Problem> {
    let source = find_source(space, &column.table).ok_or_else(|| Problem::NotFound {
        object: format!("data source {}", column.table),
    })?;
    let configs = &mut source.column_configs;
    let at = match configs.iter().position(|c| c.column_name == column.column) {
        Some(at) => at,
        None => {
            configs.push(ColumnConfig {
                column_name: column.column.clone(),
                ..Default::default()
            });
            configs.len() - 1
        }
    };
    f(&mut configs[at])?;
    if is_bare(&configs[at]) {
        configs.remove(at);
    }
    Ok(())
}

fn source_list(space: &mut SerializedSpace, kind: SourceKind) -> &mut Vec<DataSource> {
    let sources = space.data_sources.get_or_insert_with(Default::default);
    match kind {
        SourceKind::Table => &mut sources.tables,
        SourceKind::MetricView => &mut sources.metric_views,
    }
}

/// A data source with its column configs sorted, for comparisons that ignore their order.
fn sorted(source: &DataSource) -> DataSource {
    let mut copy = source.clone();
    copy.column_configs
        .sort_by(|a, b| a.column_name.cmp(&b.column_name));
    copy
}

fn add_source(
    space: &mut SerializedSpace,
    object: &str,
    kind: SourceKind,
    source: &DataSource,
) -> Result<(), Problem> {
    let exists = space
        .data_sources_iter()
        .any(|s| s.identifier == source.identifier);
    absent(object, exists)?;
    source_list(space, kind).push(source.clone());
    Ok(())
}

fn remove_source(
    space: &mut SerializedSpace,
    object: &str,
    kind: SourceKind,
    source: &DataSource,
) -> Result<(), Problem> {
    let list = source_list(space, kind);
    let at = list
        .iter()
        .position(|s| s.identifier == source.identifier)
        .ok_or_else(|| not_found(object))?;
    guard(object, &sorted(source), &sorted(&list[at]), show_json)?;
    list.remove(at);
    if let Some(sources) = &space.data_sources
        && sources.tables.is_empty()
        && sources.metric_views.is_empty()
        && sources.extra.is_empty()
    {
        space.data_sources = None;
    }
    Ok(())
}

// ----- instructions

fn instructions(space: &mut SerializedSpace) -> &mut Instructions {
    space.instructions.get_or_insert_with(Default::default)
}

fn snippets(space: &mut SerializedSpace, kind: SnippetKind) -> &mut Vec<Snippet> {
    let all = instructions(space)
        .sql_snippets
        .get_or_insert_with(Default::default);
    match kind {
        SnippetKind::Filter => &mut all.filters,
        SnippetKind::Expression => &mut all.expressions,
        SnippetKind::Measure => &mut all.measures,
    }
}

/// Drops `sql_snippets` and `instructions` when a removal left them empty.
fn prune_instructions(space: &mut SerializedSpace) {
    let Some(ins) = &mut space.instructions else {
        return;
    };
    if ins
        .sql_snippets
        .as_ref()
        .is_some_and(|s| *s == SqlSnippets::default())
    {
        ins.sql_snippets = None;
    }
    if *ins == Instructions::default() {
        space.instructions = None;
    }
}

/// Removes the entry `matches` finds, after checking it equals `expected` exactly.
fn take_exact<T: PartialEq + serde::Serialize>(
    object: &str,
    list: &mut Vec<T>,
    matches: impl Fn(&T) -> bool,
    expected: &T,
) -> Result<(), Problem> {
    let at = list
        .iter()
        .position(matches)
        .ok_or_else(|| not_found(object))?;
    guard(object, expected, &list[at], show_json)?;
    list.remove(at);
    Ok(())
}

fn set_text_instruction(
    space: &mut SerializedSpace,
    object: &str,
    id: Option<&str>,
    old: &Vec<String>,
    new: &[String],
) -> Result<(), Problem> {
    let list = &mut instructions(space).text_instructions;
    match list.first_mut() {
        None => {
            guard(object, old, &Vec::new(), |v| show_text(v))?;
            let Some(id) = id else {
                return Err(invalid(object, "a new text instruction needs an id"));
            };
            if !new.is_empty() {
                list.push(TextInstruction {
                    id: id.to_owned(),
                    content: new.to_vec(),
                    ..Default::default()
                });
            }
        }
        Some(first) => {
            if let Some(id) = id {
                guard(object, &id.to_owned(), &first.id, |s: &String| {
                    format!("id {s}")
                })?;
            }
            guard(object, old, &first.content, |v| show_text(v))?;
            if new.is_empty() {
                if id.is_none() {
                    return Err(invalid(
                        object,
                        "give the id of the text instruction to remove, so the removal can be undone",
                    ));
                }
                list.remove(0);
            } else {
                first.content = new.to_vec();
            }
        }
    }
    prune_instructions(space);
    Ok(())
}

/// Replaces the single occurrence of `old` in `content` with `new`: inside its string element
/// when it lies within one (so element boundaries stay), else across the joined text.
fn replace_once(
    object: &str,
    content: &mut Vec<String>,
    old: &str,
    new: &str,
) -> Result<(), Problem> {
    if old.is_empty() {
        return Err(invalid(object, "`old` is empty: say which text to replace"));
    }
    let joined = text(content);
    let count = joined.matches(old).count();
    if count != 1 {
        return Err(Problem::Guard {
            object: object.to_owned(),
            expected: format!("exactly one occurrence of {old:?}"),
            found: count.to_string(),
        });
    }
    match content.iter_mut().find(|part| part.contains(old)) {
        Some(part) => *part = part.replacen(old, new, 1),
        None => *content = to_lines(&joined.replacen(old, new, 1)),
    }
    Ok(())
}
