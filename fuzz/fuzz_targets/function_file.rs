#![no_main]
//! Fuzzes a SQL function file (`model::function::parse` and `set_comment` read back).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::function_file(data));
