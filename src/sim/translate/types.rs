//! Result column names and Databricks types, inferred from the (expanded) Databricks query:
//! column references take their catalog type, expressions the type Databricks gives them
//! (`COUNT` → LONG, `SUM(DECIMAL(p,s))` → DECIMAL(p+10,s), `AVG` → DOUBLE, `DATE_TRUNC` →
//! TIMESTAMP, comparisons → BOOLEAN, ...). Unknown types stay `None` for the engine to decide.

use std::collections::BTreeMap;

use sqlparser::ast::{
    BinaryOperator, Expr, Query, SelectItem, SetExpr, TableFactor, UnaryOperator, Value,
};

use super::{Session, function_name, plain_args, qualify};
use crate::sim::catalog::DataType;

/// One result column: its Databricks name and, when known, its type.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub data_type: Option<DataType>,
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "count_if",
    "any_value",
    "mean",
    "stddev",
    "variance",
    "first",
    "last",
    "median",
    "percentile",
    "collect_list",
    "collect_set",
    "approx_count_distinct",
];

/// True when the expression aggregates outside any window (such items are not GROUP BY keys).
pub fn is_aggregate(expr: &Expr) -> bool {
    match expr {
        Expr::Function(function)
            if function.over.is_none()
                && AGGREGATES.contains(&function_name(function).as_str()) =>
        {
            true
        }
        Expr::Function(function) if function_name(function) == "measure" => true,
        Expr::Function(function) => {
            plain_args(function).is_some_and(|args| args.iter().any(|arg| is_aggregate(arg)))
        }
        Expr::BinaryOp { left, right, .. } => is_aggregate(left) || is_aggregate(right),
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::Cast { expr, .. } => {
            is_aggregate(expr)
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_some_and(is_aggregate)
                || conditions
                    .iter()
                    .any(|when| is_aggregate(&when.condition) || is_aggregate(&when.result))
                || else_result.as_deref().is_some_and(is_aggregate)
        }
        _ => false,
    }
}

/// Databricks' name for an unaliased select item (`sum(total_amount)`, `count(1)`).
pub fn default_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(name) => name.value.clone(),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .map(|part| part.value.clone())
            .unwrap_or_default(),
        Expr::Function(function) if function.over.is_none() && function.filter.is_none() => {
            let name = function_name(function);
            match plain_args(function) {
                Some(args) => {
                    let inner: Vec<String> = args.iter().map(|arg| default_name(arg)).collect();
                    format!("{name}({})", inner.join(", "))
                }
                None if name == "count" => "count(1)".to_string(),
                None => expr.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// Columns visible in one SELECT: (qualifier, column, type).
type Scope = Vec<(String, String, Option<DataType>)>;

/// The result columns of a query; empty when a wildcard cannot be expanded.
pub fn output_columns(session: &Session<'_>, query: &Query) -> Vec<OutputColumn> {
    let mut ctes = BTreeMap::new();
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            let columns = output_columns_with(session, &cte.query, &ctes);
            ctes.insert(cte.alias.name.value.to_ascii_lowercase(), columns);
        }
    }
    output_columns_with(session, query, &ctes)
}

fn output_columns_with(
    session: &Session<'_>,
    query: &Query,
    ctes: &BTreeMap<String, Vec<OutputColumn>>,
) -> Vec<OutputColumn> {
    let mut body = query.body.as_ref();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(inner) => return output_columns(session, inner),
            SetExpr::Select(select) => {
                let scope = scope_of(session, &select.from, ctes);
                let mut columns = Vec::new();
                for item in &select.projection {
                    match item {
                        SelectItem::UnnamedExpr(expr) => columns.push(OutputColumn {
                            name: default_name(expr),
                            data_type: infer(expr, &scope),
                        }),
                        SelectItem::ExprWithAlias { expr, alias } => columns.push(OutputColumn {
                            name: alias.value.clone(),
                            data_type: infer(expr, &scope),
                        }),
                        SelectItem::Wildcard(_) if !scope.is_empty() => {
                            columns.extend(scope.iter().map(|(_, name, data_type)| OutputColumn {
                                name: name.clone(),
                                data_type: *data_type,
                            }));
                        }
                        SelectItem::QualifiedWildcard(kind, _) => {
                            let qualifier = kind.to_string().to_ascii_lowercase();
                            let qualifier =
                                qualifier.rsplit('.').next().unwrap_or_default().to_string();
                            let matching: Vec<_> =
                                scope.iter().filter(|(q, _, _)| *q == qualifier).collect();
                            if matching.is_empty() {
                                return Vec::new();
                            }
                            columns.extend(matching.into_iter().map(|(_, name, data_type)| {
                                OutputColumn {
                                    name: name.clone(),
                                    data_type: *data_type,
                                }
                            }));
                        }
                        _ => return Vec::new(),
                    }
                }
                return columns;
            }
            _ => return Vec::new(),
        }
    }
}

fn scope_of(
    session: &Session<'_>,
    from: &[sqlparser::ast::TableWithJoins],
    ctes: &BTreeMap<String, Vec<OutputColumn>>,
) -> Scope {
    let mut scope = Scope::new();
    for table in from {
        for factor in
            std::iter::once(&table.relation).chain(table.joins.iter().map(|join| &join.relation))
        {
            add_factor(session, factor, ctes, &mut scope);
        }
    }
    scope
}

fn add_factor(
    session: &Session<'_>,
    factor: &TableFactor,
    ctes: &BTreeMap<String, Vec<OutputColumn>>,
    scope: &mut Scope,
) {
    match factor {
        TableFactor::Table { name, alias, .. } => {
            let last = name
                .0
                .last()
                .map(|part| part.to_string().trim_matches('`').to_ascii_lowercase())
                .unwrap_or_default();
            let qualifier = alias
                .as_ref()
                .map_or(last.clone(), |alias| alias.name.value.to_ascii_lowercase());
            if name.0.len() == 1
                && let Some(columns) = ctes.get(&last)
            {
                scope.extend(
                    columns
                        .iter()
                        .map(|column| (qualifier.clone(), column.name.clone(), column.data_type)),
                );
                return;
            }
            if let Ok(qualified) = qualify(session, name)
                && let Some(table) = session.catalog.table(&qualified)
            {
                scope.extend(table.columns.iter().map(|column| {
                    (
                        qualifier.clone(),
                        column.name.clone(),
                        Some(column.data_type),
                    )
                }));
            }
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let qualifier = alias
                .as_ref()
                .map(|alias| alias.name.value.to_ascii_lowercase())
                .unwrap_or_default();
            let columns = output_columns_with(session, subquery, ctes);
            scope.extend(
                columns
                    .into_iter()
                    .map(|column| (qualifier.clone(), column.name, column.data_type)),
            );
        }
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            add_factor(session, &table_with_joins.relation, ctes, scope);
            for join in &table_with_joins.joins {
                add_factor(session, &join.relation, ctes, scope);
            }
        }
        _ => {}
    }
}

fn lookup(scope: &Scope, qualifier: Option<&str>, column: &str) -> Option<DataType> {
    let column = column.to_ascii_lowercase();
    let mut matches = scope.iter().filter(|(q, name, _)| {
        name.eq_ignore_ascii_case(&column)
            && qualifier.is_none_or(|wanted| q.eq_ignore_ascii_case(wanted))
    });
    let first = matches.next()?;
    first.2
}

/// The Databricks type of an expression, when it can be told.
pub fn infer(expr: &Expr, scope: &Scope) -> Option<DataType> {
    use DataType::*;
    match expr {
        Expr::Identifier(name) => lookup(scope, None, &name.value),
        Expr::CompoundIdentifier(parts) => {
            let column = parts.last()?;
            let qualifier = parts
                .len()
                .checked_sub(2)
                .and_then(|index| parts.get(index));
            lookup(scope, qualifier.map(|q| q.value.as_str()), &column.value)
        }
        Expr::Value(value) => match &value.value {
            Value::Number(text, _) if text.contains(['e', 'E']) => Some(Double),
            Value::Number(text, _) if text.contains('.') => {
                let digits = text.chars().filter(char::is_ascii_digit).count() as u8;
                let scale = text
                    .split('.')
                    .nth(1)
                    .map_or(0, |fraction| fraction.len() as u8);
                Some(Decimal {
                    precision: digits.max(scale).max(1),
                    scale,
                })
            }
            Value::Number(text, _) => Some(if text.parse::<i32>().is_ok() {
                Int
            } else {
                BigInt
            }),
            Value::SingleQuotedString(_) | Value::DoubleQuotedString(_) => Some(String),
            Value::Boolean(_) => Some(Boolean),
            _ => None,
        },
        Expr::TypedString(typed) => DataType::parse(&typed.data_type.to_string()),
        Expr::Cast { data_type, .. } => DataType::parse(&data_type.to_string()),
        Expr::Nested(inner) => infer(inner, scope),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => Some(Boolean),
        Expr::UnaryOp { expr, .. } => infer(expr, scope),
        Expr::BinaryOp { left, op, right } => {
            infer_binary(infer(left, scope), op, infer(right, scope), right)
        }
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::RLike { .. }
        | Expr::Exists { .. }
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..) => Some(Boolean),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => conditions
            .iter()
            .find_map(|when| infer(&when.result, scope))
            .or_else(|| else_result.as_deref().and_then(|e| infer(e, scope))),
        Expr::Extract { .. } => Some(Int),
        Expr::Substring { .. } | Expr::Trim { .. } => Some(String),
        Expr::Ceil { .. } | Expr::Floor { .. } => Some(BigInt),
        Expr::Function(function) => infer_function(function, scope),
        _ => None,
    }
}

fn infer_binary(
    left: Option<DataType>,
    op: &BinaryOperator,
    right: Option<DataType>,
    right_expr: &Expr,
) -> Option<DataType> {
    use DataType::*;
    match op {
        BinaryOperator::Eq
        | BinaryOperator::NotEq
        | BinaryOperator::Lt
        | BinaryOperator::LtEq
        | BinaryOperator::Gt
        | BinaryOperator::GtEq
        | BinaryOperator::And
        | BinaryOperator::Or => Some(Boolean),
        BinaryOperator::StringConcat => Some(String),
        BinaryOperator::Divide => match (left?, right?) {
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                },
                Decimal { .. } | Int | BigInt,
            ) => {
                let p2 = match right? {
                    Decimal { precision, .. } => precision,
                    _ => 10,
                };
                let scale = (s1 + p2 + 1).clamp(6, 38);
                Some(Decimal {
                    precision: (p1 + p2 + 7).min(38),
                    scale,
                })
            }
            _ => Some(Double),
        },
        BinaryOperator::Plus | BinaryOperator::Minus if matches!(right_expr, Expr::Interval(_)) => {
            left
        }
        BinaryOperator::Plus
        | BinaryOperator::Minus
        | BinaryOperator::Multiply
        | BinaryOperator::Modulo => Some(wider(left?, right?)),
        _ => None,
    }
}

/// The common numeric type of two operands.
fn wider(left: DataType, right: DataType) -> DataType {
    use DataType::*;
    let rank = |t: DataType| match t {
        Int => 1,
        BigInt => 2,
        Decimal { .. } => 3,
        Float => 4,
        Double => 5,
        _ => 0,
    };
    match (left, right) {
        (
            Decimal {
                precision: p1,
                scale: s1,
            },
            Decimal {
                precision: p2,
                scale: s2,
            },
        ) => Decimal {
            precision: (p1.max(p2) + 1).min(38),
            scale: s1.max(s2),
        },
        (Float, Float) => Double,
        _ if rank(left) >= rank(right) => {
            if left == Float {
                Double
            } else {
                left
            }
        }
        _ => {
            if right == Float {
                Double
            } else {
                right
            }
        }
    }
}

fn infer_function(function: &sqlparser::ast::Function, scope: &Scope) -> Option<DataType> {
    use DataType::*;
    let args = plain_args(function).unwrap_or_default();
    let first = args.first().and_then(|arg| infer(arg, scope));
    match function_name(function).as_str() {
        "count" | "count_if" | "approx_count_distinct" => Some(BigInt),
        "sum" => match first? {
            Int | BigInt => Some(BigInt),
            Decimal { precision, scale } => Some(Decimal {
                precision: (precision + 10).min(38),
                scale,
            }),
            _ => Some(Double),
        },
        "avg" | "mean" => match first {
            Some(Decimal { precision, scale }) => Some(Decimal {
                precision: (precision + 4).min(38),
                scale: (scale + 4).min(38),
            }),
            _ => Some(Double),
        },
        "min" | "max" | "any_value" | "first_value" | "last_value" | "lag" | "lead" | "abs"
        | "coalesce" | "nvl" | "ifnull" | "nullif" | "greatest" | "least" => {
            first.or_else(|| args.iter().find_map(|arg| infer(arg, scope)))
        }
        "round" => match (first?, args.get(1)) {
            (Decimal { precision, .. }, Some(Expr::Value(value))) => {
                let scale = value.value.to_string().parse::<u8>().unwrap_or(0);
                Some(Decimal { precision, scale })
            }
            (Decimal { precision, .. }, None) => Some(Decimal {
                precision,
                scale: 0,
            }),
            (other, _) => Some(other),
        },
        "if" | "iff" | "iif" => args.get(1).and_then(|arg| infer(arg, scope)),
        "row_number" | "rank" | "dense_rank" | "ntile" | "year" | "month" | "day"
        | "dayofmonth" | "quarter" | "dayofweek" | "dayofyear" | "weekofyear" | "hour"
        | "minute" | "second" | "datediff" | "length" | "char_length" | "instr" => Some(Int),
        "percent_rank" | "cume_dist" | "stddev" | "variance" | "sqrt" | "exp" | "ln" | "log10"
        | "power" | "pow" | "try_divide" => Some(Double),
        "floor" | "ceil" | "ceiling" => Some(BigInt),
        "date_trunc" | "current_timestamp" | "now" | "to_timestamp" => Some(Timestamp),
        "add_months" | "date_add" | "date_sub" | "current_date" | "curdate" | "to_date"
        | "last_day" | "make_date" => Some(Date),
        "date_format" | "concat" | "concat_ws" | "lower" | "upper" | "lcase" | "ucase" | "trim"
        | "ltrim" | "rtrim" | "replace" | "substr" | "substring" | "lpad" | "rpad" => Some(String),
        "regexp_like" | "rlike" => Some(Boolean),
        _ => None,
    }
}

/// Gives every top-level select item an explicit alias so SQLite names columns as Databricks does.
pub fn alias_top_level(query: &mut Query, columns: &[OutputColumn]) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    if select.projection.len() != columns.len() {
        return;
    }
    for (item, column) in select.projection.iter_mut().zip(columns) {
        if let SelectItem::UnnamedExpr(expr) = item {
            if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                continue;
            }
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: sqlparser::ast::Ident::with_quote('"', column.name.replace('"', "")),
            };
        }
    }
}
