//! The simulator's SQL engine end to end: the ten sample queries of the Wanderbricks-lite
//! fixture, each translated construct, metric views and table functions built in the test,
//! metadata DDL reflected in `information_schema`, refusals, and determinism.

use std::sync::{LazyLock, Mutex};

use genie_gitops::model::result::ResultSet;
use genie_gitops::sim::catalog::{
    DataType, FunctionParam, MetricField, MetricJoin, MetricView, QualifiedName, ReturnColumn,
    SqlFunction,
};
use genie_gitops::sim::data::{default_as_of, table_name};
use genie_gitops::sim::engine::{SqlEngine, SqlError, SqlParam};

/// One shared engine for read-only tests (start-up generates 20,000 bookings).
static ENGINE: LazyLock<Mutex<SqlEngine>> = LazyLock::new(|| Mutex::new(engine()));

fn engine() -> SqlEngine {
    let mut engine = match SqlEngine::wanderbricks(42, default_as_of()) {
        Ok(engine) => engine,
        Err(error) => panic!("engine start-up failed: {error}"),
    };
    engine
        .define_metric_view(booking_metrics())
        .expect("metric view");
    engine.define_function(top_hosts()).expect("function");
    engine
}

fn run(sql: &str) -> ResultSet {
    run_with(sql, &[])
}

fn run_with(sql: &str, params: &[SqlParam]) -> ResultSet {
    let mut engine = ENGINE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match engine.execute(sql, params) {
        Ok(result) => result,
        Err(error) => panic!("{sql}\nfailed: {error}"),
    }
}

fn fail(sql: &str) -> SqlError {
    let mut engine = ENGINE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match engine.execute(sql, &[]) {
        Ok(result) => panic!("{sql}\nunexpectedly succeeded: {result:?}"),
        Err(error) => error,
    }
}

fn single(result: &ResultSet) -> String {
    result.rows.cell(0, 0).unwrap_or_default().to_owned()
}

fn booking_metrics() -> MetricView {
    MetricView {
        name: table_name("booking_metrics"),
        comment: Some("Bookings with their property and destination".into()),
        source: "main.wanderbricks.bookings".into(),
        filter: None,
        joins: vec![
            MetricJoin {
                name: "properties".into(),
                source: "main.wanderbricks.properties".into(),
                on: "source.property_id = properties.property_id".into(),
            },
            MetricJoin {
                name: "destinations".into(),
                source: "main.wanderbricks.destinations".into(),
                on: "properties.destination_id = destinations.destination_id".into(),
            },
        ],
        dimensions: vec![
            MetricField::new("property_type", "properties.property_type"),
            MetricField::new("booking_status", "status"),
            MetricField::new("check_in_month", "DATE_TRUNC('MONTH', check_in)"),
        ],
        measures: vec![
            MetricField::new("booking_count", "COUNT(*)"),
            MetricField::new(
                "confirmed_revenue",
                "SUM(total_amount) FILTER (WHERE status = 'confirmed')",
            ),
            MetricField::new(
                "total_nights",
                "SUM(DATEDIFF(check_out, check_in)) FILTER (WHERE status = 'confirmed')",
            ),
            MetricField::new("adr", "MEASURE(confirmed_revenue) / MEASURE(total_nights)"),
        ],
    }
}

fn top_hosts() -> SqlFunction {
    SqlFunction {
        name: table_name("get_top_hosts"),
        params: vec![
            FunctionParam {
                name: "start_date".into(),
                data_type: DataType::Date,
                default: None,
                comment: None,
            },
            FunctionParam {
                name: "end_date".into(),
                data_type: DataType::Date,
                default: None,
                comment: None,
            },
            FunctionParam {
                name: "top_n".into(),
                data_type: DataType::Int,
                default: Some("10".into()),
                comment: None,
            },
        ],
        returns: vec![
            ReturnColumn {
                name: "host_name".into(),
                data_type: DataType::String,
                comment: None,
            },
            ReturnColumn {
                name: "revenue".into(),
                data_type: DataType::Double,
                comment: None,
            },
        ],
        comment: Some("Top hosts by confirmed revenue".into()),
        body: "SELECT h.name, SUM(b.total_amount) FROM main.wanderbricks.bookings b \
               JOIN main.wanderbricks.properties p ON b.property_id = p.property_id \
               JOIN main.wanderbricks.hosts h ON p.host_id = h.host_id \
               WHERE b.status = 'confirmed' AND b.check_in BETWEEN start_date AND end_date \
               GROUP BY h.name ORDER BY 2 DESC LIMIT top_n"
            .into(),
    }
}

const SAMPLES: &[&str] = &[
    "SELECT SUM(total_amount) FROM main.wanderbricks.bookings WHERE status='confirmed' AND check_in >= '2024-01-01' AND check_in < '2025-01-01'",
    "SELECT COUNT(*) FROM main.wanderbricks.bookings WHERE created_at >= DATE_TRUNC('MONTH', ADD_MONTHS(CURRENT_DATE(),-1)) AND created_at < DATE_TRUNC('MONTH', CURRENT_DATE())",
    "SELECT COUNT(*) FROM main.wanderbricks.bookings b JOIN main.wanderbricks.properties p ON b.property_id=p.property_id JOIN main.wanderbricks.destinations d ON p.destination_id=d.destination_id WHERE d.state_or_province_code='CA'",
    "SELECT COUNT(*) FROM main.wanderbricks.properties WHERE property_type='apartment'",
    "SELECT COUNT(*) FROM main.wanderbricks.hosts WHERE is_verified AND is_active AND rating >= 4.8",
    "SELECT c.continent, SUM(b.total_amount) AS rev FROM main.wanderbricks.bookings b JOIN main.wanderbricks.properties p ON b.property_id=p.property_id JOIN main.wanderbricks.destinations d ON p.destination_id=d.destination_id JOIN main.wanderbricks.countries c ON d.country=c.country WHERE b.status='confirmed' AND YEAR(b.check_in)=2024 GROUP BY 1 ORDER BY rev DESC LIMIT 3",
    "SELECT property_type, MEASURE(adr) FROM main.wanderbricks.booking_metrics GROUP BY property_type",
    "SELECT * FROM main.wanderbricks.get_top_hosts('2025-01-01','2025-03-31')",
    "SELECT h.host_id, h.name, COUNT(*) FROM main.wanderbricks.hosts h JOIN main.wanderbricks.properties p ON p.host_id=h.host_id GROUP BY 1,2 HAVING COUNT(*) > 3",
    "SELECT AVG(r.rating) FROM main.wanderbricks.reviews r JOIN main.wanderbricks.properties p ON r.property_id=p.property_id WHERE p.property_type='villa' AND NOT r.is_deleted",
];

#[test]
fn the_ten_sample_queries_return_plausible_rows() {
    for sql in SAMPLES {
        let result = run(sql);
        assert!(!result.rows.is_empty(), "{sql} returned no rows");
        assert!(
            result
                .rows
                .iter()
                .all(|row| row.iter().any(|cell| cell.is_some())),
            "{sql} returned empty rows"
        );
    }
    assert_eq!(run(SAMPLES[5]).row_count(), 3);
    let superhosts: i64 = single(&run(SAMPLES[4])).parse().unwrap_or(0);
    let hosts: i64 = single(&run("SELECT COUNT(*) FROM main.wanderbricks.hosts"))
        .parse()
        .unwrap_or(0);
    assert!(
        superhosts > 0 && superhosts < hosts / 4,
        "{superhosts} of {hosts}"
    );
}

#[test]
fn result_columns_carry_databricks_names_and_types() {
    let result = run(
        "SELECT COUNT(*), SUM(amount), AVG(total_amount) AS a, MIN(check_in), MAX(b.created_at), is_business \
                      FROM main.wanderbricks.bookings b JOIN main.wanderbricks.payments p ON p.booking_id = b.booking_id \
                      JOIN main.wanderbricks.users u ON u.user_id = b.user_id GROUP BY ALL ORDER BY is_business",
    );
    let shape: Vec<(String, String)> = result
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.type_name.clone()))
        .collect();
    let expected = [
        ("count(1)", "LONG"),
        ("sum(amount)", "DECIMAL"),
        ("a", "DOUBLE"),
        ("min(check_in)", "DATE"),
        ("max(created_at)", "TIMESTAMP"),
        ("is_business", "BOOLEAN"),
    ];
    assert_eq!(shape, expected.map(|(n, t)| (n.to_string(), t.to_string())));
    let first = result.rows.to_vecs().swap_remove(0);
    assert_eq!(first[5].as_deref(), Some("false"));
    assert!(
        first[1]
            .as_deref()
            .is_some_and(|v| v.split('.').nth(1).map(str::len) == Some(4)),
        "{first:?}"
    );
    assert!(
        first[4]
            .as_deref()
            .is_some_and(|v| v.ends_with(".000Z") && v.contains('T')),
        "{first:?}"
    );
}

#[test]
fn dates_intervals_and_current_date_follow_databricks() {
    let result = run(
        "SELECT CURRENT_DATE, current_date() - INTERVAL 30 DAYS, DATE '2024-01-31' + INTERVAL 1 MONTH, \
                      DATE_TRUNC('QUARTER', DATE '2024-05-17'), date_format(DATE '2024-03-05', 'yyyy-MM'), \
                      datediff(DATE '2024-03-01', DATE '2024-02-01'), month(DATE '2024-03-05'), 7 / 2, \
                      TRY_CAST('x' AS INT), CAST('12' AS INT) + 1, '3'::INT",
    );
    let row: Vec<String> = result.rows.to_vecs()[0]
        .iter()
        .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
        .collect();
    assert_eq!(
        row,
        [
            "2025-06-30",
            "2025-05-31",
            "2024-02-29",
            "2024-04-01T00:00:00.000Z",
            "2024-03",
            "29",
            "3",
            "3.5",
            "NULL",
            "13",
            "3"
        ]
    );
}

#[test]
fn group_by_all_qualify_filter_ilike_and_rlike_work() {
    let grouped = run(
        "SELECT property_type, COUNT(*) AS n FROM main.wanderbricks.properties GROUP BY ALL ORDER BY n DESC",
    );
    assert_eq!(grouped.row_count(), 4);
    let top = run(
        "SELECT property_type, COUNT(*) AS n FROM main.wanderbricks.properties GROUP BY ALL \
                   QUALIFY ROW_NUMBER() OVER (ORDER BY n DESC) = 1",
    );
    assert_eq!(top.rows.get(0), grouped.rows.get(0));
    let filtered = run(
        "SELECT COUNT(*) FILTER (WHERE status = 'cancelled'), COUNT(*) FROM main.wanderbricks.bookings",
    );
    let cancelled: f64 = filtered
        .rows
        .cell(0, 0)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0.0);
    let all: f64 = filtered
        .rows
        .cell(0, 1)
        .unwrap_or("1")
        .parse()
        .unwrap_or(1.0);
    assert!(
        (0.12..0.18).contains(&(cancelled / all)),
        "{cancelled}/{all}"
    );
    assert_eq!(
        single(&run(
            "SELECT COUNT(*) FROM main.wanderbricks.bookings WHERE status LIKE 'Conf%'"
        )),
        "0"
    );
    let ilike = single(&run(
        "SELECT COUNT(*) FROM main.wanderbricks.bookings WHERE status ILIKE 'Conf%'",
    ));
    let rlike = single(&run(
        "SELECT COUNT(*) FROM main.wanderbricks.bookings WHERE status RLIKE '^conf'",
    ));
    assert_eq!(ilike, rlike);
    assert_ne!(ilike, "0");
}

#[test]
fn named_parameters_are_bound_by_name_and_type() {
    let sql = "SELECT COUNT(*) FROM main.wanderbricks.properties WHERE property_type = :kind AND max_guests >= :guests";
    let result = run_with(
        sql,
        &[
            SqlParam::string("kind", "villa"),
            SqlParam::typed("guests", "4", "INT"),
        ],
    );
    assert_ne!(single(&result), "0");
    let mut engine = ENGINE.lock().unwrap_or_else(|p| p.into_inner());
    let error = engine
        .execute(sql, &[SqlParam::string("kind", "villa")])
        .unwrap_err();
    assert_eq!(error.error_class, "UNBOUND_SQL_PARAMETER");
}

#[test]
fn measures_expand_from_the_metric_view_and_misuse_fails() {
    let by_type = run(
        "SELECT property_type, MEASURE(adr), MEASURE(booking_count) FROM main.wanderbricks.booking_metrics GROUP BY ALL ORDER BY 1",
    );
    assert_eq!(by_type.row_count(), 4);
    assert_eq!(by_type.columns[1].name, "measure(adr)");
    let direct = run(
        "SELECT SUM(b.total_amount) / SUM(DATEDIFF(b.check_out, b.check_in)) FROM main.wanderbricks.bookings b \
                      JOIN main.wanderbricks.properties p ON b.property_id = p.property_id \
                      WHERE b.status = 'confirmed' AND p.property_type = 'apartment'",
    );
    assert_eq!(by_type.rows.cell(0, 1), direct.rows.cell(0, 0));
    assert_eq!(
        fail("SELECT * FROM main.wanderbricks.booking_metrics").error_class,
        "UNSUPPORTED_FEATURE.METRIC_VIEW_SELECT_STAR"
    );
    assert_eq!(
        fail("SELECT property_type, adr FROM main.wanderbricks.booking_metrics GROUP BY ALL")
            .error_class,
        "METRIC_VIEW_MISSING_MEASURE_FUNCTION"
    );
    assert_eq!(
        fail("SELECT MEASURE(adr, booking_count) FROM main.wanderbricks.booking_metrics")
            .error_class,
        "METRIC_VIEW_MEASURE_REQUIRES_EXACTLY_ONE_COLUMN"
    );
    assert_eq!(
        fail("SELECT MEASURE(total_amount) FROM main.wanderbricks.bookings").error_class,
        "METRIC_VIEW_UNSUPPORTED_USAGE"
    );
}

#[test]
fn table_functions_are_inlined_with_defaults_and_named_arguments() {
    let defaulted =
        run("SELECT * FROM main.wanderbricks.get_top_hosts('2024-01-01', '2024-12-31')");
    assert_eq!(defaulted.row_count(), 10);
    assert_eq!(
        defaulted
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["host_name", "revenue"]
    );
    let named = run(
        "SELECT host_name FROM main.wanderbricks.get_top_hosts('2024-01-01', '2024-12-31', top_n => 3) t",
    );
    assert_eq!(named.row_count(), 3);
    assert_eq!(
        fail("SELECT * FROM main.wanderbricks.get_top_hosts('2024-01-01')").error_class,
        "REQUIRED_PARAMETER_NOT_FOUND"
    );
}

#[test]
fn unsupported_constructs_and_writes_fail_clearly() {
    let cases = [
        (
            "SELECT * EXCEPT (title) FROM main.wanderbricks.properties",
            "UNSUPPORTED_FEATURE",
        ),
        (
            "SELECT percentile(base_price, 0.5) FROM main.wanderbricks.properties",
            "UNRESOLVED_ROUTINE",
        ),
        ("SELECT INTERVAL 3 DAYS", "UNSUPPORTED_FEATURE"),
        ("SELECT 1 / 0", "DIVIDE_BY_ZERO"),
        ("SELECT CAST('abc' AS INT)", "CAST_INVALID_INPUT"),
        (
            "SELECT * FROM main.wanderbricks.nope",
            "TABLE_OR_VIEW_NOT_FOUND",
        ),
        (
            "SELECT nme FROM main.wanderbricks.hosts",
            "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        ),
        ("SELEC 1", "PARSE_SYNTAX_ERROR"),
        (
            "DELETE FROM main.wanderbricks.bookings",
            "INSUFFICIENT_PERMISSIONS",
        ),
        (
            "DROP TABLE main.wanderbricks.bookings",
            "INSUFFICIENT_PERMISSIONS",
        ),
    ];
    for (sql, class) in cases {
        assert_eq!(fail(sql).error_class, class, "{sql}");
    }
    assert!(
        fail("SELECT nme FROM main.wanderbricks.hosts")
            .message
            .contains("`hosts`.`name`")
    );
}

#[test]
fn metadata_ddl_shows_up_in_information_schema() {
    let mut engine = engine();
    let statements = [
        "COMMENT ON TABLE main.wanderbricks.hosts IS 'One row per host'",
        "COMMENT ON COLUMN main.wanderbricks.hosts.rating IS 'Average guest rating, 1.0-5.0'",
        "ALTER TABLE main.wanderbricks.bookings ALTER COLUMN total_amount COMMENT 'Booking value incl. fees'",
        "ALTER TABLE main.wanderbricks.bookings SET TAGS ('domain' = 'sales')",
        "ALTER TABLE main.wanderbricks.bookings ALTER COLUMN status SET TAGS ('enum' = 'yes')",
        "ALTER TABLE main.wanderbricks.properties ADD CONSTRAINT properties_pk PRIMARY KEY (property_id)",
        "ALTER TABLE main.wanderbricks.bookings ADD CONSTRAINT bookings_property_fk FOREIGN KEY (property_id) REFERENCES main.wanderbricks.properties (property_id)",
    ];
    for sql in statements {
        engine
            .execute(sql, &[])
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
    let comments = engine
        .execute("SELECT table_name, column_name, comment FROM system.information_schema.columns \
                  WHERE (table_name = 'hosts' AND column_name = 'rating') OR (table_name = 'bookings' AND column_name = 'total_amount') ORDER BY 1", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(comments.rows.cell(0, 2), Some("Booking value incl. fees"));
    assert_eq!(
        comments.rows.cell(1, 2),
        Some("Average guest rating, 1.0-5.0")
    );
    let table = engine
        .execute(
            "SELECT comment FROM main.information_schema.tables WHERE table_name = 'hosts'",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(single(&table), "One row per host");
    let routines = engine
        .execute(
            "SELECT routine_name FROM main.information_schema.routines",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(single(&routines), "get_top_hosts");
    let bookings = engine
        .catalog()
        .table(&QualifiedName::new("main", "wanderbricks", "bookings"))
        .cloned()
        .unwrap_or_else(|| panic!("bookings"));
    assert_eq!(
        bookings.tags.get("domain").map(String::as_str),
        Some("sales")
    );
    assert_eq!(bookings.foreign_keys.len(), 1);
    engine
        .execute("COMMENT ON TABLE main.wanderbricks.hosts IS NULL", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let cleared = engine
        .execute(
            "SELECT comment FROM main.information_schema.tables WHERE table_name = 'hosts'",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cleared.rows.get(0).and_then(|row| row.get(0)), Some(None));
    let missing = engine
        .execute("COMMENT ON COLUMN main.wanderbricks.hosts.nope IS 'x'", &[])
        .unwrap_err();
    assert_eq!(missing.error_class, "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION");
}

#[test]
fn the_same_seed_gives_the_same_data_and_results() {
    let mut other = engine();
    let sql = "SELECT b.booking_id, b.total_amount, b.status, p.amount, p.status FROM main.wanderbricks.bookings b \
               LEFT JOIN main.wanderbricks.payments p ON p.booking_id = b.booking_id ORDER BY b.booking_id, p.payment_id";
    let here = run(sql);
    let there = other.execute(sql, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(here, there);
    assert!(here.row_count() >= 19_000);
    let mut different =
        SqlEngine::wanderbricks(43, default_as_of()).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        different
            .execute(sql, &[])
            .unwrap_or_else(|e| panic!("{e}")),
        here
    );
}

#[test]
fn typical_aggregates_run_in_milliseconds() {
    let sql = SAMPLES[5];
    run(sql);
    let started = std::time::Instant::now();
    for _ in 0..5 {
        run(sql);
    }
    let each = started.elapsed() / 5;
    eprintln!("sample 6 (4-way join + aggregate): {each:?} per run");
    assert!(each.as_millis() < 1000, "{each:?}");
}
