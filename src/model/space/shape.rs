//! The expected shape of a `serialized_space` document, checked before it is turned into the
//! typed structs.
//!
//! `serde` stops at the first type error and does not say where it was. This walk checks every
//! known key against its expected JSON type and reports *all* mismatches and missing required keys
//! by JSON pointer, so each one gets a line and column. Unknown keys are allowed (they are kept)
//! but reported as warnings, with a "did you mean" when they look like a typo of a known key.

use serde_json::Value;

use crate::model::json::child;

/// What a key's value must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// The format version: a small non-negative integer.
    Version,
    /// A text field: an array of strings.
    Lines,
    /// An object with these fields.
    Object(&'static [Field]),
    /// An array of objects with these fields.
    List(&'static [Field]),
}

/// One known key of an object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Required keys must be present and not `null`; optional scalars and objects may be `null`.
    pub required: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

/// The version 1 column-config keys and their version 2 names.
pub(crate) const V1_RENAMES: [(&str, &str); 2] = [
    ("get_example_values", "enable_format_assistance"),
    ("build_value_dictionary", "enable_entity_matching"),
];

pub(crate) const SPACE: &[Field] = &[
    req("version", Kind::Version),
    opt("config", Kind::Object(CONFIG)),
    opt("data_sources", Kind::Object(DATA_SOURCES)),
    opt("instructions", Kind::Object(INSTRUCTIONS)),
    opt("benchmarks", Kind::Object(BENCHMARKS)),
];
const CONFIG: &[Field] = &[opt("sample_questions", Kind::List(ID_QUESTION))];
const ID_QUESTION: &[Field] = &[req("id", Kind::Str), opt("question", Kind::Lines)];
const DATA_SOURCES: &[Field] = &[
    opt("tables", Kind::List(DATA_SOURCE)),
    opt("metric_views", Kind::List(DATA_SOURCE)),
];
const DATA_SOURCE: &[Field] = &[
    req("identifier", Kind::Str),
    opt("description", Kind::Lines),
    opt("column_configs", Kind::List(COLUMN_CONFIG)),
];
const COLUMN_CONFIG: &[Field] = &[
    req("column_name", Kind::Str),
    opt("description", Kind::Lines),
    opt("synonyms", Kind::Lines),
    opt("exclude", Kind::Bool),
    opt("enable_format_assistance", Kind::Bool),
    opt("enable_entity_matching", Kind::Bool),
    opt("get_example_values", Kind::Bool),
    opt("build_value_dictionary", Kind::Bool),
];
const INSTRUCTIONS: &[Field] = &[
    opt("text_instructions", Kind::List(TEXT_INSTRUCTION)),
    opt("example_question_sqls", Kind::List(EXAMPLE)),
    opt("sql_functions", Kind::List(SQL_FUNCTION)),
    opt("join_specs", Kind::List(JOIN_SPEC)),
    opt("sql_snippets", Kind::Object(SNIPPETS)),
];
const TEXT_INSTRUCTION: &[Field] = &[req("id", Kind::Str), opt("content", Kind::Lines)];
const EXAMPLE: &[Field] = &[
    req("id", Kind::Str),
    opt("question", Kind::Lines),
    opt("sql", Kind::Lines),
    opt("usage_guidance", Kind::Lines),
    opt("parameters", Kind::List(PARAMETER)),
];
const PARAMETER: &[Field] = &[
    req("name", Kind::Str),
    opt("type_hint", Kind::Str),
    opt("description", Kind::Lines),
    opt("default_value", Kind::Object(DEFAULT_VALUE)),
];
const DEFAULT_VALUE: &[Field] = &[opt("values", Kind::Lines)];
const SQL_FUNCTION: &[Field] = &[req("id", Kind::Str), req("identifier", Kind::Str)];
const JOIN_SPEC: &[Field] = &[
    req("id", Kind::Str),
    req("left", Kind::Object(JOIN_SIDE)),
    req("right", Kind::Object(JOIN_SIDE)),
    opt("sql", Kind::Lines),
    opt("comment", Kind::Lines),
    opt("instruction", Kind::Lines),
];
const JOIN_SIDE: &[Field] = &[req("identifier", Kind::Str), opt("alias", Kind::Str)];
const SNIPPETS: &[Field] = &[
    opt("filters", Kind::List(SNIPPET)),
    opt("expressions", Kind::List(SNIPPET)),
    opt("measures", Kind::List(SNIPPET)),
];
const SNIPPET: &[Field] = &[
    req("id", Kind::Str),
    opt("alias", Kind::Str),
    opt("sql", Kind::Lines),
    opt("display_name", Kind::Str),
    opt("synonyms", Kind::Lines),
    opt("instruction", Kind::Lines),
    opt("comment", Kind::Lines),
];
const BENCHMARKS: &[Field] = &[opt("questions", Kind::List(BENCHMARK))];
const BENCHMARK: &[Field] = &[
    req("id", Kind::Str),
    opt("question", Kind::Lines),
    opt("answer", Kind::List(ANSWER)),
];
const ANSWER: &[Field] = &[req("format", Kind::Str), opt("content", Kind::Lines)];

/// The wrapper's keys other than `serialized_space` (whose shape is checked separately).
pub(crate) const WRAPPER: &[Field] = &[
    opt("space_id", Kind::Str),
    opt("title", Kind::Str),
    opt("description", Kind::Str),
    opt("warehouse_id", Kind::Str),
    opt("parent_path", Kind::Str),
    opt("etag", Kind::Str),
    opt("create_time", Kind::Str),
    opt("update_time", Kind::Str),
];

/// One shape problem, at a pointer relative to the checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub pointer: String,
    /// `true` when the problem is about an object *key* (missing or unknown), so the position is
    /// the key's (or, for a missing key, the object's).
    pub on_key: bool,
    pub kind: ProblemKind,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    /// Wrong type or missing required key: the file cannot be read.
    Error,
    /// An unknown key: kept, but probably a mistake.
    UnknownKey,
}

/// Checks `value` (an object, at `pointer`) against `fields`.
pub(crate) fn check_object(value: &Value, fields: &[Field], pointer: &str, out: &mut Vec<Problem>) {
    let Some(map) = value.as_object() else {
        out.push(type_problem(pointer, "an object", value));
        return;
    };
    for field in fields {
        let member = child(pointer, field.name);
        match map.get(field.name) {
            None | Some(Value::Null) if field.required => out.push(Problem {
                pointer: pointer.to_owned(),
                on_key: false,
                kind: ProblemKind::Error,
                message: format!("missing required key `{}`", field.name),
                hint: format!("add `\"{}\"` to this object", field.name),
            }),
            None => {}
            Some(Value::Null) if nullable(field.kind) => {}
            Some(v) => check_value(v, field.kind, &member, out),
        }
    }
    for key in map.keys() {
        if !fields.iter().any(|f| f.name == key) {
            out.push(unknown_key(pointer, key, fields));
        }
    }
}

/// Scalars and objects are `Option`s in the model (so `null` reads as absent); arrays are not.
fn nullable(kind: Kind) -> bool {
    !matches!(kind, Kind::Lines | Kind::List(_))
}

fn check_value(value: &Value, kind: Kind, pointer: &str, out: &mut Vec<Problem>) {
    match kind {
        Kind::Str if !value.is_string() => out.push(type_problem(pointer, "a string", value)),
        Kind::Bool if !value.is_boolean() => {
            out.push(type_problem(pointer, "`true` or `false`", value))
        }
        Kind::Version if value.as_u64().is_none_or(|v| v > u64::from(u32::MAX)) => {
            out.push(type_problem(pointer, "a whole number such as 2", value))
        }
        Kind::Lines => check_lines(value, pointer, out),
        Kind::Object(fields) => check_object(value, fields, pointer, out),
        Kind::List(fields) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_object(item, fields, &child(pointer, i), out);
                }
            }
            None => out.push(type_problem(pointer, "an array of objects", value)),
        },
        _ => {}
    }
}

fn check_lines(value: &Value, pointer: &str, out: &mut Vec<Problem>) {
    let Some(items) = value.as_array() else {
        let mut problem = type_problem(pointer, "an array of strings", value);
        if value.is_string() {
            problem.hint = "text fields are arrays of strings: wrap the text in `[ ]`".into();
        }
        out.push(problem);
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if !item.is_string() {
            out.push(type_problem(&child(pointer, i), "a string", item));
        }
    }
}

fn type_problem(pointer: &str, expected: &str, found: &Value) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        on_key: false,
        kind: ProblemKind::Error,
        message: format!("expected {expected}, found {}", describe(found)),
        hint: format!("write {expected} here"),
    }
}

/// A short description of a JSON value's type for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unknown_key(pointer: &str, key: &str, fields: &[Field]) -> Problem {
    let closest = fields
        .iter()
        .map(|f| (strsim::jaro_winkler(key, f.name), f.name))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((_, name)) => format!("did you mean `{name}`? Unknown keys are kept as they are"),
        None => "unknown keys are kept as they are; remove it if the API rejects it".to_owned(),
    };
    Problem {
        pointer: child(pointer, key),
        on_key: true,
        kind: ProblemKind::UnknownKey,
        message: format!("unknown key `{key}`"),
        hint,
    }
}
