//! A simulated workspace from a repository (`sim::workspace`): the fixture repositories resolve
//! for their target, their durable files become catalog objects, and the same metric-view and
//! function files run as SQL text through the engine (`CREATE VIEW … WITH METRICS`,
//! `CREATE FUNCTION`) with Databricks' failures.

use genie_gitops::git::fs::load_dir;
use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::sim::catalog::QualifiedName;
use genie_gitops::sim::data::{self, table_name};
use genie_gitops::sim::engine::SqlEngine;
use genie_gitops::sim::workspace::{ResolvedRepo, WorkspaceError, build_catalog, resolve_repo};

const POOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const CURATED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks-curated");

fn snapshot(path: &str) -> RepoSnapshot {
    load_dir(std::path::Path::new(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e:#}"))
}

fn resolved(path: &str) -> ResolvedRepo {
    resolve_repo(&snapshot(path), None).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn engine() -> SqlEngine {
    SqlEngine::wanderbricks(42, data::default_as_of()).unwrap_or_else(|e| panic!("{e}"))
}

fn run(engine: &mut SqlEngine, sql: &str) -> genie_gitops::model::result::ResultSet {
    engine
        .execute(sql, &[])
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// A fixture file with the fixture's templates resolved for the simulator.
fn fixture_sql(repo: &str, path: &str) -> String {
    let text = snapshot(repo)
        .get(path)
        .unwrap_or_else(|| panic!("{path} is in {repo}"))
        .to_owned();
    text.replace("${catalog}", data::CATALOG)
        .replace("${schema}", data::SCHEMA)
}

#[test]
fn a_fixture_repository_resolves_its_space_benchmarks_and_durable_files() {
    let repo = resolved(POOR);
    assert_eq!(repo.target.as_deref(), Some("dev"));
    assert_eq!(repo.variables.get("catalog"), Some("main"));
    let space = repo.space("wanderbricks").expect("the bundle's space");
    assert_eq!(space.title.as_deref(), Some("Wanderbricks bookings"));
    assert_eq!(space.benchmarks.len(), 48);
    let json = serde_json::to_string(&space.space).expect("serializes");
    assert!(!json.contains("${"), "templates are resolved: {json}");
    assert!(json.contains("main.wanderbricks.bookings"));
    let names = |v: Vec<String>| v.join(", ");
    assert_eq!(
        names(
            repo.metric_views
                .iter()
                .map(|v| v.name.to_string())
                .collect()
        ),
        "main.wanderbricks.booking_metrics, main.wanderbricks.review_metrics"
    );
    assert_eq!(
        names(repo.functions.iter().map(|f| f.name.to_string()).collect()),
        "main.wanderbricks.get_property_occupancy, main.wanderbricks.get_revenue_by_destination, main.wanderbricks.get_top_hosts"
    );
    assert_eq!(repo.tables.len(), 1);
}

#[test]
fn the_poor_tables_file_mirrors_the_catalog_and_the_curated_one_adds_comments_and_keys() {
    let base = data::wanderbricks_catalog();
    let poor = build_catalog(Some(&resolved(POOR))).unwrap_or_else(|e| panic!("{e}"));
    let same_tables =
        |a: &genie_gitops::sim::catalog::Catalog| -> Vec<_> { a.tables().cloned().collect() };
    assert_eq!(same_tables(&poor), same_tables(&base));
    let curated = build_catalog(Some(&resolved(CURATED))).unwrap_or_else(|e| panic!("{e}"));
    let bookings = curated.table(&table_name("bookings")).expect("bookings");
    assert_eq!(bookings.primary_key, ["booking_id"]);
    let references: Vec<String> = bookings
        .foreign_keys
        .iter()
        .map(|fk| format!("{} -> {}", fk.columns.join(","), fk.referenced_table))
        .collect();
    assert_eq!(
        references,
        [
            "property_id -> main.wanderbricks.properties",
            "user_id -> main.wanderbricks.users"
        ]
    );
    assert!(
        bookings
            .comment
            .as_deref()
            .is_some_and(|c| c.contains("confirmed bookings"))
    );
}

#[test]
fn the_curated_durable_files_carry_synonyms_and_comments_in_the_users_words() {
    let repo = resolved(CURATED);
    let bookings = repo
        .metric_views
        .iter()
        .find(|v| v.name == table_name("booking_metrics"))
        .expect("booking_metrics");
    let adr = bookings.measure("adr").expect("adr");
    assert!(adr.synonyms.contains(&"average daily rate".to_owned()));
    let occupancy = repo
        .functions
        .iter()
        .find(|f| f.name == table_name("get_property_occupancy"))
        .expect("get_property_occupancy");
    let comment = occupancy.comment.as_deref().unwrap_or_default();
    for part in ["PURPOSE:", "BEST FOR:", "PARAMS:", "how full"] {
        assert!(comment.contains(part), "{part} in {comment}");
    }
    assert!(occupancy.params.iter().all(|p| p.comment.is_some()));
}

#[test]
fn an_unknown_target_is_refused_with_the_known_ones() {
    let error = resolve_repo(&snapshot(POOR), Some("prod")).expect_err("no prod target");
    assert!(matches!(error, WorkspaceError::Target(_)));
    assert_eq!(
        error.to_string(),
        "unknown target `prod`; known targets: dev"
    );
}

#[test]
fn metric_view_and_function_files_run_as_sql_and_match_the_loaded_objects() {
    let mut engine = engine();
    let loaded = resolved(CURATED);
    for (file, name) in [
        (
            "genie/uc/metric_views/booking_metrics.sql",
            "booking_metrics",
        ),
        ("genie/uc/metric_views/review_metrics.sql", "review_metrics"),
    ] {
        let result = run(&mut engine, &fixture_sql(CURATED, file));
        assert!(result.rows.is_empty());
        let created = engine.catalog().metric_view(&table_name(name));
        let expected = loaded
            .metric_views
            .iter()
            .find(|v| v.name == table_name(name));
        assert_eq!(created, expected, "{file}");
    }
    for name in [
        "get_property_occupancy",
        "get_revenue_by_destination",
        "get_top_hosts",
    ] {
        let file = format!("genie/uc/functions/{name}.sql");
        run(&mut engine, &fixture_sql(CURATED, &file));
        let created = engine.catalog().function(&table_name(name));
        let expected = loaded.functions.iter().find(|f| f.name == table_name(name));
        assert_eq!(created, expected, "{file}");
    }
    let adr = run(
        &mut engine,
        "SELECT property_type, MEASURE(adr) AS adr FROM main.wanderbricks.booking_metrics GROUP BY ALL",
    );
    assert_eq!(adr.rows.len(), 4);
    let hosts = run(
        &mut engine,
        "SELECT * FROM main.wanderbricks.get_top_hosts('2024-01-01', '2024-12-31', 3)",
    );
    assert_eq!(hosts.rows.len(), 3);
    let routines = run(
        &mut engine,
        "SELECT routine_name, comment FROM main.information_schema.routines ORDER BY routine_name",
    );
    assert_eq!(routines.rows.len(), 3);
    assert!(
        routines
            .rows
            .cell(0, 1)
            .is_some_and(|c| c.starts_with("PURPOSE:"))
    );
}

#[test]
fn creating_an_existing_object_without_or_replace_fails_like_databricks() {
    let mut engine = engine();
    let view = fixture_sql(POOR, "genie/uc/metric_views/review_metrics.sql");
    run(&mut engine, &view);
    let again = view.replacen("CREATE OR REPLACE VIEW", "CREATE VIEW", 1);
    let error = engine.execute(&again, &[]).expect_err("the view exists");
    assert_eq!(error.error_class, "TABLE_OR_VIEW_ALREADY_EXISTS");
    let function = fixture_sql(POOR, "genie/uc/functions/get_top_hosts.sql");
    run(&mut engine, &function);
    let again = function.replacen("CREATE OR REPLACE FUNCTION", "CREATE FUNCTION", 1);
    let error = engine
        .execute(&again, &[])
        .expect_err("the function exists");
    assert_eq!(error.error_class, "ROUTINE_ALREADY_EXISTS");
}

#[test]
fn broken_metric_views_and_functions_fail_with_a_clear_error_class() {
    let mut engine = engine();
    let cases = [
        (
            "CREATE OR REPLACE VIEW main.wanderbricks.mv WITH METRICS LANGUAGE YAML AS $$\nversion: 1.1\nsource: main.wanderbricks.nope\nmeasures:\n  - name: n\n    expr: COUNT(1)\n$$",
            "TABLE_OR_VIEW_NOT_FOUND",
        ),
        (
            "CREATE OR REPLACE VIEW main.wanderbricks.mv WITH METRICS LANGUAGE YAML AS $$\nversion: 1.1\nmeasures: [\n$$",
            "PARSE_SYNTAX_ERROR",
        ),
        (
            "CREATE OR REPLACE FUNCTION main.wanderbricks.f(x INT) RETURNS INT RETURN x + 1",
            "UNSUPPORTED_FEATURE",
        ),
        (
            "CREATE OR REPLACE FUNCTION main.wanderbricks.f( RETURNS TABLE (a INT) RETURN SELECT 1",
            "PARSE_SYNTAX_ERROR",
        ),
        (
            "CREATE VIEW main.wanderbricks.v AS SELECT 1",
            "INSUFFICIENT_PERMISSIONS",
        ),
    ];
    for (sql, class) in cases {
        let error = engine.execute(sql, &[]).expect_err(sql);
        assert_eq!(error.error_class, class, "{sql}\n{error}");
    }
    assert!(
        engine
            .catalog()
            .metric_view(&QualifiedName::new("main", "wanderbricks", "mv"))
            .is_none()
    );
}
