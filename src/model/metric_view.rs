//! Lever 2: Databricks metric views — the YAML definition, its identifier, edits and DDL.
//!
//! Two file forms are read:
//! - **SQL** (`*.sql`): `CREATE [OR REPLACE] VIEW <id> WITH METRICS LANGUAGE YAML AS $$ … $$`
//!   (optionally `;`-terminated, with `--`/`/* */` comments around it). sqlparser cannot read
//!   this, so [`split_sql`] finds the identifier and the `$$` body by hand. The identifier comes
//!   from the statement.
//! - **YAML** (`*.yaml`/`*.yml`): the bare definition. The view's identifier is not in the file;
//!   the caller supplies it (from `.genie-gitops.yml` or the file name) to [`load`].
//!
//! The definition follows the Databricks spec: `version`, `source`, `comment`, `filter`,
//! `dimensions[{name, expr, comment, display_name, synonyms, format}]`,
//! `measures[{name, expr, comment, display_name, synonyms, format, window}]`,
//! `joins[{name, source, on | using, joins}]` and `materialization` (kept, not modelled).
//! Edits change only the touched region inside the `$$` block; [`MetricViewFile::ddl`] renders the
//! statement that recreates the view from the file's YAML as written.

use regex::Regex;

use crate::model::diag::{Diagnostic, line_col};
use crate::model::tables::{list_items, quote_name};
use crate::model::yaml_edit::{self, EditError, Loaded, Node, Reader, Value, YamlPath};

/// `format.type` values Databricks accepts.
pub const FORMAT_TYPES: &[&str] = &[
    "number",
    "currency",
    "percentage",
    "byte",
    "date",
    "date_time",
];

/// Synonyms allowed per dimension or measure.
pub const MAX_SYNONYMS: usize = 10;

/// A metric view file: the identifier and the definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricViewFile {
    /// `catalog.schema.view`, possibly with template variables.
    pub identifier: String,
    pub view: MetricView,
    /// The YAML definition exactly as written in the file.
    pub yaml: String,
}

/// The metric-view definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricView {
    pub version: String,
    /// A table, view or SQL query.
    pub source: String,
    pub comment: Option<String>,
    /// A global `WHERE` condition.
    pub filter: Option<String>,
    pub dimensions: Vec<Field>,
    pub measures: Vec<Field>,
    pub joins: Vec<Join>,
}

/// A dimension or a measure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub expr: String,
    pub comment: Option<String>,
    pub display_name: Option<String>,
    pub synonyms: Vec<String>,
    /// `format.type`, when a format is given.
    pub format_type: Option<String>,
    /// Measures only: `window` specs.
    pub window: Vec<Window>,
}

/// A measure window spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub order: String,
    pub range: String,
    pub semiadditive: Option<String>,
}

/// A (possibly nested) star-schema join.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Join {
    pub name: String,
    pub source: String,
    pub on: Option<String>,
    pub using: Vec<String>,
    pub joins: Vec<Join>,
}

/// Where the identifier and YAML sit in a SQL-form file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlParts {
    pub identifier: String,
    /// Byte range of the YAML between the `$$` delimiters.
    pub body: (usize, usize),
}

/// Whether `text` is the SQL form (its first word, after comments, is `CREATE`).
pub fn is_sql_form(text: &str) -> bool {
    let rest = skip_trivia(text, 0);
    text[rest..]
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("create"))
}

/// Finds the identifier and the `$$` body of `CREATE … VIEW <id> WITH METRICS LANGUAGE YAML AS $$…$$`.
pub fn split_sql(file: &str, text: &str) -> Result<SqlParts, Diagnostic> {
    let mut at = 0;
    let expect = |at: &mut usize, words: &[&str]| -> Result<(), Diagnostic> {
        for word in words {
            *at = skip_trivia(text, *at);
            let rest = &text[*at..];
            let found = rest
                .get(..word.len())
                .is_some_and(|f| f.eq_ignore_ascii_case(word));
            let boundary = rest
                .get(word.len()..)
                .and_then(|after| after.chars().next())
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if !(found && boundary) {
                return Err(sql_error(file, text, *at, format!("expected `{word}`")));
            }
            *at += word.len();
        }
        Ok(())
    };
    expect(&mut at, &["CREATE"])?;
    let after_create = skip_trivia(text, at);
    if text[after_create..]
        .get(..2)
        .is_some_and(|w| w.eq_ignore_ascii_case("or"))
    {
        expect(&mut at, &["OR", "REPLACE"])?;
    }
    expect(&mut at, &["VIEW"])?;
    let (identifier, end) = read_identifier(text, skip_trivia(text, at));
    if identifier.is_empty() {
        return Err(sql_error(
            file,
            text,
            end,
            "expected the view's name after `VIEW`".into(),
        ));
    }
    at = end;
    expect(&mut at, &["WITH", "METRICS", "LANGUAGE", "YAML", "AS"])?;
    at = skip_trivia(text, at);
    let body = dollar_body(text, at).ok_or_else(|| {
        sql_error(
            file,
            text,
            at,
            "expected the YAML between `$$` and a closing `$$`".into(),
        )
    })?;
    let tail = skip_trivia(text, body.1 + 2);
    let tail = skip_trivia(text, tail + usize::from(text[tail..].starts_with(';')));
    if tail < text.len() {
        return Err(sql_error(
            file,
            text,
            tail,
            "unexpected text after the metric view".into(),
        ));
    }
    Ok(SqlParts { identifier, body })
}

fn sql_error(file: &str, text: &str, offset: usize, message: String) -> Diagnostic {
    let (line, col) = line_col(text, offset);
    Diagnostic::error(file, format!("not a metric view statement: {message}"))
        .at(line, col)
        .hint("write `CREATE OR REPLACE VIEW cat.sch.name WITH METRICS LANGUAGE YAML AS $$ … $$`")
}

/// The offset after whitespace and SQL comments from `at`.
pub(crate) fn skip_trivia(text: &str, mut at: usize) -> usize {
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("--") {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if let Some(inner) = trimmed.strip_prefix("/*") {
            at += inner.find("*/").map_or(trimmed.len(), |i| i + 4);
        } else {
            return at;
        }
    }
}

/// Reads a dotted, possibly back-quoted or templated name starting at `at`.
pub(crate) fn read_identifier(text: &str, at: usize) -> (String, usize) {
    let mut end = at;
    let mut backtick = false;
    let mut braces = 0usize;
    for (i, c) in text[at..].char_indices() {
        let stop = !backtick && braces == 0 && (c.is_whitespace() || "(;,".contains(c));
        if stop || (!backtick && braces == 0 && text[at + i..].starts_with("/*")) {
            break;
        }
        match c {
            '`' => backtick = !backtick,
            '{' if !backtick => braces += 1,
            '}' if !backtick => braces = braces.saturating_sub(1),
            _ => {}
        }
        end = at + i + c.len_utf8();
    }
    (text[at..end].to_owned(), end)
}

/// The range between `$$` at `at` and the next `$$`.
fn dollar_body(text: &str, at: usize) -> Option<(usize, usize)> {
    let start = at + text[at..].strip_prefix("$$").map(|_| 2)?;
    let len = text[start..].find("$$")?;
    Some((start, start + len))
}

/// Reads and validates a metric-view file in either form. For the YAML form `identifier` names
/// the view; for the SQL form it is ignored (the statement names the view).
pub fn load(file: &str, text: &str, identifier: Option<&str>) -> Loaded<MetricViewFile> {
    let (identifier, base) = if is_sql_form(text) {
        match split_sql(file, text) {
            Ok(parts) => (Some(parts.identifier), parts.body),
            Err(d) => {
                return Loaded {
                    value: MetricViewFile::default(),
                    diagnostics: vec![d],
                };
            }
        }
    } else {
        (identifier.map(str::to_owned), (0, text.len()))
    };
    let yaml = &text[base.0..base.1];
    let mut r = Reader::embedded(file, text, base.0);
    let mut out = MetricViewFile {
        yaml: yaml.to_owned(),
        ..MetricViewFile::default()
    };
    match identifier {
        Some(id) => out.identifier = id,
        None => r.diagnostics.push(
            Diagnostic::error(file, "the metric view's identifier is not known")
                .hint("name the view in `.genie-gitops.yml`, or keep it as `CREATE OR REPLACE VIEW … WITH METRICS … AS $$ … $$`"),
        ),
    }
    if let Some(root) = r.parse(yaml) {
        out.view = read_view(&mut r, &root);
    }
    r.finish(out)
}

const VIEW_KEYS: &[&str] = &[
    "version",
    "source",
    "comment",
    "filter",
    "dimensions",
    "measures",
    "joins",
    "materialization",
];
const DIMENSION_KEYS: &[&str] = &[
    "name",
    "expr",
    "comment",
    "display_name",
    "synonyms",
    "format",
];
const MEASURE_KEYS: &[&str] = &[
    "name",
    "expr",
    "comment",
    "display_name",
    "synonyms",
    "format",
    "window",
];
const JOIN_KEYS: &[&str] = &["name", "source", "on", "using", "joins"];
const WINDOW_KEYS: &[&str] = &["order", "range", "semiadditive"];

fn read_view(r: &mut Reader<'_>, root: &Node) -> MetricView {
    let mut view = MetricView::default();
    if !r.mapping(root, "the metric view", VIEW_KEYS) {
        return view;
    }
    let what = "the metric view";
    view.version = r.required_str(root, "version", what).unwrap_or_default();
    if !view.version.is_empty() && !["0.1", "1.1"].contains(&view.version.as_str()) {
        let at = root.get("version").unwrap_or(root);
        r.warning(
            at,
            format!(
                "metric view version `{}` is not one Databricks documents",
                view.version
            ),
            "use `1.1` (DBR 17.2+) or `0.1` (DBR 16.4–17.1)",
        );
    }
    view.source = r.required_str(root, "source", what).unwrap_or_default();
    view.comment = r.optional_str(root, "comment", what);
    view.filter = r.optional_str(root, "filter", what);
    let dims = list_items(r, root, "dimensions", what);
    view.dimensions = dims
        .iter()
        .filter_map(|n| read_field(r, n, "dimension", DIMENSION_KEYS))
        .collect();
    let measures = list_items(r, root, "measures", what);
    view.measures = measures
        .iter()
        .filter_map(|n| read_field(r, n, "measure", MEASURE_KEYS))
        .collect();
    view.joins = list_items(r, root, "joins", what)
        .into_iter()
        .filter_map(|n| read_join(r, n))
        .collect();
    let named = |nodes: &[&Node]| -> Vec<(String, Node)> {
        nodes
            .iter()
            .filter_map(|n| {
                Some((
                    n.get("name")?.as_str()?.to_owned(),
                    (*n.get("name")?).clone(),
                ))
            })
            .collect()
    };
    let (dim_names, measure_names) = (named(&dims), named(&measures));
    r.duplicates(
        dim_names
            .iter()
            .chain(&measure_names)
            .map(|(s, n)| (s.clone(), n)),
        "dimension or measure name",
    );
    check_measure_references(r, &view, &measures);
    view
}

fn read_field(r: &mut Reader<'_>, node: &Node, kind: &str, keys: &[&str]) -> Option<Field> {
    if !r.mapping(node, &format!("a {kind}"), keys) {
        return None;
    }
    let name = r.required_str(node, "name", &format!("a {kind}"))?;
    let what = format!("{kind} `{name}`");
    let field = Field {
        expr: r.required_str(node, "expr", &what).unwrap_or_default(),
        comment: r.optional_str(node, "comment", &what),
        display_name: r.optional_str(node, "display_name", &what),
        synonyms: r.string_list(node, "synonyms", &what),
        format_type: read_format(r, node, &what),
        window: list_items(r, node, "window", &what)
            .into_iter()
            .filter_map(|w| read_window(r, w, &what))
            .collect(),
        name,
    };
    if field.synonyms.len() > MAX_SYNONYMS {
        let at = node.get("synonyms").unwrap_or(node);
        r.error(
            at,
            format!(
                "{what} has {} synonyms; Databricks allows at most {MAX_SYNONYMS}",
                field.synonyms.len()
            ),
            "keep the synonyms users actually say",
        );
    }
    if let Some(list) = node.get("synonyms") {
        r.duplicates(
            field.synonyms.iter().cloned().zip(list.items()),
            &format!("synonym in {what}"),
        );
    }
    Some(field)
}

fn read_format(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<String> {
    let format = node.get("format").filter(|n| !n.is_null())?;
    if !format.is_map() {
        r.error(
            format,
            format!("`format` of {what} must be a mapping"),
            "write `format: {type: number}`",
        );
        return None;
    }
    let type_ = r.required_str(format, "type", &format!("the format of {what}"))?;
    if !FORMAT_TYPES.contains(&type_.as_str()) {
        let at = format.get("type").unwrap_or(format);
        r.error(
            at,
            format!("`format.type` of {what} is `{type_}`"),
            format!("use one of: {}", FORMAT_TYPES.join(", ")),
        );
    }
    Some(type_)
}

fn read_window(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Window> {
    let label = format!("a window of {what}");
    if !r.mapping(node, &label, WINDOW_KEYS) {
        return None;
    }
    Some(Window {
        order: r.required_str(node, "order", &label)?,
        range: r.required_str(node, "range", &label)?,
        semiadditive: r.optional_str(node, "semiadditive", &label),
    })
}

fn read_join(r: &mut Reader<'_>, node: &Node) -> Option<Join> {
    if !r.mapping(node, "a join", JOIN_KEYS) {
        return None;
    }
    let name = r.required_str(node, "name", "a join")?;
    let what = format!("join `{name}`");
    let join = Join {
        source: r.required_str(node, "source", &what).unwrap_or_default(),
        on: r.optional_str(node, "on", &what),
        using: r.string_list(node, "using", &what),
        joins: list_items(r, node, "joins", &what)
            .into_iter()
            .filter_map(|n| read_join(r, n))
            .collect(),
        name,
    };
    if join.on.is_some() != join.using.is_empty() {
        r.error(
            node,
            format!("{what} needs exactly one of `on` and `using`"),
            "write `on: source.fk = name.pk` or `using: [column]`",
        );
    }
    Some(join)
}

/// Reports `MEASURE(x)` calls in measure expressions whose `x` is not a measure of this view.
fn check_measure_references(r: &mut Reader<'_>, view: &MetricView, nodes: &[&Node]) {
    let Ok(call) = Regex::new(r"(?i)\bMEASURE\s*\(\s*`?([^`()]+?)`?\s*\)") else {
        return;
    };
    for (measure, node) in view.measures.iter().zip(nodes) {
        for found in call.captures_iter(&measure.expr) {
            let referenced = found.get(1).map_or("", |m| m.as_str());
            if !view
                .measures
                .iter()
                .any(|m| m.name.eq_ignore_ascii_case(referenced))
            {
                let at = node.get("expr").unwrap_or(node);
                r.error(at, format!("measure `{}` uses MEASURE({referenced}), which is not a measure of this view", measure.name), "define that measure or fix the name");
            }
        }
    }
}

impl MetricViewFile {
    /// The statement that (re)creates the view from the file's YAML, as written.
    pub fn ddl(&self) -> String {
        let yaml = if self.yaml.ends_with('\n') {
            self.yaml.clone()
        } else {
            format!("{}\n", self.yaml)
        };
        let yaml = yaml.strip_prefix('\n').unwrap_or(&yaml);
        format!(
            "CREATE OR REPLACE VIEW {}\nWITH METRICS\nLANGUAGE YAML\nAS $$\n{yaml}$$",
            quote_name(&self.identifier)
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Edits (on either form; inside `$$` for SQL)

/// Which list a field lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Dimension,
    Measure,
}

impl FieldKind {
    fn key(self) -> &'static str {
        match self {
            FieldKind::Dimension => "dimensions",
            FieldKind::Measure => "measures",
        }
    }
}

/// Applies `f` to the YAML part of `text` and splices the result back.
fn edit_yaml(
    text: &str,
    f: impl FnOnce(&str) -> Result<String, EditError>,
) -> Result<String, EditError> {
    let (start, end) = if is_sql_form(text) {
        split_sql("", text)
            .map_err(|d| EditError::Unverified {
                path: "(metric view)".into(),
                why: d.message,
            })?
            .body
    } else {
        (0, text.len())
    };
    let edited = f(&text[start..end])?;
    if edited.contains("$$") && start > 0 {
        return Err(EditError::Unverified {
            path: "(metric view)".into(),
            why: "the YAML would contain `$$`".into(),
        });
    }
    Ok(format!("{}{edited}{}", &text[..start], &text[end..]))
}

fn field_path(kind: FieldKind, name: &str) -> YamlPath {
    YamlPath::root().key(kind.key()).find("name", name)
}

fn set_field_key(
    text: &str,
    kind: FieldKind,
    name: &str,
    key: &str,
    value: Option<&str>,
    after: &str,
) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let path = field_path(kind, name);
        let root = yaml_edit::parse(yaml)?;
        let field = yaml_edit::locate(&root, &path)?;
        let after = if field.get(after).is_some() {
            Some(after)
        } else {
            None
        };
        match (value, field.get(key).is_some()) {
            (Some(v), true) => yaml_edit::set_scalar(yaml, &path.key(key), v),
            (Some(v), false) => yaml_edit::insert_key(yaml, &path, key, Value::str(v), after),
            (None, true) => yaml_edit::remove_key(yaml, &path, key),
            (None, false) => Ok(yaml.to_owned()),
        }
    })
}

/// Sets (or, with `None`, removes) a dimension's or measure's comment.
pub fn set_comment(
    text: &str,
    kind: FieldKind,
    name: &str,
    comment: Option<&str>,
) -> Result<String, EditError> {
    set_field_key(text, kind, name, "comment", comment, "expr")
}

/// Sets (or, with `None`, removes) a dimension's or measure's display name.
pub fn set_display_name(
    text: &str,
    kind: FieldKind,
    name: &str,
    display: Option<&str>,
) -> Result<String, EditError> {
    set_field_key(text, kind, name, "display_name", display, "expr")
}

/// Adds a synonym (creating `synonyms` when absent).
pub fn add_synonym(
    text: &str,
    kind: FieldKind,
    name: &str,
    synonym: &str,
) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let path = field_path(kind, name);
        let root = yaml_edit::parse(yaml)?;
        let field = yaml_edit::locate(&root, &path)?;
        if field.get("synonyms").is_some() {
            return yaml_edit::append(yaml, &path.key("synonyms"), Value::str(synonym));
        }
        let after = ["display_name", "comment", "expr"]
            .into_iter()
            .find(|k| field.get(k).is_some());
        yaml_edit::insert_key(yaml, &path, "synonyms", Value::strs(&[synonym]), after)
    })
}

/// Removes a synonym (removing `synonyms` when it was the last).
pub fn remove_synonym(
    text: &str,
    kind: FieldKind,
    name: &str,
    synonym: &str,
) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let path = field_path(kind, name);
        let root = yaml_edit::parse(yaml)?;
        let list = yaml_edit::locate(&root, &path.clone().key("synonyms"))?;
        if list.items().len() == 1 && list.items()[0].as_str() == Some(synonym) {
            return yaml_edit::remove_key(yaml, &path, "synonyms");
        }
        yaml_edit::remove(yaml, &path.key("synonyms"), Value::str(synonym))
    })
}

/// Replaces a dimension's or measure's synonyms (an empty list removes the key).
pub fn set_synonyms(
    text: &str,
    kind: FieldKind,
    name: &str,
    synonyms: &[String],
) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let path = field_path(kind, name);
        let root = yaml_edit::parse(yaml)?;
        let field = yaml_edit::locate(&root, &path)?;
        match (synonyms.is_empty(), field.get("synonyms").is_some()) {
            (true, true) => yaml_edit::remove_key(yaml, &path, "synonyms"),
            (true, false) => Ok(yaml.to_owned()),
            (false, true) => yaml_edit::replace_sequence(yaml, &path.key("synonyms"), synonyms),
            (false, false) => {
                let after = ["display_name", "comment", "expr"]
                    .into_iter()
                    .find(|k| field.get(k).is_some());
                yaml_edit::insert_key(yaml, &path, "synonyms", Value::strs(synonyms), after)
            }
        }
    })
}

/// Appends a measure `{name, expr, comment?}` to `measures`.
pub fn add_measure(
    text: &str,
    name: &str,
    expr: &str,
    comment: Option<&str>,
) -> Result<String, EditError> {
    let mut entries = vec![("name", Value::str(name)), ("expr", Value::str(expr))];
    if let Some(c) = comment {
        entries.push(("comment", Value::str(c)));
    }
    edit_yaml(text, |yaml| {
        yaml_edit::append(yaml, &YamlPath::root().key("measures"), Value::map(entries))
    })
}

/// Removes the measure called `name`.
pub fn remove_measure(text: &str, name: &str) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let root = yaml_edit::parse(yaml)?;
        let measure = yaml_edit::locate(&root, &field_path(FieldKind::Measure, name))?.to_value();
        yaml_edit::remove(yaml, &YamlPath::root().key("measures"), measure)
    })
}

/// Sets (or, with `None`, removes) the view's global `filter`.
pub fn set_filter(text: &str, filter: Option<&str>) -> Result<String, EditError> {
    edit_yaml(text, |yaml| {
        let root = yaml_edit::parse(yaml)?;
        let path = YamlPath::root();
        match (filter, root.get("filter").is_some()) {
            (Some(f), true) => yaml_edit::set_scalar(yaml, &path.key("filter"), f),
            (Some(f), false) => {
                yaml_edit::insert_key(yaml, &path, "filter", Value::str(f), Some("source"))
            }
            (None, true) => yaml_edit::remove_key(yaml, &path, "filter"),
            (None, false) => Ok(yaml.to_owned()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str = "-- booking KPIs\nCREATE OR REPLACE VIEW ${catalog}.${gold_schema}.booking_metrics\nWITH METRICS LANGUAGE YAML\nAS $$\nversion: 1.1\nsource: ${catalog}.${gold_schema}.bookings\ndimensions:\n  - name: booking_month\n    expr: DATE_TRUNC('MONTH', created_at)\nmeasures:\n  - name: booking_count\n    expr: COUNT(1)\n  - name: confirmed_revenue\n    expr: SUM(total_amount) FILTER (WHERE status = 'confirmed')\n$$;\n";

    #[test]
    fn the_sql_form_is_split_into_identifier_and_yaml() {
        let parts = split_sql("mv.sql", SQL).unwrap();
        assert_eq!(
            parts.identifier,
            "${catalog}.${gold_schema}.booking_metrics"
        );
        assert!(SQL[parts.body.0..parts.body.1].starts_with("\nversion: 1.1\n"));
        let loaded = load("mv.sql", SQL, None);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.value.view.measures.len(), 2);
    }

    #[test]
    fn an_edit_inside_the_dollar_block_leaves_the_statement_alone() {
        let edited = add_synonym(SQL, FieldKind::Measure, "confirmed_revenue", "revenue").unwrap();
        insta::assert_snapshot!(
            similar::TextDiff::from_lines(SQL, &edited)
                .unified_diff()
                .context_radius(1)
                .to_string()
        );
        assert_eq!(
            remove_synonym(&edited, FieldKind::Measure, "confirmed_revenue", "revenue").unwrap(),
            SQL
        );
    }

    #[test]
    fn the_ddl_recreates_the_view_from_the_yaml_as_written() {
        let loaded = load("mv.sql", SQL, None);
        insta::assert_snapshot!(loaded.value.ddl());
    }

    #[test]
    fn a_yaml_form_without_an_identifier_is_reported() {
        let loaded = load("mv.yaml", "version: 1.1\nsource: t\n", None);
        assert_eq!(loaded.diagnostics.len(), 1);
        assert!(loaded.diagnostics[0].message.contains("identifier"));
    }
}
