#![no_main]
//! Fuzzes `.genie-gitops.yml` (`model::settings::load`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::settings_file(data));
