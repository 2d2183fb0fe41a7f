//! The Genie API's own checks on a submitted `serialized_space`, with the errors the real API
//! gives. The rules are the repository model's ([`crate::model::space`]), so the simulator
//! refuses exactly what `genie-gitops validate` reports as an error:
//! - JSON that does not read as a version 1 or 2 space, bad or duplicate ids, malformed join
//!   specs, snippets or benchmark answers, limits exceeded → 400 `INVALID_PARAMETER_VALUE`;
//! - lists out of the API's order (a warning in `validate`, which `fmt` fixes) → 400 as well,
//!   except `sample_questions`, which the real server re-sorts by id rather than refusing;
//! - more than one text instruction → 400 with the API's own message;
//! - tables the catalog does not know → 403 `PERMISSION_DENIED`.
//!
//! Version 1 is upgraded to 2 on the way in (`get_example_values` → `enable_format_assistance`,
//! `build_value_dictionary` → `enable_entity_matching`), as the real server does. Other warnings
//! (an unused example parameter, say) are accepted, as the API accepts them.

use super::error::{ApiError, ApiResult};
use super::warehouse::Warehouse;
use crate::model::diag::Diagnostic;
use crate::model::space::{self, Positions, SerializedSpace, validate_space};

/// The name diagnostics give the submitted text.
const SUBMITTED: &str = "serialized_space";

/// Parses, upgrades and checks a submitted `serialized_space` string.
pub fn accept_space(raw: &str, warehouse: &Warehouse) -> ApiResult<SerializedSpace> {
    let parsed = space::parse(SUBMITTED, raw).map_err(|diagnostics| refusal(&diagnostics))?;
    if parsed.file.wrapper.is_some() {
        return Err(ApiError::invalid(
            "Invalid serialized_space: expected the space object, not a GenieSpace wrapper",
        ));
    }
    let mut space = parsed.file.space;
    if let Some(config) = space.config.as_mut() {
        config.sample_questions.sort_by(|a, b| a.id.cmp(&b.id));
    }
    if space.text_instructions().len() > 1 {
        return Err(ApiError::invalid(
            "text_instructions must contain at most one item",
        ));
    }
    let refused: Vec<Diagnostic> = validate_space(SUBMITTED, &space, &Positions::none())
        .into_iter()
        .filter(|d| d.is_error() || is_unsorted(d))
        .collect();
    if !refused.is_empty() {
        return Err(refusal(&refused));
    }
    check_tables_exist(&space, warehouse)?;
    Ok(space)
}

/// An out-of-order list: a warning for files (`fmt` sorts them), a refusal for the API.
fn is_unsorted(diagnostic: &Diagnostic) -> bool {
    diagnostic.message.contains("is not sorted by")
}

/// 400 with the first problem (the API reports one at a time).
fn refusal(diagnostics: &[Diagnostic]) -> ApiError {
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .or(diagnostics.first());
    ApiError::invalid(format!(
        "Invalid serialized_space: {}",
        first.map_or("it does not read as a space", |d| d.message.as_str())
    ))
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
        let raw = r#"{"version":2,"benchmarks":{"questions":[{"id":"01f0d0b4e815100000000000000000g1",
            "question":["q"],"answer":[{"format":"SQL","content":["SELECT 1"]}]}]}}"#;
        let message = refusal(raw).message;
        assert!(message.contains("32 lowercase hex"), "{message}");
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
