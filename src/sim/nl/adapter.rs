//! Feeding the engine from the simulator's own Unity Catalog ([`crate::sim::catalog`]) and
//! generated data ([`crate::sim::data`]): signatures and comments only, never function bodies.

use std::collections::BTreeSet;

use crate::sim::catalog::{Catalog, MetricField};
use crate::sim::data::{Dataset, Value};

use super::knowledge::{
    CatalogInfo, ColumnInfo, ForeignKey, FunctionInfo, FunctionParam, MetricFieldInfo,
    MetricViewInfo, TableInfo, ValueSource,
};

impl CatalogInfo {
    /// The metadata Genie can see in a simulated catalog.
    pub fn from_catalog(catalog: &Catalog) -> Self {
        let tables = catalog
            .tables()
            .map(|t| TableInfo {
                name: t.name.to_string(),
                comment: t.comment.clone().unwrap_or_default(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| ColumnInfo {
                        name: c.name.clone(),
                        data_type: c.data_type.sql_name(),
                        comment: c.comment.clone().unwrap_or_default(),
                    })
                    .collect(),
                primary_key: t.primary_key.clone(),
                foreign_keys: t
                    .foreign_keys
                    .iter()
                    .filter_map(|fk| {
                        Some(ForeignKey {
                            column: fk.columns.first()?.clone(),
                            ref_table: fk.referenced_table.to_string(),
                            ref_column: fk.referenced_columns.first()?.clone(),
                        })
                    })
                    .collect(),
            })
            .collect();
        let field = |f: &MetricField| MetricFieldInfo {
            name: f.name.clone(),
            comment: f.comment.clone().unwrap_or_default(),
            synonyms: f.synonyms.clone(),
            data_type: time_type(&f.expr).to_owned(),
        };
        let metric_views = catalog
            .metric_views()
            .map(|mv| MetricViewInfo {
                name: mv.name.to_string(),
                comment: mv.comment.clone().unwrap_or_default(),
                dimensions: mv.dimensions.iter().map(field).collect(),
                measures: mv.measures.iter().map(field).collect(),
            })
            .collect();
        let functions = catalog
            .functions()
            .map(|f| FunctionInfo {
                name: f.name.to_string(),
                comment: f.comment.clone().unwrap_or_default(),
                params: f
                    .params
                    .iter()
                    .map(|p| FunctionParam {
                        name: p.name.clone(),
                        data_type: p.data_type.sql_name(),
                        comment: p.comment.clone().unwrap_or_default(),
                        default: p.default.clone(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            tables,
            metric_views,
            functions,
        }
    }
}

/// A metric-view dimension is a time dimension when its expression truncates or casts a date.
fn time_type(expr: &str) -> &'static str {
    let e = expr.to_ascii_uppercase();
    if e.contains("DATE_TRUNC")
        || e.contains("TO_DATE")
        || e.contains("CAST(") && e.contains("AS DATE")
    {
        "DATE"
    } else {
        ""
    }
}

impl ValueSource for (&Catalog, &Dataset) {
    fn distinct_values(&self, table: &str, column: &str, limit: usize) -> Vec<String> {
        let (catalog, data) = *self;
        let Some(t) = catalog.tables().find(|t| t.name.to_string() == table) else {
            return Vec::new();
        };
        let Some(index) = t.columns.iter().position(|c| c.name == column) else {
            return Vec::new();
        };
        let Some(rows) = data.table(&t.name) else {
            return Vec::new();
        };
        let values: BTreeSet<String> = rows
            .rows
            .iter()
            .filter_map(|r| match r.get(index)? {
                Value::Text(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        values.into_iter().take(limit).collect()
    }
}
