//! Repository helpers the flow tests share: a `git` runner with a fixed identity, a recursive
//! copy of a fixture directory, and the Wanderbricks fixture as a repository set up for
//! optimize runs.

use std::path::Path;
use std::process::Command;

/// Runs `git -C dir args…` as Ann (no signing, `main` as the default branch); its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Ann", "-c", "user.email=ann@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Copies the directory `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The Wanderbricks fixture in a fresh git repository (one commit), set up for optimize runs:
/// the simulator's workspace as the dev target, fast question limits (8 at once) and train
/// gold SQL allowed as examples.
pub fn optimize_fixture_repo() -> tempfile::TempDir {
    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wanderbricks");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let settings = "version: 1\nspaces:\n  wanderbricks:\n    benchmarks:\n      - benchmarks/golden-queries.yaml\n\
         dev_target: dev\n\
         thresholds:\n  min_accuracy: 0.9\n  max_regressions: 0\n  p0_must_pass: true\n\
         evaluation:\n  as_of: \"2025-06-30\"\n\
         genie:\n  questions_per_minute: 100000\n  concurrency: 8\n\
         optimize:\n  allow_benchmark_examples: true\n";
    std::fs::write(dir.path().join(".genie-gitops.yml"), settings).unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    let mut index = git.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
    let me = git2::Signature::now("Dev", "dev@example.com").unwrap();
    git.commit(Some("HEAD"), &me, &me, "the space as it is", &tree, &[])
        .unwrap();
    dir
}
