//! Writing a space file canonically, so that diffs stay minimal and the API accepts it.
//!
//! * Lists are sorted the way the API requires: tables and metric views by `identifier`, column
//!   configs by `column_name`, `sql_functions` by (`id`, `identifier`), and every other id-keyed
//!   list (sample questions, text instructions, examples, join specs, filters, expressions,
//!   measures, benchmark questions) by `id`. Sorting is stable; other lists (parameters, text
//!   lines, synonyms) keep their order.
//! * Keys come in the order of the model's struct fields; **unknown keys follow the known ones of
//!   the same object, in their original order**.
//! * Empty lists and `null` optional values are left out, as the server's own export does
//!   (`data_sources.tables` is always written: the API requires it).
//! * 2-space indent, a trailing newline, non-ASCII characters written as themselves.
//! * The wrapper form keeps its shape: `space_id`, `title`, `description`, `warehouse_id`,
//!   `parent_path`, `serialized_space`, then the other keys; `serialized_space` is the compact
//!   canonical JSON string (or the canonical nested object when the file had it as one).

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

use super::{ColumnConfig, DataSource, SerializedSpace, SpaceFile, SqlFunctionRef};
use crate::model::diag::Diagnostic;

/// Orders data sources by identifier.
fn by_identifier(a: &DataSource, b: &DataSource) -> Ordering {
    a.identifier.cmp(&b.identifier)
}

/// Orders column configs by column name.
fn by_column_name(a: &ColumnConfig, b: &ColumnConfig) -> Ordering {
    a.column_name.cmp(&b.column_name)
}

/// Orders SQL functions by (id, identifier).
fn by_id_and_identifier(a: &SqlFunctionRef, b: &SqlFunctionRef) -> Ordering {
    (&a.id, &a.identifier).cmp(&(&b.id, &b.identifier))
}

impl SerializedSpace {
    /// Sorts every list the API requires sorted (see the module docs).
    pub fn sort_canonically(&mut self) {
        if let Some(config) = &mut self.config {
            config.sample_questions.sort_by(|a, b| a.id.cmp(&b.id));
        }
        if let Some(sources) = &mut self.data_sources {
            for list in [&mut sources.tables, &mut sources.metric_views] {
                list.sort_by(by_identifier);
                for source in list.iter_mut() {
                    source.column_configs.sort_by(by_column_name);
                }
            }
        }
        if let Some(ins) = &mut self.instructions {
            ins.text_instructions.sort_by(|a, b| a.id.cmp(&b.id));
            ins.example_question_sqls.sort_by(|a, b| a.id.cmp(&b.id));
            ins.sql_functions.sort_by(by_id_and_identifier);
            ins.join_specs.sort_by(|a, b| a.id.cmp(&b.id));
            if let Some(snippets) = &mut ins.sql_snippets {
                for list in [
                    &mut snippets.filters,
                    &mut snippets.expressions,
                    &mut snippets.measures,
                ] {
                    list.sort_by(|a, b| a.id.cmp(&b.id));
                }
            }
        }
        if let Some(benchmarks) = &mut self.benchmarks {
            benchmarks.questions.sort_by(|a, b| a.id.cmp(&b.id));
        }
    }

    /// A sorted copy.
    pub fn canonical(&self) -> SerializedSpace {
        let mut copy = self.clone();
        copy.sort_canonically();
        copy
    }

    /// The compact, sorted JSON string the API takes as `serialized_space`.
    pub fn to_api_string(&self) -> String {
        to_json(&self.canonical(), false)
    }

    /// The sorted space as a pretty JSON document (the bare file form), with a trailing newline.
    pub fn to_canonical_json(&self) -> String {
        to_json(&self.canonical(), true) + "\n"
    }
}

impl SpaceFile {
    /// The whole file written canonically, in its own form (bare or wrapper).
    pub fn to_canonical_string(&self) -> String {
        let Some(wrapper) = &self.wrapper else {
            return self.space.to_canonical_json();
        };
        let inner = if wrapper.serialized_as_object {
            to_value(&self.space.canonical())
        } else {
            Value::String(self.space.to_api_string())
        };
        to_json(&Value::Object(wrapper.to_object(inner)), true) + "\n"
    }
}

/// Reads a space file and writes it canonically; the diagnostics say why it could not be read.
pub fn canonicalize(file: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    super::parse(file, text).map(|parsed| parsed.file.to_canonical_string())
}

/// Serializes the model. The model's maps all have string keys and its numbers come from parsed
/// JSON, so serialization cannot fail; a failure would be a bug in this module.
fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    let result = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    result.expect("the space model always serializes to JSON")
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("the space model always serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    const UNSORTED: &str = r#"{"version": 2, "zz_unknown": "é≥",
      "data_sources": {"tables": [
        {"identifier": "c.s.b", "column_configs": [{"column_name": "y"}, {"column_name": "x", "future": 1}]},
        {"identifier": "c.s.a"}]},
      "config": {"sample_questions": [{"id": "02", "question": ["b"]}, {"id": "01", "question": ["a"]}]}}"#;

    #[test]
    fn a_bare_file_is_written_sorted_with_unknown_keys_last() {
        let out = super::canonicalize("s.json", UNSORTED).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn canonical_writing_is_a_fixed_point() {
        let once = super::canonicalize("s.json", UNSORTED).unwrap();
        let twice = super::canonicalize("s.json", &once).unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn the_wrapper_keeps_its_form_with_a_compact_inner_string() {
        let text = format!(
            r#"{{"etag": "7", "title": "T", "serialized_space": {}}}"#,
            serde_json::to_string(UNSORTED).unwrap()
        );
        let out = super::canonicalize("w.json", &text).unwrap();
        insta::assert_snapshot!(out);
        let object = format!(r#"{{"title": "T", "serialized_space": {UNSORTED}}}"#);
        let parsed = parse("w.json", &object).unwrap();
        assert_eq!(parsed.file.form(), super::super::SpaceForm::WrapperObject);
        let out = parsed.file.to_canonical_string();
        assert!(out.contains("\"serialized_space\": {\n"));
    }

    #[test]
    fn the_api_string_is_compact_and_sorted() {
        let parsed = parse("s.json", UNSORTED).unwrap();
        let api = parsed.file.space.to_api_string();
        assert!(!api.contains('\n'));
        assert!(api.find("c.s.a").unwrap() < api.find("c.s.b").unwrap());
    }
}
