//! Template variables: `${catalog}`, `${gold_schema}`, `${var.name}`, `${bundle.target}`, ….
//!
//! Repository files keep templates; API calls and SQL execution need them resolved for one
//! target. [`resolve`] substitutes every reference and fails, naming each unknown variable, when
//! one has no value. [`restore`] goes the other way when writing an edited, resolved text back to
//! the repository.
//!
//! # Names
//! A reference is `${` + a name made of letters, digits, `_`, `-` and `.` + `}`. Anything else
//! (`${`, `$x`, `${ a }`) is ordinary text. There is no escape syntax, as in Databricks bundles.
//!
//! # Restoring
//! Resolving loses information: once `${catalog}` became `main`, the word `main` could have come
//! from the template or from the author. [`restore`] therefore takes the templated original as
//! well, and works line by line:
//! - a line the edit did not change is copied from the original, so restoring the unedited
//!   output of [`resolve`] gives back the original exactly;
//! - in a changed or added line, a variable's value is turned back into its reference where it
//!   stands alone as a word (not inside a longer identifier), but only for variables the original
//!   already referenced and only when no other such variable has the same value (ambiguous
//!   values stay literal, since either choice could be wrong). Longer values are restored first.

use std::collections::BTreeMap;
use std::fmt;

use similar::{Algorithm, DiffOp, capture_diff_slices};

/// Values of template variables for one target, keyed by the full reference name
/// (`catalog`, `var.warehouse_id`, `bundle.target`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` (a full reference name such as `var.x`) to `value`, replacing any earlier value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// All variables in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there are no variables.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One `${name}` reference in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The name between `${` and `}`.
    pub name: String,
    /// Byte offset of the `$`.
    pub start: usize,
    /// Byte offset just past the `}`.
    pub end: usize,
}

/// Why a text could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// One or more references have no value; names sorted and deduplicated.
    #[error("unknown template variable{}: {}", plural(.names.len()), quoted(.names))]
    Unknown {
        /// The names without `${` `}`.
        names: Vec<String>,
    },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`${{{n}}}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Every `${name}` reference in `text`, in order.
pub fn references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("${")) {
        let start = from + found;
        let name_start = start + 2;
        let rest = text.get(name_start..).unwrap_or("");
        let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        if name_len > 0 && rest[name_len..].starts_with('}') {
            let end = name_start + name_len + 1;
            out.push(Reference {
                name: rest[..name_len].to_string(),
                start,
                end,
            });
            from = end;
        } else {
            from = name_start;
        }
    }
    out
}

/// True when `text` holds at least one reference.
pub fn has_references(text: &str) -> bool {
    !references(text).is_empty()
}

/// Replaces every reference in `text` with its value.
pub fn resolve(text: &str, vars: &Variables) -> Result<String, TemplateError> {
    let refs = references(text);
    let mut unknown: Vec<String> = refs
        .iter()
        .filter(|r| vars.get(&r.name).is_none())
        .map(|r| r.name.clone())
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        return Err(TemplateError::Unknown { names: unknown });
    }
    Ok(substitute(text, &refs, |r| {
        vars.get(&r.name).unwrap_or_default().to_string()
    }))
}

/// Replaces each reference with what `with` returns for it.
pub fn substitute(text: &str, refs: &[Reference], with: impl Fn(&Reference) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in refs {
        out.push_str(text.get(last..r.start).unwrap_or(""));
        out.push_str(&with(r));
        last = r.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Writes `edited` (a resolved text, possibly changed since resolving) back in templated form,
/// using `original` (the templated text it was resolved from) and the same `vars`. See the module
/// documentation for the rules. `restore(t, &resolve(t, v)?, v) == t` for every `t`.
pub fn restore(original: &str, edited: &str, vars: &Variables) -> Result<String, TemplateError> {
    let resolved = resolve(original, vars)?;
    if resolved == edited {
        return Ok(original.to_string());
    }
    let original_lines: Vec<&str> = original.split_inclusive('\n').collect();
    let resolved_lines: Vec<String> = original_lines
        .iter()
        .map(|line| resolve(line, vars))
        .collect::<Result<_, _>>()?;
    let edited_lines: Vec<&str> = edited.split_inclusive('\n').collect();
    let candidates = restorable(original, vars);

    let resolved_refs: Vec<&str> = resolved_lines.iter().map(String::as_str).collect();
    let ops = capture_diff_slices(Algorithm::Myers, &resolved_refs, &edited_lines);
    let mut out = String::with_capacity(original.len());
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                for line in original_lines.iter().skip(old_index).take(len) {
                    out.push_str(line);
                }
            }
            DiffOp::Delete { .. } => {}
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => {
                for line in edited_lines.iter().skip(new_index).take(new_len) {
                    out.push_str(&templatize(line, &candidates));
                }
            }
        }
    }
    Ok(out)
}

/// The (value, name) pairs [`restore`] may turn back into references: variables `original`
/// references, with a non-empty value no other referenced variable shares; longest value first.
fn restorable(original: &str, vars: &Variables) -> Vec<(String, String)> {
    let mut by_value: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut names: Vec<String> = references(original).into_iter().map(|r| r.name).collect();
    names.sort();
    names.dedup();
    for name in &names {
        if let Some(value) = vars.get(name).filter(|v| !v.is_empty()) {
            by_value.entry(value).or_default().push(name);
        }
    }
    let mut out: Vec<(String, String)> = by_value
        .into_iter()
        .filter(|(_, names)| names.len() == 1)
        .map(|(value, names)| (value.to_string(), names[0].to_string()))
        .collect();
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces whole-word occurrences of each candidate value with its reference, in one pass so a
/// replacement is never rewritten by a later candidate.
fn templatize(line: &str, candidates: &[(String, String)]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let before = line[..i].chars().next_back();
        let hit = candidates.iter().find(|(value, _)| {
            rest.starts_with(value.as_str())
                && !before.is_some_and(is_word_char)
                && !rest[value.len()..].chars().next().is_some_and(is_word_char)
        });
        match hit {
            Some((value, name)) => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
                i += value.len();
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    out
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        let mut v = Variables::new();
        for (k, val) in pairs {
            v.set(*k, *val);
        }
        v
    }

    #[test]
    fn references_are_found_and_malformed_ones_are_plain_text() {
        let names: Vec<String> = references("${a}.${var.b-c} $x ${ d } ${ ${e}")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, vec!["a", "var.b-c", "e"]);
    }

    #[test]
    fn resolving_substitutes_every_reference() {
        let v = vars(&[("catalog", "main"), ("gold_schema", "gold")]);
        assert_eq!(
            resolve("FROM ${catalog}.${gold_schema}.t", &v).unwrap(),
            "FROM main.gold.t"
        );
    }

    #[test]
    fn unknown_variables_are_all_named_in_the_error() {
        let err = resolve("${b} ${a} ${b} ${known}", &vars(&[("known", "x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown template variables: `${a}`, `${b}`"
        );
    }

    #[test]
    fn restoring_unedited_output_gives_back_the_original_exactly() {
        let v = vars(&[("catalog", "main"), ("gold_schema", "main")]);
        let original = "SELECT 'main' FROM ${catalog}.${gold_schema}.t\n-- main\n";
        let resolved = resolve(original, &v).unwrap();
        assert_eq!(restore(original, &resolved, &v).unwrap(), original);
    }

    #[test]
    fn unchanged_lines_are_copied_and_changed_lines_are_templated_by_whole_word() {
        let v = vars(&[
            ("catalog", "main"),
            ("gold_schema", "gold"),
            ("bundle.target", "dev"),
        ]);
        let original = "a: ${catalog}.${gold_schema}.t -- main\nb: old\n";
        let edited = "a: main.gold.t -- main\nb: main.gold.u, maintenance, dev\n";
        assert_eq!(
            restore(original, edited, &v).unwrap(),
            "a: ${catalog}.${gold_schema}.t -- main\nb: ${catalog}.${gold_schema}.u, maintenance, dev\n"
        );
    }

    #[test]
    fn ambiguous_values_stay_literal_in_changed_lines() {
        let v = vars(&[("catalog", "same"), ("gold_schema", "same")]);
        let original = "${catalog}.${gold_schema}.t\n";
        assert_eq!(
            restore(original, "same.same.u\n", &v).unwrap(),
            "same.same.u\n"
        );
    }
}
