//! The local workspace simulator: a Databricks API subset over a generated Wanderbricks-lite
//! dataset in embedded SQLite, with a deterministic, metadata-driven NL-to-SQL engine.

pub mod answer;
pub mod catalog;
pub mod data;
pub mod engine;
pub mod github;
pub mod nl;
pub mod rng;
pub mod server;
pub mod translate;
pub mod workspace;
