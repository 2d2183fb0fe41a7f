//! A small JSON reader that remembers where every value came from.
//!
//! `serde_json` tells us *what* a document holds; diagnostics also need *where*. [`parse`] reads
//! JSON (RFC 8259) into a [`serde_json::Value`] and records, for every value and every object
//! key, its byte span in the source, keyed by JSON pointer (RFC 6901: `/a/0/b`, with `~0` for `~`
//! and `~1` for `/`). [`parse_embedded`] reads a JSON document stored inside a JSON string (the
//! API wrapper's `serialized_space`) and maps its spans back onto the outer text, so a problem deep
//! inside the escaped string still gets an exact line and column.
//!
//! The reader never panics: every failure is a [`JsonError`] with the byte offset where reading
//! stopped. Nesting deeper than [`MAX_DEPTH`] is refused rather than risking the stack. When an
//! object repeats a key the last value wins (as in `serde_json`) and the repetition is recorded in
//! [`Spans::duplicate_keys`] so callers can report it.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// The deepest nesting of arrays and objects [`parse`] accepts.
pub const MAX_DEPTH: usize = 128;

/// A half-open byte range `start..end` in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Why reading stopped, and where (a byte offset into the source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    pub offset: usize,
    pub message: String,
}

/// Where each value and key of a document sits in its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
    duplicates: Vec<String>,
}

impl Spans {
    /// The span of the value at `pointer` (`""` is the whole document).
    pub fn value(&self, pointer: &str) -> Option<Span> {
        self.values.get(pointer).copied()
    }

    /// The span of the key (with its quotes) of the object member at `pointer`.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.keys.get(pointer).copied()
    }

    /// Pointers of object members whose key appeared more than once (the last one is kept), in
    /// document order.
    pub fn duplicate_keys(&self) -> &[String] {
        &self.duplicates
    }

    /// Spans of the values and keys under `prefix`, re-keyed relative to it. Lets a nested
    /// document (the wrapper's `serialized_space` object) be read as if it stood alone.
    pub fn subtree(&self, prefix: &str) -> Spans {
        let strip = |map: &HashMap<String, Span>| {
            map.iter()
                .filter_map(|(p, s)| relative(p, prefix).map(|r| (r.to_owned(), *s)))
                .collect()
        };
        Spans {
            values: strip(&self.values),
            keys: strip(&self.keys),
            duplicates: self
                .duplicates
                .iter()
                .filter_map(|p| relative(p, prefix).map(str::to_owned))
                .collect(),
        }
    }
}

/// `pointer` relative to `prefix`, when it lies under it.
fn relative<'a>(pointer: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = pointer.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// A parsed document and the spans of its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub value: Value,
    pub spans: Spans,
}

/// Escapes one reference token for use in a JSON pointer.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Appends a reference token to a pointer.
pub fn child(pointer: &str, token: impl std::fmt::Display) -> String {
    format!("{pointer}/{}", escape_token(&token.to_string()))
}

/// Reads one JSON document (surrounding whitespace allowed, nothing else).
pub fn parse(text: &str) -> Result<Document, JsonError> {
    let mut reader = Reader {
        src: text,
        pos: 0,
        spans: Spans::default(),
    };
    reader.skip_ws();
    let value = reader.value(String::new(), 0)?;
    reader.skip_ws();
    if reader.pos < text.len() {
        return Err(reader.error("unexpected characters after the JSON document"));
    }
    Ok(Document {
        value,
        spans: reader.spans,
    })
}

/// Reads the JSON document held in the JSON string literal at `string_span` of `outer` (the span
/// includes the quotes), reporting spans and error offsets as positions in `outer`.
pub fn parse_embedded(outer: &str, string_span: Span) -> Result<Document, JsonError> {
    let decoded = decode_with_offsets(outer, string_span)?;
    let map = |offset: usize| {
        decoded
            .offsets
            .get(offset)
            .copied()
            .unwrap_or(string_span.end)
    };
    match parse(&decoded.text) {
        Ok(mut doc) => {
            let remap = |spans: &mut HashMap<String, Span>| {
                for span in spans.values_mut() {
                    *span = Span {
                        start: map(span.start),
                        end: map(span.end),
                    };
                }
            };
            remap(&mut doc.spans.values);
            remap(&mut doc.spans.keys);
            Ok(doc)
        }
        Err(e) => Err(JsonError {
            offset: map(e.offset),
            message: format!("in the embedded JSON string: {}", e.message),
        }),
    }
}

/// A decoded string literal and, for each decoded byte (plus one past the end), the offset of the
/// source character it came from.
struct Decoded {
    text: String,
    offsets: Vec<usize>,
}

fn decode_with_offsets(outer: &str, span: Span) -> Result<Decoded, JsonError> {
    let raw = outer.get(span.start..span.end).ok_or_else(|| JsonError {
        offset: span.start,
        message: "string span is outside the text".into(),
    })?;
    let mut reader = Reader {
        src: outer,
        pos: span.start,
        spans: Spans::default(),
    };
    if !raw.starts_with('"') {
        return Err(reader.error("expected a JSON string"));
    }
    reader.pos += 1;
    let mut decoded = Decoded {
        text: String::new(),
        offsets: Vec::new(),
    };
    loop {
        let start = reader.pos;
        match reader.string_char()? {
            None => break,
            Some(c) => {
                decoded.text.push(c);
                decoded
                    .offsets
                    .extend(std::iter::repeat_n(start, c.len_utf8()));
            }
        }
    }
    decoded.offsets.push(reader.pos.saturating_sub(1));
    Ok(decoded)
}

struct Reader<'a> {
    src: &'a str,
    pos: usize,
    spans: Spans,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> JsonError {
        JsonError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// An error naming what was expected and what was found instead.
    fn unexpected(&self, expected: &str) -> JsonError {
        let found = match self.src.get(self.pos..).and_then(|r| r.chars().next()) {
            None => "the end of the file".to_owned(),
            Some(c) if c.is_control() => format!("{c:?}"),
            Some(c) => format!("`{c}`"),
        };
        self.error(format!("expected {expected}, found {found}"))
    }

    fn value(&mut self, pointer: String, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(&pointer, depth)?,
            Some(b'[') => self.array(&pointer, depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.unexpected("a JSON value")),
        };
        let span = Span {
            start,
            end: self.pos,
        };
        self.spans.values.insert(pointer, span);
        Ok(value)
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self
            .src
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(word))
        {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn object(&mut self, pointer: &str, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a quoted object key"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let member = child(pointer, &key);
            let key_span = Span {
                start: key_start,
                end: self.pos,
            };
            self.skip_ws();
            self.expect(b':', "`:` after the object key")?;
            self.skip_ws();
            let value = self.value(member.clone(), depth + 1)?;
            if map.insert(key, value).is_some() {
                self.spans.duplicates.push(member.clone());
            }
            self.spans.keys.insert(member, key_span);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.unexpected("`,` or `}` in the object")),
            }
        }
    }

    fn array(&mut self, pointer: &str, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            let item = self.value(child(pointer, items.len()), depth + 1)?;
            items.push(item);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]` in the array")),
            }
        }
    }

    /// Reads a string literal starting at the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.string_char()? {
            out.push(c);
        }
        Ok(out)
    }

    /// The next character of a string literal, or `None` after its closing quote.
    fn string_char(&mut self) -> Result<Option<char>, JsonError> {
        let Some(c) = self.src.get(self.pos..).and_then(|r| r.chars().next()) else {
            return Err(self.error("unterminated string: add the closing `\"`"));
        };
        match c {
            '"' => {
                self.pos += 1;
                Ok(None)
            }
            '\\' => {
                self.pos += 1;
                self.escape().map(Some)
            }
            c if u32::from(c) < 0x20 => Err(self.error(format!(
                "control character {c:?} inside a string: write it as an escape such as `\\n`"
            ))),
            c => {
                self.pos += c.len_utf8();
                Ok(Some(c))
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let simple = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                return self.unicode_escape();
            }
            _ => return Err(self.unexpected("an escape (`\\n`, `\\\"`, `\\uXXXX`, ...)")),
        };
        self.pos += 1;
        Ok(simple)
    }

    /// Reads the `XXXX` of `\uXXXX` (and a following low surrogate when needed).
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let start = self.pos.saturating_sub(2);
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            return char::from_u32(first).ok_or_else(|| JsonError {
                offset: start,
                message: "a lone low surrogate escape is not a character".into(),
            });
        }
        let pair = self
            .src
            .get(self.pos..)
            .is_some_and(|r| r.starts_with("\\u"));
        if !pair {
            return Err(JsonError {
                offset: start,
                message: "a high surrogate escape must be followed by a low surrogate `\\uDC00`..`\\uDFFF`".into(),
            });
        }
        self.pos += 2;
        let second = self.hex4()?;
        if !(0xDC00..0xE000).contains(&second) {
            return Err(JsonError {
                offset: start,
                message: "a high surrogate escape must be followed by a low surrogate".into(),
            });
        }
        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        char::from_u32(code).ok_or_else(|| JsonError {
            offset: start,
            message: "invalid surrogate pair".into(),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("`\\u` must be followed by four hex digits"))?;
        let code = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error("`\\u` must be followed by four hex digits"))?;
        self.pos += 4;
        Ok(code)
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        let literal = self.src.get(start..self.pos).unwrap_or_default();
        let number: Number = serde_json::from_str(literal).map_err(|_| JsonError {
            offset: start,
            message: format!("number `{literal}` is out of range"),
        })?;
        Ok(Value::Number(number))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.unexpected("a digit"));
        }
        self.digits();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_keys_are_located_by_pointer() {
        let text = "{\n  \"a/b\": [1, {\"c~\": \"x\"}]\n}";
        let doc = parse(text).unwrap();
        let span = doc.spans.value("/a~1b/1/c~0").unwrap();
        assert_eq!(&text[span.start..span.end], "\"x\"");
        let key = doc.spans.key("/a~1b").unwrap();
        assert_eq!(&text[key.start..key.end], "\"a/b\"");
        assert_eq!(doc.value, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn strings_decode_every_escape_and_keep_raw_unicode() {
        let doc = parse(r#"["\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "é≥"]"#).unwrap();
        assert_eq!(doc.value[0], "\"\\/\u{8}\u{c}\n\r\té😀");
        assert_eq!(doc.value[1], "é≥");
    }

    #[test]
    fn syntax_errors_say_what_was_expected_and_where() {
        let err = parse("{\"a\": 1,}").unwrap_err();
        assert_eq!(err.offset, 8);
        assert_eq!(err.message, "expected a quoted object key, found `}`");
        let err = parse("[1 2]").unwrap_err();
        assert_eq!(err.message, "expected `,` or `]` in the array, found `2`");
        assert!(parse("\"abc").unwrap_err().message.contains("unterminated"));
        assert!(parse("[\"\\ud800\"]").is_err());
        assert!(parse("01").is_err());
        assert!(parse("1e999").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn repeated_keys_keep_the_last_value_and_are_recorded() {
        let doc = parse(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(doc.value["a"], 2);
        assert_eq!(doc.spans.duplicate_keys(), ["/a"]);
    }

    #[test]
    fn an_embedded_document_is_located_in_the_outer_text() {
        let outer = r#"{"s": "{\"k\": [\"v\u00e9\", 2]}"}"#;
        let doc = parse(outer).unwrap();
        let inner = parse_embedded(outer, doc.spans.value("/s").unwrap()).unwrap();
        assert_eq!(inner.value["k"][0], "vé");
        let span = inner.spans.value("/k/0").unwrap();
        assert_eq!(&outer[span.start..span.end], r#"\"v\u00e9\""#);
        let span = inner.spans.value("/k/1").unwrap();
        assert_eq!(&outer[span.start..span.end], "2");
    }

    #[test]
    fn an_error_in_an_embedded_document_points_into_the_outer_text() {
        let outer = r#"{"s": "{\"k\" 1}"}"#;
        let doc = parse(outer).unwrap();
        let err = parse_embedded(outer, doc.spans.value("/s").unwrap()).unwrap_err();
        assert_eq!(&outer[err.offset..err.offset + 1], "1");
    }

    #[test]
    fn a_subtree_is_keyed_relative_to_its_root() {
        let doc = parse(r#"{"w": {"x": [true]}, "wx": 1}"#).unwrap();
        let sub = doc.spans.subtree("/w");
        assert!(sub.value("/x/0").is_some());
        assert!(sub.value("").is_some());
        assert!(sub.value("x").is_none());
    }
}
