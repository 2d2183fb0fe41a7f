#![no_main]
//! Fuzzes a bundle file (`model::bundle::parse`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::bundle_file(data));
