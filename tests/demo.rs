//! `genie-gitops demo` through the real binary, as a new user runs it: it finishes, prints
//! where the bot branch, its commits and the pull request are, leaves them there, and the pull
//! request body it wrote names every accepted lever.

use std::path::Path;

use assert_cmd::Command;

#[test]
fn the_demo_opens_a_pull_request_whose_body_names_every_accepted_lever() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let output = Command::cargo_bin("genie-gitops")
        .unwrap()
        .args(["demo", "--keep"])
        .arg(&dir)
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("DATABRICKS_HOST")
        .env_remove("DATABRICKS_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");

    let dir = dir.canonicalize().unwrap();
    let levers: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once(" genie-gitops: lever "))
        .filter_map(|(_, rest)| rest.split_once(' ').map(|(lever, _)| lever))
        .collect();
    assert!(!levers.is_empty(), "the demo accepted a lever:\n{stdout}");
    let body_file = dir.join("pull-request-1.md");
    assert!(
        stdout.contains(&body_file.display().to_string()),
        "{stdout}"
    );
    let body = std::fs::read_to_string(&body_file).unwrap();
    for lever in &levers {
        assert!(
            body.contains(&format!("<summary>lever {lever} —")),
            "the body names lever {lever}"
        );
    }
    assert_branch_holds_one_commit_per_lever(&dir.join("origin.git"), levers.len());

    let shown = stdout.replace(&dir.display().to_string(), "[DIR]");
    insta::with_settings!({filters => vec![
        (r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:[PORT]"),
        (r"\n  [0-9a-f]{7} ", "\n  [SHA] "),
    ]}, {
        insta::assert_snapshot!(shown);
    });
}

fn assert_branch_holds_one_commit_per_lever(remote: &Path, levers: usize) {
    let repo = git2::Repository::open_bare(remote).unwrap();
    let tip = repo
        .refname_to_id("refs/heads/genie-gitops/wanderbricks")
        .unwrap();
    let base = repo.refname_to_id("refs/heads/main").unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push(tip).unwrap();
    walk.hide(base).unwrap();
    assert_eq!(walk.count(), levers);
}
