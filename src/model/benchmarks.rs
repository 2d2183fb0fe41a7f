//! Benchmark questions: the seed system's `golden-queries.yaml`, read strictly.
//!
//! # Layouts
//! A file is one of (the seed system's readers accept the same three):
//! - domain-keyed: `cost: [question, …]`, `reliability: […]` (each question's domain is its key);
//! - `benchmarks: [question, …]` (no domain);
//! - a bare list of questions (no domain).
//!
//! # Fields
//! Every field of the seed format is typed (upstream.md §1): `id`, `question`, `expected_sql`,
//! `expected_asset` (`MV` | `TVF` | `TABLE`), `category`, `source`, `priority` (`P0` | `P1` | `P2`,
//! default `P1`), `split` (`train` | `val` | `held_out`), `required_tables/_columns/_joins/
//! _business_logic`, `expected_facts`, `guidelines`, `expected_result_hash/_sample`,
//! `expected_row_count`, `expected_columns`, `space_id`. `id`, `question`, `expected_sql`,
//! `expected_asset` and `category` are required. `expected_sql` keeps its `${…}` templates.
//!
//! Unknown fields are **kept** (in [`Benchmark::extra`], as JSON) and reported as warnings, not
//! errors: the seed system adds fields of its own over time, and a benchmark file is the user's
//! data, which a reader should never silently drop. Known misspellings get a "did you mean".
//!
//! # Splits
//! A question with no `split` gets a stable assignment: SHA-256 of `"{seed}:{id}"`, its first 8
//! bytes read as a fraction of 2^64, bucketed by the cumulative ratios (train, then val, then
//! held_out). It depends only on the seed, the ratios and the question's own id, so adding,
//! removing or reordering other questions never moves it. See [`SplitPolicy`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::diag::Diagnostic;
use super::template::{self, TemplateError, Variables};
use super::yaml_tree::{self, Key, Node, Reader, Value};
use crate::sql::guard;

/// A parsed benchmark file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkFile {
    /// How the questions were laid out in the file.
    pub layout: Layout,
    /// Questions in file order.
    pub questions: Vec<Benchmark>,
}

/// The top-level shape of a benchmark file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `domain: [questions]`, one or more domains.
    Domains,
    /// `benchmarks: [questions]`.
    BenchmarksKey,
    /// A bare list.
    Flat,
}

/// One benchmark question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    /// Unique id, e.g. `cost_001`.
    pub id: String,
    /// The domain key it was listed under (domain-keyed layout only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The natural-language question.
    pub question: String,
    /// Ground-truth SQL, templates kept.
    pub expected_sql: String,
    /// The asset kind the answer should use.
    pub expected_asset: ExpectedAsset,
    /// The question's category (`aggregation`, `ranking`, …).
    pub category: String,
    /// `user`, `synthetic`, `augmented` or a correction marker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// P0 questions are a hard gate. Default P1.
    pub priority: Priority,
    /// The split written in the file; see [`Benchmark::split_with`] for the effective one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    /// Tables the SQL needs.
    pub required_tables: Vec<String>,
    /// Columns the SQL needs.
    pub required_columns: Vec<String>,
    /// Join relationships the SQL needs.
    pub required_joins: Vec<String>,
    /// Business rules the SQL implements.
    pub required_business_logic: Vec<String>,
    /// Facts a complete answer states.
    pub expected_facts: Vec<String>,
    /// Per-question evaluation guidance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidelines: Option<String>,
    /// MD5 of the ground-truth result, as the seed system stores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_result_hash: Option<String>,
    /// The first rows of the ground-truth result, as stored (JSON text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_result_sample: Option<String>,
    /// Row count of the ground-truth result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_row_count: Option<u64>,
    /// Column names of the ground-truth result.
    pub expected_columns: Vec<String>,
    /// The space the question belongs to (used by the seed system's dataset sync only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space_id: Option<String>,
    /// Fields this reader does not know, kept as JSON.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Where things are in the file.
    #[serde(skip)]
    pub pos: Positions,
}

/// 1-based positions of a benchmark's parts, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Positions {
    /// The list item.
    pub item: (usize, usize),
    /// The `id` value.
    pub id: (usize, usize),
    /// The `expected_sql` value.
    pub expected_sql: (usize, usize),
}

/// The asset kind a question should be answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ExpectedAsset {
    /// A metric view (`MEASURE(…)`).
    #[serde(rename = "MV")]
    MetricView,
    /// A table-valued SQL function.
    #[serde(rename = "TVF")]
    Function,
    /// A table or view.
    #[serde(rename = "TABLE")]
    Table,
}

/// How much a question matters. P0 must never regress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub enum Priority {
    /// A hard gate.
    P0,
    /// The default.
    #[default]
    P1,
    /// Nice to have.
    P2,
}

/// Which part of the benchmark set a question belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Used to find and measure fixes.
    Train,
    /// Used to choose between candidates.
    Val,
    /// Never used for proposals or examples; measures generalization.
    HeldOut,
}

/// How questions without a `split` are assigned one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitPolicy {
    /// Mixed into the hash; change it to reshuffle every unassigned question.
    pub seed: u64,
    /// Share of train questions, 0–1.
    pub train: f64,
    /// Share of val questions, 0–1; held_out gets the rest.
    pub val: f64,
}

impl Default for SplitPolicy {
    /// Seed 42 and 60/20/20, as the seed system's `assign_splits`.
    fn default() -> Self {
        Self {
            seed: 42,
            train: 0.6,
            val: 0.2,
        }
    }
}

/// Well-known categories: the seed system's and the Genie lever classes (filter, join,
/// metric-view, function). Categories are the user's to choose; a name that is a near-miss of a
/// known one is reported as a likely typo.
pub const KNOWN_CATEGORIES: &[&str] = &[
    "aggregation",
    "comparison",
    "detail",
    "filter",
    "function",
    "join",
    "list",
    "metric-view",
    "prediction",
    "ranking",
    "threshold",
    "time-series",
];

const KNOWN_FIELDS: &[&str] = &[
    "id",
    "question",
    "expected_sql",
    "expected_asset",
    "category",
    "source",
    "priority",
    "split",
    "required_tables",
    "required_columns",
    "required_joins",
    "required_business_logic",
    "expected_facts",
    "guidelines",
    "expected_result_hash",
    "expected_result_sample",
    "expected_row_count",
    "expected_columns",
    "space_id",
];

/// Field names other tools use for a known field.
const ALIASES: &[(&str, &str)] = &[
    ("ground_truth_sql", "expected_sql"),
    ("sql", "expected_sql"),
    ("user_question", "question"),
    ("asset", "expected_asset"),
];

impl Benchmark {
    /// The split to use: the declared one, else the stable seeded assignment.
    pub fn split_with(&self, policy: &SplitPolicy) -> Split {
        self.split.unwrap_or_else(|| assign_split(&self.id, policy))
    }

    /// `expected_sql` with templates resolved for one target.
    pub fn resolved_sql(&self, vars: &Variables) -> Result<String, TemplateError> {
        template::resolve(&self.expected_sql, vars)
    }
}

/// The stable seeded split for a question id (module docs describe the rule).
pub fn assign_split(id: &str, policy: &SplitPolicy) -> Split {
    let digest = Sha256::digest(format!("{}:{id}", policy.seed).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let fraction = u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0;
    if fraction < policy.train {
        Split::Train
    } else if fraction < policy.train + policy.val {
        Split::Val
    } else {
        Split::HeldOut
    }
}

/// Reads a benchmark file. Every structural problem is reported, one diagnostic each; unknown
/// fields are kept and reported by [`validate`].
pub fn parse(file: &str, text: &str) -> Result<BenchmarkFile, Vec<Diagnostic>> {
    let (parsed, diags) = read(file, text);
    match diags.iter().any(Diagnostic::is_error) {
        true => Err(diags),
        false => Ok(parsed),
    }
}

/// Reads what it can: the questions that are structurally sound, and a diagnostic for every
/// problem in the others.
fn read(file: &str, text: &str) -> (BenchmarkFile, Vec<Diagnostic>) {
    let root = match yaml_tree::parse(file, text) {
        Ok(root) => root,
        Err(d) => {
            let empty = BenchmarkFile {
                layout: Layout::Flat,
                questions: Vec::new(),
            };
            return (empty, vec![d]);
        }
    };
    let mut reader = Reader::new(file);
    let (layout, groups) = layout(&mut reader, &root);
    let mut questions = Vec::new();
    for (domain, list) in groups {
        for item in list {
            if let Some(q) = read_question(&mut reader, item, domain.as_deref()) {
                questions.push(q);
            }
        }
    }
    if questions.is_empty() && !reader.has_errors() {
        reader.error(
            &root,
            "the file holds no benchmark questions",
            "add questions as `domain: [- id: …]`, under `benchmarks:`, or as a list",
        );
    }
    (BenchmarkFile { layout, questions }, reader.diags)
}

/// Semantic checks on a parsed file: unique ids, read-only single-query SQL, known categories,
/// unknown fields (warnings). Sorted by position.
pub fn validate(file: &str, benchmarks: &BenchmarkFile) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut first_seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for q in &benchmarks.questions {
        let (line, col) = q.pos.id;
        if let Some((first_line, _)) = first_seen.get(q.id.as_str()) {
            diags.push(
                Diagnostic::error(file, format!("duplicate benchmark id `{}`", q.id))
                    .at(line, col)
                    .hint(format!(
                        "ids must be unique; `{}` is first used on line {first_line}",
                        q.id
                    )),
            );
        } else {
            first_seen.insert(&q.id, (line, col));
        }
        diags.extend(check_sql(file, q));
        diags.extend(check_category(file, q));
        diags.extend(unknown_field_warnings(file, q));
    }
    super::diag::sort(&mut diags);
    diags
}

/// Parses and validates, reporting every problem in the file at once (structural problems of
/// some questions do not hide validation problems of the others). Warnings come back with the
/// file when there are no errors.
pub fn load(file: &str, text: &str) -> Result<(BenchmarkFile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (parsed, mut diags) = read(file, text);
    diags.extend(validate(file, &parsed));
    super::diag::sort(&mut diags);
    match diags.iter().any(Diagnostic::is_error) {
        true => Err(diags),
        false => Ok((parsed, diags)),
    }
}

fn check_sql(file: &str, q: &Benchmark) -> Option<Diagnostic> {
    let err = guard::check(&q.expected_sql).err()?;
    let (line, col) = q.pos.expected_sql;
    Some(
        Diagnostic::error(
            file,
            format!(
                "expected_sql of `{}` is not a single read-only query: {err}",
                q.id
            ),
        )
        .at(line, col)
        .hint("ground truth must be exactly one SELECT/WITH/VALUES query; fix or remove it"),
    )
}

fn check_category(file: &str, q: &Benchmark) -> Option<Diagnostic> {
    if KNOWN_CATEGORIES.contains(&q.category.as_str()) {
        return None;
    }
    let (line, col) = q.pos.item;
    let suggestion = yaml_tree::suggest(&q.category, KNOWN_CATEGORIES)?;
    Some(
        Diagnostic::warning(
            file,
            format!("`{}` has an unknown category `{}`", q.id, q.category),
        )
        .at(line, col)
        .hint(format!(
            "did you mean `{suggestion}`? (custom categories are fine)"
        )),
    )
}

fn unknown_field_warnings(file: &str, q: &Benchmark) -> Vec<Diagnostic> {
    q.extra
        .keys()
        .map(|name| {
            let (line, col) = q.pos.item;
            let hint = match known_name_for(name) {
                Some(known) => format!("did you mean `{known}`? (the field is kept as is)"),
                None => "the field is kept as is but genie-gitops does not use it".to_string(),
            };
            Diagnostic::warning(file, format!("`{}` has an unknown field `{name}`", q.id))
                .at(line, col)
                .hint(hint)
        })
        .collect()
}

fn known_name_for(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, known)| *known)
        .or_else(|| yaml_tree::suggest(name, KNOWN_FIELDS))
}

type Group<'n> = (Option<String>, &'n [Node]);

fn layout<'n>(reader: &mut Reader, root: &'n Node) -> (Layout, Vec<Group<'n>>) {
    match &root.value {
        Value::Seq(items) => (Layout::Flat, vec![(None, items.as_slice())]),
        Value::Map(entries) if entries.len() == 1 && entries[0].0.name == "benchmarks" => {
            let list = question_list(reader, &entries[0].0, &entries[0].1);
            (Layout::BenchmarksKey, vec![(None, list)])
        }
        Value::Map(entries) => {
            let groups = entries
                .iter()
                .map(|(key, value)| (Some(key.name.clone()), question_list(reader, key, value)))
                .collect();
            (Layout::Domains, groups)
        }
        Value::Null => (Layout::Flat, Vec::new()),
        _ => {
            reader.error(
                root,
                format!(
                    "a benchmark file must be a mapping or a list, found {}",
                    root.kind()
                ),
                "write `domain:` followed by a list of questions",
            );
            (Layout::Flat, Vec::new())
        }
    }
}

fn question_list<'n>(reader: &mut Reader, key: &Key, value: &'n Node) -> &'n [Node] {
    match &value.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => {
            reader.error_key(
                key,
                format!(
                    "`{}` must be a list of questions, found {}",
                    key.name,
                    value.kind()
                ),
                "each top-level key is a domain holding `- id: …` items",
            );
            &[]
        }
    }
}

fn read_question(reader: &mut Reader, item: &Node, domain: Option<&str>) -> Option<Benchmark> {
    let Value::Map(entries) = &item.value else {
        reader.error(
            item,
            format!(
                "a benchmark question must be a mapping, found {}",
                item.kind()
            ),
            "write each question as `- id: …` with `question:` and `expected_sql:` below it",
        );
        return None;
    };
    let errors_before = reader.diags.len();
    let mut fields = Fields::default();
    for (key, value) in entries {
        read_field(reader, &mut fields, key, value);
    }
    let label = fields.id.clone().unwrap_or_else(|| "this question".into());
    let has = |field: &str| entries.iter().any(|(k, _)| k.name == field);
    let mut require = |present: bool, field: &str| {
        if !present {
            reader.error(
                item,
                format!("{label} is missing `{field}`"),
                format!("add `{field}:` to the question"),
            );
        }
    };
    require(has("id"), "id");
    require(has("question"), "question");
    require(has("expected_sql"), "expected_sql");
    require(has("expected_asset"), "expected_asset");
    require(has("category"), "category");
    if reader.diags[errors_before..]
        .iter()
        .any(Diagnostic::is_error)
    {
        return None;
    }
    Some(Benchmark {
        id: fields.id?,
        domain: domain.map(str::to_string),
        question: fields.question?,
        expected_sql: fields.expected_sql?,
        expected_asset: fields.expected_asset?,
        category: fields.category?,
        source: fields.source,
        priority: fields.priority.unwrap_or_default(),
        split: fields.split,
        required_tables: fields.required_tables,
        required_columns: fields.required_columns,
        required_joins: fields.required_joins,
        required_business_logic: fields.required_business_logic,
        expected_facts: fields.expected_facts,
        guidelines: fields.guidelines,
        expected_result_hash: fields.expected_result_hash,
        expected_result_sample: fields.expected_result_sample,
        expected_row_count: fields.expected_row_count,
        expected_columns: fields.expected_columns,
        space_id: fields.space_id,
        extra: fields.extra,
        pos: Positions {
            item: (item.line, item.col),
            id: fields.id_pos,
            expected_sql: fields.sql_pos,
        },
    })
}

/// Fields as read, before required ones are checked.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    id_pos: (usize, usize),
    question: Option<String>,
    expected_sql: Option<String>,
    sql_pos: (usize, usize),
    expected_asset: Option<ExpectedAsset>,
    category: Option<String>,
    source: Option<String>,
    priority: Option<Priority>,
    split: Option<Split>,
    required_tables: Vec<String>,
    required_columns: Vec<String>,
    required_joins: Vec<String>,
    required_business_logic: Vec<String>,
    expected_facts: Vec<String>,
    guidelines: Option<String>,
    expected_result_hash: Option<String>,
    expected_result_sample: Option<String>,
    expected_row_count: Option<u64>,
    expected_columns: Vec<String>,
    space_id: Option<String>,
    extra: BTreeMap<String, serde_json::Value>,
}

fn read_field(reader: &mut Reader, f: &mut Fields, key: &Key, value: &Node) {
    let name = key.name.as_str();
    match name {
        "id" => {
            f.id = non_empty(reader, value, name);
            f.id_pos = (value.line, value.col);
        }
        "question" => f.question = non_empty(reader, value, name),
        "expected_sql" => {
            f.expected_sql = non_empty(reader, value, name);
            f.sql_pos = (value.line, value.col);
        }
        "expected_asset" => f.expected_asset = asset(reader, value),
        "category" => f.category = non_empty(reader, value, name),
        "source" => f.source = optional_text(reader, value, name),
        "priority" => f.priority = priority(reader, value),
        "split" => f.split = split(reader, value),
        "required_tables" => f.required_tables = reader.text_list(value, name),
        "required_columns" => f.required_columns = reader.text_list(value, name),
        "required_joins" => f.required_joins = reader.text_list(value, name),
        "required_business_logic" => f.required_business_logic = reader.text_list(value, name),
        "expected_facts" => f.expected_facts = reader.text_list(value, name),
        "expected_columns" => f.expected_columns = reader.text_list(value, name),
        "guidelines" => f.guidelines = optional_text(reader, value, name),
        "expected_result_hash" => f.expected_result_hash = optional_text(reader, value, name),
        "expected_result_sample" => f.expected_result_sample = optional_text(reader, value, name),
        "expected_row_count" => f.expected_row_count = row_count(reader, value),
        "space_id" => f.space_id = optional_text(reader, value, name),
        _ => {
            f.extra.insert(key.name.clone(), value.to_json());
        }
    }
}

fn non_empty(reader: &mut Reader, node: &Node, field: &str) -> Option<String> {
    let text = reader.text(node, field)?;
    if text.trim().is_empty() {
        reader.error(
            node,
            format!("`{field}` is empty"),
            format!("give `{field}` a value"),
        );
        return None;
    }
    Some(text)
}

fn optional_text(reader: &mut Reader, node: &Node, field: &str) -> Option<String> {
    match node.is_null() {
        true => None,
        false => reader.text(node, field),
    }
}

fn asset(reader: &mut Reader, node: &Node) -> Option<ExpectedAsset> {
    let text = reader.text(node, "expected_asset")?;
    let asset = match text.as_str() {
        "MV" => ExpectedAsset::MetricView,
        "TVF" => ExpectedAsset::Function,
        "TABLE" => ExpectedAsset::Table,
        _ => {
            reader.error(
                node,
                format!("`expected_asset` must be MV, TVF or TABLE, found `{text}`"),
                "MV = metric view, TVF = table-valued function, TABLE = table or view",
            );
            return None;
        }
    };
    Some(asset)
}

fn priority(reader: &mut Reader, node: &Node) -> Option<Priority> {
    let text = reader.text(node, "priority")?;
    match text.as_str() {
        "P0" => Some(Priority::P0),
        "P1" => Some(Priority::P1),
        "P2" => Some(Priority::P2),
        _ => {
            reader.error(
                node,
                format!("`priority` must be P0, P1 or P2, found `{text}`"),
                "P0 = must never regress, P1 = default, P2 = nice to have",
            );
            None
        }
    }
}

fn split(reader: &mut Reader, node: &Node) -> Option<Split> {
    let text = reader.text(node, "split")?;
    match text.as_str() {
        "train" => Some(Split::Train),
        "val" => Some(Split::Val),
        "held_out" => Some(Split::HeldOut),
        _ => {
            reader.error(
                node,
                format!("`split` must be train, val or held_out, found `{text}`"),
                "or leave `split` out to get a stable seeded assignment",
            );
            None
        }
    }
}

fn row_count(reader: &mut Reader, node: &Node) -> Option<u64> {
    match node.value {
        Value::Null => None,
        Value::Int(n) if n >= 0 => u64::try_from(n).ok(),
        _ => {
            reader.error(
                node,
                format!(
                    "`expected_row_count` must be a whole number ≥ 0, found `{}`",
                    node.scalar_text()
                        .unwrap_or_else(|| node.kind().to_string())
                ),
                "remove it; ground-truth validation fills it in",
            );
            None
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::HeldOut => "held_out",
        })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "cost:\n  - id: c1\n    question: q?\n    expected_sql: SELECT 1\n    expected_asset: TABLE\n    category: list\n";

    #[test]
    fn the_three_layouts_are_read() {
        let domains = parse("b.yaml", ONE).unwrap();
        assert_eq!(domains.layout, Layout::Domains);
        assert_eq!(domains.questions[0].domain.as_deref(), Some("cost"));
        assert_eq!(domains.questions[0].priority, Priority::P1);

        let body = ONE.replace("cost:\n", "");
        let flat = parse("b.yaml", &body).unwrap();
        assert_eq!(flat.layout, Layout::Flat);
        assert_eq!(flat.questions[0].domain, None);

        let keyed = parse("b.yaml", &format!("benchmarks:\n{body}")).unwrap();
        assert_eq!(keyed.layout, Layout::BenchmarksKey);
        assert_eq!(keyed.questions.len(), 1);
    }

    #[test]
    fn a_split_assignment_does_not_depend_on_other_questions() {
        let policy = SplitPolicy::default();
        let ids: Vec<String> = (0..200).map(|i| format!("q_{i:03}")).collect();
        let before: Vec<Split> = ids.iter().map(|id| assign_split(id, &policy)).collect();
        let mut reordered = ids.clone();
        reordered.reverse();
        reordered.push("new_question".into());
        for (id, split) in ids.iter().zip(&before) {
            assert_eq!(assign_split(id, &policy), *split, "{id} moved");
        }
        let train = before.iter().filter(|s| **s == Split::Train).count();
        assert!((100..140).contains(&train), "train share off: {train}/200");
    }

    #[test]
    fn a_declared_split_wins_over_the_assignment() {
        let text = ONE.replace("category: list", "category: list\n    split: held_out");
        let q = &parse("b.yaml", &text).unwrap().questions[0];
        assert_eq!(q.split_with(&SplitPolicy::default()), Split::HeldOut);
    }

    #[test]
    fn unknown_fields_are_kept_and_warned_about() {
        let text = ONE.replace("category: list", "category: list\n    ground_truth_sql: x");
        let (file, warnings) = load("b.yaml", &text).unwrap();
        assert_eq!(file.questions[0].extra["ground_truth_sql"], "x");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .to_string()
                .contains("did you mean `expected_sql`")
        );
    }
}
