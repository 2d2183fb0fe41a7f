//! Domain verbs over a local git repository (git2, no network): read a snapshot at a revision,
//! and commit file changes onto a branch without touching the working tree or the index, so a
//! user's checkout is never disturbed. Remotes are reached through the `git` CLI (see
//! [`super::remote`]), which keeps libgit2 free of TLS.

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

/// The directory the bot never writes to: workflows stay in human hands (and pushing them needs
/// the `workflows` permission).
pub const PROTECTED_DIR: &str = ".github/";

/// Why git history cannot be read, in a shallow clone.
const SHALLOW_HINT: &str = "cannot read the history between the base and the bot branch; \
     if this is a shallow clone, fetch full history (actions/checkout `fetch-depth: 0`)";

/// A name and email on a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
}

/// One commit, as the branch-safety checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full SHA.
    pub sha: String,
    /// First line of the message.
    pub summary: String,
    /// Who wrote it.
    pub author: Person,
    /// Who committed it.
    pub committer: Person,
}

impl CommitInfo {
    /// Both author and committer are `bot` (compared by email, case-insensitively).
    pub fn is_by(&self, bot: &Author) -> bool {
        self.author.email.eq_ignore_ascii_case(&bot.email)
            && self.committer.email.eq_ignore_ascii_case(&bot.email)
    }
}

/// Refuses paths under [`PROTECTED_DIR`] (any letter case).
pub fn refuse_protected(paths: &[String]) -> Result<()> {
    let protected: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| {
            p.get(..PROTECTED_DIR.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(PROTECTED_DIR))
        })
        .collect();
    if !protected.is_empty() {
        bail!(
            "refusing to commit {}: genie-gitops never writes under {PROTECTED_DIR} \
             (workflow files stay in human hands)",
            protected.join(", ")
        );
    }
    Ok(())
}

/// A local repository.
pub struct GitRepo {
    repo: Repository,
}

impl GitRepo {
    /// Opens the repository at `path` exactly (a work tree or a bare repository).
    pub fn open(path: &Path) -> Result<Self> {
        let repo = Repository::open(path)
            .with_context(|| format!("{} is not a git repository", path.display()))?;
        Ok(Self { repo })
    }

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
        let Some(new) = self.write_commit(parent, before, after, message, author)? else {
            bail!("nothing to commit: the change leaves every file as it was");
        };
        let current = self.branch_tip(branch)?;
        if current.is_some() && current != Some(parent) && current != expected_tip {
            bail!("branch `{branch}` moved while committing; not overwriting it");
        }
        self.repo
            .reference(
                &format!("refs/heads/{branch}"),
                new,
                true,
                "genie-gitops: commit",
            )
            .map_err(|e| anyhow!("cannot move branch `{branch}`: {e}"))?;
        Ok(new)
    }

    /// Writes a commit holding `parent`'s tree with the difference between `before` and `after`
    /// applied, without moving any ref. `None` when nothing differs. Refuses changes under
    /// [`PROTECTED_DIR`]: the bot never edits workflows.
    pub fn write_commit(
        &self,
        parent: Oid,
        before: &RepoSnapshot,
        after: &RepoSnapshot,
        message: &str,
        author: &Author,
    ) -> Result<Option<Oid>> {
        let changed = before.changed_paths(after);
        if changed.is_empty() {
            return Ok(None);
        }
        refuse_protected(&changed)?;
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
        let commit = self.repo.commit(
            None,
            &signature,
            &signature,
            message,
            &tree,
            &[&parent_commit],
        )?;
        Ok(Some(commit))
    }

    /// The id of `commit`'s tree (equal ids: equal contents).
    pub fn tree_id(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    /// The directory git commands run in (the `.git` directory, or the bare repository).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Commits reachable from `tip` but not from `base`, newest first.
    pub fn commits_between(&self, base: Oid, tip: Oid) -> Result<Vec<CommitInfo>> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        walk.hide(base).context(SHALLOW_HINT)?;
        let mut commits = Vec::new();
        for oid in walk {
            let oid = oid.context(SHALLOW_HINT)?;
            let commit = self.repo.find_commit(oid).context(SHALLOW_HINT)?;
            let person = |s: git2::Signature<'_>| Person {
                name: s.name().unwrap_or_default().to_owned(),
                email: s.email().unwrap_or_default().to_owned(),
            };
            commits.push(CommitInfo {
                sha: oid.to_string(),
                summary: commit
                    .summary()
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_owned(),
                author: person(commit.author()),
                committer: person(commit.committer()),
            });
        }
        Ok(commits)
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
    fn changes_under_dot_github_are_refused() {
        let (_dir, git, base) = init_repo_with(&[("a.yml", "a: 1\n")]);
        let before = git.snapshot_at("HEAD").unwrap();
        let mut after = before.clone();
        after.insert(".GitHub/workflows/x.yml", "on: push\n");
        let err = commit(&git, "bot", base, &before, &after).unwrap_err();
        assert!(
            err.to_string().contains("never writes under .github/"),
            "{err}"
        );
        assert_eq!(git.branch_tip("bot").unwrap(), None);
    }

    #[test]
    fn commits_between_name_their_authors() {
        let (_dir, git, base) = init_repo_with(&[("a.yml", "a: 1\n")]);
        let before = git.snapshot_at("HEAD").unwrap();
        let mut after = before.clone();
        after.insert("a.yml", "a: 2\n");
        let bot = Author::default();
        let tip = git
            .write_commit(base, &before, &after, "lever 1", &bot)
            .unwrap()
            .unwrap();
        let commits = git.commits_between(base, tip).unwrap();
        assert_eq!(commits.len(), 1);
        assert!(commits[0].is_by(&bot));
        let human = Author {
            name: "Ann".into(),
            email: "ann@example.com".into(),
        };
        assert!(!commits[0].is_by(&human));
        assert_eq!(commits[0].summary, "lever 1");
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
