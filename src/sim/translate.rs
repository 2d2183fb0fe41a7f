//! Databricks SQL → SQLite SQL, through the sqlparser AST (`DatabricksDialect`).
//!
//! Two passes over a query. The *structural* pass stays in Databricks SQL: it expands metric-view
//! queries (`MEASURE(m)`, dimensions by name, the view's joins and filter), inlines SQL table
//! functions from their stored bodies, turns `QUALIFY` into a filtered subquery and `GROUP BY
//! ALL` into explicit expressions. Output column names and Databricks types are then inferred
//! from that AST. The *dialect* pass maps names to SQLite tables and rewrites expressions
//! (dates, intervals, casts, division, ILIKE/RLIKE, literals) onto the functions of
//! [`runtime`]. Anything else fails with a Databricks-style error instead of running differently.

pub mod runtime;
mod structure;
mod types;

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use sqlparser::ast::{
    BinaryOperator, CastKind, DateTimeField, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, SelectItem,
    SetExpr, TableAlias, TableFactor, UnaryOperator, Value, VisitMut, VisitorMut,
};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::Parser;

use crate::sim::catalog::{Catalog, DataType, QualifiedName};
use crate::sim::data::{date_text, timestamp_text};
use crate::sim::engine::SqlError;

pub use types::OutputColumn;

/// A query ready for SQLite, with the Databricks names and types of its result columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub sql: String,
    /// Names and types inferred from the Databricks query; empty when they could not be.
    pub columns: Vec<OutputColumn>,
    /// Named parameters (`:name`) the query uses.
    pub parameters: BTreeSet<String>,
}

/// What the translator needs to know about the session.
#[derive(Debug, Clone, Copy)]
pub struct Session<'a> {
    pub catalog: &'a Catalog,
    /// The pinned "today" (`CURRENT_DATE`).
    pub as_of: NaiveDate,
    /// Catalog and schema for one- and two-part names.
    pub default_catalog: &'a str,
    pub default_schema: &'a str,
}

/// The SQLite table holding a catalog relation (or an `information_schema` view).
pub fn physical_name(name: &QualifiedName) -> String {
    name.to_string()
}

/// Parses one Databricks statement.
pub fn parse_query(sql: &str) -> Result<Query, SqlError> {
    let mut statements = Parser::parse_sql(&DatabricksDialect {}, sql).map_err(SqlError::parse)?;
    if statements.len() != 1 {
        return Err(SqlError::parse(format!(
            "expected exactly one statement, found {}",
            statements.len()
        )));
    }
    match statements.pop() {
        Some(sqlparser::ast::Statement::Query(query)) => Ok(*query),
        Some(other) => Err(SqlError::unsupported(&format!(
            "the statement `{}`",
            first_words(&other.to_string())
        ))),
        None => Err(SqlError::parse("empty statement")),
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Translates a Databricks query into SQLite SQL.
pub fn translate(session: &Session<'_>, sql: &str) -> Result<Translation, SqlError> {
    let mut query = parse_query(sql)?;
    structure::expand(session, &mut query)?;
    let columns = types::output_columns(session, &query);
    types::alias_top_level(&mut query, &columns);
    let mut dialect = DialectPass::new(session, &query);
    if let ControlFlow::Break(error) = query.visit(&mut dialect) {
        return Err(error);
    }
    reject_leftovers(&mut query)?;
    Ok(Translation {
        sql: query.to_string(),
        columns,
        parameters: dialect.parameters,
    })
}

/// Every CTE name in the query, lower-cased: one-part names matching them are not tables.
fn cte_names(query: &mut Query) -> BTreeSet<String> {
    struct Collector(BTreeSet<String>);
    impl VisitorMut for Collector {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    self.0.insert(cte.alias.name.value.to_ascii_lowercase());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut collector = Collector(BTreeSet::new());
    let _ = query.visit(&mut collector);
    collector.0
}

/// Resolves a one-, two- or three-part name against the session defaults.
pub(crate) fn qualify(session: &Session<'_>, name: &ObjectName) -> Result<QualifiedName, SqlError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Ok(ident.value.clone()),
            ObjectNamePart::Function(_) => Err(SqlError::unsupported("IDENTIFIER() in names")),
        })
        .collect::<Result<_, _>>()?;
    match parts.as_slice() {
        [table] => Ok(QualifiedName::new(
            session.default_catalog,
            session.default_schema,
            table,
        )),
        [schema, table] => Ok(QualifiedName::new(session.default_catalog, schema, table)),
        [catalog, schema, table] => Ok(QualifiedName::new(catalog, schema, table)),
        _ => Err(SqlError::parse(format!(
            "`{name}` is not a valid table name"
        ))),
    }
}

/// True for `information_schema` views the engine materializes.
pub fn is_information_schema(name: &QualifiedName) -> bool {
    name.schema == "information_schema"
        && crate::sim::engine::INFORMATION_SCHEMA
            .iter()
            .any(|(view, _)| *view == name.name)
}

pub(crate) fn ident(value: &str) -> Ident {
    Ident::new(value)
}

fn quoted(value: &str) -> Ident {
    Ident::with_quote('"', value)
}

pub(crate) fn string_literal(value: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(value.to_string()).with_empty_span())
}

fn number_literal(value: i64) -> Expr {
    Expr::Value(Value::Number(value.to_string(), false).with_empty_span())
}

/// A plain function call `name(args…)`.
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![ident(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|arg| FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)))
                .collect(),
            clauses: Vec::new(),
        }),
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    })
}

/// The lower-case last part of a function's name.
pub(crate) fn function_name(function: &Function) -> String {
    match function.name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The plain positional arguments of a call; `None` for `*`, named or special arguments.
pub(crate) fn plain_args(function: &Function) -> Option<Vec<&Expr>> {
    match &function.args {
        FunctionArguments::None => Some(Vec::new()),
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr),
                _ => None,
            })
            .collect(),
        FunctionArguments::Subquery(_) => None,
    }
}

/// Functions SQLite runs with Databricks semantics as they are.
const PASSTHROUGH: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "abs",
    "coalesce",
    "nullif",
    "ifnull",
    "lower",
    "upper",
    "length",
    "trim",
    "ltrim",
    "rtrim",
    "replace",
    "instr",
    "round",
    "row_number",
    "rank",
    "dense_rank",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "percent_rank",
    "cume_dist",
    "sign",
    "sqrt",
    "exp",
    "ln",
    "log10",
    "power",
    "pow",
    "floor",
    "ceil",
    "ceiling",
    "concat_ws",
    "substr",
    "date_trunc",
    "add_months",
    "datediff",
    "date_add",
    "date_sub",
    "date_format",
    "year",
    "month",
    "day",
    "dayofmonth",
    "quarter",
    "dayofweek",
    "dayofyear",
    "weekofyear",
    "hour",
    "minute",
    "second",
    "last_day",
    "to_date",
    "to_timestamp",
    "make_date",
    "try_divide",
    "greatest",
    "least",
    "lpad",
    "rpad",
];

/// Function renames with identical semantics.
const RENAMES: &[(&str, &str)] = &[
    ("nvl", "ifnull"),
    ("substring", "substr"),
    ("if", "iif"),
    ("iff", "iif"),
    ("char_length", "length"),
    ("character_length", "length"),
    ("lcase", "lower"),
    ("ucase", "upper"),
    ("mean", "avg"),
    ("any_value", "min"),
    ("count_if", "count_if"),
];

/// The second pass: Databricks names and expressions → SQLite.
struct DialectPass<'a> {
    session: &'a Session<'a>,
    ctes: BTreeSet<String>,
    parameters: BTreeSet<String>,
}

impl<'a> DialectPass<'a> {
    fn new(session: &'a Session<'a>, query: &Query) -> Self {
        let mut copy = query.clone();
        Self {
            session,
            ctes: cte_names(&mut copy),
            parameters: BTreeSet::new(),
        }
    }

    fn rewrite_relation(&self, factor: &mut TableFactor) -> Result<(), SqlError> {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if args.is_some() {
                    return Err(SqlError::unsupported("this table function"));
                }
                if let [ObjectNamePart::Identifier(single)] = name.0.as_slice()
                    && self.ctes.contains(&single.value.to_ascii_lowercase())
                {
                    return Ok(());
                }
                let qualified = qualify(self.session, name)?;
                let known = self.session.catalog.table(&qualified).is_some()
                    || is_information_schema(&qualified);
                if !known {
                    return Err(SqlError::table_not_found(&name.to_string()));
                }
                if alias.is_none() {
                    *alias = Some(TableAlias {
                        explicit: true,
                        name: ident(&qualified.name),
                        columns: Vec::new(),
                        at: None,
                    });
                }
                *name = ObjectName::from(vec![quoted(&physical_name(&qualified))]);
                Ok(())
            }
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => Ok(()),
            other => Err(SqlError::unsupported(&format!(
                "the FROM clause item `{}`",
                first_words(&other.to_string())
            ))),
        }
    }

    fn rewrite_expr(&mut self, expr: &mut Expr) -> Result<(), SqlError> {
        let replacement = match expr {
            Expr::Identifier(name) if name.quote_style.is_none() => self.keyword_value(&name.value),
            Expr::CompoundIdentifier(parts) if parts.len() > 2 => {
                let tail = parts.split_off(parts.len() - 2);
                Some(Expr::CompoundIdentifier(tail))
            }
            Expr::Value(value) => self.rewrite_value(&mut value.value)?,
            Expr::TypedString(typed) => Some(typed_literal(
                &typed.data_type.to_string(),
                &typed.value.value,
            )?),
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                format,
            } => {
                if format.is_some() {
                    return Err(SqlError::unsupported("CAST … FORMAT"));
                }
                let target = DataType::parse(&data_type.to_string())
                    .ok_or_else(|| SqlError::unsupported(&format!("casting to {data_type}")))?;
                let strict = !matches!(kind, CastKind::TryCast | CastKind::SafeCast);
                let arg =
                    std::mem::replace(inner.as_mut(), Expr::Value(Value::Null.with_empty_span()));
                Some(call(
                    "dbx_cast",
                    vec![
                        arg,
                        string_literal(&target.sql_name()),
                        number_literal(i64::from(strict)),
                    ],
                ))
            }
            Expr::BinaryOp { left, op, right } => rewrite_binary(left, op, right)?,
            Expr::ILike {
                negated,
                any,
                expr: inner,
                pattern,
                escape_char,
            } => {
                if *any {
                    return Err(SqlError::unsupported("ILIKE ANY"));
                }
                Some(Expr::Like {
                    negated: *negated,
                    any: false,
                    expr: Box::new(call("lower", vec![take(inner)])),
                    pattern: Box::new(call("lower", vec![take(pattern)])),
                    escape_char: Some(
                        escape_char
                            .take()
                            .unwrap_or_else(|| Box::new(string_literal("\\"))),
                    ),
                })
            }
            Expr::Like {
                any, escape_char, ..
            } => {
                if *any {
                    return Err(SqlError::unsupported("LIKE ANY"));
                }
                if escape_char.is_none() {
                    *escape_char = Some(Box::new(string_literal("\\")));
                }
                None
            }
            Expr::RLike { regexp, .. } => {
                *regexp = true;
                None
            }
            Expr::Function(function) => self.rewrite_function(function)?,
            Expr::Extract {
                field, expr: inner, ..
            } => {
                let name = match field {
                    DateTimeField::Year => "year",
                    DateTimeField::Month => "month",
                    DateTimeField::Day => "day",
                    DateTimeField::Quarter => "quarter",
                    DateTimeField::Hour => "hour",
                    DateTimeField::Minute => "minute",
                    DateTimeField::Second => "second",
                    other => return Err(SqlError::unsupported(&format!("EXTRACT({other})"))),
                };
                Some(call(name, vec![take(inner)]))
            }
            Expr::Substring {
                expr: inner,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![take(inner)];
                args.push(
                    substring_from
                        .take()
                        .map_or_else(|| number_literal(1), |b| *b),
                );
                if let Some(length) = substring_for.take() {
                    args.push(*length);
                }
                Some(call("substr", args))
            }
            Expr::Position { expr: needle, r#in } => {
                Some(call("instr", vec![take(r#in), take(needle)]))
            }
            Expr::Ceil { expr: inner, .. } => Some(call("ceil", vec![take(inner)])),
            Expr::Floor { expr: inner, .. } => Some(call("floor", vec![take(inner)])),
            _ => {
                check_supported(expr)?;
                None
            }
        };
        if let Some(replacement) = replacement {
            *expr = replacement;
        }
        Ok(())
    }

    fn keyword_value(&self, word: &str) -> Option<Expr> {
        match word.to_ascii_lowercase().as_str() {
            "current_date" => Some(string_literal(&date_text(self.session.as_of))),
            "current_timestamp" => Some(string_literal(&self.now())),
            _ => None,
        }
    }

    fn now(&self) -> String {
        timestamp_text(self.session.as_of.and_hms_opt(12, 0, 0).unwrap_or_default())
    }

    fn rewrite_value(&mut self, value: &mut Value) -> Result<Option<Expr>, SqlError> {
        match value {
            Value::Placeholder(name) => {
                let Some(bare) = name.strip_prefix(':') else {
                    return Err(SqlError::unsupported(
                        "positional `?` parameters; use named `:name` markers",
                    ));
                };
                self.parameters.insert(bare.to_string());
                Ok(None)
            }
            Value::DoubleQuotedString(text) => Ok(Some(string_literal(text))),
            _ => Ok(None),
        }
    }

    fn rewrite_function(&mut self, function: &mut Function) -> Result<Option<Expr>, SqlError> {
        let name = function_name(function);
        if function.name.0.len() > 1 {
            return Err(SqlError::unsupported(&format!(
                "calling the user-defined scalar function `{}`",
                function.name
            )));
        }
        if !function.within_group.is_empty() {
            return Err(SqlError::unsupported("WITHIN GROUP"));
        }
        match name.as_str() {
            "current_date" | "curdate" => {
                return Ok(Some(string_literal(&date_text(self.session.as_of))));
            }
            "current_timestamp" | "now" => return Ok(Some(string_literal(&self.now()))),
            "measure" => {
                return Err(SqlError::metric_view_misuse(
                    "MEASURE() can only be used in a query over a metric view.",
                ));
            }
            "concat" => {
                let args = plain_args(function)
                    .ok_or_else(|| SqlError::unsupported("concat with special arguments"))?;
                let mut parts = args.into_iter().cloned();
                let first = parts.next().unwrap_or_else(|| string_literal(""));
                return Ok(Some(parts.fold(first, |acc, next| Expr::BinaryOp {
                    left: Box::new(acc),
                    op: BinaryOperator::StringConcat,
                    right: Box::new(next),
                })));
            }
            "count_if" => {
                let args = plain_args(function).unwrap_or_default();
                let [condition] = args.as_slice() else {
                    return Err(SqlError::wrong_arguments("count_if", 1));
                };
                let condition = (*condition).clone();
                return Ok(Some(call(
                    "count",
                    vec![call(
                        "nullif",
                        vec![Expr::Nested(Box::new(condition)), number_literal(0)],
                    )],
                )));
            }
            "regexp_like" | "rlike" => {
                let args = plain_args(function).unwrap_or_default();
                let [text, pattern] = args.as_slice() else {
                    return Err(SqlError::wrong_arguments(&name, 2));
                };
                return Ok(Some(Expr::RLike {
                    negated: false,
                    expr: Box::new((*text).clone()),
                    pattern: Box::new((*pattern).clone()),
                    regexp: true,
                }));
            }
            "datediff" | "date_add" | "date_sub"
                if plain_args(function).is_some_and(|args| args.len() != 2) =>
            {
                return Err(SqlError::unsupported(&format!(
                    "the three-argument form of {name}"
                )));
            }
            _ => {}
        }
        if let Some((_, target)) = RENAMES.iter().find(|(from, _)| *from == name) {
            function.name = ObjectName::from(vec![ident(target)]);
            return Ok(None);
        }
        if PASSTHROUGH.contains(&name.as_str()) {
            return Ok(None);
        }
        Err(SqlError::unresolved_routine(&name))
    }
}

fn take(expr: &mut Box<Expr>) -> Expr {
    std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.with_empty_span()))
}

/// `DATE '…'` and `TIMESTAMP '…'` literals become canonical text.
fn typed_literal(type_name: &str, value: &Value) -> Result<Expr, SqlError> {
    let text = match value {
        Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) => text.clone(),
        other => other.to_string(),
    };
    let parsed = runtime::parse_datetime(&text).ok_or_else(|| {
        SqlError::new(
            "INVALID_TYPED_LITERAL",
            "42604",
            format!("The value of the typed literal {type_name} '{text}' is invalid."),
        )
    })?;
    match type_name.to_ascii_uppercase().as_str() {
        "DATE" => Ok(string_literal(&date_text(parsed.date()))),
        "TIMESTAMP" | "TIMESTAMP_NTZ" => Ok(string_literal(&timestamp_text(parsed))),
        other => Err(SqlError::unsupported(&format!("{other} literals"))),
    }
}

/// Division is always fractional in Databricks; `%` keeps fractions; intervals become calls.
fn rewrite_binary(
    left: &mut Box<Expr>,
    op: &BinaryOperator,
    right: &mut Box<Expr>,
) -> Result<Option<Expr>, SqlError> {
    match op {
        BinaryOperator::Divide => Ok(Some(call("dbx_div", vec![take(left), take(right)]))),
        BinaryOperator::Modulo => Ok(Some(call("dbx_mod", vec![take(left), take(right)]))),
        BinaryOperator::Plus | BinaryOperator::Minus => {
            let sign = if matches!(op, BinaryOperator::Minus) {
                -1
            } else {
                1
            };
            if let Expr::Interval(interval) = right.as_ref() {
                let (amount, unit) = interval_parts(interval)?;
                return Ok(Some(call(
                    "dbx_add_interval",
                    vec![
                        take(left),
                        number_literal(sign * amount),
                        string_literal(unit),
                    ],
                )));
            }
            if let (Expr::Interval(interval), 1) = (left.as_ref(), sign) {
                let (amount, unit) = interval_parts(interval)?;
                return Ok(Some(call(
                    "dbx_add_interval",
                    vec![take(right), number_literal(amount), string_literal(unit)],
                )));
            }
            Ok(None)
        }
        BinaryOperator::Spaceship
        | BinaryOperator::Xor
        | BinaryOperator::BitwiseXor
        | BinaryOperator::Custom(_) => Err(SqlError::unsupported(&format!("the operator {op}"))),
        _ => Ok(None),
    }
}

fn interval_parts(interval: &sqlparser::ast::Interval) -> Result<(i64, &'static str), SqlError> {
    if interval.last_field.is_some() {
        return Err(SqlError::unsupported("multi-field INTERVAL literals"));
    }
    let amount_text = match interval.value.as_ref() {
        Expr::Value(value) => match &value.value {
            Value::Number(number, _) => number.clone(),
            Value::SingleQuotedString(text) => text.clone(),
            other => other.to_string(),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => format!("-{expr}"),
        other => {
            return Err(SqlError::unsupported(&format!(
                "INTERVAL with the computed amount `{other}`"
            )));
        }
    };
    let amount = amount_text
        .trim()
        .parse::<i64>()
        .map_err(|_| SqlError::unsupported(&format!("INTERVAL amount `{amount_text}`")))?;
    let unit = match interval.leading_field {
        Some(DateTimeField::Year | DateTimeField::Years) => "YEAR",
        Some(DateTimeField::Month | DateTimeField::Months) => "MONTH",
        Some(DateTimeField::Week(_) | DateTimeField::Weeks) => "WEEK",
        Some(DateTimeField::Day | DateTimeField::Days) => "DAY",
        Some(DateTimeField::Hour | DateTimeField::Hours) => "HOUR",
        Some(DateTimeField::Minute | DateTimeField::Minutes) => "MINUTE",
        Some(DateTimeField::Second | DateTimeField::Seconds) => "SECOND",
        ref other => return Err(SqlError::unsupported(&format!("INTERVAL unit {other:?}"))),
    };
    Ok((amount, unit))
}

/// Expression kinds that SQLite runs with the same meaning.
fn check_supported(expr: &Expr) -> Result<(), SqlError> {
    match expr {
        Expr::Identifier(_)
        | Expr::CompoundIdentifier(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::UnaryOp { .. }
        | Expr::Nested(_)
        | Expr::Case { .. }
        | Expr::Exists { .. }
        | Expr::Subquery(_)
        | Expr::Tuple(_)
        | Expr::Interval(_)
        | Expr::Wildcard(_)
        | Expr::QualifiedWildcard(..) => Ok(()),
        other => {
            let text = other.to_string();
            Err(SqlError::unsupported(&format!(
                "the expression `{}`",
                text.chars().take(60).collect::<String>()
            )))
        }
    }
}

impl VisitorMut for DialectPass<'_> {
    type Break = SqlError;

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
        match self.rewrite_relation(factor) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => ControlFlow::Break(error),
        }
    }

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
        if let SetExpr::Select(select) = query.body.as_ref() {
            let except = select.projection.iter().any(|item| match item {
                SelectItem::Wildcard(options) | SelectItem::QualifiedWildcard(_, options) => {
                    options.opt_except.is_some()
                        || options.opt_exclude.is_some()
                        || options.opt_replace.is_some()
                }
                _ => false,
            });
            if except {
                return ControlFlow::Break(SqlError::unsupported("SELECT * EXCEPT"));
            }
            if !select.lateral_views.is_empty() {
                return ControlFlow::Break(SqlError::unsupported("LATERAL VIEW"));
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<SqlError> {
        match self.rewrite_expr(expr) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => ControlFlow::Break(error),
        }
    }
}

/// An INTERVAL that is not added to or subtracted from a date has no SQLite meaning.
fn reject_leftovers(query: &mut Query) -> Result<(), SqlError> {
    struct Finder;
    impl VisitorMut for Finder {
        type Break = SqlError;
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<SqlError> {
            if let Expr::Interval(interval) = expr {
                return ControlFlow::Break(SqlError::unsupported(&format!(
                    "INTERVAL {interval} outside date ± INTERVAL arithmetic"
                )));
            }
            ControlFlow::Continue(())
        }
    }
    match query.visit(&mut Finder) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}
