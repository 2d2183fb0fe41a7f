#![no_main]
//! Fuzzes a lever-1 tables file (`model::tables::load` and a comment edit read back).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::tables_file(data));
