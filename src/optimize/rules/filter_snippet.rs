//! A term that means a condition → a filter snippet (lever 6) named in the users' words.
//!
//! Fires when the gold only counts rows (no aggregated column), filters on conditions the
//! question never states (and that are not table-wide rules), Genie's answer lacks them, and
//! the question has words no object explains. The conditions every such question shares become
//! the snippet. Example: "How many VIP customers do we have?" with gold `WHERE
//! customers.lifetime_value > 10000 AND customers.is_active` → filter snippet "VIP" =
//! `customers.lifetime_value > 10000 AND customers.is_active = TRUE`.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::space::Snippet;
use crate::patch::{Op, Patch, SnippetKind};
use crate::sql::analyze::QueryFeatures;

use super::super::case::Question;
use super::super::context::Context;
use super::super::phrase::{Term, Vocabulary, term};
use super::super::proposal::Proposal;
use super::default_filter::{is_table_rule, stated};
use super::{Condition, and_list, conditions};

/// Proposals for lever 6.
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 6 {
        return Vec::new();
    }
    let mut by_term: BTreeMap<String, Vec<(Term, BTreeSet<Condition>, String)>> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        if !counts_only(&question.gold) {
            continue;
        }
        let actual = case.actual().map(conditions).unwrap_or_default();
        let implied: BTreeSet<Condition> = conditions(&question.gold)
            .into_iter()
            .filter(|c| !actual.contains(c) && !stated(&question.text, c))
            .filter(|c| !is_table_rule(ctx, c))
            .collect();
        if implied.is_empty() {
            continue;
        }
        if let Some(t) = implied_term(question, &implied) {
            by_term
                .entry(t.core.clone())
                .or_default()
                .push((t, implied, question.id.clone()));
        }
    }
    by_term
        .into_values()
        .filter_map(|group| proposal(ctx, group))
        .collect()
}

/// The gold selects no aggregated column: `COUNT(*)`, `COUNT(1)` or plain columns.
fn counts_only(gold: &QueryFeatures) -> bool {
    gold.select.iter().all(|s| match s.aggregate.as_deref() {
        None => true,
        Some("count") => s.expr.contains("(*)") || s.expr.contains("(1)"),
        Some(_) => false,
    })
}

fn implied_term(question: &Question, implied: &BTreeSet<Condition>) -> Option<Term> {
    let others: Vec<String> = question
        .gold
        .tables
        .iter()
        .map(|t| t.name.clone())
        .chain(question.gold.group_by.iter().cloned())
        .collect();
    let vocabulary = Vocabulary::default()
        .target_names(implied.iter().map(|c| c.column.as_str()))
        .other_names(others.iter().map(String::as_str));
    term(&question.text, &vocabulary).filter(|t| !t.unexplained.is_empty())
}

fn proposal(ctx: &Context, group: Vec<(Term, BTreeSet<Condition>, String)>) -> Option<Proposal> {
    let (first, rest) = group.split_first()?;
    let shared: BTreeSet<Condition> = rest.iter().fold(first.1.clone(), |acc, (_, c, _)| &acc & c);
    if shared.is_empty() {
        return None;
    }
    let name = first.0.core.clone();
    let exists = ctx.space.snippets().is_some_and(|s| {
        s.filters
            .iter()
            .any(|f| f.display_name.as_deref() == Some(name.as_str()))
    });
    if exists {
        return None;
    }
    let sql = shared
        .iter()
        .map(Condition::sql)
        .collect::<Vec<_>>()
        .join(" AND ");
    let synonyms: BTreeSet<String> = group
        .iter()
        .flat_map(|(t, _, _)| t.spellings())
        .filter(|s| *s != name)
        .collect();
    let targets: BTreeSet<String> = group.iter().map(|(_, _, id)| id.clone()).collect();
    let patch = Patch::new(Op::AddSqlSnippet {
        file: ctx.space_path.to_owned(),
        kind: SnippetKind::Filter,
        snippet: Snippet {
            sql: vec![sql.clone()],
            display_name: Some(name.clone()),
            synonyms: synonyms.into_iter().collect(),
            ..Snippet::default()
        },
    });
    let rationale = format!("\"{name}\" means `{sql}` in {}", and_list(&targets));
    Some(Proposal::new(
        "filter_snippet",
        6,
        vec![patch],
        targets,
        rationale,
    ))
}
