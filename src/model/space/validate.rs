//! Validation of a space: everything the API would reject, and what `fmt` would change, reported
//! at the offending value's line and column with a hint saying what to do.
//!
//! Rules (sources: `research/databricks-api.md` §1–2, `research/upstream.md` §2):
//! * ids are 32 lowercase hex and unique across the whole file (see [`super::ids`]);
//! * lists are in the API's order (a warning: `genie-gitops fmt` sorts them);
//! * at most one text instruction;
//! * limits: [`MAX_DATA_SOURCES`] tables + metric views; [`MAX_INSTRUCTIONS`] instructions,
//!   counted the API's way (each example SQL, each SQL function, and the text block, one each);
//!   [`MAX_SNIPPETS`] knowledge-store snippets (each described table or metric view, each join
//!   spec, each filter, expression and measure); [`MAX_SQL_FUNCTIONS`] functions and
//!   [`MAX_BENCHMARKS`] benchmark questions; strings of at most [`MAX_STRING_CHARS`] characters
//!   and arrays of at most [`MAX_ARRAY_ITEMS`] items;
//! * join specs carry exactly one valid `--rt=FROM_RELATIONSHIP_TYPE_…--` marker and a condition;
//! * every `:name` in an example's SQL is declared in its `parameters` and every declared one is
//!   used (an unused one is a warning);
//! * entity matching requires format assistance; snippets have SQL (and expressions and measures
//!   an alias); benchmark questions have exactly one SQL answer;
//! * identifiers have three parts (`catalog.schema.object`; any part may be a `${var}` template);
//!   tables and (table, column) configs are not repeated.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::ids::{is_valid_id, suggested_id};
use super::params::parameter_references;
use super::{
    ColumnConfig, ExampleQuestionSql, JoinSide, JoinSpec, ParsedSpaceFile, Positions, Relationship,
    SerializedSpace, Snippet, text,
};
use crate::model::diag::{self, Diagnostic};
use crate::model::json::child;

/// Most tables, views and metric views in one space.
pub const MAX_DATA_SOURCES: usize = 30;
/// Most instructions: each example SQL, each SQL function and the text block count one.
pub const MAX_INSTRUCTIONS: usize = 100;
/// Most knowledge-store snippets: table descriptions, join specs and SQL snippets.
pub const MAX_SNIPPETS: usize = 200;
/// Most SQL functions ("Exceeded maximum number (50)").
pub const MAX_SQL_FUNCTIONS: usize = 50;
/// Most benchmark questions ("Exceeded maximum number (50)").
pub const MAX_BENCHMARKS: usize = 50;
/// Longest string, in characters.
pub const MAX_STRING_CHARS: usize = 25_000;
/// Longest array.
pub const MAX_ARRAY_ITEMS: usize = 10_000;

/// Reads and validates a space file: every problem, sorted by position.
pub fn validate(file: &str, text: &str) -> Vec<Diagnostic> {
    match super::parse(file, text) {
        Ok(parsed) => validate_parsed(file, &parsed),
        Err(diags) => diags,
    }
}

/// Validates a parsed file: its parse warnings plus every rule, sorted by position.
pub fn validate_parsed(file: &str, parsed: &ParsedSpaceFile) -> Vec<Diagnostic> {
    let mut out = parsed.diagnostics.clone();
    out.extend(validate_space(file, &parsed.file.space, &parsed.positions));
    diag::sort(&mut out);
    out
}

/// Validates a space; `positions` locates its values (use [`Positions::none`] for a space built
/// in memory). Sorted by position.
pub fn validate_space(
    file: &str,
    space: &SerializedSpace,
    positions: &Positions,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        file,
        pos: positions,
        out: Vec::new(),
    };
    c.ids(space);
    c.order(space);
    c.limits(space);
    c.sizes(space);
    c.data_sources(space);
    c.instructions(space);
    c.benchmarks(space);
    diag::sort(&mut c.out);
    c.out
}

struct Checker<'a> {
    file: &'a str,
    pos: &'a Positions,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, pointer: &str, message: impl Into<String>, hint: impl Into<String>) {
        let (line, col) = self.pos.locate(pointer);
        let d = Diagnostic::error(self.file, message)
            .at(line, col)
            .hint(hint);
        self.out.push(d);
    }

    fn warning(&mut self, pointer: &str, message: impl Into<String>, hint: impl Into<String>) {
        let (line, col) = self.pos.locate(pointer);
        let d = Diagnostic::warning(self.file, message)
            .at(line, col)
            .hint(hint);
        self.out.push(d);
    }

    /// Where a value is, for messages: `line N` or its pointer when the file is not known.
    fn describe_location(&self, pointer: &str) -> String {
        match self.pos.locate(pointer) {
            (0, _) => format!("`{pointer}`"),
            (line, _) => format!("line {line}"),
        }
    }

    fn ids(&mut self, space: &SerializedSpace) {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (pointer, id) in id_entries(space) {
            if !is_valid_id(id) {
                self.error(
                    &pointer,
                    format!("id `{id}` is not 32 lowercase hex characters"),
                    format!("use an id such as `{}`", suggested_id(id)),
                );
            }
            match seen.get(id) {
                Some(first) => {
                    let first = self.describe_location(first);
                    self.error(
                        &pointer,
                        format!("id `{id}` is already used at {first}"),
                        format!(
                            "ids must be unique across the file: use a new one such as `{}`",
                            suggested_id(&format!("{pointer}:{id}"))
                        ),
                    );
                }
                None => {
                    seen.insert(id, pointer);
                }
            }
        }
    }

    fn order(&mut self, space: &SerializedSpace) {
        if let Some(config) = &space.config {
            let keys = single_keys(config.sample_questions.iter().map(|q| q.id.as_str()));
            self.sorted("/config/sample_questions", "id", &keys);
        }
        for (list, name) in [
            (space.tables(), "/data_sources/tables"),
            (space.metric_views(), "/data_sources/metric_views"),
        ] {
            let keys = single_keys(list.iter().map(|d| d.identifier.as_str()));
            self.sorted(name, "identifier", &keys);
            for (i, source) in list.iter().enumerate() {
                let pointer = child(&child(name, i), "column_configs");
                let configs = &source.column_configs;
                let keys = single_keys(configs.iter().map(|c| c.column_name.as_str()));
                self.sorted(&pointer, "column_name", &keys);
            }
        }
        if let Some(ins) = &space.instructions {
            let keys = single_keys(ins.text_instructions.iter().map(|t| t.id.as_str()));
            self.sorted("/instructions/text_instructions", "id", &keys);
            let keys = single_keys(ins.example_question_sqls.iter().map(|e| e.id.as_str()));
            self.sorted("/instructions/example_question_sqls", "id", &keys);
            let keys: Vec<(&str, &str)> = ins
                .sql_functions
                .iter()
                .map(|f| (f.id.as_str(), f.identifier.as_str()))
                .collect();
            self.sorted("/instructions/sql_functions", "(id, identifier)", &keys);
            let keys = single_keys(ins.join_specs.iter().map(|j| j.id.as_str()));
            self.sorted("/instructions/join_specs", "id", &keys);
            if let Some(snippets) = &ins.sql_snippets {
                for (list, kind) in snippet_lists(snippets) {
                    let keys = single_keys(list.iter().map(|s| s.id.as_str()));
                    self.sorted(&format!("/instructions/sql_snippets/{kind}"), "id", &keys);
                }
            }
        }
        let keys = single_keys(space.benchmark_questions().iter().map(|q| q.id.as_str()));
        self.sorted("/benchmarks/questions", "id", &keys);
    }

    /// Warns at the first element whose sort key (compared as a tuple, the same order
    /// [`SerializedSpace::sort_canonically`] uses) is smaller than its predecessor's.
    fn sorted(&mut self, pointer: &str, key_name: &str, keys: &[(&str, &str)]) {
        let Some(i) = (1..keys.len()).find(|&i| keys[i - 1] > keys[i]) else {
            return;
        };
        let name = pointer.rsplit('/').next().unwrap_or(pointer);
        self.warning(
            &child(pointer, i),
            format!(
                "`{name}` is not sorted by {key_name}: `{}` comes after `{}`",
                keys[i].0,
                keys[i - 1].0
            ),
            "run `genie-gitops fmt` to sort it; the API requires this order",
        );
    }

    fn limits(&mut self, space: &SerializedSpace) {
        let sources = space.tables().len() + space.metric_views().len();
        if sources > MAX_DATA_SOURCES {
            self.error(
                "/data_sources",
                format!("{sources} tables and metric views exceed the limit of {MAX_DATA_SOURCES}"),
                "remove data sources or split the space",
            );
        }
        let text_block = usize::from(!space.text_instructions().is_empty());
        let instructions = space.examples().len() + space.sql_functions().len() + text_block;
        if instructions > MAX_INSTRUCTIONS {
            self.error(
                "/instructions",
                format!(
                    "{instructions} instructions (example SQLs, SQL functions and the text block) exceed the limit of {MAX_INSTRUCTIONS}"
                ),
                "remove example SQLs or SQL functions",
            );
        }
        let described = space
            .data_sources_iter()
            .filter(|d| !text(&d.description).trim().is_empty())
            .count();
        let snippets = space.snippets().map_or(0, |s| {
            s.filters.len() + s.expressions.len() + s.measures.len()
        });
        let total = described + space.join_specs().len() + snippets;
        if total > MAX_SNIPPETS {
            self.error(
                "/instructions",
                format!(
                    "{total} knowledge-store snippets (table descriptions, join specs, filters, expressions and measures) exceed the limit of {MAX_SNIPPETS}"
                ),
                "remove snippets, join specs or table descriptions",
            );
        }
        let functions = space.sql_functions().len();
        if functions > MAX_SQL_FUNCTIONS {
            self.error(
                "/instructions/sql_functions",
                format!("{functions} SQL functions exceed the limit of {MAX_SQL_FUNCTIONS}"),
                "remove SQL functions",
            );
        }
        let benchmarks = space.benchmark_questions().len();
        if benchmarks > MAX_BENCHMARKS {
            self.error(
                "/benchmarks/questions",
                format!("{benchmarks} benchmark questions exceed the limit of {MAX_BENCHMARKS}"),
                "keep at most 50 benchmark questions in the space; keep the rest in benchmark files",
            );
        }
    }

    /// String lengths and array sizes, over every value including unknown keys.
    fn sizes(&mut self, space: &SerializedSpace) {
        let Ok(value) = serde_json::to_value(space) else {
            return;
        };
        let mut stack = vec![(String::new(), &value)];
        while let Some((pointer, value)) = stack.pop() {
            match value {
                Value::String(s) => {
                    let chars = s.chars().count();
                    if chars > MAX_STRING_CHARS {
                        self.error(
                            &pointer,
                            format!("string of {chars} characters exceeds the limit of {MAX_STRING_CHARS}"),
                            "shorten it or split it across several entries",
                        );
                    }
                }
                Value::Array(items) => {
                    if items.len() > MAX_ARRAY_ITEMS {
                        self.error(
                            &pointer,
                            format!(
                                "array of {} items exceeds the limit of {MAX_ARRAY_ITEMS}",
                                items.len()
                            ),
                            "remove items",
                        );
                    }
                    stack.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (child(&pointer, i), v)),
                    );
                }
                Value::Object(map) => {
                    stack.extend(map.iter().map(|(k, v)| (child(&pointer, k), v)));
                }
                _ => {}
            }
        }
    }

    fn data_sources(&mut self, space: &SerializedSpace) {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (list, name) in [
            (space.tables(), "/data_sources/tables"),
            (space.metric_views(), "/data_sources/metric_views"),
        ] {
            for (i, source) in list.iter().enumerate() {
                let pointer = child(name, i);
                let ident = child(&pointer, "identifier");
                self.identifier(&ident, &source.identifier, "data source");
                if let Some(first) = seen.get(source.identifier.as_str()) {
                    let first = self.describe_location(first);
                    self.error(
                        &ident,
                        format!("`{}` is already listed at {first}", source.identifier),
                        "list each table or metric view once; merge the two entries",
                    );
                } else {
                    seen.insert(&source.identifier, ident);
                }
                self.column_configs(&pointer, &source.column_configs);
            }
        }
    }

    fn column_configs(&mut self, source: &str, configs: &[ColumnConfig]) {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (i, config) in configs.iter().enumerate() {
            let pointer = child(&child(source, "column_configs"), i);
            let name = child(&pointer, "column_name");
            if let Some(first) = seen.get(config.column_name.as_str()) {
                let first = self.describe_location(first);
                self.error(
                    &name,
                    format!(
                        "column `{}` is already configured at {first}",
                        config.column_name
                    ),
                    "configure each column once; merge the two entries",
                );
            } else {
                seen.insert(&config.column_name, name);
            }
            if config.entity_matching() && !config.format_assistance() {
                let flag = ["enable_entity_matching", "build_value_dictionary"]
                    .into_iter()
                    .map(|k| child(&pointer, k))
                    .find(|p| self.pos.has(p))
                    .unwrap_or_else(|| child(&pointer, "enable_entity_matching"));
                // A warning, not an error: Databricks' skill documents the dependency, but
                // exports with this combination exist and the server's verdict is unverified.
                self.warning(
                    &flag,
                    format!(
                        "column `{}` enables entity matching without format assistance",
                        config.column_name
                    ),
                    "set `enable_format_assistance: true` too: entity matching needs sampled values",
                );
            }
        }
    }

    fn instructions(&mut self, space: &SerializedSpace) {
        let texts = space.text_instructions();
        if texts.len() > 1 {
            self.error(
                "/instructions/text_instructions/1",
                format!(
                    "{} text instructions; the API allows at most one",
                    texts.len()
                ),
                "merge them into the first text instruction",
            );
        }
        for (i, example) in space.examples().iter().enumerate() {
            self.example(&format!("/instructions/example_question_sqls/{i}"), example);
        }
        for (i, function) in space.sql_functions().iter().enumerate() {
            let pointer = format!("/instructions/sql_functions/{i}/identifier");
            self.identifier(&pointer, &function.identifier, "SQL function");
        }
        let sources: BTreeSet<&str> = space
            .data_sources_iter()
            .map(|d| d.identifier.as_str())
            .collect();
        for (i, join) in space.join_specs().iter().enumerate() {
            self.join_spec(&format!("/instructions/join_specs/{i}"), join, &sources);
        }
        if let Some(snippets) = space.snippets() {
            for (list, kind) in snippet_lists(snippets) {
                for (i, snippet) in list.iter().enumerate() {
                    let pointer = format!("/instructions/sql_snippets/{kind}/{i}");
                    self.snippet(&pointer, kind, snippet);
                }
            }
        }
    }

    fn example(&mut self, pointer: &str, example: &ExampleQuestionSql) {
        let sql = text(&example.sql);
        if sql.trim().is_empty() {
            self.error(
                pointer,
                "example has no SQL",
                "write the SQL that answers the question in `sql`",
            );
            return;
        }
        let declared: Vec<&str> = example.parameters.iter().map(|p| p.name.as_str()).collect();
        let refs = parameter_references(&sql);
        let mut reported = BTreeSet::new();
        for r in &refs {
            if !declared.contains(&r.name.as_str()) && reported.insert(r.name.as_str()) {
                let line = element_at(&example.sql, r.offset);
                self.error(
                    &child(&child(pointer, "sql"), line),
                    format!("parameter `:{}` is used but not declared", r.name),
                    format!(
                        "declare it in `parameters` as {{\"name\": \"{}\", \"type_hint\": \"STRING\"}} (with the right type), or remove the marker",
                        r.name
                    ),
                );
            }
        }
        for (i, name) in declared.iter().enumerate() {
            let name_pointer = child(&child(&child(pointer, "parameters"), i), "name");
            if declared[..i].contains(name) {
                self.error(
                    &name_pointer,
                    format!("parameter `{name}` is declared twice"),
                    "remove the repeated declaration",
                );
            } else if !refs.iter().any(|r| r.name == *name) {
                self.warning(
                    &name_pointer,
                    format!("parameter `{name}` is declared but the SQL never uses `:{name}`"),
                    format!("use `:{name}` in the SQL or remove the declaration"),
                );
            }
        }
    }

    fn join_spec(&mut self, pointer: &str, join: &JoinSpec, sources: &BTreeSet<&str>) {
        self.join_side(&child(pointer, "left"), &join.left, sources);
        self.join_side(&child(pointer, "right"), &join.right, sources);
        let sql = child(pointer, "sql");
        let markers: Vec<usize> = (0..join.sql.len())
            .filter(|&i| join.sql[i].trim_start().starts_with("--rt="))
            .collect();
        let marker_hint = format!(
            "add `{}` (or ONE_TO_MANY, ONE_TO_ONE, MANY_TO_MANY) as the last `sql` element",
            Relationship::ManyToOne.marker()
        );
        match markers.as_slice() {
            [] => {
                let at = if self.pos.has(&sql) {
                    sql.clone()
                } else {
                    pointer.to_owned()
                };
                self.error(
                    &at,
                    "join spec has no `--rt=` relationship marker",
                    marker_hint,
                );
            }
            [single] => {
                let element = &join.sql[*single];
                if Relationship::from_marker(element).is_none() {
                    self.error(
                        &child(&sql, single),
                        format!("`{}` is not a valid relationship marker", element.trim()),
                        marker_hint,
                    );
                }
            }
            [_, extra @ ..] => {
                for i in extra {
                    self.error(
                        &child(&sql, i),
                        "join spec has more than one relationship marker",
                        "keep one `--rt=` marker per join spec",
                    );
                }
            }
        }
        if join.condition().trim().is_empty() {
            let at = if self.pos.has(&sql) {
                sql
            } else {
                pointer.to_owned()
            };
            self.error(
                &at,
                "join spec has no join condition",
                "write one equality such as \"`a`.`key` = `b`.`key`\" as the first `sql` element",
            );
        }
    }

    fn join_side(&mut self, pointer: &str, side: &JoinSide, sources: &BTreeSet<&str>) {
        let ident = child(pointer, "identifier");
        let known = sources.contains(side.identifier.as_str());
        if self.identifier(&ident, &side.identifier, "join table") && !known {
            self.warning(
                &ident,
                format!(
                    "join refers to `{}`, which is not a data source of this space",
                    side.identifier
                ),
                "add the table to `data_sources` or correct the identifier",
            );
        }
    }

    fn snippet(&mut self, pointer: &str, kind: &str, snippet: &Snippet) {
        if text(&snippet.sql).trim().is_empty() {
            let sql = child(pointer, "sql");
            let at = if self.pos.has(&sql) {
                sql
            } else {
                pointer.to_owned()
            };
            self.error(
                &at,
                "snippet has empty `sql`",
                "write the SQL fragment, or remove the snippet",
            );
        }
        let needs_alias = kind != "filters";
        if needs_alias && snippet.alias.as_deref().is_none_or(|a| a.trim().is_empty()) {
            self.error(
                pointer,
                format!("{} snippet has no `alias`", kind.trim_end_matches('s')),
                "add an `alias`: the name Genie gives the computed column",
            );
        }
    }

    fn benchmarks(&mut self, space: &SerializedSpace) {
        for (i, question) in space.benchmark_questions().iter().enumerate() {
            let pointer = format!("/benchmarks/questions/{i}");
            let sql_answers = question.answer.iter().filter(|a| a.format == "SQL").count();
            if question.answer.len() != 1 || sql_answers != 1 {
                self.error(
                    &pointer,
                    format!(
                        "benchmark question has {} answers ({sql_answers} in SQL); exactly one SQL answer is required",
                        question.answer.len()
                    ),
                    "give it one answer {\"format\": \"SQL\", \"content\": [...]}",
                );
            } else if question
                .answer
                .iter()
                .all(|a| text(&a.content).trim().is_empty())
            {
                self.error(
                    &child(&child(&pointer, "answer"), 0),
                    "benchmark answer has no SQL",
                    "write the ground-truth SQL in `content`",
                );
            }
        }
    }

    /// Checks a three-part identifier; returns whether it is well-formed.
    fn identifier(&mut self, pointer: &str, identifier: &str, what: &str) -> bool {
        match identifier_problem(identifier) {
            None => true,
            Some(problem) => {
                self.error(
                    pointer,
                    format!("{what} identifier `{identifier}` {problem}"),
                    "write `catalog.schema.object` (a part may be a template such as `${catalog}`; quote unusual names with backticks)",
                );
                false
            }
        }
    }
}

/// Sort keys made of one string.
fn single_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(&'a str, &'a str)> {
    keys.map(|k| (k, "")).collect()
}

/// Every id in the file with its pointer, in file order.
fn id_entries(space: &SerializedSpace) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    if let Some(config) = &space.config {
        let list = config.sample_questions.iter().map(|q| q.id.as_str());
        push_ids(&mut out, "/config/sample_questions", list);
    }
    if let Some(ins) = &space.instructions {
        let texts = ins.text_instructions.iter().map(|t| t.id.as_str());
        push_ids(&mut out, "/instructions/text_instructions", texts);
        let examples = ins.example_question_sqls.iter().map(|e| e.id.as_str());
        push_ids(&mut out, "/instructions/example_question_sqls", examples);
        let functions = ins.sql_functions.iter().map(|f| f.id.as_str());
        push_ids(&mut out, "/instructions/sql_functions", functions);
        let joins = ins.join_specs.iter().map(|j| j.id.as_str());
        push_ids(&mut out, "/instructions/join_specs", joins);
        if let Some(snippets) = &ins.sql_snippets {
            for (list, kind) in snippet_lists(snippets) {
                let pointer = format!("/instructions/sql_snippets/{kind}");
                push_ids(&mut out, &pointer, list.iter().map(|s| s.id.as_str()));
            }
        }
    }
    let benchmarks = space.benchmark_questions().iter().map(|q| q.id.as_str());
    push_ids(&mut out, "/benchmarks/questions", benchmarks);
    out
}

fn push_ids<'a>(out: &mut Vec<(String, &'a str)>, list: &str, ids: impl Iterator<Item = &'a str>) {
    out.extend(
        ids.enumerate()
            .map(|(i, id)| (format!("{list}/{i}/id"), id)),
    );
}

fn snippet_lists(snippets: &super::SqlSnippets) -> [(&[Snippet], &'static str); 3] {
    [
        (&snippets.filters, "filters"),
        (&snippets.expressions, "expressions"),
        (&snippets.measures, "measures"),
    ]
}

/// The index of the text-array element holding byte `offset` of the joined text.
fn element_at(parts: &[String], offset: usize) -> usize {
    let mut end = 0;
    for (i, part) in parts.iter().enumerate() {
        end += part.len();
        if offset < end {
            return i;
        }
    }
    parts.len().saturating_sub(1)
}

/// What is wrong with a three-part identifier, if anything. Dots inside backticks or `${…}`
/// templates do not separate parts.
pub fn identifier_problem(identifier: &str) -> Option<String> {
    let mut parts = vec![String::new()];
    let mut chars = identifier.chars().peekable();
    while let Some(c) = chars.next() {
        let current = parts.last_mut()?;
        match c {
            '.' => parts.push(String::new()),
            '`' => {
                current.push(c);
                for q in chars.by_ref() {
                    current.push(q);
                    if q == '`' {
                        break;
                    }
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                current.push(c);
                for t in chars.by_ref() {
                    current.push(t);
                    if t == '}' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => return Some("contains whitespace".to_owned()),
            c => current.push(c),
        }
    }
    if parts.len() != 3 {
        return Some(format!("has {} parts, not 3", parts.len()));
    }
    parts
        .iter()
        .any(String::is_empty)
        .then(|| "has an empty part".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_need_three_parts_and_templates_are_allowed() {
        assert_eq!(identifier_problem("main.sales.orders"), None);
        assert_eq!(
            identifier_problem("${catalog}.${gold_schema}.dim_date"),
            None
        );
        assert_eq!(identifier_problem("${var.cat}.s_${env}.t"), None);
        assert_eq!(identifier_problem("`my.cat`.s.t"), None);
        assert_eq!(identifier_problem("orders").unwrap(), "has 1 parts, not 3");
        assert_eq!(identifier_problem("a..b").unwrap(), "has an empty part");
        assert_eq!(
            identifier_problem("a.b.c d").unwrap(),
            "contains whitespace"
        );
        assert!(identifier_problem("`unterminated.x").is_some());
    }

    #[test]
    fn an_offset_maps_to_the_text_element_holding_it() {
        let parts = vec!["ab\n".to_owned(), "cd".to_owned()];
        assert_eq!(element_at(&parts, 0), 0);
        assert_eq!(element_at(&parts, 3), 1);
        assert_eq!(element_at(&parts, 99), 1);
    }
}
