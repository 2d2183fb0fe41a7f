//! A function Genie did not call → the users' words in the function's `COMMENT` (lever 3, when
//! the repository has the function's SQL file), then, if the failure persists, a routing
//! instruction `For <words> questions use <function>` (lever 6); an unregistered function is
//! registered first.
//!
//! Fires when the gold reads a table function and Genie did not. The words are the question's
//! content words the function's name does not explain. A word that other train questions (not
//! answered by this function) also use is too broad on its own: in a COMMENT, which is read as
//! a bag of words, it would pull those questions to the function, so lever 3 leaves it out; the
//! routing instruction widens it to the nearest word the name does explain ("revenue" → "hosts
//! by revenue"), which matches only questions with that phrase. Example: "How full were our
//! rooms in May?" with gold `get_room_occupancy(…)` → COMMENT gains "BEST FOR: full".

use std::collections::{BTreeMap, BTreeSet};

use crate::model::space::SqlFunctionRef;
use crate::patch::{Op, Patch, Risk};
use crate::sql::analyze::AssetKind;

use super::super::case::Question;
use super::super::context::{Context, short};
use super::super::phrase::{Class, Token, name_stems, tokenize};
use super::super::proposal::Proposal;
use super::and_list;
use super::term_synonym::quoted;

#[derive(Default)]
struct Fix {
    /// Phrases distinctive enough for the COMMENT, and their questions.
    distinctive: BTreeSet<String>,
    distinctive_targets: BTreeSet<String>,
    phrases: BTreeSet<String>,
    targets: BTreeSet<String>,
}

/// The question's words for a function.
struct Phrase {
    text: String,
    /// Other train questions use all of its unexplained words: widened, never a COMMENT word.
    broad: bool,
}

/// Proposals for lever 3 (function comments) or lever 6 (routing instructions).
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 3 && lever != 6 {
        return Vec::new();
    }
    let mut fixes: BTreeMap<String, Fix> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        let read = |t: &&crate::sql::analyze::TableRef| t.kind == AssetKind::Function;
        let used: BTreeSet<String> = case
            .actual()
            .map(|a| {
                a.tables
                    .iter()
                    .filter(read)
                    .map(|t| t.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        for function in question.gold.tables.iter().filter(read) {
            if used.contains(&function.name) {
                continue;
            }
            if let Some(p) = phrase(ctx, question, &function.name) {
                let fix = fixes.entry(function.name.clone()).or_default();
                if !p.broad {
                    fix.distinctive.insert(p.text.clone());
                    fix.distinctive_targets.insert(question.id.clone());
                }
                fix.phrases.insert(p.text);
                fix.targets.insert(question.id.clone());
            }
        }
    }
    fixes
        .into_iter()
        .filter_map(|(function, fix)| proposal(lever, ctx, &function, fix))
        .collect()
}

/// The question's words for the function, widened when they are too common alone.
fn phrase(ctx: &Context, question: &Question, function: &str) -> Option<Phrase> {
    let name = name_stems(function);
    let tokens = tokenize(&question.text);
    let content = |t: &Token| t.class == Class::Content;
    let unexplained: Vec<usize> = (0..tokens.len())
        .filter(|&i| content(&tokens[i]) && !name.contains(&tokens[i].stem))
        .collect();
    let (&first, &last) = (unexplained.first()?, unexplained.last()?);
    let broad = unexplained
        .iter()
        .all(|&i| used_elsewhere(ctx, question, function, &tokens[i].stem));
    let (mut start, mut end) = (first, last);
    if broad {
        let anchor = (0..tokens.len())
            .filter(|&i| name.contains(&tokens[i].stem))
            .min_by_key(|&i| i.abs_diff(first).min(i.abs_diff(last)))?;
        start = start.min(anchor);
        end = end.max(anchor);
    }
    let words: Vec<&str> = tokens[start..=end]
        .iter()
        .map(|t| t.word.as_str())
        .collect();
    Some(Phrase {
        text: words.join(" "),
        broad,
    })
}

/// Whether another train question, not answered by `function`, uses the word.
fn used_elsewhere(ctx: &Context, question: &Question, function: &str, stem: &str) -> bool {
    ctx.questions.iter().any(|q| {
        q.id != question.id
            && !q.gold.tables.iter().any(|t| t.name == function)
            && tokenize(&q.text).iter().any(|t| t.stem == stem)
    })
}

fn proposal(lever: u8, ctx: &Context, function: &str, fix: Fix) -> Option<Proposal> {
    let file = ctx
        .lever_enabled(3)
        .then(|| ctx.function_file(function))
        .flatten();
    let join = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
    let patches = match (lever, file) {
        (3, Some((path, old))) if !fix.distinctive.is_empty() => {
            let addition = format!("BEST FOR: {}.", join(&fix.distinctive));
            let new = match &old {
                Some(text) if !text.trim().is_empty() => format!("{} {addition}", text.trim()),
                _ => addition,
            };
            vec![Patch::new(Op::SetFunctionComment {
                file: path,
                old,
                new: Some(new),
            })]
        }
        (6, _) => routing(ctx, function, &join(&fix.phrases)),
        _ => return None,
    };
    let (words, targets) = if lever == 3 {
        (&fix.distinctive, fix.distinctive_targets.clone())
    } else {
        (&fix.phrases, fix.targets.clone())
    };
    let rationale = format!(
        "{} should call {function} in {}",
        quoted(words),
        and_list(&targets)
    );
    Some(Proposal::new(
        "function_routing",
        lever,
        patches,
        targets,
        rationale,
    ))
}

fn routing(ctx: &Context, function: &str, words: &str) -> Vec<Patch> {
    let mut patches = Vec::new();
    if ctx.function_identifier(function).is_none() {
        let Some(table) = ctx.space.tables().first() else {
            return patches;
        };
        let prefix = table
            .identifier
            .rsplit_once('.')
            .map(|(p, _)| p)
            .unwrap_or("");
        patches.push(Patch::new(Op::AddSqlFunction {
            file: ctx.space_path.to_owned(),
            function: SqlFunctionRef {
                identifier: format!("{prefix}.{function}"),
                ..SqlFunctionRef::default()
            },
        }));
    }
    patches.push(Patch {
        risk: Risk::Medium,
        ..Patch::new(Op::AppendTextInstruction {
            file: ctx.space_path.to_owned(),
            lines: vec![format!("- For {words} questions use {}\n", short(function))],
        })
    });
    patches
}
