#![no_main]
//! Fuzzes a benchmark file (`model::benchmarks::load`, then the SQL guard on every question).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::benchmarks_file(data));
