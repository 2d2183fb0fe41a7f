//! The patch language end to end: apply-then-inverse is the identity for every patch type on
//! generated files, JSON round trips, conflict and blast-radius rules, rendered diffs and every
//! error message shape, and the `patch apply` command.

use std::collections::BTreeSet;

use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::model::space::{
    ColumnConfig, DataSource, DataSources, ExampleParameter, ExampleQuestionSql, Instructions,
    JoinSide, JoinSpec, Relationship, SerializedSpace, Snippet, SqlFunctionRef, SqlSnippets,
    TextInstruction, new_id,
};
use genie_gitops::model::tables;
use genie_gitops::patch::{
    self, ColumnRef, FieldKind, ForeignKeySpec, Op, Patch, PatchError, SnippetKind, SourceKind,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const SPACE: &str = "genie/sales.geniespace.json";
const TABLES: &str = "uc/tables.yaml";
const VIEW: &str = "uc/review_metrics.yaml";
const FUNCTION: &str = "uc/get_top_hosts.sql";
const PROPS: &str = "uc/monitoring.yaml";

/// Words that are plain YAML scalars and plain JSON strings.
const WORDS: &[&str] = &[
    "booked",
    "revenue",
    "guest",
    "stay",
    "night rate",
    "host score",
    "check in",
    "listing",
    "payout",
    "region",
    "booking value",
    "occupancy",
    "rating",
    "lead time",
];

fn words(min: usize, max: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(WORDS, min..=max)
        .prop_map(|w| w.into_iter().map(str::to_owned).collect())
}

fn word() -> impl Strategy<Value = String> {
    proptest::sample::select(WORDS).prop_map(str::to_owned)
}

fn phrase() -> impl Strategy<Value = String> {
    words(1, 4).prop_map(|w| w.join(" "))
}

/// What a generated repository is made of.
#[derive(Debug, Clone)]
struct Gen {
    synonyms: Vec<String>,
    description: Vec<String>,
    other_synonyms: Vec<String>,
    instruction: Vec<String>,
    uc_synonyms: Vec<String>,
    block_style: bool,
    comment: String,
    mv_synonyms: Vec<String>,
    new_word: String,
    new_text: String,
    pick: usize,
}

fn repo_parts() -> impl Strategy<Value = Gen> {
    (
        (words(2, 5), words(0, 2), words(0, 3), words(2, 3)),
        (words(2, 5), any::<bool>(), phrase(), words(2, 4)),
        (word(), phrase(), 0usize..8),
    )
        .prop_map(
            |(
                (synonyms, description, other_synonyms, instruction),
                (uc_synonyms, block_style, comment, mv_synonyms),
                (new_word, new_text, pick),
            )| Gen {
                synonyms,
                description: description.into_iter().map(|d| d + "\n").collect(),
                other_synonyms,
                instruction: instruction
                    .into_iter()
                    .map(|l| format!("Say {l}.\n"))
                    .collect(),
                uc_synonyms,
                block_style,
                comment,
                mv_synonyms,
                new_word: format!("{new_word} x"),
                new_text: format!("new {new_text}"),
                pick,
            },
        )
}

fn join(id: &str, relationship: Relationship) -> JoinSpec {
    JoinSpec {
        id: id.into(),
        left: JoinSide {
            identifier: "main.wb.bookings".into(),
            alias: Some("b".into()),
            ..Default::default()
        },
        right: JoinSide {
            identifier: "main.wb.properties".into(),
            alias: Some("p".into()),
            ..Default::default()
        },
        sql: vec![
            "`b`.`property_id` = `p`.`property_id`".into(),
            relationship.marker(),
        ],
        ..Default::default()
    }
}

fn snippet(id: &str, alias: Option<&str>, sql: &str) -> Snippet {
    Snippet {
        id: id.into(),
        alias: alias.map(str::to_owned),
        sql: vec![sql.into()],
        ..Default::default()
    }
}

fn example(id: &str, question: &str) -> ExampleQuestionSql {
    ExampleQuestionSql {
        id: id.into(),
        question: vec![question.into()],
        sql: vec![
            "SELECT COUNT(*) FROM main.wb.bookings\n".into(),
            "WHERE status = :status".into(),
        ],
        usage_guidance: vec!["Counts by status".into()],
        parameters: vec![ExampleParameter {
            name: "status".into(),
            type_hint: Some("STRING".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn space(g: &Gen) -> String {
    let bookings = DataSource {
        identifier: "main.wb.bookings".into(),
        description: g.description.clone(),
        column_configs: vec![
            ColumnConfig {
                column_name: "created_at".into(),
                description: vec!["When the booking was made".into()],
                synonyms: g.synonyms.clone(),
                ..Default::default()
            },
            ColumnConfig {
                column_name: "status".into(),
                synonyms: g.other_synonyms.clone(),
                enable_format_assistance: Some(true),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let properties = DataSource {
        identifier: "main.wb.properties".into(),
        column_configs: vec![ColumnConfig {
            column_name: "property_type".into(),
            exclude: Some(false),
            ..Default::default()
        }],
        ..Default::default()
    };
    let space = SerializedSpace {
        version: 2,
        data_sources: Some(DataSources {
            tables: vec![bookings, properties],
            ..Default::default()
        }),
        instructions: Some(Instructions {
            text_instructions: vec![TextInstruction {
                id: new_id("ti"),
                content: g.instruction.clone(),
                ..Default::default()
            }],
            example_question_sqls: vec![example(&new_id("ex"), "How many bookings?")],
            sql_functions: vec![SqlFunctionRef {
                id: new_id("fn"),
                identifier: "main.wb.get_top_hosts".into(),
                ..Default::default()
            }],
            join_specs: vec![join(&new_id("join"), Relationship::ManyToOne)],
            sql_snippets: Some(SqlSnippets {
                measures: vec![snippet(
                    &new_id("m"),
                    Some("revenue"),
                    "SUM(b.total_amount)",
                )],
                filters: vec![snippet(&new_id("f"), None, "b.status = 'confirmed'")],
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    space.to_canonical_json()
}

fn yaml_list(items: &[String], block: bool, indent: &str) -> String {
    if block {
        items.iter().map(|s| format!("\n{indent}  - {s}")).collect()
    } else {
        format!(" [{}]", items.join(", "))
    }
}

fn tables_yaml(g: &Gen) -> String {
    format!(
        "# lever 1\ntables:\n  - name: main.wb.bookings\n    comment: {}\n    tags: {{domain: travel}}\n    foreign_keys:\n      - columns: [property_id]\n        references: main.wb.properties(property_id)\n    columns:\n      - name: property_id\n      - name: user_id\n      - name: created_at\n        type: TIMESTAMP  # when booked\n        comment: Date the booking was created\n        synonyms:{}\n      - name: status\n        type: STRING\n",
        g.comment,
        yaml_list(&g.uc_synonyms, g.block_style, "        "),
    )
}

fn view_yaml(g: &Gen) -> String {
    format!(
        "# lever 2\nversion: 1.1\nsource: main.wb.reviews\nfilter: NOT is_deleted\ndimensions:\n  - name: review_month\n    expr: DATE_TRUNC('MONTH', created_at)\nmeasures:\n  - name: avg_rating\n    expr: AVG(rating)\n    comment: {}\n    synonyms:{}\n  - name: review_count\n    expr: COUNT(1)\n",
        g.comment,
        yaml_list(&g.mv_synonyms, g.block_style, "    "),
    )
}

fn function_sql(g: &Gen) -> String {
    format!(
        "-- lever 3\nCREATE OR REPLACE FUNCTION main.wb.get_top_hosts(\n  start_date DATE COMMENT 'First day',\n  top_n INT DEFAULT 10\n)\nRETURNS TABLE (host_id BIGINT)\nCOMMENT '{}'\nRETURN SELECT host_id FROM main.wb.hosts LIMIT top_n;\n",
        g.comment
    )
}

fn props_yaml(g: &Gen) -> String {
    format!(
        "tables:\n  - name: main.wb.guest_features\n    properties:\n      genie.purpose: {}\n",
        g.comment
    )
}

fn repo(g: &Gen) -> RepoSnapshot {
    let mut s = RepoSnapshot::new();
    s.insert(SPACE, space(g));
    s.insert(TABLES, tables_yaml(g));
    s.insert(VIEW, view_yaml(g));
    s.insert(FUNCTION, function_sql(g));
    s.insert(PROPS, props_yaml(g));
    s
}

fn col(table: &str, column: &str) -> ColumnRef {
    ColumnRef {
        file: SPACE.into(),
        table: table.into(),
        column: column.into(),
    }
}

/// One applicable patch of every type for the repository `g` generates.
fn every_patch(g: &Gen) -> Vec<Patch> {
    let f = || SPACE.to_owned();
    let created = col("main.wb.bookings", "created_at");
    let pick = g.pick % g.synonyms.len();
    let uc_pick = g.pick % g.uc_synonyms.len();
    let mv_pick = g.pick % g.mv_synonyms.len();
    let new_words = vec![format!("{}\n", g.new_text)];
    let first_line = g.instruction[0].trim_end_matches('\n').to_owned();
    let ops = vec![
        Op::SetColumnDescription {
            column: created.clone(),
            old: vec!["When the booking was made".into()],
            new: new_words.clone(),
        },
        Op::SetColumnDescription {
            column: col("main.wb.properties", "host_id"),
            old: vec![],
            new: new_words.clone(),
        },
        Op::AddColumnSynonym {
            column: created.clone(),
            synonym: g.new_word.clone(),
            index: Some(pick),
        },
        Op::AddColumnSynonym {
            column: col("main.wb.properties", "title"),
            synonym: g.new_word.clone(),
            index: None,
        },
        Op::RemoveColumnSynonym {
            column: created.clone(),
            synonym: g.synonyms[pick].clone(),
            index: Some(pick),
        },
        Op::SetColumnExclude {
            column: col("main.wb.properties", "property_type"),
            old: Some(false),
            new: Some(true),
        },
        Op::SetColumnFormatAssistance {
            column: col("main.wb.bookings", "status"),
            old: Some(true),
            new: None,
        },
        Op::SetColumnEntityMatching {
            column: col("main.wb.bookings", "status"),
            old: None,
            new: Some(true),
        },
        Op::SetTableDescription {
            file: f(),
            table: "main.wb.bookings".into(),
            old: g.description.clone(),
            new: new_words.clone(),
        },
        Op::AddDataSource {
            file: f(),
            kind: SourceKind::MetricView,
            source: DataSource {
                identifier: "main.wb.review_metrics".into(),
                description: new_words.clone(),
                ..Default::default()
            },
        },
        Op::RemoveDataSource {
            file: f(),
            kind: SourceKind::Table,
            source: DataSource {
                identifier: "main.wb.properties".into(),
                column_configs: vec![ColumnConfig {
                    column_name: "property_type".into(),
                    exclude: Some(false),
                    ..Default::default()
                }],
                ..Default::default()
            },
        },
        Op::AddJoinSpec {
            file: f(),
            join: join("", Relationship::OneToOne),
        },
        Op::RemoveJoinSpec {
            file: f(),
            join: join(&new_id("join"), Relationship::ManyToOne),
        },
        Op::AddSqlSnippet {
            file: f(),
            kind: SnippetKind::Expression,
            snippet: Snippet {
                synonyms: vec![g.new_word.clone()],
                ..snippet(
                    "",
                    Some("booking_month"),
                    "DATE_TRUNC('MONTH', b.created_at)",
                )
            },
        },
        Op::RemoveSqlSnippet {
            file: f(),
            kind: SnippetKind::Filter,
            snippet: snippet(&new_id("f"), None, "b.status = 'confirmed'"),
        },
        Op::UpdateSqlSnippet {
            file: f(),
            kind: SnippetKind::Measure,
            old: snippet(&new_id("m"), Some("revenue"), "SUM(b.total_amount)"),
            new: Snippet {
                synonyms: g.synonyms.clone(),
                ..snippet(
                    &new_id("m"),
                    Some("revenue"),
                    "SUM(b.total_amount) FILTER (WHERE b.status = 'confirmed')",
                )
            },
        },
        Op::AddExampleSql {
            file: f(),
            example: example("", &g.new_text),
        },
        Op::RemoveExampleSql {
            file: f(),
            example: example(&new_id("ex"), "How many bookings?"),
        },
        Op::SetTextInstruction {
            file: f(),
            id: Some(new_id("ti")),
            old: g.instruction.clone(),
            new: new_words.clone(),
        },
        Op::SetTextInstruction {
            file: f(),
            id: Some(new_id("ti")),
            old: g.instruction.clone(),
            new: vec![],
        },
        Op::AppendTextInstruction {
            file: f(),
            lines: new_words.clone(),
        },
        Op::TruncateTextInstruction {
            file: f(),
            lines: g.instruction[g.instruction.len() - 1..].to_vec(),
        },
        Op::ReplaceTextInstruction {
            file: f(),
            old: first_line.clone(),
            new: format!("{first_line} ({})", g.new_word),
        },
        Op::AddSqlFunction {
            file: f(),
            function: SqlFunctionRef {
                id: String::new(),
                identifier: "main.wb.get_guest_stays".into(),
                ..Default::default()
            },
        },
        Op::RemoveSqlFunction {
            file: f(),
            function: SqlFunctionRef {
                id: new_id("fn"),
                identifier: "main.wb.get_top_hosts".into(),
                ..Default::default()
            },
        },
        Op::SetUcTableComment {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            old: Some(g.comment.clone()),
            new: Some(g.new_text.clone()),
        },
        Op::SetUcTableComment {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            old: Some(g.comment.clone()),
            new: None,
        },
        Op::SetUcColumnComment {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: "status".into(),
            old: None,
            new: Some(g.new_text.clone()),
        },
        Op::AddUcColumnSynonym {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: "status".into(),
            synonym: g.new_word.clone(),
            index: None,
        },
        Op::AddUcColumnSynonym {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: "created_at".into(),
            synonym: g.new_word.clone(),
            index: None,
        },
        Op::RemoveUcColumnSynonym {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: "created_at".into(),
            synonym: g.uc_synonyms[uc_pick].clone(),
            index: Some(uc_pick),
        },
        Op::SetUcTag {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: None,
            key: "domain".into(),
            old: Some("travel".into()),
            new: Some(g.new_word.clone()),
        },
        Op::SetUcTag {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            column: Some("status".into()),
            key: "pii".into(),
            old: None,
            new: Some("none".into()),
        },
        Op::AddUcForeignKey {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            foreign_key: ForeignKeySpec {
                columns: vec!["user_id".into()],
                references: "main.wb.users(user_id)".into(),
                name: Some("fk_user".into()),
            },
        },
        Op::RemoveUcForeignKey {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            foreign_key: ForeignKeySpec {
                columns: vec!["property_id".into()],
                references: "main.wb.properties(property_id)".into(),
                name: None,
            },
        },
        Op::SetMvComment {
            file: VIEW.into(),
            kind: FieldKind::Measure,
            name: "avg_rating".into(),
            old: Some(g.comment.clone()),
            new: Some(g.new_text.clone()),
        },
        Op::SetMvComment {
            file: VIEW.into(),
            kind: FieldKind::Dimension,
            name: "review_month".into(),
            old: None,
            new: Some(g.new_text.clone()),
        },
        Op::SetMvDisplayName {
            file: VIEW.into(),
            kind: FieldKind::Measure,
            name: "review_count".into(),
            old: None,
            new: Some("Reviews".into()),
        },
        Op::AddMvSynonym {
            file: VIEW.into(),
            kind: FieldKind::Measure,
            name: "avg_rating".into(),
            synonym: g.new_word.clone(),
            index: Some(mv_pick),
        },
        Op::AddMvSynonym {
            file: VIEW.into(),
            kind: FieldKind::Dimension,
            name: "review_month".into(),
            synonym: g.new_word.clone(),
            index: None,
        },
        Op::RemoveMvSynonym {
            file: VIEW.into(),
            kind: FieldKind::Measure,
            name: "avg_rating".into(),
            synonym: g.mv_synonyms[mv_pick].clone(),
            index: Some(mv_pick),
        },
        Op::AddMvMeasure {
            file: VIEW.into(),
            name: "five_star_count".into(),
            expr: "COUNT(1) FILTER (WHERE rating = 5)".into(),
            comment: Some(g.new_text.clone()),
        },
        Op::RemoveMvMeasure {
            file: VIEW.into(),
            name: "review_count".into(),
            expr: "COUNT(1)".into(),
            comment: None,
        },
        Op::SetMvFilter {
            file: VIEW.into(),
            old: Some("NOT is_deleted".into()),
            new: Some(format!("NOT is_deleted AND rating > {}", g.pick)),
        },
        Op::SetFunctionComment {
            file: FUNCTION.into(),
            old: Some(g.comment.clone()),
            new: Some(format!("BEST FOR: {}", g.new_text)),
        },
        Op::SetFunctionParamComment {
            file: FUNCTION.into(),
            param: "top_n".into(),
            old: None,
            new: Some(g.new_text.clone()),
        },
        Op::SetTableProperty {
            file: PROPS.into(),
            table: "main.wb.guest_features".into(),
            key: "genie.grain".into(),
            old: None,
            new: Some(g.new_word.clone()),
        },
        Op::SetTableProperty {
            file: PROPS.into(),
            table: "main.wb.guest_features".into(),
            key: "genie.purpose".into(),
            old: Some(g.comment.clone()),
            new: None,
        },
        Op::SetUcPrimaryKey {
            file: TABLES.into(),
            table: "main.wb.bookings".into(),
            old: vec![],
            new: vec!["user_id".into(), "created_at".into()],
        },
    ];
    ops.into_iter().map(Patch::new).collect()
}

/// Every `type` tag the patch language has, read from the docs' table of types.
fn all_type_names() -> BTreeSet<String> {
    every_patch_names_from_docs()
}

fn every_patch_names_from_docs() -> BTreeSet<String> {
    let docs = include_str!("../docs/patches.md");
    docs.lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn apply_then_inverse_is_the_identity_for_every_patch_type(g in repo_parts()) {
        let before = repo(&g);
        for p in every_patch(&g) {
            let after = patch::apply(&before, &p)
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_ne!(&after, &before, "{} changed nothing", p.summary());
            let back = patch::apply(&after, &patch::inverse(&p))
                .map_err(|e| TestCaseError::fail(format!("inverse of {}: {e}", p.summary())))?;
            if p.op.type_name() == "remove_uc_foreign_key" {
                // Documented: the key comes back at the end of the table, in flow style.
                let load = |s: &RepoSnapshot| tables::load(TABLES, s.get(TABLES).unwrap_or("")).value;
                prop_assert_eq!(load(&before), load(&back));
                continue;
            }
            for path in before.changed_paths(&back) {
                prop_assert_eq!(before.get(&path), back.get(&path), "{} not restored by {}", path, p.summary());
            }
        }
    }

    #[test]
    fn a_set_and_its_inverse_set_restore_the_repository(g in repo_parts()) {
        let before = repo(&g);
        let set = vec![
            every_patch(&g)[2].clone(),  // add synonym at an index
            every_patch(&g)[7].clone(),  // entity matching on
            every_patch(&g)[28].clone(), // uc synonym appended
            every_patch(&g)[30].clone(), // uc synonym removed at an index
        ];
        let after = patch::apply_all(&before, &set, 5).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let undo: Vec<Patch> = set.iter().map(patch::inverse).collect();
        let back = patch::apply_all(&after, &undo, 5).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, before);
    }
}

#[test]
fn the_generator_covers_every_documented_patch_type() {
    let g = repo_parts()
        .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
        .unwrap()
        .current();
    let generated: BTreeSet<String> = every_patch(&g).iter().map(|p| p.op.type_name()).collect();
    assert_eq!(generated, all_type_names());
    assert_eq!(generated.len(), 40);
}

#[test]
fn every_patch_type_round_trips_through_json() {
    let g = repo_parts()
        .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
        .unwrap()
        .current();
    for p in every_patch(&g) {
        let p = p.because("fixes Q3");
        let json = serde_json::to_string_pretty(&p).unwrap();
        let back: Patch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p, "{json}");
    }
}

fn fixed_repo() -> (Gen, RepoSnapshot) {
    let g = repo_parts()
        .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
        .unwrap()
        .current();
    let r = repo(&g);
    (g, r)
}

fn synonym(column: &str, word: &str) -> Patch {
    Patch::new(Op::AddColumnSynonym {
        column: col("main.wb.bookings", column),
        synonym: word.into(),
        index: None,
    })
}

#[test]
fn the_rendered_diff_shows_each_changed_file_once() {
    let (g, before) = fixed_repo();
    let all = every_patch(&g);
    let set = vec![all[0].clone(), all[28].clone(), all[44].clone()];
    let after = patch::apply_all(&before, &set, 5).unwrap();
    insta::assert_snapshot!(patch::render_diff(&before, &after));
    insta::assert_snapshot!(patch::render::render_summaries(&patch::sort_set(&set)));
}

#[test]
fn different_synonyms_of_one_column_do_not_conflict_but_the_same_one_does() {
    let (_, before) = fixed_repo();
    let ok = [
        synonym("created_at", "booked on"),
        synonym("created_at", "reserved"),
    ];
    assert!(patch::apply_all(&before, &ok, 5).is_ok());
    let twice = [
        synonym("created_at", "booked on"),
        synonym("created_at", "booked on"),
    ];
    let err = patch::apply_all(&before, &twice, 5).unwrap_err();
    assert!(matches!(
        err,
        PatchError::Conflict {
            first: 1,
            second: 2,
            ..
        }
    ));
}

#[test]
fn adding_and_removing_one_synonym_conflict() {
    let (g, before) = fixed_repo();
    let add = synonym("created_at", &g.synonyms[0]);
    let remove = Patch::new(Op::RemoveColumnSynonym {
        column: col("main.wb.bookings", "created_at"),
        synonym: g.synonyms[0].clone(),
        index: None,
    });
    let err = patch::apply_all(&before, &[add, remove], 5).unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn removing_a_table_conflicts_with_editing_its_columns() {
    let (g, before) = fixed_repo();
    let all = every_patch(&g);
    let remove_table = all[10].clone();
    let hide_column = all[5].clone();
    let err = patch::apply_all(&before, &[hide_column, remove_table], 5).unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn a_set_touching_too_many_objects_is_refused() {
    let (_, before) = fixed_repo();
    let set: Vec<Patch> = ["a", "b", "c"].iter().map(|c| synonym(c, "x")).collect();
    let err = patch::apply_all(&before, &set, 2).unwrap_err();
    insta::assert_snapshot!(err.to_string());
    assert!(patch::apply_all(&before, &set, 3).is_ok());
}

#[test]
fn one_failing_guard_refuses_the_whole_set() {
    let (_, before) = fixed_repo();
    let stale = Patch::new(Op::SetUcTableComment {
        file: TABLES.into(),
        table: "main.wb.bookings".into(),
        old: Some("not what the file says".into()),
        new: Some("x".into()),
    });
    let set = [synonym("created_at", "booked on"), stale];
    let err = patch::apply_all(&before, &set, 5).unwrap_err();
    assert!(matches!(err, PatchError::Refused { index: 2, .. }));
}

#[test]
fn the_set_hash_ignores_order_but_not_content() {
    let a = synonym("created_at", "booked on");
    let b = synonym("status", "state");
    let h = patch::set_hash(&[a.clone(), b.clone()]);
    assert_eq!(h, patch::set_hash(&[b.clone(), a.clone()]));
    assert_ne!(h, patch::set_hash(&[a, synonym("status", "states")]));
    assert_eq!(h.len(), 64);
}

#[test]
fn every_refusal_says_which_patch_object_and_expected_versus_found() {
    let (_, before) = fixed_repo();
    let refusals = [
        Patch::new(Op::SetColumnDescription {
            column: col("main.wb.bookings", "created_at"),
            old: vec![],
            new: vec!["x".into()],
        }),
        Patch::new(Op::SetColumnDescription {
            column: col("main.wb.nowhere", "created_at"),
            old: vec![],
            new: vec!["x".into()],
        }),
        Patch::new(Op::SetMvFilter {
            file: "uc/missing.yaml".into(),
            old: None,
            new: Some("x".into()),
        }),
        Patch {
            lever: 2,
            ..synonym("created_at", "booked on")
        },
        Patch::new(Op::AddJoinSpec {
            file: SPACE.into(),
            join: JoinSpec {
                sql: vec!["a.x = b.x".into()],
                ..join("", Relationship::ManyToOne)
            },
        }),
        Patch::new(Op::AddExampleSql {
            file: SPACE.into(),
            example: ExampleQuestionSql {
                parameters: vec![],
                ..example("", "Bookings by status")
            },
        }),
        Patch::new(Op::RemoveMvMeasure {
            file: VIEW.into(),
            name: "avg_rating".into(),
            expr: "AVG(rating)".into(),
            comment: None,
        }),
        Patch::new(Op::SetFunctionParamComment {
            file: FUNCTION.into(),
            param: "nope".into(),
            old: None,
            new: Some("x".into()),
        }),
    ];
    let mut bad = before.clone();
    bad.insert(PROPS, "tables: [\n");
    let unreadable = Patch::new(Op::SetTableProperty {
        file: PROPS.into(),
        table: "t".into(),
        key: "k".into(),
        old: None,
        new: Some("v".into()),
    });
    let mut messages: Vec<String> = refusals
        .iter()
        .map(|p| patch::apply(&before, p).unwrap_err().to_string())
        .collect();
    messages.push(patch::apply(&bad, &unreadable).unwrap_err().to_string());
    insta::assert_snapshot!(messages.join("\n\n"));
}

mod cli {
    use assert_cmd::Command;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/examples/patches");

    fn copy_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let before =
            genie_gitops::git::fs::load_dir(&std::path::Path::new(FIXTURE).join("repo")).unwrap();
        genie_gitops::git::fs::write_changes(dir.path(), &Default::default(), &before).unwrap();
        dir
    }

    fn run(args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("genie-gitops")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn a_dry_run_prints_the_diff_and_writes_nothing() {
        let repo = copy_repo();
        let root = repo.path().to_str().unwrap();
        let before = genie_gitops::git::fs::load_dir(repo.path()).unwrap();
        let set = format!("{FIXTURE}/set.json");
        let (code, stdout, _) = run(&[
            "patch",
            "apply",
            "--patches",
            &set,
            "--repo",
            root,
            "--dry-run",
        ]);
        assert_eq!(code, 0);
        insta::assert_snapshot!(stdout);
        assert_eq!(
            genie_gitops::git::fs::load_dir(repo.path()).unwrap(),
            before
        );
        let (code, again, _) = run(&["patch", "apply", "--patches", &set, "--repo", root]);
        assert_eq!((code, again), (0, stdout));
        assert_ne!(
            genie_gitops::git::fs::load_dir(repo.path()).unwrap(),
            before
        );
        let (code, _, stderr) = run(&["patch", "apply", "--patches", &set, "--repo", root]);
        assert_eq!(code, 1, "applying twice fails the guards: {stderr}");
    }

    #[test]
    fn an_invalid_patch_file_exits_3_with_its_line_and_column() {
        let repo = copy_repo();
        let file = repo.path().join("bad.json");
        std::fs::write(
            &file,
            "[\n  {\"type\": \"add_column_synonym\", \"file\": \"x\", \"lever\": 6}\n]\n",
        )
        .unwrap();
        let (code, _, stderr) = run(&[
            "patch",
            "apply",
            "--patches",
            file.to_str().unwrap(),
            "--repo",
            repo.path().to_str().unwrap(),
        ]);
        assert_eq!(code, 3);
        let stderr = stderr.replace(file.to_str().unwrap(), "bad.json");
        insta::assert_snapshot!(stderr);
    }
}

/// A tables file whose `users` table has no primary key yet.
const KEYLESS: &str = "tables:\n  - name: main.wb.bookings\n    primary_key: [booking_id]\n    columns:\n      - name: booking_id\n      - name: user_id\n  - name: main.wb.users\n    comment: One row per guest.\n    columns:\n      - name: user_id\n";

fn keyless() -> RepoSnapshot {
    let mut s = RepoSnapshot::new();
    s.insert(TABLES, KEYLESS);
    s
}

fn user_key(old: &[&str], new: &[&str]) -> Patch {
    let strings = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect();
    Patch::new(Op::SetUcPrimaryKey {
        file: TABLES.into(),
        table: "main.wb.users".into(),
        old: strings(old),
        new: strings(new),
    })
}

fn user_foreign_key() -> Patch {
    Patch::new(Op::AddUcForeignKey {
        file: TABLES.into(),
        table: "main.wb.bookings".into(),
        foreign_key: ForeignKeySpec {
            columns: vec!["user_id".into()],
            references: "main.wb.users(user_id)".into(),
            name: None,
        },
    })
}

#[test]
fn a_foreign_key_to_a_parent_without_that_primary_key_is_refused() {
    let err = patch::apply(&keyless(), &user_foreign_key()).unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn a_primary_key_and_the_foreign_key_that_needs_it_apply_as_one_set_and_undo_in_order() {
    let before = keyless();
    let set = vec![user_foreign_key(), user_key(&[], &["user_id"])];
    let after = patch::apply_all(&before, &set, 5).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(patch::render_diff(&before, &after));
    let undo: Vec<Patch> = set.iter().map(patch::inverse).collect();
    let back = patch::apply_all(&after, &undo, 5).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, before);
}

#[test]
fn a_primary_key_a_foreign_key_references_cannot_be_removed_or_moved() {
    let keyed = patch::apply_all(
        &keyless(),
        &[user_foreign_key(), user_key(&[], &["user_id"])],
        5,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for change in [
        user_key(&["user_id"], &[]),
        user_key(&["user_id"], &["comment"]),
    ] {
        let refused = patch::apply(&keyed, &change).is_err();
        assert!(refused, "{} was applied", change.summary());
    }
}

#[test]
fn a_stale_or_repeated_primary_key_is_refused_with_what_was_found() {
    let stale = patch::apply(&keyless(), &user_key(&["id"], &["user_id"])).unwrap_err();
    let twice = patch::apply(&keyless(), &user_key(&[], &["user_id", "USER_ID"])).unwrap_err();
    insta::assert_snapshot!(format!("{stale}\n{twice}"));
    assert_eq!(
        user_key(&[], &["user_id"]).summary(),
        "lever 1 · users · add primary key (user_id)"
    );
}
