//! Lever 1: Unity Catalog table metadata kept as YAML — comments, synonyms, tags and keys.
//!
//! The file format (one file may hold many tables; names are three-part and may use template
//! variables, which are kept verbatim):
//!
//! ```yaml
//! tables:
//!   - name: ${catalog}.${gold_schema}.bookings      # catalog.schema.table
//!     comment: One row per booking.                 # COMMENT ON TABLE
//!     tags: {domain: travel}                        # ALTER TABLE … SET TAGS
//!     primary_key: [booking_id]                     # informational PRIMARY KEY
//!     foreign_keys:                                 # informational FOREIGN KEYs (join hints)
//!       - columns: [property_id]
//!         references: ${catalog}.${gold_schema}.properties(property_id)
//!         name: fk_bookings_property                # optional constraint name
//!     columns:
//!       - name: status
//!         type: STRING                              # optional, documentation only
//!         comment: Booking status.                  # COMMENT ON COLUMN
//!         synonyms: [state, booking state]          # words users say for this column
//!         tags: {pii: none}                         # ALTER TABLE … ALTER COLUMN … SET TAGS
//! ```
//!
//! A foreign key must reference exactly its parent's `primary_key` when the parent is in the
//! file (Databricks refuses any other); [`load`] reports one that does not.
//!
//! [`load`] reads and validates a file; the edit functions change one thing and return the new
//! text (built on [`crate::model::yaml_edit`], so nothing else in the file moves);
//! [`TablesFile::ddl`] renders the Databricks SQL that applies a [`Change`] to the live table
//! ([`TablesFile::ddl_for`] many changes, in an order Databricks accepts).
//! Synonyms have no Unity Catalog DDL: Genie reads them from the space's column configs.

use std::collections::BTreeMap;

use crate::model::yaml_edit::{self, EditError, Loaded, Node, Reader, Value, YamlPath};

/// A lever-1 file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TablesFile {
    pub tables: Vec<TableMeta>,
}

/// One table's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableMeta {
    /// `catalog.schema.table`, possibly with template variables.
    pub name: String,
    pub comment: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub columns: Vec<ColumnMeta>,
}

/// An informational foreign key: `columns` reference `table(ref_columns)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignKey {
    /// Constraint name; [`ForeignKey::constraint_name`] derives one when absent.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub table: String,
    pub ref_columns: Vec<String>,
}

impl ForeignKey {
    /// The `references:` text: `table(col, …)`.
    pub fn references(&self) -> String {
        format!("{}({})", self.table, self.ref_columns.join(", "))
    }

    /// The given name, or `fk_<table>_<columns>` from the owning table's last name part.
    pub fn constraint_name(&self, owner: &str) -> String {
        self.name.clone().unwrap_or_else(|| {
            let table = split_name(owner).last().cloned().unwrap_or_default();
            let raw = format!("fk_{table}_{}", self.columns.join("_"));
            raw.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        })
    }

    /// The YAML mapping this key is written as.
    fn to_value(&self) -> Value {
        let mut entries = vec![
            ("columns", Value::strs(&self.columns)),
            ("references", Value::str(self.references())),
        ];
        if let Some(name) = &self.name {
            entries.push(("name", Value::str(name)));
        }
        Value::map(entries)
    }
}

/// One column's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMeta {
    pub name: String,
    /// The SQL type as written (documentation only; never changed by DDL here).
    pub data_type: Option<String>,
    pub comment: Option<String>,
    pub synonyms: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl TablesFile {
    /// The table called `name` (exact text, templates included; case-insensitive).
    pub fn table(&self, name: &str) -> Option<&TableMeta> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The Databricks statements that make the live table match this file for `change`.
    ///
    /// Reads the new value from `self` (load the edited text first). Returns no statement when
    /// the table or column is not in the file, and for [`Change::Synonyms`].
    pub fn ddl(&self, change: &Change) -> Vec<String> {
        let Some(table) = self.table(change.table()) else {
            return Vec::new();
        };
        let name = quote_name(&table.name);
        match change {
            Change::TableComment { .. } => {
                vec![format!(
                    "COMMENT ON TABLE {name} IS {}",
                    sql_opt_string(table.comment.as_deref())
                )]
            }
            Change::ColumnComment { column, .. } => table
                .column(column)
                .map(|c| {
                    let comment = sql_opt_string(c.comment.as_deref());
                    vec![format!(
                        "COMMENT ON COLUMN {name}.{} IS {comment}",
                        quote_ident(&c.name)
                    )]
                })
                .unwrap_or_default(),
            Change::Tags { column, unset, .. } => tag_ddl(&name, table, column.as_deref(), unset),
            Change::PrimaryKey { .. } => self.primary_key_ddl(table),
            Change::ForeignKeyAdded { columns, .. } => table
                .foreign_keys
                .iter()
                .find(|fk| &fk.columns == columns)
                .map(|fk| vec![foreign_key_ddl(table, fk)])
                .unwrap_or_default(),
            Change::ForeignKeyRemoved { columns, .. } => {
                vec![format!(
                    "ALTER TABLE {name} DROP FOREIGN KEY IF EXISTS ({})",
                    quote_list(columns)
                )]
            }
            Change::Synonyms { .. } => Vec::new(),
        }
    }

    /// The statements for many changes of this file, in an order Databricks accepts: removed
    /// foreign keys first, then primary-key changes (each re-adding the keys that reference the
    /// table), then added foreign keys that no primary-key change re-added already, then every
    /// other change in the order given. Use it rather than [`TablesFile::ddl`] per change when
    /// one edit may declare a parent's primary key and a foreign key to it together.
    pub fn ddl_for(&self, changes: &[Change]) -> Vec<String> {
        let stage = |change: &Change| match change {
            Change::ForeignKeyRemoved { .. } => 0,
            Change::PrimaryKey { .. } => 1,
            Change::ForeignKeyAdded { .. } => 2,
            _ => 3,
        };
        let mut ordered: Vec<&Change> = changes.iter().collect();
        ordered.sort_by_key(|c| stage(c));
        let rekeyed: Vec<&TableMeta> = ordered
            .iter()
            .filter_map(|c| match c {
                Change::PrimaryKey { table } => self.table(table),
                _ => None,
            })
            .collect();
        let readded = |change: &Change| match change {
            Change::ForeignKeyAdded { table, columns } => self.table(table).is_some_and(|t| {
                t.foreign_keys.iter().any(|fk| {
                    &fk.columns == columns && rekeyed.iter().any(|p| same_table(&p.name, &fk.table))
                })
            }),
            _ => false,
        };
        ordered
            .into_iter()
            .filter(|c| !readded(c))
            .flat_map(|c| self.ddl(c))
            .collect()
    }

    /// A primary-key change: drop the old key with `CASCADE` (Databricks refuses to drop a key a
    /// foreign key references), make the key's columns `NOT NULL` (Databricks refuses a key
    /// over a nullable column; a no-op for a column that already is), add the new key, then
    /// re-add every foreign key of the file that references this table, in file order. A
    /// removed key re-adds nothing: a foreign key to a table without a primary key does not
    /// validate ([`load`] reports it).
    fn primary_key_ddl(&self, table: &TableMeta) -> Vec<String> {
        let name = quote_name(&table.name);
        let mut out = vec![format!(
            "ALTER TABLE {name} DROP PRIMARY KEY IF EXISTS CASCADE"
        )];
        if table.primary_key.is_empty() {
            return out;
        }
        for column in &table.primary_key {
            out.push(format!(
                "ALTER TABLE {name} ALTER COLUMN {} SET NOT NULL",
                quote_ident(column)
            ));
        }
        let last = split_name(&table.name).last().cloned().unwrap_or_default();
        out.push(format!(
            "ALTER TABLE {name} ADD CONSTRAINT {} PRIMARY KEY ({})",
            quote_ident(&format!("pk_{last}")),
            quote_list(&table.primary_key)
        ));
        for child in &self.tables {
            for fk in child
                .foreign_keys
                .iter()
                .filter(|fk| same_table(&fk.table, &table.name))
            {
                out.push(foreign_key_ddl(child, fk));
            }
        }
        out
    }
}

/// `ALTER TABLE owner ADD CONSTRAINT … FOREIGN KEY (…) REFERENCES parent (…)`.
fn foreign_key_ddl(owner: &TableMeta, fk: &ForeignKey) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        quote_name(&owner.name),
        quote_ident(&fk.constraint_name(&owner.name)),
        quote_list(&fk.columns),
        quote_name(&fk.table),
        quote_list(&fk.ref_columns)
    )
}

/// Whether two table names (as written in the file) name the same table.
fn same_table(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether two column lists are the same columns in the same order (names case-insensitive).
fn same_columns(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn tag_ddl(name: &str, table: &TableMeta, column: Option<&str>, unset: &[String]) -> Vec<String> {
    let (target, tags) = match column {
        None => (format!("ALTER TABLE {name}"), &table.tags),
        Some(c) => match table.column(c) {
            Some(col) => (
                format!("ALTER TABLE {name} ALTER COLUMN {}", quote_ident(&col.name)),
                &col.tags,
            ),
            None => return Vec::new(),
        },
    };
    let mut out = Vec::new();
    let removed: Vec<String> = unset
        .iter()
        .filter(|k| !tags.contains_key(*k))
        .map(|k| sql_string(k))
        .collect();
    if !removed.is_empty() {
        out.push(format!("{target} UNSET TAGS ({})", removed.join(", ")));
    }
    if !tags.is_empty() {
        let pairs: Vec<String> = tags
            .iter()
            .map(|(k, v)| format!("{} = {}", sql_string(k), sql_string(v)))
            .collect();
        out.push(format!("{target} SET TAGS ({})", pairs.join(", ")));
    }
    out
}

impl TableMeta {
    /// The column called `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&ColumnMeta> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// What changed in a lever-1 file, for [`TablesFile::ddl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    TableComment {
        table: String,
    },
    ColumnComment {
        table: String,
        column: String,
    },
    /// Tags of the table (or of `column`); `unset` lists keys that were removed.
    Tags {
        table: String,
        column: Option<String>,
        unset: Vec<String>,
    },
    Synonyms {
        table: String,
        column: String,
    },
    PrimaryKey {
        table: String,
    },
    ForeignKeyAdded {
        table: String,
        columns: Vec<String>,
    },
    ForeignKeyRemoved {
        table: String,
        columns: Vec<String>,
    },
}

impl Change {
    /// The table the change is about.
    pub fn table(&self) -> &str {
        match self {
            Change::TableComment { table }
            | Change::ColumnComment { table, .. }
            | Change::Tags { table, .. }
            | Change::Synonyms { table, .. }
            | Change::PrimaryKey { table }
            | Change::ForeignKeyAdded { table, .. }
            | Change::ForeignKeyRemoved { table, .. } => table,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading and validation

const FILE_KEYS: &[&str] = &["tables"];
const TABLE_KEYS: &[&str] = &[
    "name",
    "comment",
    "tags",
    "primary_key",
    "foreign_keys",
    "columns",
];
const COLUMN_KEYS: &[&str] = &["name", "type", "comment", "synonyms", "tags"];
const FK_KEYS: &[&str] = &["columns", "references", "name"];

/// Reads and validates a lever-1 file.
pub fn load(file: &str, text: &str) -> Loaded<TablesFile> {
    let mut r = Reader::new(file, text);
    let mut out = TablesFile::default();
    let Some(root) = r.parse(text) else {
        return r.finish(out);
    };
    if root.is_null() {
        return r.finish(out);
    }
    if !r.mapping(&root, "the tables file", FILE_KEYS) {
        return r.finish(out);
    }
    let Some(tables) = root.get("tables").filter(|n| !n.is_null()) else {
        return r.finish(out);
    };
    if !tables.is_seq() {
        r.error(
            tables,
            format!("`tables` must be a list, found {}", tables.kind_name()),
            "write `tables:` then `- name: …` items",
        );
        return r.finish(out);
    }
    let mut nodes = Vec::new();
    for node in tables.items() {
        if let Some(table) = read_table(&mut r, node) {
            nodes.push(node);
            out.tables.push(table);
        }
    }
    r.duplicates(
        out.tables
            .iter()
            .map(|t| t.name.clone())
            .zip(nodes.iter().map(|n| name_node(n))),
        "table",
    );
    for (table, node) in out.tables.iter().zip(&nodes) {
        validate_keys(&mut r, &out, table, node);
    }
    r.finish(out)
}

fn name_node(map: &Node) -> &Node {
    map.get("name").unwrap_or(map)
}

fn read_table(r: &mut Reader<'_>, node: &Node) -> Option<TableMeta> {
    if !r.mapping(node, "a table", TABLE_KEYS) {
        return None;
    }
    let name = r.required_str(node, "name", "a table")?;
    let what = format!("table `{name}`");
    if split_name(&name).len() != 3 {
        r.error(
            name_node(node),
            format!("{what} is not a three-part name"),
            "write `catalog.schema.table` (template variables such as `${catalog}` are fine)",
        );
    }
    let mut table = TableMeta {
        comment: r.optional_str(node, "comment", &what),
        tags: r.string_map(node, "tags", &what),
        primary_key: r.string_list(node, "primary_key", &what),
        name,
        ..TableMeta::default()
    };
    table.foreign_keys = list_items(r, node, "foreign_keys", &what)
        .into_iter()
        .filter_map(|fk| read_foreign_key(r, fk, &what))
        .collect();
    let column_nodes = list_items(r, node, "columns", &what);
    for column in &column_nodes {
        if let Some(c) = read_column(r, column, &what) {
            table.columns.push(c);
        }
    }
    let named = column_nodes
        .iter()
        .filter_map(|n| Some((n.get("name")?.as_str()?.to_owned(), name_node(n))));
    r.duplicates(named, &format!("column in {what}"));
    Some(table)
}

/// The items of the list at `key` (absent or null: none); reports a non-list.
pub(crate) fn list_items<'n>(
    r: &mut Reader<'_>,
    map: &'n Node,
    key: &str,
    what: &str,
) -> Vec<&'n Node> {
    match map.get(key).filter(|n| !n.is_null()) {
        None => Vec::new(),
        Some(list) if list.is_seq() => list.items().iter().collect(),
        Some(other) => {
            r.error(
                other,
                format!(
                    "`{key}` of {what} must be a list, found {}",
                    other.kind_name()
                ),
                format!("write `{key}:` then `- …` items"),
            );
            Vec::new()
        }
    }
}

fn read_column(r: &mut Reader<'_>, node: &Node, table: &str) -> Option<ColumnMeta> {
    if !r.mapping(node, &format!("a column of {table}"), COLUMN_KEYS) {
        return None;
    }
    let name = r.required_str(node, "name", &format!("a column of {table}"))?;
    let what = format!("column `{name}` of {table}");
    let column = ColumnMeta {
        data_type: r.optional_str(node, "type", &what),
        comment: r.optional_str(node, "comment", &what),
        synonyms: r.string_list(node, "synonyms", &what),
        tags: r.string_map(node, "tags", &what),
        name,
    };
    if let Some(list) = node.get("synonyms") {
        let named = column.synonyms.iter().cloned().zip(list.items());
        r.duplicates(named, &format!("synonym in {what}"));
    }
    Some(column)
}

fn read_foreign_key(r: &mut Reader<'_>, node: &Node, table: &str) -> Option<ForeignKey> {
    let what = format!("a foreign key of {table}");
    if !r.mapping(node, &what, FK_KEYS) {
        return None;
    }
    let columns = r.string_list(node, "columns", &what);
    let references = r.required_str(node, "references", &what)?;
    let Some((ref_table, ref_columns)) = parse_reference(&references) else {
        let at = node.get("references").unwrap_or(node);
        r.error(
            at,
            format!("`references` of {what} is not `table(column, …)`: `{references}`"),
            "write `references: catalog.schema.table(column)`",
        );
        return None;
    };
    let fk = ForeignKey {
        name: r.optional_str(node, "name", &what),
        columns,
        table: ref_table,
        ref_columns,
    };
    if fk.columns.is_empty() || fk.columns.len() != fk.ref_columns.len() {
        let message = format!(
            "{what} pairs {} column(s) with {} referenced column(s)",
            fk.columns.len(),
            fk.ref_columns.len()
        );
        r.error(
            node,
            message,
            "list as many `columns` as the columns in `references: table(…)`",
        );
    }
    Some(fk)
}

/// Splits `cat.sch.t(a, b)` into the table and its columns.
fn parse_reference(text: &str) -> Option<(String, Vec<String>)> {
    let text = text.trim();
    let open = text.rfind('(')?;
    let inner = text.get(open + 1..)?.strip_suffix(')')?;
    let table = text[..open].trim();
    if table.is_empty() {
        return None;
    }
    let columns = inner
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    Some((table.to_owned(), columns))
}

/// Checks that keys name declared columns, in this table and in referenced tables of this file.
fn validate_keys(r: &mut Reader<'_>, file: &TablesFile, table: &TableMeta, node: &Node) {
    let declared = |t: &TableMeta, c: &str| t.columns.is_empty() || t.column(c).is_some();
    let pk_node = node.get("primary_key").unwrap_or(node);
    for column in table.primary_key.iter().filter(|c| !declared(table, c)) {
        r.error(
            pk_node,
            format!(
                "primary key column `{column}` is not a column of table `{}`",
                table.name
            ),
            "declare the column under `columns` or fix the name",
        );
    }
    let fk_nodes = node
        .get("foreign_keys")
        .map(Node::items)
        .unwrap_or_default();
    for (fk, fk_node) in table.foreign_keys.iter().zip(fk_nodes) {
        for column in fk.columns.iter().filter(|c| !declared(table, c)) {
            r.error(
                fk_node,
                format!(
                    "foreign key column `{column}` is not a column of table `{}`",
                    table.name
                ),
                "declare the column under `columns` or fix the name",
            );
        }
        let Some(target) = file.table(&fk.table) else {
            continue;
        };
        let mut missing = fk
            .ref_columns
            .iter()
            .filter(|c| !declared(target, c))
            .peekable();
        let complete = missing.peek().is_none();
        for column in missing {
            r.error(fk_node, format!("foreign key references `{}({column})`, but that table has no column `{column}`", fk.table), "reference a declared column of that table");
        }
        let paired = fk.columns.len() == fk.ref_columns.len();
        if complete && paired && !same_columns(&target.primary_key, &fk.ref_columns) {
            let (message, hint) = parent_key_mismatch(fk, target);
            r.error(fk_node, message, hint);
        }
    }
}

/// The error for a foreign key whose referenced columns are not its parent's primary key
/// (Databricks refuses such a key: it must reference the parent's `PRIMARY KEY`).
fn parent_key_mismatch(fk: &ForeignKey, parent: &TableMeta) -> (String, String) {
    let referenced = fk.references();
    if parent.primary_key.is_empty() {
        return (
            format!(
                "foreign key references `{referenced}`, but `{}` declares no primary key",
                parent.name
            ),
            format!(
                "add `primary_key: [{}]` to `{}`: Databricks accepts a foreign key only to its parent's primary key",
                fk.ref_columns.join(", "),
                parent.name
            ),
        );
    }
    (
        format!(
            "foreign key references `{referenced}`, but the primary key of `{}` is ({})",
            parent.name,
            parent.primary_key.join(", ")
        ),
        "reference exactly the parent's primary-key columns, in order (Databricks accepts no other)"
            .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// Edits

fn table_path(table: &str) -> YamlPath {
    YamlPath::root().key("tables").find("name", table)
}

fn column_path(table: &str, column: &str) -> YamlPath {
    table_path(table).key("columns").find("name", column)
}

/// Sets `key` of the mapping at `path` to `value`, inserting it after the first present key of
/// `after` when absent, or removes it when `value` is `None`.
fn set_optional(
    text: &str,
    path: &YamlPath,
    key: &str,
    value: Option<&str>,
    after: &[&str],
) -> Result<String, EditError> {
    let root = yaml_edit::parse(text)?;
    let node = yaml_edit::locate(&root, path)?;
    let present = node.get(key).is_some();
    let after = after.iter().copied().find(|k| node.get(k).is_some());
    match (value, present) {
        (Some(v), true) => yaml_edit::set_scalar(text, &path.clone().key(key), v),
        (Some(v), false) => yaml_edit::insert_key(text, path, key, Value::str(v), after),
        (None, true) => yaml_edit::remove_key(text, path, key),
        (None, false) => Ok(text.to_owned()),
    }
}

/// Sets (or, with `None`, removes) a table's comment.
pub fn set_table_comment(
    text: &str,
    table: &str,
    comment: Option<&str>,
) -> Result<String, EditError> {
    set_optional(text, &table_path(table), "comment", comment, &["name"])
}

/// Sets (or, with `None`, removes) a column's comment.
pub fn set_column_comment(
    text: &str,
    table: &str,
    column: &str,
    comment: Option<&str>,
) -> Result<String, EditError> {
    set_optional(
        text,
        &column_path(table, column),
        "comment",
        comment,
        &["type", "name"],
    )
}

/// Adds a column entry `- name: column` at the end of the table's `columns`.
pub fn add_column(text: &str, table: &str, column: &str) -> Result<String, EditError> {
    let entry = Value::map([("name", Value::str(column))]);
    append_or_create(text, &table_path(table), "columns", entry, "foreign_keys")
}

/// Removes a column entry (and all its metadata) from the table.
pub fn remove_column(text: &str, table: &str, column: &str) -> Result<String, EditError> {
    let root = yaml_edit::parse(text)?;
    let path = column_path(table, column);
    let value = yaml_edit::locate(&root, &path)?.to_value();
    remove_or_drop(text, &table_path(table), "columns", value)
}

/// Appends `item` to the list at `key`, creating `key: [item]` (after `after`) when absent.
fn append_or_create(
    text: &str,
    owner: &YamlPath,
    key: &str,
    item: Value,
    after: &str,
) -> Result<String, EditError> {
    let root = yaml_edit::parse(text)?;
    let node = yaml_edit::locate(&root, owner)?;
    match node.get(key) {
        Some(list) if !list.is_null() => yaml_edit::append(text, &owner.clone().key(key), item),
        Some(_) => Err(EditError::WrongKind {
            path: owner.clone().key(key).to_string(),
            found: "empty",
            expected: "a sequence (write `[]` or remove the key)",
        }),
        None => {
            let value = match item {
                Value::Map(_) => Value::Seq(vec![item]),
                other => Value::Seq(vec![other]),
            };
            let after = node
                .get(after)
                .map(|_| after)
                .or(node.entries().last().and_then(|e| e.key.as_str()));
            yaml_edit::insert_key(text, owner, key, value, after)
        }
    }
}

/// Removes `item` from the list at `key`, removing the key itself when the list would be empty.
fn remove_or_drop(
    text: &str,
    owner: &YamlPath,
    key: &str,
    item: Value,
) -> Result<String, EditError> {
    let root = yaml_edit::parse(text)?;
    let list = yaml_edit::locate(&root, &owner.clone().key(key))?;
    if list.items().len() == 1 && list.items()[0].to_value() == item {
        return yaml_edit::remove_key(text, owner, key);
    }
    yaml_edit::remove(text, &owner.clone().key(key), item)
}

/// Adds a synonym to a column (creating `synonyms: [...]` when absent).
pub fn add_synonym(
    text: &str,
    table: &str,
    column: &str,
    synonym: &str,
) -> Result<String, EditError> {
    append_or_create(
        text,
        &column_path(table, column),
        "synonyms",
        Value::str(synonym),
        "comment",
    )
}

/// Removes a synonym from a column (removing `synonyms` when it was the last).
pub fn remove_synonym(
    text: &str,
    table: &str,
    column: &str,
    synonym: &str,
) -> Result<String, EditError> {
    remove_or_drop(
        text,
        &column_path(table, column),
        "synonyms",
        Value::str(synonym),
    )
}

/// Replaces a column's synonyms (an empty list removes the key).
pub fn set_synonyms(
    text: &str,
    table: &str,
    column: &str,
    synonyms: &[String],
) -> Result<String, EditError> {
    let path = column_path(table, column);
    let root = yaml_edit::parse(text)?;
    let present = yaml_edit::locate(&root, &path)?.get("synonyms").is_some();
    match (synonyms.is_empty(), present) {
        (true, true) => yaml_edit::remove_key(text, &path, "synonyms"),
        (true, false) => Ok(text.to_owned()),
        (false, true) => yaml_edit::replace_sequence(text, &path.key("synonyms"), synonyms),
        (false, false) => yaml_edit::insert_key(
            text,
            &path,
            "synonyms",
            Value::strs(synonyms),
            Some("comment"),
        ),
    }
}

fn tag_owner(table: &str, column: Option<&str>) -> YamlPath {
    match column {
        Some(c) => column_path(table, c),
        None => table_path(table),
    }
}

/// Sets tag `key` to `value` on the table, or on `column` when given.
pub fn set_tag(
    text: &str,
    table: &str,
    column: Option<&str>,
    key: &str,
    value: &str,
) -> Result<String, EditError> {
    let owner = tag_owner(table, column);
    let root = yaml_edit::parse(text)?;
    let node = yaml_edit::locate(&root, &owner)?;
    match node.get("tags") {
        Some(tags) if tags.get(key).is_some() => {
            yaml_edit::set_scalar(text, &owner.key("tags").key(key), value)
        }
        Some(tags) if !tags.is_null() => {
            yaml_edit::insert_key(text, &owner.key("tags"), key, Value::str(value), None)
        }
        _ => {
            let tags = Value::map([(key, Value::str(value))]);
            let after = if node.get("comment").is_some() {
                "comment"
            } else {
                "name"
            };
            yaml_edit::insert_key(text, &owner, "tags", tags, Some(after))
        }
    }
}

/// Removes tag `key` (removing `tags` when it was the last).
pub fn unset_tag(
    text: &str,
    table: &str,
    column: Option<&str>,
    key: &str,
) -> Result<String, EditError> {
    let owner = tag_owner(table, column);
    let root = yaml_edit::parse(text)?;
    let tags = yaml_edit::locate(&root, &owner.clone().key("tags"))?;
    if tags.entries().len() == 1 && tags.get(key).is_some() {
        return yaml_edit::remove_key(text, &owner, "tags");
    }
    yaml_edit::remove_key(text, &owner.key("tags"), key)
}

/// Sets a table's primary key (an empty list removes `primary_key`). A new key is written in
/// flow style after `tags`, `comment` or `name`, where the file format lists it.
pub fn set_primary_key(text: &str, table: &str, columns: &[String]) -> Result<String, EditError> {
    let path = table_path(table);
    let root = yaml_edit::parse(text)?;
    let node = yaml_edit::locate(&root, &path)?;
    let present = node.get("primary_key").is_some();
    match (columns.is_empty(), present) {
        (true, true) => yaml_edit::remove_key(text, &path, "primary_key"),
        (true, false) => Ok(text.to_owned()),
        (false, true) => yaml_edit::replace_sequence(text, &path.key("primary_key"), columns),
        (false, false) => {
            let after = ["tags", "comment", "name"]
                .into_iter()
                .find(|k| node.get(k).is_some());
            yaml_edit::insert_key(text, &path, "primary_key", Value::strs(columns), after)
        }
    }
}

/// Adds a foreign key to a table (creating `foreign_keys` when absent).
pub fn add_foreign_key(text: &str, table: &str, fk: &ForeignKey) -> Result<String, EditError> {
    append_or_create(
        text,
        &table_path(table),
        "foreign_keys",
        fk.to_value(),
        "primary_key",
    )
}

/// Removes the foreign key on `columns` (removing `foreign_keys` when it was the last).
pub fn remove_foreign_key(
    text: &str,
    table: &str,
    columns: &[String],
) -> Result<String, EditError> {
    let root = yaml_edit::parse(text)?;
    let list_path = table_path(table).key("foreign_keys");
    let list = yaml_edit::locate(&root, &list_path)?;
    let wanted = Value::strs(columns);
    let item = list
        .items()
        .iter()
        .find(|fk| fk.get("columns").map(Node::to_value) == Some(wanted.clone()))
        .ok_or_else(|| EditError::NoSuchItem {
            path: list_path.to_string(),
            item: format!("columns {columns:?}"),
        })?;
    remove_or_drop(text, &table_path(table), "foreign_keys", item.to_value())
}

// ---------------------------------------------------------------------------------------------
// SQL quoting, shared by every lever's DDL

/// Splits a dotted name into parts, keeping `${…}` templates and `` `…` `` quoted parts whole.
pub fn split_name(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut braces = 0usize;
    let mut backtick = false;
    let mut prev = ' ';
    for c in name.chars() {
        match c {
            '`' => backtick = !backtick,
            '{' if prev == '$' && !backtick => braces += 1,
            '}' if braces > 0 && !backtick => braces -= 1,
            '.' if braces == 0 && !backtick => {
                parts.push(std::mem::take(&mut current));
                prev = c;
                continue;
            }
            _ => {}
        }
        current.push(c);
        prev = c;
    }
    parts.push(current);
    parts
}

/// Quotes one identifier for Databricks SQL: plain when it is a simple name or holds a template
/// variable (kept verbatim for later resolution) or is already back-quoted, else `` `…` ``.
pub fn quote_ident(part: &str) -> String {
    let simple = part
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let templated = part.contains("${");
    let quoted = part.len() >= 2 && part.starts_with('`') && part.ends_with('`');
    if simple || templated || quoted {
        part.to_owned()
    } else {
        format!("`{}`", part.replace('`', "``"))
    }
}

/// Quotes every part of a dotted name.
pub fn quote_name(name: &str) -> String {
    split_name(name)
        .iter()
        .map(|p| quote_ident(p))
        .collect::<Vec<_>>()
        .join(".")
}

fn quote_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Databricks SQL string literal: `'…'` with `\` and `'` escaped by a backslash.
pub fn sql_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// [`sql_string`], or `NULL` for `None` (which clears a comment).
pub fn sql_opt_string(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), sql_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
tables:
  - name: ${catalog}.${gold_schema}.bookings
    comment: One row per booking.
    primary_key: [booking_id]
    columns:
      - name: booking_id
      - name: status
        comment: \"Booking status: confirmed, pending or cancelled.\"
        synonyms: [state]
  - name: ${catalog}.${gold_schema}.properties
    columns:
      - name: property_id
";

    #[test]
    fn a_valid_file_loads_into_the_typed_model() {
        let loaded = load("t.yaml", FILE);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let bookings = &loaded.value.tables[0];
        assert_eq!(bookings.primary_key, ["booking_id"]);
        assert_eq!(
            bookings.column("STATUS").map(|c| c.synonyms.clone()),
            Some(vec!["state".into()])
        );
    }

    #[test]
    fn names_split_around_templates_and_back_quotes() {
        assert_eq!(
            split_name("${var.cat}.`a.b`.t"),
            ["${var.cat}", "`a.b`", "t"]
        );
        assert_eq!(quote_name("main.my schema.t"), "main.`my schema`.t");
        assert_eq!(sql_string("it's a \\ test"), "'it\\'s a \\\\ test'");
    }

    #[test]
    fn ddl_follows_a_change_through_the_edited_file() {
        let t = "${catalog}.${gold_schema}.bookings";
        let text = set_column_comment(FILE, t, "status", Some("It's the status")).unwrap();
        let text = set_tag(&text, t, None, "domain", "travel").unwrap();
        let fk = ForeignKey {
            name: None,
            columns: vec!["property_id".into()],
            table: "${catalog}.${gold_schema}.properties".into(),
            ref_columns: vec!["property_id".into()],
        };
        let text = add_foreign_key(&text, t, &fk).unwrap();
        let text = add_column(&text, t, "property_id").unwrap();
        let text = set_primary_key(&text, &fk.table, &["property_id".into()]).unwrap();
        let file = load("t.yaml", &text);
        assert!(!file.has_errors(), "{:?}", file.diagnostics);
        let file = file.value;
        let changes = [
            Change::ColumnComment {
                table: t.into(),
                column: "status".into(),
            },
            Change::Tags {
                table: t.into(),
                column: None,
                unset: vec!["old".into()],
            },
            Change::ForeignKeyAdded {
                table: t.into(),
                columns: vec!["property_id".into()],
            },
            Change::ForeignKeyRemoved {
                table: t.into(),
                columns: vec!["property_id".into()],
            },
            Change::PrimaryKey { table: t.into() },
            Change::PrimaryKey {
                table: fk.table.clone(),
            },
            Change::TableComment { table: t.into() },
        ];
        let ddl: Vec<String> = changes.iter().flat_map(|c| file.ddl(c)).collect();
        insta::assert_snapshot!(ddl.join("\n"));
    }

    const BOOKINGS: &str = "${catalog}.${gold_schema}.bookings";
    const PROPERTIES: &str = "${catalog}.${gold_schema}.properties";

    /// [`FILE`] with `bookings.property_id → properties(property_id)` and properties' key.
    fn keyed_file() -> String {
        let text = add_column(FILE, BOOKINGS, "property_id").unwrap();
        let fk = ForeignKey {
            name: None,
            columns: vec!["property_id".into()],
            table: PROPERTIES.into(),
            ref_columns: vec!["property_id".into()],
        };
        let text = add_foreign_key(&text, BOOKINGS, &fk).unwrap();
        set_primary_key(&text, PROPERTIES, &["property_id".into()]).unwrap()
    }

    fn errors(text: &str) -> Vec<String> {
        load("t.yaml", text)
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn a_primary_key_is_written_after_the_comment_and_removed_byte_for_byte() {
        let edited = set_primary_key(FILE, PROPERTIES, &["property_id".into()]).unwrap();
        assert!(edited.contains("properties\n    primary_key: [property_id]\n    columns:"));
        assert_eq!(set_primary_key(&edited, PROPERTIES, &[]).unwrap(), FILE);
        let changed = set_primary_key(FILE, BOOKINGS, &["status".into()]).unwrap();
        assert_eq!(changed, FILE.replace("[booking_id]", "[status]"));
    }

    #[test]
    fn a_foreign_key_must_reference_its_parents_primary_key() {
        assert_eq!(errors(&keyed_file()), Vec::<String>::new());
        let without = set_primary_key(&keyed_file(), PROPERTIES, &[]).unwrap();
        let other = set_primary_key(
            &keyed_file(),
            PROPERTIES,
            &["property_id".into(), "x".into()],
        )
        .unwrap()
        .replace(
            "      - name: property_id\n",
            "      - name: property_id\n      - name: x\n",
        );
        insta::assert_snapshot!([errors(&without), errors(&other)].concat().join("\n"));
    }

    #[test]
    fn a_primary_key_change_cascades_and_re_adds_the_keys_that_reference_the_table() {
        let file = load("t.yaml", &keyed_file()).value;
        let change = Change::PrimaryKey {
            table: PROPERTIES.into(),
        };
        insta::assert_snapshot!(file.ddl(&change).join("\n"));
        let removed = set_primary_key(FILE, BOOKINGS, &[]).unwrap();
        let removed = load("t.yaml", &removed).value;
        let change = Change::PrimaryKey {
            table: BOOKINGS.into(),
        };
        assert_eq!(
            removed.ddl(&change),
            ["ALTER TABLE ${catalog}.${gold_schema}.bookings DROP PRIMARY KEY IF EXISTS CASCADE"]
        );
    }

    #[test]
    fn many_changes_declare_the_parent_key_before_the_foreign_key_and_add_it_once() {
        let file = load("t.yaml", &keyed_file()).value;
        let changes = [
            Change::ForeignKeyAdded {
                table: BOOKINGS.into(),
                columns: vec!["property_id".into()],
            },
            Change::TableComment {
                table: BOOKINGS.into(),
            },
            Change::ForeignKeyRemoved {
                table: BOOKINGS.into(),
                columns: vec!["user_id".into()],
            },
            Change::PrimaryKey {
                table: PROPERTIES.into(),
            },
        ];
        insta::assert_snapshot!(file.ddl_for(&changes).join("\n"));
    }

    #[test]
    fn a_multi_line_column_comment_is_removed_without_the_blank_line_after_it() {
        let text = "\
# generated lever-1 file
tables:
  - name: ${catalog}.sales.t0   # table
    columns:
      - name: col_0

# between tables
";
        let t = "${catalog}.sales.t0";
        let edited = set_column_comment(text, t, "col_0", Some("two\nlines\n")).unwrap();
        let comment = "        comment: |\n          two\n          lines\n";
        assert_eq!(
            edited,
            text.replacen("col_0\n", &format!("col_0\n{comment}"), 1)
        );
        assert_eq!(set_column_comment(&edited, t, "col_0", None).unwrap(), text);
    }
}
