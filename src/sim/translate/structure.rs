//! The structural pass, still in Databricks SQL: metric-view queries are expanded, SQL table
//! functions inlined, `QUALIFY` turned into a filtered subquery and `GROUP BY ALL` spelled out.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, GroupByExpr, Ident, Query, Select, SelectItem, SetExpr,
    TableAlias, TableFactor, VisitMut, VisitorMut,
};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::Parser;

use super::{Session, function_name, ident, parse_query, plain_args, qualify, types};
use crate::sim::catalog::{MetricView, SqlFunction};
use crate::sim::engine::SqlError;

/// How deep table functions and measures may nest before we call it a cycle.
const MAX_DEPTH: usize = 16;

/// Runs the structural pass over a whole query.
pub fn expand(session: &Session<'_>, query: &mut Query) -> Result<(), SqlError> {
    let mut pass = Structure {
        session,
        expansions: 0,
    };
    match query.visit(&mut pass) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Structure<'a> {
    session: &'a Session<'a>,
    expansions: usize,
}

impl VisitorMut for Structure<'_> {
    type Break = SqlError;

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
        match self.rewrite_query(query) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => ControlFlow::Break(error),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
        match self.inline_table_function(factor) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => ControlFlow::Break(error),
        }
    }
}

fn parse_expr(text: &str) -> Result<Expr, SqlError> {
    Parser::new(&DatabricksDialect {})
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_expr())
        .map_err(|error| {
            SqlError::new(
                "METRIC_VIEW_INVALID_VIEW_DEFINITION",
                "42K0E",
                format!("Cannot parse the expression `{text}`: {error}"),
            )
        })
}

impl Structure<'_> {
    fn rewrite_query(&mut self, query: &mut Query) -> Result<(), SqlError> {
        let SetExpr::Select(select) = query.body.as_mut() else {
            return Ok(());
        };
        if let Some(view) = self.metric_view_of(select)? {
            expand_metric_view(self.session, &view, select, query.order_by.as_mut())?;
        }
        let SetExpr::Select(select) = query.body.as_mut() else {
            return Ok(());
        };
        expand_group_by_all(select)?;
        if select.qualify.is_some() {
            desugar_qualify(query)?;
        }
        Ok(())
    }

    /// The metric view a SELECT reads, if any; metric views cannot be joined directly.
    fn metric_view_of(&self, select: &Select) -> Result<Option<MetricView>, SqlError> {
        let mut found = Vec::new();
        for table in &select.from {
            for factor in std::iter::once(&table.relation)
                .chain(table.joins.iter().map(|join| &join.relation))
            {
                if let TableFactor::Table {
                    name, args: None, ..
                } = factor
                    && let Ok(qualified) = qualify(self.session, name)
                    && let Some(view) = self.session.catalog.metric_view(&qualified)
                {
                    found.push(view.clone());
                }
            }
        }
        let single_relation =
            select.from.len() == 1 && select.from.iter().all(|table| table.joins.is_empty());
        match (found.len(), single_relation) {
            (0, _) => Ok(None),
            (1, true) => Ok(found.pop()),
            _ => Err(SqlError::metric_view_misuse(
                "A metric view cannot be joined with other relations in the same SELECT; query it in a CTE and join the CTE.",
            )),
        }
    }

    fn inline_table_function(&mut self, factor: &mut TableFactor) -> Result<(), SqlError> {
        let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            ..
        } = factor
        else {
            return Ok(());
        };
        let qualified = qualify(self.session, name)?;
        let Some(function) = self.session.catalog.function(&qualified).cloned() else {
            return Err(SqlError::unresolved_routine(&name.to_string()));
        };
        self.expansions += 1;
        if self.expansions > MAX_DEPTH * 8 {
            return Err(SqlError::unsupported("table functions nested this deeply"));
        }
        let values = bind_arguments(&function, &args.args)?;
        let mut body = parse_query(&function.body)?;
        substitute_parameters(&mut body, &function, &values);
        let columns: Vec<String> = function
            .returns
            .iter()
            .map(|column| column.name.clone())
            .collect();
        let wrapped = format!(
            "WITH __tvf_{}({}) AS ({body}) SELECT * FROM __tvf_{}",
            qualified.name,
            columns.join(", "),
            qualified.name
        );
        let subquery = parse_query(&wrapped)?;
        let alias = alias.take().unwrap_or(TableAlias {
            explicit: true,
            name: ident(&qualified.name),
            columns: Vec::new(),
            at: None,
        });
        *factor = TableFactor::Derived {
            lateral: false,
            subquery: Box::new(subquery),
            alias: Some(alias),
            sample: None,
        };
        Ok(())
    }
}

/// Matches call arguments (positional, then `name => value`) to parameters, applying defaults.
fn bind_arguments(
    function: &SqlFunction,
    args: &[FunctionArg],
) -> Result<BTreeMap<String, Expr>, SqlError> {
    let mut values = BTreeMap::new();
    let mut position = 0;
    for arg in args {
        let (name, value) = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => {
                let param = function
                    .params
                    .get(position)
                    .ok_or_else(|| too_many(function, args.len()))?;
                position += 1;
                (param.name.to_ascii_lowercase(), expr.clone())
            }
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(expr),
                ..
            } => (name.value.to_ascii_lowercase(), expr.clone()),
            _ => {
                return Err(SqlError::unsupported(
                    "this kind of table-function argument",
                ));
            }
        };
        if !function
            .params
            .iter()
            .any(|param| param.name.eq_ignore_ascii_case(&name))
        {
            return Err(SqlError::new(
                "UNRECOGNIZED_PARAMETER_NAME",
                "4274K",
                format!(
                    "Cannot invoke routine `{}` because the call included a named argument reference for the argument named `{name}`, which the routine does not have.",
                    function.name
                ),
            ));
        }
        values.insert(name, value);
    }
    for param in &function.params {
        let key = param.name.to_ascii_lowercase();
        if values.contains_key(&key) {
            continue;
        }
        let Some(default) = &param.default else {
            return Err(SqlError::new(
                "REQUIRED_PARAMETER_NOT_FOUND",
                "4274K",
                format!(
                    "Cannot invoke routine `{}` because the parameter named `{}` is required, but the routine call did not supply a value.",
                    function.name, param.name
                ),
            ));
        };
        values.insert(key, parse_expr(default)?);
    }
    Ok(values)
}

fn too_many(function: &SqlFunction, given: usize) -> SqlError {
    SqlError::new(
        "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
        "42605",
        format!(
            "The `{}` requires {} parameters but the actual number is {given}.",
            function.name,
            function.params.len()
        ),
    )
}

/// Replaces parameter references (`p` or `fn.p`) in a function body with the argument values.
fn substitute_parameters(
    body: &mut Query,
    function: &SqlFunction,
    values: &BTreeMap<String, Expr>,
) {
    struct Substitute<'a> {
        function: &'a str,
        values: &'a BTreeMap<String, Expr>,
    }
    impl VisitorMut for Substitute<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            let name = match expr {
                Expr::Identifier(name) => Some(name.value.to_ascii_lowercase()),
                Expr::CompoundIdentifier(parts)
                    if parts.len() == 2 && parts[0].value.eq_ignore_ascii_case(self.function) =>
                {
                    Some(parts[1].value.to_ascii_lowercase())
                }
                _ => None,
            };
            if let Some(value) = name.and_then(|name| self.values.get(&name)) {
                *expr = Expr::Nested(Box::new(value.clone()));
            }
            ControlFlow::Continue(())
        }
    }
    let _ = body.visit(&mut Substitute {
        function: &function.name.name,
        values,
    });
}

/// `GROUP BY ALL` groups by every select item that does not aggregate.
fn expand_group_by_all(select: &mut Select) -> Result<(), SqlError> {
    let GroupByExpr::All(modifiers) = &select.group_by else {
        return Ok(());
    };
    if !modifiers.is_empty() {
        return Err(SqlError::unsupported("GROUP BY ALL with modifiers"));
    }
    let mut keys = Vec::new();
    for item in &select.projection {
        let expr = match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
            _ => return Err(SqlError::unsupported("GROUP BY ALL with SELECT *")),
        };
        if !types::is_aggregate(expr) {
            keys.push(expr.clone());
        }
    }
    select.group_by = GroupByExpr::Expressions(keys, Vec::new());
    Ok(())
}

/// `SELECT items FROM … QUALIFY cond` → `SELECT names FROM (SELECT items, windows FROM …) WHERE cond`.
fn desugar_qualify(query: &mut Query) -> Result<(), SqlError> {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Ok(());
    };
    let Some(mut condition) = select.qualify.take() else {
        return Ok(());
    };
    let mut names = Vec::new();
    for item in select.projection.iter_mut() {
        let (expr, alias) = match item {
            SelectItem::ExprWithAlias { alias, .. } => (None, alias.value.clone()),
            SelectItem::UnnamedExpr(expr) => (Some(expr.clone()), types::default_name(expr)),
            _ => return Err(SqlError::unsupported("QUALIFY with SELECT *")),
        };
        if let Some(expr) = expr {
            *item = SelectItem::ExprWithAlias {
                expr,
                alias: Ident::with_quote('`', &alias),
            };
        }
        names.push(alias);
    }
    let mut windows = Vec::new();
    extract_windows(&mut condition, &mut windows);
    let mut window_items = vec!["*".to_string()];
    for (index, mut window) in windows.into_iter().enumerate() {
        strip_qualifiers(&mut window);
        window_items.push(format!("{window} AS __qualify_{index}"));
    }
    strip_qualifiers(&mut condition);
    let inner = format!("{}", query.body);
    let columns: Vec<String> = names
        .iter()
        .map(|name| format!("`{}`", name.replace('`', "``")))
        .collect();
    let outer = parse_query(&format!(
        "SELECT {} FROM (SELECT {} FROM ({inner}) AS __qualified) AS __qualify WHERE {condition}",
        columns.join(", "),
        window_items.join(", ")
    ))?;
    query.body = outer.body;
    if let Some(order_by) = query.order_by.as_mut() {
        let _ = order_by.visit(&mut StripQualifiers);
    }
    Ok(())
}

fn extract_windows(condition: &mut Expr, windows: &mut Vec<Expr>) {
    struct Extract<'a>(&'a mut Vec<Expr>);
    impl VisitorMut for Extract<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Function(function) = expr
                && function.over.is_some()
            {
                let name = format!("__qualify_{}", self.0.len());
                self.0
                    .push(std::mem::replace(expr, Expr::Identifier(ident(&name))));
            }
            ControlFlow::Continue(())
        }
    }
    let _ = condition.visit(&mut Extract(windows));
}

struct StripQualifiers;

impl VisitorMut for StripQualifiers {
    type Break = ();
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundIdentifier(parts) = expr
            && let Some(last) = parts.last()
        {
            *expr = Expr::Identifier(last.clone());
        }
        ControlFlow::Continue(())
    }
}

fn strip_qualifiers(expr: &mut Expr) {
    let _ = expr.visit(&mut StripQualifiers);
}

/// Rewrites a SELECT over a metric view into a plain query over its source and joins.
fn expand_metric_view(
    session: &Session<'_>,
    view: &MetricView,
    select: &mut Select,
    order_by: Option<&mut sqlparser::ast::OrderBy>,
) -> Result<(), SqlError> {
    let view_alias = match select.from.first().map(|table| &table.relation) {
        Some(TableFactor::Table {
            alias: Some(alias), ..
        }) => Some(alias.name.value.to_ascii_lowercase()),
        _ => None,
    };
    let fields = MetricFields::compile(session, view)?;
    let mut has_dimension_items = false;
    for item in select.projection.iter_mut() {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr.clone(), metric_item_name(expr)),
            SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), alias.value.clone()),
            _ => {
                return Err(SqlError::new(
                    "UNSUPPORTED_FEATURE.METRIC_VIEW_SELECT_STAR",
                    "0A000",
                    format!(
                        "SELECT * is not supported on the metric view `{}`: list its dimensions and use MEASURE() for its measures.",
                        view.name
                    ),
                ));
            }
        };
        has_dimension_items |= !types::is_aggregate(&expr) && !contains_measure(&expr);
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('`', &alias),
        };
    }
    let mut substitute = SubstituteFields {
        fields: &fields,
        view_alias,
        error: None,
    };
    let _ = select.projection.visit(&mut substitute);
    let _ = select.selection.visit(&mut substitute);
    let _ = select.group_by.visit(&mut substitute);
    let _ = select.having.visit(&mut substitute);
    let _ = select.qualify.visit(&mut substitute);
    if let Some(order_by) = order_by {
        let _ = order_by.visit(&mut substitute);
    }
    if let Some(error) = substitute.error {
        return Err(error);
    }
    let ungrouped =
        matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty());
    if ungrouped && has_dimension_items {
        return Err(SqlError::new(
            "METRIC_VIEW_MISSING_GROUP_BY",
            "42803",
            format!(
                "A query over the metric view `{}` that selects dimensions must GROUP BY them (GROUP BY ALL works).",
                view.name
            ),
        ));
    }
    select.from = fields.from;
    if let Some(filter) = fields.filter {
        select.selection = Some(match select.selection.take() {
            Some(existing) => Expr::BinaryOp {
                left: Box::new(Expr::Nested(Box::new(existing))),
                op: sqlparser::ast::BinaryOperator::And,
                right: Box::new(Expr::Nested(Box::new(filter))),
            },
            None => filter,
        });
    }
    Ok(())
}

/// Databricks' name for an unaliased select item over a metric view.
fn metric_item_name(expr: &Expr) -> String {
    match expr {
        Expr::Function(function) if function_name(function) == "measure" => {
            let inner = plain_args(function)
                .and_then(|args| args.first().map(|arg| types::default_name(arg)));
            format!("measure({})", inner.unwrap_or_default())
        }
        other => types::default_name(other),
    }
}

fn contains_measure(expr: &Expr) -> bool {
    struct Find(bool);
    impl sqlparser::ast::Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::Function(function) = expr
                && function_name(function) == "measure"
            {
                self.0 = true;
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(false);
    let _ = sqlparser::ast::Visit::visit(expr, &mut find);
    find.0
}

/// A metric view's dimensions and measures as parsed expressions over `source` and its joins.
struct MetricFields {
    dimensions: BTreeMap<String, Expr>,
    measures: BTreeMap<String, Expr>,
    filter: Option<Expr>,
    from: Vec<sqlparser::ast::TableWithJoins>,
}

impl MetricFields {
    fn compile(session: &Session<'_>, view: &MetricView) -> Result<Self, SqlError> {
        let source_columns = source_columns(session, &view.source);
        let qualify_source = |expr: &str| -> Result<Expr, SqlError> {
            let mut parsed = parse_expr(expr)?;
            let _ = parsed.visit(&mut QualifySource {
                columns: &source_columns,
            });
            Ok(parsed)
        };
        let mut dimensions = BTreeMap::new();
        for dimension in &view.dimensions {
            dimensions.insert(
                dimension.name.to_ascii_lowercase(),
                qualify_source(&dimension.expr)?,
            );
        }
        let mut raw_measures = BTreeMap::new();
        for measure in &view.measures {
            raw_measures.insert(
                measure.name.to_ascii_lowercase(),
                qualify_source(&measure.expr)?,
            );
        }
        let mut measures = BTreeMap::new();
        for name in raw_measures.keys() {
            measures.insert(name.clone(), resolve_measure(view, &raw_measures, name, 0)?);
        }
        let filter = view.filter.as_deref().map(qualify_source).transpose()?;
        let source_sql = relation_sql(&view.source);
        let joins: Vec<String> = view
            .joins
            .iter()
            .map(|join| {
                format!(
                    "LEFT OUTER JOIN {} AS `{}` ON {}",
                    relation_sql(&join.source),
                    join.name,
                    join.on
                )
            })
            .collect();
        let skeleton = parse_query(&format!(
            "SELECT 1 FROM {source_sql} AS source {}",
            joins.join(" ")
        ))?;
        let SetExpr::Select(select) = *skeleton.body else {
            return Err(SqlError::new(
                "METRIC_VIEW_INVALID_VIEW_DEFINITION",
                "42K0E",
                format!("The source of `{}` is not a query.", view.name),
            ));
        };
        Ok(Self {
            dimensions,
            measures,
            filter,
            from: select.from,
        })
    }
}

/// A table name stays a name; a query is parenthesized.
fn relation_sql(source: &str) -> String {
    let trimmed = source.trim();
    let is_query = trimmed.split_whitespace().next().is_some_and(|word| {
        word.eq_ignore_ascii_case("select") || word.eq_ignore_ascii_case("with")
    });
    if is_query {
        format!("({trimmed})")
    } else {
        trimmed.to_string()
    }
}

fn source_columns(session: &Session<'_>, source: &str) -> Vec<String> {
    let Ok(name) = Parser::new(&DatabricksDialect {})
        .try_with_sql(source)
        .and_then(|mut parser| parser.parse_object_name(false))
    else {
        return Vec::new();
    };
    let Ok(qualified) = qualify(session, &name) else {
        return Vec::new();
    };
    session
        .catalog
        .table(&qualified)
        .map(|table| {
            table
                .columns
                .iter()
                .map(|column| column.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Unqualified column names of the source table become `source.column`.
struct QualifySource<'a> {
    columns: &'a [String],
}

impl VisitorMut for QualifySource<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Identifier(name) = expr
            && self
                .columns
                .iter()
                .any(|column| column.eq_ignore_ascii_case(&name.value))
        {
            *expr = Expr::CompoundIdentifier(vec![ident("source"), name.clone()]);
        }
        ControlFlow::Continue(())
    }
}

fn resolve_measure(
    view: &MetricView,
    raw: &BTreeMap<String, Expr>,
    name: &str,
    depth: usize,
) -> Result<Expr, SqlError> {
    if depth > MAX_DEPTH {
        return Err(SqlError::new(
            "METRIC_VIEW_INVALID_VIEW_DEFINITION",
            "42K0E",
            format!(
                "The measures of `{}` reference each other in a cycle through `{name}`.",
                view.name
            ),
        ));
    }
    let mut expr = raw
        .get(name)
        .cloned()
        .ok_or_else(|| unresolved_measure(view, name))?;
    let mut failure = None;
    struct Inner<'a> {
        view: &'a MetricView,
        raw: &'a BTreeMap<String, Expr>,
        depth: usize,
        failure: &'a mut Option<SqlError>,
    }
    impl VisitorMut for Inner<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Function(function) = expr
                && function_name(function) == "measure"
            {
                match measure_argument(function)
                    .and_then(|name| resolve_measure(self.view, self.raw, &name, self.depth + 1))
                {
                    Ok(resolved) => *expr = Expr::Nested(Box::new(resolved)),
                    Err(error) => {
                        *self.failure = Some(error);
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = expr.visit(&mut Inner {
        view,
        raw,
        depth,
        failure: &mut failure,
    });
    match failure {
        Some(error) => Err(error),
        None => Ok(expr),
    }
}

fn unresolved_measure(view: &MetricView, name: &str) -> SqlError {
    let known: Vec<String> = view
        .measures
        .iter()
        .map(|m| format!("`{}`", m.name))
        .collect();
    SqlError::new(
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        "42703",
        format!(
            "A measure with name `{name}` cannot be resolved in the metric view `{}`. Did you mean one of the following? [{}].",
            view.name,
            known.join(", ")
        ),
    )
}

/// The single measure name inside `MEASURE(...)`.
fn measure_argument(function: &sqlparser::ast::Function) -> Result<String, SqlError> {
    let args = plain_args(function).unwrap_or_default();
    match args.as_slice() {
        [Expr::Identifier(name)] => Ok(name.value.to_ascii_lowercase()),
        _ => Err(SqlError::new(
            "METRIC_VIEW_MEASURE_REQUIRES_EXACTLY_ONE_COLUMN",
            "42K0E",
            format!("MEASURE() takes exactly one measure name, got `{function}`."),
        )),
    }
}

struct SubstituteFields<'a> {
    fields: &'a MetricFields,
    view_alias: Option<String>,
    error: Option<SqlError>,
}

impl SubstituteFields<'_> {
    fn field_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Identifier(name) => Some(name.value.to_ascii_lowercase()),
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let qualifier = parts[0].value.to_ascii_lowercase();
                (Some(&qualifier) == self.view_alias.as_ref())
                    .then(|| parts[1].value.to_ascii_lowercase())
            }
            _ => None,
        }
    }
}

impl VisitorMut for SubstituteFields<'_> {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(function) = expr
            && function_name(function) == "measure"
        {
            let resolved = measure_argument(function).and_then(|name| {
                self.fields.measures.get(&name).cloned().ok_or_else(|| {
                    SqlError::new(
                        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
                        "42703",
                        format!(
                            "A measure with name `{name}` cannot be resolved. Known measures: {}.",
                            self.fields
                                .measures
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            });
            match resolved {
                Ok(resolved) => *expr = Expr::Nested(Box::new(resolved)),
                Err(error) => {
                    self.error = Some(error);
                    return ControlFlow::Break(());
                }
            }
            return ControlFlow::Continue(());
        }
        let Some(name) = self.field_name(expr) else {
            return ControlFlow::Continue(());
        };
        if let Some(dimension) = self.fields.dimensions.get(&name) {
            *expr = Expr::Nested(Box::new(dimension.clone()));
        } else if self.fields.measures.contains_key(&name) {
            self.error = Some(SqlError::new(
                "METRIC_VIEW_MISSING_MEASURE_FUNCTION",
                "42803",
                format!(
                    "The usage of measure column `{name}` of a metric view requires a MEASURE() function to produce a result."
                ),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}
