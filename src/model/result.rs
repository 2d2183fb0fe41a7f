//! A query result as the Databricks SQL Statement API returns it: typed columns and rows of
//! values that are strings or null. Shared by the workspace client, the simulator and the
//! evaluator, which normalizes the strings by column type before comparing.
//!
//! The rows are stored compactly ([`Rows`]): every cell's text in one buffer and one offset per
//! cell, instead of a vector per row and a `String` per cell. A million-row result is then a
//! few large allocations read front to back, not five million small ones scattered over the
//! heap; the comparator's reading of a result is bound by exactly that. On the wire and on disk
//! the rows are what they always were: a JSON array of arrays of strings or nulls.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One column of a result: its name and Databricks `type_name` (`LONG`, `STRING`, `DECIMAL`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultColumn {
    pub name: String,
    pub type_name: String,
}

/// A whole result table, all chunks joined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultSet {
    pub columns: Vec<ResultColumn>,
    pub rows: Rows,
    /// The producer cut the rows short (a row or byte limit, or Genie's 5,000-row cap).
    #[serde(default)]
    pub truncated: bool,
}

impl ResultSet {
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }
}

/// Marks a null cell in [`Rows::ends`] (text offsets never come near it).
const NULL: u64 = 1 << 63;

/// The rows of a result: a list of rows, each a list of cells that are text or null. Rows may
/// differ in length, as JSON allows; a cell past a row's end reads as absent.
///
/// Two `Rows` are equal when they hold the same cells: the encoding is a function of the cells.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// Every non-null cell's text, one after another.
    text: String,
    /// Per cell, in row order: where its text ends in `text` (it starts where the previous
    /// cell's ends), with the [`NULL`] bit set for a null cell.
    ends: Vec<u64>,
    /// Per row: where its cells end in `ends`.
    row_ends: Vec<usize>,
}

impl Rows {
    pub fn new() -> Self {
        Rows::default()
    }

    /// Room for `rows` rows of `width` cells holding `text_bytes` bytes of text in all.
    pub fn with_capacity(rows: usize, width: usize, text_bytes: usize) -> Self {
        Rows {
            text: String::with_capacity(text_bytes),
            ends: Vec::with_capacity(rows.saturating_mul(width)),
            row_ends: Vec::with_capacity(rows),
        }
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.row_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row_ends.is_empty()
    }

    /// Row `row`, if there is one.
    pub fn get(&self, row: usize) -> Option<Row<'_>> {
        let end = *self.row_ends.get(row)?;
        let start = self.row_start(row);
        Some(Row {
            rows: self,
            start,
            end,
        })
    }

    /// The cell at `row`, `column`: `None` for a null cell and for one that does not exist.
    #[inline]
    pub fn cell(&self, row: usize, column: usize) -> Option<&str> {
        let end = *self.row_ends.get(row)?;
        let index = self.row_start(row) + column;
        (index < end).then(|| self.cell_at(index)).flatten()
    }

    /// The rows in order.
    pub fn iter(&self) -> RowsIter<'_> {
        RowsIter {
            rows: self,
            range: 0..self.len(),
        }
    }

    /// Cell `column` of every row, in row order (`None` for a null or a missing cell): one
    /// pass front to back over the offsets.
    #[inline]
    pub fn column(&self, column: usize) -> ColumnCells<'_> {
        ColumnCells {
            rows: self,
            column,
            row: 0,
            row_start: 0,
        }
    }

    /// Appends a row.
    pub fn push<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = Option<S>>) {
        for cell in cells {
            self.push_cell(cell.as_ref().map(AsRef::as_ref));
        }
        self.end_row();
    }

    /// Appends every row of `other`.
    pub fn append(&mut self, other: Rows) {
        if self.is_empty() {
            *self = other;
            return;
        }
        let text_base = self.text.len() as u64;
        let cell_base = self.ends.len();
        self.text.push_str(&other.text);
        self.ends
            .extend(other.ends.iter().map(|end| end + text_base));
        self.row_ends
            .extend(other.row_ends.iter().map(|end| end + cell_base));
    }

    /// Keeps the first `len` rows.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        let cells = self.row_start(len);
        let text = match cells.checked_sub(1) {
            Some(last) => (self.ends[last] & !NULL) as usize,
            None => 0,
        };
        self.row_ends.truncate(len);
        self.ends.truncate(cells);
        self.text.truncate(text);
    }

    /// Rows `range` as a new `Rows` (clamped to the rows there are).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Rows {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let mut out = Rows::new();
        for row in start..end {
            if let Some(row) = self.get(row) {
                out.push(row.iter());
            }
        }
        out
    }

    /// The rows as plain vectors (for tests and small displays).
    pub fn to_vecs(&self) -> Vec<Vec<Option<String>>> {
        self.iter().map(|row| row.to_vec()).collect()
    }

    /// Appends one cell to the row being built; [`Rows::end_row`] closes the row.
    fn push_cell(&mut self, cell: Option<&str>) {
        match cell {
            Some(text) => {
                self.text.push_str(text);
                self.ends.push(self.text.len() as u64);
            }
            None => self.ends.push(self.text.len() as u64 | NULL),
        }
    }

    fn end_row(&mut self) {
        self.row_ends.push(self.ends.len());
    }

    /// The index in `ends` of row `row`'s first cell.
    #[inline]
    fn row_start(&self, row: usize) -> usize {
        match row.checked_sub(1) {
            Some(previous) => self.row_ends[previous],
            None => 0,
        }
    }

    /// The cell at index `index` of `ends` (which must exist).
    #[inline]
    fn cell_at(&self, index: usize) -> Option<&str> {
        let end = self.ends[index];
        if end & NULL != 0 {
            return None;
        }
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends[previous] & !NULL,
            None => 0,
        };
        // Offsets are byte positions between whole pushed strings, so always char boundaries.
        self.text.get(start as usize..end as usize)
    }
}

/// The cells of one column, row by row ([`Rows::column`]).
#[derive(Clone)]
pub struct ColumnCells<'a> {
    rows: &'a Rows,
    column: usize,
    row: usize,
    /// The index in `rows.ends` of row `row`'s first cell.
    row_start: usize,
}

impl<'a> Iterator for ColumnCells<'a> {
    type Item = Option<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<Option<&'a str>> {
        let row_end = *self.rows.row_ends.get(self.row)?;
        let index = self.row_start + self.column;
        self.row += 1;
        self.row_start = row_end;
        Some(if index < row_end {
            self.rows.cell_at(index)
        } else {
            None
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.rows.len() - self.row;
        (left, Some(left))
    }
}

impl ExactSizeIterator for ColumnCells<'_> {}

/// One row of a [`Rows`].
#[derive(Clone, Copy)]
pub struct Row<'a> {
    rows: &'a Rows,
    /// Its cells' indices in `rows.ends`.
    start: usize,
    end: usize,
}

impl<'a> Row<'a> {
    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Cell `column`: `None` past the row's end, `Some(None)` for a null.
    pub fn get(&self, column: usize) -> Option<Option<&'a str>> {
        let index = self.start + column;
        (index < self.end).then(|| self.rows.cell_at(index))
    }

    /// Cell `column`, with a null and a missing cell both `None`.
    pub fn cell(&self, column: usize) -> Option<&'a str> {
        self.get(column).flatten()
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&'a str>> + Clone + use<'a> {
        let rows = self.rows;
        (self.start..self.end).map(move |index| rows.cell_at(index))
    }

    pub fn to_vec(&self) -> Vec<Option<String>> {
        self.iter().map(|cell| cell.map(str::to_owned)).collect()
    }
}

impl PartialEq for Row<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = Row<'a>;
    type IntoIter = RowsIter<'a>;

    fn into_iter(self) -> RowsIter<'a> {
        self.iter()
    }
}

/// The rows of a [`Rows`] in order ([`Rows::iter`]).
#[derive(Clone)]
pub struct RowsIter<'a> {
    rows: &'a Rows,
    range: std::ops::Range<usize>,
}

impl<'a> RowsIter<'a> {
    fn row(&self, row: usize) -> Row<'a> {
        Row {
            rows: self.rows,
            start: self.rows.row_start(row),
            end: self.rows.row_ends[row],
        }
    }
}

impl<'a> Iterator for RowsIter<'a> {
    type Item = Row<'a>;

    fn next(&mut self) -> Option<Row<'a>> {
        let row = self.range.next()?;
        Some(self.row(row))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for RowsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let row = self.range.next_back()?;
        Some(self.row(row))
    }
}

impl ExactSizeIterator for RowsIter<'_> {}

impl<S: AsRef<str>> From<Vec<Vec<Option<S>>>> for Rows {
    fn from(rows: Vec<Vec<Option<S>>>) -> Self {
        rows.into_iter().collect()
    }
}

impl<S: AsRef<str>, R: IntoIterator<Item = Option<S>>> FromIterator<R> for Rows {
    fn from_iter<I: IntoIterator<Item = R>>(rows: I) -> Self {
        let mut out = Rows::new();
        for row in rows {
            out.push(row);
        }
        out
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for cell in self.iter() {
            seq.serialize_element(&cell)?;
        }
        seq.end()
    }
}

impl Serialize for Rows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Reads an array of rows straight into the compact form: no `String` per cell. A cell is a
/// string or null; any other JSON value (a number, a boolean, an array, an object) is kept as
/// the text JSON writes it.
impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut rows = Rows::new();
        deserializer.deserialize_seq(RowsVisitor(&mut rows))?;
        Ok(rows)
    }
}

struct RowsVisitor<'r>(&'r mut Rows);

impl<'de> Visitor<'de> for RowsVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct RowSeed<'r>(&'r mut Rows);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row: an array of strings or nulls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(CellSeed(&mut *self.0))?.is_some() {}
        self.0.end_row();
        Ok(())
    }
}

struct CellSeed<'r>(&'r mut Rows);

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cell: a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_cell(Some(v));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push_cell(None);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.visit_str(if v { "true" } else { "false" })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.visit_str(&serde_json::Value::from(v).to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.visit_str(&value.to_string())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.visit_str(&value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Vec<Option<String>>> {
        vec![
            vec![Some("EU".into()), Some("10".into())],
            vec![Some("".into()), None],
            vec![],
            vec![Some("ünï".into()), Some("3".into()), Some("extra".into())],
        ]
    }

    #[test]
    fn rows_give_back_the_cells_they_were_built_from() {
        let rows = Rows::from(sample());
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.to_vecs(), sample());
        assert_eq!(rows.cell(0, 1), Some("10"));
        assert_eq!(rows.cell(1, 0), Some(""));
        assert_eq!(rows.cell(1, 1), None);
        assert_eq!(rows.get(1).and_then(|r| r.get(1)), Some(None));
        assert_eq!(rows.get(2).and_then(|r| r.get(0)), None);
        assert_eq!(rows.cell(3, 2), Some("extra"));
        assert_eq!(rows.cell(9, 0), None);
        assert!(rows.get(4).is_none());
        let second: Vec<Option<&str>> = rows.column(1).collect();
        assert_eq!(second, [Some("10"), None, None, Some("3")]);
    }

    #[test]
    fn an_empty_text_and_a_null_are_different_rows() {
        let empty = Rows::from(vec![vec![Some("")]]);
        let null = Rows::from(vec![vec![None::<&str>]]);
        assert_ne!(empty, null);
    }

    #[test]
    fn rows_read_and_write_the_json_of_an_array_of_arrays() {
        let rows = Rows::from(sample());
        let json = serde_json::to_string(&rows).unwrap();
        assert_eq!(json, r#"[["EU","10"],["",null],[],["ünï","3","extra"]]"#);
        let back: Rows = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rows);
        let other: Rows =
            serde_json::from_str(r#"[[1, 2.5, true, null, [1, "a"], {"k": 2}]]"#).unwrap();
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(
            other.to_vecs(),
            vec![vec![
                text("1"),
                text("2.5"),
                text("true"),
                None,
                text(r#"[1,"a"]"#),
                text(r#"{"k":2}"#)
            ]]
        );
        let wrong = serde_json::from_str::<Rows>(r#"[["a"], "b"]"#).unwrap_err();
        assert!(wrong.to_string().contains("a row: an array"), "{wrong}");
    }

    #[test]
    fn truncating_appending_and_slicing_keep_whole_rows() {
        let mut rows = Rows::from(sample());
        let tail = rows.slice(2..10);
        assert_eq!(tail.to_vecs(), sample()[2..].to_vec());
        rows.truncate(2);
        assert_eq!(rows.to_vecs(), sample()[..2].to_vec());
        rows.append(tail);
        assert_eq!(rows, Rows::from(sample()));
        rows.truncate(0);
        assert!(rows.is_empty());
        assert_eq!(rows, Rows::new());
    }
}
