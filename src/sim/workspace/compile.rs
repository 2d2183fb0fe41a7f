//! Compiling the repository's durable lever files into the simulated Unity Catalog's objects:
//! a metric view's YAML ([`crate::model::metric_view`]) into a catalog [`MetricView`], a SQL
//! function file ([`crate::model::function`]) into a catalog [`SqlFunction`], and a lever-1
//! tables file ([`crate::model::tables`]) into comments, tags and keys on existing tables.
//!
//! The same compilers serve two callers: loading a repository (errors keep the file's
//! `file:line:col` diagnostics) and the SQL engine's `CREATE VIEW … WITH METRICS` and
//! `CREATE FUNCTION` statements ([`metric_view_ddl`], [`function_ddl`]), which fail the way
//! Databricks fails a statement. Text given here must have its `${…}` templates resolved.

use thiserror::Error;

use crate::model::diag::Diagnostic;
use crate::model::function::{self, Returns};
use crate::model::metric_view::{self, Join};
use crate::model::tables::{TableMeta, TablesFile};
use crate::sim::catalog::{
    Catalog, DataType, ForeignKey, FunctionParam, MetricField, MetricJoin, MetricView,
    QualifiedName, ReturnColumn, SqlFunction,
};
use crate::sim::engine::SqlError;

/// Why a durable file cannot become a catalog object.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CompileError {
    /// The file does not read: its diagnostics, errors first.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
    /// It reads, but names something the simulated catalog cannot hold or does not have.
    #[error("{file}: {message}")]
    Unsupported {
        /// The file (or `<statement>` for SQL text).
        file: String,
        /// What is wrong and what to do.
        message: String,
    },
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl CompileError {
    fn unsupported(file: &str, message: impl Into<String>) -> Self {
        Self::Unsupported {
            file: file.to_owned(),
            message: message.into(),
        }
    }

    /// The error as a failed statement: syntax problems are `PARSE_SYNTAX_ERROR`, the rest
    /// `UNSUPPORTED_FEATURE` or a missing table.
    fn into_sql_error(self) -> SqlError {
        match self {
            CompileError::Invalid(diagnostics) => {
                let first = diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .or(diagnostics.first());
                SqlError::parse(first.map_or_else(String::new, |d| d.message.clone()))
            }
            CompileError::Unsupported { message, .. } => SqlError::new(
                "UNSUPPORTED_FEATURE",
                "0A000",
                format!("The simulator cannot create this object: {message}."),
            ),
        }
    }
}

/// A three-part name, or an error naming the file.
fn qualified(file: &str, name: &str, what: &str) -> Result<QualifiedName, CompileError> {
    QualifiedName::parse(name).ok_or_else(|| {
        CompileError::unsupported(
            file,
            format!("the {what} `{name}` is not a three-part name catalog.schema.name"),
        )
    })
}

/// A source as the catalog stores it: a three-part table name normalized, anything else as
/// written (a SQL query).
fn source_name(source: &str) -> String {
    QualifiedName::parse(source).map_or_else(|| source.trim().to_owned(), |n| n.to_string())
}

/// Reads a metric view file (either form; `identifier` names a bare-YAML one) into a catalog
/// metric view.
pub fn metric_view(
    file: &str,
    text: &str,
    identifier: Option<&str>,
) -> Result<MetricView, CompileError> {
    let loaded = metric_view::load(file, text, identifier);
    if loaded.has_errors() {
        return Err(CompileError::Invalid(loaded.diagnostics));
    }
    let parsed = loaded.value;
    let view = parsed.view;
    if view.measures.iter().any(|m| !m.window.is_empty()) {
        return Err(CompileError::unsupported(
            file,
            "window measures are not supported by the simulator; remove `window:`",
        ));
    }
    let mut joins = Vec::new();
    flatten_joins(&view.joins, "source", &mut joins);
    let field = |f: &metric_view::Field| MetricField {
        name: f.name.clone(),
        expr: f.expr.clone(),
        comment: f.comment.clone(),
        display_name: f.display_name.clone(),
        synonyms: f.synonyms.clone(),
    };
    Ok(MetricView {
        name: qualified(file, &parsed.identifier, "metric view")?,
        comment: view.comment.clone(),
        source: source_name(&view.source),
        filter: view.filter.clone(),
        joins,
        dimensions: view.dimensions.iter().map(field).collect(),
        measures: view.measures.iter().map(field).collect(),
    })
}

/// Star-schema joins, parents before children; `using` becomes an equality on each column
/// between the parent (`source` at the top) and the join.
fn flatten_joins(joins: &[Join], parent: &str, out: &mut Vec<MetricJoin>) {
    for join in joins {
        let on = join.on.clone().unwrap_or_else(|| {
            join.using
                .iter()
                .map(|c| format!("{parent}.{c} = {}.{c}", join.name))
                .collect::<Vec<_>>()
                .join(" AND ")
        });
        out.push(MetricJoin {
            name: join.name.clone(),
            source: source_name(&join.source),
            on,
        });
        flatten_joins(&join.joins, &join.name, out);
    }
}

/// Reads a SQL table function file into a catalog function (signature, COMMENT and body).
pub fn function(file: &str, text: &str) -> Result<SqlFunction, CompileError> {
    let parsed = function::parse(file, text).map_err(|d| CompileError::Invalid(vec![d]))?;
    let Returns::Table(columns) = &parsed.returns else {
        return Err(CompileError::unsupported(
            file,
            "only table functions (`RETURNS TABLE (…)`) are supported by the simulator",
        ));
    };
    let data_type = |name: &str, written: &str| {
        DataType::parse(written).ok_or_else(|| {
            CompileError::unsupported(
                file,
                format!("`{name}` has the unsupported type `{written}`"),
            )
        })
    };
    let params = parsed
        .params
        .iter()
        .map(|p| {
            Ok(FunctionParam {
                name: p.name.clone(),
                data_type: data_type(&p.name, &p.data_type)?,
                default: p.default.clone(),
                comment: p.comment.as_ref().map(|c| c.value.clone()),
            })
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let returns = columns
        .iter()
        .map(|c| {
            Ok(ReturnColumn {
                name: c.name.clone(),
                data_type: data_type(&c.name, &c.data_type)?,
                comment: c.comment.clone(),
            })
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let body = text
        .get(parsed.body.0..parsed.body.1)
        .unwrap_or_default()
        .trim()
        .trim_end_matches(';')
        .trim_end();
    if body.is_empty() {
        return Err(CompileError::unsupported(
            file,
            "the function has no body after RETURN",
        ));
    }
    Ok(SqlFunction {
        name: qualified(file, &parsed.identifier, "function")?,
        params,
        returns,
        comment: parsed.comment.map(|c| c.value),
        body: body.to_owned(),
    })
}

/// Applies a lever-1 file to the catalog: table and column comments, tags, primary keys and
/// foreign keys. Synonyms have no Unity Catalog form (Genie reads them from the space). A table
/// or column the catalog does not have is an error naming it.
pub fn apply_tables(
    file: &str,
    tables: &TablesFile,
    catalog: &mut Catalog,
) -> Result<(), CompileError> {
    for table in &tables.tables {
        apply_table(file, table, catalog)?;
    }
    Ok(())
}

fn apply_table(file: &str, meta: &TableMeta, catalog: &mut Catalog) -> Result<(), CompileError> {
    let name = qualified(file, &meta.name, "table")?;
    let missing = |e: crate::sim::catalog::CatalogError| {
        CompileError::unsupported(
            file,
            format!("{e} in the simulated catalog (it serves the Wanderbricks-lite tables only)"),
        )
    };
    if meta.comment.is_some() {
        catalog
            .set_table_comment(&name, meta.comment.clone())
            .map_err(missing)?;
    }
    if !meta.tags.is_empty() {
        catalog
            .set_table_tags(&name, meta.tags.clone())
            .map_err(missing)?;
    }
    if !meta.primary_key.is_empty() {
        catalog
            .set_primary_key(&name, meta.primary_key.clone())
            .map_err(missing)?;
    }
    for column in &meta.columns {
        if column.comment.is_some() {
            catalog
                .set_column_comment(&name, &column.name, column.comment.clone())
                .map_err(missing)?;
        }
        if !column.tags.is_empty() {
            catalog
                .set_column_tags(&name, &column.name, column.tags.clone())
                .map_err(missing)?;
        }
    }
    for fk in &meta.foreign_keys {
        let key = ForeignKey {
            name: fk.constraint_name(&meta.name),
            columns: fk.columns.clone(),
            referenced_table: qualified(file, &fk.table, "referenced table")?,
            referenced_columns: fk.ref_columns.clone(),
        };
        catalog.add_foreign_key(&name, key).map_err(missing)?;
    }
    Ok(())
}

/// Whether a `CREATE` statement is `CREATE [OR REPLACE] VIEW … WITH METRICS …` (the words may sit past
/// a long view name, so the whole text is searched).
pub fn is_metric_view_ddl(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    words.contains(&"VIEW") && words.windows(2).any(|pair| pair == ["WITH", "METRICS"])
}

/// Whether a `CREATE` statement says `OR REPLACE`.
fn replaces(words: &[String]) -> bool {
    matches!(words, [_, or, replace, ..] if or == "OR" && replace == "REPLACE")
}

/// `CREATE [OR REPLACE] VIEW … WITH METRICS LANGUAGE YAML AS $$ … $$` as a statement: the
/// compiled view, checked against `catalog` (its source table exists; without `OR REPLACE` the
/// name is free). `words` are the statement's first words, upper-cased.
pub fn metric_view_ddl(
    sql: &str,
    words: &[String],
    catalog: &Catalog,
) -> Result<MetricView, SqlError> {
    let view = metric_view("<statement>", sql, None).map_err(CompileError::into_sql_error)?;
    if let Some(source) = QualifiedName::parse(&view.source)
        && !catalog.has_relation(&source)
    {
        return Err(SqlError::table_not_found(&source.to_string()));
    }
    if !replaces(words) && catalog.has_relation(&view.name) {
        return Err(SqlError::new(
            "TABLE_OR_VIEW_ALREADY_EXISTS",
            "42P07",
            format!(
                "Cannot create table or view `{}` because it already exists. Use CREATE OR REPLACE.",
                view.name
            ),
        ));
    }
    Ok(view)
}

/// `CREATE [OR REPLACE] FUNCTION … RETURNS TABLE … RETURN …` as a statement: the compiled
/// function; without `OR REPLACE` the name must be free.
pub fn function_ddl(
    sql: &str,
    words: &[String],
    catalog: &Catalog,
) -> Result<SqlFunction, SqlError> {
    let function = function("<statement>", sql).map_err(CompileError::into_sql_error)?;
    if !replaces(words) && catalog.function(&function.name).is_some() {
        return Err(SqlError::new(
            "ROUTINE_ALREADY_EXISTS",
            "42723",
            format!(
                "Cannot create the routine `{}` because it already exists. Use CREATE OR REPLACE.",
                function.name
            ),
        ));
    }
    Ok(function)
}
