//! Rendering patch results for people: a unified diff per changed file, and one summary line per
//! patch.

use similar::TextDiff;

use super::Patch;
use crate::model::snapshot::RepoSnapshot;

/// A `git diff`-style unified diff of every file that differs between `before` and `after`, in
/// path order. Added and removed files diff against `/dev/null`.
pub fn render_diff(before: &RepoSnapshot, after: &RepoSnapshot) -> String {
    let mut out = String::new();
    for path in before.changed_paths(after) {
        let old = before.get(&path);
        let new = after.get(&path);
        let a = old.map_or_else(|| "/dev/null".to_owned(), |_| format!("a/{path}"));
        let b = new.map_or_else(|| "/dev/null".to_owned(), |_| format!("b/{path}"));
        out.push_str(&format!("diff --git a/{path} b/{path}\n"));
        let diff = TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""));
        out.push_str(&diff.unified_diff().header(&a, &b).to_string());
    }
    out
}

/// One summary line per patch, in the order given.
pub fn render_summaries(patches: &[Patch]) -> String {
    patches
        .iter()
        .map(|p| format!("{}\n", p.summary()))
        .collect()
}
