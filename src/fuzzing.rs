//! Fuzzing entry points: one function per parser that feeds arbitrary bytes through parsing,
//! validation and (where cheap) a write-then-read-back round trip.
//!
//! Each function must return normally for every input: a panic is a bug, whether it comes from
//! the parser itself or from one of the `assert!`s here, which state properties the modules
//! document (canonical output reads back to itself, an accepted edit reads back as the value
//! written, a benchmark that loads passes the SQL guard, a patch and its inverse restore the
//! snapshot). The cargo-fuzz targets in `fuzz/fuzz_targets/` call these, and so does the seeded
//! smoke run in `tests/fuzz_smoke.rs`, so the same code is exercised on stable with no extra
//! tools. Inputs that are not UTF-8 are read lossily so every input reaches the parser.
//!
//! Choices a harness has to make (which table to edit, which comment to write) come from a
//! [`Selector`] derived from the input bytes, so every run of an input is reproducible.

use std::borrow::Cow;

use crate::databricks::profile::ConfigFile;
use crate::databricks::types::{
    self, Conversation, EvalResponse, GenieMessage, GenieSpace, ListConversationsResponse,
    ListEvalResultsResponse, ListEvalRunsResponse, ListMessagesResponse, ListSpacesResponse,
    QueryHistoryResponse, QueryResultResponse, StartConversationResponse, StatementResponse,
};
use crate::github::event::{self, Event};
use crate::model::benchmarks::{self, SplitPolicy};
use crate::model::bundle;
use crate::model::function;
use crate::model::metric_view::{self, FieldKind};
use crate::model::properties;
use crate::model::settings;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space;
use crate::model::tables;
use crate::model::template::Variables;
use crate::model::yaml_edit::{self, Kind, Node, Op, Value, YamlPath};
use crate::patch::{self, Patch};
use crate::sql::analyze::{self, AssetCatalog};
use crate::sql::guard;

/// Values the edit harnesses write: each stresses YAML or SQL quoting in a different way.
const AWKWARD_VALUES: &[&str] = &[
    "Booked date.",
    "it's: a \"quoted\" # value",
    "two\nlines",
    "${catalog} {x} - [a]",
    "  leading and trailing  ",
    "'",
    "\\",
    "ü ✓ 日本",
    "- dash",
    "null",
    "true",
    "123",
    "a: b",
    "&anchor *alias !tag",
    "%percent @at `tick`",
];

/// Property keys the properties harness writes.
const PROPERTY_KEYS: &[&str] = &["genie.purpose", "delta.enableChangeDataFeed", "a b", "k: v"];

/// Deterministic choices drawn from the input bytes.
pub struct Selector(u64);

impl Selector {
    /// A selector seeded by an FNV-1a hash of `data`.
    pub fn new(data: &[u8]) -> Self {
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        Self(hash)
    }

    /// The next choice in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        match n {
            0 => 0,
            _ => ((self.0 >> 33) % n as u64) as usize,
        }
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

// ---------------------------------------------------------------------------------------------
// The space file

/// The space file: parse, validate, and check that canonical output reads back to itself.
pub fn space_file(data: &[u8]) {
    let text = text(data);
    let Ok(parsed) = space::parse("fuzz.geniespace.json", &text) else {
        return;
    };
    let _ = space::validate_parsed("fuzz.geniespace.json", &parsed);
    let canonical = parsed.file.to_canonical_string();
    let reread = match space::parse("canonical.geniespace.json", &canonical) {
        Ok(reread) => reread,
        Err(diags) => panic!("canonical output does not read back: {diags:?}\n{canonical}"),
    };
    assert_eq!(
        reread.file.to_canonical_string(),
        canonical,
        "canonicalizing is not idempotent"
    );
    assert!(
        space::semantically_equal(&parsed.file.space, &reread.file.space),
        "canonical output means something else: {:?}",
        space::semantic_differences(&parsed.file.space, &reread.file.space)
    );
}

// ---------------------------------------------------------------------------------------------
// Project files

/// `.genie-gitops.yml`: parse and validate.
pub fn settings_file(data: &[u8]) {
    let _ = settings::load(".genie-gitops.yml", &text(data));
}

/// One bundle file (`databricks.yml` or an included resource file).
pub fn bundle_file(data: &[u8]) {
    let _ = bundle::parse("databricks.yml", &text(data));
}

/// A benchmark file: load, then check that every question that loaded passes the SQL guard
/// (nothing the guard refuses can reach a warehouse) and resolves its templates.
pub fn benchmarks_file(data: &[u8]) {
    let text = text(data);
    let Ok((file, _warnings)) = benchmarks::load("golden-queries.yaml", &text) else {
        return;
    };
    let mut vars = Variables::new();
    vars.set("catalog", "main");
    vars.set("gold_schema", "wanderbricks");
    for question in &file.questions {
        assert!(
            guard::check(&question.expected_sql).is_ok(),
            "benchmark `{}` loaded with SQL the guard refuses",
            question.id
        );
        let _ = question.resolved_sql(&vars);
        let _ = question.split_with(&SplitPolicy::default());
    }
}

/// `~/.databrickscfg`: parse and look up the default profile.
pub fn databricks_config(data: &[u8]) {
    if let Ok(config) = ConfigFile::parse(".databrickscfg", &text(data)) {
        let name = config.default_profile_name();
        let _ = config.profile(&name);
        let _ = config.profile_names();
    }
}

/// A GitHub Actions event payload, read as every event the action handles.
pub fn github_event(data: &[u8]) {
    let text = text(data);
    for name in [
        "pull_request",
        "pull_request_target",
        "push",
        "schedule",
        "workflow_dispatch",
        "issue_comment",
    ] {
        match event::parse(name, "event.json", &text) {
            Ok(read) => match read.event {
                Event::Push(push) => {
                    let _ = push.branch();
                }
                Event::IssueComment(comment) => {
                    let _ = comment.author_is_trusted();
                }
                _ => {}
            },
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Durable metadata files and their edits

/// A lever-1 tables file: load, then set a column's (or the table's) comment and read it back.
pub fn tables_file(data: &[u8]) {
    let text = text(data);
    let loaded = tables::load("tables.yaml", &text);
    if loaded.has_errors() || loaded.value.tables.is_empty() {
        return;
    }
    let mut select = Selector::new(data);
    let table = &loaded.value.tables[select.below(loaded.value.tables.len())];
    let comment = select.pick(AWKWARD_VALUES);
    let column = match table.columns.len() {
        0 => None,
        n => Some(table.columns[select.below(n)].name.as_str()),
    };
    let edited = match column {
        Some(column) => tables::set_column_comment(&text, &table.name, column, Some(comment)),
        None => tables::set_table_comment(&text, &table.name, Some(comment)),
    };
    let Ok(edited) = edited else {
        return;
    };
    let reread = tables::load("tables.yaml", &edited);
    if reread.has_errors() {
        return;
    }
    let Some(new_table) = reread.value.tables.iter().find(|t| t.name == table.name) else {
        panic!("table `{}` vanished after an edit:\n{edited}", table.name);
    };
    let written = match column {
        Some(column) => new_table
            .columns
            .iter()
            .find(|c| c.name == column)
            .and_then(|c| c.comment.as_deref()),
        None => new_table.comment.as_deref(),
    };
    assert_eq!(
        written,
        Some(comment),
        "the comment reads back differently:\n{edited}"
    );
}

/// A metric view in either form: load, then set a field's comment and read it back.
pub fn metric_view_file(data: &[u8]) {
    let text = text(data);
    let identifier = Some("main.gold.view");
    let loaded = metric_view::load("view.yaml", &text, identifier);
    if loaded.has_errors() {
        return;
    }
    let view = &loaded.value.view;
    let mut select = Selector::new(data);
    let fields: Vec<(FieldKind, &str)> = view
        .dimensions
        .iter()
        .map(|f| (FieldKind::Dimension, f.name.as_str()))
        .chain(
            view.measures
                .iter()
                .map(|f| (FieldKind::Measure, f.name.as_str())),
        )
        .collect();
    if fields.is_empty() {
        return;
    }
    let (kind, name) = fields[select.below(fields.len())];
    let comment = select.pick(AWKWARD_VALUES);
    let Ok(edited) = metric_view::set_comment(&text, kind, name, Some(comment)) else {
        return;
    };
    let reread = metric_view::load("view.yaml", &edited, identifier);
    if reread.has_errors() {
        return;
    }
    let fields = match kind {
        FieldKind::Dimension => &reread.value.view.dimensions,
        FieldKind::Measure => &reread.value.view.measures,
    };
    let written = fields
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.comment.as_deref());
    assert_eq!(
        written,
        Some(comment),
        "the comment reads back differently:\n{edited}"
    );
}

/// A SQL function file: parse, then set its comment and a parameter's and read them back.
pub fn function_file(data: &[u8]) {
    let text = text(data);
    let Ok(parsed) = function::parse("function.sql", &text) else {
        return;
    };
    let mut select = Selector::new(data);
    let comment = select.pick(AWKWARD_VALUES);
    if let Ok(edited) = function::set_comment(&text, Some(comment)) {
        let reread = match function::parse("function.sql", &edited) {
            Ok(reread) => reread,
            Err(d) => panic!("an accepted comment edit does not parse: {d:?}\n{edited}"),
        };
        let written = reread.comment.as_ref().map(|c| c.value.as_str());
        assert_eq!(
            written,
            Some(comment),
            "the comment reads back differently:\n{edited}"
        );
    }
    let _ = function::set_comment(&text, None);
    if let Some(param) = parsed.params.first() {
        let _ = function::set_param_comment(&text, &param.name, Some(comment));
        let _ = function::set_param_comment(&text, &param.name, None);
    }
}

/// A lever-4/5 properties file: load, then set a property and read it back.
pub fn properties_file(data: &[u8]) {
    let text = text(data);
    let loaded = properties::load("properties.yaml", &text);
    if loaded.has_errors() || loaded.value.tables.is_empty() {
        return;
    }
    let mut select = Selector::new(data);
    let table = &loaded.value.tables[select.below(loaded.value.tables.len())];
    let key = select.pick(PROPERTY_KEYS);
    let value = select.pick(AWKWARD_VALUES);
    if let Some(existing) = table.properties.keys().next() {
        let _ = properties::unset_property(&text, &table.name, existing);
    }
    let Ok(edited) = properties::set_property(&text, &table.name, key, value) else {
        return;
    };
    let reread = properties::load("properties.yaml", &edited);
    if reread.has_errors() {
        return;
    }
    let written = reread
        .value
        .tables
        .iter()
        .find(|t| t.name == table.name)
        .and_then(|t| t.properties.get(key))
        .map(String::as_str);
    assert_eq!(
        written,
        Some(value),
        "the property reads back differently:\n{edited}"
    );
}

/// The format-preserving YAML editor: parse, then apply one edit at a node of the document.
/// [`yaml_edit::edit`] verifies its own result; an accepted `SetScalar` must read back.
pub fn yaml_editor(data: &[u8]) {
    let text = text(data);
    let _ = YamlPath::parse(&text);
    let Ok(root) = yaml_edit::parse(&text) else {
        return;
    };
    let mut paths = Vec::new();
    collect_paths(&root, YamlPath::root(), &mut paths);
    let mut select = Selector::new(data);
    let (path, node) = &paths[select.below(paths.len())];
    let value = select.pick(AWKWARD_VALUES);
    let op = edit_for(node, value, &mut select);
    let Ok(edited) = yaml_edit::edit(&text, path, &op) else {
        return;
    };
    let reread = match yaml_edit::parse(&edited) {
        Ok(reread) => reread,
        Err(e) => panic!("an accepted edit does not parse ({e}):\n{edited}"),
    };
    if let Op::SetScalar(value) = &op {
        let written = yaml_edit::locate(&reread, path).ok().and_then(Node::as_str);
        assert_eq!(
            written,
            Some(value.as_str()),
            "the scalar reads back differently:\n{edited}"
        );
    }
}

/// Most paths collected from one document (keeps huge inputs cheap).
const MAX_PATHS: usize = 256;

/// Every node of the tree with the path that reaches it, root first.
fn collect_paths<'n>(node: &'n Node, path: YamlPath, out: &mut Vec<(YamlPath, &'n Node)>) {
    if out.len() >= MAX_PATHS {
        return;
    }
    out.push((path.clone(), node));
    match &node.kind {
        Kind::Scalar { .. } => {}
        Kind::Seq { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                collect_paths(item, path.clone().index(i), out);
            }
        }
        Kind::Map { entries, .. } => {
            for entry in entries {
                if let Some(key) = entry.key.as_str() {
                    collect_paths(&entry.value, path.clone().key(key), out);
                }
            }
        }
    }
}

/// An edit that makes sense for `node`'s kind.
fn edit_for(node: &Node, value: &str, select: &mut Selector) -> Op {
    match &node.kind {
        Kind::Scalar { .. } => Op::SetScalar(value.to_owned()),
        Kind::Seq { items, .. } => match (select.below(3), items.first()) {
            (0, Some(first)) => Op::Remove(first.to_value()),
            (1, _) => Op::ReplaceSeq(vec![Value::str(value), Value::str("second")]),
            _ => Op::Append(Value::str(value)),
        },
        Kind::Map { entries, .. } => {
            let first_key = entries.first().and_then(|e| e.key.as_str());
            match (select.below(2), first_key) {
                (0, Some(key)) => Op::RemoveKey(key.to_owned()),
                _ => Op::InsertKey {
                    key: "fuzz_key".to_owned(),
                    value: Value::map([("inner", Value::str(value))]),
                    after: first_key.map(str::to_owned),
                },
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQL

/// The SQL guard and the analyzer. What the guard passes must pass it again once sanitized
/// (the sanitized text is what runs).
pub fn sql_text(data: &[u8]) {
    let text = text(data);
    let _ = guard::sanitize(&text);
    if let Ok(query) = guard::check(&text)
        && let Err(e) = guard::check(&query.sql)
    {
        panic!(
            "the guard passed SQL it refuses once sanitized ({e}):\n{}",
            query.sql
        );
    }
    let catalog = AssetCatalog {
        metric_views: ["main.gold.booking_metrics".to_owned()].into(),
    };
    let _ = analyze::analyze(&text, &catalog);
}

// ---------------------------------------------------------------------------------------------
// API responses

/// Every response body the Databricks client decodes, with the helpers it then calls.
pub fn api_response(data: &[u8]) {
    decode::<GenieSpace>(data);
    decode::<ListSpacesResponse>(data);
    decode::<Conversation>(data);
    decode::<ListConversationsResponse>(data);
    decode::<StartConversationResponse>(data);
    decode::<GenieMessage>(data);
    decode::<ListMessagesResponse>(data);
    decode::<ListEvalRunsResponse>(data);
    decode::<ListEvalResultsResponse>(data);
    decode::<EvalResponse>(data);
    decode::<QueryHistoryResponse>(data);
    if let Ok(QueryResultResponse {
        statement_response: Some(statement),
    }) = serde_json::from_slice(data)
    {
        statement_rows(&statement);
    }
    if let Ok(statement) = serde_json::from_slice::<StatementResponse>(data) {
        statement_rows(&statement);
    }
}

/// What the statement client does with a decoded response: rows and columns as a result set.
fn statement_rows(statement: &StatementResponse) {
    let rows = statement
        .result
        .as_ref()
        .and_then(|r| r.data_array.clone())
        .unwrap_or_default();
    let set = types::result_set(statement.manifest.as_ref(), rows);
    let _ = (set.row_count(), set.column_count());
}

fn decode<T: serde::de::DeserializeOwned + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let _ = format!("{value:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Patches

/// The snapshot patches are applied to: the patch examples' repository plus one file of each
/// durable kind (from `fixtures/examples/`).
pub fn patch_snapshot() -> RepoSnapshot {
    let mut snapshot = RepoSnapshot::new();
    let files: [(&str, &str); 6] = [
        (
            "genie/sales.geniespace.json",
            include_str!("../fixtures/examples/patches/repo/genie/sales.geniespace.json"),
        ),
        (
            "uc/tables.yaml",
            include_str!("../fixtures/examples/patches/repo/uc/tables.yaml"),
        ),
        (
            "uc/booking_metrics.sql",
            include_str!("../fixtures/examples/durable/booking_metrics.sql"),
        ),
        (
            "uc/review_metrics.yaml",
            include_str!("../fixtures/examples/durable/review_metrics.yaml"),
        ),
        (
            "uc/get_top_hosts.sql",
            include_str!("../fixtures/examples/durable/get_top_hosts.sql"),
        ),
        (
            "uc/monitoring.yaml",
            include_str!("../fixtures/examples/durable/monitoring.yaml"),
        ),
    ];
    for (path, text) in files {
        snapshot.insert(path, text);
    }
    snapshot
}

/// Patch JSON (one patch or a set): decode, apply to [`patch_snapshot`], and check that each
/// accepted patch's inverse restores the snapshot exactly.
pub fn patch_json(data: &[u8]) {
    let patches = match serde_json::from_slice::<Vec<Patch>>(data) {
        Ok(patches) => patches,
        Err(_) => match serde_json::from_slice::<Patch>(data) {
            Ok(one) => vec![one],
            Err(_) => return,
        },
    };
    let snapshot = patch_snapshot();
    for p in &patches {
        let _ = p.summary();
        let Ok(after) = patch::apply(&snapshot, p) else {
            continue;
        };
        let _ = patch::render_diff(&snapshot, &after);
        let inverse = patch::inverse(p);
        match patch::apply(&after, &inverse) {
            Ok(back) => assert!(
                back == snapshot,
                "the inverse of `{}` does not restore the snapshot: {:?}",
                p.summary(),
                back.changed_paths(&snapshot)
            ),
            Err(e) => panic!("the inverse of `{}` is refused: {e}", p.summary()),
        }
    }
    let _ = patch::set_hash(&patches);
    let _ = patch::apply_all(&snapshot, &patches, patch::DEFAULT_MAX_OBJECTS);
}

/// A fuzzing entry point: takes any bytes, returns normally unless it found a bug.
pub type EntryPoint = fn(&[u8]);

/// Every entry point by name, for the smoke test and the fuzz targets' documentation.
pub const ENTRY_POINTS: &[(&str, EntryPoint)] = &[
    ("space_file", space_file),
    ("settings_file", settings_file),
    ("bundle_file", bundle_file),
    ("benchmarks_file", benchmarks_file),
    ("databricks_config", databricks_config),
    ("github_event", github_event),
    ("tables_file", tables_file),
    ("metric_view_file", metric_view_file),
    ("function_file", function_file),
    ("properties_file", properties_file),
    ("yaml_editor", yaml_editor),
    ("sql_text", sql_text),
    ("api_response", api_response),
    ("patch_json", patch_json),
];
