//! A YAML document as a tree of nodes that remember where they came from.
//!
//! Serde derives stop at the first problem; users fixing a configuration want every problem at
//! once, each with its `file:line:col`. So the configuration readers (bundle, settings,
//! benchmarks) first load the text into this tree (`serde-saphyr` with [`serde_saphyr::Spanned`]
//! on every node) and then walk it, collecting one [`Diagnostic`] per problem.
//!
//! Plain scalars keep their source spelling in [`Node::raw`], so `id: 001` reads back as the text
//! `001`, not the number 1.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::diag::Diagnostic;

/// One YAML node: its value and its 1-based position (0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: usize,
    /// 1-based column of the node's first character.
    pub col: usize,
    /// The node's value.
    pub value: Value,
    /// The source spelling of a non-string scalar (`001`, `0x1F`, `yes`), when known.
    pub raw: Option<String>,
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key as text (non-string keys are rendered to text).
    pub name: String,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the key.
    pub col: usize,
}

/// The value held by a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order.
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The node at a path of mapping keys.
    pub fn at_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The entries when this node is a mapping.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items when this node is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Any scalar as text: strings as they are, other scalars in their source spelling.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(self.raw.clone().unwrap_or_else(|| b.to_string())),
            Value::Int(i) => Some(self.raw.clone().unwrap_or_else(|| i.to_string())),
            Value::Float(f) => Some(self.raw.clone().unwrap_or_else(|| f.to_string())),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The node as JSON (positions and source spellings dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// True for `~`, `null` and empty values.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// What kind of node this is, for messages ("a list", "a mapping", …).
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// An error diagnostic positioned at this node.
    pub fn error(&self, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(file, message).at(self.line, self.col)
    }

    /// A warning diagnostic positioned at this node.
    pub fn warning(&self, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(file, message).at(self.line, self.col)
    }
}

impl Key {
    /// An error diagnostic positioned at this key.
    pub fn error(&self, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(file, message).at(self.line, self.col)
    }

    /// A warning diagnostic positioned at this key.
    pub fn warning(&self, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(file, message).at(self.line, self.col)
    }
}

/// Parses `text` into a tree. An empty document is a `Null` root at 1:1. A syntax error, a
/// duplicate key or an over-deep document becomes one diagnostic at the position YAML reports.
pub fn parse(file: &str, text: &str) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(Node {
            line: 1,
            col: 1,
            value: Value::Null,
            raw: None,
        });
    }
    match serde_saphyr::from_str::<Spanned<RawValue>>(text) {
        Ok(spanned) => Ok(build(spanned, text)),
        Err(err) => Err(saphyr_error(
            file,
            &err,
            "invalid YAML",
            "fix the YAML syntax at this position (indentation, quoting, duplicate keys)",
        )),
    }
}

/// Collects diagnostics while reading typed values out of a tree for one file.
#[derive(Debug)]
pub struct Reader<'f> {
    /// The file name diagnostics carry.
    pub file: &'f str,
    /// Problems found so far, in the order they were found.
    pub diags: Vec<Diagnostic>,
}

impl<'f> Reader<'f> {
    /// A reader for `file` with no problems yet.
    pub fn new(file: &'f str) -> Self {
        Self {
            file,
            diags: Vec::new(),
        }
    }

    /// Records an error at `node`.
    pub fn error(&mut self, node: &Node, message: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(node.error(self.file, message).hint(hint.into()));
    }

    /// Records a warning at `key`.
    pub fn warn_key(&mut self, key: &Key, message: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(key.warning(self.file, message).hint(hint.into()));
    }

    /// Records an error at `key`.
    pub fn error_key(&mut self, key: &Key, message: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(key.error(self.file, message).hint(hint.into()));
    }

    /// True when an error (not a warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// A scalar as text; records an error and returns `None` for lists, mappings and null.
    pub fn text(&mut self, node: &Node, field: &str) -> Option<String> {
        let text = node.scalar_text();
        if text.is_none() {
            self.error(
                node,
                format!("`{field}` must be text, found {}", node.kind()),
                format!("write `{field}` as a single string"),
            );
        }
        text
    }

    /// A list of scalars as text; null is an empty list. Records an error per bad item.
    pub fn text_list(&mut self, node: &Node, field: &str) -> Vec<String> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.text(item, &format!("{field}[]")))
                .collect(),
            _ => {
                self.error(
                    node,
                    format!("`{field}` must be a list, found {}", node.kind()),
                    format!("write `{field}: [\"…\", \"…\"]`"),
                );
                Vec::new()
            }
        }
    }

    /// A boolean; records an error for anything else.
    pub fn bool(&mut self, node: &Node, field: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.error(
                    node,
                    format!("`{field}` must be true or false, found {}", node.kind()),
                    format!("write `{field}: true` or `{field}: false`"),
                );
                None
            }
        }
    }

    /// The entries of a mapping; null is an empty mapping. Records an error for anything else.
    pub fn entries<'n>(&mut self, node: &'n Node, field: &str) -> &'n [(Key, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.error(
                    node,
                    format!("`{field}` must be a mapping, found {}", node.kind()),
                    format!("write `{field}:` followed by indented `key: value` lines"),
                );
                &[]
            }
        }
    }
}

/// The known name closest to `name`, when one is close enough to be a likely typo.
pub fn suggest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Turns a serde-saphyr error into one positioned diagnostic: `{prefix}: {message}` + `hint`.
pub fn saphyr_error(file: &str, err: &serde_saphyr::Error, prefix: &str, hint: &str) -> Diagnostic {
    let plain = err.without_snippet().to_string();
    let message = plain.lines().next().unwrap_or("invalid value").trim();
    let message = strip_location_suffix(message);
    let diag = Diagnostic::error(file, format!("{prefix}: {message}")).hint(hint);
    match err.location() {
        Some(loc) => diag.at(to_usize(loc.line()), to_usize(loc.column())),
        None => diag,
    }
}

/// serde-saphyr appends ` at line L column C` to some messages; the diagnostic carries the
/// position itself.
fn strip_location_suffix(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The tree as serde-saphyr hands it over, before positions are flattened.
enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<RawKey>, Spanned<RawValue>)>),
}

/// A mapping key rendered to text.
struct RawKey(String);

fn build(spanned: Spanned<RawValue>, text: &str) -> Node {
    let line = to_usize(spanned.referenced.line());
    let col = to_usize(spanned.referenced.column());
    let span = spanned.referenced.span();
    let source = || {
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        let raw = text.get(start..start.checked_add(len)?)?;
        (!raw.is_empty()).then(|| raw.to_string())
    };
    let (value, raw) = match spanned.value {
        RawValue::Null => (Value::Null, None),
        RawValue::Bool(b) => (Value::Bool(b), source()),
        RawValue::Int(i) => (Value::Int(i), source()),
        RawValue::Float(f) => (Value::Float(f), source()),
        RawValue::Str(s) => (Value::Str(s), None),
        RawValue::Seq(items) => (
            Value::Seq(items.into_iter().map(|i| build(i, text)).collect()),
            None,
        ),
        RawValue::Map(entries) => (
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = Key {
                            line: to_usize(k.referenced.line()),
                            col: to_usize(k.referenced.column()),
                            name: k.value.0,
                        };
                        (key, build(v, text))
                    })
                    .collect(),
            ),
            None,
        ),
    };
    Node {
        line,
        col,
        value,
        raw,
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(i64::try_from(v).map_or(RawValue::Float(v as f64), RawValue::Int))
    }

    fn visit_i128<E>(self, v: i128) -> Result<RawValue, E> {
        Ok(i64::try_from(v).map_or(RawValue::Float(v as f64), RawValue::Int))
    }

    fn visit_u128<E>(self, v: u128) -> Result<RawValue, E> {
        Ok(i64::try_from(v).map_or(RawValue::Float(v as f64), RawValue::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(RawValue::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawKey>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawKeyVisitor)
    }
}

struct RawKeyVisitor;

impl<'de> Visitor<'de> for RawKeyVisitor {
    type Value = RawKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }

    fn visit_unit<E>(self) -> Result<RawKey, E> {
        Ok(RawKey("null".into()))
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawKey, E> {
        Ok(RawKey(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawKey, E> {
        Ok(RawKey(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawKey, E> {
        Ok(RawKey(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawKey, E> {
        Ok(RawKey(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawKey, E> {
        Ok(RawKey(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawKey, E> {
        Ok(RawKey(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_remember_their_line_and_column() {
        let tree = parse("a.yml", "a:\n  b: [1, two]\n  c: x\n").unwrap();
        let b = tree.at_path(&["a", "b"]).unwrap();
        assert_eq!((b.line, b.col), (2, 6));
        let items = b.items().unwrap();
        assert_eq!((items[1].line, items[1].col), (2, 10));
        assert_eq!(items[1].as_str(), Some("two"));
        let key = &tree.get("a").unwrap().entries().unwrap()[1].0;
        assert_eq!((key.name.as_str(), key.line, key.col), ("c", 3, 3));
    }

    #[test]
    fn plain_scalars_keep_their_source_spelling() {
        let tree = parse("a.yml", "id: 001\nf: 1.50\n").unwrap();
        assert_eq!(
            tree.get("id").unwrap().scalar_text().as_deref(),
            Some("001")
        );
        assert_eq!(
            tree.get("f").unwrap().scalar_text().as_deref(),
            Some("1.50")
        );
    }

    #[test]
    fn an_empty_document_is_a_null_root() {
        assert!(parse("a.yml", "  \n").unwrap().is_null());
        assert!(parse("a.yml", "# only a comment\n").unwrap().is_null());
    }

    #[test]
    fn a_syntax_error_is_one_positioned_diagnostic() {
        let d = parse("a.yml", "a: [1, 2\nb: 3\n").unwrap_err();
        assert!(d.line > 0, "{d}");
        assert!(d.message.starts_with("invalid YAML"), "{d}");
        let dup = parse("a.yml", "a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup.line, 2, "{dup}");
    }
}
