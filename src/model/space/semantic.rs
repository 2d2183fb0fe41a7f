//! "Is the live space the same as the repository's?": equality that ignores what the server
//! changes without changing meaning.
//!
//! Both sides are put in a normal form: lists sorted the canonical way (the server re-sorts
//! sample questions and benchmarks), text fields compared by their joined text rather than by
//! how they are split into lines, and empty lists, empty objects and `null`s treated as absent.
//! Everything else, unknown keys included, must match exactly.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{SerializedSpace, text};

/// The text fields whose array elements are concatenated when Genie reads them. `synonyms` and
/// `values` are real lists, so they are not joined.
const TEXT_KEYS: [&str; 7] = [
    "question",
    "sql",
    "content",
    "description",
    "comment",
    "instruction",
    "usage_guidance",
];

/// Whether two spaces mean the same thing to Genie (see the module docs).
pub fn semantically_equal(a: &SerializedSpace, b: &SerializedSpace) -> bool {
    normalized(a) == normalized(b)
}

/// The normal form used by [`semantically_equal`], as JSON.
pub fn normalized(space: &SerializedSpace) -> Value {
    let value = serde_json::to_value(space.canonical()).unwrap_or(Value::Null);
    normalize(value).unwrap_or(Value::Null)
}

/// One place where the live space means something else than the repository's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// JSON pointer into the normalized space.
    pub pointer: String,
    /// The repository's value (templates resolved), absent when only live has it.
    pub repo: Option<Value>,
    /// The live value, absent when only the repository has it.
    pub live: Option<Value>,
}

/// The semantic differences between the repository's space and the live one, with both values
/// (sorted by pointer): what drift reports show.
pub fn differences(repo: &SerializedSpace, live: &SerializedSpace) -> Vec<Difference> {
    let (repo_value, live_value) = (normalized(repo), normalized(live));
    let mut pointers = Vec::new();
    diff(&repo_value, &live_value, "", &mut pointers);
    pointers.sort();
    pointers
        .into_iter()
        .map(|pointer| Difference {
            repo: repo_value.pointer(&pointer).cloned(),
            live: live_value.pointer(&pointer).cloned(),
            pointer,
        })
        .collect()
}

/// JSON pointers (in the normal form) where two spaces differ, sorted: what a drift report shows.
pub fn semantic_differences(a: &SerializedSpace, b: &SerializedSpace) -> Vec<String> {
    let mut out = Vec::new();
    diff(&normalized(a), &normalized(b), "", &mut out);
    out.sort();
    out
}

/// Drops empty values and joins text fields; `None` when the value itself is empty.
fn normalize(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => {
            let items: Vec<Value> = items.into_iter().filter_map(normalize).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(map) => {
            let map: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| {
                    let v = if TEXT_KEYS.contains(&k.as_str()) {
                        join_text(v)
                    } else {
                        v
                    };
                    normalize(v).map(|v| (k, v))
                })
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
        other => Some(other),
    }
}

/// An array of strings becomes its concatenation; anything else is left alone.
fn join_text(value: Value) -> Value {
    let Value::Array(items) = &value else {
        return value;
    };
    let parts: Option<Vec<String>> = items
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect();
    match parts {
        Some(parts) if !text(&parts).is_empty() => Value::String(text(&parts)),
        Some(_) => Value::Null,
        None => value,
    }
}

fn diff(a: &Value, b: &Value, pointer: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let p = crate::model::json::child(pointer, key);
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v)) => diff(u, v, &p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(u, v, &crate::model::json::child(pointer, i), out);
            }
        }
        _ if a != b => out.push(pointer.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(json: &str) -> SerializedSpace {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn list_order_line_splits_and_empty_values_do_not_matter() {
        let a = space(
            r#"{"version":2,"config":{"sample_questions":[{"id":"b","question":["x\n","y"]},{"id":"a"}]},
                "instructions":{"sql_snippets":{"expressions":[]}}}"#,
        );
        let b = space(
            r#"{"version":2,"config":{"sample_questions":[{"id":"a","question":[]},{"id":"b","question":["x\ny"]}]}}"#,
        );
        assert!(semantically_equal(&a, &b));
        assert!(semantic_differences(&a, &b).is_empty());
    }

    #[test]
    fn a_changed_synonym_or_unknown_key_is_a_difference() {
        let a = space(
            r#"{"version":2,"data_sources":{"tables":[{"identifier":"a.b.c","column_configs":[{"column_name":"x","synonyms":["p","q"]}]}]}}"#,
        );
        let b = space(
            r#"{"version":2,"data_sources":{"tables":[{"identifier":"a.b.c","column_configs":[{"column_name":"x","synonyms":["pq"]}]}]},"new":1}"#,
        );
        assert!(!semantically_equal(&a, &b));
        assert_eq!(
            semantic_differences(&a, &b),
            ["/data_sources/tables/0/column_configs/0/synonyms", "/new"]
        );
    }
}
