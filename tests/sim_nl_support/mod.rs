//! Shared set-up for the NL engine's tests: the simulated Wanderbricks workspace with the
//! fixture's two metric views and three table functions (registered in the catalog the way the
//! fixture repository's durable files would create them), and the fixture spaces.
//!
//! The assets are "undocumented", as in the poor fixture: no metric-view synonyms, no function
//! comments. Tests that need documentation add it to their own copy.

#![allow(dead_code)]

use chrono::NaiveDate;
use genie_gitops::model::space::SerializedSpace;
use genie_gitops::sim::catalog::{
    Catalog, DataType, FunctionParam, MetricField, MetricJoin, MetricView, ReturnColumn,
    SqlFunction,
};
use genie_gitops::sim::data::{self, DataConfig, Dataset, table_name};
use genie_gitops::sim::engine::SqlEngine;
use genie_gitops::sim::nl::{CatalogInfo, Knowledge};

/// The seed every NL test generates its data with.
pub const SEED: u64 = 42;

/// The poor fixture's space file.
pub const POOR: &str =
    include_str!("../../fixtures/wanderbricks/genie/wanderbricks.geniespace.json");
/// The curated fixture's space file.
pub const CURATED: &str =
    include_str!("../../fixtures/wanderbricks-curated/genie/wanderbricks.geniespace.json");

/// "Today" for every test: the dataset's default as-of date.
pub fn as_of() -> NaiveDate {
    data::default_as_of()
}

/// Resolves the fixture's template variables for the simulated workspace.
pub fn resolve(text: &str) -> String {
    text.replace("${catalog}", data::CATALOG)
        .replace("${schema}", data::SCHEMA)
}

/// Parses a fixture space with its templates resolved.
pub fn space(text: &str) -> SerializedSpace {
    match serde_json::from_str(&resolve(text)) {
        Ok(space) => space,
        Err(error) => panic!("a fixture space does not parse: {error}"),
    }
}

/// The workspace: SQL engine with the fixture assets, and the same generated data for value
/// dictionaries.
pub struct Workspace {
    pub engine: SqlEngine,
    pub data: Dataset,
}

impl Workspace {
    /// A fresh workspace (generates the data twice: once for SQLite, once for dictionaries).
    pub fn new() -> Self {
        let mut engine = match SqlEngine::wanderbricks(SEED, as_of()) {
            Ok(engine) => engine,
            Err(error) => panic!("engine start-up failed: {error}"),
        };
        for view in metric_views() {
            if let Err(error) = engine.define_metric_view(view) {
                panic!("metric view refused: {error}");
            }
        }
        for function in functions() {
            if let Err(error) = engine.define_function(function) {
                panic!("function refused: {error}");
            }
        }
        Self {
            engine,
            data: dataset(),
        }
    }

    /// What the NL engine sees of `space` in this workspace.
    pub fn knowledge(&self, space: &SerializedSpace) -> Knowledge {
        let catalog = self.engine.catalog();
        let info = CatalogInfo::from_catalog(catalog);
        Knowledge::build(space, &info, &(catalog, &self.data))
    }
}

/// The base catalog plus the fixture's metric views and functions (no engine, no SQLite).
pub fn catalog() -> Catalog {
    let mut catalog = data::wanderbricks_catalog();
    for view in metric_views() {
        if let Err(error) = catalog.define_metric_view(view) {
            panic!("metric view refused: {error}");
        }
    }
    for function in functions() {
        if let Err(error) = catalog.define_function(function) {
            panic!("function refused: {error}");
        }
    }
    catalog
}

/// The generated data for [`SEED`].
pub fn dataset() -> Dataset {
    data::generate(&DataConfig {
        as_of: as_of(),
        ..DataConfig::new(SEED)
    })
}

fn field(name: &str, expr: &str) -> MetricField {
    MetricField::new(name, expr)
}

fn join(name: &str, on: &str) -> MetricJoin {
    MetricJoin {
        name: name.into(),
        source: table_name(name).to_string(),
        on: on.into(),
    }
}

/// `booking_metrics` and `review_metrics` (genie-behavior.md §4).
pub fn metric_views() -> Vec<MetricView> {
    vec![
        MetricView {
            name: table_name("booking_metrics"),
            comment: None,
            source: table_name("bookings").to_string(),
            filter: None,
            joins: vec![
                join("properties", "source.property_id = properties.property_id"),
                join(
                    "destinations",
                    "properties.destination_id = destinations.destination_id",
                ),
            ],
            dimensions: vec![
                field("booking_month", "DATE_TRUNC('MONTH', created_at)"),
                field("booking_status", "status"),
                field("check_in_month", "DATE_TRUNC('MONTH', check_in)"),
                field("destination", "destinations.destination"),
                field("destination_country", "destinations.country"),
                field("property_type", "properties.property_type"),
            ],
            measures: vec![
                field("booking_count", "COUNT(1)"),
                field(
                    "confirmed_revenue",
                    "SUM(total_amount) FILTER (WHERE status = 'confirmed')",
                ),
                field(
                    "total_nights",
                    "SUM(DATEDIFF(check_out, check_in)) FILTER (WHERE status = 'confirmed')",
                ),
                field("adr", "MEASURE(confirmed_revenue) / MEASURE(total_nights)"),
                field(
                    "cancellation_rate",
                    "COUNT(1) FILTER (WHERE status = 'cancelled') / COUNT(1)",
                ),
            ],
        },
        MetricView {
            name: table_name("review_metrics"),
            comment: None,
            source: table_name("reviews").to_string(),
            filter: Some("NOT is_deleted".into()),
            joins: vec![
                join("properties", "source.property_id = properties.property_id"),
                join("hosts", "properties.host_id = hosts.host_id"),
            ],
            dimensions: vec![
                field("host_name", "hosts.name"),
                field("property_type", "properties.property_type"),
                field("review_month", "DATE_TRUNC('MONTH', created_at)"),
            ],
            measures: vec![
                field("avg_rating", "AVG(rating)"),
                field("review_count", "COUNT(1)"),
            ],
        },
    ]
}

fn param(name: &str, data_type: DataType, default: Option<&str>) -> FunctionParam {
    FunctionParam {
        name: name.into(),
        data_type,
        default: default.map(str::to_owned),
        comment: None,
    }
}

fn returns(columns: &[(&str, DataType)]) -> Vec<ReturnColumn> {
    columns
        .iter()
        .map(|(name, data_type)| ReturnColumn {
            name: (*name).into(),
            data_type: *data_type,
            comment: None,
        })
        .collect()
}

fn window() -> Vec<FunctionParam> {
    vec![
        param("start_date", DataType::Date, None),
        param("end_date", DataType::Date, None),
    ]
}

/// The three table functions of genie-behavior.md §4, without comments.
pub fn functions() -> Vec<SqlFunction> {
    let t = |name: &str| table_name(name).to_string();
    vec![
        SqlFunction {
            name: table_name("get_revenue_by_destination"),
            params: window(),
            returns: returns(&[
                ("destination", DataType::String),
                ("revenue", DataType::Double),
            ]),
            comment: None,
            body: format!(
                "SELECT d.destination, SUM(b.total_amount) AS revenue \
                 FROM {} b JOIN {} p ON b.property_id = p.property_id \
                 JOIN {} d ON p.destination_id = d.destination_id \
                 WHERE b.status = 'confirmed' AND b.check_in BETWEEN start_date AND end_date \
                 GROUP BY d.destination",
                t("bookings"),
                t("properties"),
                t("destinations")
            ),
        },
        SqlFunction {
            name: table_name("get_top_hosts"),
            params: {
                let mut p = window();
                p.push(param("top_n", DataType::Int, Some("10")));
                p
            },
            returns: returns(&[
                ("host_name", DataType::String),
                ("revenue", DataType::Double),
            ]),
            comment: None,
            body: format!(
                "SELECT h.name AS host_name, SUM(b.total_amount) AS revenue \
                 FROM {} b JOIN {} p ON b.property_id = p.property_id \
                 JOIN {} h ON p.host_id = h.host_id \
                 WHERE b.status = 'confirmed' AND b.check_in BETWEEN start_date AND end_date \
                 GROUP BY h.host_id, h.name ORDER BY revenue DESC LIMIT top_n",
                t("bookings"),
                t("properties"),
                t("hosts")
            ),
        },
        SqlFunction {
            name: table_name("get_property_occupancy"),
            params: window(),
            returns: returns(&[
                ("property_type", DataType::String),
                ("occupied_nights", DataType::BigInt),
                ("available_nights", DataType::BigInt),
                ("occupancy_rate", DataType::Double),
            ]),
            comment: None,
            body: format!(
                "WITH stays AS ( \
                   SELECT b.property_id, \
                     DATEDIFF(LEAST(b.check_out, DATE_ADD(end_date, 1)), GREATEST(b.check_in, start_date)) AS nights \
                   FROM {} b \
                   WHERE b.status = 'confirmed' AND b.check_in <= end_date AND b.check_out > start_date), \
                 listed AS ( \
                   SELECT p.property_type, COUNT(*) * (DATEDIFF(end_date, start_date) + 1) AS available_nights \
                   FROM {} p GROUP BY p.property_type), \
                 occupied AS ( \
                   SELECT p.property_type, SUM(s.nights) AS occupied_nights \
                   FROM stays s JOIN {} p ON s.property_id = p.property_id GROUP BY p.property_type) \
                 SELECT l.property_type, o.occupied_nights, l.available_nights, \
                   ROUND(o.occupied_nights / l.available_nights, 4) AS occupancy_rate \
                 FROM listed l JOIN occupied o ON l.property_type = o.property_type",
                t("bookings"),
                t("properties"),
                t("properties")
            ),
        },
    ]
}
