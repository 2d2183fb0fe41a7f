//! Format-preserving YAML: a span-carrying tree and surgical edits that splice text.
//!
//! [`parse`] reads YAML (through `granit-parser`, the parser under serde-saphyr) into a [`Node`]
//! tree whose every node knows its byte range in the source. An edit ([`Op`]) locates a node by a
//! [`YamlPath`] such as `tables[name=bookings].columns[name=status].synonyms`, renders only the new
//! text and splices it in: comments, key order, blank lines and the quoting of every untouched
//! scalar stay byte-identical. After each splice the result is parsed again and its data compared
//! with the data the edit was meant to produce (the same edit applied to a plain [`Value`]); an
//! edit whose result differs in any way is refused, so broken YAML is never returned.
//!
//! Rendering rules: a replaced scalar keeps its quote style (single, double, literal block) when
//! it can hold the new value; a plain scalar stays plain unless YAML requires quotes (then double
//! quotes). New sequences of scalars are written in flow style (`[a, b]`), new mappings in block
//! style at the surrounding indentation. Removing the last item of a block collection leaves an
//! empty flow collection (`[]`, `{}`), so that one edit's inverse is byte-exact except after such a
//! collapse, or after a plain scalar was forced into quotes and then set back.
//!
//! Aliases are refused (metadata files have no use for them); anchors and tags are kept verbatim.

use std::collections::BTreeMap;
use std::fmt;

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};

use crate::model::diag::{Diagnostic, line_col};

/// A YAML value as plain data: what a node means, without its formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Str(String),
    Seq(Vec<Value>),
    /// Entries in source order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// A string scalar.
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    /// A sequence of string scalars.
    pub fn strs<S: AsRef<str>>(items: &[S]) -> Self {
        Value::Seq(items.iter().map(|s| Value::str(s.as_ref())).collect())
    }

    /// A mapping from `(key, value)` pairs, in the order given.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` or `>` block scalars.
    Block,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Scalar { value: String, style: Style },
    Seq { flow: bool, items: Vec<Node> },
    Map { flow: bool, entries: Vec<Entry> },
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// A node and its byte range `start..end` in the source text.
///
/// For flow collections the range covers the brackets; for block collections it runs from the
/// first item's content (or first key) to the end of the last item's content; for block scalars
/// it starts at the `|`/`>` indicator and ends after the line break of the last content line, so
/// trailing blank lines and comments belong to what follows (with keep chomping, `|+`, trailing
/// blank lines are content and inside the range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Node {
    /// The scalar's text, when this is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }

    /// `~`, `null` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, style: Style::Plain }
            if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Mapping entries (empty for other kinds).
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            Kind::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// Sequence items (empty for other kinds).
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq { items, .. } => items,
            _ => &[],
        }
    }

    /// The entry for `key` (the first one, when a key repeats).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key.as_str() == Some(key))
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map { .. })
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.kind, Kind::Seq { .. })
    }

    /// A short word for messages: `a mapping`, `a sequence`, `a scalar`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Scalar { .. } if self.is_null() => "empty",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq { .. } => "a sequence",
            Kind::Map { .. } => "a mapping",
        }
    }

    /// What the node means, as plain data.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => Value::Null,
            Kind::Scalar { value, .. } => Value::Str(value.clone()),
            Kind::Seq { items, .. } => Value::Seq(items.iter().map(Node::to_value).collect()),
            Kind::Map { entries, .. } => Value::Map(
                entries
                    .iter()
                    .map(|e| (e.key.as_str().unwrap_or("").to_owned(), e.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A YAML syntax problem at a byte offset, or an unsupported construct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct SyntaxError {
    pub offset: usize,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl SyntaxError {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, col) = line_col(text, offset);
        Self {
            offset,
            line,
            col,
            message: message.into(),
        }
    }
}

/// Parses the first YAML document of `text` into a span-carrying tree. An empty document is a
/// null scalar; a second document is an error.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = TreeBuilder {
        text,
        stack: Vec::new(),
        root: None,
        last_end: 0,
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let offset = e.marker().byte_offset().unwrap_or(text.len());
            SyntaxError::at(text, offset, e.info())
        })?;
        let start = span.start.byte_offset().unwrap_or(builder.last_end);
        let end = span.end.byte_offset().unwrap_or(start);
        builder.event(event, start, end)?;
    }
    Ok(builder
        .root
        .unwrap_or_else(|| null_at(text.len().min(builder.last_end))))
}

fn null_at(offset: usize) -> Node {
    Node {
        kind: Kind::Scalar {
            value: String::new(),
            style: Style::Plain,
        },
        start: offset,
        end: offset,
    }
}

/// An open collection while the tree is being built.
enum Open {
    Seq {
        flow: bool,
        start: usize,
        items: Vec<Node>,
    },
    Map {
        flow: bool,
        start: usize,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

struct TreeBuilder<'t> {
    text: &'t str,
    stack: Vec<Open>,
    root: Option<Node>,
    last_end: usize,
    documents: usize,
}

impl TreeBuilder<'_> {
    fn event(&mut self, event: Event<'_>, start: usize, end: usize) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(SyntaxError::at(
                        self.text,
                        start,
                        "a second YAML document; metadata files hold exactly one",
                    ));
                }
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return Err(SyntaxError::at(
                    self.text,
                    start,
                    "YAML aliases (`*name`) are not supported in metadata files; write the value out",
                ));
            }
            Event::Scalar(value, style, ..) => {
                let (style, start, end) = match style {
                    ScalarStyle::Plain => (Style::Plain, start, end),
                    ScalarStyle::SingleQuoted => (Style::SingleQuoted, start, end),
                    ScalarStyle::DoubleQuoted => (Style::DoubleQuoted, start, end),
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        let indicator = self.block_indicator(start);
                        let end = self.block_content_end(indicator, start, end, value.is_empty());
                        (Style::Block, indicator, end)
                    }
                };
                let node = Node {
                    kind: Kind::Scalar {
                        value: value.into_owned(),
                        style,
                    },
                    start,
                    end,
                };
                self.last_end = end;
                self.push(node)?;
            }
            Event::SequenceStart(style, ..) => {
                self.stack.push(Open::Seq {
                    flow: style == StructureStyle::Flow,
                    start,
                    items: Vec::new(),
                });
                self.last_end = end;
            }
            Event::MappingStart(style, ..) => {
                self.stack.push(Open::Map {
                    flow: style == StructureStyle::Flow,
                    start,
                    entries: Vec::new(),
                    pending_key: None,
                });
                self.last_end = end;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(end)?,
            _ => {}
        }
        Ok(())
    }

    /// Where a block scalar really ends: after the line break of its last content line.
    ///
    /// The parser's span runs on over the trailing empty lines (which chomping discards) and
    /// into the next line's indentation. Those lines belong to what follows: a blank line or a
    /// comment before the next key must survive replacing or removing the scalar. Only keep
    /// chomping (`|+`, `>+`) makes trailing empty lines part of the value.
    ///
    /// `indicator` is the `|`/`>`, `content` the parser's start (the first content character,
    /// after the indentation), `span_end` the parser's end.
    fn block_content_end(
        &self,
        indicator: usize,
        content: usize,
        span_end: usize,
        empty: bool,
    ) -> usize {
        let text = self.text;
        let header_end = line_end(text, indicator);
        let end = after_last_line_break(text, indicator, span_end).max(header_end);
        if chomping_keeps(text, indicator, header_end) {
            return end;
        }
        if empty {
            return header_end;
        }
        let indent = content.saturating_sub(line_start(text, content));
        let mut end = end;
        while end > header_end && text.as_bytes().get(end - 1) == Some(&b'\n') {
            let line_start = line_start(text, end - 1);
            let line = text.get(line_start..end - 1).unwrap_or("");
            let line = line.strip_suffix('\r').unwrap_or(line);
            let empty_line = line.bytes().all(|b| b == b' ') && line.len() <= indent;
            if !empty_line {
                break;
            }
            end = line_start;
        }
        end
    }

    /// The offset of the `|`/`>` that introduces the block scalar whose content starts at
    /// `content`: the first one after the previous node that starts a token (follows
    /// whitespace) and is not inside a comment, so a `>` in `key: |  # a > b` or in an anchor
    /// name is not mistaken for it.
    fn block_indicator(&self, content: usize) -> usize {
        let from = self.last_end.min(content);
        let between = self.text.get(from..content).unwrap_or("");
        let mut prev = ' ';
        let mut in_comment = false;
        for (i, c) in between.char_indices() {
            match c {
                '\n' => in_comment = false,
                '#' if prev.is_whitespace() => in_comment = true,
                '|' | '>' if !in_comment && prev.is_whitespace() => return from + i,
                _ => {}
            }
            prev = c;
        }
        content
    }

    fn close(&mut self, end: usize) -> Result<(), SyntaxError> {
        let Some(open) = self.stack.pop() else {
            return Ok(());
        };
        let node = match open {
            Open::Seq { flow, start, items } => {
                let (start, end) = if flow {
                    (start, end)
                } else {
                    block_range(start, items.first(), items.last())
                };
                let end = if flow { end } else { end.max(start) };
                Node {
                    kind: Kind::Seq { flow, items },
                    start,
                    end,
                }
            }
            Open::Map {
                flow,
                start,
                entries,
                ..
            } => {
                let (start, end) = if flow {
                    (start, end)
                } else {
                    let first = entries.first().map(|e| &e.key);
                    block_range(start, first, entries.last().map(|e| &e.value))
                };
                Node {
                    kind: Kind::Map { flow, entries },
                    start,
                    end,
                }
            }
        };
        self.last_end = self.last_end.max(if node.end > 0 { node.end } else { end });
        self.push(node)
    }

    fn push(&mut self, node: Node) -> Result<(), SyntaxError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    if !matches!(node.kind, Kind::Scalar { .. }) {
                        return Err(SyntaxError::at(
                            self.text,
                            node.start,
                            "complex mapping keys are not supported; use a plain string key",
                        ));
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
        Ok(())
    }
}

/// `span_end`, or the offset after the last line break of `start..span_end` when only spaces
/// follow that break (the next line's indentation, which the parser counts into the span).
fn after_last_line_break(text: &str, start: usize, span_end: usize) -> usize {
    let span = text.get(start..span_end).unwrap_or("");
    match span.rfind('\n') {
        Some(i) if span[i + 1..].trim_matches(' ').is_empty() => start + i + 1,
        _ => span_end,
    }
}

/// Whether the block scalar header `|…`/`>…` starting at `indicator` (and ending before
/// `header_end`) has the keep chomping indicator `+`.
fn chomping_keeps(text: &str, indicator: usize, header_end: usize) -> bool {
    let header = text.get(indicator + 1..header_end).unwrap_or("");
    header
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
        .any(|c| c == '+')
}

/// The range of a block collection: from its first child to the end of its last.
fn block_range(open_start: usize, first: Option<&Node>, last: Option<&Node>) -> (usize, usize) {
    match (first, last) {
        (Some(first), Some(last)) => (first.start, last.end.max(first.start)),
        _ => (open_start, open_start),
    }
}

/// One step of a [`YamlPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `key`: the value of a mapping key.
    Key(String),
    /// `[key=value]`: the first sequence item that is a mapping whose `key` is the scalar `value`.
    Find { key: String, value: String },
    /// `[3]`: a sequence item by 0-based position.
    Index(usize),
}

/// Where a node sits: `tables[name=bookings].columns[name=status].synonyms`.
///
/// Build one with the methods (safe for any key or value) or [`YamlPath::parse`] it; in the text
/// form a `[key=value]` value runs to the next `]` (so it may hold dots and `${var.x}`) or may be
/// double-quoted with `\"` and `\\` escapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Step>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// Appends a mapping-key step.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Step::Key(key.into()));
        self
    }

    /// Appends a `[key=value]` step.
    pub fn find(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push(Step::Find {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Appends an `[index]` step.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Step::Index(index));
        self
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let mut path = Self::root();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let (step, tail) = parse_bracket(after).ok_or_else(|| PathError(text.into()))?;
                path.0.push(step);
                rest = tail;
            } else {
                let rest_key = rest.strip_prefix('.').unwrap_or(rest);
                let stop = rest_key.find(['.', '[']).unwrap_or(rest_key.len());
                let (key, tail) = rest_key.split_at(stop);
                if key.is_empty() {
                    return Err(PathError(text.into()));
                }
                path.0.push(Step::Key(key.into()));
                rest = tail;
            }
        }
        Ok(path)
    }

    fn prefix(&self, len: usize) -> YamlPath {
        YamlPath(self.0.iter().take(len).cloned().collect())
    }
}

/// Parses `key=value]…` or `3]…` (after the `[`).
fn parse_bracket(text: &str) -> Option<(Step, &str)> {
    let close = text.find(']')?;
    if let Ok(index) = text[..close].trim().parse::<usize>() {
        return Some((Step::Index(index), &text[close + 1..]));
    }
    let eq = text.find('=')?;
    let key = text[..eq].trim().to_owned();
    let after = &text[eq + 1..];
    if let Some(quoted) = after.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.push(chars.next()?.1),
                '"' => {
                    let tail = quoted[i + 1..].strip_prefix(']')?;
                    return Some((Step::Find { key, value }, tail));
                }
                c => value.push(c),
            }
        }
        return None;
    }
    let close = after.find(']')?;
    let value = after[..close].to_owned();
    Some((Step::Find { key, value }, &after[close + 1..]))
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Find { key, value } if value.contains(']') || value.contains('"') => {
                    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
                    write!(f, "[{key}=\"{escaped}\"]")?
                }
                Step::Find { key, value } => write!(f, "[{key}={value}]")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// A path text that does not follow `a.b[key=value][0]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid YAML path `{0}`: write steps like `tables[name=bookings].columns[0].synonyms`")]
pub struct PathError(pub String);

/// Finds the node at `path`.
pub fn locate<'n>(root: &'n Node, path: &YamlPath) -> Result<&'n Node, EditError> {
    let mut node = root;
    for (i, step) in path.0.iter().enumerate() {
        let next = match step {
            Step::Key(key) => node.get(key),
            Step::Find { key, value } => node
                .items()
                .iter()
                .find(|item| item.get(key).and_then(Node::as_str) == Some(value)),
            Step::Index(index) => node.items().get(*index),
        };
        node = next.ok_or_else(|| EditError::NotFound {
            path: path.prefix(i + 1).to_string(),
            parent: node.kind_name(),
        })?;
    }
    Ok(node)
}

fn locate_value<'v>(root: &'v mut Value, path: &YamlPath) -> Option<&'v mut Value> {
    let mut value = root;
    for step in &path.0 {
        value = match (step, value) {
            (Step::Key(key), Value::Map(entries)) => {
                entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)?
            }
            (Step::Find { key, value: wanted }, Value::Seq(items)) => items
                .iter_mut()
                .find(|item| item.get(key) == Some(&Value::Str(wanted.clone())))?,
            (Step::Index(i), Value::Seq(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Why an edit was refused. The input text is never half-edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the YAML does not parse at {0}")]
    Syntax(#[from] SyntaxError),
    #[error("`{path}` was not found (its parent is {parent})")]
    NotFound { path: String, parent: &'static str },
    #[error("`{path}` is {found}, expected {expected}")]
    WrongKind {
        path: String,
        found: &'static str,
        expected: &'static str,
    },
    #[error("`{path}` already has the key `{key}`")]
    KeyExists { path: String, key: String },
    #[error("`{path}` has no key `{key}`")]
    NoSuchKey { path: String, key: String },
    #[error("`{path}` has no item {item:?}")]
    NoSuchItem { path: String, item: String },
    #[error(
        "editing `{path}` would change the file's meaning beyond the edit ({why}); edit it by hand"
    )]
    Unverified { path: String, why: String },
}

/// One edit at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Replace the scalar at the path.
    SetScalar(String),
    /// Replace the whole sequence at the path, keeping its style.
    ReplaceSeq(Vec<Value>),
    /// Append an item to the sequence at the path.
    Append(Value),
    /// Remove the first item equal to this value from the sequence at the path.
    Remove(Value),
    /// Add `key: value` to the mapping at the path, after the entry `after` (or last).
    InsertKey {
        key: String,
        value: Value,
        after: Option<String>,
    },
    /// Remove the key (and its value) from the mapping at the path.
    RemoveKey(String),
}

/// Applies `op` at `path` and returns the new text, verified to parse to exactly the intended
/// data. Everything outside the edited region is byte-identical.
pub fn edit(text: &str, path: &YamlPath, op: &Op) -> Result<String, EditError> {
    let root = parse(text)?;
    let node = locate(&root, path)?;
    let (range, replacement) = plan(text, path, node, op)?;
    let mut out = String::with_capacity(text.len() + replacement.len());
    out.push_str(&text[..range.0]);
    out.push_str(&replacement);
    out.push_str(&text[range.1..]);
    verify(&root, &out, path, op)?;
    Ok(out)
}

/// Convenience: [`Op::SetScalar`].
pub fn set_scalar(text: &str, path: &YamlPath, value: &str) -> Result<String, EditError> {
    edit(text, path, &Op::SetScalar(value.into()))
}

/// Convenience: [`Op::ReplaceSeq`] with string items.
pub fn replace_sequence(
    text: &str,
    path: &YamlPath,
    items: &[String],
) -> Result<String, EditError> {
    edit(
        text,
        path,
        &Op::ReplaceSeq(items.iter().map(Value::str).collect()),
    )
}

/// Convenience: [`Op::Append`].
pub fn append(text: &str, path: &YamlPath, item: Value) -> Result<String, EditError> {
    edit(text, path, &Op::Append(item))
}

/// Convenience: [`Op::Remove`].
pub fn remove(text: &str, path: &YamlPath, item: Value) -> Result<String, EditError> {
    edit(text, path, &Op::Remove(item))
}

/// Convenience: [`Op::InsertKey`].
pub fn insert_key(
    text: &str,
    path: &YamlPath,
    key: &str,
    value: Value,
    after: Option<&str>,
) -> Result<String, EditError> {
    let op = Op::InsertKey {
        key: key.into(),
        value,
        after: after.map(str::to_owned),
    };
    edit(text, path, &op)
}

/// Convenience: [`Op::RemoveKey`].
pub fn remove_key(text: &str, path: &YamlPath, key: &str) -> Result<String, EditError> {
    edit(text, path, &Op::RemoveKey(key.into()))
}

fn verify(before: &Node, out: &str, path: &YamlPath, op: &Op) -> Result<(), EditError> {
    let unverified = |why: String| EditError::Unverified {
        path: path.to_string(),
        why,
    };
    let after = parse(out).map_err(|e| unverified(format!("the result would not parse: {e}")))?;
    let mut expected = before.to_value();
    let target = locate_value(&mut expected, path)
        .ok_or_else(|| unverified("the path does not resolve in the data".into()))?;
    apply_to_value(target, op);
    if after.to_value() != expected {
        return Err(unverified("the result reads back differently".into()));
    }
    Ok(())
}

fn apply_to_value(target: &mut Value, op: &Op) {
    match (op, target) {
        (Op::SetScalar(s), target) => *target = Value::Str(s.clone()),
        (Op::ReplaceSeq(items), target) => *target = Value::Seq(items.clone()),
        (Op::Append(item), Value::Seq(items)) => items.push(item.clone()),
        (Op::Remove(item), Value::Seq(items)) => {
            if let Some(i) = items.iter().position(|x| x == item) {
                items.remove(i);
            }
        }
        (Op::InsertKey { key, value, after }, Value::Map(entries)) => {
            let at = insert_position(entries.iter().map(|(k, _)| k.as_str()), after.as_deref());
            entries.insert(at, (key.clone(), value.clone()));
        }
        (Op::RemoveKey(key), Value::Map(entries)) => entries.retain(|(k, _)| k != key),
        _ => {}
    }
}

/// Where a new key goes: after `after` when present, else at the end.
fn insert_position<'k>(keys: impl Iterator<Item = &'k str>, after: Option<&str>) -> usize {
    let keys: Vec<&str> = keys.collect();
    after
        .and_then(|a| keys.iter().position(|k| *k == a))
        .map_or(keys.len(), |i| i + 1)
}

type Splice = ((usize, usize), String);

fn plan(text: &str, path: &YamlPath, node: &Node, op: &Op) -> Result<Splice, EditError> {
    let wrong = |expected| EditError::WrongKind {
        path: path.to_string(),
        found: node.kind_name(),
        expected,
    };
    match (op, &node.kind) {
        (Op::SetScalar(value), Kind::Scalar { style, .. }) => {
            Ok(plan_set_scalar(text, node, *style, value))
        }
        (Op::SetScalar(_), _) => Err(wrong("a scalar")),
        (Op::ReplaceSeq(items), Kind::Seq { flow, items: old }) => {
            Ok(plan_replace_seq(text, node, *flow, old, items))
        }
        (Op::Append(item), Kind::Seq { flow, items }) => {
            Ok(plan_append(text, node, *flow, items, item))
        }
        (Op::Remove(item), Kind::Seq { flow, items }) => {
            let index = items
                .iter()
                .position(|x| x.to_value() == *item)
                .ok_or_else(|| EditError::NoSuchItem {
                    path: path.to_string(),
                    item: render_inline(item, true),
                })?;
            Ok(plan_remove_item(text, node, *flow, items, index))
        }
        (Op::ReplaceSeq(_) | Op::Append(_) | Op::Remove(_), _) => Err(wrong("a sequence")),
        (Op::InsertKey { key, value, after }, Kind::Map { flow, entries }) => {
            if node.entry(key).is_some() {
                return Err(EditError::KeyExists {
                    path: path.to_string(),
                    key: key.clone(),
                });
            }
            Ok(plan_insert_key(
                text,
                node,
                *flow,
                entries,
                key,
                value,
                after.as_deref(),
            ))
        }
        (Op::RemoveKey(key), Kind::Map { flow, entries }) => {
            let index = entries
                .iter()
                .position(|e| e.key.as_str() == Some(key))
                .ok_or_else(|| EditError::NoSuchKey {
                    path: path.to_string(),
                    key: key.clone(),
                })?;
            Ok(plan_remove_entry(text, node, *flow, entries, index))
        }
        (Op::InsertKey { .. } | Op::RemoveKey(_), _) => Err(wrong("a mapping")),
    }
}

// ---------------------------------------------------------------------------------------------
// Planning splices

fn plan_set_scalar(text: &str, node: &Node, style: Style, value: &str) -> Splice {
    let flow = in_flow_context(text, node.start);
    let indent = content_indent(text, node);
    let mut rendered = render_scalar(value, style, flow, indent);
    let old = &text[node.start..node.end];
    if old.ends_with('\n') && !rendered.ends_with('\n') {
        rendered.push('\n');
    } else if !old.ends_with('\n') && rendered.ends_with('\n') {
        rendered.pop();
    }
    if style == Style::Block {
        let comment = header_comment(text, node.start);
        let at = rendered.find('\n').unwrap_or(rendered.len());
        rendered.insert_str(at, comment);
    }
    ((node.start, node.end), rendered)
}

/// The comment on a block scalar's header line (`|-  # note`), with the spaces before it, or
/// "" when there is none: replacing the scalar must not drop it.
fn header_comment(text: &str, indicator: usize) -> &str {
    let rest = text.get(indicator..).unwrap_or("");
    let header = rest.split('\n').next().unwrap_or("");
    let header = header.strip_suffix('\r').unwrap_or(header);
    match header.find([' ', '\t']) {
        Some(gap) if header[gap..].trim_start().starts_with('#') => &header[gap..],
        _ => "",
    }
}

/// Replaces a sequence's items. An item whose value an old scalar item already holds keeps that
/// item's source text (its quoting, and in block style its line comment), so only the items that
/// really change are rendered anew.
fn plan_replace_seq(text: &str, node: &Node, flow: bool, old: &[Node], items: &[Value]) -> Splice {
    let kept = kept_items(old, items);
    if flow || old.is_empty() {
        let rendered: Vec<String> = items
            .iter()
            .zip(&kept)
            .map(|(item, kept)| match kept {
                Some(old) => text[old.start..old.end].to_owned(),
                None => render_inline(item, true),
            })
            .collect();
        return ((node.start, node.end), format!("[{}]", rendered.join(", ")));
    }
    if items.is_empty() {
        return collapse_block(text, node, "[]");
    }
    let (start, end) = block_item_lines(text, old);
    let prefix = item_prefix(text, &old[0]);
    let mut lines: String = items
        .iter()
        .zip(&kept)
        .map(|(item, kept)| match kept {
            Some(old) => format!("{prefix}{}\n", item_source_lines(text, old)),
            None => render_block_item(&prefix, item),
        })
        .collect();
    if end == text.len() && !text.ends_with('\n') {
        lines.truncate(lines.trim_end_matches('\n').len());
    }
    ((start, end), lines)
}

/// For each new item, the old scalar item holding the same value, if any (each old item is used
/// once, first match first).
fn kept_items<'n>(old: &'n [Node], items: &[Value]) -> Vec<Option<&'n Node>> {
    let mut used = vec![false; old.len()];
    items
        .iter()
        .map(|item| {
            let i = old.iter().enumerate().position(|(i, node)| {
                !used[i] && matches!(node.kind, Kind::Scalar { .. }) && node.to_value() == *item
            })?;
            used[i] = true;
            old.get(i)
        })
        .collect()
}

/// A block sequence item's text from its first character to the end of its last line, without
/// the final line break: the scalar and any comment after it on its line.
fn item_source_lines<'t>(text: &'t str, item: &Node) -> &'t str {
    let end = content_line_end(text, item.end).max(item.start);
    &text[item.start..end]
}

fn plan_append(text: &str, node: &Node, flow: bool, items: &[Node], item: &Value) -> Splice {
    match (flow, items.last()) {
        (true, Some(last)) => (
            (last.end, last.end),
            format!(", {}", render_inline(item, true)),
        ),
        (true, None) | (false, None) => {
            let at = node.start + 1;
            if flow {
                ((at, at), render_inline(item, true))
            } else {
                (
                    (node.start, node.end),
                    render_flow_seq(std::slice::from_ref(item)),
                )
            }
        }
        (false, Some(last)) => {
            let prefix = item_prefix(text, &items[0]);
            let at = line_end(text, last.end);
            let mut line = render_block_item(&prefix, item);
            if at == text.len() && !text.ends_with('\n') {
                line = format!("\n{}", line.trim_end_matches('\n'));
            }
            ((at, at), line)
        }
    }
}

fn plan_remove_item(text: &str, node: &Node, flow: bool, items: &[Node], index: usize) -> Splice {
    if flow {
        return (
            flow_removal(items.iter().map(|n| (n.start, n.end)), index),
            String::new(),
        );
    }
    if items.len() == 1 {
        return collapse_block(text, node, "[]");
    }
    let item = &items[index];
    let lines = (line_start(text, item.start), line_end(text, item.end));
    (without_final_break(text, lines), String::new())
}

fn plan_insert_key(
    text: &str,
    node: &Node,
    flow: bool,
    entries: &[Entry],
    key: &str,
    value: &Value,
    after: Option<&str>,
) -> Splice {
    let position = insert_position(entries.iter().filter_map(|e| e.key.as_str()), after);
    let key_text = render_scalar(key, Style::Plain, flow, 0);
    if flow {
        let pair = format!("{key_text}: {}", render_inline(value, true));
        return match position.checked_sub(1).and_then(|i| entries.get(i)) {
            Some(prev) => ((prev.value.end, prev.value.end), format!(", {pair}")),
            None => ((node.start + 1, node.start + 1), pair),
        };
    }
    let Some(first) = entries.first() else {
        let pair = format!("{{{key_text}: {}}}", render_inline(value, true));
        return ((node.start, node.end), pair);
    };
    let indent = first.key.start - line_start(text, first.key.start);
    let rendered = format!(
        "{}{key_text}:{}",
        " ".repeat(indent),
        render_block_value(value, indent)
    );
    // `position` is at least 1: a new key goes after a named sibling or after the last one.
    let prev = &entries[position.max(1) - 1];
    let at = line_end(text, prev.value.end.max(prev.key.end));
    if at == text.len() && !text.ends_with('\n') {
        ((at, at), format!("\n{}", rendered.trim_end_matches('\n')))
    } else {
        ((at, at), rendered)
    }
}

fn plan_remove_entry(
    text: &str,
    node: &Node,
    flow: bool,
    entries: &[Entry],
    index: usize,
) -> Splice {
    if flow {
        let spans = entries
            .iter()
            .map(|e| (e.key.start, e.value.end.max(e.key.end)));
        return (flow_removal(spans, index), String::new());
    }
    if entries.len() == 1 {
        return collapse_block(text, node, "{}");
    }
    let entry = &entries[index];
    let start = line_start(text, entry.key.start);
    let owns_line = text[start..entry.key.start].trim().is_empty();
    let value_end = entry.value.end.max(entry.key.end);
    if owns_line {
        let lines = (start, line_end(text, value_end));
        return (without_final_break(text, lines), String::new());
    }
    // The first key shares its line with a `- `: pull the next key up into its place.
    match entries.get(index + 1) {
        Some(next) => ((entry.key.start, next.key.start), String::new()),
        None => (
            (entry.key.start, content_line_end(text, value_end)),
            "{}".into(),
        ),
    }
}

/// The range to delete to remove item `index` of a flow collection and one separator.
fn flow_removal(spans: impl Iterator<Item = (usize, usize)>, index: usize) -> (usize, usize) {
    let spans: Vec<(usize, usize)> = spans.collect();
    let (start, end) = spans[index];
    if spans.len() == 1 {
        (start, end)
    } else if let Some(next) = spans.get(index + 1) {
        (start, next.0)
    } else {
        (spans[index - 1].1, end)
    }
}

/// The range that deletes the whole lines `start..end`. When they end a text that has no final
/// line break, the break before them goes instead, so the text still ends without one: the
/// mirror of an insert at such an end, which adds a break before the new lines.
fn without_final_break(text: &str, (start, end): (usize, usize)) -> (usize, usize) {
    if end == text.len() && !text.ends_with('\n') && start > 0 {
        (start - 1, end)
    } else {
        (start, end)
    }
}

/// Replaces a block collection (and the whitespace before it, back to its key) with `empty`.
fn collapse_block(text: &str, node: &Node, empty: &str) -> Splice {
    let before = text[..node.start].trim_end_matches([' ', '\n', '\r', '\t', '-']);
    let start = if node.is_seq() {
        before.len()
    } else {
        text[..node.start].trim_end().len()
    };
    let end = content_line_end(text, node.end);
    ((start, end), format!(" {empty}"))
}

// ---------------------------------------------------------------------------------------------
// Text positions

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just after the line break that ends the line containing `offset` (the text end
/// when there is none). An offset already at a line start is returned unchanged.
fn line_end(text: &str, offset: usize) -> usize {
    if offset > 0 && text.as_bytes().get(offset - 1) == Some(&b'\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// Like [`line_end`] but before the line break.
fn content_line_end(text: &str, offset: usize) -> usize {
    if offset > 0 && text.as_bytes().get(offset - 1) == Some(&b'\n') {
        return offset - 1;
    }
    text[offset..].find('\n').map_or(text.len(), |i| offset + i)
}

/// The `  - ` text before a block sequence item on its line (with the dash).
fn item_prefix(text: &str, item: &Node) -> String {
    let start = line_start(text, item.start);
    let prefix = &text[start..item.start];
    let dash = prefix.rfind('-').unwrap_or(0);
    let gap = prefix.len().saturating_sub(dash + 1).max(1);
    format!("{}-{}", " ".repeat(dash), " ".repeat(gap))
}

fn block_item_lines(text: &str, items: &[Node]) -> (usize, usize) {
    let first = items.first().map_or(0, |n| n.start);
    let last = items.last().map_or(first, |n| n.end);
    (line_start(text, first), line_end(text, last))
}

/// Whether `offset` sits inside `[…]` or `{…}` on the way from the document start (a cheap
/// bracket count that skips quoted text and comments).
fn in_flow_context(text: &str, offset: usize) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    for c in text[..offset].chars() {
        match (quote, c) {
            _ if comment => comment = c != '\n',
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '#') if prev.is_whitespace() => comment = true,
            (None, '\'' | '"') if depth > 0 || prev == ' ' || prev == '[' || prev == '{' => {
                quote = Some(c)
            }
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth > 0
}

/// The indentation of a block scalar's content lines, or one level deeper than the line the
/// node is on.
fn content_indent(text: &str, node: &Node) -> usize {
    let start = line_start(text, node.start);
    let line_indent = text[start..].len() - text[start..].trim_start_matches(' ').len();
    if let Kind::Scalar {
        style: Style::Block,
        ..
    } = node.kind
    {
        let after_header = line_end(text, node.start);
        if after_header < node.end {
            let body = &text[after_header..node.end];
            let first_line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            return first_line.len() - first_line.trim_start_matches(' ').len();
        }
    }
    line_indent + 2
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Renders `value` as a scalar, in `style` when it can hold it.
fn render_scalar(value: &str, style: Style, flow: bool, indent: usize) -> String {
    let has_control = value.chars().any(|c| c.is_control() && c != '\n');
    match style {
        Style::Block if value.contains('\n') && !flow && !has_control => {
            render_literal(value, indent)
        }
        Style::DoubleQuoted => double_quoted(value),
        Style::SingleQuoted if !has_control && !value.contains('\n') => {
            format!("'{}'", value.replace('\'', "''"))
        }
        _ if is_plain_safe(value, flow) => value.to_owned(),
        _ => double_quoted(value),
    }
}

fn render_literal(value: &str, indent: usize) -> String {
    let body = value.trim_end_matches('\n');
    if body.starts_with(' ') || body.is_empty() {
        return double_quoted(value);
    }
    let trailing = value.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `value` reads back as this same string when written without quotes.
pub fn is_plain_safe(value: &str, flow: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let last = value.chars().last().unwrap_or(first);
    let reserved_start = "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace();
    let looks_typed = is_yaml_keyword(value) || looks_numeric(value);
    let breaks_structure = value.contains(": ")
        || value.contains(" #")
        || last == ':'
        || last.is_whitespace()
        || value.chars().any(char::is_control)
        || (flow && value.contains([',', '[', ']', '{', '}']));
    !(reserved_start || looks_typed || breaks_structure)
}

fn is_yaml_keyword(value: &str) -> bool {
    const WORDS: [&str; 12] = [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", ".nan",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(value))
}

/// Numbers, dates and times YAML 1.1 or 1.2 tools would not read as strings.
fn looks_numeric(value: &str) -> bool {
    let body = value.trim_start_matches(['+', '-']);
    body.starts_with(|c: char| c.is_ascii_digit())
        || (body.starts_with('.') && body[1..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Renders a value on one line (flow style).
fn render_inline(value: &Value, flow: bool) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Str(s) => render_scalar(s, Style::Plain, flow, 0),
        Value::Seq(items) => render_flow_seq(items),
        Value::Map(entries) => {
            let pairs: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        render_scalar(k, Style::Plain, true, 0),
                        render_inline(v, true)
                    )
                })
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
    }
}

fn render_flow_seq(items: &[Value]) -> String {
    let items: Vec<String> = items.iter().map(|v| render_inline(v, true)).collect();
    format!("[{}]", items.join(", "))
}

/// Renders what follows `key:` in block context for a key at `indent`, with the line break.
fn render_block_value(value: &Value, indent: usize) -> String {
    match value {
        Value::Map(entries) if !entries.is_empty() => {
            let mut out = String::from("\n");
            for (k, v) in entries {
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(&render_scalar(k, Style::Plain, false, 0));
                out.push(':');
                out.push_str(&render_block_value(v, indent + 2));
            }
            out
        }
        Value::Str(s) if s.contains('\n') => {
            format!(" {}", render_literal(s, indent + 2))
        }
        other => format!(" {}\n", render_inline(other, false)),
    }
}

/// Renders one block sequence item line(s) with `prefix` (`  - `).
fn render_block_item(prefix: &str, item: &Value) -> String {
    match item {
        Value::Map(entries) if !entries.is_empty() => {
            let indent = prefix.len();
            let mut out = String::new();
            for (i, (k, v)) in entries.iter().enumerate() {
                if i == 0 {
                    out.push_str(prefix);
                } else {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&render_scalar(k, Style::Plain, false, 0));
                out.push(':');
                out.push_str(&render_block_value(v, indent));
            }
            out
        }
        Value::Str(s) if s.contains('\n') => {
            format!("{prefix}{}", render_literal(s, prefix.len()))
        }
        other => format!("{prefix}{}\n", render_inline(other, false)),
    }
}

// ---------------------------------------------------------------------------------------------
// Typed reading with diagnostics

/// A typed model plus every problem found while reading and validating it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// What could be read; fields with problems are left at their defaults.
    pub value: T,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Loaded<T> {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a parsed tree into typed values, collecting [`Diagnostic`]s at `file:line:col`.
///
/// `base` is the offset of the YAML text inside `full` (non-zero for YAML embedded in SQL), so
/// positions point into the file the user edits.
pub struct Reader<'a> {
    file: &'a str,
    full: &'a str,
    base: usize,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    /// A reader for YAML that is the whole of `text`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self::embedded(file, text, 0)
    }

    /// A reader for YAML that starts at byte `base` of `full`.
    pub fn embedded(file: &'a str, full: &'a str, base: usize) -> Self {
        Self {
            file,
            full,
            base,
            diagnostics: Vec::new(),
        }
    }

    /// Parses `yaml`, reporting a syntax error as a diagnostic.
    pub fn parse(&mut self, yaml: &str) -> Option<Node> {
        match parse(yaml) {
            Ok(root) => Some(root),
            Err(e) => {
                let hint = "fix the YAML syntax; `genie-gitops validate` re-checks the file";
                self.report(Diagnostic::error(self.file, e.message).hint(hint), e.offset);
                None
            }
        }
    }

    /// Records an error at `node`.
    pub fn error(&mut self, node: &Node, message: impl Into<String>, hint: impl Into<String>) {
        let d = Diagnostic::error(self.file, message).hint(hint);
        self.report(d, node.start);
    }

    /// Records a warning at `node`.
    pub fn warning(&mut self, node: &Node, message: impl Into<String>, hint: impl Into<String>) {
        let d = Diagnostic::warning(self.file, message).hint(hint);
        self.report(d, node.start);
    }

    fn report(&mut self, diagnostic: Diagnostic, offset: usize) {
        let (line, col) = line_col(self.full, self.base + offset);
        self.diagnostics.push(diagnostic.at(line, col));
    }

    /// Checks `node` is a mapping whose keys are all in `allowed`; reports unknown keys.
    pub fn mapping(&mut self, node: &Node, what: &str, allowed: &[&str]) -> bool {
        if !node.is_map() {
            let found = node.kind_name();
            self.error(
                node,
                format!("{what} must be a mapping, found {found}"),
                "write `key: value` lines",
            );
            return false;
        }
        for entry in node.entries() {
            let key = entry.key.as_str().unwrap_or("");
            if !allowed.contains(&key) {
                let hint = match closest(key, allowed) {
                    Some(near) => {
                        format!("did you mean `{near}`? known keys: {}", allowed.join(", "))
                    }
                    None => format!("known keys: {}", allowed.join(", ")),
                };
                self.error(&entry.key, format!("unknown key `{key}` in {what}"), hint);
            }
        }
        true
    }

    /// The required string at `key` of `map`; reports a missing, empty or non-scalar value.
    pub fn required_str(&mut self, map: &Node, key: &str, what: &str) -> Option<String> {
        let Some(node) = map.get(key) else {
            self.error(
                map,
                format!("{what} has no `{key}`"),
                format!("add `{key}: …`"),
            );
            return None;
        };
        let value = self.string(node, &format!("`{key}` of {what}"))?;
        if value.trim().is_empty() {
            self.error(
                node,
                format!("`{key}` of {what} is empty"),
                format!("give `{key}` a value"),
            );
            return None;
        }
        Some(value)
    }

    /// The optional string at `key` of `map` (null counts as absent).
    pub fn optional_str(&mut self, map: &Node, key: &str, what: &str) -> Option<String> {
        let node = map.get(key).filter(|n| !n.is_null())?;
        self.string(node, &format!("`{key}` of {what}"))
    }

    /// A scalar's text; reports any other kind.
    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar { value, .. } if !node.is_null() => Some(value.clone()),
            _ => {
                let found = node.kind_name();
                self.error(
                    node,
                    format!("{what} must be a string, found {found}"),
                    "write a single value",
                );
                None
            }
        }
    }

    /// The list of strings at `key` of `map` (absent or null: empty).
    pub fn string_list(&mut self, map: &Node, key: &str, what: &str) -> Vec<String> {
        let Some(node) = map.get(key).filter(|n| !n.is_null()) else {
            return Vec::new();
        };
        if !node.is_seq() {
            let found = node.kind_name();
            self.error(
                node,
                format!("`{key}` of {what} must be a list, found {found}"),
                format!("write `{key}: [a, b]`"),
            );
            return Vec::new();
        }
        let label = format!("an item of `{key}` in {what}");
        node.items()
            .iter()
            .filter_map(|item| self.string(item, &label))
            .collect()
    }

    /// The `key: value` string pairs at `key` of `map` (absent or null: empty; null values: "").
    pub fn string_map(&mut self, map: &Node, key: &str, what: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(node) = map.get(key).filter(|n| !n.is_null()) else {
            return out;
        };
        if !node.is_map() {
            let found = node.kind_name();
            self.error(
                node,
                format!("`{key}` of {what} must be a mapping, found {found}"),
                format!("write `{key}: {{name: value}}`"),
            );
            return out;
        }
        for entry in node.entries() {
            let name = entry.key.as_str().unwrap_or("").to_owned();
            let value = if entry.value.is_null() {
                Some(String::new())
            } else {
                self.string(&entry.value, &format!("`{key}.{name}` of {what}"))
            };
            if let Some(value) = value
                && out.insert(name.clone(), value).is_some()
            {
                self.error(
                    &entry.key,
                    format!("`{key}` of {what} repeats `{name}`"),
                    "keep one entry per name",
                );
            }
        }
        out
    }

    /// Reports every name that repeats in `named` (name, node) pairs.
    pub fn duplicates<'n>(
        &mut self,
        named: impl IntoIterator<Item = (String, &'n Node)>,
        what: &str,
    ) {
        let mut seen = std::collections::BTreeSet::new();
        for (name, node) in named {
            let key = name.to_lowercase();
            if !seen.insert(key) {
                self.error(
                    node,
                    format!("duplicate {what}: `{name}`"),
                    "each name may appear once (names are case-insensitive)",
                );
            }
        }
    }

    /// Finishes reading: sorts the diagnostics and pairs them with the value.
    pub fn finish<T>(mut self, value: T) -> Loaded<T> {
        crate::model::diag::sort(&mut self.diagnostics);
        Loaded {
            value,
            diagnostics: self.diagnostics,
        }
    }
}

/// The allowed name closest to a misspelt one, when it is close enough to suggest.
fn closest<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(key, a), *a))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# Lever 1 tables
tables:
  - name: ${catalog}.sales.bookings   # the fact table
    comment: \"Booking facts\"
    tags: {domain: sales}
    columns:
      - name: status
        synonyms: [state, booking status]

      - name: created_at
        synonyms:
          - booked
          - 'made'
        comment: |
          When the booking
          was made.
other: 1
";

    fn path(s: &str) -> YamlPath {
        YamlPath::parse(s).unwrap()
    }

    fn diff(a: &str, b: &str) -> String {
        similar::TextDiff::from_lines(a, b)
            .unified_diff()
            .context_radius(1)
            .to_string()
    }

    #[test]
    fn paths_parse_and_print_back() {
        let p = path("tables[name=${var.x}.s.t].columns[0].synonyms");
        assert_eq!(
            p.to_string(),
            "tables[name=${var.x}.s.t].columns[0].synonyms"
        );
        let q = YamlPath::root().key("a").find("name", "x]\"y");
        assert_eq!(YamlPath::parse(&q.to_string()).unwrap(), q);
        assert!(YamlPath::parse("a..b").is_err());
        assert!(YamlPath::parse("a[name=x").is_err());
    }

    #[test]
    fn a_flow_synonym_is_appended_and_removed_in_place() {
        let p = path("tables[name=${catalog}.sales.bookings].columns[name=status].synonyms");
        let added = append(DOC, &p, Value::str("order state")).unwrap();
        insta::assert_snapshot!(diff(DOC, &added));
        assert_eq!(remove(&added, &p, Value::str("order state")).unwrap(), DOC);
    }

    #[test]
    fn a_block_item_is_appended_with_the_same_dash_indentation() {
        let p = path("tables[0].columns[name=created_at].synonyms");
        let added = append(DOC, &p, Value::str("booking date")).unwrap();
        insta::assert_snapshot!(diff(DOC, &added));
        assert_eq!(remove(&added, &p, Value::str("booking date")).unwrap(), DOC);
    }

    #[test]
    fn a_quoted_scalar_keeps_its_quotes_and_a_literal_stays_literal() {
        let comment = path("tables[0].comment");
        let edited = set_scalar(DOC, &comment, "Bookings: one row each").unwrap();
        assert!(edited.contains("comment: \"Bookings: one row each\"\n"));
        let literal = path("tables[0].columns[1].comment");
        let edited = set_scalar(DOC, &literal, "When the guest\nbooked.\n").unwrap();
        insta::assert_snapshot!(diff(DOC, &edited));
    }

    #[test]
    fn a_plain_scalar_is_quoted_only_when_yaml_requires_it() {
        let text = "a: x\n";
        assert_eq!(set_scalar(text, &path("a"), "y z").unwrap(), "a: y z\n");
        assert_eq!(set_scalar(text, &path("a"), "yes").unwrap(), "a: \"yes\"\n");
        assert_eq!(
            set_scalar(text, &path("a"), "k: v").unwrap(),
            "a: \"k: v\"\n"
        );
        assert_eq!(set_scalar(text, &path("a"), "1.5").unwrap(), "a: \"1.5\"\n");
    }

    #[test]
    fn keys_are_inserted_after_a_sibling_or_at_the_end_and_removed_again() {
        let table = path("tables[0]");
        let after_name = insert_key(
            DOC,
            &table,
            "primary_key",
            Value::strs(&["booking_id"]),
            Some("name"),
        )
        .unwrap();
        insta::assert_snapshot!(diff(DOC, &after_name));
        assert_eq!(remove_key(&after_name, &table, "primary_key").unwrap(), DOC);
        let nested = Value::map([("owner", Value::str("finance"))]);
        let at_end = insert_key(DOC, &table, "properties", nested, None).unwrap();
        insta::assert_snapshot!(diff(DOC, &at_end));
        assert_eq!(remove_key(&at_end, &table, "properties").unwrap(), DOC);
    }

    #[test]
    fn flow_mapping_keys_are_inserted_and_removed_inline() {
        let tags = path("tables[0].tags");
        let edited = insert_key(DOC, &tags, "tier", Value::str("gold"), None).unwrap();
        assert!(edited.contains("tags: {domain: sales, tier: gold}\n"));
        assert_eq!(remove_key(&edited, &tags, "tier").unwrap(), DOC);
    }

    #[test]
    fn a_sequence_is_replaced_in_its_own_style() {
        let block = path("tables[0].columns[1].synonyms");
        let edited = replace_sequence(DOC, &block, &["x".into(), "y: z".into()]).unwrap();
        insta::assert_snapshot!(diff(DOC, &edited));
        let flow = path("tables[0].columns[0].synonyms");
        let edited = replace_sequence(DOC, &flow, &["only".into()]).unwrap();
        assert!(edited.contains("synonyms: [only]\n"));
    }

    #[test]
    fn replacing_a_sequence_keeps_the_text_of_the_items_it_keeps() {
        let flow = "a: [aa, on, 'x y']\n";
        let items = ["on".into(), "new".into(), "x y".into()];
        let edited = replace_sequence(flow, &path("a"), &items).unwrap();
        assert_eq!(edited, "a: [on, new, 'x y']\n");
        let block = "a:\n  - 'one'  # first\n  - |\n    two\n  - three\nb: 1\n";
        let items = ["two\n".into(), "one".into(), "four".into()];
        let edited = replace_sequence(block, &path("a"), &items).unwrap();
        let expected = "a:\n  - |\n    two\n  - 'one'  # first\n  - four\nb: 1\n";
        assert_eq!(edited, expected);
    }

    #[test]
    fn removing_the_last_block_item_leaves_an_empty_flow_sequence() {
        let text = "a:\n  - x\nb: 1\n";
        assert_eq!(
            remove(text, &path("a"), Value::str("x")).unwrap(),
            "a: []\nb: 1\n"
        );
    }

    #[test]
    fn removing_the_first_key_of_a_sequence_item_keeps_the_dash() {
        let text = "- name: a\n  comment: c\n";
        assert_eq!(
            remove_key(text, &path("[0]"), "name").unwrap(),
            "- comment: c\n"
        );
    }

    #[test]
    fn edits_are_refused_with_a_reason() {
        let missing = set_scalar(DOC, &path("tables[name=nope].comment"), "x").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "`tables[name=nope]` was not found (its parent is a sequence)"
        );
        let kind = set_scalar(DOC, &path("tables"), "x").unwrap_err();
        assert_eq!(
            kind.to_string(),
            "`tables` is a sequence, expected a scalar"
        );
        let exists =
            insert_key(DOC, &path("tables[0]"), "comment", Value::str("x"), None).unwrap_err();
        assert_eq!(
            exists.to_string(),
            "`tables[0]` already has the key `comment`"
        );
        let broken = set_scalar("a: [x\n", &path("a"), "y").unwrap_err();
        assert!(matches!(broken, EditError::Syntax(_)), "{broken}");
    }

    #[test]
    fn a_literal_block_is_rewritten_at_its_own_indentation() {
        let text = "a: |\n    one\nb: 1\n";
        let result = set_scalar(text, &path("a"), "two\nthree\n").unwrap();
        assert_eq!(result, "a: |\n    two\n    three\nb: 1\n");
    }

    #[test]
    fn a_splice_that_would_land_inside_a_comment_is_refused() {
        let text = "a: # note\n  - x\nb: 1\n";
        let refused = remove(text, &path("a"), Value::str("x")).unwrap_err();
        assert!(matches!(refused, EditError::Unverified { .. }), "{refused}");
    }

    /// The source text of the node at `p`.
    fn span<'t>(text: &'t str, p: &str) -> &'t str {
        let root = parse(text).unwrap();
        let node = locate(&root, &path(p)).unwrap();
        &text[node.start..node.end]
    }

    #[test]
    fn a_block_scalar_ends_after_its_last_content_line() {
        let cases = [
            ("a: |\n  two\n  lines\n\n# c\n", "a", "|\n  two\n  lines\n"),
            (
                "a: >\n  two\n  lines\n\n\nb: 1\n",
                "a",
                ">\n  two\n  lines\n",
            ),
            ("a: |-\n  two\n\nb: 1\n", "a", "|-\n  two\n"),
            ("a: >2-\n    two\n\nb: 1\n", "a", ">2-\n    two\n"),
            ("a: |\n  two\n  lines", "a", "|\n  two\n  lines"),
            ("a: |\n\nb: 1\n", "a", "|\n"),
            ("a: |\r\n  x\r\n\r\nb: 1\r\n", "a", "|\r\n  x\r\n"),
            ("- a: |\n    x\n\n  b: 1\n", "[0].a", "|\n    x\n"),
            ("- |\n  x\n\n- |\n  y\n\n", "[1]", "|\n  y\n"),
            (
                "a: |\n  x\n  \n\n    # deeper\n# c\n",
                "a",
                "|\n  x\n  \n\n    # deeper\n",
            ),
        ];
        for (text, p, expected) in cases {
            assert_eq!(span(text, p), expected, "{text:?}");
        }
    }

    #[test]
    fn kept_trailing_lines_and_deeper_blank_lines_are_block_scalar_content() {
        assert_eq!(span("a: |+\n  two\n\nb: 1\n", "a"), "|+\n  two\n\n");
        assert_eq!(span("a: |\n  x\n     \nb: 1\n", "a"), "|\n  x\n     \n");
    }

    #[test]
    fn a_block_scalar_key_comes_and_goes_without_touching_what_follows() {
        let head = "tables:\n  - name: t0   # table\n    columns:\n      - name: col_0\n";
        let comment = "        comment: |\n          two\n          lines\n";
        let tails = [
            "\n# between tables\n",
            "\n",
            "# right after\n",
            "        # deeper than the key, shallower than the text\n",
            "\n  - name: t1\n",
            "",
        ];
        let column = path("tables[0].columns[0]");
        let value = Value::str("two\nlines\n");
        for tail in tails {
            let without = format!("{head}{tail}");
            let with = format!("{head}{comment}{tail}");
            let inserted = insert_key(&without, &column, "comment", value.clone(), Some("name"));
            assert_eq!(inserted.unwrap(), with, "{tail:?}");
            assert_eq!(remove_key(&with, &column, "comment").unwrap(), without);
            let replaced = set_scalar(&with, &column.clone().key("comment"), "one\n").unwrap();
            let one = "        comment: |\n          one\n";
            assert_eq!(replaced, format!("{head}{one}{tail}"));
        }
    }

    #[test]
    fn a_last_block_scalar_key_without_a_final_line_break_comes_and_goes_exactly() {
        let without = "a: 1";
        let with = "a: 1\nc: |\n  two\n  lines";
        let root = YamlPath::root();
        let value = Value::str("two\nlines\n");
        assert_eq!(insert_key(without, &root, "c", value, None).unwrap(), with);
        assert_eq!(remove_key(with, &root, "c").unwrap(), without);
        assert_eq!(remove_key("a: 1\nb: x", &root, "b").unwrap(), "a: 1");
        let list = "a:\n  - x\n  - |\n    y";
        assert_eq!(
            remove(list, &path("a"), Value::str("y\n")).unwrap(),
            "a:\n  - x"
        );
    }

    #[test]
    fn items_of_a_sequence_of_block_scalars_keep_the_blank_lines_between_them() {
        let text = "seq:\n  - |\n    x\n\n  - >-\n    y\n\n# end\n";
        let seq = path("seq");
        let appended = append(text, &seq, Value::str("z\n")).unwrap();
        let expected = "seq:\n  - |\n    x\n\n  - >-\n    y\n  - |\n    z\n\n# end\n";
        assert_eq!(appended, expected);
        assert_eq!(remove(&appended, &seq, Value::str("z\n")).unwrap(), text);
        let first = set_scalar(text, &path("seq[0]"), "w\n").unwrap();
        assert_eq!(first, text.replacen("    x\n", "    w\n", 1));
        let last = set_scalar(text, &path("seq[1]"), "v").unwrap();
        assert_eq!(last, text.replacen(">-\n    y\n", "v\n", 1));
    }

    #[test]
    fn a_comment_on_a_block_scalar_header_survives_a_new_value() {
        let text = "a: |  # x > y\n  one\nb: 1\n";
        let edited = set_scalar(text, &path("a"), "two\n").unwrap();
        assert_eq!(edited, "a: |  # x > y\n  two\nb: 1\n");
        let plain = set_scalar(text, &path("a"), "two").unwrap();
        assert_eq!(plain, "a: two  # x > y\nb: 1\n");
        assert_eq!(set_scalar(&edited, &path("a"), "one\n").unwrap(), text);
    }

    #[test]
    fn aliases_and_second_documents_are_reported_with_a_position() {
        let alias = parse("a: &x 1\nb: *x\n").unwrap_err();
        assert_eq!((alias.line, alias.col), (2, 4));
        let two = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(two.line, 2);
    }
}
