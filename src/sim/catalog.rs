//! The simulated Unity Catalog: catalogs, schemas and tables with typed columns, comments, tags,
//! informational primary and foreign keys, plus metric views and SQL table functions in compiled
//! form. The SQL engine reads it to resolve names and to answer `information_schema` queries;
//! DDL statements edit it. Identifiers are case-insensitive, as in Databricks: every name is
//! stored lower-case.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

/// A Databricks column type, as `information_schema.columns.full_data_type` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    String,
    Int,
    BigInt,
    Float,
    Double,
    Decimal { precision: u8, scale: u8 },
    Date,
    Timestamp,
    Boolean,
}

impl DataType {
    /// The type as written in DDL and `information_schema` (`STRING`, `DECIMAL(15,4)`, ...).
    pub fn sql_name(&self) -> String {
        match self {
            DataType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
            other => other.type_name().replace("LONG", "BIGINT"),
        }
    }

    /// The Statement API's `type_name` (`LONG` for BIGINT, `DECIMAL` without its precision).
    pub fn type_name(&self) -> &'static str {
        match self {
            DataType::String => "STRING",
            DataType::Int => "INT",
            DataType::BigInt => "LONG",
            DataType::Float => "FLOAT",
            DataType::Double => "DOUBLE",
            DataType::Decimal { .. } => "DECIMAL",
            DataType::Date => "DATE",
            DataType::Timestamp => "TIMESTAMP",
            DataType::Boolean => "BOOLEAN",
        }
    }

    /// Parses a Databricks type name (`bigint`, `LONG`, `decimal(15, 4)`, `varchar(10)`, ...).
    pub fn parse(text: &str) -> Option<DataType> {
        let upper = text.trim().to_ascii_uppercase();
        let (base, args) = match upper.split_once('(') {
            Some((base, rest)) => (base.trim().to_string(), Some(rest.trim_end_matches(')'))),
            None => (upper.clone(), None),
        };
        let data_type = match base.as_str() {
            "STRING" | "VARCHAR" | "CHAR" | "TEXT" => DataType::String,
            "INT" | "INTEGER" | "SMALLINT" | "TINYINT" | "SHORT" | "BYTE" => DataType::Int,
            "BIGINT" | "LONG" => DataType::BigInt,
            "FLOAT" | "REAL" => DataType::Float,
            "DOUBLE" => DataType::Double,
            "DECIMAL" | "DEC" | "NUMERIC" => parse_decimal_args(args)?,
            "DATE" => DataType::Date,
            "TIMESTAMP" | "TIMESTAMP_NTZ" | "TIMESTAMP_LTZ" => DataType::Timestamp,
            "BOOLEAN" | "BOOL" => DataType::Boolean,
            _ => return None,
        };
        Some(data_type)
    }

    /// True for the numeric types.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            DataType::Int
                | DataType::BigInt
                | DataType::Float
                | DataType::Double
                | DataType::Decimal { .. }
        )
    }
}

/// `DECIMAL` defaults to (10,0); `DECIMAL(p)` has scale 0.
fn parse_decimal_args(args: Option<&str>) -> Option<DataType> {
    let Some(args) = args else {
        return Some(DataType::Decimal {
            precision: 10,
            scale: 0,
        });
    };
    let mut parts = args.split(',').map(|part| part.trim().parse::<u8>());
    let precision = parts.next()?.ok()?;
    let scale = match parts.next() {
        Some(scale) => scale.ok()?,
        None => 0,
    };
    ((1..=38).contains(&precision) && scale <= precision)
        .then_some(DataType::Decimal { precision, scale })
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql_name())
    }
}

/// A three-part name `catalog.schema.object`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    pub catalog: String,
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    /// A name from its three parts (lower-cased).
    pub fn new(catalog: &str, schema: &str, name: &str) -> Self {
        Self {
            catalog: catalog.to_ascii_lowercase(),
            schema: schema.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }

    /// Parses `catalog.schema.name` (backticks allowed around parts); `None` unless three parts.
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<String> = text
            .split('.')
            .map(|part| part.trim().trim_matches('`').to_string())
            .collect();
        match parts.as_slice() {
            [catalog, schema, name] if parts.iter().all(|part| !part.is_empty()) => {
                Some(Self::new(catalog, schema, name))
            }
            _ => None,
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.catalog, self.schema, self.name)
    }
}

/// Key/value tags on a table or column (`ALTER TABLE … SET TAGS`).
pub type Tags = BTreeMap<String, String>;

/// One column of a table or view.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    pub comment: Option<String>,
    pub tags: Tags,
}

impl Column {
    /// A nullable column without comment or tags.
    pub fn new(name: &str, data_type: DataType) -> Self {
        Self {
            name: name.to_ascii_lowercase(),
            data_type,
            nullable: true,
            comment: None,
            tags: Tags::new(),
        }
    }

    /// The same column with a comment.
    pub fn with_comment(mut self, comment: &str) -> Self {
        self.comment = Some(comment.to_string());
        self
    }

    /// The same column declared `NOT NULL`.
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }
}

/// Whether a relation stores data or is defined by a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Managed,
    View,
}

impl TableKind {
    /// `information_schema.tables.table_type`.
    pub fn table_type(&self) -> &'static str {
        match self {
            TableKind::Managed => "MANAGED",
            TableKind::View => "VIEW",
        }
    }
}

/// An informational foreign key (`ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY … REFERENCES …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_table: QualifiedName,
    pub referenced_columns: Vec<String>,
}

/// A table or (plain) view.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: QualifiedName,
    pub kind: TableKind,
    pub comment: Option<String>,
    pub tags: Tags,
    pub columns: Vec<Column>,
    /// Informational primary key columns; empty when none is declared.
    pub primary_key: Vec<String>,
    /// The primary key's constraint name (`None` when there is no primary key).
    pub primary_key_name: Option<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// The defining query of a view (Databricks SQL).
    pub view_sql: Option<String>,
}

impl Table {
    /// A managed table with these columns and nothing else.
    pub fn new(name: QualifiedName, columns: Vec<Column>) -> Self {
        Self {
            name,
            kind: TableKind::Managed,
            comment: None,
            tags: Tags::new(),
            columns,
            primary_key: Vec::new(),
            primary_key_name: None,
            foreign_keys: Vec::new(),
            view_sql: None,
        }
    }

    /// The same table with a comment.
    pub fn with_comment(mut self, comment: &str) -> Self {
        self.comment = Some(comment.to_string());
        self
    }

    /// The column with this name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|column| column.name.eq_ignore_ascii_case(name))
    }

    fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|column| column.name.eq_ignore_ascii_case(name))
    }
}

/// A join of a metric view: `LEFT OUTER JOIN source AS name ON on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricJoin {
    pub name: String,
    /// A table name or a SQL query.
    pub source: String,
    /// The join condition, e.g. `source.property_id = properties.property_id`.
    pub on: String,
}

/// A dimension or measure of a metric view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricField {
    pub name: String,
    /// The SQL expression; measures aggregate and may use `MEASURE(other)` and `FILTER (WHERE …)`.
    pub expr: String,
    pub comment: Option<String>,
    pub display_name: Option<String>,
    pub synonyms: Vec<String>,
}

impl MetricField {
    /// A field with only a name and an expression.
    pub fn new(name: &str, expr: &str) -> Self {
        Self {
            name: name.to_string(),
            expr: expr.to_string(),
            comment: None,
            display_name: None,
            synonyms: Vec::new(),
        }
    }
}

/// A metric view in compiled form (what its YAML says, resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricView {
    pub name: QualifiedName,
    pub comment: Option<String>,
    /// A table name (`main.wanderbricks.bookings`) or a SQL query.
    pub source: String,
    /// A global `WHERE` condition over the source and joins.
    pub filter: Option<String>,
    pub joins: Vec<MetricJoin>,
    pub dimensions: Vec<MetricField>,
    pub measures: Vec<MetricField>,
}

impl MetricView {
    /// The dimension with this name (case-insensitive).
    pub fn dimension(&self, name: &str) -> Option<&MetricField> {
        self.dimensions
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
    }

    /// The measure with this name (case-insensitive).
    pub fn measure(&self, name: &str) -> Option<&MetricField> {
        self.measures
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
    }
}

/// A parameter of a SQL function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionParam {
    pub name: String,
    pub data_type: DataType,
    /// The default as a SQL expression (`10`, `'EU'`); `None` makes the parameter required.
    pub default: Option<String>,
    pub comment: Option<String>,
}

/// A column a table function returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnColumn {
    pub name: String,
    pub data_type: DataType,
    pub comment: Option<String>,
}

/// A SQL table function (`CREATE FUNCTION … RETURNS TABLE … RETURN <query>`) in compiled form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFunction {
    pub name: QualifiedName,
    pub params: Vec<FunctionParam>,
    pub returns: Vec<ReturnColumn>,
    pub comment: Option<String>,
    /// The query after `RETURN`, in Databricks SQL; parameters appear as plain identifiers.
    pub body: String,
}

/// What an edit of the catalog can get wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogError {
    #[error("table or view `{0}` does not exist")]
    TableNotFound(QualifiedName),
    #[error("column `{column}` does not exist in `{table}`")]
    ColumnNotFound {
        table: QualifiedName,
        column: String,
    },
    #[error("`{0}` already exists as a different kind of object")]
    NameTaken(QualifiedName),
    #[error("`{table}` has no {constraint}")]
    ConstraintNotFound {
        table: QualifiedName,
        /// What was looked for: `primary key`, `foreign key (a, b)`, `constraint `name``.
        constraint: String,
    },
    /// `ADD PRIMARY KEY` over a column that may hold NULL (Databricks' wording).
    #[error(
        "Cannot create the primary key `{name}` because its child column(s) `{columns}` is nullable. Please change the column nullability and retry."
    )]
    NullableKeyColumn { name: String, columns: String },
    #[error("`{table}` already has a primary key (`{name}`); drop it first")]
    PrimaryKeyExists { table: QualifiedName, name: String },
    #[error(
        "the primary key of `{table}` is referenced by foreign key `{by}`; drop that first or use CASCADE"
    )]
    PrimaryKeyReferenced { table: QualifiedName, by: String },
    /// A foreign key whose referenced columns are not its parent's primary key.
    #[error("{}", parent_key_message(.parent, .referenced, .primary_key))]
    NoParentKey {
        parent: QualifiedName,
        referenced: Vec<String>,
        /// The parent's primary key (empty when it has none).
        primary_key: Vec<String>,
    },
}

fn parent_key_message(parent: &QualifiedName, referenced: &[String], key: &[String]) -> String {
    if key.is_empty() {
        return format!(
            "Table `{parent}` does not have either a primary key constraint or a UNIQUE constraint; a foreign key can reference only its primary key"
        );
    }
    format!(
        "the referenced columns ({}) are not the primary key ({}) of `{parent}`",
        referenced.join(", "),
        key.join(", ")
    )
}

/// How dropping a primary key treats foreign keys that reference it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropBehavior {
    /// Refuse when a foreign key references it (the default).
    Restrict,
    /// Drop the referencing foreign keys too.
    Cascade,
}

/// The whole simulated Unity Catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    tables: BTreeMap<QualifiedName, Table>,
    metric_views: BTreeMap<QualifiedName, MetricView>,
    functions: BTreeMap<QualifiedName, SqlFunction>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a table or view.
    pub fn add_table(&mut self, table: Table) -> Result<(), CatalogError> {
        self.ensure_free_for(&table.name, ObjectKind::Table)?;
        self.tables.insert(table.name.clone(), table);
        Ok(())
    }

    /// The table or view with this name.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name)
    }

    /// All tables and views, sorted by name.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// A column of a table or view.
    pub fn column(&self, table: &QualifiedName, column: &str) -> Option<&Column> {
        self.table(table)?.column(column)
    }

    /// Sets (`Some`) or clears (`None`) a table's comment.
    pub fn set_table_comment(
        &mut self,
        table: &QualifiedName,
        comment: Option<String>,
    ) -> Result<(), CatalogError> {
        if let Some(view) = self.metric_views.get_mut(table) {
            view.comment = comment;
            return Ok(());
        }
        self.table_mut(table)?.comment = comment;
        Ok(())
    }

    /// Sets (`Some`) or clears (`None`) a column's comment.
    pub fn set_column_comment(
        &mut self,
        table: &QualifiedName,
        column: &str,
        comment: Option<String>,
    ) -> Result<(), CatalogError> {
        self.column_mut(table, column)?.comment = comment;
        Ok(())
    }

    /// Adds or overwrites tags on a table.
    pub fn set_table_tags(
        &mut self,
        table: &QualifiedName,
        tags: Tags,
    ) -> Result<(), CatalogError> {
        self.table_mut(table)?.tags.extend(tags);
        Ok(())
    }

    /// Removes tags from a table; absent keys are ignored, as Databricks does.
    pub fn unset_table_tags(
        &mut self,
        table: &QualifiedName,
        keys: &[String],
    ) -> Result<(), CatalogError> {
        let target = self.table_mut(table)?;
        for key in keys {
            target.tags.remove(key);
        }
        Ok(())
    }

    /// Adds or overwrites tags on a column.
    pub fn set_column_tags(
        &mut self,
        table: &QualifiedName,
        column: &str,
        tags: Tags,
    ) -> Result<(), CatalogError> {
        self.column_mut(table, column)?.tags.extend(tags);
        Ok(())
    }

    /// Removes tags from a column; absent keys are ignored.
    pub fn unset_column_tags(
        &mut self,
        table: &QualifiedName,
        column: &str,
        keys: &[String],
    ) -> Result<(), CatalogError> {
        let target = self.column_mut(table, column)?;
        for key in keys {
            target.tags.remove(key);
        }
        Ok(())
    }

    /// Declares an informational primary key (replacing any earlier one), named
    /// `<table>_pk`, its columns `NOT NULL` as a live key's are: how a workspace is loaded
    /// from its durable files.
    pub fn set_primary_key(
        &mut self,
        table: &QualifiedName,
        columns: Vec<String>,
    ) -> Result<(), CatalogError> {
        self.require_columns(table, &columns)?;
        let target = self.table_mut(table)?;
        for column in &columns {
            if let Some(c) = target.column_mut(column) {
                c.nullable = false;
            }
        }
        target.primary_key_name = Some(format!("{}_pk", target.name.name));
        target.primary_key = columns;
        Ok(())
    }

    /// `ADD [CONSTRAINT name] PRIMARY KEY (…)`: refused when the table already has one or a
    /// key column is nullable, as Databricks does; an unnamed key is called `<table>_pk`.
    pub fn add_primary_key(
        &mut self,
        table: &QualifiedName,
        name: Option<String>,
        columns: Vec<String>,
    ) -> Result<(), CatalogError> {
        self.require_columns(table, &columns)?;
        let target = self.table_mut(table)?;
        if let Some(existing) = &target.primary_key_name {
            return Err(CatalogError::PrimaryKeyExists {
                table: table.clone(),
                name: existing.clone(),
            });
        }
        let name = name.unwrap_or_else(|| format!("{}_pk", target.name.name));
        let nullable: Vec<&str> = columns
            .iter()
            .filter_map(|c| target.column(c))
            .filter(|c| c.nullable)
            .map(|c| c.name.as_str())
            .collect();
        if !nullable.is_empty() {
            return Err(CatalogError::NullableKeyColumn {
                name,
                columns: nullable.join("`, `"),
            });
        }
        target.primary_key_name = Some(name);
        target.primary_key = columns;
        Ok(())
    }

    /// `DROP PRIMARY KEY`: with `Restrict`, refused while a foreign key references the table;
    /// with `Cascade`, those foreign keys are dropped too. `Ok(false)` when there is none.
    pub fn drop_primary_key(
        &mut self,
        table: &QualifiedName,
        behavior: DropBehavior,
    ) -> Result<bool, CatalogError> {
        if self.table_mut(table)?.primary_key_name.is_none() {
            return Ok(false);
        }
        let referencing: Vec<(QualifiedName, String)> = self
            .tables
            .values()
            .flat_map(|t| {
                t.foreign_keys
                    .iter()
                    .filter(|fk| &fk.referenced_table == table)
                    .map(|fk| (t.name.clone(), fk.name.clone()))
            })
            .collect();
        if let (DropBehavior::Restrict, Some((_, by))) = (behavior, referencing.first()) {
            return Err(CatalogError::PrimaryKeyReferenced {
                table: table.clone(),
                by: by.clone(),
            });
        }
        for (owner, name) in referencing {
            self.table_mut(&owner)?
                .foreign_keys
                .retain(|fk| fk.name != name);
        }
        let target = self.table_mut(table)?;
        target.primary_key.clear();
        target.primary_key_name = None;
        Ok(true)
    }

    /// `DROP FOREIGN KEY (columns)`: the key on exactly these columns, in this order.
    /// `Ok(false)` when there is none.
    pub fn drop_foreign_key(
        &mut self,
        table: &QualifiedName,
        columns: &[String],
    ) -> Result<bool, CatalogError> {
        let target = self.table_mut(table)?;
        let before = target.foreign_keys.len();
        target.foreign_keys.retain(|fk| fk.columns != columns);
        Ok(target.foreign_keys.len() != before)
    }

    /// `DROP CONSTRAINT name`: the primary key or foreign key with this name. `Ok(false)` when
    /// the table has no constraint of that name.
    pub fn drop_constraint(
        &mut self,
        table: &QualifiedName,
        name: &str,
        behavior: DropBehavior,
    ) -> Result<bool, CatalogError> {
        let target = self.table_mut(table)?;
        if target
            .primary_key_name
            .as_deref()
            .is_some_and(|pk| pk.eq_ignore_ascii_case(name))
        {
            return self.drop_primary_key(table, behavior);
        }
        let before = target.foreign_keys.len();
        target
            .foreign_keys
            .retain(|fk| !fk.name.eq_ignore_ascii_case(name));
        Ok(target.foreign_keys.len() != before)
    }

    /// `ALTER COLUMN c { SET | DROP } NOT NULL`.
    pub fn set_column_nullable(
        &mut self,
        table: &QualifiedName,
        column: &str,
        nullable: bool,
    ) -> Result<(), CatalogError> {
        self.column_mut(table, column)?.nullable = nullable;
        Ok(())
    }

    /// Whether `foreign_key` references exactly its parent's primary key, as Databricks requires
    /// of `ADD CONSTRAINT … FOREIGN KEY` (column names compared case-insensitively, in order).
    pub fn check_parent_key(&self, foreign_key: &ForeignKey) -> Result<(), CatalogError> {
        let parent = &foreign_key.referenced_table;
        let table = self
            .table(parent)
            .ok_or_else(|| CatalogError::TableNotFound(parent.clone()))?;
        let (key, referenced) = (&table.primary_key, &foreign_key.referenced_columns);
        let same = key.len() == referenced.len()
            && key
                .iter()
                .zip(referenced)
                .all(|(k, r)| k.eq_ignore_ascii_case(r));
        if same {
            return Ok(());
        }
        Err(CatalogError::NoParentKey {
            parent: parent.clone(),
            referenced: referenced.clone(),
            primary_key: key.clone(),
        })
    }

    /// Adds an informational foreign key (replacing one with the same constraint name). The
    /// parent's key is not checked here, so a whole tables file can be loaded in any order;
    /// a statement checks it first with [`Catalog::check_parent_key`].
    pub fn add_foreign_key(
        &mut self,
        table: &QualifiedName,
        foreign_key: ForeignKey,
    ) -> Result<(), CatalogError> {
        self.require_columns(table, &foreign_key.columns)?;
        self.require_columns(
            &foreign_key.referenced_table,
            &foreign_key.referenced_columns,
        )?;
        let target = self.table_mut(table)?;
        target
            .foreign_keys
            .retain(|existing| existing.name != foreign_key.name);
        target.foreign_keys.push(foreign_key);
        Ok(())
    }

    /// Creates or replaces a metric view.
    pub fn define_metric_view(&mut self, view: MetricView) -> Result<(), CatalogError> {
        self.ensure_free_for(&view.name, ObjectKind::MetricView)?;
        self.metric_views.insert(view.name.clone(), view);
        Ok(())
    }

    /// The metric view with this name.
    pub fn metric_view(&self, name: &QualifiedName) -> Option<&MetricView> {
        self.metric_views.get(name)
    }

    /// All metric views, sorted by name.
    pub fn metric_views(&self) -> impl Iterator<Item = &MetricView> {
        self.metric_views.values()
    }

    /// Creates or replaces a SQL function.
    pub fn define_function(&mut self, function: SqlFunction) -> Result<(), CatalogError> {
        self.functions.insert(function.name.clone(), function);
        Ok(())
    }

    /// The SQL function with this name.
    pub fn function(&self, name: &QualifiedName) -> Option<&SqlFunction> {
        self.functions.get(name)
    }

    /// All SQL functions, sorted by name.
    pub fn functions(&self) -> impl Iterator<Item = &SqlFunction> {
        self.functions.values()
    }

    /// True when a table, view or metric view has this name.
    pub fn has_relation(&self, name: &QualifiedName) -> bool {
        self.tables.contains_key(name) || self.metric_views.contains_key(name)
    }

    fn table_mut(&mut self, name: &QualifiedName) -> Result<&mut Table, CatalogError> {
        self.tables
            .get_mut(name)
            .ok_or_else(|| CatalogError::TableNotFound(name.clone()))
    }

    fn column_mut(
        &mut self,
        table: &QualifiedName,
        column: &str,
    ) -> Result<&mut Column, CatalogError> {
        self.table_mut(table)?
            .column_mut(column)
            .ok_or_else(|| CatalogError::ColumnNotFound {
                table: table.clone(),
                column: column.to_string(),
            })
    }

    fn require_columns(
        &self,
        table: &QualifiedName,
        columns: &[String],
    ) -> Result<(), CatalogError> {
        let target = self
            .table(table)
            .ok_or_else(|| CatalogError::TableNotFound(table.clone()))?;
        match columns
            .iter()
            .find(|column| target.column(column).is_none())
        {
            Some(missing) => Err(CatalogError::ColumnNotFound {
                table: table.clone(),
                column: missing.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Tables and metric views share one namespace: replacing one kind with the other is refused.
    fn ensure_free_for(&self, name: &QualifiedName, kind: ObjectKind) -> Result<(), CatalogError> {
        let taken = match kind {
            ObjectKind::Table => self.metric_views.contains_key(name),
            ObjectKind::MetricView => self.tables.contains_key(name),
        };
        if taken {
            return Err(CatalogError::NameTaken(name.clone()));
        }
        Ok(())
    }
}

/// The two kinds of relation that share a namespace.
#[derive(Clone, Copy)]
enum ObjectKind {
    Table,
    MetricView,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders() -> Table {
        Table::new(
            QualifiedName::new("main", "shop", "orders"),
            vec![
                Column::new("id", DataType::BigInt).not_null(),
                Column::new(
                    "Amount",
                    DataType::Decimal {
                        precision: 15,
                        scale: 4,
                    },
                ),
            ],
        )
    }

    #[test]
    fn type_names_follow_the_statement_api() {
        assert_eq!(DataType::BigInt.type_name(), "LONG");
        assert_eq!(DataType::BigInt.sql_name(), "BIGINT");
        assert_eq!(
            DataType::parse("decimal(15, 4)"),
            Some(DataType::Decimal {
                precision: 15,
                scale: 4
            })
        );
        assert_eq!(DataType::parse("long"), Some(DataType::BigInt));
        assert_eq!(DataType::parse("decimal(2,5)"), None);
        assert_eq!(DataType::parse("map<string,int>"), None);
    }

    #[test]
    fn names_are_case_insensitive() {
        let mut catalog = Catalog::new();
        catalog.add_table(orders()).unwrap();
        let name = QualifiedName::parse("MAIN.`Shop`.Orders").unwrap();
        assert!(catalog.column(&name, "AMOUNT").is_some());
        assert_eq!(QualifiedName::parse("a.b"), None);
    }

    #[test]
    fn comments_and_tags_can_be_set_and_cleared() {
        let mut catalog = Catalog::new();
        catalog.add_table(orders()).unwrap();
        let name = QualifiedName::new("main", "shop", "orders");
        catalog
            .set_table_comment(&name, Some("One row per order".into()))
            .unwrap();
        catalog
            .set_column_comment(&name, "amount", Some("Net amount".into()))
            .unwrap();
        catalog
            .set_column_tags(&name, "amount", Tags::from([("pii".into(), "no".into())]))
            .unwrap();
        catalog
            .unset_column_tags(&name, "amount", &["pii".into()])
            .unwrap();
        let table = catalog.table(&name).unwrap();
        assert_eq!(table.comment.as_deref(), Some("One row per order"));
        assert_eq!(
            table.column("amount").unwrap().comment.as_deref(),
            Some("Net amount")
        );
        assert!(table.column("amount").unwrap().tags.is_empty());
        catalog.set_table_comment(&name, None).unwrap();
        assert_eq!(catalog.table(&name).unwrap().comment, None);
    }

    #[test]
    fn editing_a_missing_column_is_an_error() {
        let mut catalog = Catalog::new();
        catalog.add_table(orders()).unwrap();
        let name = QualifiedName::new("main", "shop", "orders");
        let error = catalog.set_column_comment(&name, "nope", None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "column `nope` does not exist in `main.shop.orders`"
        );
        let missing = QualifiedName::new("main", "shop", "gone");
        assert!(matches!(
            catalog.set_table_comment(&missing, None),
            Err(CatalogError::TableNotFound(_))
        ));
    }
}
