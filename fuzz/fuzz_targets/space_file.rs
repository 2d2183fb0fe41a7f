#![no_main]
//! Fuzzes the space file (`model::space::parse`, `validate_parsed`, canonical round trip).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::space_file(data));
