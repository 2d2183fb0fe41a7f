#![no_main]
//! Fuzzes patch JSON (`patch::Patch` decoding, `apply` and its inverse on a fixture snapshot).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::patch_json(data));
