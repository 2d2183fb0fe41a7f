//! The exact inverse of a patch: applying a patch and then its inverse restores the snapshot.
//!
//! Setters swap `old` and `new`; additions become removals of the same entry (with the id the
//! addition generated) and removals become additions. A synonym removal given its `index` comes
//! back at that index; without one it comes back at the end. The lever, risk and rationale are
//! kept, so an undo is reviewed like the change it undoes.

use super::op::Op;
use super::{Patch, resolve};

/// The patch that undoes `patch`.
pub fn inverse(patch: &Patch) -> Patch {
    Patch {
        op: invert(resolve(&patch.op)),
        ..patch.clone()
    }
}

fn invert(op: Op) -> Op {
    use Op::*;
    match op {
        SetColumnDescription { column, old, new } => SetColumnDescription {
            column,
            old: new,
            new: old,
        },
        AddColumnSynonym {
            column,
            synonym,
            index,
        } => RemoveColumnSynonym {
            column,
            synonym,
            index,
        },
        RemoveColumnSynonym {
            column,
            synonym,
            index,
        } => AddColumnSynonym {
            column,
            synonym,
            index,
        },
        SetColumnExclude { column, old, new } => SetColumnExclude {
            column,
            old: new,
            new: old,
        },
        SetColumnFormatAssistance { column, old, new } => SetColumnFormatAssistance {
            column,
            old: new,
            new: old,
        },
        SetColumnEntityMatching { column, old, new } => SetColumnEntityMatching {
            column,
            old: new,
            new: old,
        },
        SetTableDescription {
            file,
            table,
            old,
            new,
        } => SetTableDescription {
            file,
            table,
            old: new,
            new: old,
        },
        AddDataSource { file, kind, source } => RemoveDataSource { file, kind, source },
        RemoveDataSource { file, kind, source } => AddDataSource { file, kind, source },
        AddJoinSpec { file, join } => RemoveJoinSpec { file, join },
        RemoveJoinSpec { file, join } => AddJoinSpec { file, join },
        AddSqlSnippet {
            file,
            kind,
            snippet,
        } => RemoveSqlSnippet {
            file,
            kind,
            snippet,
        },
        RemoveSqlSnippet {
            file,
            kind,
            snippet,
        } => AddSqlSnippet {
            file,
            kind,
            snippet,
        },
        UpdateSqlSnippet {
            file,
            kind,
            old,
            new,
        } => UpdateSqlSnippet {
            file,
            kind,
            old: new,
            new: old,
        },
        AddExampleSql { file, example } => RemoveExampleSql { file, example },
        RemoveExampleSql { file, example } => AddExampleSql { file, example },
        SetTextInstruction { file, id, old, new } => SetTextInstruction {
            file,
            id,
            old: new,
            new: old,
        },
        AppendTextInstruction { file, lines } => TruncateTextInstruction { file, lines },
        TruncateTextInstruction { file, lines } => AppendTextInstruction { file, lines },
        ReplaceTextInstruction { file, old, new } => ReplaceTextInstruction {
            file,
            old: new,
            new: old,
        },
        AddSqlFunction { file, function } => RemoveSqlFunction { file, function },
        RemoveSqlFunction { file, function } => AddSqlFunction { file, function },
        SetUcTableComment {
            file,
            table,
            old,
            new,
        } => SetUcTableComment {
            file,
            table,
            old: new,
            new: old,
        },
        SetUcColumnComment {
            file,
            table,
            column,
            old,
            new,
        } => SetUcColumnComment {
            file,
            table,
            column,
            old: new,
            new: old,
        },
        AddUcColumnSynonym {
            file,
            table,
            column,
            synonym,
            index,
        } => RemoveUcColumnSynonym {
            file,
            table,
            column,
            synonym,
            index,
        },
        RemoveUcColumnSynonym {
            file,
            table,
            column,
            synonym,
            index,
        } => AddUcColumnSynonym {
            file,
            table,
            column,
            synonym,
            index,
        },
        SetUcTag {
            file,
            table,
            column,
            key,
            old,
            new,
        } => SetUcTag {
            file,
            table,
            column,
            key,
            old: new,
            new: old,
        },
        SetUcPrimaryKey {
            file,
            table,
            old,
            new,
        } => SetUcPrimaryKey {
            file,
            table,
            old: new,
            new: old,
        },
        AddUcForeignKey {
            file,
            table,
            foreign_key,
        } => RemoveUcForeignKey {
            file,
            table,
            foreign_key,
        },
        RemoveUcForeignKey {
            file,
            table,
            foreign_key,
        } => AddUcForeignKey {
            file,
            table,
            foreign_key,
        },
        SetMvComment {
            file,
            kind,
            name,
            old,
            new,
        } => SetMvComment {
            file,
            kind,
            name,
            old: new,
            new: old,
        },
        SetMvDisplayName {
            file,
            kind,
            name,
            old,
            new,
        } => SetMvDisplayName {
            file,
            kind,
            name,
            old: new,
            new: old,
        },
        AddMvSynonym {
            file,
            kind,
            name,
            synonym,
            index,
        } => RemoveMvSynonym {
            file,
            kind,
            name,
            synonym,
            index,
        },
        RemoveMvSynonym {
            file,
            kind,
            name,
            synonym,
            index,
        } => AddMvSynonym {
            file,
            kind,
            name,
            synonym,
            index,
        },
        AddMvMeasure {
            file,
            name,
            expr,
            comment,
        } => RemoveMvMeasure {
            file,
            name,
            expr,
            comment,
        },
        RemoveMvMeasure {
            file,
            name,
            expr,
            comment,
        } => AddMvMeasure {
            file,
            name,
            expr,
            comment,
        },
        SetMvFilter { file, old, new } => SetMvFilter {
            file,
            old: new,
            new: old,
        },
        SetFunctionComment { file, old, new } => SetFunctionComment {
            file,
            old: new,
            new: old,
        },
        SetFunctionParamComment {
            file,
            param,
            old,
            new,
        } => SetFunctionParamComment {
            file,
            param,
            old: new,
            new: old,
        },
        SetTableProperty {
            file,
            table,
            key,
            old,
            new,
        } => SetTableProperty {
            file,
            table,
            key,
            old: new,
            new: old,
        },
    }
}
