//! Unity Catalog levers (1–3) measured on the dev target: the DDL that makes the catalog match
//! one version of the repository's durable files, computed from the difference between two
//! snapshots. Applying `from → to` and later `to → from` is the exact rollback: the second
//! diff restores every comment, key and definition the first one changed. One thing the files
//! do not record is a column's nullability: a new primary key makes its columns `NOT NULL`
//! ([`key_columns`] lists them), and the runner restores the ones that were nullable.

use crate::databricks::sql::{SqlClient, StatementOptions};
use crate::model::metric_view;
use crate::model::settings::DurableFiles;
use crate::model::snapshot::RepoSnapshot;
use crate::model::tables::{self, Change, TableMeta, TablesFile};
use crate::model::{function, template};

/// The statements that turn the catalog described by `from` into the one described by `to`,
/// templates resolved with `vars`. Only lever 1–3 files are read; everything else is ignored.
pub fn ddl_between(
    from: &RepoSnapshot,
    to: &RepoSnapshot,
    files: &DurableFiles,
    vars: &template::Variables,
) -> anyhow::Result<Vec<String>> {
    let mut statements = Vec::new();
    for path in from.changed_paths(to) {
        let Some(text) = to.get(&path) else {
            continue; // a deleted durable file: the rules never delete, nothing to recreate
        };
        if path == files.tables {
            let before = from.get(&path).unwrap_or_default();
            statements.extend(tables_ddl(&path, before, text)?);
        } else if under(&path, &files.metric_views) {
            statements.push(metric_view_ddl(&path, text)?);
        } else if under(&path, &files.functions) {
            let parsed = function::parse(&path, text).map_err(|d| anyhow::anyhow!("{d}"))?;
            statements.push(parsed.ddl(text).to_string());
        }
    }
    statements
        .iter()
        .map(|s| {
            template::resolve(s, vars).map_err(|e| anyhow::anyhow!("resolving the DDL `{s}`: {e}"))
        })
        .collect()
}

/// A column of a primary key: `table` is the resolved three-part name as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyColumn {
    pub table: String,
    pub column: String,
}

impl KeyColumn {
    /// The unquoted `(catalog, schema, table)` of the column's table, when it has three parts.
    pub fn table_parts(&self) -> Option<[String; 3]> {
        let parts: Vec<String> = tables::split_name(&self.table)
            .into_iter()
            .map(|p| p.trim().trim_matches('`').replace("``", "`"))
            .collect();
        parts.try_into().ok()
    }

    /// The statement that makes the column nullable again.
    pub fn drop_not_null(&self) -> String {
        format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
            tables::quote_name(&self.table),
            tables::quote_ident(&self.column)
        )
    }
}

/// The columns of every primary key that differs between the two versions of the tables file:
/// the DDL `from → to` sets each of them `NOT NULL` before it adds the key.
pub fn key_columns(
    from: &RepoSnapshot,
    to: &RepoSnapshot,
    files: &DurableFiles,
    vars: &template::Variables,
) -> anyhow::Result<Vec<KeyColumn>> {
    let Some(text) = to.get(&files.tables) else {
        return Ok(Vec::new());
    };
    let before = from.get(&files.tables).unwrap_or_default();
    if before == text {
        return Ok(Vec::new());
    }
    let old = load_tables(&files.tables, before).unwrap_or_default();
    let new = load_tables(&files.tables, text)?;
    let mut columns = Vec::new();
    for table in &new.tables {
        let previous = old.table(&table.name).map(|t| t.primary_key.clone());
        if previous.as_ref() == Some(&table.primary_key) {
            continue;
        }
        let name = template::resolve(&table.name, vars)
            .map_err(|e| anyhow::anyhow!("resolving the table name `{}`: {e}", table.name))?;
        columns.extend(table.primary_key.iter().map(|column| KeyColumn {
            table: name.clone(),
            column: column.clone(),
        }));
    }
    Ok(columns)
}

/// `DROP NOT NULL` for each of `columns` that is nullable on the catalog `sql` reaches now
/// (`information_schema.columns`): ask before applying the DDL that sets them `NOT NULL`, and
/// run the statements after the rollback has dropped the keys.
pub async fn nullability_rollback(
    sql: &SqlClient,
    options: &StatementOptions,
    columns: &[KeyColumn],
) -> anyhow::Result<Vec<String>> {
    let mut restore = Vec::new();
    for column in columns {
        let Some([catalog, schema, table]) = column.table_parts() else {
            anyhow::bail!(
                "the table `{}` needs a three-part name (catalog.schema.table)",
                column.table
            );
        };
        let query = format!(
            "SELECT is_nullable FROM {}.information_schema.columns WHERE lower(table_schema) = {} AND lower(table_name) = {} AND lower(column_name) = {}",
            tables::quote_ident(&catalog),
            tables::sql_string(&schema.to_lowercase()),
            tables::sql_string(&table.to_lowercase()),
            tables::sql_string(&column.column.to_lowercase()),
        );
        let found = sql.execute(&query, options).await?;
        let nullable = found.rows.cell(0, 0).is_some_and(|v| v == "YES");
        if nullable {
            restore.push(column.drop_not_null());
        }
    }
    Ok(restore)
}

fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

fn load_tables(path: &str, text: &str) -> anyhow::Result<TablesFile> {
    let loaded = tables::load(path, text);
    if let Some(error) = loaded.diagnostics.iter().find(|d| d.is_error()) {
        anyhow::bail!("{error}");
    }
    Ok(loaded.value)
}

fn metric_view_ddl(path: &str, text: &str) -> anyhow::Result<String> {
    if !metric_view::is_sql_form(text) {
        anyhow::bail!(
            "{path}: only metric views in the SQL form (`CREATE OR REPLACE VIEW … WITH METRICS`) can be applied to the dev target"
        );
    }
    let loaded = metric_view::load(path, text, None);
    if let Some(error) = loaded.diagnostics.iter().find(|d| d.is_error()) {
        anyhow::bail!("{error}");
    }
    Ok(loaded.value.ddl())
}

/// Lever-1 statements: every table comment, column comment, tag set, primary key and foreign
/// key that differs between the two versions of the tables file, in an order Databricks
/// accepts (a parent's primary key before the foreign keys that reference it).
fn tables_ddl(path: &str, before: &str, after: &str) -> anyhow::Result<Vec<String>> {
    let old = load_tables(path, before).unwrap_or_default();
    let new = load_tables(path, after)?;
    let changes: Vec<Change> = new
        .tables
        .iter()
        .flat_map(|table| {
            let previous = old.table(&table.name).cloned().unwrap_or_default();
            table_changes(&previous, table)
        })
        .collect();
    Ok(new.ddl_for(&changes))
}

fn table_changes(old: &TableMeta, new: &TableMeta) -> Vec<Change> {
    let table = new.name.clone();
    let mut changes = Vec::new();
    if old.comment != new.comment {
        changes.push(Change::TableComment {
            table: table.clone(),
        });
    }
    if old.tags != new.tags {
        changes.push(Change::Tags {
            table: table.clone(),
            column: None,
            unset: removed_keys(&old.tags, &new.tags),
        });
    }
    if old.primary_key != new.primary_key {
        changes.push(Change::PrimaryKey {
            table: table.clone(),
        });
    }
    for fk in &old.foreign_keys {
        if !new.foreign_keys.contains(fk) {
            changes.push(Change::ForeignKeyRemoved {
                table: table.clone(),
                columns: fk.columns.clone(),
            });
        }
    }
    for fk in &new.foreign_keys {
        if !old.foreign_keys.contains(fk) {
            changes.push(Change::ForeignKeyAdded {
                table: table.clone(),
                columns: fk.columns.clone(),
            });
        }
    }
    for column in &new.columns {
        let previous = old.column(&column.name).cloned().unwrap_or_default();
        if previous.comment != column.comment {
            changes.push(Change::ColumnComment {
                table: table.clone(),
                column: column.name.clone(),
            });
        }
        if previous.tags != column.tags {
            changes.push(Change::Tags {
                table: table.clone(),
                column: Some(column.name.clone()),
                unset: removed_keys(&previous.tags, &column.tags),
            });
        }
    }
    changes
}

fn removed_keys(
    old: &std::collections::BTreeMap<String, String>,
    new: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    old.keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(tables: &str) -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        s.insert("genie/uc/tables.yml", tables);
        s
    }

    const BEFORE: &str = "tables:\n  - name: ${catalog}.s.bookings\n    columns:\n      - {name: status, comment: Status}\n";
    const AFTER: &str = "tables:\n  - name: ${catalog}.s.bookings\n    columns:\n      - {name: status, comment: Status of the booking}\n";

    fn vars() -> template::Variables {
        let mut vars = template::Variables::new();
        vars.set("catalog", "main");
        vars
    }

    #[test]
    fn a_changed_column_comment_becomes_one_comment_statement_and_its_rollback_restores_it() {
        let files = DurableFiles::default();
        let (from, to) = (snapshot(BEFORE), snapshot(AFTER));
        let apply = ddl_between(&from, &to, &files, &vars()).unwrap_or_default();
        let rollback = ddl_between(&to, &from, &files, &vars()).unwrap_or_default();
        assert_eq!(
            apply,
            vec!["COMMENT ON COLUMN main.s.bookings.status IS 'Status of the booking'"]
        );
        assert_eq!(
            rollback,
            vec!["COMMENT ON COLUMN main.s.bookings.status IS 'Status'"]
        );
    }

    #[test]
    fn a_new_primary_key_lists_its_columns_to_make_not_null_and_how_to_undo_it() {
        let files = DurableFiles::default();
        let keyed = BEFORE.replace("    columns:", "    primary_key: [status]\n    columns:");
        let (from, to) = (snapshot(BEFORE), snapshot(&keyed));
        let apply = ddl_between(&from, &to, &files, &vars()).unwrap_or_default();
        assert_eq!(
            apply,
            vec![
                "ALTER TABLE main.s.bookings DROP PRIMARY KEY IF EXISTS CASCADE",
                "ALTER TABLE main.s.bookings ALTER COLUMN status SET NOT NULL",
                "ALTER TABLE main.s.bookings ADD CONSTRAINT pk_bookings PRIMARY KEY (status)",
            ]
        );
        let columns = key_columns(&from, &to, &files, &vars()).unwrap_or_default();
        let column = KeyColumn {
            table: "main.s.bookings".into(),
            column: "status".into(),
        };
        assert_eq!(columns, vec![column.clone()]);
        assert_eq!(
            column.table_parts(),
            Some(["main".into(), "s".into(), "bookings".into()])
        );
        assert_eq!(
            column.drop_not_null(),
            "ALTER TABLE main.s.bookings ALTER COLUMN status DROP NOT NULL"
        );
        let unchanged = key_columns(&to, &to, &files, &vars()).unwrap_or_default();
        assert!(unchanged.is_empty());
    }

    #[test]
    fn files_outside_the_uc_levers_give_no_statement() {
        let mut from = snapshot(BEFORE);
        let mut to = from.clone();
        from.insert("genie/space.geniespace.json", "{}");
        to.insert("genie/space.geniespace.json", "{\"version\": 2}");
        let ddl = ddl_between(&from, &to, &DurableFiles::default(), &vars());
        assert!(ddl.is_ok_and(|d| d.is_empty()));
    }
}
