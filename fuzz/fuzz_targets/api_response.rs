#![no_main]
//! Fuzzes Databricks API response bodies (serde of `databricks::types`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::api_response(data));
