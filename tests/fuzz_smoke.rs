//! A short, seeded, deterministic fuzz run of every `genie_gitops::fuzzing` entry point, so the
//! normal test suite (stable Rust, no cargo-fuzz) exercises what the fuzz targets exercise.
//!
//! Each entry point gets its seed files from `fuzz/seeds.list` (the repository's own fixtures and
//! the small inputs under `fuzz/seeds/`), then mutations of them — byte flips, insertions of
//! syntax-significant tokens, deletions, duplicated and spliced ranges — and a few purely random
//! inputs. A panic names the entry point and writes nothing; the failing input is printed
//! (escaped) so it can be saved and replayed with `cargo fuzz run … <file>`.

use genie_gitops::bench::rng::SplitMix64;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use genie_gitops::fuzzing::{self, ENTRY_POINTS};

/// Mutated inputs per entry point per seed file (kept small: the suite runs in debug builds).
const MUTATIONS_PER_SEED: usize = 40;
/// Purely random inputs per entry point.
const RANDOM_INPUTS: usize = 20;

/// Tokens that change the structure of YAML, JSON or SQL when spliced in.
const TOKENS: &[&str] = &[
    "\n",
    "\n  ",
    "\n- ",
    ": ",
    "- ",
    "#",
    "'",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "\t",
    "${",
    "${catalog}",
    "$$",
    ";",
    "--",
    "/*",
    "*/",
    "(",
    ")",
    " SELECT ",
    " DELETE FROM t ",
    " WITH ",
    " COMMENT '",
    "null",
    "true",
    "1e999",
    "-0",
    "\u{feff}",
    "é",
    "\u{0}",
    "\r\n",
];

/// One random edit of `input`.
fn mutate(input: &[u8], rng: &mut SplitMix64) -> Vec<u8> {
    let mut out = input.to_vec();
    let at = rng.below(out.len() + 1);
    match rng.below(6) {
        0 if !out.is_empty() => {
            let i = rng.below(out.len());
            out[i] ^= 1 << rng.below(8);
        }
        1 => {
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            out.splice(at..at, token.iter().copied());
        }
        2 => {
            let end = (at + 1 + rng.below(16)).min(out.len());
            out.drain(at.min(end)..end);
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(out.len());
            let copy = out[at.min(end)..end].to_vec();
            let to = rng.below(out.len() + 1);
            out.splice(to..to, copy);
        }
        4 => out.truncate(at),
        _ => out.insert(at, rng.below(256) as u8),
    }
    out
}

fn random_input(rng: &mut SplitMix64) -> Vec<u8> {
    let len = rng.below(200);
    (0..len).map(|_| rng.below(256) as u8).collect()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `path` (or `path` itself), sorted.
fn files_under(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        out.extend(files_under(&entry));
    }
    out
}

/// The seed files of every entry point, from `fuzz/seeds.list`.
fn seeds() -> BTreeMap<String, Vec<Vec<u8>>> {
    let list_path = repo_root().join("fuzz/seeds.list");
    let list = std::fs::read_to_string(&list_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", list_path.display()));
    let mut seeds: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut fields = line.split_whitespace();
        let (Some(target), Some(path)) = (fields.next(), fields.next()) else {
            panic!("fuzz/seeds.list: `{line}` is not `<target> <path>`");
        };
        for file in files_under(&repo_root().join(path)) {
            let bytes = std::fs::read(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            seeds.entry(target.to_owned()).or_default().push(bytes);
        }
    }
    seeds
}

/// Runs `entry` on `input`; a panic becomes an error naming the input.
fn run_one(name: &str, entry: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| entry(input))).map_err(|cause| {
        let message = cause
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| cause.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!(
            "{name} panicked ({message}) on {:?}",
            String::from_utf8_lossy(input)
        )
    })
}

#[test]
fn every_entry_point_has_seeds_and_every_seed_names_an_entry_point() {
    let seeds = seeds();
    let names: Vec<&str> = ENTRY_POINTS.iter().map(|(name, _)| *name).collect();
    for name in &names {
        assert!(seeds.contains_key(*name), "no seeds for `{name}`");
    }
    for target in seeds.keys() {
        assert!(
            names.contains(&target.as_str()),
            "fuzz/seeds.list names `{target}`, which is no entry point"
        );
    }
}

#[test]
fn every_fuzz_target_wraps_an_entry_point() {
    let dir = repo_root().join("fuzz/fuzz_targets");
    let mut targets: Vec<String> = files_under(&dir)
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    targets.sort();
    let mut names: Vec<String> = ENTRY_POINTS.iter().map(|(n, _)| (*n).to_owned()).collect();
    names.sort();
    assert_eq!(
        targets, names,
        "one fuzz target per entry point, same names"
    );
}

#[test]
fn mutated_fixtures_and_random_bytes_never_panic_any_parser() {
    let seeds = seeds();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (index, (name, entry)) in ENTRY_POINTS.iter().enumerate() {
        let mut rng = SplitMix64(0x5eed_0000 + index as u64);
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for seed in seeds.get(*name).into_iter().flatten() {
            inputs.push(seed.clone());
            let mut current = seed.clone();
            for _ in 0..MUTATIONS_PER_SEED {
                // Stack mutations, restarting from the seed now and then.
                current = match rng.below(4) {
                    0 => mutate(seed, &mut rng),
                    _ => mutate(&current, &mut rng),
                };
                inputs.push(current.clone());
            }
        }
        inputs.extend((0..RANDOM_INPUTS).map(|_| random_input(&mut rng)));
        for input in &inputs {
            runs += 1;
            if let Err(failure) = run_one(name, *entry, input) {
                failures.push(failure);
            }
        }
    }
    assert!(runs > 1000, "only {runs} inputs ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_patch_snapshot_holds_a_file_of_every_kind_the_patches_edit() {
    let snapshot = fuzzing::patch_snapshot();
    let paths: Vec<&str> = snapshot.paths().collect();
    assert_eq!(
        paths,
        [
            "genie/sales.geniespace.json",
            "uc/booking_metrics.sql",
            "uc/get_top_hosts.sql",
            "uc/monitoring.yaml",
            "uc/review_metrics.yaml",
            "uc/tables.yaml",
        ]
    );
}

#[test]
fn the_selector_is_deterministic_and_stays_in_range() {
    let mut a = fuzzing::Selector::new(b"same input");
    let mut b = fuzzing::Selector::new(b"same input");
    for n in [1, 2, 3, 7, 100] {
        let (x, y) = (a.below(n), b.below(n));
        assert_eq!(x, y);
        assert!(x < n);
    }
    assert_eq!(a.below(0), 0);
}

#[test]
fn the_seed_patch_set_applies_to_the_patch_snapshot() {
    let path = repo_root().join("fixtures/examples/patches/set.json");
    let text = std::fs::read_to_string(&path).expect("the example patch set is readable");
    let patches: Vec<genie_gitops::patch::Patch> =
        serde_json::from_str(&text).expect("the example patch set decodes");
    let applied = genie_gitops::patch::apply_all(
        &fuzzing::patch_snapshot(),
        &patches,
        genie_gitops::patch::DEFAULT_MAX_OBJECTS,
    );
    assert!(applied.is_ok(), "{applied:?}");
}
