//! Configuration files end to end: the real bundles and golden queries in `/work/shared` load
//! (or report their real problems), the broken fixtures are reported completely, malformed YAML
//! never panics, templates restore exactly, and the checked-in settings schema is current.

use std::path::{Path, PathBuf};

use genie_gitops::model::benchmarks::{self, Split, SplitPolicy};
use genie_gitops::model::diag::Diagnostic;
use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::model::template::{self, Variables};
use genie_gitops::model::{bundle, project, settings};
use genie_gitops::sql::guard;
use proptest::prelude::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

/// Loads every file under `dir` into a snapshot, keyed relative to `dir`.
fn snapshot_of(dir: &Path) -> RepoSnapshot {
    let mut snap = RepoSnapshot::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let (Ok(text), Ok(rel)) =
                (std::fs::read_to_string(&path), path.strip_prefix(dir))
            {
                snap.insert(&rel.to_string_lossy(), text);
            }
        }
    }
    snap
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn shared(path: &str) -> Option<PathBuf> {
    let full = Path::new(SHARED).join(path);
    if full.exists() {
        Some(full)
    } else {
        eprintln!("skipping: {} not found", full.display());
        None
    }
}

fn bundle_report(dir: &Path) -> String {
    let repo = snapshot_of(dir);
    match bundle::load(&repo, bundle::ROOT_FILE) {
        Ok((bundle, warnings)) => {
            let mut out = String::from("loaded\n");
            for space in bundle.spaces.values() {
                let content = match &space.content {
                    Some(bundle::SpaceContent::File(path)) => format!("file {path}"),
                    Some(bundle::SpaceContent::Inline(_)) => "inline".to_string(),
                    None => "none".to_string(),
                };
                out.push_str(&format!(
                    "space {} ({}): title {:?}, warehouse {:?}, {content}\n",
                    space.key, space.declared_in, space.title, space.warehouse_id
                ));
            }
            for (name, target) in &bundle.targets {
                out.push_str(&format!(
                    "target {name}: default {}, mode {:?}, host {:?}\n",
                    target.default, target.mode, target.workspace.host
                ));
            }
            out.push_str(&render(&warnings));
            out
        }
        Err(errors) => format!("rejected\n{}", render(&errors)),
    }
}

#[test]
fn every_reference_bundle_loads_or_reports_its_real_problem() {
    let Some(root) = shared("reference/bundles") else {
        return;
    };
    for name in [
        "cli-genie-space-complex",
        "contact-center",
        "ecommerce-invalid-schema",
        "lakematch",
    ] {
        insta::assert_snapshot!(format!("bundle_{name}"), bundle_report(&root.join(name)));
    }
}

#[test]
fn every_bundle_space_file_is_reachable_from_the_project() {
    let Some(root) = shared("reference/bundles/contact-center") else {
        return;
    };
    let repo = snapshot_of(&root);
    let (project, _) = project::discover(&repo).expect("the contact-center bundle is valid");
    let space = project
        .space("new_hire_ramp_genie")
        .expect("declared in an include");
    assert_eq!(
        space.source,
        project::SpaceSource::File(
            "genie/serialized/contact_center_new_hire.geniespace.json".into()
        )
    );
    assert_eq!(project.default_target.as_deref(), Some("dev"));
}

#[test]
fn the_upstream_golden_queries_load() {
    let Some(path) = shared("reference/upstream/golden-queries.yaml") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable");
    let (file, warnings) = benchmarks::load("golden-queries.yaml", &text)
        .unwrap_or_else(|errs| panic!("golden queries rejected:\n{}", render(&errs)));
    let policy = SplitPolicy::default();
    let mut summary = format!(
        "layout {:?}, {} questions\n",
        file.layout,
        file.questions.len()
    );
    for q in &file.questions {
        summary.push_str(&format!(
            "{} [{}] {:?} {} {} split={}\n",
            q.id,
            q.domain.as_deref().unwrap_or("-"),
            q.expected_asset,
            q.category,
            q.priority,
            q.split_with(&policy),
        ));
    }
    summary.push_str(&render(&warnings));
    insta::assert_snapshot!("golden_queries", summary);
}

#[test]
fn the_broken_bundle_is_reported_completely() {
    let report = bundle_report(&Path::new(FIXTURES).join("broken/bundle"));
    insta::assert_snapshot!("broken_bundle", report);
}

#[test]
fn the_broken_settings_are_reported_completely() {
    for name in ["unknown-keys", "out-of-range"] {
        let path = Path::new(FIXTURES).join(format!("broken/settings/{name}.genie-gitops.yml"));
        let text = std::fs::read_to_string(&path).expect("fixture exists");
        let file = format!("{name}.genie-gitops.yml");
        let errors = settings::load(&file, &text).expect_err("the fixture is broken");
        insta::assert_snapshot!(format!("broken_settings_{name}"), render(&errors));
    }
}

#[test]
fn the_broken_benchmarks_are_reported_completely() {
    let path = Path::new(FIXTURES).join("broken/benchmarks/golden-queries.yaml");
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    let errors = benchmarks::load("golden-queries.yaml", &text).expect_err("broken");
    insta::assert_snapshot!("broken_benchmarks", render(&errors));
}

#[test]
fn the_checked_in_settings_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/genie-gitops.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == settings::json_schema(),
        "schema/genie-gitops.schema.json is stale: run `cargo run -- schema > schema/genie-gitops.schema.json`"
    );
}

/// A tiny deterministic generator so the mutation loop needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

const NOISE: &[&str] = &[
    ":", "-", "[", "]", "{", "}", "\"", "'", "\t", "\n", "  ", "&a", "*a", "!!", "? ", "|", ">",
    "#", "${", "é", "\u{0}", "<<: *a", "---\n",
];

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.next(chars.len() + 1);
    let (head, tail) = chars.split_at(at);
    let head: String = head.iter().collect();
    let tail: String = tail.iter().collect();
    match rng.next(4) {
        0 => format!("{head}{}{tail}", NOISE[rng.next(NOISE.len())]),
        1 => format!(
            "{head}{}",
            tail.chars().skip(1 + rng.next(8)).collect::<String>()
        ),
        2 => head,
        _ => format!("{head}{head}{tail}"),
    }
}

#[test]
fn malformed_yaml_never_panics() {
    let mut seeds = vec![
        std::fs::read_to_string(Path::new(FIXTURES).join("broken/benchmarks/golden-queries.yaml"))
            .unwrap_or_default(),
        std::fs::read_to_string(Path::new(FIXTURES).join("broken/bundle/resources/genie.yml"))
            .unwrap_or_default(),
        std::fs::read_to_string(
            Path::new(FIXTURES).join("broken/settings/out-of-range.genie-gitops.yml"),
        )
        .unwrap_or_default(),
        "version: 1\ntargets:\n  dev:\n    variables: {catalog: main}\n".to_string(),
    ];
    if let Some(path) = shared("reference/upstream/golden-queries.yaml") {
        seeds.push(std::fs::read_to_string(path).unwrap_or_default());
    }
    let mut rng = Lcg(0x5eed);
    for round in 0..400 {
        let seed = &seeds[round % seeds.len()];
        let mut text = seed.clone();
        for _ in 0..=rng.next(3) {
            text = mutate(&text, &mut rng);
        }
        let _ = benchmarks::load("b.yaml", &text);
        let _ = settings::load("s.yml", &text);
        let _ = bundle::parse("databricks.yml", &text);
        let mut repo = RepoSnapshot::new();
        repo.insert("databricks.yml", text.clone());
        let _ = project::discover(&repo);
        let _ = guard::check(&text);
    }
}

#[test]
fn unassigned_splits_stay_put_when_the_file_grows() {
    let one =
        "- {id: a1, question: q, expected_sql: SELECT 1, expected_asset: TABLE, category: list}\n";
    let many: String = (0..30)
        .map(|i| one.replace("a1", &format!("z{i}")))
        .chain(std::iter::once(one.to_string()))
        .collect();
    let policy = SplitPolicy::default();
    let alone = benchmarks::parse("b.yaml", one).expect("valid");
    let crowded = benchmarks::parse("b.yaml", &many).expect("valid");
    let split = |file: &benchmarks::BenchmarkFile| -> Split {
        file.questions
            .iter()
            .find(|q| q.id == "a1")
            .map(|q| q.split_with(&policy))
            .expect("a1 present")
    };
    assert_eq!(split(&alone), split(&crowded));
}

proptest! {
    #[test]
    fn restoring_a_resolved_text_gives_back_the_template(
        lines in proptest::collection::vec("[a-z. ]{0,12}(\\$\\{(catalog|gold_schema|var\\.x)\\})?[a-z. ]{0,12}", 0..8),
        catalog in "[a-z]{1,6}",
        schema in "[a-z]{1,6}",
    ) {
        let original = lines.join("\n");
        let mut vars = Variables::new();
        vars.set("catalog", catalog);
        vars.set("gold_schema", schema);
        vars.set("var.x", "x_value");
        let resolved = template::resolve(&original, &vars).expect("all known");
        prop_assert_eq!(template::restore(&original, &resolved, &vars).expect("restorable"), original);
    }
}
