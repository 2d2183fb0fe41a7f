//! Wrong or missing filter literal → entity matching and format assistance on the column
//! (lever 6, the space's column config: prompt matching is a space setting).
//!
//! Fires when the gold filters `column = 'literal'` and Genie either wrote another spelling of
//! the same literal (`'Apartment'` for `'apartment'`) or left the filter out although the
//! question names the literal ("How many orders from CA?"): Genie could not see the column's
//! values. Example: gold `WHERE destinations.state_code = 'CA'`, question "… in CA?", answer
//! unfiltered → `set_column_format_assistance` and `set_column_entity_matching` on
//! `destinations.state_code`.

use std::collections::{BTreeMap, BTreeSet};

use crate::patch::{ColumnRef, Op, Patch};

use super::super::context::Context;
use super::super::phrase::mentions_literal;
use super::super::proposal::Proposal;
use super::{and_list, conditions};

/// Proposals for lever 6.
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 6 {
        return Vec::new();
    }
    let mut columns: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        let actual = case.actual().map(conditions).unwrap_or_default();
        for gold in conditions(&question.gold) {
            let Some(literal) = gold.literal() else {
                continue;
            };
            if gold.op != "=" {
                continue;
            }
            let same_column = actual
                .iter()
                .find(|a| a.table == gold.table && a.column == gold.column);
            let misspelled = same_column.is_some_and(|a| {
                a.literal()
                    .is_some_and(|l| l != literal && l.eq_ignore_ascii_case(literal))
            });
            let unlinked = same_column.is_none() && mentions_literal(&question.text, literal);
            if misspelled || unlinked {
                columns
                    .entry((gold.table.clone(), gold.column.clone()))
                    .or_default()
                    .insert(question.id.clone());
            }
        }
    }
    columns
        .into_iter()
        .filter_map(|((table, column), targets)| proposal(ctx, &table, &column, targets))
        .collect()
}

fn proposal(
    ctx: &Context,
    table: &str,
    column: &str,
    targets: BTreeSet<String>,
) -> Option<Proposal> {
    let source = ctx.source(table)?;
    let config = ctx.column_config(table, column);
    let at = ColumnRef {
        file: ctx.space_path.to_owned(),
        table: source.identifier.clone(),
        column: column.to_owned(),
    };
    let mut patches = Vec::new();
    let format = config.and_then(|c| c.enable_format_assistance);
    if format != Some(true) {
        patches.push(Patch::new(Op::SetColumnFormatAssistance {
            column: at.clone(),
            old: format,
            new: Some(true),
        }));
    }
    let entity = config.and_then(|c| c.enable_entity_matching);
    if entity != Some(true) {
        patches.push(Patch::new(Op::SetColumnEntityMatching {
            column: at,
            old: entity,
            new: Some(true),
        }));
    }
    let rationale = format!(
        "{table}.{column}: filter literals were not matched to the column's values in {}",
        and_list(&targets)
    );
    Some(Proposal::new(
        "entity_matching",
        6,
        patches,
        targets,
        rationale,
    ))
}
