//! File formats as types: the space file, benchmarks, Unity Catalog metadata, metric views,
//! functions, the bundle, settings, templating and a [`snapshot::RepoSnapshot`]. Parse, validate
//! (with `file:line:col` diagnostics) and serialize canonically. No I/O.

pub mod benchmarks;
pub mod bundle;
pub mod diag;
pub mod json;
pub mod project;
pub mod result;
pub mod settings;
pub mod snapshot;
pub mod space;
pub mod template;
pub mod yaml_tree;
