//! A filter every query of a table needs, never stated in questions → an `Always filter`
//! instruction (lever 6).
//!
//! Fires when a failing answer lacks a gold condition whose column and value the question never
//! mentions, and *every* train gold query that reads the table applies the same condition (at
//! least two of them): it is a business rule of the table, not of the question. Example: every
//! gold query on `reviews` has `NOT reviews.is_deleted` → `Always filter reviews.is_deleted =
//! FALSE`. Risk medium: the rule applies to every question on the table.

use std::collections::{BTreeMap, BTreeSet};

use crate::patch::{Op, Patch, Risk};

use super::super::context::Context;
use super::super::phrase::{mentions_literal, words};
use super::super::proposal::Proposal;
use super::{Condition, and_list, conditions};

/// Proposals for lever 6.
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 6 {
        return Vec::new();
    }
    let mut rules: BTreeMap<Condition, BTreeSet<String>> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        let actual = case.actual().map(conditions).unwrap_or_default();
        for gold in conditions(&question.gold) {
            if actual.contains(&gold) || stated(&question.text, &gold) {
                continue;
            }
            if is_table_rule(ctx, &gold) {
                rules.entry(gold).or_default().insert(question.id.clone());
            }
        }
    }
    rules
        .into_iter()
        .map(|(condition, targets)| proposal(ctx, &condition, targets))
        .collect()
}

/// Whether every train gold query reading the condition's table applies it (two at least).
pub(crate) fn is_table_rule(ctx: &Context, condition: &Condition) -> bool {
    let readers = ctx.golds_reading(&condition.table);
    readers.len() >= 2
        && readers
            .iter()
            .all(|q| conditions(&q.gold).contains(condition))
}

/// Whether the question states the condition (names its literal or its column's words).
pub(crate) fn stated(question: &str, condition: &Condition) -> bool {
    let literal = condition.literal().unwrap_or(&condition.value);
    let column_words = words(&condition.column).join(" ");
    mentions_literal(question, literal) || mentions_literal(question, &column_words)
}

fn proposal(ctx: &Context, condition: &Condition, targets: BTreeSet<String>) -> Proposal {
    let line = format!("- Always filter {}\n", condition.sql());
    let patch = Patch {
        risk: Risk::Medium,
        ..Patch::new(Op::AppendTextInstruction {
            file: ctx.space_path.to_owned(),
            lines: vec![line],
        })
    };
    let rationale = format!(
        "every train query on {} filters `{}`; the answers to {} did not",
        condition.table,
        condition.sql(),
        and_list(&targets)
    );
    Proposal::new("default_filter", 6, vec![patch], targets, rationale)
}
