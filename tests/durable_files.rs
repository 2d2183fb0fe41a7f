//! Durable metadata files (levers 1–5): examples load cleanly, broken fixtures are reported
//! completely, every edit is undone byte-for-byte by its inverse on generated inputs, and no
//! parser panics on mutated input.

use std::path::Path;

use genie_gitops::model::diag::Diagnostic;
use genie_gitops::model::yaml_edit::{self, Value, YamlPath};
use genie_gitops::model::{function, metric_view, properties, tables};
use proptest::prelude::*;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/examples/durable");
const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/broken/durable");

fn read(dir: &str, name: &str) -> String {
    let path = Path::new(dir).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads any durable file by its name, the way `validate` would.
fn diagnostics(name: &str, text: &str) -> Vec<Diagnostic> {
    match name {
        n if n.starts_with("tables") || n == "syntax.yaml" => tables::load(n, text).diagnostics,
        n if n.contains("metric") => metric_view::load(n, text, Some("main.s.v")).diagnostics,
        n if n.starts_with("get_") || n.starts_with("function") => {
            function::parse(n, text).err().into_iter().collect()
        }
        n => properties::load(n, text).diagnostics,
    }
}

fn render(diags: &[Diagnostic]) -> String {
    diags.iter().map(|d| format!("{d}\n")).collect()
}

fn diff(a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(1)
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Examples and broken fixtures

#[test]
fn every_example_loads_without_a_problem() {
    let names = [
        "tables.yaml",
        "booking_metrics.sql",
        "review_metrics.yaml",
        "get_top_hosts.sql",
        "monitoring.yaml",
    ];
    for name in names {
        let text = read(EXAMPLES, name);
        let diags = diagnostics(name, &text);
        assert!(diags.is_empty(), "{name}:\n{}", render(&diags));
    }
    let mv = metric_view::load(
        "booking_metrics.sql",
        &read(EXAMPLES, "booking_metrics.sql"),
        None,
    )
    .value;
    assert_eq!(mv.identifier, "${catalog}.${gold_schema}.booking_metrics");
    assert_eq!(mv.view.joins[0].joins[0].name, "destinations");
}

#[test]
fn broken_fixtures_report_one_diagnostic_on_each_marked_line() {
    for name in ["tables.yaml", "metric_view.sql", "properties.yaml"] {
        let text = read(BROKEN, name);
        let diags = diagnostics(name, &text);
        let marked: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("# expect:"))
            .map(|(i, _)| i + 1)
            .collect();
        let reported: Vec<usize> = diags.iter().map(|d| d.line).collect();
        assert_eq!(reported, marked, "{name}:\n{}", render(&diags));
    }
}

#[test]
fn broken_fixtures_render_every_diagnostic_shape() {
    let mut out = String::new();
    for name in [
        "tables.yaml",
        "metric_view.sql",
        "properties.yaml",
        "function.sql",
        "syntax.yaml",
    ] {
        out.push_str(&render(&diagnostics(name, &read(BROKEN, name))));
    }
    out.push_str(&render(
        &metric_view::load("mv.yaml", "version: 1.1\nsource: t\n", None).diagnostics,
    ));
    out.push_str(&render(
        &metric_view::load("mv.sql", "CREATE VIEW v AS SELECT 1", None).diagnostics,
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn the_ddl_of_every_example_kind() {
    let t = "${catalog}.${gold_schema}.bookings";
    let tables = tables::load("t", &read(EXAMPLES, "tables.yaml")).value;
    let mut out: Vec<String> = [
        tables::Change::TableComment { table: t.into() },
        tables::Change::ColumnComment {
            table: t.into(),
            column: "status".into(),
        },
        tables::Change::Tags {
            table: t.into(),
            column: Some("status".into()),
            unset: vec![],
        },
        tables::Change::ForeignKeyAdded {
            table: t.into(),
            columns: vec!["property_id".into()],
        },
    ]
    .iter()
    .flat_map(|c| tables.ddl(c))
    .collect();
    let text = read(EXAMPLES, "review_metrics.yaml");
    out.push(
        metric_view::load("r", &text, Some("${catalog}.${gold_schema}.review_metrics"))
            .value
            .ddl(),
    );
    let props = properties::load("p", &read(EXAMPLES, "monitoring.yaml")).value;
    out.extend(props.ddl("${catalog}.${ml_schema}.guest_features", &[]));
    let fn_text = read(EXAMPLES, "get_top_hosts.sql");
    let f = function::parse("f", &fn_text).unwrap_or_default();
    out.push(f.ddl(&fn_text).to_owned());
    insta::assert_snapshot!(out.join("\n\n"));
}

#[test]
fn example_edits_render_as_small_diffs() {
    let t = "${catalog}.${gold_schema}.bookings";
    let text = read(EXAMPLES, "tables.yaml");
    let mut out = String::new();
    let edits: Vec<(&str, Result<String, yaml_edit::EditError>)> = vec![
        (
            "table comment",
            tables::set_table_comment(&text, t, Some("Bookings: one row per stay")),
        ),
        (
            "column comment",
            tables::set_column_comment(&text, t, "booking_id", Some("Booking key")),
        ),
        (
            "block synonym",
            tables::add_synonym(&text, t, "created_at", "made"),
        ),
        (
            "new synonyms",
            tables::add_synonym(&text, t, "booking_id", "reservation id"),
        ),
        (
            "column tag",
            tables::set_tag(&text, t, Some("total_amount"), "unit", "USD"),
        ),
        (
            "unset last tag",
            tables::unset_tag(&text, t, Some("status"), "allowed_values"),
        ),
        (
            "remove fk",
            tables::remove_foreign_key(&text, t, &["property_id".into()]),
        ),
    ];
    for (what, result) in edits {
        let edited = result.unwrap_or_else(|e| panic!("{what}: {e}"));
        out.push_str(&format!("## {what}\n{}", diff(&text, &edited)));
    }
    let mv = read(EXAMPLES, "booking_metrics.sql");
    let kind = metric_view::FieldKind::Measure;
    let added = metric_view::add_measure(
        &mv,
        "cancellation_rate",
        "AVG(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END)",
        Some("Share of bookings cancelled."),
    );
    out.push_str(&format!(
        "## add measure\n{}",
        diff(&mv, &added.unwrap_or_default())
    ));
    let display = metric_view::set_display_name(&mv, kind, "adr", Some("ADR"));
    out.push_str(&format!(
        "## display name\n{}",
        diff(&mv, &display.unwrap_or_default())
    ));
    let review = read(EXAMPLES, "review_metrics.yaml");
    let filter = metric_view::set_filter(&review, Some("NOT is_deleted AND rating IS NOT NULL"));
    out.push_str(&format!(
        "## filter\n{}",
        diff(&review, &filter.unwrap_or_default())
    ));
    insta::assert_snapshot!(out);
}

// ---------------------------------------------------------------------------------------------
// Generated tables files and inverse edits

/// Words that stress quoting: colons, hashes, quotes, YAML keywords, numbers, templates, unicode.
fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}( [a-z]{1,8}){0,3}",
        Just("Status: confirmed or not".to_owned()),
        Just("it's \"quoted\"".to_owned()),
        Just("yes".to_owned()),
        Just("42".to_owned()),
        Just("see #ops".to_owned()),
        Just("${var.region} café".to_owned()),
        Just("- dash first".to_owned()),
        Just("two\nlines\n".to_owned()),
    ]
}

/// How a scalar is written in a generated file.
#[derive(Debug, Clone, Copy)]
enum Quote {
    Plain,
    Single,
    Double,
}

fn scalar(value: &str, quote: Quote) -> String {
    let plain_ok = yaml_edit::is_plain_safe(value, false);
    match quote {
        Quote::Plain if plain_ok => value.to_owned(),
        Quote::Single if !value.contains('\n') => format!("'{}'", value.replace('\'', "''")),
        _ => serde_json::to_string(value).unwrap_or_default(),
    }
}

#[derive(Debug, Clone)]
struct GenColumn {
    name: String,
    comment: Option<(String, Quote)>,
    synonyms: Vec<String>,
    block_synonyms: bool,
    tags: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct GenTable {
    name: String,
    comment: Option<(String, Quote)>,
    columns: Vec<GenColumn>,
    fk: bool,
    blank_line_after: bool,
}

fn quote() -> impl Strategy<Value = Quote> {
    prop_oneof![Just(Quote::Plain), Just(Quote::Single), Just(Quote::Double)]
}

fn column(i: usize) -> impl Strategy<Value = GenColumn> {
    (
        proptest::option::of((text_value(), quote())),
        proptest::collection::btree_set("[a-z]{2,6}( [a-z]{2,6})?", 0..4),
        any::<bool>(),
        proptest::collection::btree_map("[a-z]{2,5}", "[a-z0-9]{1,5}", 0..3),
    )
        .prop_map(move |(comment, synonyms, block_synonyms, tags)| GenColumn {
            name: format!("col_{i}"),
            comment,
            synonyms: synonyms.into_iter().collect(),
            block_synonyms,
            tags: tags.into_iter().collect(),
        })
}

fn table(i: usize) -> impl Strategy<Value = GenTable> {
    (
        proptest::option::of((text_value(), quote())),
        (1usize..4).prop_flat_map(|n| (0..n).map(column).collect::<Vec<_>>()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(comment, columns, fk, blank_line_after)| GenTable {
            name: format!("${{catalog}}.sales.t{i}"),
            comment,
            columns,
            fk,
            blank_line_after,
        })
}

fn write_comment(out: &mut String, indent: &str, (value, q): &(String, Quote)) {
    if value.contains('\n') && matches!(q, Quote::Plain) {
        out.push_str(&format!("{indent}comment: |\n"));
        for line in value.trim_end_matches('\n').split('\n') {
            out.push_str(&format!("{indent}  {line}\n"));
        }
    } else {
        out.push_str(&format!("{indent}comment: {}\n", scalar(value, *q)));
    }
}

fn render_tables(tables: &[GenTable]) -> String {
    let mut out = String::from("# generated lever-1 file\ntables:\n");
    for t in tables {
        out.push_str(&format!("  - name: {}   # table\n", t.name));
        if let Some(c) = &t.comment {
            write_comment(&mut out, "    ", c);
        }
        if t.name.ends_with(".t0") {
            // the parent of every generated foreign key: Databricks needs its primary key
            out.push_str("    primary_key: [col_0]\n");
        }
        if t.fk {
            out.push_str("    foreign_keys:\n      - columns: [col_0]\n        references: ${catalog}.sales.t0(col_0)\n");
        }
        out.push_str("    columns:\n");
        for c in &t.columns {
            out.push_str(&format!("      - name: {}\n", c.name));
            if let Some(comment) = &c.comment {
                write_comment(&mut out, "        ", comment);
            }
            if !c.synonyms.is_empty() && c.block_synonyms {
                out.push_str("        synonyms:\n");
                for s in &c.synonyms {
                    out.push_str(&format!("          - {s}\n"));
                }
            } else if !c.synonyms.is_empty() {
                out.push_str(&format!("        synonyms: [{}]\n", c.synonyms.join(", ")));
            }
            if !c.tags.is_empty() {
                let tags: Vec<String> = c.tags.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                out.push_str(&format!("        tags: {{{}}}\n", tags.join(", ")));
            }
        }
        if t.blank_line_after {
            out.push_str("\n# between tables\n");
        }
    }
    out
}

fn tables_file() -> impl Strategy<Value = Vec<GenTable>> {
    (1usize..4).prop_flat_map(|n| (0..n).map(table).collect::<Vec<_>>())
}

/// How [`scalar`] and `write_comment` actually wrote a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Plain,
    Single,
    Double,
    Literal,
}

fn written(value: &str, quote: Quote) -> Written {
    let plain_ok = yaml_edit::is_plain_safe(value, false);
    let lines = value.contains('\n');
    match quote {
        Quote::Plain if lines => Written::Literal,
        Quote::Plain if plain_ok => Written::Plain,
        Quote::Single if !lines => Written::Single,
        _ => Written::Double,
    }
}

/// Whether setting `old` → `new` → `old` can restore the exact text. Two documented cases
/// cannot: a removed value comes back in canonical style (plain, literal block for multi-line
/// text, else double quotes), and a scalar whose style cannot hold `new` changes style for good.
fn restorable(old: &Option<(String, Quote)>, new: Option<&str>) -> bool {
    let Some((value, quote)) = old else {
        return true;
    };
    let style = written(value, *quote);
    match new {
        None => written(value, Quote::Plain) == style,
        Some(new) => match style {
            Written::Double => true,
            Written::Single => !new.contains('\n'),
            Written::Literal => new.contains('\n'),
            Written::Plain => yaml_edit::is_plain_safe(new, false),
        },
    }
}

/// Asserts `edited` differs from `original` in at most `max_lines` removed lines.
fn assert_local(original: &str, edited: &str, max_removed: usize) {
    let diff = similar::TextDiff::from_lines(original, edited);
    let removed = diff
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .count();
    assert!(removed <= max_removed, "{}", diff.unified_diff());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn generated_tables_files_load_cleanly(file in tables_file()) {
        let text = render_tables(&file);
        let loaded = tables::load("gen.yaml", &text);
        prop_assert!(!loaded.has_errors(), "{}\n{}", text, render(&loaded.diagnostics));
        prop_assert_eq!(loaded.value.tables.len(), file.len());
    }

    #[test]
    fn a_table_comment_edit_is_undone_by_its_inverse(file in tables_file(), pick in any::<prop::sample::Index>(), new in proptest::option::of(text_value())) {
        let text = render_tables(&file);
        let t = &file[pick.index(file.len())];
        prop_assume!(restorable(&t.comment, new.as_deref()));
        let edited = tables::set_table_comment(&text, &t.name, new.as_deref()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let old = t.comment.as_ref().map(|(v, _)| v.as_str());
        assert_local(&text, &edited, 4);
        let back = tables::set_table_comment(&edited, &t.name, old).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, text);
    }

    #[test]
    fn a_column_comment_edit_is_undone_by_its_inverse(file in tables_file(), pick in any::<prop::sample::Index>(), col in any::<prop::sample::Index>(), new in proptest::option::of(text_value())) {
        let text = render_tables(&file);
        let t = &file[pick.index(file.len())];
        let c = &t.columns[col.index(t.columns.len())];
        prop_assume!(restorable(&c.comment, new.as_deref()));
        let edited = tables::set_column_comment(&text, &t.name, &c.name, new.as_deref()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        assert_local(&text, &edited, 4);
        let old = c.comment.as_ref().map(|(v, _)| v.as_str());
        let back = tables::set_column_comment(&edited, &t.name, &c.name, old).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, text);
    }

    #[test]
    fn synonym_edits_are_undone_by_their_inverse(file in tables_file(), pick in any::<prop::sample::Index>(), col in any::<prop::sample::Index>(), word in "[a-z]{9,12}") {
        let text = render_tables(&file);
        let t = &file[pick.index(file.len())];
        let c = &t.columns[col.index(t.columns.len())];
        let added = tables::add_synonym(&text, &t.name, &c.name, &word).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        assert_local(&text, &added, 1);
        prop_assert_eq!(&tables::remove_synonym(&added, &t.name, &c.name, &word).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        if c.synonyms.len() >= 2 {
            let first = &c.synonyms[0];
            let removed = tables::remove_synonym(&text, &t.name, &c.name, first).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = tables::set_synonyms(&removed, &t.name, &c.name, &c.synonyms).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, text);
        }
    }

    #[test]
    fn tag_edits_are_undone_by_their_inverse(file in tables_file(), pick in any::<prop::sample::Index>(), col in any::<prop::sample::Index>(), key in "[a-z]{2,5}", value in "[a-z]{1,6}", on_table in any::<bool>()) {
        let text = render_tables(&file);
        let t = &file[pick.index(file.len())];
        let c = &t.columns[col.index(t.columns.len())];
        let column = (!on_table).then_some(c.name.as_str());
        let old = if on_table { None } else { c.tags.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()) };
        let edited = tables::set_tag(&text, &t.name, column, &key, &value).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        assert_local(&text, &edited, 1);
        let back = match old {
            Some(v) => tables::set_tag(&edited, &t.name, column, &key, &v),
            None => tables::unset_tag(&edited, &t.name, column, &key),
        }.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, text);
    }

    #[test]
    fn key_and_column_edits_are_undone_by_their_inverse(file in tables_file(), pick in any::<prop::sample::Index>()) {
        let text = render_tables(&file);
        let t = &file[pick.index(file.len())];
        let fk = tables::ForeignKey { name: Some("fk_x".into()), columns: vec!["col_1".into()], table: "${catalog}.sales.t9".into(), ref_columns: vec!["id".into()] };
        let with_fk = tables::add_foreign_key(&text, &t.name, &fk).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        assert_local(&text, &with_fk, 0);
        prop_assert_eq!(&tables::remove_foreign_key(&with_fk, &t.name, &fk.columns).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        let with_col = tables::add_column(&text, &t.name, "new_col").map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_local(&text, &with_col, 0);
        prop_assert_eq!(&tables::remove_column(&with_col, &t.name, "new_col").map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
    }

    #[test]
    fn metric_view_edits_are_undone_by_their_inverse(field in 0usize..7, word in "[a-z]{9,12}", comment in text_value(), sql_form in any::<bool>()) {
        let text = if sql_form { read(EXAMPLES, "booking_metrics.sql") } else { read(EXAMPLES, "review_metrics.yaml") };
        let view = metric_view::load("mv", &text, Some("main.s.v")).value.view;
        let fields: Vec<(metric_view::FieldKind, &metric_view::Field)> = view.dimensions.iter().map(|f| (metric_view::FieldKind::Dimension, f))
            .chain(view.measures.iter().map(|f| (metric_view::FieldKind::Measure, f))).collect();
        let (kind, f) = fields[field % fields.len()];
        let added = metric_view::add_synonym(&text, kind, &f.name, &word).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&metric_view::remove_synonym(&added, kind, &f.name, &word).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        let old = f.comment.as_deref();
        prop_assume!(old.is_none_or(|o| yaml_edit::is_plain_safe(&comment, false) || !yaml_edit::is_plain_safe(o, false)));
        let commented = metric_view::set_comment(&text, kind, &f.name, Some(&comment)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&metric_view::set_comment(&commented, kind, &f.name, old).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        let measure = metric_view::add_measure(&text, &word, "COUNT(1)", Some(&comment)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&metric_view::remove_measure(&measure, &word).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        let old_filter = view.filter.as_deref();
        let filtered = metric_view::set_filter(&text, Some(&format!("{word} IS NOT NULL"))).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&metric_view::set_filter(&filtered, old_filter).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
    }

    #[test]
    fn function_comment_edits_are_undone_by_their_inverse(comment in proptest::option::of(text_value()), param in 0usize..3) {
        let text = read(EXAMPLES, "get_top_hosts.sql");
        let f = function::parse("f", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let body = text[f.body.0..f.body.1].to_owned();
        let edited = function::set_comment(&text, comment.as_deref()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let g = function::parse("f", &edited).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&edited[g.body.0..g.body.1], body.as_str());
        prop_assert_eq!(g.comment.map(|c| c.value), comment.clone());
        let old = f.comment.as_ref().map(|c| c.value.as_str());
        prop_assert_eq!(&function::set_comment(&edited, old).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
        let p = &f.params[param];
        let edited = function::set_param_comment(&text, &p.name, comment.as_deref()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let old = p.comment.as_ref().map(|c| c.value.as_str());
        prop_assert_eq!(&function::set_param_comment(&edited, &p.name, old).map_err(|e| TestCaseError::fail(e.to_string()))?, &text);
    }

    #[test]
    fn property_edits_are_undone_by_their_inverse(key in "[a-z]{2,6}(\\.[a-z]{2,6})?", value in text_value(), table in any::<bool>()) {
        let text = read(EXAMPLES, "monitoring.yaml");
        let file = properties::load("p", &text).value;
        let t = &file.tables[usize::from(table)];
        let old = t.properties.get(&key).cloned();
        let edited = properties::set_property(&text, &t.name, &key, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_local(&text, &edited, 1);
        let back = match old {
            Some(v) => properties::set_property(&edited, &t.name, &key, &v),
            None => properties::unset_property(&edited, &t.name, &key),
        }.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, text);
    }
}

// ---------------------------------------------------------------------------------------------
// Mutation loop

/// A small deterministic generator (xorshift) so the loop is seeded and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random mutation on character boundaries: delete, insert a special character, duplicate
/// or drop a line.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let specials = [
        '\'', '"', '$', '[', ']', '{', '}', ':', '-', '#', '\n', ' ', '(', ')', ',', '`', '|', '>',
        '&', '*', 'é', '\t',
    ];
    let mut out = chars.clone();
    match rng.below(4) {
        0 if !out.is_empty() => {
            let len = rng.below(8).min(out.len() - at.min(out.len()));
            out.drain(at.min(out.len())..at.min(out.len()) + len);
        }
        1 => out.insert(at, specials[rng.below(specials.len())]),
        _ => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let i = rng.below(lines.len());
            let mut lines: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            if rng.below(2) == 0 {
                let line = lines.get(i).cloned().unwrap_or_default();
                lines.insert(i, line);
            } else if i < lines.len() {
                lines.remove(i);
            }
            return lines.concat();
        }
    }
    out.into_iter().collect()
}

#[test]
fn parsers_and_edits_never_panic_on_mutated_fixtures() {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut files: Vec<(String, String)> = Vec::new();
    for dir in [EXAMPLES, BROKEN] {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        files.extend(names.into_iter().map(|n| {
            let text = read(dir, &n);
            (n, text)
        }));
    }
    assert!(files.len() >= 10, "fixtures missing");
    for (name, original) in &files {
        let mut text = original.clone();
        for round in 0..150 {
            text = if round % 10 == 0 {
                original.clone()
            } else {
                mutate(&text, &mut rng)
            };
            let _ = diagnostics(name, &text);
            let _ = tables::load(name, &text);
            let _ = metric_view::load(name, &text, None);
            let _ = properties::load(name, &text);
            let _ = function::parse(name, &text);
            let _ = function::set_comment(&text, Some("x"));
            let _ = tables::add_synonym(&text, "${catalog}.${gold_schema}.bookings", "status", "s");
            let _ = metric_view::add_synonym(&text, metric_view::FieldKind::Measure, "adr", "s");
            let _ = yaml_edit::remove_key(&text, &YamlPath::root(), "tables");
            let _ = yaml_edit::append(&text, &YamlPath::root().key("tables"), Value::str("x"));
        }
    }
}
