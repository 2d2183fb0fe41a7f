//! The space-level overlay: how a Unity Catalog lever (1–3) is measured when no dev target
//! exists. Each durable patch is translated into the space-file edit Genie reads the same way
//! (genie-behavior §1: space descriptions override UC comments, join specs stand in for
//! foreign keys, a metric view's column configs add synonyms to its fields), so the candidate's
//! temporary space shows Genie what the durable change would show it. Only the measurement
//! uses the overlay; the commit still edits the durable file.
//!
//! | Durable patch | Space-level equivalent |
//! |---|---|
//! | UC column / table comment | the column's / table's space description (none when the space already describes it: its own description hides the UC comment from Genie too) |
//! | UC column synonym | the column config's synonym |
//! | UC foreign key (one column) | a `MANY_TO_ONE` join spec between the two data sources |
//! | UC primary key declared for a foreign key of the same set | nothing of its own: it rides along with that key's join spec |
//! | metric-view field synonym / comment | the view's column config synonym / description |
//! | function `COMMENT` extended with `BEST FOR: words` | `For <words> questions use <function>` instruction |
//!
//! An object the space does not register gets no overlay: Genie does not see it either. Any
//! other lever 1–3 patch (tags, measures, filters, rewritten comments) has no equivalent, and
//! its proposal cannot be measured without a dev target.

use crate::model::settings::DurableFiles;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::{self, DataSource, JoinSide, JoinSpec, Relationship, SerializedSpace};
use crate::model::{function, metric_view};
use crate::patch::{ColumnRef, ForeignKeySpec, Op, Patch};

use super::context::short;

/// The lever-1 to lever-3 patches the overlay translates (everything else stays as it is).
pub fn is_durable(patch: &Patch) -> bool {
    matches!(
        patch.op,
        Op::SetUcTableComment { .. }
            | Op::SetUcColumnComment { .. }
            | Op::AddUcColumnSynonym { .. }
            | Op::RemoveUcColumnSynonym { .. }
            | Op::SetUcTag { .. }
            | Op::SetUcPrimaryKey { .. }
            | Op::AddUcForeignKey { .. }
            | Op::RemoveUcForeignKey { .. }
            | Op::SetMvComment { .. }
            | Op::SetMvDisplayName { .. }
            | Op::AddMvSynonym { .. }
            | Op::RemoveMvSynonym { .. }
            | Op::AddMvMeasure { .. }
            | Op::RemoveMvMeasure { .. }
            | Op::SetMvFilter { .. }
            | Op::SetFunctionComment { .. }
            | Op::SetFunctionParamComment { .. }
    )
}

/// The space-level edits equivalent to `patches` on `snapshot` (whose space file is
/// `space_path`); patches that are not lever 1–3 pass through unchanged. `Err` names the first
/// patch with no space-level equivalent.
pub fn space_equivalent(
    snapshot: &RepoSnapshot,
    space_path: &str,
    files: &DurableFiles,
    patches: &[Patch],
) -> Result<Vec<Patch>, String> {
    let text = snapshot
        .get(space_path)
        .ok_or_else(|| format!("{space_path}: the space file is not in the repository"))?;
    let space = space::file::parse(space_path, text)
        .map_err(|d| {
            let first = d.first().map(ToString::to_string).unwrap_or_default();
            format!("{space_path}: the space file does not parse: {first}")
        })?
        .file
        .space;
    let overlay = Overlay {
        snapshot,
        space_path,
        files,
        space,
        key_parents: key_parents(patches),
    };
    let mut out = Vec::new();
    for patch in patches {
        if !is_durable(patch) {
            out.push(patch.clone());
            continue;
        }
        let equivalent = overlay.translate(patch).ok_or_else(|| {
            format!(
                "`{}` has no space-level equivalent; it can only be measured on a dev target",
                patch.summary()
            )
        })?;
        out.extend(equivalent);
    }
    Ok(out)
}

struct Overlay<'a> {
    snapshot: &'a RepoSnapshot,
    space_path: &'a str,
    files: &'a DurableFiles,
    space: SerializedSpace,
    /// The tables (short names) the set's added foreign keys reference.
    key_parents: Vec<String>,
}

/// The short names of the tables the added foreign keys of `patches` reference.
fn key_parents(patches: &[Patch]) -> Vec<String> {
    patches
        .iter()
        .filter_map(|p| match &p.op {
            Op::AddUcForeignKey { foreign_key, .. } => {
                let (parent, _) = foreign_key.references.split_once('(')?;
                Some(short(parent.trim()))
            }
            _ => None,
        })
        .collect()
}

impl Overlay<'_> {
    /// The equivalent edits (possibly none), or `None` when there is no equivalent.
    fn translate(&self, patch: &Patch) -> Option<Vec<Patch>> {
        let edits = match &patch.op {
            Op::SetUcColumnComment {
                table, column, new, ..
            } => self.column_description(table, column, new.as_deref()),
            Op::SetUcTableComment { table, new, .. } => {
                self.table_description(table, new.as_deref())
            }
            Op::AddUcColumnSynonym {
                table,
                column,
                synonym,
                ..
            } => self.synonym(table, column, synonym),
            Op::AddUcForeignKey {
                table, foreign_key, ..
            } => self.join(table, foreign_key)?,
            Op::SetUcPrimaryKey { table, .. } if self.key_parents.contains(&short(table)) => {
                Vec::new()
            }
            Op::AddMvSynonym {
                file,
                name,
                synonym,
                ..
            } => self.synonym(&self.view_of(file)?, name, synonym),
            Op::SetMvComment {
                file, name, new, ..
            } => self.column_description(&self.view_of(file)?, name, new.as_deref()),
            Op::SetFunctionComment { file, old, new } => {
                self.routing(file, old.as_deref(), new.as_deref())?
            }
            _ => return None,
        };
        Some(edits.into_iter().map(Patch::new).collect())
    }

    fn source(&self, table: &str) -> Option<&DataSource> {
        let table = short(table);
        self.space
            .data_sources_iter()
            .find(|d| short(&d.identifier) == table)
    }

    fn column_ref(&self, source: &DataSource, column: &str) -> ColumnRef {
        ColumnRef {
            file: self.space_path.to_owned(),
            table: source.identifier.clone(),
            column: column.to_owned(),
        }
    }

    /// The column's space description, unless the space describes it already (then Genie
    /// never reads the UC comment, so the change is invisible) or the comment is removed.
    fn column_description(&self, table: &str, column: &str, new: Option<&str>) -> Vec<Op> {
        let (Some(source), Some(new)) = (self.source(table), new) else {
            return Vec::new();
        };
        let config = source
            .column_configs
            .iter()
            .find(|c| c.column_name.eq_ignore_ascii_case(column));
        if config.is_some_and(|c| !c.description.is_empty()) {
            return Vec::new();
        }
        vec![Op::SetColumnDescription {
            column: self.column_ref(source, column),
            old: Vec::new(),
            new: vec![new.to_owned()],
        }]
    }

    fn table_description(&self, table: &str, new: Option<&str>) -> Vec<Op> {
        match (self.source(table), new) {
            (Some(source), Some(new)) if source.description.is_empty() => {
                vec![Op::SetTableDescription {
                    file: self.space_path.to_owned(),
                    table: source.identifier.clone(),
                    old: Vec::new(),
                    new: vec![new.to_owned()],
                }]
            }
            _ => Vec::new(),
        }
    }

    fn synonym(&self, table: &str, column: &str, synonym: &str) -> Vec<Op> {
        let Some(source) = self.source(table) else {
            return Vec::new();
        };
        let known = source
            .column_configs
            .iter()
            .filter(|c| c.column_name.eq_ignore_ascii_case(column))
            .flat_map(|c| &c.synonyms)
            .any(|s| s.eq_ignore_ascii_case(synonym));
        if known {
            return Vec::new();
        }
        vec![Op::AddColumnSynonym {
            column: self.column_ref(source, column),
            synonym: synonym.to_owned(),
            index: None,
        }]
    }

    /// A one-column foreign key as a `MANY_TO_ONE` join spec; `None` for a composite key.
    fn join(&self, table: &str, key: &ForeignKeySpec) -> Option<Vec<Op>> {
        let (parent, rest) = key.references.split_once('(')?;
        let parent_columns: Vec<&str> = rest.trim_end_matches(')').split(',').collect();
        let ([column], [parent_column]) = (key.columns.as_slice(), parent_columns.as_slice())
        else {
            return None;
        };
        let (Some(many), Some(one)) = (self.source(table), self.source(parent)) else {
            return Some(Vec::new());
        };
        let (many_alias, one_alias) = (short(&many.identifier), short(&one.identifier));
        let side = |source: &DataSource, alias: &str| JoinSide {
            identifier: source.identifier.clone(),
            alias: Some(alias.to_owned()),
            ..JoinSide::default()
        };
        Some(vec![Op::AddJoinSpec {
            file: self.space_path.to_owned(),
            join: JoinSpec {
                left: side(many, &many_alias),
                right: side(one, &one_alias),
                sql: vec![
                    format!(
                        "`{many_alias}`.`{column}` = `{one_alias}`.`{}`",
                        parent_column.trim()
                    ),
                    Relationship::ManyToOne.marker(),
                ],
                ..JoinSpec::default()
            },
        }])
    }

    /// The view a metric-view file defines (its last name part).
    fn view_of(&self, file: &str) -> Option<String> {
        let text = self.snapshot.get(file)?;
        let stem = file.rsplit('/').next()?.split('.').next()?;
        let loaded = metric_view::load(file, text, Some(stem));
        (!loaded.has_errors()).then(|| short(&loaded.value.identifier))
    }

    /// A COMMENT extended with `BEST FOR: words.` as the routing instruction with the same
    /// words; `None` when the comment was rewritten rather than extended.
    fn routing(&self, file: &str, old: Option<&str>, new: Option<&str>) -> Option<Vec<Op>> {
        let name = short(
            &function::parse(file, self.snapshot.get(file)?)
                .ok()?
                .identifier,
        );
        let new = new?.trim();
        let added = new.strip_prefix(old.unwrap_or_default().trim())?.trim();
        let words = added
            .strip_prefix("BEST FOR:")?
            .trim()
            .trim_end_matches('.');
        let registered = self
            .space
            .sql_functions()
            .iter()
            .any(|f| short(&f.identifier) == name);
        if !registered || words.is_empty() || !self.under_functions(file) {
            return Some(Vec::new());
        }
        Some(vec![Op::AppendTextInstruction {
            file: self.space_path.to_owned(),
            lines: vec![format!("- For {words} questions use {name}\n")],
        }])
    }

    fn under_functions(&self, file: &str) -> bool {
        let dir = self.files.functions.trim_end_matches('/');
        file.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::rules::tests::{SPACE, SPACE_TEXT};

    fn snapshot() -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        s.insert(SPACE, SPACE_TEXT);
        s
    }

    fn translate(patch: Op) -> Result<Vec<Op>, String> {
        space_equivalent(
            &snapshot(),
            SPACE,
            &DurableFiles::default(),
            &[Patch::new(patch)],
        )
        .map(|patches| patches.into_iter().map(|p| p.op).collect())
    }

    #[test]
    fn a_uc_column_comment_becomes_the_columns_space_description() {
        let ops = translate(Op::SetUcColumnComment {
            file: "genie/uc/tables.yml".into(),
            table: "main.shop.orders".into(),
            column: "created_at".into(),
            old: Some("Created".into()),
            new: Some("Created (also called: placed)".into()),
        });
        let Ok([Op::SetColumnDescription { column, new, .. }]) = ops.as_deref() else {
            panic!("{ops:?}");
        };
        assert_eq!(
            (column.table.as_str(), column.column.as_str()),
            ("main.shop.orders", "created_at")
        );
        assert_eq!(new, &vec!["Created (also called: placed)".to_owned()]);
    }

    #[test]
    fn a_foreign_key_becomes_a_many_to_one_join_spec() {
        let ops = translate(Op::AddUcForeignKey {
            file: "genie/uc/tables.yml".into(),
            table: "main.shop.orders".into(),
            foreign_key: ForeignKeySpec {
                columns: vec!["customer_id".into()],
                references: "main.shop.customers(id)".into(),
                name: None,
            },
        });
        let Ok([Op::AddJoinSpec { join, .. }]) = ops.as_deref() else {
            panic!("{ops:?}");
        };
        assert_eq!(
            join.sql,
            vec![
                "`orders`.`customer_id` = `customers`.`id`".to_owned(),
                Relationship::ManyToOne.marker()
            ]
        );
    }

    #[test]
    fn a_primary_key_rides_along_with_its_foreign_key_and_alone_has_no_equivalent() {
        let key = Patch::new(Op::SetUcPrimaryKey {
            file: "genie/uc/tables.yml".into(),
            table: "main.shop.customers".into(),
            old: Vec::new(),
            new: vec!["id".into()],
        });
        let foreign_key = Patch::new(Op::AddUcForeignKey {
            file: "genie/uc/tables.yml".into(),
            table: "main.shop.orders".into(),
            foreign_key: ForeignKeySpec {
                columns: vec!["customer_id".into()],
                references: "main.shop.customers(id)".into(),
                name: None,
            },
        });
        let files = DurableFiles::default();
        let both = space_equivalent(&snapshot(), SPACE, &files, &[key.clone(), foreign_key]);
        let types: Vec<String> = both
            .unwrap_or_default()
            .iter()
            .map(|p| p.op.type_name())
            .collect();
        assert_eq!(types, ["add_join_spec"]);
        let alone = space_equivalent(&snapshot(), SPACE, &files, &[key]);
        assert!(alone.is_err_and(|e| e.contains("only be measured on a dev target")));
    }

    #[test]
    fn an_object_the_space_does_not_register_gets_no_overlay() {
        let ops = translate(Op::SetUcColumnComment {
            file: "genie/uc/tables.yml".into(),
            table: "main.shop.returns".into(),
            column: "reason".into(),
            old: None,
            new: Some("Why it came back".into()),
        });
        assert_eq!(ops, Ok(Vec::new()));
    }

    #[test]
    fn a_patch_without_a_space_equivalent_cannot_be_measured_by_overlay() {
        let error = translate(Op::SetMvFilter {
            file: "genie/uc/metric_views/m.yml".into(),
            old: None,
            new: Some("status = 'confirmed'".into()),
        })
        .err()
        .unwrap_or_default();
        assert!(
            error.contains("only be measured on a dev target"),
            "{error}"
        );
    }
}
