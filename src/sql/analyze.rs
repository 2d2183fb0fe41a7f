//! Structural analysis of one query: the clause features the structural diff and the code
//! judges compare (tables with their asset kind, join edges, select items with aggregates,
//! WHERE atoms, GROUP BY, HAVING, ORDER BY, LIMIT, `:params`).
//!
//! Names are normalized (lower case, quotes dropped), table aliases are resolved to the table,
//! a table is named by its last name part (so `${catalog}.gold.bookings` and
//! `main.gold.bookings` are one table), unqualified columns in a one-table scope are qualified
//! with that table, and CTE names are not tables: the CTE bodies contribute their own
//! features. Equal queries written differently give equal features.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use sqlparser::ast::{
    Expr, FunctionArguments, GroupByExpr, Ident, JoinConstraint, JoinOperator, LimitClause,
    ObjectName, ObjectNamePart, OrderByKind, OrderBySort, Query, Select, SelectItem, SetExpr,
    Statement, TableFactor, TableWithJoins, Value, visit_expressions, visit_expressions_mut,
};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::Parser;
use thiserror::Error;

/// What kind of asset a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssetKind {
    Table,
    MetricView,
    /// A table-valued function in FROM.
    Function,
}

/// A table (or metric view, or function) a query reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TableRef {
    /// The last name part, lower case: the identity used for comparison.
    pub name: String,
    pub kind: AssetKind,
    /// The name as written (normalized), for reports.
    pub qualified: String,
}

/// A join between two tables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct JoinEdge {
    /// The two tables, sorted.
    pub tables: (String, String),
    /// Equality keys as `table.column = table.column`, each side sorted, then the list sorted.
    pub keys: Vec<String>,
    /// `inner`, `left`, `right`, `full`, `cross`, `semi`, `anti`.
    pub kind: String,
}

/// One select item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SelectFeature {
    /// The normalized expression (aliases dropped).
    pub expr: String,
    /// The first aggregate function it uses (`sum`, `count_distinct`, `measure`, ...).
    pub aggregate: Option<String>,
}

/// One atom of a WHERE or HAVING condition (conjuncts split on AND).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Predicate {
    /// The column (or expression) constrained; empty when the atom has no column side.
    pub column: String,
    /// `=`, `<`, `in`, `between`, `like`, `is null`, `or`, `expr`, ...
    pub op: String,
    /// The other side, normalized (literals keep their case).
    pub value: String,
    /// The value involves dates or intervals: a date range.
    pub temporal: bool,
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OrderKey {
    pub expr: String,
    pub descending: bool,
}

/// Everything the structural diff compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryFeatures {
    pub tables: BTreeSet<TableRef>,
    pub joins: BTreeSet<JoinEdge>,
    /// Select items of the outermost query, in order.
    pub select: Vec<SelectFeature>,
    /// Columns referenced anywhere (`table.column` or `column`).
    pub columns: BTreeSet<String>,
    pub filters: BTreeSet<Predicate>,
    pub group_by: BTreeSet<String>,
    pub having: BTreeSet<Predicate>,
    /// ORDER BY of the outermost query.
    pub order_by: Vec<OrderKey>,
    /// LIMIT of the outermost query.
    pub limit: Option<String>,
    /// `:name` parameters.
    pub params: BTreeSet<String>,
    /// `MEASURE(...)` arguments: the metric-view measures used.
    pub measures: BTreeSet<String>,
}

/// What the caller knows about the space's assets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetCatalog {
    /// Metric view names (any qualification; compared by their last name part, lower case).
    pub metric_views: BTreeSet<String>,
}

impl AssetCatalog {
    fn is_metric_view(&self, name: &str) -> bool {
        self.metric_views
            .iter()
            .any(|m| last_part(&m.to_lowercase()) == name)
    }
}

/// A query that cannot be analyzed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnalyzeError {
    #[error("the SQL is empty")]
    Empty,
    #[error("the SQL does not parse as Databricks SQL: {0}")]
    Parse(String),
    #[error("the SQL is not a query (it is a {0} statement); only SELECT queries can be analyzed")]
    NotAQuery(String),
}

static TEMPLATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([^}]*)\}").unwrap_or_else(|_| unreachable!()));

/// Replaces `${name}` template variables with identifier placeholders (`__tpl_name__`) so a
/// templated query parses; table identity uses the last name part, so the placeholders do
/// not make two queries differ.
pub fn substitute_templates(sql: &str) -> String {
    TEMPLATE
        .replace_all(sql, |caps: &regex::Captures| {
            let name: String = caps[1]
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("__tpl_{name}__")
        })
        .into_owned()
}

/// Analyzes the first statement of `sql` (templates substituted first).
pub fn analyze(sql: &str, catalog: &AssetCatalog) -> Result<QueryFeatures, AnalyzeError> {
    let text = substitute_templates(sql);
    if text.trim().trim_end_matches(';').trim().is_empty() {
        return Err(AnalyzeError::Empty);
    }
    let statements = Parser::parse_sql(&DatabricksDialect {}, &text)
        .map_err(|e| AnalyzeError::Parse(e.to_string()))?;
    let Some(statement) = statements.into_iter().next() else {
        return Err(AnalyzeError::Empty);
    };
    let Statement::Query(query) = &statement else {
        let kind = statement
            .to_string()
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_uppercase();
        return Err(AnalyzeError::NotAQuery(kind));
    };
    let mut walker = Walker {
        catalog,
        ctes: BTreeSet::new(),
        out: QueryFeatures::default(),
    };
    walker.query(query, true);
    walker.out.params = params(&statement);
    Ok(walker.out)
}

/// Collects features while walking the query tree.
struct Walker<'c> {
    catalog: &'c AssetCatalog,
    ctes: BTreeSet<String>,
    out: QueryFeatures,
}

/// The tables visible in one SELECT: alias (or name) → table name.
#[derive(Default)]
struct Scope {
    aliases: BTreeMap<String, String>,
    tables: Vec<String>,
}

impl Walker<'_> {
    fn query(&mut self, query: &Query, outermost: bool) {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(ident(&cte.alias.name));
            }
            for cte in &with.cte_tables {
                self.query(&cte.query, false);
            }
        }
        let scope = self.set_expr(&query.body, outermost);
        if !outermost {
            return;
        }
        if let Some(order_by) = &query.order_by
            && let OrderByKind::Expressions(keys) = &order_by.kind
        {
            self.out.order_by = keys
                .iter()
                .map(|k| OrderKey {
                    expr: normalize(&k.expr, &scope),
                    descending: matches!(k.options.sort, Some(OrderBySort::Desc)),
                })
                .collect();
        }
        self.out.limit = query.limit_clause.as_ref().and_then(|l| match l {
            LimitClause::LimitOffset { limit, .. } => limit.as_ref().map(|e| normalize(e, &scope)),
            LimitClause::OffsetCommaLimit { limit, .. } => Some(normalize(limit, &scope)),
        });
    }

    /// Walks a query body; returns the scope of its (first) SELECT for ORDER BY.
    fn set_expr(&mut self, body: &SetExpr, outermost: bool) -> Scope {
        match body {
            SetExpr::Select(select) => self.select(select, outermost),
            SetExpr::Query(query) => {
                self.query(query, outermost);
                Scope::default()
            }
            SetExpr::SetOperation { left, right, .. } => {
                let scope = self.set_expr(left, outermost);
                self.set_expr(right, false);
                scope
            }
            _ => Scope::default(),
        }
    }

    fn select(&mut self, select: &Select, outermost: bool) -> Scope {
        let mut scope = Scope::default();
        let uses_measure = select_uses_measure(select);
        for from in &select.from {
            self.from(from, &mut scope, uses_measure);
        }
        for from in &select.from {
            self.joins(from, &scope);
        }
        if outermost {
            self.out.select = select
                .projection
                .iter()
                .filter_map(|item| select_item(item, &scope))
                .collect();
        }
        for item in &select.projection {
            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                self.expr_features(e, &scope);
            }
        }
        if let Some(selection) = &select.selection {
            self.expr_features(selection, &scope);
            let atoms = predicates(selection, &scope);
            self.out.filters.extend(atoms);
        }
        match &select.group_by {
            GroupByExpr::All(_) => {
                self.out.group_by.insert("all".into());
            }
            GroupByExpr::Expressions(exprs, _) => {
                for e in exprs {
                    self.expr_features(e, &scope);
                    self.out.group_by.insert(normalize(e, &scope));
                }
            }
        }
        if let Some(having) = &select.having {
            self.expr_features(having, &scope);
            self.out.having.extend(predicates(having, &scope));
        }
        scope
    }

    fn from(&mut self, from: &TableWithJoins, scope: &mut Scope, uses_measure: bool) {
        self.factor(&from.relation, scope, uses_measure);
        for join in &from.joins {
            self.factor(&join.relation, scope, uses_measure);
        }
    }

    fn factor(&mut self, factor: &TableFactor, scope: &mut Scope, uses_measure: bool) {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let qualified = object_name(name);
                let short = last_part(&qualified).to_string();
                if let Some(alias) = alias {
                    scope.aliases.insert(ident(&alias.name), short.clone());
                }
                scope.aliases.insert(short.clone(), short.clone());
                scope.tables.push(short.clone());
                if self.ctes.contains(&short) && args.is_none() {
                    return;
                }
                let kind = if args.is_some() {
                    AssetKind::Function
                } else if uses_measure || self.catalog.is_metric_view(&short) {
                    AssetKind::MetricView
                } else {
                    AssetKind::Table
                };
                self.out.tables.insert(TableRef {
                    name: short,
                    kind,
                    qualified,
                });
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                self.query(subquery, false);
                if let Some(alias) = alias {
                    let name = ident(&alias.name);
                    scope.aliases.insert(name.clone(), name.clone());
                    scope.tables.push(name);
                }
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                self.from(table_with_joins, scope, uses_measure);
            }
            _ => {}
        }
    }

    fn joins(&mut self, from: &TableWithJoins, scope: &Scope) {
        let mut previous = factor_name(&from.relation, scope);
        for join in &from.joins {
            let right = factor_name(&join.relation, scope);
            let (kind, constraint) = join_kind(&join.join_operator);
            let keys = constraint.map(|c| join_keys(c, scope)).unwrap_or_default();
            let pair = key_tables(&keys).unwrap_or_else(|| (previous.clone(), right.clone()));
            let tables = if pair.0 <= pair.1 {
                pair
            } else {
                (pair.1, pair.0)
            };
            self.out.joins.insert(JoinEdge {
                tables,
                keys,
                kind: kind.into(),
            });
            previous = right;
        }
    }

    /// Columns, measures and subqueries inside an expression.
    fn expr_features(&mut self, expr: &Expr, scope: &Scope) {
        let normalized = normalized_expr(expr, scope);
        let _ = visit_expressions(&normalized, |e| {
            match e {
                Expr::Identifier(id) => {
                    self.out.columns.insert(id.value.clone());
                }
                Expr::CompoundIdentifier(parts) => {
                    self.out.columns.insert(join_idents(parts));
                }
                Expr::Function(f) if object_name(&f.name) == "measure" => {
                    if let FunctionArguments::List(list) = &f.args {
                        for arg in &list.args {
                            self.out
                                .measures
                                .insert(last_part(&arg.to_string()).to_string());
                        }
                    }
                }
                _ => {}
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        let _ = visit_expressions(expr, |e| {
            match e {
                Expr::Subquery(q)
                | Expr::Exists { subquery: q, .. }
                | Expr::InSubquery { subquery: q, .. } => {
                    self.query(q, false);
                }
                _ => {}
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
}

fn select_uses_measure(select: &Select) -> bool {
    select.projection.iter().any(|item| match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
            aggregate_of(e).as_deref() == Some("measure")
        }
        _ => false,
    })
}

fn select_item(item: &SelectItem, scope: &Scope) -> Option<SelectFeature> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
            Some(SelectFeature {
                expr: normalize(e, scope),
                aggregate: aggregate_of(&normalized_expr(e, scope)),
            })
        }
        SelectItem::Wildcard(_) => Some(SelectFeature {
            expr: "*".into(),
            aggregate: None,
        }),
        SelectItem::QualifiedWildcard(..) | SelectItem::ExprWithAliases { .. } => {
            Some(SelectFeature {
                expr: item.to_string().to_lowercase(),
                aggregate: None,
            })
        }
    }
}

const AGGREGATES: &[&str] = &[
    "sum",
    "count",
    "avg",
    "mean",
    "min",
    "max",
    "count_if",
    "approx_count_distinct",
    "median",
    "percentile",
    "percentile_approx",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "collect_list",
    "collect_set",
    "any_value",
    "first",
    "last",
    "max_by",
    "min_by",
    "bool_and",
    "bool_or",
    "every",
    "some",
    "measure",
];

/// The first aggregate function in an expression (`count_distinct` for `COUNT(DISTINCT …)`).
fn aggregate_of(expr: &Expr) -> Option<String> {
    let mut found = None;
    let _ = visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            let name = last_part(&object_name(&f.name)).to_string();
            if AGGREGATES.contains(&name.as_str()) && f.over.is_none() {
                let distinct = matches!(&f.args, FunctionArguments::List(l) if l.duplicate_treatment.is_some_and(|d| d.to_string().eq_ignore_ascii_case("distinct")));
                found = Some(if distinct {
                    format!("{name}_distinct")
                } else {
                    name
                });
                return std::ops::ControlFlow::Break(());
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// Splits a condition on AND into atoms.
fn predicates(expr: &Expr, scope: &Scope) -> Vec<Predicate> {
    use sqlparser::ast::BinaryOperator as Op;
    match expr {
        Expr::Nested(inner) => predicates(inner, scope),
        Expr::BinaryOp {
            left,
            op: Op::And,
            right,
        } => {
            let mut v = predicates(left, scope);
            v.extend(predicates(right, scope));
            v
        }
        _ => vec![atom(expr, scope)],
    }
}

fn atom(expr: &Expr, scope: &Scope) -> Predicate {
    use sqlparser::ast::BinaryOperator as Op;
    let n = |e: &Expr| normalize(e, scope);
    let (column, op, value) = match expr {
        Expr::BinaryOp {
            left, op: Op::Or, ..
        } => (column_side(left, scope), "or".to_string(), n(expr)),
        Expr::BinaryOp { left, op, right } => {
            if is_column(right) && !is_column(left) {
                (n(right), flip(&op.to_string()), n(left))
            } else {
                (n(left), op.to_string().to_lowercase(), n(right))
            }
        }
        Expr::InList {
            expr: e,
            list,
            negated,
        } => {
            let mut items: Vec<String> = list.iter().map(n).collect();
            items.sort();
            (
                n(e),
                if *negated { "not in" } else { "in" }.into(),
                items.join(", "),
            )
        }
        Expr::Between {
            expr: e,
            low,
            high,
            negated,
        } => (
            n(e),
            if *negated { "not between" } else { "between" }.into(),
            format!("{} and {}", n(low), n(high)),
        ),
        Expr::Like {
            expr: e,
            pattern,
            negated,
            ..
        } => (
            n(e),
            if *negated { "not like" } else { "like" }.into(),
            n(pattern),
        ),
        Expr::ILike {
            expr: e,
            pattern,
            negated,
            ..
        } => (
            n(e),
            if *negated { "not ilike" } else { "ilike" }.into(),
            n(pattern),
        ),
        Expr::IsNull(e) => (n(e), "is null".into(), String::new()),
        Expr::IsNotNull(e) => (n(e), "is not null".into(), String::new()),
        _ => (String::new(), "expr".into(), n(expr)),
    };
    let temporal = is_temporal(&value);
    Predicate {
        column,
        op,
        value,
        temporal,
    }
}

fn column_side(expr: &Expr, scope: &Scope) -> String {
    match expr {
        Expr::BinaryOp { left, .. } => column_side(left, scope),
        Expr::Nested(e) => column_side(e, scope),
        e if is_column(e) => normalize(e, scope),
        _ => String::new(),
    }
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// The operator seen from the other side (`5 < x` is `x > 5`).
fn flip(op: &str) -> String {
    match op {
        "<" => ">".into(),
        ">" => "<".into(),
        "<=" => ">=".into(),
        ">=" => "<=".into(),
        other => other.to_lowercase(),
    }
}

static DATE_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap_or_else(|_| unreachable!()));

fn is_temporal(value: &str) -> bool {
    let lower = value.to_lowercase();
    DATE_LITERAL.is_match(&lower)
        || [
            "interval",
            "current_date",
            "current_timestamp",
            "now()",
            "date_add",
            "date_sub",
            "add_months",
            "date_trunc",
            "dateadd",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

fn join_kind(op: &JoinOperator) -> (&'static str, Option<&JoinConstraint>) {
    match op {
        JoinOperator::Join(c) | JoinOperator::Inner(c) => ("inner", Some(c)),
        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => ("left", Some(c)),
        JoinOperator::Right(c) | JoinOperator::RightOuter(c) => ("right", Some(c)),
        JoinOperator::FullOuter(c) => ("full", Some(c)),
        JoinOperator::CrossJoin(c) => ("cross", Some(c)),
        JoinOperator::Semi(c) | JoinOperator::LeftSemi(c) | JoinOperator::RightSemi(c) => {
            ("semi", Some(c))
        }
        JoinOperator::Anti(c) | JoinOperator::LeftAnti(c) | JoinOperator::RightAnti(c) => {
            ("anti", Some(c))
        }
        _ => ("other", None),
    }
}

fn join_keys(constraint: &JoinConstraint, scope: &Scope) -> Vec<String> {
    use sqlparser::ast::BinaryOperator as Op;
    let mut keys = Vec::new();
    match constraint {
        JoinConstraint::On(expr) => {
            for atom in conjuncts(expr) {
                if let Expr::BinaryOp {
                    left,
                    op: Op::Eq,
                    right,
                } = atom
                    && is_column(left)
                    && is_column(right)
                {
                    let mut sides = [normalize(left, scope), normalize(right, scope)];
                    sides.sort();
                    keys.push(format!("{} = {}", sides[0], sides[1]));
                }
            }
        }
        JoinConstraint::Using(columns) => {
            keys.extend(columns.iter().map(|c| format!("using {}", object_name(c))));
        }
        _ => {}
    }
    keys.sort();
    keys
}

fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    use sqlparser::ast::BinaryOperator as Op;
    match expr {
        Expr::Nested(e) => conjuncts(e),
        Expr::BinaryOp {
            left,
            op: Op::And,
            right,
        } => {
            let mut v = conjuncts(left);
            v.extend(conjuncts(right));
            v
        }
        e => vec![e],
    }
}

/// The two tables an ON clause's keys name, when it names exactly two.
fn key_tables(keys: &[String]) -> Option<(String, String)> {
    let tables: BTreeSet<&str> = keys
        .iter()
        .flat_map(|k| k.split(" = "))
        .filter_map(|side| side.rsplit_once('.').map(|(t, _)| t))
        .collect();
    let mut it = tables.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), None) => Some((a.to_string(), b.to_string())),
        _ => None,
    }
}

fn factor_name(factor: &TableFactor, scope: &Scope) -> String {
    match factor {
        TableFactor::Table { name, .. } => last_part(&object_name(name)).to_string(),
        TableFactor::Derived { alias: Some(a), .. } => ident(&a.name),
        _ => scope.tables.first().cloned().unwrap_or_default(),
    }
}

/// The expression as text after normalization.
fn normalize(expr: &Expr, scope: &Scope) -> String {
    normalized_expr(expr, scope).to_string()
}

/// A copy of the expression with identifiers lower-cased and unquoted, aliases resolved to
/// tables, qualifiers cut to `table.column`, and lone columns qualified in a one-table scope.
fn normalized_expr(expr: &Expr, scope: &Scope) -> Expr {
    let mut e = expr.clone();
    let _ = visit_expressions_mut(&mut e, |e| {
        match e {
            Expr::Identifier(id) => {
                let column = ident(id);
                *e = match scope.tables.as_slice() {
                    [only] => {
                        Expr::CompoundIdentifier(vec![Ident::new(only.clone()), Ident::new(column)])
                    }
                    _ => Expr::Identifier(Ident::new(column)),
                };
            }
            Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(ident).collect();
                let n = names.len();
                let resolved: Vec<String> = if n >= 2 {
                    let table = scope
                        .aliases
                        .get(&names[n - 2])
                        .cloned()
                        .unwrap_or_else(|| names[n - 2].clone());
                    vec![table, names[n - 1].clone()]
                } else {
                    names
                };
                *parts = resolved.into_iter().map(Ident::new).collect();
            }
            Expr::Function(f) => {
                f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(object_name(
                    &f.name,
                )))]);
            }
            _ => {}
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    e
}

fn params(statement: &Statement) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let _ = visit_expressions(statement, |e| {
        if let Expr::Value(v) = e
            && let Value::Placeholder(p) = &v.value
        {
            out.insert(p.trim_start_matches([':', '$', '?', '@']).to_lowercase());
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

fn ident(id: &Ident) -> String {
    id.value.to_lowercase()
}

fn join_idents(parts: &[Ident]) -> String {
    parts
        .iter()
        .map(|p| p.value.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(id) => ident(id),
            other => other.to_string().to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests;
