//! A business measure Genie does not know → a measure snippet (lever 6) named in the users'
//! words, with the conditions the term implies folded in as `FILTER (WHERE …)`.
//!
//! Fires when the gold aggregates one column (`SUM(orders.amount)`), Genie did not, and the
//! question names the measure with words no object explains ("revenue"). Gold conditions on the
//! same table that the question does not state (and that are not table-wide rules, see
//! `default_filter`) belong to the term's meaning and are folded in; when questions disagree,
//! the definition with the most folded conditions wins (stated conditions are redundant with
//! it). Example: "What was total revenue in 2024?" with gold `SUM(total_amount) … WHERE status
//! = 'confirmed'` → measure `revenue` = `SUM(bookings.total_amount) FILTER (WHERE
//! bookings.status = 'confirmed')`, synonym "total revenue".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::model::space::Snippet;
use crate::patch::{Op, Patch, SnippetKind};
use crate::sql::analyze::AssetKind;

use super::super::case::Question;
use super::super::context::Context;
use super::super::phrase::{Term, Vocabulary, term};
use super::super::proposal::Proposal;
use super::default_filter::{is_table_rule, stated};
use super::{Condition, and_list, conditions, qualify};

static AGGREGATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(sum|avg|min|max|count)\((distinct )?([a-z_][\w.]*)\)$")
        .unwrap_or_else(|_| unreachable!())
});

/// One question's reading of the measure.
struct Definition {
    sql: String,
    folded: usize,
    term: Term,
    question: String,
}

/// Proposals for lever 6.
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 6 {
        return Vec::new();
    }
    let mut by_term: BTreeMap<String, Vec<Definition>> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        let actual_exprs: BTreeSet<String> = case
            .actual()
            .map(|a| a.select.iter().map(|s| s.expr.clone()).collect())
            .unwrap_or_default();
        for item in &question.gold.select {
            if actual_exprs.contains(&item.expr) {
                continue;
            }
            if let Some(d) = definition(ctx, question, &item.expr) {
                by_term.entry(d.term.core.clone()).or_default().push(d);
            }
        }
    }
    by_term
        .into_values()
        .filter_map(|defs| proposal(ctx, defs))
        .collect()
}

fn definition(ctx: &Context, question: &Question, expr: &str) -> Option<Definition> {
    let caps = AGGREGATE.captures(expr)?;
    let (table, column) = qualify(&caps[3], &question.gold)?;
    let is_table = question
        .gold
        .tables
        .iter()
        .any(|t| t.name == table && t.kind == AssetKind::Table);
    if !is_table {
        return None;
    }
    let others: Vec<String> = question
        .gold
        .tables
        .iter()
        .map(|t| t.name.clone())
        .chain(question.gold.group_by.iter().cloned())
        .chain(
            conditions(&question.gold)
                .iter()
                .flat_map(|c| [c.column.clone(), c.literal().unwrap_or("").to_owned()]),
        )
        .collect();
    let vocabulary = Vocabulary::default()
        .target_names([column.as_str()])
        .other_names(others.iter().map(String::as_str));
    let term = term(&question.text, &vocabulary).filter(|t| !t.unexplained.is_empty())?;
    let folded: Vec<Condition> = conditions(&question.gold)
        .into_iter()
        .filter(|c| c.table == table && !stated(&question.text, c) && !is_table_rule(ctx, c))
        .collect();
    let distinct = if caps.get(2).is_some() {
        "DISTINCT "
    } else {
        ""
    };
    let mut sql = format!("{}({distinct}{table}.{column})", caps[1].to_uppercase());
    if !folded.is_empty() {
        let conds: Vec<String> = folded.iter().map(Condition::sql).collect();
        sql = format!("{sql} FILTER (WHERE {})", conds.join(" AND "));
    }
    Some(Definition {
        sql,
        folded: folded.len(),
        term,
        question: question.id.clone(),
    })
}

fn proposal(ctx: &Context, defs: Vec<Definition>) -> Option<Proposal> {
    let best = defs.iter().max_by_key(|d| d.folded)?;
    let alias = best.term.core.replace(' ', "_");
    let exists = ctx.space.snippets().is_some_and(|s| {
        s.measures
            .iter()
            .any(|m| m.alias.as_deref() == Some(&alias))
    });
    if exists {
        return None;
    }
    let synonyms: BTreeSet<String> = defs
        .iter()
        .flat_map(|d| d.term.spellings())
        .filter(|s| *s != best.term.core)
        .collect();
    let targets: BTreeSet<String> = defs.iter().map(|d| d.question.clone()).collect();
    let patch = Patch::new(Op::AddSqlSnippet {
        file: ctx.space_path.to_owned(),
        kind: SnippetKind::Measure,
        snippet: Snippet {
            alias: Some(alias),
            sql: vec![best.sql.clone()],
            display_name: Some(best.term.core.clone()),
            synonyms: synonyms.into_iter().collect(),
            ..Snippet::default()
        },
    });
    let rationale = format!(
        "\"{}\" is `{}` in {}",
        best.term.core,
        best.sql,
        and_list(&targets)
    );
    Some(Proposal::new(
        "measure_snippet",
        6,
        vec![patch],
        targets,
        rationale,
    ))
}
