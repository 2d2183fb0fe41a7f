//! `genie-gitops spaces export|diff|list` end to end: the real binary against the in-process
//! simulator serving the Wanderbricks fixture's space. Export then diff is equal (exit 0), a
//! changed repository file is listed as a difference (exit 2), `--target` takes the host from
//! the bundle target, and an unknown space is a configuration error (exit 3).

mod support;
use support::repo::copy_dir;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use genie_gitops::sim::data::default_as_of;
use genie_gitops::sim::server::{Settings, SimHandle, spawn};
use genie_gitops::sim::workspace::SimWorkspace;
use secrecy::ExposeSecret;
use support::cli::show;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
const SPACE_FILE: &str = "genie/wanderbricks.geniespace.json";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    dir
}

async fn simulator() -> SimHandle {
    let workspace =
        SimWorkspace::load(Path::new(FIXTURE), Some("dev"), 42, default_as_of()).unwrap();
    spawn(workspace.into_sim_config(Settings::default(), 0))
        .await
        .unwrap()
}

/// Runs the binary with the simulator's token; `host` becomes DATABRICKS_HOST when given.
async fn genie_gitops(sim: &SimHandle, host: Option<&str>, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("genie-gitops").unwrap();
    cmd.args(args)
        .env("DATABRICKS_TOKEN", sim.token().expose_secret())
        .env("HOME", home.path())
        .env_remove("DATABRICKS_HOST")
        .env_remove("DATABRICKS_CONFIG_PROFILE")
        .env_remove("DATABRICKS_WAREHOUSE_ID");
    if let Some(host) = host {
        cmd.env("DATABRICKS_HOST", host);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(home);
    output
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_space_keeps_its_templates_and_diffs_equal_to_the_live_space() {
    let sim = simulator().await;
    let repo = repo();
    let root = path_arg(repo.path());
    let out = repo.path().join(SPACE_FILE);
    let before = std::fs::read_to_string(&out).unwrap();
    let export = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &[
            "spaces",
            "export",
            "--repo",
            &root,
            "--space",
            "wanderbricks",
            "--out",
            &path_arg(&out),
        ],
    )
    .await;
    assert_eq!(export.status.code(), Some(0), "{}", show(&export));
    assert!(
        String::from_utf8_lossy(&export.stdout).contains("the only space titled"),
        "{}",
        show(&export)
    );
    let after = std::fs::read_to_string(&out).unwrap();
    assert!(after.contains("${catalog}.${schema}.bookings"), "{after}");
    let canonical = genie_gitops::model::space::canonicalize(SPACE_FILE, &before).unwrap();
    assert_eq!(
        after, canonical,
        "the export is the canonical form of the repository file"
    );
    let diff = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &["spaces", "diff", "--repo", &root],
    )
    .await;
    assert_eq!(diff.status.code(), Some(0), "{}", show(&diff));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_repository_file_is_listed_as_a_difference_and_exits_2() {
    let sim = simulator().await;
    let repo = repo();
    let file = repo.path().join(SPACE_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen(
        "${catalog}.${schema}.hosts",
        "${catalog}.${schema}.hosts_v2",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&file, changed).unwrap();
    let root = path_arg(repo.path());
    let diff = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &["spaces", "diff", "--repo", &root, "--space", "wanderbricks"],
    )
    .await;
    assert_eq!(diff.status.code(), Some(2), "{}", show(&diff));
    let stdout = String::from_utf8_lossy(&diff.stdout);
    let space_id = sim.spaces().values().next().cloned().unwrap_or_default();
    insta::assert_snapshot!(stdout.replace(&space_id, "<space-id>"));
    let json = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &["spaces", "diff", "--repo", &root, "--output", "json"],
    )
    .await;
    assert_eq!(json.status.code(), Some(2), "{}", show(&json));
    let drifts: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(!drifts[0]["differences"].as_array().unwrap().is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_target_supplies_the_host_when_no_flag_or_environment_names_one() {
    let sim = simulator().await;
    let repo = repo();
    let bundle = repo.path().join("databricks.yml");
    let text = std::fs::read_to_string(&bundle).unwrap();
    let with_host = text.replace(
        "  dev:\n    default: true",
        &format!(
            "  dev:\n    default: true\n  sim:\n    workspace:\n      host: {}",
            sim.base_url()
        ),
    );
    assert_ne!(with_host, text);
    std::fs::write(&bundle, with_host).unwrap();
    let root = path_arg(repo.path());
    let without = genie_gitops(&sim, None, &["spaces", "list", "--repo", &root]).await;
    assert_ne!(without.status.code(), Some(0), "{}", show(&without));
    let list = genie_gitops(
        &sim,
        None,
        &[
            "spaces", "list", "--repo", &root, "--target", "sim", "--output", "json",
        ],
    )
    .await;
    assert_eq!(list.status.code(), Some(0), "{}", show(&list));
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("Wanderbricks bookings"),
        "{}",
        show(&list)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_space_or_target_is_a_configuration_error() {
    let sim = simulator().await;
    let repo = repo();
    let root = path_arg(repo.path());
    let out = path_arg(&repo.path().join("x.json"));
    let space = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &[
            "spaces", "export", "--repo", &root, "--space", "nope", "--out", &out,
        ],
    )
    .await;
    assert_eq!(space.status.code(), Some(3), "{}", show(&space));
    let target = genie_gitops(
        &sim,
        Some(sim.base_url()),
        &["spaces", "diff", "--repo", &root, "--target", "prod"],
    )
    .await;
    assert_eq!(target.status.code(), Some(3), "{}", show(&target));
    let errors: Vec<String> = [&space.stderr, &target.stderr]
        .iter()
        .flat_map(|e| {
            String::from_utf8_lossy(e)
                .lines()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.starts_with("error") || l.starts_with("  hint"))
        .collect();
    insta::assert_snapshot!(errors.join("\n"));
    sim.shutdown().await;
}
