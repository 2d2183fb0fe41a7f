//! Domain verbs over a local git repository (git2, no network): read a snapshot at a revision,
//! and commit file changes onto a branch without touching the working tree or the index, so a
//! user's checkout is never disturbed. Pushing shells out to the `git` CLI (see the `github`
//! flows), which keeps libgit2 free of TLS.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use git2::{
    ObjectType, Oid, Repository, Signature, TreeWalkMode, TreeWalkResult, build::TreeUpdateBuilder,
};

use crate::git::fs::{MAX_FILE_BYTES, TEXT_EXTENSIONS};
use crate::model::snapshot::RepoSnapshot;

/// Who the bot's commits are from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
}

impl Default for Author {
    fn default() -> Self {
        Self {
            name: "genie-gitops[bot]".to_owned(),
            email: "genie-gitops[bot]@users.noreply.github.com".to_owned(),
        }
    }
}

/// Where and how to record a commit.
#[derive(Debug, Clone)]
pub struct NewCommit<'a> {
    /// The branch to point at the new commit (created when missing).
    pub branch: &'a str,
    /// The commit the change is based on.
    pub parent: Oid,
    /// Where the branch may already point besides `parent` (the bot's own previous commit);
    /// any other position means someone else moved it.
    pub expected_tip: Option<Oid>,
    pub message: &'a str,
    pub author: &'a Author,
}

/// A local repository.
pub struct GitRepo {
    repo: Repository,
}

impl GitRepo {
    /// Opens the repository containing `path`.
    pub fn discover(path: &Path) -> Result<Self> {
        let repo = Repository::discover(path)
            .with_context(|| format!("{} is not inside a git repository", path.display()))?;
        Ok(Self { repo })
    }

    /// The working directory, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Resolves a revision (`HEAD`, a branch, a SHA) to a commit id.
    pub fn resolve(&self, rev: &str) -> Result<Oid> {
        let obj = self
            .repo
            .revparse_single(rev)
            .with_context(|| format!("unknown revision `{rev}`"))?;
        Ok(obj
            .peel_to_commit()
            .with_context(|| format!("`{rev}` is not a commit"))?
            .id())
    }

    /// The commit a local branch points at, if the branch exists.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<Oid>> {
        match self.repo.find_branch(branch, git2::BranchType::Local) {
            Ok(b) => Ok(b.get().target()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read branch `{branch}`")),
        }
    }

    /// Reads the managed text files of the tree at `rev` (same filter as a directory load).
    pub fn snapshot_at(&self, rev: &str) -> Result<RepoSnapshot> {
        let commit = self.repo.find_commit(self.resolve(rev)?)?;
        let tree = commit.tree()?;
        let mut snapshot = RepoSnapshot::new();
        let mut failure = None;
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() != Some(ObjectType::Blob) {
                return TreeWalkResult::Ok;
            }
            let name = entry.name().unwrap_or_default();
            let managed = Path::new(name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEXT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if !managed {
                return TreeWalkResult::Ok;
            }
            match self.repo.find_blob(entry.id()) {
                Ok(blob) if (blob.size() as u64) <= MAX_FILE_BYTES => {
                    if let Ok(text) = std::str::from_utf8(blob.content()) {
                        snapshot.insert(&format!("{dir}{name}"), text);
                    }
                    TreeWalkResult::Ok
                }
                Ok(_) => TreeWalkResult::Ok,
                Err(e) => {
                    failure = Some(e);
                    TreeWalkResult::Abort
                }
            }
        })?;
        match failure {
            Some(e) => Err(e).context("cannot read a file of the tree"),
            None => Ok(snapshot),
        }
    }

    /// Commits the difference between `before` and `after` on top of `commit.parent`, and points
    /// `commit.branch` at the new commit. The working tree and index are left alone.
    ///
    /// Refuses to commit when nothing changed (the caller decides what "nothing to do" means),
    /// and refuses to move a branch that points anywhere but `parent` or `expected_tip`.
    pub fn commit_changes(
        &self,
        commit: &NewCommit<'_>,
        before: &RepoSnapshot,
        after: &RepoSnapshot,
    ) -> Result<Oid> {
        let NewCommit {
            branch,
            parent,
            expected_tip,
            message,
            author,
        } = *commit;
        let changed = before.changed_paths(after);
        if changed.is_empty() {
            bail!("nothing to commit: the change leaves every file as it was");
        }
        let parent_commit = self.repo.find_commit(parent)?;
        let mut update = TreeUpdateBuilder::new();
        for path in &changed {
            match after.get(path) {
                Some(text) => {
                    let blob = self.repo.blob(text.as_bytes())?;
                    update.upsert(path.as_str(), blob, git2::FileMode::Blob);
                }
                None => {
                    update.remove(path.as_str());
                }
            }
        }
        let tree_id = update.create_updated(&self.repo, &parent_commit.tree()?)?;
        let tree = self.repo.find_tree(tree_id)?;
        let signature = Signature::now(&author.name, &author.email)?;

        let current = self.branch_tip(branch)?;
        if current.is_some() && current != Some(parent) && current != expected_tip {
            bail!("branch `{branch}` moved while committing; not overwriting it");
        }
        let commit = self.repo.commit(
            None,
            &signature,
            &signature,
            message,
            &tree,
            &[&parent_commit],
        )?;
        self.repo
            .reference(
                &format!("refs/heads/{branch}"),
                commit,
                true,
                "genie-gitops: commit",
            )
            .map_err(|e| anyhow!("cannot move branch `{branch}`: {e}"))?;
        Ok(commit)
    }

    /// Files changed by one commit relative to its first parent, sorted.
    pub fn changed_files(&self, commit: Oid) -> Result<Vec<String>> {
        let commit = self.repo.find_commit(commit)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let diff = self
            .repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
        let mut files: Vec<String> = diff
            .deltas()
            .filter_map(|d| d.new_file().path().or_else(|| d.old_file().path()))
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The commit's full message.
    pub fn message(&self, commit: Oid) -> Result<String> {
        Ok(self
            .repo
            .find_commit(commit)?
            .message()
            .unwrap_or_default()
            .to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init_repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, GitRepo, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut snap = RepoSnapshot::new();
        for (p, t) in files {
            snap.insert(p, *t);
        }
        let oid = {
            let mut update = TreeUpdateBuilder::new();
            for (p, t) in snap.iter() {
                let blob = repo.blob(t.as_bytes()).unwrap();
                update.upsert(p, blob, git2::FileMode::Blob);
            }
            let empty = repo.treebuilder(None).unwrap().write().unwrap();
            let empty = repo.find_tree(empty).unwrap();
            let tree = repo
                .find_tree(update.create_updated(&repo, &empty).unwrap())
                .unwrap();
            let sig = Signature::now("t", "t@example.com").unwrap();
            repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
                .unwrap()
        };
        (dir, GitRepo { repo }, oid)
    }

    fn commit(
        git: &GitRepo,
        branch: &str,
        parent: Oid,
        before: &RepoSnapshot,
        after: &RepoSnapshot,
    ) -> Result<Oid> {
        let author = Author::default();
        let new = NewCommit {
            branch,
            parent,
            expected_tip: None,
            message: "lever 1",
            author: &author,
        };
        git.commit_changes(&new, before, after)
    }

    #[test]
    fn a_commit_on_a_branch_holds_exactly_the_changed_files() {
        let (_dir, git, base) = init_repo_with(&[("a.yml", "a: 1\n"), ("b/c.sql", "SELECT 1\n")]);
        let before = git.snapshot_at("HEAD").unwrap();
        let mut after = before.clone();
        after.insert("a.yml", "a: 2\n");
        let oid = commit(&git, "genie-gitops/s", base, &before, &after).unwrap();
        assert_eq!(git.changed_files(oid).unwrap(), vec!["a.yml"]);
        assert_eq!(git.snapshot_at("genie-gitops/s").unwrap(), after);
        assert_eq!(git.branch_tip("genie-gitops/s").unwrap(), Some(oid));
        assert_eq!(git.message(oid).unwrap(), "lever 1");
        assert_eq!(
            git.resolve("HEAD").unwrap(),
            base,
            "the checked-out branch did not move"
        );
    }

    #[test]
    fn an_empty_change_is_not_committed() {
        let (_dir, git, base) = init_repo_with(&[("a.yml", "a: 1\n")]);
        let snap = git.snapshot_at("HEAD").unwrap();
        let err = commit(&git, "x", base, &snap, &snap).unwrap_err();
        assert!(err.to_string().contains("nothing to commit"));
    }

    #[test]
    fn a_branch_moved_by_someone_else_is_not_overwritten() {
        let (_dir, git, base) = init_repo_with(&[("a.yml", "a: 1\n")]);
        let before = git.snapshot_at("HEAD").unwrap();
        let mut after = before.clone();
        after.insert("a.yml", "a: 2\n");
        let first = commit(&git, "bot", base, &before, &after).unwrap();
        // The branch now holds a commit this call did not expect: it must not be replaced.
        let mut third = after.clone();
        third.insert("a.yml", "a: 3\n");
        let err = commit(&git, "bot", base, &before, &third).unwrap_err();
        assert!(err.to_string().contains("moved"));
        assert_eq!(git.branch_tip("bot").unwrap(), Some(first));
    }
}
