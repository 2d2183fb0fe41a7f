//! A text column's cells, packed so that verifying equal short texts reads no text buffer.
//!
//! Each trimmed cell is two words. A text of up to 15 bytes is held inline: its bytes,
//! zero-padded, and its length in the top byte of the second word. A longer one holds its row
//! and its length (top byte `0xFF`), and its bytes stay in the result's rows. Two cells are equal
//! texts exactly when their second words are equal and, for short texts, their first words
//! too, or, for long ones, their bytes in the rows. Verification at shuffled rows thus reads one
//! 16-byte cell per short text instead of a reference and then the bytes it points at.

use std::fmt;

use super::{TEXT_SEED, finish_text_hash, hash_text, trim, trimmed, word};
use crate::eval::compare::scratch::Pooled;
use crate::model::result::Rows;

/// The longest text held inline.
const INLINE_MAX: usize = 15;
/// The top byte of a long cell's second word.
const LONG: u64 = 0xFF << 56;
/// The bits of a long cell's second word that hold its length.
const LENGTH: u64 = !LONG;

/// The cells of one text column of `rows`.
#[derive(Clone)]
pub(crate) struct Texts<'a> {
    rows: &'a Rows,
    column: usize,
    cells: Pooled<[u64; 2]>,
}

impl<'a> Texts<'a> {
    /// An empty column `column` of `rows`, with room for `count` cells.
    pub(crate) fn new(rows: &'a Rows, column: usize, count: usize) -> Self {
        Texts {
            rows,
            column,
            cells: Pooled::with_capacity(count),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }

    /// Appends the next row's trimmed text `s` (which must be that row's cell, trimmed) and
    /// returns its hash ([`hash_text`]).
    #[inline]
    pub(crate) fn push(&mut self, s: &str) -> u64 {
        let bytes = s.as_bytes();
        let len = bytes.len();
        if len <= INLINE_MAX {
            // The words `hash_text` folds for a text shorter than 16 bytes, loaded once.
            let (lo, hi) = bytes.split_at(len.min(8));
            let (lo, hi) = (word(lo), word(hi));
            self.cells.push([lo, hi | (len as u64) << 56]);
            return finish_text_hash(lo, hi, TEXT_SEED, len);
        }
        let row = self.cells.len() as u64;
        self.cells.push([row, LONG | (len as u64 & LENGTH)]);
        hash_text(s)
    }

    /// Appends a null cell (read as the empty text).
    pub(crate) fn push_null(&mut self) {
        self.cells.push([0, 0]);
    }

    /// The text at `row`, if the column has that row.
    #[inline]
    pub(crate) fn get(&self, row: usize) -> Option<&'a str> {
        let [_, tail] = *self.cells.get(row)?;
        if tail == 0 {
            // The empty text (or a null cell, whose text is never read).
            return Some("");
        }
        Some(self.rows.cell(row, self.column).map_or("", trim))
    }

    /// Every text in row order (a null cell reads as the empty text).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        trimmed(self.rows, self.column, self.len()).map(Option::unwrap_or_default)
    }

    /// Whether the text at `row` equals `other`'s text at `other_row`.
    #[inline]
    pub(crate) fn same(&self, row: usize, other: &Texts, other_row: usize) -> bool {
        let (Some([head, tail]), Some([other_head, other_tail])) =
            (self.cells.get(row), other.cells.get(other_row))
        else {
            return false;
        };
        if tail != other_tail {
            return false;
        }
        if tail & LONG != LONG {
            return head == other_head;
        }
        self.get(row) == other.get(other_row)
    }
}

impl PartialEq for Texts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Texts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A text column holding `cells` (a column of rows of their own, kept for the test run).
    pub(crate) fn texts(cells: &[&str]) -> Texts<'static> {
        let rows: &'static Rows = Box::leak(Box::new(cells.iter().map(|c| [Some(*c)]).collect()));
        let mut texts = Texts::new(rows, 0, cells.len());
        for cell in cells {
            texts.push(trim(cell));
        }
        texts
    }

    const SAMPLES: [&str; 12] = [
        "",
        "a",
        "a\0",
        "city-7",
        "city-1234",
        "exactly 15 byte",
        "exactly 16 bytes",
        "exactly 16 byteS",
        "a text well past fifteen bytes",
        "a text well past fifteen byteS",
        "Zürich",
        "東京都",
    ];

    #[test]
    fn a_short_text_hashes_as_hash_text_hashes_it() {
        let column = texts(&SAMPLES);
        for s in SAMPLES {
            let mut one = Texts::new(column.rows, 0, 1);
            assert_eq!(one.push(s), hash_text(s), "{s:?}");
        }
    }

    #[test]
    fn cells_are_equal_exactly_when_their_texts_are() {
        let reversed: Vec<&str> = SAMPLES.iter().rev().copied().collect();
        let (left, right) = (texts(&SAMPLES), texts(&reversed));
        for (i, s) in SAMPLES.iter().enumerate() {
            assert_eq!(left.get(i), Some(*s));
            for (j, t) in reversed.iter().enumerate() {
                assert_eq!(left.same(i, &right, j), s == t, "{s:?} vs {t:?}");
            }
        }
        assert!(
            !left.same(SAMPLES.len(), &right, 0),
            "a row past the end is no text"
        );
    }

    #[test]
    fn a_null_cell_reads_as_the_empty_text() {
        let rows: &'static Rows = Box::leak(Box::new([[None::<&str>]].into_iter().collect()));
        let mut column = Texts::new(rows, 0, 1);
        column.push_null();
        assert_eq!(column.get(0), Some(""));
        assert_eq!(column.iter().collect::<Vec<_>>(), [""]);
    }
}
