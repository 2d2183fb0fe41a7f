//! The verified baseline of each space, kept as a git note on the deployed commit
//! (`refs/notes/genie-gitops`), so the repository's own history holds it and no external store
//! is needed (design §8).
//!
//! One note per commit: a JSON object `{"version": 1, "spaces": {"<space>": <results>}}` where
//! each results value is a results document (`docs/results-schema.md`) as `evaluate` writes it.
//! `deploy` records the post-deploy evaluation with [`record`]; `nightly` reads the nearest one
//! with [`latest`]. Notes travel with [`fetch`] and [`push`], which use the same lease rule as
//! branches: a note ref someone else moved is never overwritten.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use git2::{Oid, Repository, Signature};
use serde::{Deserialize, Serialize};

use super::remote::{PushResult, Remote};
use super::repo::Author;

/// The notes ref genie-gitops writes.
pub const NOTES_REF: &str = "refs/notes/genie-gitops";

/// The version of the note's JSON layout.
pub const NOTE_VERSION: u32 = 1;

/// How far back [`latest`] walks the first-parent history before giving up.
pub const MAX_WALK: usize = 1_000;

/// The content of one note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// [`NOTE_VERSION`].
    pub version: u32,
    /// Space name → its verified results document.
    pub spaces: BTreeMap<String, serde_json::Value>,
}

/// A baseline found in history.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The commit the note is on (the deployed commit).
    pub commit: Oid,
    /// The results document.
    pub results: serde_json::Value,
}

/// Reads the note on `commit`, if it has one.
pub fn read(repo_dir: &Path, commit: Oid) -> Result<Option<Note>> {
    let repo = open(repo_dir)?;
    read_in(&repo, commit)
}

/// The results of `space` on the nearest commit at or before `from` (first parent history,
/// at most [`MAX_WALK`] commits) that carries one.
pub fn latest(repo_dir: &Path, from: Oid, space: &str) -> Result<Option<Baseline>> {
    let repo = open(repo_dir)?;
    if repo.find_reference(NOTES_REF).is_err() {
        return Ok(None);
    }
    let mut walk = repo.revwalk()?;
    walk.push(from)
        .with_context(|| format!("cannot walk the history from {from}"))?;
    walk.simplify_first_parent()?;
    for commit in walk.take(MAX_WALK) {
        let commit = commit.context("cannot read the history (a shallow clone?)")?;
        if let Some(mut note) = read_in(&repo, commit)?
            && let Some(results) = note.spaces.remove(space)
        {
            return Ok(Some(Baseline { commit, results }));
        }
    }
    Ok(None)
}

/// Records `results` as the verified baseline of `space` on `commit`, keeping the other spaces'
/// entries of an existing note. Returns the new notes commit.
pub fn record(
    repo_dir: &Path,
    commit: Oid,
    space: &str,
    results: serde_json::Value,
    author: &Author,
) -> Result<Oid> {
    let repo = open(repo_dir)?;
    let mut note = read_in(&repo, commit)?.unwrap_or(Note {
        version: NOTE_VERSION,
        spaces: BTreeMap::new(),
    });
    note.version = NOTE_VERSION;
    note.spaces.insert(space.to_owned(), results);
    let text = serde_json::to_string_pretty(&note)? + "\n";
    let signature = Signature::now(&author.name, &author.email)?;
    repo.note(&signature, &signature, Some(NOTES_REF), commit, &text, true)
        .with_context(|| format!("cannot write the genie-gitops note on {commit}"))
}

/// Where the local notes ref points, if it exists.
pub fn local_tip(repo_dir: &Path) -> Result<Option<Oid>> {
    let repo = open(repo_dir)?;
    Ok(repo.find_reference(NOTES_REF).ok().and_then(|r| r.target()))
}

/// Fetches the remote's notes ref over the local one and returns where it points (`None` when
/// the remote has none). Local notes that were never pushed are replaced: notes are written
/// only right before they are pushed.
pub fn fetch(remote: &Remote, repo_dir: &Path) -> Result<Option<Oid>> {
    remote.fetch_ref(repo_dir, NOTES_REF, NOTES_REF)
}

/// Pushes the local notes ref, only if the remote's is still at `expected` (`None`: only if the
/// remote has none).
pub fn push(remote: &Remote, repo_dir: &Path, expected: Option<Oid>) -> Result<PushResult> {
    let Some(local) = local_tip(repo_dir)? else {
        bail!("there is no {NOTES_REF} to push");
    };
    remote.push_ref_with_lease(repo_dir, local, NOTES_REF, expected)
}

fn open(repo_dir: &Path) -> Result<Repository> {
    Repository::open(repo_dir)
        .with_context(|| format!("{} is not a git repository", repo_dir.display()))
}

fn read_in(repo: &Repository, commit: Oid) -> Result<Option<Note>> {
    let note = match repo.find_note(Some(NOTES_REF), commit) {
        Ok(note) => note,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read the note on {commit}")),
    };
    let text = note.message().unwrap_or_default();
    let parsed: Note = serde_json::from_str(text).with_context(|| {
        format!(
            "the {NOTES_REF} note on {commit} is not a genie-gitops baseline; \
             remove it with `git notes --ref genie-gitops remove {commit}`"
        )
    })?;
    if parsed.version != NOTE_VERSION {
        bail!(
            "the {NOTES_REF} note on {commit} has version {}, this genie-gitops reads version \
             {NOTE_VERSION}; upgrade genie-gitops",
            parsed.version
        );
    }
    Ok(Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo_with_commits(n: usize) -> (tempfile::TempDir, Vec<Oid>) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        let mut parents: Vec<Oid> = Vec::new();
        for i in 0..n {
            let mut index = repo.index().unwrap();
            let blob = repo.blob(format!("{i}\n").as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: b"f.txt".to_vec(),
            };
            index.add(&entry).unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let parent_commits: Vec<git2::Commit> = parents
                .last()
                .map(|p| vec![repo.find_commit(*p).unwrap()])
                .unwrap_or_default();
            let refs: Vec<&git2::Commit> = parent_commits.iter().collect();
            let oid = repo
                .commit(Some("HEAD"), &sig, &sig, &format!("c{i}"), &tree, &refs)
                .unwrap();
            parents.push(oid);
        }
        (dir, parents)
    }

    #[test]
    fn the_nearest_baseline_of_a_space_is_found_in_first_parent_history() {
        let (dir, commits) = repo_with_commits(4);
        let author = Author::default();
        assert_eq!(latest(dir.path(), commits[3], "sales").unwrap(), None);

        record(dir.path(), commits[1], "sales", json!({"a": 1}), &author).unwrap();
        record(dir.path(), commits[2], "ops", json!({"b": 2}), &author).unwrap();
        let found = latest(dir.path(), commits[3], "sales").unwrap().unwrap();
        assert_eq!(found.commit, commits[1]);
        assert_eq!(found.results, json!({"a": 1}));
        assert_eq!(latest(dir.path(), commits[0], "sales").unwrap(), None);
    }

    #[test]
    fn recording_a_space_keeps_the_other_spaces_of_the_note() {
        let (dir, commits) = repo_with_commits(1);
        let author = Author::default();
        record(dir.path(), commits[0], "sales", json!(1), &author).unwrap();
        record(dir.path(), commits[0], "ops", json!(2), &author).unwrap();
        record(dir.path(), commits[0], "sales", json!(3), &author).unwrap();
        let note = read(dir.path(), commits[0]).unwrap().unwrap();
        assert_eq!(note.spaces["sales"], json!(3));
        assert_eq!(note.spaces["ops"], json!(2));
    }

    #[test]
    fn a_foreign_note_is_an_error_that_says_how_to_remove_it() {
        let (dir, commits) = repo_with_commits(1);
        let repo = Repository::open(dir.path()).unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        repo.note(&sig, &sig, Some(NOTES_REF), commits[0], "hello", true)
            .unwrap();
        let err = read(dir.path(), commits[0]).unwrap_err().to_string();
        assert!(err.contains("git notes --ref genie-gitops remove"), "{err}");
    }

    #[test]
    fn notes_travel_through_a_remote_and_a_moved_remote_ref_is_not_overwritten() {
        let (dir, commits) = repo_with_commits(2);
        let bare = tempfile::tempdir().unwrap();
        Repository::init_bare(bare.path()).unwrap();
        let remote = Remote::anonymous(bare.path().to_string_lossy().into_owned());
        let author = Author::default();

        assert_eq!(fetch(&remote, dir.path()).unwrap(), None);
        record(dir.path(), commits[1], "sales", json!(1), &author).unwrap();
        assert_eq!(push(&remote, dir.path(), None).unwrap(), PushResult::Pushed);
        let pushed = local_tip(dir.path()).unwrap();

        // Someone else records a newer note and pushes it; our stale lease is refused.
        record(dir.path(), commits[0], "sales", json!(0), &author).unwrap();
        let refused = push(&remote, dir.path(), None).unwrap();
        assert!(
            matches!(refused, PushResult::Rejected { .. }),
            "{refused:?}"
        );
        assert_eq!(fetch(&remote, dir.path()).unwrap(), pushed);
        let found = latest(dir.path(), commits[1], "sales").unwrap().unwrap();
        assert_eq!(found.results, json!(1));
    }
}
