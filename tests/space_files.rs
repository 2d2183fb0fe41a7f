//! Space files end to end: every real export in `/work/shared/reference` loads, its known defects
//! are reported, `fmt` reaches a fixed point that loses nothing; the broken fixtures are reported
//! completely; and mutated files never make parsing or validation panic.

use std::path::{Path, PathBuf};

use genie_gitops::model::diag::Diagnostic;
use genie_gitops::model::space::{self, SpaceForm};
use serde_json::Value;

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference");
const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/broken/space");

/// The reference exports, relative to `REFERENCE`, or `None` (with a note) when absent.
fn reference_files() -> Option<Vec<String>> {
    let root = Path::new(REFERENCE);
    if !root.is_dir() {
        eprintln!("skipping: {REFERENCE} not found");
        return None;
    }
    let patterns = [
        "genie-spaces/*.json",
        "bundles/**/*.geniespace.json",
        "databricks-api-examples/genie-get-space.serialized_space.json",
        "upstream/genie_space_export.json",
    ];
    let mut files: Vec<String> = patterns
        .iter()
        .flat_map(|p| {
            glob::glob(&format!("{REFERENCE}/{p}"))
                .into_iter()
                .flatten()
        })
        .filter_map(Result::ok)
        .filter_map(|p| Some(p.strip_prefix(root).ok()?.to_string_lossy().into_owned()))
        .collect();
    files.sort();
    Some(files)
}

fn read(root: &str, name: &str) -> String {
    std::fs::read_to_string(PathBuf::from(root).join(name)).unwrap()
}

fn render(diags: &[Diagnostic]) -> String {
    diags.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn every_reference_export_loads_and_its_known_defects_are_reported() {
    let Some(files) = reference_files() else {
        return;
    };
    assert!(
        files.len() >= 12,
        "expected the reference exports, found {files:?}"
    );
    for name in &files {
        let text = read(REFERENCE, name);
        let parsed = space::parse(name, &text)
            .unwrap_or_else(|d| panic!("{name} does not load:\n{}", render(&d)));
        assert_eq!(
            parsed.file.space.version, 2,
            "{name} is upgraded to version 2"
        );
        let diags = space::validate_parsed(name, &parsed);
        let snapshot = format!("reference__{}", name.replace(['/', '.', '-'], "_"));
        insta::assert_snapshot!(snapshot, render(&diags));
    }
}

#[test]
fn known_defects_named_in_the_readmes_are_among_the_diagnostics() {
    if reference_files().is_none() {
        return;
    }
    let cli = "bundles/cli-genie-space-complex/full_featured.geniespace.json";
    let docs = "databricks-api-examples/genie-get-space.serialized_space.json";
    let expect = [
        (cli, "id `sq-001` is not 32 lowercase hex"),
        (cli, "`tables` is not sorted by identifier"),
        (cli, "version 1 space file"),
        (docs, "id `01f0d0b4e815100000000000000000g1`"),
        (docs, "no `--rt=` relationship marker"),
        (
            "genie-spaces/lakematch.json",
            "`questions` is not sorted by id",
        ),
        (
            "genie-spaces/streamline_telco.json",
            "`sample_questions` is not sorted by id",
        ),
        (
            "genie-spaces/streamline_telco.json",
            "`questions` is not sorted by id",
        ),
        (
            "genie-spaces/contact_center_new_hire.json",
            "parameter `:KpiPattern` is used but not declared",
        ),
        (
            "genie-spaces/omop_semantic_layer.json",
            "`sample_questions` is not sorted by id",
        ),
        (
            "genie-spaces/omop_semantic_layer.wrapper.json",
            "version 1 space file",
        ),
        ("upstream/genie_space_export.json", "version 1 space file"),
    ];
    for (name, needle) in expect {
        let diags = space::validate(name, &read(REFERENCE, name));
        assert!(
            diags.iter().any(|d| d.message.contains(needle)),
            "{name}: no diagnostic contains {needle:?}:\n{}",
            render(&diags)
        );
    }
}

#[test]
fn fmt_reaches_a_fixed_point_that_loses_no_key_or_value() {
    let Some(files) = reference_files() else {
        return;
    };
    for name in &files {
        let text = read(REFERENCE, name);
        let once = space::canonicalize(name, &text).unwrap();
        let twice = space::canonicalize(name, &once).unwrap();
        assert_eq!(once, twice, "{name}: fmt is not a fixed point");
        assert!(once.ends_with("}\n"), "{name}: trailing newline");
        assert_eq!(
            comparable(&upgraded(parse_json(&text))),
            comparable(&parse_json(&once)),
            "{name}: fmt lost or changed a key or value"
        );
    }
}

#[test]
fn the_wrapper_and_bare_omop_exports_are_semantically_equal() {
    if reference_files().is_none() {
        return;
    }
    let bare = read(REFERENCE, "genie-spaces/omop_semantic_layer.json");
    let wrapper = read(REFERENCE, "genie-spaces/omop_semantic_layer.wrapper.json");
    let bare = space::parse("bare", &bare).unwrap().file;
    let wrapper = space::parse("wrapper", &wrapper).unwrap().file;
    assert_eq!(bare.form(), SpaceForm::Bare);
    assert_eq!(wrapper.form(), SpaceForm::WrapperString);
    let title = wrapper.wrapper.as_ref().and_then(|w| w.title.as_deref());
    assert_eq!(title, Some("OMOP Semantic Layer"));
    assert!(space::semantically_equal(&bare.space, &wrapper.space));
    let api: space::SerializedSpace = serde_json::from_str(&bare.space.to_api_string()).unwrap();
    assert!(space::semantically_equal(&api, &bare.space));
}

/// The file as JSON; a wrapper's `serialized_space` string is decoded in place.
fn parse_json(text: &str) -> Value {
    let mut value: Value = serde_json::from_str(text).unwrap();
    if let Some(Value::String(inner)) = value.get("serialized_space") {
        let inner: Value = serde_json::from_str(inner).unwrap();
        value["serialized_space"] = inner;
    }
    value
}

/// The documented version 1 → 2 renames, applied to raw JSON.
fn upgraded(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match (k.as_str(), &v) {
                    ("version", Value::Number(n)) if n.as_u64() == Some(1) => (k, Value::from(2)),
                    ("get_example_values", _) => ("enable_format_assistance".into(), v),
                    ("build_value_dictionary", _) => ("enable_entity_matching".into(), v),
                    _ => (k, upgraded(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(upgraded).collect()),
        other => other,
    }
}

/// JSON with list order, key order, `null`s and empty lists erased: what must survive `fmt`.
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map
                .iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(comparable).collect();
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// Each broken fixture and what must be reported for it: (line, text in the message), one per
/// problem, and nothing else.
const BROKEN_EXPECTED: &[(&str, &[(usize, &str)])] = &[
    (
        "syntax_error.json",
        &[(5, "expected a quoted object key, found `}`")],
    ),
    (
        "wrong_types.json",
        &[
            (2, "expected a whole number such as 2, found a string"),
            (5, "missing required key `id`"),
            (5, "expected an array of strings, found a string"),
            (13, "expected `true` or `false`, found a string"),
            (13, "expected a string, found a number"),
            (20, "missing required key `left`"),
            (20, "expected an array of strings, found null"),
        ],
    ),
    (
        "rules.json",
        &[
            (6, "id `sq-001` is not 32 lowercase hex"),
            (14, "enables entity matching without format assistance"),
            (15, "`column_configs` is not sorted by column_name"),
            (16, "column `status` is already configured at line 14"),
            (
                19,
                "data source identifier `orders_copy` has 1 parts, not 3",
            ),
            (20, "`tables` is not sorted by identifier"),
            (26, "2 text instructions; the API allows at most one"),
            (32, "parameter `:region` is used but not declared"),
            (
                35,
                "parameter `limit` is declared but the SQL never uses `:limit`",
            ),
            (
                38,
                "id `01f0c0b4e81510000000000000000002` is already used at line 5",
            ),
            (38, "example has no SQL"),
            (38, "`example_question_sqls` is not sorted by id"),
            (45, "join spec has no `--rt=` relationship marker"),
            (
                50,
                "join refers to `main.sales.returns`, which is not a data source",
            ),
            (
                51,
                "`--rt=FROM_RELATIONSHIP_TYPE_SOME--` is not a valid relationship marker",
            ),
            (57, "measure snippet has no `alias`"),
            (57, "`measures` is not sorted by id"),
            (57, "snippet has empty `sql`"),
            (63, "benchmark question has 0 answers"),
        ],
    ),
    (
        "wrapper_problems.json",
        &[
            (3, "unknown key `titel`"),
            (5, "version 1 space file read as version 2"),
            (
                5,
                "column `id` enables entity matching without format assistance",
            ),
        ],
    ),
    (
        "version_and_duplicates.json",
        &[
            (3, "key `version` appears more than once"),
            (4, "unknown key `questoin`"),
            (
                10,
                "`get_example_values` (false) contradicts `enable_format_assistance` (true)",
            ),
        ],
    ),
];

#[test]
fn broken_fixtures_are_reported_completely_one_diagnostic_per_problem() {
    let mut names: Vec<String> = std::fs::read_dir(BROKEN)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut listed: Vec<&str> = BROKEN_EXPECTED.iter().map(|(n, _)| *n).collect();
    listed.sort();
    assert_eq!(names, listed, "every fixture has its expectations here");
    for (name, expected) in BROKEN_EXPECTED {
        let diags = space::validate(name, &read(BROKEN, name));
        let got: Vec<(usize, &str)> = diags.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert_eq!(diags.len(), expected.len(), "{name}:\n{}", render(&diags));
        for (line, needle) in *expected {
            assert!(
                got.iter().any(|(l, m)| l == line && m.contains(needle)),
                "{name}: nothing at line {line} contains {needle:?}:\n{}",
                render(&diags)
            );
        }
        let located = diags.iter().all(|d| d.col > 0 && d.hint.is_some());
        assert!(
            located,
            "{name}: every diagnostic has a position and a hint"
        );
        insta::assert_snapshot!(
            format!("broken__{}", name.replace('.', "_")),
            render(&diags)
        );
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random edit: truncate, flip a bit, delete a run, duplicate a run or insert JSON syntax.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let len = bytes.len();
    let at = rng.below(len + 1);
    match rng.below(5) {
        0 => bytes.truncate(at),
        1 if len > 0 => bytes[at.min(len - 1)] ^= 1 << rng.below(8),
        2 => {
            let end = (at + 1 + rng.below(16)).min(len);
            bytes.drain(at.min(end)..end);
        }
        3 => {
            let end = (at + rng.below(64)).min(len);
            let run = bytes[at.min(end)..end].to_vec();
            bytes.splice(at..at, run);
        }
        _ => {
            let tokens: [&[u8]; 10] = [
                b"{", b"}", b"[", b"]", b"\"", b",", b":", b"\\u", b"null", b"\\\"",
            ];
            let token = tokens[rng.below(tokens.len())];
            bytes.splice(at..at, token.iter().copied());
        }
    }
}

#[test]
fn mutated_space_files_never_panic_and_what_loads_formats_to_a_fixed_point() {
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(BROKEN)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    if let Some(files) = reference_files() {
        seeds.extend(files.iter().map(|n| (n.clone(), read(REFERENCE, n))));
    }
    seeds.sort();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut loaded = 0;
    for round in 0..2000 {
        let (name, text) = &seeds[round % seeds.len()];
        let mut bytes = text.clone().into_bytes();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut bytes);
        }
        let mutated = String::from_utf8_lossy(&bytes);
        let diags = space::validate(name, &mutated);
        match space::parse(name, &mutated) {
            Ok(parsed) => {
                loaded += 1;
                let once = parsed.file.to_canonical_string();
                let again = space::canonicalize(name, &once).unwrap_or_else(|d| {
                    panic!(
                        "round {round}: canonical output does not load:\n{}",
                        render(&d)
                    )
                });
                assert_eq!(once, again, "round {round}: not a fixed point");
            }
            Err(_) => {
                let reported = diags.iter().any(Diagnostic::is_error);
                assert!(reported, "round {round}: a failed parse reports an error");
            }
        }
    }
    assert!(
        loaded > 100,
        "some mutated files should still load, got {loaded}"
    );
}
