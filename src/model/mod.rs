//! File formats as types: the space file, benchmarks, Unity Catalog metadata, metric views,
//! functions, the bundle, settings, templating and a [`snapshot::RepoSnapshot`]. Parse, validate
//! (with `file:line:col` diagnostics) and serialize canonically. No I/O.

pub mod diag;
pub mod json;
pub mod result;
pub mod snapshot;
pub mod space;
