#![no_main]
//! Fuzzes a table properties file (`model::properties::load` and `set_property`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::properties_file(data));
