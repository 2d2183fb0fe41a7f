//! Schema and value linking: which metadata objects the words of a question refer to.
//!
//! The lexicon holds one entry per name and synonym of every visible object (tables, columns,
//! metric-view fields, snippets, instruction terms). A question is scanned for n-grams (≤ 4
//! words, longest first): an exact name or synonym scores 1.0, a stem match 0.9, a single word of
//! a longer column name 0.6, a Jaro-Winkler ≥ 0.92 near-miss 0.7; words found only in
//! descriptions score 0.35 × IDF. Values link only through entity-matching dictionaries (exact
//! 1.0, case/stem 0.95) or, weakly, through "e.g." lists in descriptions (0.5), whose literal is
//! taken as written unless format assistance supplies the real casing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::instructions::Rule;
use super::knowledge::{Knowledge, SnippetKind, short_name};
use super::question::{Question, content_stems, content_words, stem};

/// A metadata object a word can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Table(usize),
    Column(usize, usize),
    MvMeasure(usize, usize),
    MvDimension(usize, usize),
    Snippet(usize),
    /// A `Define` instruction, by rule index.
    Term(usize),
}

/// One possible reading of a mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub target: Target,
    pub score: f64,
    pub evidence: &'static str,
}

/// A span of the question with its candidate readings, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Token indices `[start, end)`.
    pub start: usize,
    pub end: usize,
    /// Byte offset of the first token in the question.
    pub at: usize,
    pub words: String,
    pub candidates: Vec<Candidate>,
}

/// A literal linked to a column.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueLink {
    pub table: usize,
    pub column: usize,
    pub literal: String,
    pub score: f64,
    pub evidence: &'static str,
    /// Token indices `[start, end)`.
    pub start: usize,
    pub end: usize,
}

struct Entry {
    /// Stems of the name's content words.
    phrase: Vec<String>,
    /// The same words as written (lower case), for exact matches.
    words: Vec<String>,
    target: Target,
    weight: f64,
    evidence: &'static str,
}

/// The searchable vocabulary of a [`Knowledge`].
pub struct Lexicon {
    entries: Vec<Entry>,
    descriptions: Vec<(Target, BTreeSet<String>)>,
    idf: BTreeMap<String, f64>,
    max_idf: f64,
}

static EG_LIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\(e\.g\.,?\s*([^)]*)\)").unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

impl Lexicon {
    /// Builds the vocabulary of every visible object.
    pub fn build(k: &Knowledge) -> Self {
        let mut lex = Lexicon {
            entries: Vec::new(),
            descriptions: Vec::new(),
            idf: BTreeMap::new(),
            max_idf: 1.0,
        };
        for (t, table) in k.tables.iter().enumerate() {
            lex.add(Target::Table(t), table.short(), 0.95, "table name");
            lex.describe(Target::Table(t), &table.description);
            for (c, col) in table.columns.iter().enumerate() {
                let target = Target::Column(t, c);
                lex.add(target, &col.name, 1.0, "column name");
                let parts = content_stems(&col.name);
                if parts.len() > 1 && !col.is_key() {
                    for p in parts {
                        lex.push(vec![p], target, 0.6, "part of column name");
                    }
                }
                for s in &col.synonyms {
                    lex.add(target, s, 1.0, "column synonym");
                }
                lex.describe(target, &col.description);
            }
        }
        for (v, mv) in k.metric_views.iter().enumerate() {
            for (i, f) in mv.measures.iter().enumerate() {
                lex.field(Target::MvMeasure(v, i), f);
            }
            for (i, f) in mv.dimensions.iter().enumerate() {
                lex.field(Target::MvDimension(v, i), f);
            }
        }
        for (i, s) in k.snippets.iter().enumerate() {
            let target = Target::Snippet(i);
            lex.add(target, &s.alias, 1.0, "snippet alias");
            lex.add(target, &s.display_name, 1.0, "snippet name");
            for syn in &s.synonyms {
                lex.add(target, syn, 1.0, "snippet synonym");
            }
            lex.describe(target, &s.instruction);
        }
        for (i, rule) in k.rules.iter().enumerate() {
            match rule {
                Rule::Define { term, .. } => {
                    lex.push(split(term), Target::Term(i), 1.05, "instruction term");
                }
                Rule::UseColumn {
                    table,
                    column,
                    words,
                } => {
                    let found = k
                        .table(table)
                        .and_then(|t| Some((t, k.tables[t].column(column)?)));
                    if let Some((t, c)) = found {
                        for w in words {
                            lex.push(split(w), Target::Column(t, c), 1.05, "instruction");
                        }
                    }
                }
                _ => {}
            }
        }
        lex.compute_idf();
        lex
    }

    fn field(&mut self, target: Target, f: &super::knowledge::MetricFieldInfo) {
        // A name that loses words to stopwords ("avg_rating" → "rating") is a weaker claim.
        let full = content_stems(&f.name).len() == f.name.split('_').count();
        self.add(
            target,
            &f.name,
            if full { 1.0 } else { 0.8 },
            "metric view field",
        );
        for s in &f.synonyms {
            self.add(target, s, 1.0, "metric view synonym");
        }
        self.describe(target, &f.comment);
    }

    fn add(&mut self, target: Target, text: &str, weight: f64, evidence: &'static str) {
        let phrase = content_stems(text);
        let words = content_words(text);
        if !phrase.is_empty() && words.len() == phrase.len() {
            self.push_words(phrase, words, target, weight, evidence);
        }
    }

    /// An entry known only by its stems (instruction terms are stored stemmed).
    fn push(&mut self, phrase: Vec<String>, target: Target, weight: f64, evidence: &'static str) {
        let words = phrase.clone();
        self.push_words(phrase, words, target, weight, evidence);
    }

    fn push_words(
        &mut self,
        phrase: Vec<String>,
        words: Vec<String>,
        target: Target,
        weight: f64,
        evidence: &'static str,
    ) {
        if !phrase.is_empty() && phrase.len() <= 4 {
            self.entries.push(Entry {
                phrase,
                words,
                target,
                weight,
                evidence,
            });
        }
    }

    fn describe(&mut self, target: Target, text: &str) {
        let without_examples = EG_LIST.replace_all(text, " ");
        let words: BTreeSet<String> = content_stems(&without_examples).into_iter().collect();
        if !words.is_empty() {
            self.descriptions.push((target, words));
        }
    }

    fn compute_idf(&mut self) {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        let docs = self.descriptions.len() + self.entries.len();
        for (_, words) in &self.descriptions {
            for w in words {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        for e in &self.entries {
            for w in &e.phrase {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let n = docs.max(1) as f64;
        self.max_idf = (n + 1.0).ln().max(1.0);
        self.idf = df
            .into_iter()
            .map(|(w, d)| (w, ((n + 1.0) / (d as f64 + 0.5)).ln().max(0.0)))
            .collect();
    }

    /// Inverse document frequency of a stem, normalized to `[0, 1]` (unknown words score 1).
    pub fn idf(&self, stem: &str) -> f64 {
        self.idf
            .get(stem)
            .map_or(1.0, |v| (v / self.max_idf).min(1.0))
    }

    /// Whether the stem is a word of some visible table or column name.
    pub fn is_schema_word(&self, stem: &str) -> bool {
        self.entries.iter().any(|e| {
            matches!(e.target, Target::Table(_) | Target::Column(..))
                && e.phrase.iter().any(|p| p == stem)
        })
    }

    /// Links the question's words to metadata, skipping tokens already taken by values.
    pub fn link(&self, q: &Question, taken: &BTreeSet<usize>) -> Vec<Mention> {
        let n = q.tokens.len();
        let mut used = taken.clone();
        let mut mentions = Vec::new();
        for len in (1..=4).rev() {
            for start in 0..n.saturating_sub(len - 1) {
                let end = start + len;
                if (start..end).any(|i| used.contains(&i)) {
                    continue;
                }
                let stems: Vec<&str> = q.tokens[start..end]
                    .iter()
                    .map(|t| t.stem.as_str())
                    .collect();
                let lowers: Vec<&str> = q.tokens[start..end]
                    .iter()
                    .map(|t| t.lower.as_str())
                    .collect();
                let candidates = self.phrase_candidates(&stems, &lowers);
                if candidates.is_empty() {
                    continue;
                }
                used.extend(start..end);
                mentions.push(self.mention(q, start, end, candidates));
            }
        }
        for i in 0..n {
            if used.contains(&i) {
                continue;
            }
            let token = &q.tokens[i];
            let mut candidates = self.fuzzy_candidates(&token.lower);
            if candidates.is_empty() {
                candidates = self.description_candidates(&token.stem);
            }
            if !candidates.is_empty() {
                mentions.push(self.mention(q, i, i + 1, candidates));
            }
        }
        mentions.sort_by_key(|m| m.start);
        mentions
    }

    fn mention(
        &self,
        q: &Question,
        start: usize,
        end: usize,
        mut candidates: Vec<Candidate>,
    ) -> Mention {
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.target.cmp(&b.target)));
        candidates.dedup_by(|b, a| a.target == b.target);
        Mention {
            start,
            end,
            at: q.tokens[start].at,
            words: q.tokens[start..end]
                .iter()
                .map(|t| t.lower.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            candidates,
        }
    }

    fn phrase_candidates(&self, stems: &[&str], lowers: &[&str]) -> Vec<Candidate> {
        self.entries
            .iter()
            .filter(|e| {
                e.phrase.len() == stems.len() && e.phrase.iter().zip(stems).all(|(a, b)| a == b)
            })
            .map(|e| {
                let exact = e.words.iter().zip(lowers).all(|(a, b)| a == b)
                    || e.phrase.iter().zip(lowers).all(|(a, b)| a == b);
                Candidate {
                    target: e.target,
                    score: if exact { e.weight } else { e.weight * 0.9 },
                    evidence: e.evidence,
                }
            })
            .collect()
    }

    fn fuzzy_candidates(&self, lower: &str) -> Vec<Candidate> {
        if lower.len() < 5 || lower.chars().all(|c| c.is_ascii_digit()) {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| e.phrase.len() == 1 && e.weight >= 1.0)
            .filter(|e| strsim::jaro_winkler(&e.phrase[0], lower) >= 0.92)
            .map(|e| Candidate {
                target: e.target,
                score: 0.7,
                evidence: "near-miss spelling",
            })
            .collect()
    }

    fn description_candidates(&self, stem: &str) -> Vec<Candidate> {
        let weight = 0.35 * self.idf(stem);
        if weight < 0.1 {
            return Vec::new();
        }
        self.descriptions
            .iter()
            .filter(|(_, words)| words.contains(stem))
            .map(|(target, _)| Candidate {
                target: *target,
                score: weight,
                evidence: "description word",
            })
            .collect()
    }
}

fn split(phrase: &str) -> Vec<String> {
    phrase.split_whitespace().map(str::to_owned).collect()
}

/// Links literals: entity-matching dictionaries first, then "e.g." hints in descriptions.
pub fn link_values(k: &Knowledge, q: &Question) -> Vec<ValueLink> {
    let mut links = Vec::new();
    let n = q.tokens.len();
    for (t, table) in k.tables.iter().enumerate() {
        for (c, col) in table.columns.iter().enumerate() {
            let hints = if col.values.is_empty() {
                description_examples(&col.description)
            } else {
                Vec::new()
            };
            for len in (1..=3).rev() {
                for start in 0..n.saturating_sub(len - 1) {
                    let end = start + len;
                    let words = &q.tokens[start..end];
                    let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
                    let text = text.join(" ");
                    let stems: Vec<&str> = words.iter().map(|w| w.stem.as_str()).collect();
                    let stems = stems.join(" ");
                    let found = match_value(&col.values, &text, &stems)
                        .map(|(v, s)| (v, s, "entity matching"))
                        .or_else(|| {
                            match_value(&hints, &text, &stems).map(|(v, _)| {
                                (follow_format(&v, &col.samples), 0.5, "description example")
                            })
                        });
                    if let Some((literal, score, evidence)) = found {
                        links.push(ValueLink {
                            table: t,
                            column: c,
                            literal,
                            score,
                            evidence,
                            start,
                            end,
                        });
                    }
                }
            }
        }
    }
    links.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then((a.table, a.column).cmp(&(b.table, b.column)))
    });
    links
}

fn match_value(values: &[String], text: &str, stems: &str) -> Option<(String, f64)> {
    if let Some(v) = values.iter().find(|v| v.as_str() == text) {
        return Some((v.clone(), 1.0));
    }
    values
        .iter()
        .find(|v| {
            v.eq_ignore_ascii_case(text) || content_stems(v).join(" ") == stems && !stems.is_empty()
        })
        .map(|v| (v.clone(), 0.95))
}

/// Values listed as "(e.g., a, b, c)" in a description.
pub fn description_examples(description: &str) -> Vec<String> {
    EG_LIST
        .captures_iter(description)
        .filter_map(|c| c.get(1))
        .flat_map(|m| {
            m.as_str()
                .split(',')
                .flat_map(|p| p.split(" or "))
                .map(|p| p.trim().trim_matches(['\'', '"', '.', ' ']).to_owned())
                .filter(|p| !p.is_empty() && p.len() <= 40)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// With format assistance, a hinted literal takes the casing the sampled values use.
fn follow_format(literal: &str, samples: &[String]) -> String {
    if let Some(real) = samples.iter().find(|s| s.eq_ignore_ascii_case(literal)) {
        return real.clone();
    }
    let all_lower = !samples.is_empty() && samples.iter().all(|s| s.to_lowercase() == *s);
    let all_upper = !samples.is_empty() && samples.iter().all(|s| s.to_uppercase() == *s);
    if all_lower {
        literal.to_lowercase()
    } else if all_upper {
        literal.to_uppercase()
    } else {
        literal.to_owned()
    }
}

/// A readable name for a target, for traces and clarifications.
pub fn describe(k: &Knowledge, target: Target) -> String {
    match target {
        Target::Table(t) => k.tables[t].short().to_owned(),
        Target::Column(t, c) => format!("{}.{}", k.tables[t].short(), k.tables[t].columns[c].name),
        Target::MvMeasure(v, i) => format!(
            "{}.{}",
            short_name(&k.metric_views[v].name),
            k.metric_views[v].measures[i].name
        ),
        Target::MvDimension(v, i) => format!(
            "{}.{}",
            short_name(&k.metric_views[v].name),
            k.metric_views[v].dimensions[i].name
        ),
        Target::Snippet(i) => {
            let s = &k.snippets[i];
            let kind = match s.kind {
                SnippetKind::Filter => "filter",
                SnippetKind::Expression => "expression",
                SnippetKind::Measure => "measure",
            };
            format!(
                "{kind} snippet `{}`",
                if s.display_name.is_empty() {
                    &s.alias
                } else {
                    &s.display_name
                }
            )
        }
        Target::Term(i) => match &k.rules[i] {
            Rule::Define { term, .. } => format!("instruction term \"{term}\""),
            _ => "instruction".to_owned(),
        },
    }
}

/// Stem of a table's short name (e.g. `bookings` → `book`), for naming conventions.
pub fn table_stem(name: &str) -> String {
    stem(short_name(name))
}
