//! Checking a whole repository: discover the project (settings + bundle), then validate every
//! file it names — space files, benchmark files and the durable lever files — and collect every
//! problem, sorted. This is what `genie-gitops validate` runs; it is pure over a
//! [`RepoSnapshot`], so tests need no disk.

use std::collections::BTreeSet;

use super::diag::{self, Diagnostic};
use super::project::{self, Project, SpaceSource};
use super::snapshot::RepoSnapshot;
use super::{benchmarks, space};

/// The outcome of checking a repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepoCheck {
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The files that were read, sorted.
    pub files: Vec<String>,
    /// The project, when discovery succeeded.
    pub project: Option<Project>,
}

impl RepoCheck {
    /// Number of errors (warnings do not fail a check).
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Checks every managed file of `repo`.
pub fn check_repo(repo: &RepoSnapshot) -> RepoCheck {
    let mut check = RepoCheck::default();
    let mut files = BTreeSet::new();
    match project::discover(repo) {
        Ok((project, warnings)) => {
            check.diagnostics.extend(warnings);
            if let Some(path) = &project.settings_file {
                files.insert(path.clone());
            }
            if let Some(bundle) = &project.bundle {
                files.extend(bundle.files.iter().cloned());
            }
            for space in project.spaces.values() {
                if let SpaceSource::File(path) = &space.source {
                    check_file(
                        repo,
                        path,
                        FileKind::Space,
                        &mut files,
                        &mut check.diagnostics,
                    );
                }
                for path in &space.benchmarks {
                    check_file(
                        repo,
                        path,
                        FileKind::Benchmarks,
                        &mut files,
                        &mut check.diagnostics,
                    );
                }
            }
            check.project = Some(project);
        }
        Err(errors) => check.diagnostics.extend(errors),
    }
    check.diagnostics.dedup();
    diag::sort(&mut check.diagnostics);
    check.diagnostics.dedup();
    check.files = files.into_iter().collect();
    check
}

/// The kinds of file a repository check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Space,
    Benchmarks,
}

fn check_file(
    repo: &RepoSnapshot,
    path: &str,
    kind: FileKind,
    files: &mut BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    if !files.insert(path.to_owned()) {
        return; // shared by several spaces: check it once
    }
    let Some(text) = repo.get(path) else {
        diags.push(Diagnostic::error(path, "file not found").hint(
            "create it, or fix the path that names it in databricks.yml or .genie-gitops.yml",
        ));
        return;
    };
    match kind {
        FileKind::Space => diags.extend(space::validate(path, text)),
        FileKind::Benchmarks => match benchmarks::load(path, text) {
            Ok((_, warnings)) => diags.extend(warnings),
            Err(errors) => diags.extend(errors),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_without_config_is_one_clear_error() {
        let check = check_repo(&RepoSnapshot::new());
        assert_eq!(check.errors(), 1);
        assert!(check.diagnostics[0].message.contains("databricks.yml"));
    }
}
