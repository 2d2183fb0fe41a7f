//! The effective metadata the NL engine reads: a space file laid over the simulated Unity Catalog.
//!
//! Genie sees only what the space registers: tables outside the space are invisible, excluded
//! columns are invisible, space descriptions override UC comments, metric views and functions
//! count only when the space registers them, and a metric view's `column_configs` add synonyms
//! and descriptions to its fields (or hide them). Value dictionaries exist only for columns with
//! entity matching, and format samples only with format assistance. Everything downstream of
//! [`Knowledge`] works from this view alone, so a lever acts only by changing it.
//!
//! The catalog side is plain data ([`CatalogInfo`]) so any catalog implementation can feed it;
//! distinct values come through the [`ValueSource`] trait and are asked for only when a column
//! enables prompt matching. The space is expected with its template variables already resolved.

use crate::model::space::{self, SerializedSpace};

use super::instructions::{self, Rule};

/// Distinct values of a column, for entity matching and format assistance.
pub trait ValueSource {
    /// Up to `limit` distinct non-null values of `table.column`, as text, sorted.
    fn distinct_values(&self, table: &str, column: &str, limit: usize) -> Vec<String>;
}

/// A value source with no data: every dictionary is empty.
pub struct NoValues;

impl ValueSource for NoValues {
    fn distinct_values(&self, _: &str, _: &str, _: usize) -> Vec<String> {
        Vec::new()
    }
}

/// The Unity Catalog objects the space may refer to.
#[derive(Debug, Clone, Default)]
pub struct CatalogInfo {
    pub tables: Vec<TableInfo>,
    pub metric_views: Vec<MetricViewInfo>,
    pub functions: Vec<FunctionInfo>,
}

/// A table with its UC comment, typed columns and keys.
#[derive(Debug, Clone, Default)]
pub struct TableInfo {
    /// Three-part name.
    pub name: String,
    pub comment: String,
    pub columns: Vec<ColumnInfo>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// A column of a table.
#[derive(Debug, Clone, Default)]
pub struct ColumnInfo {
    pub name: String,
    /// Databricks type name, upper case: `BIGINT`, `STRING`, `DATE`, `TIMESTAMP`, `BOOLEAN`, ...
    pub data_type: String,
    pub comment: String,
}

/// A declared foreign key `column → ref_table.ref_column`.
#[derive(Debug, Clone, Default)]
pub struct ForeignKey {
    pub column: String,
    /// Three-part name of the referenced table.
    pub ref_table: String,
    pub ref_column: String,
}

/// A compiled metric view: its fields and agent metadata (synonyms) from the YAML.
#[derive(Debug, Clone, Default)]
pub struct MetricViewInfo {
    /// Three-part name.
    pub name: String,
    pub comment: String,
    pub dimensions: Vec<MetricFieldInfo>,
    pub measures: Vec<MetricFieldInfo>,
}

/// A dimension or measure of a metric view.
#[derive(Debug, Clone, Default)]
pub struct MetricFieldInfo {
    pub name: String,
    pub comment: String,
    pub synonyms: Vec<String>,
    /// `DATE`/`TIMESTAMP` for time dimensions, else anything.
    pub data_type: String,
}

/// A SQL table function: signature and COMMENT only (Genie never reads the body).
#[derive(Debug, Clone, Default)]
pub struct FunctionInfo {
    /// Three-part name.
    pub name: String,
    pub comment: String,
    pub params: Vec<FunctionParam>,
}

/// A function parameter.
#[derive(Debug, Clone, Default)]
pub struct FunctionParam {
    pub name: String,
    pub data_type: String,
    pub comment: String,
    /// The DEFAULT expression, when the parameter is optional.
    pub default: Option<String>,
}

/// A table as Genie sees it.
#[derive(Debug, Clone)]
pub struct KTable {
    pub name: String,
    pub description: String,
    pub columns: Vec<KColumn>,
    pub primary_key: Vec<String>,
}

impl KTable {
    /// The last segment of the three-part name.
    pub fn short(&self) -> &str {
        short_name(&self.name)
    }

    /// The column named `name`, if visible.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A visible column as Genie sees it.
#[derive(Debug, Clone)]
pub struct KColumn {
    pub name: String,
    pub data_type: String,
    pub description: String,
    pub synonyms: Vec<String>,
    /// Distinct values, present only with entity matching.
    pub values: Vec<String>,
    /// A few sampled values, present only with format assistance.
    pub samples: Vec<String>,
}

impl KColumn {
    pub fn is_date(&self) -> bool {
        matches!(self.data_type.as_str(), "DATE" | "TIMESTAMP")
    }
    pub fn is_numeric(&self) -> bool {
        matches!(
            self.data_type.as_str(),
            "INT" | "INTEGER" | "BIGINT" | "LONG" | "SMALLINT" | "FLOAT" | "DOUBLE" | "DECIMAL"
        ) || self.data_type.starts_with("DECIMAL")
    }
    pub fn is_boolean(&self) -> bool {
        self.data_type == "BOOLEAN"
    }
    pub fn is_key(&self) -> bool {
        self.name.ends_with("_id")
    }
}

/// A registered metric view.
#[derive(Debug, Clone)]
pub struct KMetricView {
    pub name: String,
    pub description: String,
    pub dimensions: Vec<MetricFieldInfo>,
    pub measures: Vec<MetricFieldInfo>,
}

/// A registered function.
#[derive(Debug, Clone)]
pub struct KFunction {
    pub name: String,
    pub comment: String,
    pub params: Vec<FunctionParam>,
}

/// A governed SQL fragment from `sql_snippets`.
#[derive(Debug, Clone)]
pub struct KSnippet {
    pub kind: SnippetKind,
    pub alias: String,
    pub sql: String,
    pub display_name: String,
    pub synonyms: Vec<String>,
    pub instruction: String,
}

/// Which list a snippet came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnippetKind {
    Filter,
    Expression,
    Measure,
}

/// A worked example.
#[derive(Debug, Clone)]
pub struct KExample {
    pub question: String,
    pub usage_guidance: String,
    pub sql: String,
    pub params: Vec<space::ExampleParameter>,
}

/// A join edge between two visible tables, with its cost (lower is preferred).
#[derive(Debug, Clone, PartialEq)]
pub struct KJoin {
    pub left: String,
    pub left_column: String,
    pub right: String,
    pub right_column: String,
    pub cost: f64,
    pub source: &'static str,
}

/// Everything the engine may use to answer.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub tables: Vec<KTable>,
    pub metric_views: Vec<KMetricView>,
    pub functions: Vec<KFunction>,
    pub snippets: Vec<KSnippet>,
    pub examples: Vec<KExample>,
    /// Declared joins: join specs (cost 1) and UC foreign keys (cost 1).
    pub joins: Vec<KJoin>,
    /// Parsed controlled-language instructions, in order.
    pub rules: Vec<Rule>,
    /// Instruction lines that are not in the controlled language (ignored, reported in traces).
    pub ignored_instructions: Vec<String>,
}

/// Most distinct values kept per column (Genie's value dictionary limit).
pub const MAX_VALUES: usize = 1024;
/// Sampled values kept per column with format assistance.
pub const MAX_SAMPLES: usize = 5;

/// The last dotted segment of a name, without backticks.
pub fn short_name(name: &str) -> &str {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches('`')
}

impl Knowledge {
    /// Lays `space` over `catalog`; asks `values` only for columns with prompt matching.
    pub fn build(space: &SerializedSpace, catalog: &CatalogInfo, values: &dyn ValueSource) -> Self {
        let tables = visible_tables(space, catalog, values);
        let metric_views = space
            .metric_views()
            .iter()
            .filter_map(|ds| {
                let mv = catalog
                    .metric_views
                    .iter()
                    .find(|m| same_object(&m.name, &ds.identifier))?;
                let description = space_text_or(&ds.description, &mv.comment);
                Some(KMetricView {
                    name: mv.name.clone(),
                    description,
                    dimensions: configured_fields(&mv.dimensions, &ds.column_configs),
                    measures: configured_fields(&mv.measures, &ds.column_configs),
                })
            })
            .collect();
        let functions = space
            .sql_functions()
            .iter()
            .filter_map(|f| {
                let info = catalog
                    .functions
                    .iter()
                    .find(|c| same_object(&c.name, &f.identifier))?;
                Some(KFunction {
                    name: info.name.clone(),
                    comment: info.comment.clone(),
                    params: info.params.clone(),
                })
            })
            .collect();
        let instruction_text: String = space
            .text_instructions()
            .iter()
            .map(|t| space::text(&t.content))
            .collect::<Vec<_>>()
            .join("\n");
        let (rules, ignored_instructions) = instructions::parse(&instruction_text);
        let joins = declared_joins(space, catalog, &tables);
        Self {
            tables,
            metric_views,
            functions,
            snippets: snippets(space),
            examples: examples(space),
            joins,
            rules,
            ignored_instructions,
        }
    }

    /// The index of the visible table whose short or full name is `name`.
    pub fn table(&self, name: &str) -> Option<usize> {
        let name = name.trim_matches('`');
        self.tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name))
            .or_else(|| {
                self.tables
                    .iter()
                    .position(|t| t.short().eq_ignore_ascii_case(short_name(name)))
            })
    }
}

/// Whether a catalog name and a space identifier denote the same object (template-tolerant:
/// the last segment decides when either side is not fully resolved).
fn same_object(catalog_name: &str, identifier: &str) -> bool {
    catalog_name.eq_ignore_ascii_case(identifier)
        || short_name(catalog_name).eq_ignore_ascii_case(short_name(identifier))
}

/// Metric-view fields as the space configures them: a `column_configs` entry naming a field
/// adds its synonyms to the view's own and overrides its comment with its description; an
/// excluded field disappears.
fn configured_fields(
    fields: &[MetricFieldInfo],
    configs: &[space::ColumnConfig],
) -> Vec<MetricFieldInfo> {
    fields
        .iter()
        .filter_map(|f| {
            let config = configs
                .iter()
                .find(|cc| cc.column_name.eq_ignore_ascii_case(&f.name));
            let Some(cc) = config else {
                return Some(f.clone());
            };
            if cc.is_excluded() {
                return None;
            }
            let mut field = f.clone();
            field.comment = space_text_or(&cc.description, &f.comment);
            for synonym in &cc.synonyms {
                if !field.synonyms.contains(synonym) {
                    field.synonyms.push(synonym.clone());
                }
            }
            Some(field)
        })
        .collect()
}

fn space_text_or(space_text: &[String], fallback: &str) -> String {
    let text = space::text(space_text);
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        text
    }
}

fn visible_tables(
    space: &SerializedSpace,
    catalog: &CatalogInfo,
    values: &dyn ValueSource,
) -> Vec<KTable> {
    space
        .tables()
        .iter()
        .filter_map(|ds| {
            let info = catalog
                .tables
                .iter()
                .find(|t| same_object(&t.name, &ds.identifier))?;
            let columns = info
                .columns
                .iter()
                .filter_map(|c| {
                    let config = ds
                        .column_configs
                        .iter()
                        .find(|cc| cc.column_name.eq_ignore_ascii_case(&c.name));
                    if config.is_some_and(|cc| cc.is_excluded()) {
                        return None;
                    }
                    Some(visible_column(&info.name, c, config, values))
                })
                .collect();
            Some(KTable {
                name: info.name.clone(),
                description: space_text_or(&ds.description, &info.comment),
                columns,
                primary_key: info.primary_key.clone(),
            })
        })
        .collect()
}

fn visible_column(
    table: &str,
    column: &ColumnInfo,
    config: Option<&space::ColumnConfig>,
    values: &dyn ValueSource,
) -> KColumn {
    let (description, synonyms, matching, format) = match config {
        Some(cc) => (
            space_text_or(&cc.description, &column.comment),
            cc.synonyms.clone(),
            cc.entity_matching(),
            cc.format_assistance() || cc.entity_matching(),
        ),
        None => (column.comment.clone(), Vec::new(), false, false),
    };
    let dictionary = if matching {
        values.distinct_values(table, &column.name, MAX_VALUES)
    } else {
        Vec::new()
    };
    let samples = if format {
        values.distinct_values(table, &column.name, MAX_SAMPLES)
    } else {
        Vec::new()
    };
    KColumn {
        name: column.name.clone(),
        data_type: column.data_type.to_ascii_uppercase(),
        description,
        synonyms,
        values: dictionary,
        samples,
    }
}

fn snippets(space: &SerializedSpace) -> Vec<KSnippet> {
    let Some(s) = space.snippets() else {
        return Vec::new();
    };
    let lists = [
        (SnippetKind::Filter, &s.filters),
        (SnippetKind::Expression, &s.expressions),
        (SnippetKind::Measure, &s.measures),
    ];
    lists
        .into_iter()
        .flat_map(|(kind, list)| {
            list.iter().map(move |sn| KSnippet {
                kind,
                alias: sn.alias.clone().unwrap_or_default(),
                sql: space::text(&sn.sql),
                display_name: sn.display_name.clone().unwrap_or_default(),
                synonyms: sn.synonyms.clone(),
                instruction: space::text(&sn.instruction),
            })
        })
        .filter(|sn| !sn.sql.trim().is_empty())
        .collect()
}

fn examples(space: &SerializedSpace) -> Vec<KExample> {
    space
        .examples()
        .iter()
        .map(|e| KExample {
            question: space::text(&e.question),
            usage_guidance: space::text(&e.usage_guidance),
            sql: space::text(&e.sql),
            params: e.parameters.clone(),
        })
        .filter(|e| !e.sql.trim().is_empty())
        .collect()
}

/// Join specs (parsed `a.c = b.c` conditions, aliases resolved) and UC foreign keys between
/// visible tables and visible columns.
fn declared_joins(space: &SerializedSpace, catalog: &CatalogInfo, tables: &[KTable]) -> Vec<KJoin> {
    let visible = |t: &str, c: &str| {
        tables
            .iter()
            .find(|k| same_object(&k.name, t))
            .filter(|k| k.column(c).is_some())
            .map(|k| k.name.clone())
    };
    let mut joins = Vec::new();
    for spec in space.join_specs() {
        let Some((l_alias, l_col, r_alias, r_col)) = parse_equality(&spec.condition()) else {
            continue;
        };
        let side = |alias: &str| {
            let matches = |s: &space::JoinSide| {
                s.alias.as_deref().unwrap_or(short_name(&s.identifier)) == alias
                    || short_name(&s.identifier) == alias
            };
            [&spec.left, &spec.right]
                .into_iter()
                .find(|s| matches(s))
                .map(|s| s.identifier.clone())
        };
        let (Some(lt), Some(rt)) = (side(&l_alias), side(&r_alias)) else {
            continue;
        };
        if let (Some(left), Some(right)) = (visible(&lt, &l_col), visible(&rt, &r_col)) {
            joins.push(KJoin {
                left,
                left_column: l_col,
                right,
                right_column: r_col,
                cost: 1.0,
                source: "join spec",
            });
        }
    }
    for table in &catalog.tables {
        for fk in &table.foreign_keys {
            if let (Some(left), Some(right)) = (
                visible(&table.name, &fk.column),
                visible(&fk.ref_table, &fk.ref_column),
            ) {
                joins.push(KJoin {
                    left,
                    left_column: fk.column.clone(),
                    right,
                    right_column: fk.ref_column.clone(),
                    cost: 1.0,
                    source: "foreign key",
                });
            }
        }
    }
    joins
}

/// Parses `` `a`.`x` = `b`.`y` `` (backticks optional) into `(a, x, b, y)`.
pub fn parse_equality(condition: &str) -> Option<(String, String, String, String)> {
    let clean = condition.replace('`', "");
    let (l, r) = clean.split_once('=')?;
    let split = |s: &str| {
        let s = s.trim();
        let (a, c) = s.rsplit_once('.')?;
        Some((short_name(a).to_owned(), c.trim().to_owned()))
    };
    let (la, lc) = split(l)?;
    let (ra, rc) = split(r)?;
    Some((la, lc, ra, rc))
}
