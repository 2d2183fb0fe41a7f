//! A business term Genie did not map to the right column → the users' words in the column's
//! Unity Catalog comment (lever 1, when the tables file defines the column; Unity Catalog has no
//! synonyms), then, if the failure persists, synonyms in the space's column config (lever 6),
//! or, for a bare column name several tables share, a `Use table.column for term` instruction
//! (lever 6).
//!
//! Two failures lead here. A wrong date column: the gold filters dates on `orders.created_at`,
//! Genie on `orders.shipped_at`; the question's words no object explains ("placed" in "How many
//! orders were placed last month?") become synonyms of `created_at`. An ambiguous term: Genie
//! asked which column a word meant, and the gold uses one whose name shares that word with a
//! column of another registered table ("amount" in `payments.amount` and
//! `bookings.total_amount`); the question's span around the word ("amount paid") becomes a
//! synonym, or, when the span is the bare shared name ("country"), an instruction defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::patch::{ColumnRef, Op, Patch, Risk};
use crate::sql::analyze::QueryFeatures;

use super::super::case::{FailureCase, Outcome, Question};
use super::super::context::Context;
use super::super::phrase::{Term, Vocabulary, name_stems, term, tokenize};
use super::super::proposal::Proposal;
use super::{and_list, conditions, qualify};
use crate::eval::taxonomy::FailureType;

/// What to write for one column.
#[derive(Default)]
struct Fix {
    synonyms: BTreeSet<String>,
    /// Bare shared names to define by instruction.
    definitions: BTreeSet<String>,
    targets: BTreeSet<String>,
}

/// Proposals for lever 1 (tables file synonyms) or lever 6 (space synonyms, instructions).
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 1 && lever != 6 {
        return Vec::new();
    }
    let mut fixes: BTreeMap<(String, String), Fix> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        for (table, column) in wrong_date_columns(question, case) {
            if let Some(t) = term(&question.text, &vocabulary(&question.gold, &table, &column)) {
                let fix = fixes.entry((table, column)).or_default();
                fix.synonyms.extend(t.spellings());
                fix.targets.insert(question.id.clone());
            }
        }
        if ambiguous(case) {
            for (table, column, t) in ambiguous_terms(ctx, question) {
                let fix = fixes.entry((table, column)).or_default();
                if t.unexplained.is_empty() {
                    fix.definitions.insert(t.core.clone());
                } else {
                    fix.synonyms.extend(t.spellings());
                }
                fix.targets.insert(question.id.clone());
            }
        }
    }
    fixes
        .into_iter()
        .filter_map(|((table, column), fix)| proposal(lever, ctx, &table, &column, fix))
        .collect()
}

fn ambiguous(case: &FailureCase) -> bool {
    matches!(case.outcome, Outcome::Clarification { .. })
        || case
            .findings
            .iter()
            .any(|f| f.failure == FailureType::AmbiguousQuestion)
}

static QUALIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)").unwrap_or_else(|_| unreachable!())
});

/// Date columns a query filters on, qualified.
fn date_columns(features: &QueryFeatures) -> BTreeSet<(String, String)> {
    features
        .filters
        .iter()
        .filter(|p| p.temporal)
        .filter_map(|p| match QUALIFIED.captures(&p.column) {
            Some(c) => Some((c[1].to_lowercase(), c[2].to_lowercase())),
            None => {
                let bare = p
                    .column
                    .trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                qualify(bare, features)
            }
        })
        .collect()
}

/// Gold date columns Genie replaced by another date column of the same table.
fn wrong_date_columns(question: &Question, case: &FailureCase) -> Vec<(String, String)> {
    let Some(actual) = case.actual() else {
        return Vec::new();
    };
    let gold = date_columns(&question.gold);
    let used = date_columns(actual);
    gold.iter()
        .filter(|g| !used.contains(g) && used.iter().any(|a| a.0 == g.0))
        .cloned()
        .collect()
}

/// The gold columns whose name shares a question word with a column of another registered
/// table, with the question's term for each.
fn ambiguous_terms(ctx: &Context, question: &Question) -> Vec<(String, String, Term)> {
    let stems: BTreeSet<String> = tokenize(&question.text)
        .into_iter()
        .map(|t| t.stem)
        .collect();
    question
        .gold
        .columns
        .iter()
        .filter_map(|c| qualify(c, &question.gold))
        .filter(|(table, column)| {
            name_stems(column)
                .iter()
                .any(|w| stems.contains(w) && !ctx.competitors(table, w).is_empty())
        })
        .filter_map(|(table, column)| {
            let t = term(&question.text, &vocabulary(&question.gold, &table, &column))?;
            Some((table, column, t))
        })
        .collect()
}

/// Target: the column; other: the query's tables, other columns and filter literals.
fn vocabulary(gold: &QueryFeatures, table: &str, column: &str) -> Vocabulary {
    let qualified = format!("{table}.{column}");
    let others: Vec<String> = gold
        .columns
        .iter()
        .filter(|c| **c != qualified && c.as_str() != column)
        .map(|c| c.rsplit('.').next().unwrap_or(c).to_owned())
        .chain(gold.tables.iter().map(|t| t.name.clone()))
        .chain(
            conditions(gold)
                .iter()
                .filter_map(|c| c.literal().map(str::to_owned)),
        )
        .collect();
    Vocabulary::default()
        .target_names([column])
        .other_names(others.iter().map(String::as_str))
}

fn proposal(lever: u8, ctx: &Context, table: &str, column: &str, fix: Fix) -> Option<Proposal> {
    let mut patches = Vec::new();
    if lever == 1 && ctx.lever_enabled(1) && !fix.synonyms.is_empty() {
        patches.extend(uc_comment(ctx, table, column, &fix.synonyms));
    }
    if lever == 6 {
        patches.extend(space_synonyms(ctx, table, column, &fix.synonyms)?);
        for term in &fix.definitions {
            patches.push(Patch {
                risk: Risk::Medium,
                ..Patch::new(Op::AppendTextInstruction {
                    file: ctx.space_path.to_owned(),
                    lines: vec![format!("- Use {table}.{column} for {term}\n")],
                })
            });
        }
    }
    if patches.is_empty() {
        return None;
    }
    let words: BTreeSet<String> = fix.synonyms.union(&fix.definitions).cloned().collect();
    let rationale = format!(
        "{} mean {table}.{column} in {}",
        quoted(&words),
        and_list(&fix.targets)
    );
    Some(Proposal::new(
        "term_synonym",
        lever,
        patches,
        fix.targets,
        rationale,
    ))
}

/// The column's comment with the users' words added: `… (also called: made, booked)`.
fn uc_comment(ctx: &Context, table: &str, column: &str, words: &BTreeSet<String>) -> Option<Patch> {
    let located = ctx.tables_file_column(table, column)?;
    let old = ctx.uc_column_comment(table, column);
    let missing: Vec<&str> = words
        .iter()
        .filter(|w| {
            !old.as_deref()
                .is_some_and(|o| o.to_lowercase().contains(&w.to_lowercase()))
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let addition = format!("also called: {}", missing.join(", "));
    let new = match old.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => format!("{} ({addition})", text.trim_end_matches('.')),
        _ => format!("Also called: {}", missing.join(", ")),
    };
    Some(Patch::new(Op::SetUcColumnComment {
        file: located.file,
        table: located.name,
        column: column.to_owned(),
        old,
        new: Some(new),
    }))
}

fn space_synonyms(
    ctx: &Context,
    table: &str,
    column: &str,
    synonyms: &BTreeSet<String>,
) -> Option<Vec<Patch>> {
    if synonyms.is_empty() {
        return Some(Vec::new());
    }
    let source = ctx.source(table)?;
    let existing = ctx
        .column_config(table, column)
        .map(|c| c.synonyms.clone())
        .unwrap_or_default();
    Some(
        synonyms
            .iter()
            .filter(|s| !has(&existing, s))
            .map(|synonym| {
                Patch::new(Op::AddColumnSynonym {
                    column: ColumnRef {
                        file: ctx.space_path.to_owned(),
                        table: source.identifier.clone(),
                        column: column.to_owned(),
                    },
                    synonym: synonym.clone(),
                    index: None,
                })
            })
            .collect(),
    )
}

fn has(existing: &[String], synonym: &str) -> bool {
    existing.iter().any(|e| e.eq_ignore_ascii_case(synonym))
}

/// `"a", "b"`.
pub(crate) fn quoted(words: &BTreeSet<String>) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
