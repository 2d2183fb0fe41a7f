#![no_main]
//! Fuzzes a GitHub Actions event payload (`github::event::parse`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::github_event(data));
