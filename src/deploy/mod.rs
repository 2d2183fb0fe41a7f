//! Deploy: plan (desired vs live), then execute through the API or `databricks bundle deploy`.

pub mod plan;
