//! The trusted fast path: retrieving a worked example or a table function for a question.
//!
//! Examples are ranked by BM25 over their question and `usage_guidance`, with literals masked
//! (`<num>`, `<date>`, `<val>`), as DAIL-SQL selects examples by masked-question similarity. An
//! example whose score reaches [`TAU_EXAMPLE`] of its own question's self-score is used: a
//! parameterized one binds its `:params` from the question (trusted), a plain one is used
//! verbatim only when neither side carries literals. Functions are routed by the words their
//! name, COMMENT and parameter comments share with the question — never by their body.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::knowledge::{KExample, KFunction, Knowledge};
use super::lexicon::Lexicon;
use super::question::{Question, content_stems};

/// Share of an example's self-score a question must reach to be answered by it.
pub const TAU_EXAMPLE: f64 = 0.72;
/// Share of the question's word weight a function's vocabulary must cover.
pub const TAU_FUNCTION: f64 = 0.45;

/// The literals a question offers for binding.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    pub start: Option<NaiveDate>,
    /// Inclusive last day.
    pub end: Option<NaiveDate>,
    pub numbers: Vec<String>,
    pub values: Vec<String>,
}

fn masked_question(q: &Question, value_tokens: &[usize]) -> Vec<String> {
    let mut words: Vec<String> = q
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if value_tokens.contains(&i) {
                "<val>".to_owned()
            } else if t.lower.chars().all(|c| c.is_ascii_digit() || c == '.') {
                "<num>".to_owned()
            } else {
                t.stem.clone()
            }
        })
        .collect();
    if q.time.is_some() {
        words.push("<date>".to_owned());
    }
    if q.limit.is_some() || !q.comparisons.is_empty() {
        words.push("<num>".to_owned());
    }
    if !q.quoted.is_empty() {
        words.push("<val>".to_owned());
    }
    words.dedup();
    words
}

/// Masks an example's text: `:params` by type, digits as numbers, years as dates.
fn masked_example(e: &KExample) -> Vec<String> {
    let mut text = format!("{} {}", e.question, e.usage_guidance);
    for p in &e.params {
        let mask = match p
            .type_hint
            .as_deref()
            .unwrap_or("STRING")
            .to_ascii_uppercase()
            .as_str()
        {
            "DATE" | "TIMESTAMP" => " xxdate ",
            "INTEGER" | "INT" | "BIGINT" | "DECIMAL" | "DOUBLE" | "FLOAT" => " xxnum ",
            _ => " xxval ",
        };
        text = text.replace(&format!(":{}", p.name), mask);
    }
    content_stems(&text)
        .into_iter()
        .map(|w| match w.as_str() {
            "xxdate" => "<date>".to_owned(),
            "xxnum" => "<num>".to_owned(),
            "xxval" => "<val>".to_owned(),
            w if w.len() == 4 && w.starts_with("20") && w.chars().all(|c| c.is_ascii_digit()) => {
                "<date>".to_owned()
            }
            w if w.chars().all(|c| c.is_ascii_digit()) => "<num>".to_owned(),
            _ => w,
        })
        .collect()
}

struct Bm25 {
    docs: Vec<Vec<String>>,
    df: BTreeMap<String, usize>,
    avg_len: f64,
}

impl Bm25 {
    fn new(docs: Vec<Vec<String>>) -> Self {
        let mut df = BTreeMap::new();
        for d in &docs {
            let mut seen: Vec<&String> = d.iter().collect();
            seen.sort();
            seen.dedup();
            for w in seen {
                *df.entry(w.clone()).or_insert(0) += 1;
            }
        }
        let avg_len = docs.iter().map(Vec::len).sum::<usize>() as f64 / docs.len().max(1) as f64;
        Self { docs, df, avg_len }
    }

    fn score(&self, query: &[String], doc: usize) -> f64 {
        let (k1, b) = (1.2, 0.75);
        let n = self.docs.len() as f64;
        let d = &self.docs[doc];
        let len = d.len() as f64;
        query
            .iter()
            .map(|w| {
                let tf = d.iter().filter(|x| *x == w).count() as f64;
                if tf == 0.0 {
                    return 0.0;
                }
                let df = *self.df.get(w).unwrap_or(&0) as f64;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len / self.avg_len.max(1.0)))
            })
            .sum()
    }
}

/// The best example for the question, with its similarity, if it clears [`TAU_EXAMPLE`].
pub fn best_example(k: &Knowledge, q: &Question, value_tokens: &[usize]) -> Option<(usize, f64)> {
    if k.examples.is_empty() {
        return None;
    }
    let docs: Vec<Vec<String>> = k.examples.iter().map(masked_example).collect();
    let selves: Vec<Vec<String>> = k
        .examples
        .iter()
        .map(|e| {
            let mut own = masked_example(&KExample {
                usage_guidance: String::new(),
                ..e.clone()
            });
            own.dedup();
            own
        })
        .collect();
    let index = Bm25::new(docs);
    let query = masked_question(q, value_tokens);
    (0..k.examples.len())
        .map(|i| {
            let own = index.score(&selves[i], i).max(f64::EPSILON);
            (i, index.score(&query, i) / own)
        })
        .filter(|(_, s)| *s >= TAU_EXAMPLE)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// Binds an example's `:params` from the question; `None` when one cannot be bound.
pub fn bind_example(e: &KExample, b: &Bindings) -> Option<String> {
    let mut sql = e.sql.clone();
    let mut numbers = b.numbers.iter();
    let mut values = b.values.iter();
    let mut params = e.params.clone();
    // Longer names first so `:start` never clobbers `:start_date`.
    params.sort_by_key(|p| std::cmp::Reverse(p.name.len()));
    for p in &params {
        let default = p
            .default_value
            .as_ref()
            .and_then(|d| d.values.first())
            .cloned();
        let kind = p
            .type_hint
            .as_deref()
            .unwrap_or("STRING")
            .to_ascii_uppercase();
        let literal = match kind.as_str() {
            "DATE" | "TIMESTAMP" => date_for(&p.name, b)
                .map(|d| format!("'{d}'"))
                .or(default.map(|d| format!("'{d}'")))?,
            "INTEGER" | "INT" | "BIGINT" | "DECIMAL" | "DOUBLE" | "FLOAT" => {
                numbers.next().cloned().or(default)?
            }
            _ => format!(
                "'{}'",
                values.next().cloned().or(default)?.replace('\'', "''")
            ),
        };
        sql = sql.replace(&format!(":{}", p.name), &literal);
    }
    Some(sql)
}

fn date_for(name: &str, b: &Bindings) -> Option<NaiveDate> {
    let n = name.to_ascii_lowercase();
    if n.contains("end") || n.contains("to") || n.contains("until") {
        b.end
    } else {
        b.start
    }
}

/// The function whose vocabulary best covers the question, if any covers enough of it and
/// shares at least one word that is not a table or column name.
pub fn best_function(k: &Knowledge, lex: &Lexicon, q: &Question) -> Option<(usize, f64)> {
    let words: Vec<&str> = {
        let mut w: Vec<&str> = q.tokens.iter().map(|t| t.stem.as_str()).collect();
        w.sort();
        w.dedup();
        w.retain(|s| !s.chars().all(|c| c.is_ascii_digit()));
        w
    };
    let total: f64 = words.iter().map(|w| lex.idf(w)).sum();
    if total <= 0.0 {
        return None;
    }
    k.functions
        .iter()
        .enumerate()
        .filter(|(_, f)| grain_mentioned(f, &words))
        .filter_map(|(i, f)| {
            let vocab = function_vocabulary(f);
            let shared: Vec<&&str> = words
                .iter()
                .filter(|w| vocab.iter().any(|v| v == **w))
                .collect();
            let distinctive = shared.iter().any(|w| !lex.is_schema_word(w));
            let coverage = shared.iter().map(|w| lex.idf(w)).sum::<f64>() / total;
            (distinctive && coverage >= TAU_FUNCTION).then_some((i, coverage))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// A function named `<what>_by_<grain>` answers per-grain questions only: the grain words
/// after `by` must occur in the question (a plain total is not "revenue by destination").
fn grain_mentioned(f: &KFunction, question_stems: &[&str]) -> bool {
    let name = super::knowledge::short_name(&f.name).to_ascii_lowercase();
    let parts: Vec<&str> = name.split('_').collect();
    let Some(by) = parts.iter().position(|p| *p == "by") else {
        return true;
    };
    parts
        .get(by + 1..)
        .unwrap_or_default()
        .iter()
        .map(|p| super::question::stem(p))
        .all(|g| question_stems.contains(&g.as_str()))
}

fn function_vocabulary(f: &KFunction) -> Vec<String> {
    let mut text = format!("{} {}", super::knowledge::short_name(&f.name), f.comment);
    for p in &f.params {
        text.push(' ');
        text.push_str(&p.comment);
    }
    let mut v = content_stems(&text);
    v.retain(|w| {
        !matches!(
            w.as_str(),
            "get" | "date" | "start" | "end" | "return" | "param"
        )
    });
    v
}

/// `SELECT * FROM fn(args)`, binding dates and a top-N; `None` when a required one is missing.
pub fn call_function(f: &KFunction, b: &Bindings) -> Option<String> {
    let mut args = Vec::new();
    let mut numbers = b.numbers.iter();
    for p in &f.params {
        let kind = p.data_type.to_ascii_uppercase();
        let arg = if kind == "DATE" || kind == "TIMESTAMP" || p.name.contains("date") {
            date_for(&p.name, b).map(|d| format!("'{d}'"))
        } else if kind.contains("INT") {
            numbers.next().cloned()
        } else {
            b.values
                .first()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
        };
        match (arg, &p.default) {
            (Some(a), _) => args.push(a),
            (None, Some(_)) => break,
            (None, None) => return None,
        }
    }
    Some(format!("SELECT * FROM {}({})", f.name, args.join(", ")))
}
