#![no_main]
//! Fuzzes `~/.databrickscfg` (`databricks::profile::ConfigFile::parse`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| genie_gitops::fuzzing::databricks_config(data));
