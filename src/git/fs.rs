//! Reading and writing a repository's text files as a [`RepoSnapshot`].
//!
//! Only text files a user keeps for genie-gitops are read: the extensions in [`TEXT_EXTENSIONS`],
//! below [`MAX_FILE_BYTES`], outside build and VCS directories. Writes touch only the files whose
//! text changed, and refuse paths that would escape the repository.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::model::snapshot::RepoSnapshot;

/// Extensions of the files a snapshot holds.
pub const TEXT_EXTENSIONS: &[&str] = &["json", "yml", "yaml", "sql", "md"];

/// Larger files are skipped: no managed file comes near this.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Directories never descended into.
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".genie-gitops"];

/// Loads every managed text file below `root` into a snapshot, keyed by `/`-separated relative path.
pub fn load_dir(root: &Path) -> Result<RepoSnapshot> {
    let mut snapshot = RepoSnapshot::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if file_type.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) {
                    stack.push(path);
                }
                continue;
            }
            if !file_type.is_file()
                || !is_managed(&path)
                || entry.metadata()?.len() > MAX_FILE_BYTES
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue; // not UTF-8: not a file we manage
            };
            snapshot.insert(&relative(root, &path), text);
        }
    }
    Ok(snapshot)
}

/// Writes the files that differ between `before` and `after` under `root`; files missing from
/// `after` are deleted. Returns the changed paths, sorted.
pub fn write_changes(
    root: &Path,
    before: &RepoSnapshot,
    after: &RepoSnapshot,
) -> Result<Vec<String>> {
    let changed = before.changed_paths(after);
    for path in &changed {
        let target = safe_join(root, path)?;
        match after.get(path) {
            Some(text) => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(&target, text)
                    .with_context(|| format!("cannot write {}", target.display()))?;
            }
            None => {
                if target.exists() {
                    std::fs::remove_file(&target)
                        .with_context(|| format!("cannot delete {}", target.display()))?;
                }
            }
        }
    }
    Ok(changed)
}

/// Joins a snapshot path onto `root`, refusing absolute paths and `..`.
pub fn safe_join(root: &Path, path: &str) -> Result<PathBuf> {
    let rel = Path::new(path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        bail!("refusing to write `{path}`: it is not a plain path inside the repository");
    }
    Ok(root.join(rel))
}

fn is_managed(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_loads_its_managed_text_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("genie")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join("databricks.yml"), "bundle: {}\n").unwrap();
        std::fs::write(root.join("genie/s.geniespace.json"), "{}\n").unwrap();
        std::fs::write(root.join("target/x.json"), "{}").unwrap();
        std::fs::write(root.join("image.png"), [0u8, 1, 2]).unwrap();
        let snap = load_dir(root).unwrap();
        assert_eq!(
            snap.paths().collect::<Vec<_>>(),
            vec!["databricks.yml", "genie/s.geniespace.json"]
        );
    }

    #[test]
    fn writing_changes_touches_only_changed_files_and_deletes_removed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut before = RepoSnapshot::new();
        before.insert("a.yml", "a: 1\n");
        before.insert("gone.yml", "x\n");
        write_changes(root, &RepoSnapshot::new(), &before).unwrap();
        let mut after = before.clone();
        after.insert("a.yml", "a: 2\n");
        after.insert("new/b.sql", "SELECT 1\n");
        after.remove("gone.yml");
        let changed = write_changes(root, &before, &after).unwrap();
        assert_eq!(changed, vec!["a.yml", "gone.yml", "new/b.sql"]);
        assert_eq!(load_dir(root).unwrap(), after);
    }

    #[test]
    fn paths_that_escape_the_repository_are_refused() {
        assert!(safe_join(Path::new("/r"), "../etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "/etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "ok/file.yml").is_ok());
    }
}
