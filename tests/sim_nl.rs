//! The NL engine's lever contract (genie-behavior.md §3.2): each metadata lever, added to the
//! poor Wanderbricks space, flips the class of question it governs; a broad wrong instruction
//! regresses other questions; extra tables cost accuracy; answers are deterministic, and seeded
//! jitter varies only near-ties.

mod sim_nl_support;

use genie_gitops::model::space::{
    ColumnConfig, DataSource, ExampleParameter, ExampleQuestionSql, Instructions, JoinSide,
    JoinSpec, Relationship, SerializedSpace, Snippet, SqlSnippets, TextInstruction,
};
use genie_gitops::sim::answer::Answer;
use genie_gitops::sim::catalog::Catalog;
use genie_gitops::sim::data::Dataset;
use genie_gitops::sim::nl::{CatalogInfo, Knowledge, answer};
use sim_nl_support::{POOR, as_of};

struct World {
    catalog: Catalog,
    data: Dataset,
}

fn world() -> World {
    World {
        catalog: sim_nl_support::catalog(),
        data: sim_nl_support::dataset(),
    }
}

fn poor_space() -> SerializedSpace {
    sim_nl_support::space(POOR)
}

fn ask(w: &World, space: &SerializedSpace, question: &str) -> Answer {
    let info = CatalogInfo::from_catalog(&w.catalog);
    let k = Knowledge::build(space, &info, &(&w.catalog, &w.data));
    answer(&k, question, as_of(), None)
}

fn sql(a: &Answer) -> String {
    match a {
        Answer::Sql { sql, .. } => sql.clone(),
        other => panic!("expected SQL, got {other:?}"),
    }
}

fn column_config(space: &mut SerializedSpace, table: &str, config: ColumnConfig) {
    let tables = &mut space.data_sources.as_mut().expect("data sources").tables;
    let suffix = format!(".{table}");
    let t = tables
        .iter_mut()
        .find(|t| t.identifier.ends_with(&suffix))
        .expect("table in space");
    t.column_configs
        .retain(|c| c.column_name != config.column_name);
    t.column_configs.push(config);
    t.column_configs
        .sort_by(|a, b| a.column_name.cmp(&b.column_name));
}

fn instructions(space: &mut SerializedSpace) -> &mut Instructions {
    space.instructions.get_or_insert_with(Default::default)
}

fn instruct(space: &mut SerializedSpace, text: &str) {
    instructions(space).text_instructions = vec![TextInstruction {
        id: "01f0c0de0000000000000000000000ff".into(),
        content: vec![text.into()],
        ..Default::default()
    }];
}

#[test]
fn a_synonym_moves_the_date_column_to_the_one_users_mean() {
    let w = world();
    let mut space = poor_space();
    let q = "How many bookings were made last month?";
    let before = sql(&ask(&w, &space, q));
    assert!(before.contains("bookings.check_in >="), "{before}");
    column_config(
        &mut space,
        "bookings",
        ColumnConfig {
            column_name: "created_at".into(),
            synonyms: vec!["made".into(), "booking date".into()],
            ..Default::default()
        },
    );
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("bookings.created_at >= DATE'2025-05-01'"),
        "{after}"
    );
}

#[test]
fn entity_matching_resolves_a_filter_literal() {
    let w = world();
    let mut space = poor_space();
    let q = "How many bookings were for properties in CA?";
    assert!(!sql(&ask(&w, &space, q)).contains("'CA'"));
    column_config(
        &mut space,
        "destinations",
        ColumnConfig {
            column_name: "state_or_province_code".into(),
            enable_format_assistance: Some(true),
            enable_entity_matching: Some(true),
            ..Default::default()
        },
    );
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("destinations.state_or_province_code = 'CA'"),
        "{after}"
    );
    assert!(
        after.contains("JOIN main.wanderbricks.properties"),
        "{after}"
    );
}

#[test]
fn format_assistance_fixes_the_casing_of_a_hinted_literal() {
    let w = world();
    let mut space = poor_space();
    let q = "How many apartments are listed?";
    let before = sql(&ask(&w, &space, q));
    assert!(before.contains("'Apartment'"), "{before}");
    column_config(
        &mut space,
        "properties",
        ColumnConfig {
            column_name: "property_type".into(),
            description: vec!["Type of property (e.g., Apartment, House, Villa)".into()],
            enable_format_assistance: Some(true),
            ..Default::default()
        },
    );
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("properties.property_type = 'apartment'"),
        "{after}"
    );
}

#[test]
fn hiding_columns_turns_a_clarification_into_an_answer() {
    let w = world();
    let mut space = poor_space();
    let q = "Number of bookings by country";
    let before = ask(&w, &space, q);
    assert!(matches!(before, Answer::Clarification { .. }), "{before:?}");
    for table in ["users", "hosts", "countries"] {
        column_config(
            &mut space,
            table,
            ColumnConfig {
                column_name: "country".into(),
                exclude: Some(true),
                ..Default::default()
            },
        );
    }
    let after = sql(&ask(&w, &space, q));
    assert!(after.contains("GROUP BY destinations.country"), "{after}");
}

#[test]
fn a_join_spec_overrides_the_cheap_wrong_path() {
    let w = world();
    let mut space = poor_space();
    let q = "How many bookings per continent?";
    let before = sql(&ask(&w, &space, q));
    assert!(before.contains("JOIN main.wanderbricks.users"), "{before}");
    instructions(&mut space).join_specs = vec![JoinSpec {
        id: "01f0c0de000000000000000000000020".into(),
        left: JoinSide {
            identifier: "main.wanderbricks.destinations".into(),
            alias: Some("destinations".into()),
            ..Default::default()
        },
        right: JoinSide {
            identifier: "main.wanderbricks.countries".into(),
            alias: Some("countries".into()),
            ..Default::default()
        },
        sql: vec![
            "`destinations`.`country` = `countries`.`country`".into(),
            Relationship::ManyToOne.marker(),
        ],
        ..Default::default()
    }];
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("destinations.country = countries.country"),
        "{after}"
    );
    assert!(!after.contains("users"), "{after}");
}

#[test]
fn a_measure_snippet_resolves_a_business_term() {
    let w = world();
    let mut space = poor_space();
    let q = "What was total revenue in 2024?";
    let before = ask(&w, &space, q);
    assert!(
        !matches!(&before, Answer::Sql { sql, .. } if sql.contains("'confirmed'")),
        "{before:?}"
    );
    instructions(&mut space).sql_snippets = Some(SqlSnippets {
        measures: vec![Snippet {
            id: "01f0c0de000000000000000000000030".into(),
            alias: Some("revenue".into()),
            sql: vec![
                "SUM(CASE WHEN bookings.status = 'confirmed' THEN bookings.total_amount END)"
                    .into(),
            ],
            display_name: Some("revenue".into()),
            synonyms: vec!["total revenue".into(), "sales".into()],
            ..Default::default()
        }],
        ..Default::default()
    });
    let after = sql(&ask(&w, &space, q));
    assert!(after.contains("bookings.status = 'confirmed'"), "{after}");
}

#[test]
fn an_instruction_defines_jargon() {
    let w = world();
    let mut space = poor_space();
    let q = "How many superhosts do we have?";
    let before = ask(&w, &space, q);
    assert!(
        !matches!(&before, Answer::Sql { sql, .. } if sql.contains("rating >= 4.8")),
        "{before:?}"
    );
    instruct(
        &mut space,
        "- \"superhost\" means hosts.is_verified AND hosts.is_active AND hosts.rating >= 4.8\n",
    );
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("hosts.rating >= 4.8") && after.contains("FROM main.wanderbricks.hosts"),
        "{after}"
    );
}

#[test]
fn a_broad_wrong_instruction_regresses_other_questions() {
    let w = world();
    let mut space = poor_space();
    let count = "How many bookings are there?";
    let guests = "What is the average number of guests per booking?";
    assert!(!sql(&ask(&w, &space, count)).contains("WHERE"));
    assert!(!sql(&ask(&w, &space, guests)).contains("WHERE"));
    instruct(&mut space, "Always filter bookings.status = 'confirmed'\n");
    assert!(sql(&ask(&w, &space, count)).contains("bookings.status = 'confirmed'"));
    assert!(sql(&ask(&w, &space, guests)).contains("bookings.status = 'confirmed'"));
}

#[test]
fn a_parameterized_example_answers_any_value_trusted() {
    let w = world();
    let mut space = poor_space();
    let q = "Which hosts have more than 3 properties?";
    let before = ask(&w, &space, q);
    assert!(
        !matches!(&before, Answer::Sql { sql, .. } if sql.contains("HAVING")),
        "{before:?}"
    );
    instructions(&mut space).example_question_sqls = vec![ExampleQuestionSql {
        id: "01f0c0de000000000000000000000040".into(),
        question: vec!["Which hosts have more than 5 properties listed?".into()],
        sql: vec![
            "SELECT h.name, COUNT(*) AS properties\nFROM main.wanderbricks.hosts h\nJOIN main.wanderbricks.properties p ON p.host_id = h.host_id\nGROUP BY h.name\nHAVING COUNT(*) > :min_properties".into(),
        ],
        parameters: vec![ExampleParameter {
            name: "min_properties".into(),
            type_hint: Some("INTEGER".into()),
            ..Default::default()
        }],
        ..Default::default()
    }];
    match ask(&w, &space, q) {
        Answer::Sql { sql, trusted, .. } => {
            assert!(trusted);
            assert!(sql.contains("HAVING COUNT(*) > 3"), "{sql}");
        }
        other => panic!("expected SQL, got {other:?}"),
    }
}

#[test]
fn the_same_question_gets_the_same_sql() {
    let w = world();
    let space = poor_space();
    let q = "Top 5 destinations by number of bookings in 2024";
    assert_eq!(ask(&w, &space, q), ask(&w, &space, q));
}

fn metric_view_config(space: &mut SerializedSpace, view: &str, config: ColumnConfig) {
    let views = &mut space
        .data_sources
        .as_mut()
        .expect("data sources")
        .metric_views;
    let suffix = format!(".{view}");
    let v = views
        .iter_mut()
        .find(|v| v.identifier.ends_with(&suffix))
        .expect("metric view in space");
    v.column_configs.push(config);
    v.column_configs
        .sort_by(|a, b| a.column_name.cmp(&b.column_name));
}

#[test]
fn metric_view_synonyms_route_a_term_to_its_measure() {
    let w = world();
    let mut space = poor_space();
    let q = "What is the average daily rate by property type?";
    let before = ask(&w, &space, q);
    assert!(
        !matches!(&before, Answer::Sql { sql, .. } if sql.contains("MEASURE(")),
        "{before:?}"
    );
    metric_view_config(
        &mut space,
        "booking_metrics",
        ColumnConfig {
            column_name: "adr".into(),
            synonyms: vec!["average daily rate".into()],
            ..Default::default()
        },
    );
    let after = sql(&ask(&w, &space, q));
    assert!(
        after.contains("MEASURE(adr)") && after.contains("FROM main.wanderbricks.booking_metrics"),
        "{after}"
    );
    assert!(after.contains("GROUP BY property_type"), "{after}");
}

#[test]
fn a_function_comment_in_the_users_words_routes_to_the_function() {
    let mut w = world();
    let space = poor_space();
    let q = "How full were our properties in Q1 2025?";
    let before = ask(&w, &space, q);
    assert!(
        !matches!(&before, Answer::Sql { sql, .. } if sql.contains("get_property_occupancy")),
        "{before:?}"
    );
    let name = genie_gitops::sim::data::table_name("get_property_occupancy");
    let mut function = w.catalog.function(&name).expect("function").clone();
    function.comment = Some(
        "PURPOSE: share of nights booked. BEST FOR: occupancy, utilization, how full properties were."
            .into(),
    );
    w.catalog.define_function(function).expect("redefine");
    match ask(&w, &space, q) {
        Answer::Sql { sql, trusted, .. } => {
            assert!(trusted, "a function answer is trusted");
            assert_eq!(
                sql,
                "SELECT * FROM main.wanderbricks.get_property_occupancy('2025-01-01', '2025-03-31')"
            );
        }
        other => panic!("expected SQL, got {other:?}"),
    }
}

#[test]
fn extra_tables_add_collisions_that_cost_answers() {
    let mut w = world();
    let mut space = poor_space();
    let q = "How many check-ins were there in Q1 2025?";
    let before = sql(&ask(&w, &space, q));
    assert!(
        before.contains("bookings.check_in >= DATE'2025-01-01'"),
        "{before}"
    );
    // The real Wanderbricks schema also has booking_updates: the same columns as bookings.
    let bookings = genie_gitops::sim::data::table_name("bookings");
    let mut updates = w.catalog.table(&bookings).expect("bookings").clone();
    updates.name = genie_gitops::sim::data::table_name("booking_updates");
    w.catalog.add_table(updates).expect("add table");
    let tables = &mut space.data_sources.as_mut().expect("data sources").tables;
    tables.push(DataSource {
        identifier: "main.wanderbricks.booking_updates".into(),
        ..Default::default()
    });
    tables.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let after = ask(&w, &space, q);
    assert!(matches!(after, Answer::Clarification { .. }), "{after:?}");
}

fn ask_jittered(w: &World, space: &SerializedSpace, question: &str, seed: u64) -> Answer {
    let info = CatalogInfo::from_catalog(&w.catalog);
    let k = Knowledge::build(space, &info, &(&w.catalog, &w.data));
    answer(&k, question, as_of(), Some(seed))
}

#[test]
fn seeded_jitter_varies_near_ties_only_and_repeats_per_seed() {
    let w = world();
    let space = poor_space();
    let near_tie = "Number of bookings by country";
    let answers: Vec<Answer> = (0..16)
        .map(|seed| ask_jittered(&w, &space, near_tie, seed))
        .collect();
    let distinct = answers
        .iter()
        .enumerate()
        .filter(|(i, a)| !answers[..*i].contains(a))
        .count();
    assert!(distinct >= 2, "jitter never flipped the tie: {answers:?}");
    assert_eq!(
        ask_jittered(&w, &space, near_tie, 3),
        ask_jittered(&w, &space, near_tie, 3)
    );
    let clear = "How many bookings are there?";
    let unjittered = ask(&w, &space, clear);
    for seed in 0..16 {
        assert_eq!(ask_jittered(&w, &space, clear, seed), unjittered);
    }
}
