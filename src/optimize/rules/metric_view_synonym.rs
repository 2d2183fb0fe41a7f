//! Metric view bypassed or its measure not found → synonyms on the measure in the users' words:
//! in the metric view's YAML (lever 2) when the repository has its file, then, if the failure
//! persists, in the space's column config of the metric view (lever 6); an unregistered view
//! is registered first.
//!
//! Fires when the gold reads `MEASURE(m)` from a metric view and Genie did not use that
//! measure. Example: "What is the average daily rate for villas?" with gold
//! `MEASURE(adr) … WHERE property_type = 'villa'` → synonyms "average daily rate" and "daily
//! rate" on `adr` (the dimension and the literal explain the rest of the question).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::space::DataSource;
use crate::patch::{ColumnRef, FieldKind, Op, Patch, SourceKind};
use crate::sql::analyze::AssetKind;

use super::super::context::Context;
use super::super::phrase::{Vocabulary, term};
use super::super::proposal::Proposal;
use super::term_synonym::quoted;
use super::{and_list, conditions};

#[derive(Default)]
struct Fix {
    synonyms: BTreeSet<String>,
    targets: BTreeSet<String>,
}

/// Proposals for lever 2 (metric-view files) or lever 6 (space column configs).
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 2 && lever != 6 {
        return Vec::new();
    }
    let mut fixes: BTreeMap<(String, String), Fix> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        let used = case
            .actual()
            .map(|a| a.measures.clone())
            .unwrap_or_default();
        let views: Vec<&str> = question
            .gold
            .tables
            .iter()
            .filter(|t| t.kind == AssetKind::MetricView)
            .map(|t| t.name.as_str())
            .collect();
        let [view] = views.as_slice() else {
            continue;
        };
        for measure in question.gold.measures.difference(&used) {
            let others: Vec<String> = question
                .gold
                .columns
                .iter()
                .map(|c| c.rsplit('.').next().unwrap_or(c).to_owned())
                .filter(|c| c != measure)
                .chain(
                    conditions(&question.gold)
                        .iter()
                        .filter_map(|c| c.literal().map(str::to_owned)),
                )
                .collect();
            let vocabulary = Vocabulary::default()
                .target_names([measure.as_str(), view])
                .other_names(others.iter().map(String::as_str));
            if let Some(t) = term(&question.text, &vocabulary) {
                let fix = fixes
                    .entry(((*view).to_owned(), measure.clone()))
                    .or_default();
                fix.synonyms.extend(
                    t.spellings()
                        .into_iter()
                        .filter(|s| s.replace(' ', "_") != *measure),
                );
                fix.targets.insert(question.id.clone());
            }
        }
    }
    fixes
        .into_iter()
        .filter_map(|((view, measure), fix)| proposal(lever, ctx, &view, &measure, fix))
        .collect()
}

fn proposal(lever: u8, ctx: &Context, view: &str, measure: &str, fix: Fix) -> Option<Proposal> {
    let file = ctx
        .lever_enabled(2)
        .then(|| ctx.metric_view_file(view))
        .flatten();
    let patches = match (lever, file) {
        (2, Some((path, mv))) => {
            let existing = mv
                .measures
                .iter()
                .find(|m| m.name.eq_ignore_ascii_case(measure))
                .map(|m| m.synonyms.clone())?;
            fix.synonyms
                .iter()
                .filter(|s| !existing.iter().any(|e| e.eq_ignore_ascii_case(s)))
                .map(|s| {
                    Patch::new(Op::AddMvSynonym {
                        file: path.clone(),
                        kind: FieldKind::Measure,
                        name: measure.to_owned(),
                        synonym: s.clone(),
                        index: None,
                    })
                })
                .collect()
        }
        (6, _) => space_patches(ctx, view, measure, &fix.synonyms),
        _ => return None,
    };
    let rationale = format!(
        "{} name the measure {view}.{measure} in {}",
        quoted(&fix.synonyms),
        and_list(&fix.targets)
    );
    Some(Proposal::new(
        "metric_view_synonym",
        lever,
        patches,
        fix.targets,
        rationale,
    ))
}

fn space_patches(
    ctx: &Context,
    view: &str,
    measure: &str,
    synonyms: &BTreeSet<String>,
) -> Vec<Patch> {
    let mut patches = Vec::new();
    let identifier = match ctx.source(view) {
        Some(source) => source.identifier.clone(),
        None => {
            // Register the view next to the space's tables (same catalog and schema).
            let Some(table) = ctx.space.tables().first() else {
                return patches;
            };
            let prefix = table
                .identifier
                .rsplit_once('.')
                .map(|(p, _)| p)
                .unwrap_or("");
            let identifier = format!("{prefix}.{view}");
            patches.push(Patch::new(Op::AddDataSource {
                file: ctx.space_path.to_owned(),
                kind: SourceKind::MetricView,
                source: DataSource {
                    identifier: identifier.clone(),
                    ..DataSource::default()
                },
            }));
            identifier
        }
    };
    let existing = ctx
        .column_config(view, measure)
        .map(|c| c.synonyms.clone())
        .unwrap_or_default();
    patches.extend(
        synonyms
            .iter()
            .filter(|s| !existing.iter().any(|e| e.eq_ignore_ascii_case(s)))
            .map(|s| {
                Patch::new(Op::AddColumnSynonym {
                    column: ColumnRef {
                        file: ctx.space_path.to_owned(),
                        table: identifier.clone(),
                        column: measure.to_owned(),
                    },
                    synonym: s.clone(),
                    index: None,
                })
            }),
    );
    patches
}
