#![no_main]
//! Fuzzes the format-preserving YAML editor (`model::yaml_edit::parse` and `edit`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::yaml_editor(data));
