//! Tests of the structural analysis: normalization makes equal queries equal, and each clause
//! lands in its feature.

use super::*;

fn features(sql: &str) -> QueryFeatures {
    analyze(sql, &AssetCatalog::default()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn equal_queries_written_differently_give_equal_features() {
    let a = features(
        "SELECT b.City, SUM(b.Amount) FROM main.gold.bookings AS b WHERE b.status = 'OK' GROUP BY b.City",
    );
    let b = features(
        "select  city , sum(`amount`)\nfrom `${catalog}`.gold.BOOKINGS where status='OK' group by city;",
    );
    assert_eq!(a.select, b.select);
    assert_eq!(a.filters, b.filters);
    assert_eq!(a.group_by, b.group_by);
    assert_eq!(
        a.tables.iter().map(|t| &t.name).collect::<Vec<_>>(),
        vec!["bookings"]
    );
    assert_eq!(
        b.tables.iter().map(|t| &t.name).collect::<Vec<_>>(),
        vec!["bookings"]
    );
}

#[test]
fn aliases_resolve_to_tables_and_joins_record_keys_and_kind() {
    let f = features(
        "SELECT h.name, COUNT(DISTINCT b.id) FROM bookings b LEFT JOIN hosts h ON b.host_id = h.id GROUP BY h.name",
    );
    let edge = f
        .joins
        .iter()
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("no join"));
    assert_eq!(edge.tables, ("bookings".into(), "hosts".into()));
    assert_eq!(edge.keys, vec!["bookings.host_id = hosts.id".to_string()]);
    assert_eq!(edge.kind, "left");
    assert_eq!(f.select[1].aggregate.as_deref(), Some("count_distinct"));
    assert!(f.group_by.contains("hosts.name"));
}

#[test]
fn where_atoms_carry_column_operator_and_literal() {
    let f = features(
        "SELECT id FROM bookings WHERE 100 < amount AND city IN ('Rome', 'Oslo') AND day >= DATE '2024-01-01'",
    );
    let atoms: Vec<(String, String, String, bool)> = f
        .filters
        .iter()
        .map(|p| (p.column.clone(), p.op.clone(), p.value.clone(), p.temporal))
        .collect();
    assert!(
        atoms.contains(&("bookings.amount".into(), ">".into(), "100".into(), false)),
        "{atoms:?}"
    );
    assert!(
        atoms.contains(&(
            "bookings.city".into(),
            "in".into(),
            "'Oslo', 'Rome'".into(),
            false
        )),
        "{atoms:?}"
    );
    assert!(
        atoms.iter().any(|a| a.0 == "bookings.day" && a.3),
        "{atoms:?}"
    );
}

#[test]
fn ctes_are_not_tables_but_their_bodies_count() {
    let f = features(
        "WITH t AS (SELECT city, amount FROM bookings) SELECT city FROM t ORDER BY city DESC LIMIT 5",
    );
    let names: Vec<&str> = f.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["bookings"]);
    assert_eq!(
        f.order_by,
        vec![OrderKey {
            expr: "t.city".into(),
            descending: true
        }]
    );
    assert_eq!(f.limit.as_deref(), Some("5"));
}

#[test]
fn measure_marks_a_metric_view_and_a_from_function_is_a_function() {
    let f = features("SELECT city, MEASURE(total_revenue) FROM booking_metrics GROUP BY ALL");
    let t = f
        .tables
        .iter()
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("no table"));
    assert_eq!(t.kind, AssetKind::MetricView);
    assert!(f.measures.contains("total_revenue"));
    assert!(f.group_by.contains("all"));
    let g = features("SELECT * FROM gold.get_revenue(:start_date, '2024-12-31')");
    let t = g
        .tables
        .iter()
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("no table"));
    assert_eq!(t.kind, AssetKind::Function);
    assert!(g.params.contains("start_date"));
}

#[test]
fn the_callers_catalog_names_metric_views_queried_without_measure() {
    let catalog = AssetCatalog {
        metric_views: ["main.gold.booking_metrics".to_string()].into(),
    };
    let f = analyze("SELECT * FROM booking_metrics", &catalog).unwrap_or_default();
    assert_eq!(
        f.tables.iter().next().map(|t| t.kind),
        Some(AssetKind::MetricView)
    );
}

#[test]
fn unparseable_or_non_query_sql_is_a_typed_error() {
    let catalog = AssetCatalog::default();
    assert!(matches!(
        analyze("SELEC x FROM", &catalog),
        Err(AnalyzeError::Parse(_))
    ));
    assert_eq!(analyze("  ; ", &catalog), Err(AnalyzeError::Empty));
    assert!(
        matches!(analyze("DROP TABLE bookings", &catalog), Err(AnalyzeError::NotAQuery(k)) if k == "DROP")
    );
}

#[test]
fn subqueries_contribute_their_tables() {
    let f = features(
        "SELECT id FROM bookings WHERE host_id IN (SELECT id FROM hosts WHERE rating > 4)",
    );
    let names: Vec<&str> = f.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["bookings", "hosts"]);
}
