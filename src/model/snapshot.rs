//! A [`RepoSnapshot`]: the repository's managed files as text, keyed by `/`-separated path
//! relative to the repository root. Patches apply to snapshots; only `crate::git` reads one from
//! or writes one to disk.

use std::collections::BTreeMap;

/// Path → text of the files genie-gitops reads or edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoSnapshot {
    files: BTreeMap<String, String>,
}

impl RepoSnapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalizes `./a/b` and `a\b` to `a/b`.
    pub fn normalize_path(path: &str) -> String {
        let path = path.replace('\\', "/");
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        parts.join("/")
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.files
            .get(&Self::normalize_path(path))
            .map(String::as_str)
    }

    pub fn insert(&mut self, path: &str, text: impl Into<String>) -> Option<String> {
        self.files.insert(Self::normalize_path(path), text.into())
    }

    pub fn remove(&mut self, path: &str) -> Option<String> {
        self.files.remove(&Self::normalize_path(path))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(&Self::normalize_path(path))
    }

    /// Files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Paths whose text differs between `self` and `other` (added, removed or changed), sorted.
    pub fn changed_paths(&self, other: &RepoSnapshot) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|(p, t)| other.files.get(*p) != Some(t))
            .map(|(p, _)| p.clone())
            .collect();
        out.extend(
            other
                .files
                .keys()
                .filter(|p| !self.files.contains_key(*p))
                .cloned(),
        );
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_on_the_way_in_and_out() {
        let mut s = RepoSnapshot::new();
        s.insert("./genie/./space.json", "{}");
        assert_eq!(s.get("genie/space.json"), Some("{}"));
        assert_eq!(s.get("genie\\x\\..\\space.json"), Some("{}"));
    }

    #[test]
    fn changed_paths_lists_added_removed_and_edited_files() {
        let mut a = RepoSnapshot::new();
        a.insert("same", "1");
        a.insert("edited", "1");
        a.insert("removed", "1");
        let mut b = a.clone();
        b.insert("edited", "2");
        b.remove("removed");
        b.insert("added", "1");
        assert_eq!(a.changed_paths(&b), vec!["added", "edited", "removed"]);
    }
}
