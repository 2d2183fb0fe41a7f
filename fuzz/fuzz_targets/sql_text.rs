#![no_main]
//! Fuzzes the SQL guard and analyzer (`sql::guard::check`, `sql::analyze::analyze`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::sql_text(data));
