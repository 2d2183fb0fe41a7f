//! Checking a whole repository: discover the project (settings + bundle), then validate every
//! file it names — space files, benchmark files and the durable lever files — and collect every
//! problem, sorted. This is what `genie-gitops validate` runs; it is pure over a
//! [`RepoSnapshot`], so tests need no disk.

use std::collections::BTreeSet;

use super::diag::{self, Diagnostic};
use super::project::{self, Project, ProjectSpace, SpaceSource};
use super::snapshot::RepoSnapshot;
use super::{benchmarks, function, metric_view, properties, space, tables};

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
                for (path, kind) in durable_files(repo, space) {
                    check_file(repo, &path, kind, &mut files, &mut check.diagnostics);
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    Space,
    Benchmarks,
    /// Lever 1 tables YAML.
    Tables,
    /// Lever 2: a metric view, with its identifier when the file itself does not name it.
    MetricView(Option<String>),
    /// Lever 3 SQL function.
    Function,
    /// Levers 4–5 table properties YAML.
    Properties,
}

/// The durable lever files of a space that exist in `repo`. They are optional: a repository
/// keeps only the levers it uses. A metric view kept as bare YAML gets its identifier from the
/// space's registered metric view with the same name as the file.
pub fn durable_files(repo: &RepoSnapshot, space_def: &ProjectSpace) -> Vec<(String, FileKind)> {
    let files = &space_def.files;
    let mut out = Vec::new();
    if repo.contains(&files.tables) {
        out.push((files.tables.clone(), FileKind::Tables));
    }
    if repo.contains(&files.table_properties) {
        out.push((files.table_properties.clone(), FileKind::Properties));
    }
    let registered = registered_metric_views(repo, space_def);
    for path in files_under(repo, &files.metric_views) {
        let stem = file_stem(&path);
        if path.ends_with(".sql") {
            out.push((path, FileKind::MetricView(None)));
        } else if path.ends_with(".yaml") || path.ends_with(".yml") {
            let id = registered
                .iter()
                .find(|id| id.rsplit('.').next() == Some(stem))
                .cloned();
            out.push((path, FileKind::MetricView(id)));
        }
    }
    for path in files_under(repo, &files.functions) {
        if path.ends_with(".sql") {
            out.push((path, FileKind::Function));
        }
    }
    out
}

fn registered_metric_views(repo: &RepoSnapshot, space_def: &ProjectSpace) -> Vec<String> {
    let SpaceSource::File(path) = &space_def.source else {
        return Vec::new();
    };
    let Some(parsed) = repo
        .get(path)
        .and_then(|text| space::parse(path, text).ok())
    else {
        return Vec::new();
    };
    parsed
        .file
        .space
        .metric_views()
        .iter()
        .map(|mv| mv.identifier.clone())
        .collect()
}

fn files_under(repo: &RepoSnapshot, dir: &str) -> Vec<String> {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    repo.paths()
        .filter(|p| p.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name)
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
        FileKind::Tables => diags.extend(tables::load(path, text).diagnostics),
        FileKind::MetricView(id) => {
            diags.extend(metric_view::load(path, text, id.as_deref()).diagnostics)
        }
        FileKind::Function => diags.extend(function::parse(path, text).err()),
        FileKind::Properties => diags.extend(properties::load(path, text).diagnostics),
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
