//! The simulator's deterministic NL-to-SQL engine: a stand-in for Genie that reads only a
//! space's metadata (and the simulated Unity Catalog), so metadata quality moves its accuracy
//! the way it moves Genie's. See `docs/simulator.md` for the pipeline and the lever contract.
//!
//! Pipeline ([`answer`]): normalize the question ([`question`]) → link values, only through
//! entity matching or description hints ([`lexicon::link_values`]) → trusted fast path over
//! examples ([`examples`]) → function routing by COMMENT → schema linking ([`lexicon`]) → slot
//! filling, metric views and join paths ([`slots`], [`joins`]) → SQL, or a clarification on a
//! tie. It never reads benchmark questions, expected SQL or function bodies.

pub mod adapter;
pub mod examples;
pub mod instructions;
pub mod joins;
pub mod knowledge;
pub mod lexicon;
pub mod question;
pub mod slots;

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::NaiveDate;

use super::answer::Answer;
use examples::Bindings;
pub use knowledge::{CatalogInfo, Knowledge, NoValues, ValueSource};
use lexicon::{Lexicon, Target, ValueLink};

/// Largest score change seeded jitter applies to a reading (enough to flip near-ties only).
pub const JITTER: f64 = 0.06;

/// Answers `question` from the knowledge alone. `as_of` pins relative dates; with a
/// `jitter_seed`, near-tie readings are perturbed deterministically per seed (Genie's
/// run-to-run variance); without one the answer is fully deterministic.
pub fn answer(k: &Knowledge, question: &str, as_of: NaiveDate, jitter_seed: Option<u64>) -> Answer {
    let q = question::parse(question, as_of);
    let values = chosen_values(lexicon::link_values(k, &q));
    let value_tokens: Vec<usize> = values.iter().flat_map(|v| v.start..v.end).collect();
    let bindings = Bindings {
        start: q.time.map(|t| t.start),
        end: q.time.map(|t| t.last_day()),
        numbers: q
            .limit
            .map(|n| n.to_string())
            .into_iter()
            .chain(q.comparisons.iter().map(|c| c.value.clone()))
            .collect(),
        values: q
            .quoted
            .iter()
            .cloned()
            .chain(values.iter().map(|v| v.literal.clone()))
            .collect(),
    };
    if let Some((i, sim)) = examples::best_example(k, &q, &value_tokens) {
        let e = &k.examples[i];
        if let Some(sql) = examples::bind_example(e, &bindings) {
            return Answer::Sql {
                sql,
                description: format!("Answered from the example \"{}\".", e.question),
                trusted: !e.params.is_empty(),
                trace: vec![format!("example: \"{}\" (similarity {sim:.2})", e.question)],
            };
        }
    }
    let lex = Lexicon::build(k);
    let routed =
        routed_function(k, &q).or_else(|| examples::best_function(k, &lex, &q).map(|(f, _)| f));
    if let Some(f) = routed {
        let func = &k.functions[f];
        if let Some(sql) = examples::call_function(func, &bindings) {
            return Answer::Sql {
                sql,
                description: format!("Calls the function {}.", knowledge::short_name(&func.name)),
                trusted: true,
                trace: vec![format!(
                    "function: {} (comment and name vocabulary)",
                    func.name
                )],
            };
        }
    }
    let taken: BTreeSet<usize> = value_tokens.iter().copied().collect();
    let mentions = lex.link(&q, &taken);
    let jitter = |t: Target| jitter_for(jitter_seed, question, t);
    let resolved = match slots::resolve(k, &mentions, &jitter) {
        Ok(r) => r,
        Err(text) => return Answer::Clarification { text },
    };
    match slots::fill(k, &q, &resolved, &values) {
        slots::Filled::Sql {
            sql,
            description,
            mut trace,
        } => {
            trace.extend(
                k.ignored_instructions
                    .iter()
                    .map(|l| format!("instruction ignored: {l}")),
            );
            Answer::Sql {
                sql,
                description,
                trusted: false,
                trace,
            }
        }
        slots::Filled::Clarify(text) => Answer::Clarification { text },
    }
}

/// Non-overlapping value links, best first.
fn chosen_values(links: Vec<ValueLink>) -> Vec<ValueLink> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for v in links {
        if (v.start..v.end).any(|i| taken.contains(&i)) {
            continue;
        }
        taken.extend(v.start..v.end);
        out.push(v);
    }
    out
}

/// A `For <words> questions use <function>` rule whose words all occur in the question.
fn routed_function(k: &Knowledge, q: &question::Question) -> Option<usize> {
    let stems: Vec<&str> = q.tokens.iter().map(|t| t.stem.as_str()).collect();
    k.rules.iter().find_map(|r| match r {
        instructions::Rule::Route { words, asset } => {
            let hit = words.iter().any(|w| {
                let parts: Vec<&str> = w.split(' ').collect();
                stems
                    .windows(parts.len())
                    .any(|win| win == parts.as_slice())
            });
            let f = k.functions.iter().position(|f| {
                knowledge::short_name(&f.name).eq_ignore_ascii_case(knowledge::short_name(asset))
            });
            if hit { f } else { None }
        }
        _ => None,
    })
}

fn jitter_for(seed: Option<u64>, question: &str, target: Target) -> f64 {
    let Some(seed) = seed else { return 0.0 };
    let mut h = DefaultHasher::new();
    (seed, question, target).hash(&mut h);
    let unit = (h.finish() % 10_000) as f64 / 10_000.0;
    (unit * 2.0 - 1.0) * JITTER
}
