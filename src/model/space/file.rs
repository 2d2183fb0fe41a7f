//! The space file as kept in a repository, and reading it from text.
//!
//! A space file is either the bare `serialized_space` object or the API's GenieSpace wrapper
//! (`{space_id?, title, description, warehouse_id?, serialized_space: "<json string>", …}`); the
//! wrapper's `serialized_space` may also be given as a nested object. [`parse`] reads either form
//! into a [`SpaceFile`] plus the [`Positions`] of every value, or returns every problem that
//! prevents reading it as a [`Diagnostic`] with its line and column. Version 1 files are upgraded
//! to version 2 on the way in (with a warning saying so).

use serde_json::{Map, Value};

use super::shape::{self, Problem, ProblemKind, V1_RENAMES};
use super::{Extra, SerializedSpace};
use crate::model::diag::{self, Diagnostic};
use crate::model::json::{self, Span, Spans};

/// The space file: the space itself and, for the wrapper form, the wrapper's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpaceFile {
    pub space: SerializedSpace,
    /// `None` for the bare form.
    pub wrapper: Option<Wrapper>,
}

/// Which form a space file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceForm {
    /// The `serialized_space` object on its own.
    Bare,
    /// The API wrapper with `serialized_space` as a JSON string (the API's own shape).
    WrapperString,
    /// The API wrapper with `serialized_space` as a nested object (easier to review in git).
    WrapperObject,
}

/// The GenieSpace wrapper's fields other than `serialized_space`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wrapper {
    pub space_id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub warehouse_id: Option<String>,
    pub parent_path: Option<String>,
    /// Whether `serialized_space` is written as a nested object rather than a string.
    pub serialized_as_object: bool,
    /// Every other key (`etag`, `create_time`, unknown keys), kept verbatim and in order.
    pub extra: Extra,
}

/// The wrapper keys [`Wrapper`] models as fields, in canonical order.
const WRAPPER_FIELDS: [&str; 5] = [
    "space_id",
    "title",
    "description",
    "warehouse_id",
    "parent_path",
];

impl SpaceFile {
    /// A bare space file.
    pub fn bare(space: SerializedSpace) -> Self {
        Self {
            space,
            wrapper: None,
        }
    }

    pub fn form(&self) -> SpaceForm {
        match &self.wrapper {
            None => SpaceForm::Bare,
            Some(w) if w.serialized_as_object => SpaceForm::WrapperObject,
            Some(_) => SpaceForm::WrapperString,
        }
    }
}

impl Wrapper {
    /// The wrapper as a JSON object holding `serialized_space`: known fields in canonical order,
    /// then the other keys in their original order.
    pub(crate) fn to_object(&self, serialized_space: Value) -> Map<String, Value> {
        let mut map = Map::new();
        let fields = [
            &self.space_id,
            &self.title,
            &self.description,
            &self.warehouse_id,
            &self.parent_path,
        ];
        for (name, value) in WRAPPER_FIELDS.into_iter().zip(fields) {
            if let Some(v) = value {
                map.insert(name.to_owned(), Value::String(v.clone()));
            }
        }
        map.insert("serialized_space".to_owned(), serialized_space);
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        map
    }

    fn from_object(map: &Map<String, Value>, serialized_as_object: bool) -> Self {
        let field = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            space_id: field("space_id"),
            title: field("title"),
            description: field("description"),
            warehouse_id: field("warehouse_id"),
            parent_path: field("parent_path"),
            serialized_as_object,
            extra: map
                .iter()
                .filter(|(k, _)| *k != "serialized_space" && !WRAPPER_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// Where the values of a parsed space sit in the file's text, by JSON pointer relative to the
/// `serialized_space` root (so `/data_sources/tables/0/identifier` in either form).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Positions {
    text: String,
    spans: Spans,
}

impl Positions {
    /// No positions: diagnostics get line 0 (a space built in memory, not read from a file).
    pub fn none() -> Self {
        Self::default()
    }

    /// The 1-based (line, column) of the value at `pointer`, or (0, 0) when unknown.
    pub fn locate(&self, pointer: &str) -> (usize, usize) {
        self.spans
            .value(pointer)
            .map_or((0, 0), |s| diag::line_col(&self.text, s.start))
    }

    /// The (line, column) of the object key of the member at `pointer`, or of its value when the
    /// key is unknown.
    pub fn locate_key(&self, pointer: &str) -> (usize, usize) {
        match self.spans.key(pointer) {
            Some(s) => diag::line_col(&self.text, s.start),
            None => self.locate(pointer),
        }
    }

    /// Whether a value exists at `pointer` in the file as written.
    pub fn has(&self, pointer: &str) -> bool {
        self.spans.value(pointer).is_some()
    }
}

/// A space file read from text, with where its values are and the warnings reading it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSpaceFile {
    pub file: SpaceFile,
    pub positions: Positions,
    /// Warnings only (version upgrade, unknown keys, duplicate keys); errors make [`parse`] fail.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a space file in either form. `file` names it in diagnostics.
///
/// On failure returns every problem found (syntax errors stop at the first one; type errors are
/// all reported), sorted by position.
pub fn parse(file: &str, text: &str) -> Result<ParsedSpaceFile, Vec<Diagnostic>> {
    let mut reader = FileReader {
        file,
        text,
        diags: Vec::new(),
    };
    let result = reader.read();
    let mut diags = reader.diags;
    diag::sort(&mut diags);
    match result {
        Some((space_file, spans)) if !diags.iter().any(Diagnostic::is_error) => {
            Ok(ParsedSpaceFile {
                file: space_file,
                positions: Positions {
                    text: text.to_owned(),
                    spans,
                },
                diagnostics: diags,
            })
        }
        _ => Err(diags),
    }
}

struct FileReader<'a> {
    file: &'a str,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

impl FileReader<'_> {
    fn at_offset(&mut self, offset: usize, message: String, hint: &str) {
        let (line, col) = diag::line_col(self.text, offset);
        self.diags.push(
            Diagnostic::error(self.file, message)
                .at(line, col)
                .hint(hint),
        );
    }

    fn at_span(&self, span: Option<Span>) -> (usize, usize) {
        span.map_or((0, 0), |s| diag::line_col(self.text, s.start))
    }

    fn read(&mut self) -> Option<(SpaceFile, Spans)> {
        let doc = match json::parse(self.text) {
            Ok(doc) => doc,
            Err(e) => {
                self.at_offset(
                    e.offset,
                    format!("invalid JSON: {}", e.message),
                    "fix the JSON syntax at this position",
                );
                return None;
            }
        };
        self.report_duplicate_keys(&doc.spans);
        let Some(top) = doc.value.as_object() else {
            let (line, col) = self.at_span(doc.spans.value(""));
            self.diags.push(
                Diagnostic::error(
                    self.file,
                    format!(
                        "a space file must be a JSON object, found {}",
                        shape::describe(&doc.value)
                    ),
                )
                .at(line, col)
                .hint("write the `serialized_space` object or the API wrapper object"),
            );
            return None;
        };
        match top.get("serialized_space") {
            None => self.read_space(doc.value.clone(), doc.spans),
            Some(inner) => self.read_wrapper(top, inner, &doc.spans),
        }
    }

    fn read_wrapper(
        &mut self,
        top: &Map<String, Value>,
        inner: &Value,
        outer: &Spans,
    ) -> Option<(SpaceFile, Spans)> {
        let mut problems = Vec::new();
        shape::check_object(
            &Value::Object(top.clone()),
            shape::WRAPPER,
            "",
            &mut problems,
        );
        problems.retain(|p| p.pointer != "/serialized_space");
        self.report_problems(problems, outer);
        let (space, spans) = match inner {
            Value::String(s) if s.trim().is_empty() => {
                let (line, col) = self.at_span(outer.value("/serialized_space"));
                self.diags.push(
                    Diagnostic::error(self.file, "`serialized_space` is empty")
                        .at(line, col)
                        .hint("export the space with CAN EDIT permission and `include_serialized_space=true`"),
                );
                return None;
            }
            Value::String(_) => {
                let span = outer.value("/serialized_space")?;
                match json::parse_embedded(self.text, span) {
                    Ok(doc) => {
                        self.report_duplicate_keys(&doc.spans);
                        self.read_space(doc.value, doc.spans)?
                    }
                    Err(e) => {
                        self.at_offset(
                            e.offset,
                            format!("invalid JSON in `serialized_space`: {}", e.message),
                            "fix the escaped JSON inside the `serialized_space` string",
                        );
                        return None;
                    }
                }
            }
            Value::Object(_) => {
                let spans = outer.subtree("/serialized_space");
                self.read_space(inner.clone(), spans)?
            }
            other => {
                let (line, col) = self.at_span(outer.value("/serialized_space"));
                self.diags.push(
                    Diagnostic::error(
                        self.file,
                        format!(
                            "`serialized_space` must be a JSON string or object, found {}",
                            shape::describe(other)
                        ),
                    )
                    .at(line, col)
                    .hint("put the space export here"),
                );
                return None;
            }
        };
        let wrapper = Wrapper::from_object(top, inner.is_object());
        Some((
            SpaceFile {
                space: space.space,
                wrapper: Some(wrapper),
            },
            spans,
        ))
    }

    /// Checks the shape of a space value, deserializes it and upgrades version 1.
    fn read_space(&mut self, value: Value, spans: Spans) -> Option<(SpaceFile, Spans)> {
        let mut problems = Vec::new();
        shape::check_object(&value, shape::SPACE, "", &mut problems);
        let fatal = problems.iter().any(|p| p.kind == ProblemKind::Error);
        self.report_problems(problems, &spans);
        if fatal {
            return None;
        }
        let mut space: SerializedSpace = match serde_json::from_value(value) {
            Ok(space) => space,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(self.file, format!("cannot read the space: {e}"))
                        .hint("check the file against the serialized_space v2 format"),
                );
                return None;
            }
        };
        self.upgrade(&mut space, &spans);
        Some((SpaceFile::bare(space), spans))
    }

    fn report_problems(&mut self, problems: Vec<Problem>, spans: &Spans) {
        for p in problems {
            let span = if p.on_key {
                spans.key(&p.pointer)
            } else {
                spans.value(&p.pointer)
            };
            let (line, col) = self.at_span(span);
            let d = match p.kind {
                ProblemKind::Error => Diagnostic::error(self.file, p.message),
                ProblemKind::UnknownKey => Diagnostic::warning(self.file, p.message),
            };
            self.diags.push(d.at(line, col).hint(p.hint));
        }
    }

    fn report_duplicate_keys(&mut self, spans: &Spans) {
        for pointer in spans.duplicate_keys() {
            let (line, col) = self.at_span(spans.key(pointer));
            let key = pointer.rsplit('/').next().unwrap_or_default();
            self.diags.push(
                Diagnostic::warning(
                    self.file,
                    format!("key `{key}` appears more than once in this object"),
                )
                .at(line, col)
                .hint("remove the repeated key; only the last value is kept"),
            );
        }
    }

    /// Version 1 → 2: renames the column-config flags and bumps the version.
    fn upgrade(&mut self, space: &mut SerializedSpace, spans: &Spans) {
        let was_v1 = space.version == 1;
        if !(1..=2).contains(&space.version) {
            let (line, col) = self.at_span(spans.value("/version"));
            self.diags.push(
                Diagnostic::error(
                    self.file,
                    format!("unsupported space file version {}", space.version),
                )
                .at(line, col)
                .hint("genie-gitops reads versions 1 and 2; export the space again"),
            );
            return;
        }
        for (pointer, config) in super::column_configs_mut(space) {
            for (old, new) in V1_RENAMES {
                let Some(Value::Bool(flag)) = config.extra.remove(old) else {
                    continue;
                };
                let slot = match new {
                    "enable_format_assistance" => &mut config.enable_format_assistance,
                    _ => &mut config.enable_entity_matching,
                };
                let key_pointer = json::child(&pointer, old);
                let (line, col) = self.at_span(spans.key(&key_pointer));
                match *slot {
                    Some(current) if current != flag => self.diags.push(
                        Diagnostic::error(
                            self.file,
                            format!("`{old}` ({flag}) contradicts `{new}` ({current})"),
                        )
                        .at(line, col)
                        .hint(format!(
                            "`{old}` is the version 1 name of `{new}`: keep only `{new}`"
                        )),
                    ),
                    _ if !was_v1 => {
                        *slot = Some(flag);
                        self.diags.push(
                            Diagnostic::warning(
                                self.file,
                                format!("`{old}` is the version 1 name of `{new}`"),
                            )
                            .at(line, col)
                            .hint("run `genie-gitops fmt` to rename it"),
                        );
                    }
                    _ => *slot = Some(flag),
                }
            }
        }
        if was_v1 {
            space.version = 2;
            let (line, col) = self.at_span(spans.value("/version"));
            self.diags.push(
                Diagnostic::warning(self.file, "version 1 space file read as version 2")
                    .at(line, col)
                    .hint("run `genie-gitops fmt` to write it as version 2 (`get_example_values` becomes `enable_format_assistance`, `build_value_dictionary` becomes `enable_entity_matching`)"),
            );
        }
    }
}
