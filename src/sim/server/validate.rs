//! The Genie API's own checks on a submitted `serialized_space`, with the errors the real API
//! gives: unparseable JSON and bad ids, unsorted lists and more than one text instruction are 400
//! `INVALID_PARAMETER_VALUE`; tables the catalog does not know are 403 `PERMISSION_DENIED`.
//!
//! Version 1 is upgraded to 2 (`get_example_values` → `enable_format_assistance`,
//! `build_value_dictionary` → `enable_entity_matching`) and `sample_questions` are re-sorted by
//! id rather than refused, as the real server does. Everything happens in [`accept_space`], the
//! single entry point a fuller validator can replace.

use std::collections::BTreeSet;

use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::warehouse::Warehouse;
use crate::model::space::SerializedSpace;

/// Parses, upgrades and checks a submitted `serialized_space` string.
pub fn accept_space(raw: &str, warehouse: &Warehouse) -> ApiResult<SerializedSpace> {
    let mut value: Value = serde_json::from_str(raw)
        .map_err(|e| ApiError::invalid(format!("Invalid serialized_space: {e}")))?;
    upgrade_v1(&mut value)?;
    let mut space: SerializedSpace = serde_json::from_value(value)
        .map_err(|e| ApiError::invalid(format!("Failed to parse export proto: {e}")))?;
    if let Some(config) = space.config.as_mut() {
        config.sample_questions.sort_by(|a, b| a.id.cmp(&b.id));
    }
    check_ids(&space)?;
    check_sorted(&space)?;
    if space.text_instructions().len() > 1 {
        return Err(ApiError::invalid(
            "text_instructions must contain at most one item",
        ));
    }
    check_tables_exist(&space, warehouse)?;
    Ok(space)
}

fn upgrade_v1(value: &mut Value) -> ApiResult<()> {
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::invalid(
            "Invalid serialized_space: expected a JSON object",
        ));
    };
    match object.get("version").and_then(Value::as_u64) {
        Some(2) => return Ok(()),
        Some(1) => {}
        _ => {
            return Err(ApiError::invalid(
                "Invalid serialized_space: version must be 1 or 2",
            ));
        }
    }
    object.insert("version".to_owned(), Value::from(2));
    object
        .entry("data_sources")
        .or_insert_with(|| Value::Object(Default::default()));
    let sources = object
        .get_mut("data_sources")
        .and_then(Value::as_object_mut);
    for list in sources.into_iter().flat_map(|s| s.values_mut()) {
        for source in list.as_array_mut().into_iter().flatten() {
            let configs = source
                .get_mut("column_configs")
                .and_then(Value::as_array_mut);
            for config in configs.into_iter().flatten() {
                if let Some(config) = config.as_object_mut() {
                    rename_key(config, "get_example_values", "enable_format_assistance");
                    rename_key(config, "build_value_dictionary", "enable_entity_matching");
                }
            }
        }
    }
    Ok(())
}

fn rename_key(object: &mut serde_json::Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = object.remove(from) {
        object.insert(to.to_owned(), v);
    }
}

/// Every id-keyed list with its API path, for the id and sorting checks.
fn id_lists(space: &SerializedSpace) -> Vec<(&'static str, Vec<&str>)> {
    let mut lists = vec![
        (
            "config.sample_questions",
            space
                .config
                .iter()
                .flat_map(|c| &c.sample_questions)
                .map(|q| q.id.as_str())
                .collect(),
        ),
        (
            "instructions.text_instructions",
            space
                .text_instructions()
                .iter()
                .map(|t| t.id.as_str())
                .collect(),
        ),
        (
            "instructions.example_question_sqls",
            space.examples().iter().map(|e| e.id.as_str()).collect(),
        ),
        (
            "instructions.sql_functions",
            space
                .sql_functions()
                .iter()
                .map(|f| f.id.as_str())
                .collect(),
        ),
        (
            "instructions.join_specs",
            space.join_specs().iter().map(|j| j.id.as_str()).collect(),
        ),
        (
            "benchmarks.questions",
            space
                .benchmark_questions()
                .iter()
                .map(|q| q.id.as_str())
                .collect(),
        ),
    ];
    if let Some(snippets) = space.snippets() {
        lists.push((
            "instructions.sql_snippets.filters",
            snippets.filters.iter().map(|s| s.id.as_str()).collect(),
        ));
        lists.push((
            "instructions.sql_snippets.expressions",
            snippets.expressions.iter().map(|s| s.id.as_str()).collect(),
        ));
        lists.push((
            "instructions.sql_snippets.measures",
            snippets.measures.iter().map(|s| s.id.as_str()).collect(),
        ));
    }
    lists
}

fn is_hex32(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Ids must be unique within two pools: sample questions with benchmark questions, and all
/// instruction ids (the pools the community validator uses).
fn check_ids(space: &SerializedSpace) -> ApiResult<()> {
    let mut seen = BTreeSet::new();
    for (path, ids) in id_lists(space) {
        let pool = path.starts_with("instructions.");
        for id in ids {
            if id.is_empty() {
                return Err(ApiError::invalid(format!("{path}.id must be provided")));
            }
            if !is_hex32(id) {
                return Err(ApiError::invalid(format!(
                    "Invalid id '{id}' in {path}: ids must be 32 lowercase hexadecimal characters"
                )));
            }
            if !seen.insert((pool, id)) {
                return Err(ApiError::invalid(format!(
                    "Duplicate id '{id}' in {path}: ids must be unique"
                )));
            }
        }
    }
    Ok(())
}

fn first_unsorted<'a>(keys: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let keys: Vec<&str> = keys.collect();
    keys.windows(2)
        .find(|pair| pair[0] > pair[1])
        .map(|pair| pair[1])
}

fn check_sorted(space: &SerializedSpace) -> ApiResult<()> {
    let unsorted = |path: &str, key: &str, at: &str| {
        ApiError::invalid(format!(
            "{path} must be sorted by {key}; '{at}' is out of order"
        ))
    };
    let sources = [
        ("data_sources.tables", space.tables()),
        ("data_sources.metric_views", space.metric_views()),
    ];
    for (path, list) in sources {
        if let Some(at) = first_unsorted(list.iter().map(|t| t.identifier.as_str())) {
            return Err(unsorted(path, "identifier", at));
        }
        for source in list {
            let columns = source.column_configs.iter().map(|c| c.column_name.as_str());
            if let Some(at) = first_unsorted(columns) {
                let path = format!("column_configs of {}", source.identifier);
                return Err(unsorted(&path, "column_name", at));
            }
        }
    }
    for (path, ids) in id_lists(space) {
        if let Some(at) = first_unsorted(ids.into_iter()) {
            return Err(unsorted(path, "id", at));
        }
    }
    Ok(())
}

fn check_tables_exist(space: &SerializedSpace, warehouse: &Warehouse) -> ApiResult<()> {
    let missing: Vec<&str> = space
        .data_sources_iter()
        .map(|t| t.identifier.as_str())
        .filter(|identifier| !warehouse.has_table(identifier))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::permission_denied(format!(
        "Unable to access table(s) {}: they do not exist or you lack SELECT permission on them",
        missing.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warehouse() -> Warehouse {
        Warehouse::Scripted {
            tables: ["main.s.a".to_owned(), "main.s.b".to_owned()].into(),
            results: Default::default(),
        }
    }

    fn refusal(raw: &str) -> ApiError {
        accept_space(raw, &warehouse()).expect_err("the space should be refused")
    }

    #[test]
    fn a_version_one_space_is_upgraded() {
        let raw = r#"{"version":1,"data_sources":{"tables":[{"identifier":"main.s.a",
            "column_configs":[{"column_name":"x","get_example_values":true}]}]}}"#;
        let space = accept_space(raw, &warehouse()).expect("v1 is accepted");
        assert_eq!(space.version, 2);
        let column = &space.tables()[0].column_configs[0];
        assert_eq!(column.enable_format_assistance, Some(true));
    }

    #[test]
    fn a_non_hex_id_is_refused() {
        let raw = r#"{"version":2,"benchmarks":{"questions":[{"id":"01f0d0b4e815100000000000000000g1"}]}}"#;
        assert!(refusal(raw).message.contains("32 lowercase hexadecimal"));
    }

    #[test]
    fn unsorted_tables_are_refused() {
        let raw = r#"{"version":2,"data_sources":{"tables":[{"identifier":"main.s.b"},{"identifier":"main.s.a"}]}}"#;
        let err = refusal(raw);
        assert_eq!(err.error_code, "INVALID_PARAMETER_VALUE");
        assert!(
            err.message.contains("sorted by identifier"),
            "{}",
            err.message
        );
    }

    #[test]
    fn two_text_instructions_are_refused() {
        let raw = r#"{"version":2,"instructions":{"text_instructions":[
            {"id":"00000000000000000000000000000001","content":["a"]},
            {"id":"00000000000000000000000000000002","content":["b"]}]}}"#;
        assert_eq!(
            refusal(raw).message,
            "text_instructions must contain at most one item"
        );
    }

    #[test]
    fn an_unknown_table_is_permission_denied() {
        let raw = r#"{"version":2,"data_sources":{"tables":[{"identifier":"main.s.zzz"}]}}"#;
        let err = refusal(raw);
        assert_eq!(err.status, axum::http::StatusCode::FORBIDDEN);
        assert!(err.message.contains("main.s.zzz"));
    }

    #[test]
    fn sample_questions_are_resorted_not_refused() {
        let raw = r#"{"version":2,"config":{"sample_questions":[
            {"id":"00000000000000000000000000000002","question":["b"]},
            {"id":"00000000000000000000000000000001","question":["a"]}]}}"#;
        let space = accept_space(raw, &warehouse()).expect("accepted");
        let ids: Vec<&str> = space
            .config
            .iter()
            .flat_map(|c| &c.sample_questions)
            .map(|q| q.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "00000000000000000000000000000001",
                "00000000000000000000000000000002"
            ]
        );
    }
}
