#![no_main]
//! Fuzzes a metric view, YAML or SQL form (`model::metric_view::load` and a comment edit).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::metric_view_file(data));
