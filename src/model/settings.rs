//! The settings file, `.genie-gitops.yml`: everything the bundle does not say.
//!
//! It adds or overrides spaces (space file, benchmark files, per-target space ids), names the
//! durable files each lever edits, and holds thresholds, enabled levers, targets, Genie limits,
//! evaluation and optimization options, the optional LLM endpoint and GitHub options. Every field
//! is optional except `version: 1`; each doc comment states its default.
//!
//! Unknown keys are errors everywhere (a typo must not silently turn a setting off). Reading
//! reports **every** unknown key, each with its position and a "did you mean": the check walks
//! the YAML tree alongside the JSON schema derived from these types, so the schema is the single
//! source of truth. Type errors come from serde and are reported one at a time.
//!
//! Paths are relative to the directory of the settings file. `genie-gitops schema` prints the
//! JSON schema ([`json_schema`]); `schema/genie-gitops.schema.json` is its checked-in copy.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::benchmarks::SplitPolicy;
use super::diag::{self, Diagnostic};
use super::yaml_tree::{self, Node, Reader, Value};

/// The conventional settings file name, at the repository root.
pub const FILE_NAME: &str = ".genie-gitops.yml";

/// The settings format version this build reads.
pub const VERSION: u32 = 1;

/// `.genie-gitops.yml`: genie-gitops settings for one repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Settings format version. Required; must be 1.
    pub version: u32,
    /// The bundle root file, relative to this file. Default: `databricks.yml` (used when it exists).
    #[serde(default = "default_bundle")]
    pub bundle: String,
    /// Spaces to add, or to override those the bundle declares, by name (the bundle resource key). Default: none.
    #[serde(default)]
    pub spaces: BTreeMap<String, SpaceSettings>,
    /// Durable metadata files, one kind per lever. Defaults under `genie/uc/`.
    #[serde(default)]
    pub files: DurableFiles,
    /// When a run passes. Defaults: min_accuracy 0.8, max_regressions 0, p0_must_pass true, confidence_level 0.95.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Levers the optimizer may use, 1–6 (1 UC comments/synonyms/tags, 2 metric views, 3 functions, 4–5 table properties, 6 the space file). Default: all six.
    #[serde(default = "all_levers")]
    pub levers: Vec<u8>,
    /// Workspaces to run against, by target name; merged over the bundle's targets of the same name. Default: none.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSettings>,
    /// Target used when `--target` is not given. Default: the target marked `default: true` here or in the bundle, else the only target.
    #[serde(default)]
    pub default_target: Option<String>,
    /// Target whose Unity Catalog may be changed to measure levers 1–5 before merge. Default: none (a space-level overlay is used instead).
    #[serde(default)]
    pub dev_target: Option<String>,
    /// Genie API limits. Defaults: 5 questions per minute, concurrency 2, no question cap.
    #[serde(default)]
    pub genie: GenieLimits,
    /// How answers are judged. Defaults: float_tolerance 1e-6, repeat 1, split seed 42 with 60/20/20.
    #[serde(default)]
    pub evaluation: Evaluation,
    /// The improvement loop. Defaults: max_iterations 5, plateau_rounds 2, no benchmark SQL as examples, 10 patches per lever.
    #[serde(default)]
    pub optimize: Optimize,
    /// An optional model serving endpoint for LLM judges and proposals. Default: none (code judges only).
    #[serde(default)]
    pub llm: Option<Llm>,
    /// Pull request options. Defaults: branch prefix `genie-gitops/`, label `genie-gitops`.
    #[serde(default)]
    pub github: GitHub,
}

/// Settings for one space.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceSettings {
    /// The space file (`serialized_space` JSON). Default: the bundle's `file_path`; required for a space the bundle does not declare.
    #[serde(default)]
    pub space_file: Option<String>,
    /// Benchmark files (golden-queries YAML). Default: `benchmarks/<name>.yaml` or `.yml` when it exists.
    #[serde(default)]
    pub benchmarks: Vec<String>,
    /// Space title. Default: the bundle's `title`.
    #[serde(default)]
    pub title: Option<String>,
    /// Warehouse for this space. Default: the bundle's `warehouse_id`, else the target's.
    #[serde(default)]
    pub warehouse_id: Option<String>,
    /// Durable files for this space only, replacing the top-level `files` entries it sets. Default: the top-level `files`.
    #[serde(default)]
    pub files: Option<DurableFilesOverride>,
    /// Per-target data, by target name. Default: none.
    #[serde(default)]
    pub targets: BTreeMap<String, SpaceTargetSettings>,
}

/// Per-target data of one space.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceTargetSettings {
    /// The live space's id in this target (32 hex). Default: none (found from deployment state or a unique title match).
    #[serde(default)]
    pub space_id: Option<String>,
    /// Warehouse for this space in this target. Default: the space's warehouse.
    #[serde(default)]
    pub warehouse_id: Option<String>,
    /// Title in this target. Default: the space's title.
    #[serde(default)]
    pub title: Option<String>,
}

/// Durable metadata files, one kind per lever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DurableFiles {
    /// Lever 1: table and column comments, synonyms, tags, keys (YAML). Default: `genie/uc/tables.yml`.
    pub tables: String,
    /// Lever 2: metric-view YAML files, one per view. Default: `genie/uc/metric_views`.
    pub metric_views: String,
    /// Lever 3: SQL function files (`CREATE OR REPLACE FUNCTION …`). Default: `genie/uc/functions`.
    pub functions: String,
    /// Levers 4–5: monitoring and ML table properties (YAML). Default: `genie/uc/table_properties.yml`.
    pub table_properties: String,
}

/// Per-space replacements for some [`DurableFiles`] entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DurableFilesOverride {
    /// Lever 1 tables YAML. Default: the top-level value.
    #[serde(default)]
    pub tables: Option<String>,
    /// Lever 2 metric-view directory. Default: the top-level value.
    #[serde(default)]
    pub metric_views: Option<String>,
    /// Lever 3 function directory. Default: the top-level value.
    #[serde(default)]
    pub functions: Option<String>,
    /// Levers 4–5 table-properties YAML. Default: the top-level value.
    #[serde(default)]
    pub table_properties: Option<String>,
}

/// When a run passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Minimum accuracy, 0–1. Default: 0.8.
    pub min_accuracy: f64,
    /// Questions allowed to go from pass to fail against the baseline. Default: 0.
    pub max_regressions: u32,
    /// Every P0 question must pass. Default: true.
    pub p0_must_pass: bool,
    /// Confidence level of intervals and paired tests, between 0 and 1. Default: 0.95.
    pub confidence_level: f64,
}

/// One workspace target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    /// Workspace URL. Default: the bundle target's `workspace.host`.
    #[serde(default)]
    pub host: Option<String>,
    /// `~/.databrickscfg` profile. Default: the bundle target's `workspace.profile`.
    #[serde(default)]
    pub profile: Option<String>,
    /// SQL warehouse for ground truth and spaces. Default: the space's warehouse.
    #[serde(default)]
    pub warehouse_id: Option<String>,
    /// Template variables (`${name}` and `${var.name}`), overriding the bundle's. Default: none.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Use this target when `--target` is not given. Default: false.
    #[serde(default)]
    pub default: bool,
    /// How `deploy` ships a merged change: `api` (PATCH the space, run UC DDL) or `bundle` (`databricks bundle deploy`). Default: `api`.
    #[serde(default)]
    pub deploy_mode: DeployMode,
}

/// How `deploy` ships a merged change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployMode {
    /// Update the space through the REST API and run UC DDL.
    #[default]
    Api,
    /// Run `databricks bundle deploy -t TARGET`.
    Bundle,
}

/// Genie API limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GenieLimits {
    /// Questions per minute across the whole process (the API allows 5 per workspace). Default: 5.
    pub questions_per_minute: u32,
    /// Conversations in flight at once. Default: 2.
    pub concurrency: u32,
    /// Stop a run after asking this many questions. Default: none (no cap).
    pub max_questions_per_run: Option<u32>,
}

/// How answers are judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Evaluation {
    /// Relative tolerance when comparing floating-point values. Default: 1e-6.
    pub float_tolerance: f64,
    /// Times each question is asked (repeatability). Default: 1.
    pub repeat: u32,
    /// "Today" for relative dates, as YYYY-MM-DD. Default: none (the run's date).
    pub as_of: Option<String>,
    /// `conversation` (one fresh conversation per question) or `native` (the eval-runs API). Default: `conversation`.
    pub engine: EvalEngine,
    /// Seed of the stable split assignment for questions without a `split`. Default: 42.
    pub split_seed: u64,
    /// Shares of train / val / held_out for unassigned questions; must sum to 1. Default: 0.6 / 0.2 / 0.2.
    pub split_ratios: SplitRatios,
}

/// How questions are asked during evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvalEngine {
    /// A fresh conversation per question.
    #[default]
    Conversation,
    /// Databricks' eval-runs API.
    Native,
}

/// Split shares for questions without a `split`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SplitRatios {
    /// Train share. Default: 0.6.
    pub train: f64,
    /// Val share. Default: 0.2.
    pub val: f64,
    /// Held-out share. Default: 0.2.
    pub held_out: f64,
}

/// The improvement loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Optimize {
    /// Evaluation rounds at most. Default: 5.
    pub max_iterations: u32,
    /// Stop after this many rounds without gain. Default: 2.
    pub plateau_rounds: u32,
    /// Allow a train-split benchmark's expected SQL to become an example SQL in the space. Default: false.
    pub allow_benchmark_examples: bool,
    /// Blast-radius limit: patches per lever per round. Default: 10.
    pub max_patches_per_lever: u32,
}

/// An LLM serving endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Llm {
    /// Model serving endpoint name (OpenAI-compatible chat completions). Required when `llm` is set.
    pub endpoint: String,
    /// Character budget for instruction text the LLM drafts. Default: 2000.
    #[serde(default = "default_instruction_budget")]
    pub max_instruction_chars: u32,
}

/// Pull request options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GitHub {
    /// Bot branches are `<branch_prefix><space>`. Default: `genie-gitops/`.
    pub branch_prefix: String,
    /// Labels put on bot pull requests. Default: `[genie-gitops]`.
    pub labels: Vec<String>,
}

fn default_bundle() -> String {
    "databricks.yml".into()
}

fn all_levers() -> Vec<u8> {
    (1..=6).collect()
}

fn default_instruction_budget() -> u32 {
    2000
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: VERSION,
            bundle: default_bundle(),
            spaces: BTreeMap::new(),
            files: DurableFiles::default(),
            thresholds: Thresholds::default(),
            levers: all_levers(),
            targets: BTreeMap::new(),
            default_target: None,
            dev_target: None,
            genie: GenieLimits::default(),
            evaluation: Evaluation::default(),
            optimize: Optimize::default(),
            llm: None,
            github: GitHub::default(),
        }
    }
}

impl Default for DurableFiles {
    fn default() -> Self {
        Self {
            tables: "genie/uc/tables.yml".into(),
            metric_views: "genie/uc/metric_views".into(),
            functions: "genie/uc/functions".into(),
            table_properties: "genie/uc/table_properties.yml".into(),
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_accuracy: 0.8,
            max_regressions: 0,
            p0_must_pass: true,
            confidence_level: 0.95,
        }
    }
}

impl Default for GenieLimits {
    fn default() -> Self {
        Self {
            questions_per_minute: 5,
            concurrency: 2,
            max_questions_per_run: None,
        }
    }
}

impl Default for Evaluation {
    fn default() -> Self {
        Self {
            float_tolerance: 1e-6,
            repeat: 1,
            as_of: None,
            engine: EvalEngine::default(),
            split_seed: 42,
            split_ratios: SplitRatios::default(),
        }
    }
}

impl Default for SplitRatios {
    fn default() -> Self {
        Self {
            train: 0.6,
            val: 0.2,
            held_out: 0.2,
        }
    }
}

impl Default for Optimize {
    fn default() -> Self {
        Self {
            max_iterations: 5,
            plateau_rounds: 2,
            allow_benchmark_examples: false,
            max_patches_per_lever: 10,
        }
    }
}

impl Default for GitHub {
    fn default() -> Self {
        Self {
            branch_prefix: "genie-gitops/".into(),
            labels: vec!["genie-gitops".into()],
        }
    }
}

impl DurableFiles {
    /// These files with `over`'s entries replacing the ones it sets.
    pub fn with_override(&self, over: &DurableFilesOverride) -> DurableFiles {
        DurableFiles {
            tables: over.tables.clone().unwrap_or_else(|| self.tables.clone()),
            metric_views: over
                .metric_views
                .clone()
                .unwrap_or_else(|| self.metric_views.clone()),
            functions: over
                .functions
                .clone()
                .unwrap_or_else(|| self.functions.clone()),
            table_properties: over
                .table_properties
                .clone()
                .unwrap_or_else(|| self.table_properties.clone()),
        }
    }
}

impl Evaluation {
    /// The split policy for questions without a `split`.
    pub fn split_policy(&self) -> SplitPolicy {
        SplitPolicy {
            seed: self.split_seed,
            train: self.split_ratios.train,
            val: self.split_ratios.val,
        }
    }
}

/// The JSON schema of the settings file, as `genie-gitops schema` prints it (pretty, newline-ended).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Settings);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a settings file: every unknown key (with a suggestion), then the first type error.
pub fn parse(file: &str, text: &str) -> Result<Settings, Vec<Diagnostic>> {
    let tree = yaml_tree::parse(file, text).map_err(|d| vec![d])?;
    let mut reader = Reader::new(file);
    if !matches!(tree.value, Value::Map(_)) {
        reader.error(
            &tree,
            format!("the settings file must be a mapping, found {}", tree.kind()),
            "start with `version: 1`",
        );
        return Err(reader.diags);
    }
    let schema = serde_json::to_value(schemars::schema_for!(Settings)).unwrap_or_default();
    check_keys(&mut reader, &tree, &schema, &schema, "");
    match serde_saphyr::from_str::<Settings>(text) {
        Ok(settings) if !reader.has_errors() => return Ok(settings),
        Ok(_) => {}
        Err(err) => {
            let d = yaml_tree::saphyr_error(
                file,
                &err,
                "invalid setting",
                "see `genie-gitops schema` for every field, its type and its default",
            );
            if !(d.message.contains("unknown field") && reader.has_errors()) {
                reader.diags.push(d);
            }
        }
    }
    diag::sort(&mut reader.diags);
    Err(reader.diags)
}

/// Semantic checks (ranges, versions, lever numbers, dates); positions come from `text`.
pub fn validate(file: &str, text: &str, settings: &Settings) -> Vec<Diagnostic> {
    let tree = yaml_tree::parse(file, text).ok();
    let at = |path: &[&str]| -> (usize, usize) {
        let node = tree.as_ref().and_then(|t| t.at_path(path));
        node.map_or((1, 1), |n| (n.line, n.col))
    };
    let mut diags = Vec::new();
    let mut check = |ok: bool, path: &[&str], message: String, hint: &str| {
        if !ok {
            let (line, col) = at(path);
            diags.push(Diagnostic::error(file, message).at(line, col).hint(hint));
        }
    };
    check(
        settings.version == VERSION,
        &["version"],
        format!("unsupported settings version {}", settings.version),
        "this genie-gitops reads `version: 1`",
    );
    let t = &settings.thresholds;
    check(
        (0.0..=1.0).contains(&t.min_accuracy),
        &["thresholds", "min_accuracy"],
        format!(
            "`thresholds.min_accuracy` is {}, outside 0–1",
            t.min_accuracy
        ),
        "write accuracy as a fraction, e.g. 0.85",
    );
    check(
        t.confidence_level > 0.0 && t.confidence_level < 1.0,
        &["thresholds", "confidence_level"],
        format!(
            "`thresholds.confidence_level` is {}, not between 0 and 1",
            t.confidence_level
        ),
        "use e.g. 0.95",
    );
    for (i, lever) in settings.levers.iter().enumerate() {
        let first = settings.levers.iter().position(|l| l == lever) == Some(i);
        check(
            (1..=6).contains(lever) && first,
            &["levers"],
            format!(
                "`levers` has {} lever {lever}",
                if first { "unknown" } else { "duplicate" }
            ),
            "levers are numbered 1 to 6, each listed once",
        );
    }
    let g = &settings.genie;
    check(
        g.questions_per_minute >= 1,
        &["genie", "questions_per_minute"],
        "`genie.questions_per_minute` must be at least 1".into(),
        "the Genie API allows 5 per minute per workspace",
    );
    check(
        g.concurrency >= 1,
        &["genie", "concurrency"],
        "`genie.concurrency` must be at least 1".into(),
        "use 1 to ask one question at a time",
    );
    let e = &settings.evaluation;
    check(
        e.float_tolerance >= 0.0 && e.float_tolerance < 1.0,
        &["evaluation", "float_tolerance"],
        format!(
            "`evaluation.float_tolerance` is {}, outside 0–1",
            e.float_tolerance
        ),
        "a relative tolerance such as 1e-6",
    );
    check(
        e.repeat >= 1,
        &["evaluation", "repeat"],
        "`evaluation.repeat` must be at least 1".into(),
        "1 asks each question once",
    );
    if let Some(date) = &e.as_of {
        check(
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
            &["evaluation", "as_of"],
            format!("`evaluation.as_of` `{date}` is not a date"),
            "write it as YYYY-MM-DD",
        );
    }
    let r = &e.split_ratios;
    let ratios_ok = [r.train, r.val, r.held_out]
        .iter()
        .all(|x| (0.0..=1.0).contains(x))
        && ((r.train + r.val + r.held_out) - 1.0).abs() < 1e-9;
    check(
        ratios_ok,
        &["evaluation", "split_ratios"],
        format!(
            "`evaluation.split_ratios` {} / {} / {} do not sum to 1",
            r.train, r.val, r.held_out
        ),
        "use shares between 0 and 1 that add up to 1, e.g. 0.6 / 0.2 / 0.2",
    );
    check(
        !settings.github.branch_prefix.is_empty()
            && !settings
                .github
                .branch_prefix
                .contains(|c: char| c.is_whitespace() || "~^:?*[\\".contains(c)),
        &["github", "branch_prefix"],
        format!(
            "`github.branch_prefix` `{}` cannot start a git branch name",
            settings.github.branch_prefix
        ),
        "use letters, digits, `-`, `_` and `/`, e.g. `genie-gitops/`",
    );
    if let Some(llm) = &settings.llm {
        check(
            !llm.endpoint.trim().is_empty(),
            &["llm", "endpoint"],
            "`llm.endpoint` is empty".into(),
            "name a model serving endpoint, or remove `llm`",
        );
    }
    for (name, space) in &settings.spaces {
        for (target, data) in &space.targets {
            if let Some(id) = &data.space_id {
                check(
                    is_space_id(id),
                    &["spaces", name, "targets", target, "space_id"],
                    format!(
                        "space id `{id}` of `{name}` in target `{target}` is not 32 hex digits"
                    ),
                    "copy the id from the space's URL (…/genie/rooms/<id>)",
                );
            }
        }
    }
    diag::sort(&mut diags);
    diags
}

/// Parses then validates; warnings (none today) come back with the settings.
pub fn load(file: &str, text: &str) -> Result<Settings, Vec<Diagnostic>> {
    let settings = parse(file, text)?;
    let diags = validate(file, text, &settings);
    match diags.is_empty() {
        true => Ok(settings),
        false => Err(diags),
    }
}

fn is_space_id(id: &str) -> bool {
    id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())
}

/// Walks `node` alongside its JSON schema, reporting every key the schema does not allow.
fn check_keys(
    reader: &mut Reader,
    node: &Node,
    schema: &serde_json::Value,
    root: &serde_json::Value,
    path: &str,
) {
    let schema = resolve_ref(schema, root);
    if let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        let branch = branches.as_array().into_iter().flatten().find(|b| {
            let b = resolve_ref(b, root);
            b.get("type").and_then(|t| t.as_str()) != Some("null")
        });
        if let Some(branch) = branch {
            check_keys(reader, node, branch, root, path);
        }
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            let properties = schema.get("properties").and_then(|p| p.as_object());
            let additional = schema.get("additionalProperties");
            for (key, value) in entries {
                let child = format!(
                    "{path}{}{}",
                    if path.is_empty() { "" } else { "." },
                    key.name
                );
                match (properties.and_then(|p| p.get(&key.name)), additional) {
                    (Some(sub), _) => check_keys(reader, value, sub, root, &child),
                    (None, Some(serde_json::Value::Bool(false))) => {
                        let known: Vec<&str> = properties
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        let hint = match yaml_tree::suggest(&key.name, &known) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("allowed here: {}", known.join(", ")),
                        };
                        reader.error_key(key, format!("unknown setting `{child}`"), hint);
                    }
                    (None, Some(sub)) if sub.is_object() => {
                        check_keys(reader, value, sub, root, &child)
                    }
                    _ => {}
                }
            }
        }
        Value::Seq(items) => {
            if let Some(sub) = schema.get("items") {
                for item in items {
                    check_keys(reader, item, sub, root, &format!("{path}[]"));
                }
            }
        }
        _ => {}
    }
}

fn resolve_ref<'s>(
    schema: &'s serde_json::Value,
    root: &'s serde_json::Value,
) -> &'s serde_json::Value {
    let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) else {
        return schema;
    };
    let name = reference.rsplit('/').next().unwrap_or_default();
    root.get("$defs")
        .and_then(|defs| defs.get(name))
        .unwrap_or(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_file_gets_every_default() {
        let s = load(".genie-gitops.yml", "version: 1\n").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.genie.questions_per_minute, 5);
        assert_eq!(s.github.branch_prefix, "genie-gitops/");
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let text = "version: 1\nthreshold:\n  min_accuracy: 0.9\ngenie:\n  questions_per_min: 3\nspaces:\n  s:\n    targets:\n      prod:\n        spaceid: x\n";
        let errs = parse(".genie-gitops.yml", text).unwrap_err();
        let lines: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
        assert_eq!(errs.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with(".genie-gitops.yml:2:1: error: unknown setting `threshold`"));
        assert!(lines[0].contains("did you mean `thresholds`?"));
        assert!(lines[1].contains("`genie.questions_per_min`"));
        assert!(
            lines[2].contains("`spaces.s.targets.prod.spaceid`"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn out_of_range_values_are_reported_where_they_are_written() {
        let text = "version: 2\nthresholds:\n  min_accuracy: 85\nlevers: [1, 7]\n";
        let errs = load(".genie-gitops.yml", text).unwrap_err();
        let at: Vec<(usize, usize)> = errs.iter().map(|d| (d.line, d.col)).collect();
        assert_eq!(at, vec![(1, 10), (3, 17), (4, 9)], "{errs:#?}");
    }
}
