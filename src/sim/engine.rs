//! The simulator's SQL engine: Databricks SQL over the simulated Unity Catalog, executed by an
//! in-memory SQLite after [`crate::sim::translate`] rewrote it. Results come back as the
//! Statement API shapes them ([`ResultSet`]: typed columns, values as strings or null); failures
//! carry a Databricks error class and SQLSTATE. Also handles the metadata DDL Genie levers use
//! (comments, tags, informational foreign keys), refuses DML like a read-only principal, and
//! serves `information_schema.{tables, columns, routines, table_constraints, key_column_usage,
//! constraint_column_usage, table_tags, column_tags}` from the live catalog.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};
use thiserror::Error;

use crate::model::result::{ResultColumn, ResultSet};
use crate::sim::catalog::{
    Catalog, CatalogError, DataType, DropBehavior, ForeignKey, MetricView, QualifiedName,
    SqlFunction, Table, Tags,
};
use crate::sim::data::{self, Dataset, Value, date_text, timestamp_text};
use crate::sim::translate::{self, OutputColumn, Session, runtime};
use crate::sim::workspace::compile;

/// A failed statement, as the Statement API reports it (`status.error` + `status.sql_state`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("[{error_class}] {message} SQLSTATE: {sql_state}")]
pub struct SqlError {
    /// Databricks error class, e.g. `TABLE_OR_VIEW_NOT_FOUND`.
    pub error_class: String,
    /// The five-character SQLSTATE, e.g. `42P01`.
    pub sql_state: String,
    pub message: String,
}

impl SqlError {
    /// An error with an explicit class, state and message.
    pub fn new(error_class: &str, sql_state: &str, message: impl Into<String>) -> Self {
        Self {
            error_class: error_class.to_string(),
            sql_state: sql_state.to_string(),
            message: message.into(),
        }
    }

    /// `PARSE_SYNTAX_ERROR`.
    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(
            "PARSE_SYNTAX_ERROR",
            "42601",
            format!("Syntax error: {detail}."),
        )
    }

    /// `UNSUPPORTED_FEATURE`, naming the construct.
    pub fn unsupported(what: &str) -> Self {
        Self::new(
            "UNSUPPORTED_FEATURE",
            "0A000",
            format!("The simulator does not support {what}; rewrite the query without it."),
        )
    }

    /// `TABLE_OR_VIEW_NOT_FOUND`.
    pub fn table_not_found(name: &str) -> Self {
        Self::new(
            "TABLE_OR_VIEW_NOT_FOUND",
            "42P01",
            format!(
                "The table or view `{name}` cannot be found. Verify the spelling and correctness of the schema and catalog."
            ),
        )
    }

    /// `UNRESOLVED_ROUTINE`.
    pub fn unresolved_routine(name: &str) -> Self {
        Self::new(
            "UNRESOLVED_ROUTINE",
            "42883",
            format!(
                "Cannot resolve routine `{name}` on search path [`system`.`builtin`, `system`.`session`]."
            ),
        )
    }

    /// `WRONG_NUM_ARGS`.
    pub fn wrong_arguments(name: &str, expected: usize) -> Self {
        Self::new(
            "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
            "42605",
            format!("The `{name}` requires {expected} parameters."),
        )
    }

    /// A metric-view usage error (`METRIC_VIEW_UNSUPPORTED_USAGE`).
    pub fn metric_view_misuse(message: &str) -> Self {
        Self::new("METRIC_VIEW_UNSUPPORTED_USAGE", "0A000", message)
    }

    /// A write the simulated principal may not do.
    pub fn permission_denied(action: &str) -> Self {
        Self::new(
            "INSUFFICIENT_PERMISSIONS",
            "42501",
            format!(
                "Insufficient privileges: the simulated workspace is read-only for data; {action} is not allowed."
            ),
        )
    }

    fn from_catalog(error: CatalogError) -> Self {
        match &error {
            CatalogError::TableNotFound(name) => Self::table_not_found(&name.to_string()),
            CatalogError::ColumnNotFound { .. } => Self::new(
                "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
                "42703",
                error.to_string(),
            ),
            CatalogError::NameTaken(_) => {
                Self::new("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07", error.to_string())
            }
            CatalogError::ConstraintNotFound { .. } => Self::new(
                "DELTA_CONSTRAINT_DOES_NOT_EXIST",
                "42704",
                error.to_string(),
            ),
            CatalogError::PrimaryKeyExists { .. } => Self::new(
                "DELTA_CONSTRAINT_ALREADY_EXISTS",
                "42710",
                error.to_string(),
            ),
            // The message is Databricks' own; the error class is the simulator's.
            CatalogError::NullableKeyColumn { .. } => {
                Self::new("PRIMARY_KEY_COLUMN_NULLABLE", "42000", error.to_string())
            }
            CatalogError::PrimaryKeyReferenced { .. } => {
                Self::new("CONSTRAINT_DEPENDENCY", "2BP01", error.to_string())
            }
            CatalogError::NoParentKey { .. } => Self::new(
                "UC_REFERENTIAL_CONSTRAINT_DOES_NOT_EXIST",
                "42704",
                error.to_string(),
            ),
        }
    }
}

/// A named statement parameter (`:name`), as the Statement API sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlParam {
    pub name: String,
    /// `None` binds SQL NULL.
    pub value: Option<String>,
    /// Databricks type (`STRING` when absent): `INT`, `BIGINT`, `DOUBLE`, `DATE`, ...
    pub type_name: Option<String>,
}

impl SqlParam {
    /// A STRING parameter.
    pub fn string(name: &str, value: &str) -> Self {
        Self {
            name: name.to_string(),
            value: Some(value.to_string()),
            type_name: None,
        }
    }

    /// A parameter of an explicit type.
    pub fn typed(name: &str, value: &str, type_name: &str) -> Self {
        Self {
            name: name.to_string(),
            value: Some(value.to_string()),
            type_name: Some(type_name.to_string()),
        }
    }
}

/// The engine: a catalog, its data in SQLite, and a pinned "today".
pub struct SqlEngine {
    conn: Connection,
    catalog: Catalog,
    as_of: NaiveDate,
    default_catalog: String,
    default_schema: String,
    information_schema_stale: bool,
}

impl std::fmt::Debug for SqlEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlEngine")
            .field("as_of", &self.as_of)
            .finish_non_exhaustive()
    }
}

fn internal(error: rusqlite::Error) -> SqlError {
    SqlError::new(
        "INTERNAL_ERROR",
        "XX000",
        format!("The simulator's storage failed: {error}"),
    )
}

impl SqlEngine {
    /// An engine over `catalog`, filled with Wanderbricks-lite generated from `seed` as of `as_of`
    /// (catalog tables the generator does not know stay empty).
    pub fn new(catalog: Catalog, seed: u64, as_of: NaiveDate) -> Result<Self, SqlError> {
        let dataset = data::generate(&data::DataConfig {
            as_of,
            ..data::DataConfig::new(seed)
        });
        Self::with_dataset(catalog, &dataset, as_of)
    }

    /// The base Wanderbricks-lite workspace: poor catalog plus generated data.
    pub fn wanderbricks(seed: u64, as_of: NaiveDate) -> Result<Self, SqlError> {
        Self::new(data::wanderbricks_catalog(), seed, as_of)
    }

    /// An engine over a catalog and explicitly given data.
    pub fn with_dataset(
        catalog: Catalog,
        dataset: &Dataset,
        as_of: NaiveDate,
    ) -> Result<Self, SqlError> {
        let conn = Connection::open_in_memory().map_err(internal)?;
        conn.execute_batch("PRAGMA case_sensitive_like = ON;")
            .map_err(internal)?;
        runtime::register(&conn).map_err(internal)?;
        let engine = Self {
            conn,
            catalog,
            as_of,
            default_catalog: data::CATALOG.to_string(),
            default_schema: data::SCHEMA.to_string(),
            information_schema_stale: true,
        };
        let tables: Vec<Table> = engine.catalog.tables().cloned().collect();
        for table in &tables {
            engine.create_table(table)?;
            if let Some(rows) = dataset.table(&table.name) {
                engine.load_rows(table, &rows.rows)?;
            }
            engine.create_indexes(table)?;
        }
        Ok(engine)
    }

    /// The simulated Unity Catalog as it is now.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The pinned "today".
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Sets the catalog and schema that one- and two-part names resolve against.
    pub fn set_default_schema(&mut self, catalog: &str, schema: &str) {
        self.default_catalog = catalog.to_ascii_lowercase();
        self.default_schema = schema.to_ascii_lowercase();
    }

    /// Creates or replaces a metric view (the compiled form of `CREATE VIEW … WITH METRICS`).
    pub fn define_metric_view(&mut self, view: MetricView) -> Result<(), SqlError> {
        self.information_schema_stale = true;
        self.catalog
            .define_metric_view(view)
            .map_err(SqlError::from_catalog)
    }

    /// Creates or replaces a SQL table function (the compiled form of `CREATE FUNCTION`).
    pub fn define_function(&mut self, function: SqlFunction) -> Result<(), SqlError> {
        self.information_schema_stale = true;
        self.catalog
            .define_function(function)
            .map_err(SqlError::from_catalog)
    }

    /// Runs one statement: a query, or metadata DDL (which returns an empty result).
    pub fn execute(&mut self, sql: &str, params: &[SqlParam]) -> Result<ResultSet, SqlError> {
        let words = leading_words(sql)?;
        match words.first().map(String::as_str) {
            Some("SELECT" | "WITH" | "VALUES" | "(" | "FROM") => self.query(sql, params),
            Some("COMMENT" | "ALTER") => {
                self.ddl(sql)?;
                Ok(ResultSet::default())
            }
            Some("CREATE") if compile::is_metric_view_ddl(sql) => {
                let view = compile::metric_view_ddl(sql, &words, &self.catalog)?;
                self.define_metric_view(view)?;
                Ok(ResultSet::default())
            }
            Some("CREATE") if words.iter().any(|word| word == "FUNCTION") => {
                let function = compile::function_ddl(sql, &words, &self.catalog)?;
                self.define_function(function)?;
                Ok(ResultSet::default())
            }
            Some(
                verb @ ("INSERT" | "UPDATE" | "DELETE" | "MERGE" | "DROP" | "TRUNCATE" | "CREATE"
                | "REPLACE" | "GRANT" | "REVOKE" | "OPTIMIZE" | "VACUUM"),
            ) => Err(SqlError::permission_denied(verb)),
            Some(other) => match sqlparser::parser::Parser::parse_sql(&DatabricksDialect {}, sql) {
                Ok(_) => Err(SqlError::unsupported(&format!("`{other}` statements"))),
                Err(error) => Err(SqlError::parse(error)),
            },
            None => Err(SqlError::parse("the statement is empty")),
        }
    }

    fn session(&self) -> Session<'_> {
        Session {
            catalog: &self.catalog,
            as_of: self.as_of,
            default_catalog: &self.default_catalog,
            default_schema: &self.default_schema,
        }
    }

    fn query(&mut self, sql: &str, params: &[SqlParam]) -> Result<ResultSet, SqlError> {
        if self.information_schema_stale {
            self.refresh_information_schema()?;
        }
        let translation = translate::translate(&self.session(), sql)?;
        let mut statement = self
            .conn
            .prepare(&translation.sql)
            .map_err(|error| self.map_sqlite_error(error, &translation.sql))?;
        let values = bind_values(&statement, params, &translation.parameters)?;
        let names: Vec<String> = statement.column_names().map(str::to_string).collect();
        let mut rows_out: Vec<Vec<SqlValue>> = Vec::new();
        let mut rows = statement
            .query(params_from_iter(values.iter()))
            .map_err(|error| self.map_sqlite_error(error, &translation.sql))?;
        while let Some(row) = rows
            .next()
            .map_err(|error| self.map_sqlite_error(error, &translation.sql))?
        {
            let values: Vec<SqlValue> = (0..names.len())
                .map(|index| {
                    row.get_ref(index)
                        .ok()
                        .and_then(|value| SqlValue::try_from(value).ok())
                        .unwrap_or(SqlValue::Null)
                })
                .collect();
            rows_out.push(values);
        }
        drop(rows);
        Ok(shape_result(&translation.columns, &names, rows_out))
    }

    fn map_sqlite_error(&self, error: rusqlite::Error, sql: &str) -> SqlError {
        let message = match &error {
            rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
            other => other.to_string(),
        };
        if let Some(rest) = message.strip_prefix('[')
            && let Some((class, detail)) = rest.split_once("] ")
        {
            let state = match class {
                "DIVIDE_BY_ZERO" => "22012",
                "CAST_INVALID_INPUT" => "22018",
                _ => "22000",
            };
            return SqlError::new(class, state, detail);
        }
        let message = message.split(" in ").next().unwrap_or_default().to_string();
        if let Some(column) = message.strip_prefix("no such column: ") {
            return self.unresolved_column(column, sql);
        }
        if let Some(column) = message.strip_prefix("ambiguous column name: ") {
            return SqlError::new(
                "AMBIGUOUS_REFERENCE",
                "42704",
                format!("Reference `{column}` is ambiguous; qualify it with a table alias."),
            );
        }
        if let Some(function) = message.strip_prefix("no such function: ") {
            return SqlError::unresolved_routine(function);
        }
        if message.starts_with("misuse of aggregate") || message.contains("GROUP BY") {
            return SqlError::new(
                "MISSING_AGGREGATION",
                "42803",
                format!("The query mixes aggregated and non-aggregated expressions: {message}."),
            );
        }
        SqlError::new(
            "INTERNAL_ERROR",
            "XX000",
            format!("The simulator could not run the translated query: {message}"),
        )
    }

    fn unresolved_column(&self, column: &str, sql: &str) -> SqlError {
        let wanted = column
            .rsplit('.')
            .next()
            .unwrap_or(column)
            .to_ascii_lowercase();
        let mut candidates: Vec<(f64, String)> = self
            .catalog
            .tables()
            .filter(|table| sql.contains(&translate::physical_name(&table.name)))
            .flat_map(|table| {
                table
                    .columns
                    .iter()
                    .map(move |c| format!("`{}`.`{}`", table.name.name, c.name))
            })
            .map(|name| {
                (
                    strsim::jaro_winkler(
                        &wanted,
                        name.rsplit('.')
                            .next()
                            .unwrap_or_default()
                            .trim_matches('`'),
                    ),
                    name,
                )
            })
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let suggestions: Vec<String> = candidates
            .into_iter()
            .take(5)
            .map(|(_, name)| name)
            .collect();
        SqlError::new(
            "UNRESOLVED_COLUMN.WITH_SUGGESTION",
            "42703",
            format!(
                "A column, variable, or function parameter with name `{column}` cannot be resolved. Did you mean one of the following? [{}].",
                suggestions.join(", ")
            ),
        )
    }

    fn create_table(&self, table: &Table) -> Result<(), SqlError> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|column| format!("\"{}\" {}", column.name, column.data_type.sql_name()))
            .collect();
        let name = translate::physical_name(&table.name);
        let sql = format!("CREATE TABLE \"{name}\" ({})", columns.join(", "));
        self.conn.execute_batch(&sql).map_err(internal)
    }

    /// Indexes key-like columns so joins stay fast.
    fn create_indexes(&self, table: &Table) -> Result<(), SqlError> {
        let name = translate::physical_name(&table.name);
        for column in table
            .columns
            .iter()
            .filter(|c| c.name.ends_with("_id") || c.name == "country")
        {
            let index = format!(
                "CREATE INDEX \"{name}.{0}\" ON \"{name}\" (\"{0}\")",
                column.name
            );
            self.conn.execute_batch(&index).map_err(internal)?;
        }
        Ok(())
    }

    fn load_rows(&self, table: &Table, rows: &[Vec<Value>]) -> Result<(), SqlError> {
        let placeholders = vec!["?"; table.columns.len()].join(", ");
        let sql = format!(
            "INSERT INTO \"{}\" VALUES ({placeholders})",
            translate::physical_name(&table.name)
        );
        let transaction = self.conn.unchecked_transaction().map_err(internal)?;
        {
            let mut insert = transaction.prepare(&sql).map_err(internal)?;
            for row in rows {
                insert
                    .execute(params_from_iter(row.iter().map(storage_value)))
                    .map_err(internal)?;
            }
        }
        transaction.commit().map_err(internal)
    }

    /// Rebuilds the `information_schema` tables of every catalog (and `system`) from the catalog.
    fn refresh_information_schema(&mut self) -> Result<(), SqlError> {
        let mut catalogs: BTreeSet<String> = self
            .catalog
            .tables()
            .map(|table| table.name.catalog.clone())
            .collect();
        catalogs.insert(self.default_catalog.clone());
        catalogs.insert("system".to_string());
        for catalog in &catalogs {
            let scope = (catalog != "system").then_some(catalog.as_str());
            self.write_information_schema(catalog, scope)?;
        }
        self.information_schema_stale = false;
        Ok(())
    }

    fn write_information_schema(&self, catalog: &str, only: Option<&str>) -> Result<(), SqlError> {
        let name = |table: &str| {
            translate::physical_name(&QualifiedName::new(catalog, "information_schema", table))
        };
        let (tables, columns, routines) = (name("tables"), name("columns"), name("routines"));
        let mut script = String::new();
        for (view, definition) in INFORMATION_SCHEMA {
            let physical = name(view);
            script.push_str(&format!(
                "DROP TABLE IF EXISTS \"{physical}\"; CREATE TABLE \"{physical}\" ({definition});\n"
            ));
        }
        self.conn.execute_batch(&script).map_err(internal)?;
        let visible = |name: &QualifiedName| only.is_none_or(|wanted| name.catalog == wanted);
        for table in self.catalog.tables().filter(|t| visible(&t.name)) {
            let n = &table.name;
            self.insert(
                &tables,
                &[&n.catalog, &n.schema, &n.name, table.kind.table_type()],
                &[table.comment.as_deref()],
            )?;
            for (position, column) in table.columns.iter().enumerate() {
                self.conn
                    .execute(
                        &format!("INSERT INTO \"{columns}\" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                        rusqlite::params![
                            n.catalog,
                            n.schema,
                            n.name,
                            column.name,
                            position as i64,
                            if column.nullable { "YES" } else { "NO" },
                            column.data_type.type_name(),
                            column.data_type.sql_name().to_ascii_lowercase(),
                            column.comment
                        ],
                    )
                    .map_err(internal)?;
            }
        }
        for view in self.catalog.metric_views().filter(|v| visible(&v.name)) {
            let n = &view.name;
            self.insert(
                &tables,
                &[&n.catalog, &n.schema, &n.name, "METRIC_VIEW"],
                &[view.comment.as_deref()],
            )?;
        }
        for function in self.catalog.functions().filter(|f| visible(&f.name)) {
            let n = &function.name;
            self.insert(
                &routines,
                &[
                    &n.catalog,
                    &n.schema,
                    &n.name,
                    "FUNCTION",
                    "TABLE",
                    &function.body,
                ],
                &[function.comment.as_deref()],
            )?;
        }
        for table in self.catalog.tables().filter(|t| visible(&t.name)) {
            self.write_constraints(table, &name)?;
            self.write_tags(table, &name)?;
        }
        Ok(())
    }

    /// `table_constraints`, `key_column_usage` and `constraint_column_usage` rows of a table's
    /// primary and foreign keys (for a foreign key, the usage rows name the parent's columns).
    fn write_constraints(
        &self,
        table: &Table,
        name: &impl Fn(&str) -> String,
    ) -> Result<(), SqlError> {
        let n = &table.name;
        let mut keys: Vec<KeyRows<'_>> = Vec::new();
        if let Some(pk) = &table.primary_key_name {
            keys.push(KeyRows {
                constraint: pk,
                kind: "PRIMARY KEY",
                own: &table.primary_key,
                parent: n,
                used: &table.primary_key,
            });
        }
        for fk in &table.foreign_keys {
            keys.push(KeyRows {
                constraint: &fk.name,
                kind: "FOREIGN KEY",
                own: &fk.columns,
                parent: &fk.referenced_table,
                used: &fk.referenced_columns,
            });
        }
        for KeyRows {
            constraint,
            kind,
            own,
            parent,
            used,
        } in keys
        {
            let owner = [n.catalog.as_str(), &n.schema, constraint];
            self.insert(
                &name("table_constraints"),
                &[
                    &owner[..],
                    &[&n.catalog, &n.schema, &n.name, kind, "NO", "NO", "NO"],
                ]
                .concat(),
                &[None],
            )?;
            for (position, column) in own.iter().enumerate() {
                let ordinal = (position + 1).to_string();
                let in_parent = (kind == "FOREIGN KEY").then_some(ordinal.as_str());
                self.insert(
                    &name("key_column_usage"),
                    &[
                        &owner[..],
                        &[&n.catalog, &n.schema, &n.name, column, &ordinal],
                    ]
                    .concat(),
                    &[in_parent],
                )?;
            }
            for column in used {
                self.insert(
                    &name("constraint_column_usage"),
                    &[
                        &[
                            parent.catalog.as_str(),
                            &parent.schema,
                            &parent.name,
                            column,
                        ][..],
                        &owner[..],
                    ]
                    .concat(),
                    &[],
                )?;
            }
        }
        Ok(())
    }

    /// `table_tags` and `column_tags` rows of a table.
    fn write_tags(&self, table: &Table, name: &impl Fn(&str) -> String) -> Result<(), SqlError> {
        let n = &table.name;
        for (key, value) in &table.tags {
            self.insert(
                &name("table_tags"),
                &[&n.catalog, &n.schema, &n.name, key, value],
                &[],
            )?;
        }
        for column in &table.columns {
            for (key, value) in &column.tags {
                self.insert(
                    &name("column_tags"),
                    &[&n.catalog, &n.schema, &n.name, &column.name, key, value],
                    &[],
                )?;
            }
        }
        Ok(())
    }

    fn insert(
        &self,
        table: &str,
        texts: &[&str],
        optional: &[Option<&str>],
    ) -> Result<(), SqlError> {
        let values: Vec<SqlValue> = texts
            .iter()
            .map(|text| SqlValue::Text(text.to_string()))
            .chain(
                optional
                    .iter()
                    .map(|text| text.map_or(SqlValue::Null, |t| SqlValue::Text(t.to_string()))),
            )
            .collect();
        let placeholders = vec!["?"; values.len()].join(", ");
        self.conn
            .execute(
                &format!("INSERT INTO \"{table}\" VALUES ({placeholders})"),
                params_from_iter(values.iter()),
            )
            .map_err(internal)?;
        Ok(())
    }

    fn ddl(&mut self, sql: &str) -> Result<(), SqlError> {
        let tokens = Tokens::new(sql)?;
        let statement = tokens.parse_ddl(&self.default_catalog, &self.default_schema)?;
        self.information_schema_stale = true;
        self.apply(statement)
    }

    fn apply(&mut self, statement: Ddl) -> Result<(), SqlError> {
        if let Ddl::Nullability(table, column, false) = &statement {
            self.require_no_nulls(table, column)?;
        }
        let catalog = &mut self.catalog;
        let result = match statement {
            Ddl::TableComment(table, comment) => catalog.set_table_comment(&table, comment),
            Ddl::ColumnComment(table, column, comment) => {
                catalog.set_column_comment(&table, &column, comment)
            }
            Ddl::SetTags(table, None, tags) => catalog.set_table_tags(&table, tags),
            Ddl::SetTags(table, Some(column), tags) => {
                catalog.set_column_tags(&table, &column, tags)
            }
            Ddl::UnsetTags(table, None, keys) => catalog.unset_table_tags(&table, &keys),
            Ddl::UnsetTags(table, Some(column), keys) => {
                catalog.unset_column_tags(&table, &column, &keys)
            }
            Ddl::Nullability(table, column, nullable) => {
                catalog.set_column_nullable(&table, &column, nullable)
            }
            Ddl::PrimaryKey(table, name, columns) => catalog.add_primary_key(&table, name, columns),
            Ddl::ForeignKey(table, key) => catalog
                .check_parent_key(&key)
                .and_then(|()| catalog.add_foreign_key(&table, key)),
            Ddl::Drop(table, target, drop) => drop_constraint(catalog, &table, &target, drop),
        };
        result.map_err(SqlError::from_catalog)
    }

    /// `SET NOT NULL` is refused while the column holds a NULL, as Databricks does.
    fn require_no_nulls(&self, table: &QualifiedName, column: &str) -> Result<(), SqlError> {
        if self.catalog.column(table, column).is_none() {
            return Ok(()); // the catalog reports the missing table or column
        }
        let sql = format!(
            "SELECT COUNT(*) FROM \"{}\" WHERE \"{}\" IS NULL",
            translate::physical_name(table),
            column.to_ascii_lowercase().replace('"', "")
        );
        let nulls: i64 = self
            .conn
            .query_row(&sql, [], |row| row.get(0))
            .map_err(internal)?;
        if nulls > 0 {
            return Err(SqlError::new(
                "DELTA_NOT_NULL_CONSTRAINT_VIOLATED",
                "23502",
                format!(
                    "Column `{column}` of `{table}` holds {nulls} NULL value(s); it cannot be set NOT NULL."
                ),
            ));
        }
        Ok(())
    }
}

/// Runs one `DROP` of a constraint; a missing constraint is an error unless `IF EXISTS`.
fn drop_constraint(
    catalog: &mut Catalog,
    table: &QualifiedName,
    target: &DropTarget,
    drop: DropOptions,
) -> Result<(), CatalogError> {
    let (found, constraint) = match target {
        DropTarget::PrimaryKey => (
            catalog.drop_primary_key(table, drop.behavior)?,
            "primary key".to_string(),
        ),
        DropTarget::ForeignKey(columns) => (
            catalog.drop_foreign_key(table, columns)?,
            format!("foreign key ({})", columns.join(", ")),
        ),
        DropTarget::Named(name) => (
            catalog.drop_constraint(table, name, drop.behavior)?,
            format!("constraint `{name}`"),
        ),
    };
    if found || drop.if_exists {
        return Ok(());
    }
    Err(CatalogError::ConstraintNotFound {
        table: table.clone(),
        constraint,
    })
}

/// One key of a table as the constraint views list it.
struct KeyRows<'a> {
    constraint: &'a str,
    kind: &'static str,
    /// The key's own columns (`key_column_usage`).
    own: &'a [String],
    /// The table and columns it uses (`constraint_column_usage`): a foreign key's parent.
    parent: &'a QualifiedName,
    used: &'a [String],
}

/// The simulated `information_schema` views and their columns, as Databricks names them.
pub(crate) const INFORMATION_SCHEMA: [(&str, &str); 8] = [
    (
        "tables",
        "table_catalog STRING, table_schema STRING, table_name STRING, table_type STRING, comment STRING",
    ),
    (
        "columns",
        "table_catalog STRING, table_schema STRING, table_name STRING, column_name STRING, ordinal_position INT, is_nullable STRING, data_type STRING, full_data_type STRING, comment STRING",
    ),
    (
        "routines",
        "routine_catalog STRING, routine_schema STRING, routine_name STRING, routine_type STRING, data_type STRING, routine_definition STRING, comment STRING",
    ),
    (
        "table_constraints",
        "constraint_catalog STRING, constraint_schema STRING, constraint_name STRING, table_catalog STRING, table_schema STRING, table_name STRING, constraint_type STRING, is_deferrable STRING, initially_deferred STRING, enforced STRING, comment STRING",
    ),
    (
        "key_column_usage",
        "constraint_catalog STRING, constraint_schema STRING, constraint_name STRING, table_catalog STRING, table_schema STRING, table_name STRING, column_name STRING, ordinal_position INT, position_in_unique_constraint INT",
    ),
    (
        "constraint_column_usage",
        "table_catalog STRING, table_schema STRING, table_name STRING, column_name STRING, constraint_catalog STRING, constraint_schema STRING, constraint_name STRING",
    ),
    (
        "table_tags",
        "catalog_name STRING, schema_name STRING, table_name STRING, tag_name STRING, tag_value STRING",
    ),
    (
        "column_tags",
        "catalog_name STRING, schema_name STRING, table_name STRING, column_name STRING, tag_name STRING, tag_value STRING",
    ),
];

/// The canonical SQLite storage of a generated cell.
fn storage_value(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Date(d) => SqlValue::Text(date_text(*d)),
        Value::Timestamp(t) => SqlValue::Text(timestamp_text(*t)),
    }
}

/// The first words of a statement, upper-cased (comments and whitespace skipped).
fn leading_words(sql: &str) -> Result<Vec<String>, SqlError> {
    let tokens = Tokenizer::new(&DatabricksDialect {}, sql)
        .tokenize()
        .map_err(SqlError::parse)?;
    Ok(tokens
        .iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .take(8)
        .map(|token| match token {
            Token::Word(word) => word.value.to_ascii_uppercase(),
            other => other.to_string(),
        })
        .collect())
}

/// Binds `:name` markers by name and type; a marker without a value is an error.
fn bind_values(
    statement: &rusqlite::Statement<'_>,
    params: &[SqlParam],
    used: &BTreeSet<String>,
) -> Result<Vec<SqlValue>, SqlError> {
    let mut values = vec![SqlValue::Null; statement.parameter_count()];
    for name in used {
        let param = params.iter().find(|param| param.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
            SqlError::new("UNBOUND_SQL_PARAMETER", "42P02", format!("Found the unbound parameter: {name}. Please fix `args` and provide a mapping of the parameter to a SQL literal."))
        })?;
        let Some(index) = statement
            .parameter_index(&format!(":{name}"))
            .ok()
            .flatten()
        else {
            continue;
        };
        if let Some(slot) = values.get_mut(index - 1) {
            *slot = param_value(param)?;
        }
    }
    Ok(values)
}

fn param_value(param: &SqlParam) -> Result<SqlValue, SqlError> {
    let Some(text) = &param.value else {
        return Ok(SqlValue::Null);
    };
    let data_type = param
        .type_name
        .as_deref()
        .map_or(Some(DataType::String), DataType::parse);
    let invalid = || {
        SqlError::new(
            "INVALID_PARAMETER_VALUE",
            "22023",
            format!(
                "The value '{text}' of parameter `{}` is not a valid {}.",
                param.name,
                param.type_name.as_deref().unwrap_or("STRING")
            ),
        )
    };
    match data_type {
        Some(DataType::String) => Ok(SqlValue::Text(text.clone())),
        Some(DataType::Int | DataType::BigInt) => text
            .trim()
            .parse()
            .map(SqlValue::Integer)
            .map_err(|_| invalid()),
        Some(DataType::Float | DataType::Double | DataType::Decimal { .. }) => text
            .trim()
            .parse()
            .map(SqlValue::Real)
            .map_err(|_| invalid()),
        Some(DataType::Boolean) => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(SqlValue::Integer(1)),
            "false" => Ok(SqlValue::Integer(0)),
            _ => Err(invalid()),
        },
        Some(DataType::Date) => runtime::parse_datetime(text)
            .map(|t| SqlValue::Text(date_text(t.date())))
            .ok_or_else(invalid),
        Some(DataType::Timestamp) => runtime::parse_datetime(text)
            .map(|t| SqlValue::Text(timestamp_text(t)))
            .ok_or_else(invalid),
        None => Err(invalid()),
    }
}

/// Names and types the result: the type inferred from the query, else one read off the values.
fn shape_result(
    inferred: &[OutputColumn],
    names: &[String],
    rows: Vec<Vec<SqlValue>>,
) -> ResultSet {
    let use_inferred = inferred.len() == names.len();
    let types: Vec<DataType> = (0..names.len())
        .map(|index| {
            let from_query = if use_inferred {
                inferred.get(index).and_then(|c| c.data_type)
            } else {
                None
            };
            from_query
                .unwrap_or_else(|| type_from_values(rows.iter().filter_map(|row| row.get(index))))
        })
        .collect();
    let columns = names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let name = if use_inferred {
                inferred.get(index).map_or(name.clone(), |c| c.name.clone())
            } else {
                name.clone()
            };
            ResultColumn {
                name,
                type_name: types
                    .get(index)
                    .map_or("STRING", |t| t.type_name())
                    .to_string(),
            }
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&types)
                .map(|(value, data_type)| render(&value, data_type))
        })
        .collect();
    ResultSet {
        columns,
        rows,
        truncated: false,
    }
}

fn type_from_values<'a>(values: impl Iterator<Item = &'a SqlValue>) -> DataType {
    let mut seen = DataType::String;
    for value in values {
        match value {
            SqlValue::Integer(_) if seen == DataType::String => seen = DataType::BigInt,
            SqlValue::Real(_) => seen = DataType::Double,
            SqlValue::Text(_) => return DataType::String,
            _ => {}
        }
    }
    seen
}

/// Renders one value as the Statement API does for its column type.
pub fn render(value: &SqlValue, data_type: &DataType) -> Option<String> {
    let rendered = match (value, data_type) {
        (SqlValue::Null, _) => return None,
        (SqlValue::Integer(i), DataType::Boolean) => {
            (if *i != 0 { "true" } else { "false" }).to_string()
        }
        (SqlValue::Integer(i), DataType::Float | DataType::Double) => {
            runtime::format_double(*i as f64)
        }
        (SqlValue::Integer(i), DataType::Decimal { scale, .. }) => {
            format!("{:.*}", usize::from(*scale), *i as f64)
        }
        (SqlValue::Integer(i), _) => i.to_string(),
        (SqlValue::Real(r), DataType::Int | DataType::BigInt) if r.fract() == 0.0 => {
            format!("{}", *r as i64)
        }
        (SqlValue::Real(r), DataType::Decimal { scale, .. }) => {
            format!("{:.*}", usize::from(*scale), r)
        }
        (SqlValue::Real(r), _) => runtime::format_double(*r),
        (SqlValue::Text(t), DataType::Date) => t.get(..10).unwrap_or(t).to_string(),
        (SqlValue::Text(t), DataType::Timestamp) => match runtime::parse_datetime(t) {
            Some(parsed) => parsed.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            None => t.clone(),
        },
        (SqlValue::Text(t), _) => t.clone(),
        (SqlValue::Blob(_), _) => "<binary>".to_string(),
    };
    Some(rendered)
}

/// A parsed metadata statement.
#[derive(Debug, Clone, PartialEq)]
enum Ddl {
    TableComment(QualifiedName, Option<String>),
    ColumnComment(QualifiedName, String, Option<String>),
    SetTags(QualifiedName, Option<String>, Tags),
    UnsetTags(QualifiedName, Option<String>, Vec<String>),
    /// `ALTER COLUMN c { SET | DROP } NOT NULL`: whether the column may hold NULL.
    Nullability(QualifiedName, String, bool),
    PrimaryKey(QualifiedName, Option<String>, Vec<String>),
    ForeignKey(QualifiedName, ForeignKey),
    Drop(QualifiedName, DropTarget, DropOptions),
}

/// What `ALTER TABLE … DROP` removes.
#[derive(Debug, Clone, PartialEq)]
enum DropTarget {
    PrimaryKey,
    /// The foreign key on exactly these columns.
    ForeignKey(Vec<String>),
    /// A primary or foreign key by constraint name.
    Named(String),
}

/// `IF EXISTS` and `RESTRICT | CASCADE` of a `DROP`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DropOptions {
    if_exists: bool,
    behavior: DropBehavior,
}

/// A cursor over the significant tokens of a DDL statement.
struct Tokens {
    tokens: Vec<Token>,
    position: usize,
}

impl Tokens {
    fn new(sql: &str) -> Result<Self, SqlError> {
        let tokens = Tokenizer::new(&DatabricksDialect {}, sql)
            .tokenize()
            .map_err(SqlError::parse)?;
        let tokens = tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon | Token::EOF))
            .collect();
        Ok(Self {
            tokens,
            position: 0,
        })
    }

    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.position) {
            Some(Token::Word(word)) if word.quote_style.is_none() => {
                Some(word.value.to_ascii_uppercase())
            }
            _ => None,
        }
    }

    fn accept(&mut self, keyword: &str) -> bool {
        if self.peek_word().as_deref() == Some(keyword) {
            self.position += 1;
            return true;
        }
        false
    }

    fn expect(&mut self, keyword: &str) -> Result<(), SqlError> {
        if self.accept(keyword) {
            return Ok(());
        }
        Err(SqlError::parse(format!(
            "expected {keyword} near {}",
            self.here()
        )))
    }

    fn here(&self) -> String {
        self.tokens
            .get(self.position)
            .map_or("the end of the statement".to_string(), |t| format!("'{t}'"))
    }

    fn expect_token(&mut self, wanted: &Token) -> Result<(), SqlError> {
        if self.tokens.get(self.position) == Some(wanted) {
            self.position += 1;
            return Ok(());
        }
        Err(SqlError::parse(format!(
            "expected '{wanted}' near {}",
            self.here()
        )))
    }

    fn identifier(&mut self) -> Result<String, SqlError> {
        match self.tokens.get(self.position) {
            Some(Token::Word(word)) => {
                self.position += 1;
                Ok(word.value.to_ascii_lowercase())
            }
            _ => Err(SqlError::parse(format!(
                "expected a name near {}",
                self.here()
            ))),
        }
    }

    fn dotted_name(&mut self) -> Result<Vec<String>, SqlError> {
        let mut parts = vec![self.identifier()?];
        while self.tokens.get(self.position) == Some(&Token::Period) {
            self.position += 1;
            parts.push(self.identifier()?);
        }
        Ok(parts)
    }

    fn string(&mut self) -> Result<String, SqlError> {
        match self.tokens.get(self.position) {
            Some(Token::SingleQuotedString(text) | Token::DoubleQuotedString(text)) => {
                self.position += 1;
                Ok(text.clone())
            }
            _ => Err(SqlError::parse(format!(
                "expected a string literal near {}",
                self.here()
            ))),
        }
    }

    fn string_or_null(&mut self) -> Result<Option<String>, SqlError> {
        if self.accept("NULL") {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        self.expect_token(&Token::LParen)?;
        let mut items = vec![item(self)?];
        while self.tokens.get(self.position) == Some(&Token::Comma) {
            self.position += 1;
            items.push(item(self)?);
        }
        self.expect_token(&Token::RParen)?;
        Ok(items)
    }

    fn finish<T>(&self, value: T) -> Result<T, SqlError> {
        if self.position < self.tokens.len() {
            return Err(SqlError::parse(format!(
                "unexpected {} at the end of the statement",
                self.here()
            )));
        }
        Ok(value)
    }

    /// `SET NOT NULL` → `Some(false)`, `DROP NOT NULL` → `Some(true)`, else `None` (nothing
    /// consumed). Other `DROP` forms of a column (`DEFAULT`, `MASK`) are not simulated.
    fn not_null_change(&mut self) -> Result<Option<bool>, SqlError> {
        let start = self.position;
        let nullable = if self.accept("SET") {
            false
        } else if self.accept("DROP") {
            true
        } else {
            return Ok(None);
        };
        if self.accept("NOT") {
            self.expect("NULL")?;
            return Ok(Some(nullable));
        }
        if nullable {
            return Err(SqlError::unsupported(&format!(
                "ALTER COLUMN … DROP {} (only DROP NOT NULL is simulated)",
                self.here()
            )));
        }
        self.position = start; // `SET TAGS`, handled by the caller
        Ok(None)
    }

    /// After `DROP`: `PRIMARY KEY [IF EXISTS] [RESTRICT | CASCADE]`,
    /// `FOREIGN KEY [IF EXISTS] (columns)` or `CONSTRAINT [IF EXISTS] name [RESTRICT | CASCADE]`.
    fn drop_clause(&mut self) -> Result<(DropTarget, DropOptions), SqlError> {
        if self.accept("PRIMARY") {
            self.expect("KEY")?;
            let if_exists = self.if_exists()?;
            return Ok((DropTarget::PrimaryKey, self.drop_options(if_exists)));
        }
        if self.accept("FOREIGN") {
            self.expect("KEY")?;
            let if_exists = self.if_exists()?;
            let columns = self.list(Tokens::identifier)?;
            let options = DropOptions {
                if_exists,
                behavior: DropBehavior::Restrict,
            };
            return Ok((DropTarget::ForeignKey(columns), options));
        }
        if self.accept("CONSTRAINT") {
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            return Ok((DropTarget::Named(name), self.drop_options(if_exists)));
        }
        Err(SqlError::unsupported(&format!(
            "ALTER TABLE … DROP {} (only PRIMARY KEY, FOREIGN KEY and CONSTRAINT are simulated)",
            self.here()
        )))
    }

    fn if_exists(&mut self) -> Result<bool, SqlError> {
        if !self.accept("IF") {
            return Ok(false);
        }
        self.expect("EXISTS")?;
        Ok(true)
    }

    /// The optional `RESTRICT | CASCADE` (default `RESTRICT`).
    fn drop_options(&mut self, if_exists: bool) -> DropOptions {
        let behavior = if self.accept("CASCADE") {
            DropBehavior::Cascade
        } else {
            self.accept("RESTRICT");
            DropBehavior::Restrict
        };
        DropOptions {
            if_exists,
            behavior,
        }
    }

    fn parse_ddl(mut self, catalog: &str, schema: &str) -> Result<Ddl, SqlError> {
        let qualify = |parts: &[String]| -> Result<QualifiedName, SqlError> {
            match parts {
                [t] => Ok(QualifiedName::new(catalog, schema, t)),
                [s, t] => Ok(QualifiedName::new(catalog, s, t)),
                [c, s, t] => Ok(QualifiedName::new(c, s, t)),
                _ => Err(SqlError::parse(format!(
                    "`{}` is not a table name",
                    parts.join(".")
                ))),
            }
        };
        if self.accept("COMMENT") {
            self.expect("ON")?;
            if self.accept("COLUMN") {
                let parts = self.dotted_name()?;
                let (column, table) = parts
                    .split_last()
                    .ok_or_else(|| SqlError::parse("missing column name"))?;
                let table = qualify(table)?;
                self.expect("IS")?;
                let comment = self.string_or_null()?;
                return self.finish(Ddl::ColumnComment(table, column.clone(), comment));
            }
            if !(self.accept("TABLE") || self.accept("VIEW")) {
                return Err(SqlError::unsupported(&format!(
                    "COMMENT ON {}",
                    self.here()
                )));
            }
            let table = qualify(&self.dotted_name()?)?;
            self.expect("IS")?;
            let comment = self.string_or_null()?;
            return self.finish(Ddl::TableComment(table, comment));
        }
        self.expect("ALTER")?;
        if !(self.accept("TABLE") || self.accept("VIEW")) {
            return Err(SqlError::unsupported(&format!("ALTER {}", self.here())));
        }
        let table = qualify(&self.dotted_name()?)?;
        let column = if self.accept("ALTER") || self.accept("CHANGE") {
            self.accept("COLUMN");
            Some(self.identifier()?)
        } else {
            None
        };
        if let Some(column) = &column
            && self.accept("COMMENT")
        {
            let comment = self.string()?;
            return self.finish(Ddl::ColumnComment(table, column.clone(), Some(comment)));
        }
        if let Some(column) = &column
            && let Some(nullable) = self.not_null_change()?
        {
            return self.finish(Ddl::Nullability(table, column.clone(), nullable));
        }
        if column.is_none() && self.accept("DROP") {
            let (target, drop) = self.drop_clause()?;
            return self.finish(Ddl::Drop(table, target, drop));
        }
        if self.accept("SET") {
            self.expect("TAGS")?;
            let pairs = self.list(|tokens| {
                let key = tokens.string()?;
                tokens.expect_token(&Token::Eq)?;
                Ok((key, tokens.string()?))
            })?;
            return self.finish(Ddl::SetTags(table, column, pairs.into_iter().collect()));
        }
        if self.accept("UNSET") {
            self.expect("TAGS")?;
            let keys = self.list(Tokens::string)?;
            return self.finish(Ddl::UnsetTags(table, column, keys));
        }
        if column.is_none() && self.accept("ADD") {
            let name = if self.accept("CONSTRAINT") {
                Some(self.identifier()?)
            } else {
                None
            };
            if self.accept("PRIMARY") {
                self.expect("KEY")?;
                let columns = self.list(Tokens::identifier)?;
                self.accept("RELY");
                return self.finish(Ddl::PrimaryKey(table, name, columns));
            }
            self.expect("FOREIGN")?;
            self.expect("KEY")?;
            let columns = self.list(Tokens::identifier)?;
            self.expect("REFERENCES")?;
            let referenced_table = qualify(&self.dotted_name()?)?;
            let referenced_columns = self.list(Tokens::identifier)?;
            self.accept("RELY");
            let name = name.unwrap_or_else(|| format!("{}_{}_fk", table.name, columns.join("_")));
            return self.finish(Ddl::ForeignKey(
                table,
                ForeignKey {
                    name,
                    columns,
                    referenced_table,
                    referenced_columns,
                },
            ));
        }
        let _ = Keyword::NoKeyword;
        Err(SqlError::unsupported(&format!(
            "this ALTER TABLE form (near {})",
            self.here()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::data::default_as_of;

    const VIEWS: [&str; 8] = [
        "tables",
        "columns",
        "routines",
        "table_constraints",
        "key_column_usage",
        "constraint_column_usage",
        "table_tags",
        "column_tags",
    ];

    fn engine() -> SqlEngine {
        SqlEngine::wanderbricks(42, default_as_of()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(engine: &mut SqlEngine, statements: &[&str]) {
        for sql in statements {
            if let Err(error) = engine.execute(sql, &[]) {
                panic!("{sql}: {error}");
            }
        }
    }

    /// Every row of every information_schema view, sorted.
    fn information_schema(engine: &mut SqlEngine) -> Vec<(String, Vec<Vec<Option<String>>>)> {
        VIEWS
            .iter()
            .map(|view| {
                let sql = format!("SELECT * FROM system.information_schema.{view}");
                let mut rows = engine
                    .execute(&sql, &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .rows
                    .to_vecs();
                rows.sort();
                (view.to_string(), rows)
            })
            .collect()
    }

    const BOOKINGS: &str = "main.wanderbricks.bookings";
    const PROPERTIES: &str = "main.wanderbricks.properties";

    #[test]
    fn the_inverse_statements_restore_information_schema_exactly() {
        let mut engine = engine();
        let before = information_schema(&mut engine);
        run(
            &mut engine,
            &[
                &format!("COMMENT ON TABLE {BOOKINGS} IS 'One row per booking'"),
                &format!("ALTER TABLE {BOOKINGS} SET TAGS ('domain' = 'sales')"),
                &format!("ALTER TABLE {BOOKINGS} ALTER COLUMN status SET TAGS ('enum' = 'yes')"),
                &format!("ALTER TABLE {BOOKINGS} ALTER COLUMN check_in SET NOT NULL"),
                &format!(
                    "ALTER TABLE {PROPERTIES} ADD CONSTRAINT `pk_properties` PRIMARY KEY (`property_id`)"
                ),
                &format!(
                    "ALTER TABLE {BOOKINGS} ADD CONSTRAINT `fk_bookings_property_id` FOREIGN KEY (`property_id`) REFERENCES {PROPERTIES} (`property_id`)"
                ),
                &format!("ALTER TABLE {BOOKINGS} ADD PRIMARY KEY (booking_id)"),
            ],
        );
        assert_ne!(information_schema(&mut engine), before);
        run(
            &mut engine,
            &[
                &format!("ALTER TABLE {BOOKINGS} DROP FOREIGN KEY IF EXISTS (`property_id`)"),
                &format!("ALTER TABLE {PROPERTIES} DROP CONSTRAINT pk_properties"),
                &format!("ALTER TABLE {BOOKINGS} DROP PRIMARY KEY"),
                &format!("ALTER TABLE {BOOKINGS} ALTER COLUMN check_in DROP NOT NULL"),
                &format!("ALTER TABLE {BOOKINGS} ALTER COLUMN status UNSET TAGS ('enum')"),
                &format!("ALTER TABLE {BOOKINGS} UNSET TAGS ('domain')"),
                &format!("COMMENT ON TABLE {BOOKINGS} IS NULL"),
            ],
        );
        assert_eq!(information_schema(&mut engine), before);
    }

    #[test]
    fn declared_keys_show_up_in_the_constraint_views() {
        let mut engine = engine();
        run(
            &mut engine,
            &[
                &format!(
                    "ALTER TABLE {PROPERTIES} ADD CONSTRAINT pk_properties PRIMARY KEY (property_id)"
                ),
                &format!(
                    "ALTER TABLE {BOOKINGS} ADD CONSTRAINT fk_b_p FOREIGN KEY (property_id) REFERENCES {PROPERTIES} (property_id)"
                ),
            ],
        );
        let usage = engine
            .execute(
                "SELECT table_name, column_name, constraint_name FROM system.information_schema.constraint_column_usage ORDER BY constraint_name",
                &[],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let rows = usage.rows.to_vecs();
        let row = |t: &str, c: &str, n: &str| vec![Some(t.into()), Some(c.into()), Some(n.into())];
        assert_eq!(
            rows,
            vec![
                row("properties", "property_id", "fk_b_p"),
                row("properties", "property_id", "pk_properties")
            ]
        );
    }

    #[test]
    fn dropping_a_missing_constraint_is_an_error_unless_if_exists() {
        let mut engine = engine();
        let error = engine
            .execute(
                &format!("ALTER TABLE {BOOKINGS} DROP FOREIGN KEY (property_id)"),
                &[],
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("has no foreign key (property_id)"),
            "{error}"
        );
        run(
            &mut engine,
            &[
                &format!("ALTER TABLE {BOOKINGS} DROP FOREIGN KEY IF EXISTS (property_id)"),
                &format!("ALTER TABLE {BOOKINGS} DROP PRIMARY KEY IF EXISTS"),
                &format!("ALTER TABLE {BOOKINGS} DROP CONSTRAINT IF EXISTS nope CASCADE"),
            ],
        );
    }

    #[test]
    fn a_foreign_key_to_anything_but_the_parents_primary_key_is_refused() {
        let mut engine = engine();
        let add_fk = format!(
            "ALTER TABLE {BOOKINGS} ADD CONSTRAINT fk_b_p FOREIGN KEY (property_id) REFERENCES {PROPERTIES} (property_id)"
        );
        let refused = |engine: &mut SqlEngine| {
            engine
                .execute(&add_fk, &[])
                .err()
                .map(|e| (e.error_class.clone(), e.to_string()))
                .unwrap_or_default()
        };
        let (code, message) = refused(&mut engine);
        assert_eq!(code, "UC_REFERENTIAL_CONSTRAINT_DOES_NOT_EXIST");
        assert!(
            message.contains("does not have either a primary key constraint"),
            "{message}"
        );
        run(
            &mut engine,
            &[
                &format!("ALTER TABLE {PROPERTIES} ALTER COLUMN host_id SET NOT NULL"),
                &format!("ALTER TABLE {PROPERTIES} ADD PRIMARY KEY (host_id)"),
            ],
        );
        let (_, message) = refused(&mut engine);
        assert!(
            message.contains("(property_id) are not the primary key (host_id)"),
            "{message}"
        );
        let bookings = QualifiedName::new("main", "wanderbricks", "bookings");
        let keys = engine
            .catalog()
            .table(&bookings)
            .map(|t| t.foreign_keys.len());
        assert_eq!(keys, Some(0));
    }

    #[test]
    fn a_primary_key_over_a_nullable_column_is_refused_until_the_column_is_not_null() {
        let mut engine = engine();
        let add_key = format!("ALTER TABLE {PROPERTIES} ADD CONSTRAINT pk_p PRIMARY KEY (host_id)");
        let error = engine.execute(&add_key, &[]).err();
        let (class, message) = error
            .map(|e| (e.error_class.clone(), e.to_string()))
            .unwrap_or_default();
        assert_eq!(class, "PRIMARY_KEY_COLUMN_NULLABLE");
        assert!(
            message.contains(
                "Cannot create the primary key `pk_p` because its child column(s) `host_id` is nullable"
            ),
            "{message}"
        );
        run(
            &mut engine,
            &[
                &format!("ALTER TABLE {PROPERTIES} ALTER COLUMN host_id SET NOT NULL"),
                &add_key,
            ],
        );
        let properties = QualifiedName::new("main", "wanderbricks", "properties");
        let key = engine
            .catalog()
            .table(&properties)
            .map(|t| t.primary_key.clone());
        assert_eq!(key, Some(vec!["host_id".to_owned()]));
    }

    #[test]
    fn a_referenced_primary_key_is_kept_unless_the_drop_cascades() {
        let mut engine = engine();
        run(
            &mut engine,
            &[
                &format!("ALTER TABLE {PROPERTIES} ADD PRIMARY KEY (property_id)"),
                &format!(
                    "ALTER TABLE {BOOKINGS} ADD CONSTRAINT fk_b_p FOREIGN KEY (property_id) REFERENCES {PROPERTIES} (property_id)"
                ),
            ],
        );
        let error = engine
            .execute(
                &format!("ALTER TABLE {PROPERTIES} DROP PRIMARY KEY RESTRICT"),
                &[],
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("referenced by foreign key `fk_b_p`"),
            "{error}"
        );
        let again = engine
            .execute(
                &format!("ALTER TABLE {PROPERTIES} ADD PRIMARY KEY (property_id)"),
                &[],
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            again.contains("already has a primary key (`properties_pk`)"),
            "{again}"
        );
        run(
            &mut engine,
            &[&format!(
                "ALTER TABLE {PROPERTIES} DROP CONSTRAINT properties_pk CASCADE"
            )],
        );
        let catalog = engine.catalog();
        let bookings = QualifiedName::new("main", "wanderbricks", "bookings");
        assert!(
            catalog
                .table(&bookings)
                .is_some_and(|t| t.foreign_keys.is_empty())
        );
    }
}
