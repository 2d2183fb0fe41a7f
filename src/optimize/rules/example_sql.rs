//! Last resort → a parameterized example SQL (lever 6), only when the settings allow a train
//! benchmark's expected SQL to be copied, and only for train questions no other rule targets.
//!
//! The literals the question states (numbers, and strings it names) become typed `:params` in
//! both the example question and its SQL, so the example is a trusted asset that answers the
//! whole family of questions ("more than :n_orders orders"), not the benchmark alone; a
//! question with no such literal gets no example (that would only memorize the answer). The SQL
//! keeps the repository's template variables. Example: "Which customers have more than 3
//! orders?" → question "Which customers have more than :n_orders orders?", `HAVING COUNT(*) >
//! :n_orders`, parameter `n_orders INTEGER`.

use std::collections::BTreeSet;

use crate::model::space::{ExampleParameter, ExampleQuestionSql, to_lines};
use crate::patch::{Op, Patch};

use super::super::case::Question;
use super::super::context::Context;
use super::super::phrase::{Class, tokenize};
use super::super::proposal::Proposal;
use super::{conditions, ids};

/// Proposals for lever 6, for failing train questions outside `targeted`.
pub fn propose(lever: u8, ctx: &Context, targeted: &BTreeSet<String>) -> Vec<Proposal> {
    if lever != 6 || !ctx.settings.allow_benchmark_examples {
        return Vec::new();
    }
    ctx.failures
        .iter()
        .filter(|(q, _)| !targeted.contains(&q.id))
        .filter_map(|(q, _)| proposal(ctx, q))
        .collect()
}

fn proposal(ctx: &Context, question: &Question) -> Option<Proposal> {
    let mut text = question.text.clone();
    let mut sql = question.template_sql.trim().to_owned();
    let mut parameters = Vec::new();
    let tokens = tokenize(&question.text);
    for (i, token) in tokens.iter().enumerate() {
        if token.class != Class::Number || token.word.len() == 4 {
            continue; // years are dates, not parameters
        }
        let noun = tokens[i + 1..]
            .iter()
            .find(|t| t.class == Class::Content)
            .map_or("value", |t| t.word.as_str());
        let name = format!("n_{noun}");
        let (Some(q), Some(s)) = (
            replace_word(&text, &token.word, &format!(":{name}")),
            replace_word(&sql, &token.word, &format!(":{name}")),
        ) else {
            continue;
        };
        (text, sql) = (q, s);
        parameters.push(parameter(&name, "INTEGER"));
    }
    for condition in conditions(&question.gold) {
        let Some(literal) = condition.literal() else {
            continue;
        };
        let name = condition.column.clone();
        let quoted = format!("'{literal}'");
        if let (Some(q), true) = (
            replace_word(&text, literal, &format!(":{name}")),
            sql.contains(&quoted),
        ) {
            text = q;
            sql = sql.replace(&quoted, &format!(":{name}"));
            parameters.push(parameter(&name, "STRING"));
        }
    }
    if parameters.is_empty() {
        return None;
    }
    let patch = Patch::new(Op::AddExampleSql {
        file: ctx.space_path.to_owned(),
        example: ExampleQuestionSql {
            question: vec![text.clone()],
            sql: to_lines(&sql),
            parameters,
            ..ExampleQuestionSql::default()
        },
    });
    Some(Proposal::new(
        "example_sql",
        6,
        vec![patch],
        ids([question.id.as_str()]),
        format!("trusted example \"{text}\" (copied from a train benchmark, parameterized)"),
    ))
}

fn parameter(name: &str, type_hint: &str) -> ExampleParameter {
    ExampleParameter {
        name: name.to_owned(),
        type_hint: Some(type_hint.to_owned()),
        ..ExampleParameter::default()
    }
}

/// Replaces the first whole-word occurrence of `word` (case-insensitive); `None` when absent.
fn replace_word(text: &str, word: &str, with: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let needle = word.to_lowercase();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_');
    let mut from = 0;
    while let Some(found) = lower.get(from..)?.find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        if boundary(lower[..start].chars().next_back()) && boundary(lower[end..].chars().next()) {
            // Lower-casing keeps byte offsets for ASCII words; refuse anything else.
            if text.len() != lower.len() {
                return None;
            }
            return Some(format!("{}{with}{}", &text[..start], &text[end..]));
        }
        from = end;
    }
    None
}
