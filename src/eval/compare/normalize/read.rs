//! Reading a result's columns in one pass over its rows.
//!
//! A result's cells are stored row by row ([`Rows`]), so they are read in that order, one pass
//! front to back over its memory. Each column keeps a *reading*: the representation it currently attempts
//! (integers, say) and the values so far. A value the attempt cannot read moves the reading down
//! a fixed ladder (integers → floats → text) and re-reads the rows before it, so the outcome is
//! exactly "every value parses as the first kind of the ladder that reads them all", as
//! `docs/comparison.md` §1 states, at the cost of one extra pass over a prefix per step.

use super::{
    Cell, Column, Data, Kind, declared_kind, hash_cell, parse_bool, parse_date, parse_float,
    parse_integer, parse_timestamp, trim,
};
use crate::model::result::{ResultColumn, Rows};

/// One representation a reading attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
    Text,
}

/// The ladders: what a column declared as a kind is read as, first choice first. Text reads
/// every value, so a declared column always ends with a reading.
const NUMBER: &[Attempt] = &[Attempt::Int, Attempt::Float, Attempt::Text];
const BOOL: &[Attempt] = &[Attempt::Bool, Attempt::Text];
const DATE: &[Attempt] = &[Attempt::Date, Attempt::Text];
const TIMESTAMP: &[Attempt] = &[Attempt::Timestamp, Attempt::Text];
const TEXT: &[Attempt] = &[Attempt::Text];
/// The content reading of a text column: a number, else a date, else a timestamp, else none.
const CONTENT: &[Attempt] = &[
    Attempt::Int,
    Attempt::Float,
    Attempt::Date,
    Attempt::Timestamp,
];

/// Where a column's values come from: the rows read, and the column's position in each row.
#[derive(Clone, Copy)]
struct Source<'a> {
    rows: &'a Rows,
    /// How many rows are read (the first ones).
    count: usize,
    index: usize,
}

impl<'a> Source<'a> {
    /// The trimmed value of row `row`; a missing cell reads as null.
    fn value(self, row: usize) -> Option<&'a str> {
        self.rows.cell(row, self.index).map(trim)
    }
}

/// One reading of a column in progress.
struct Reading<'a> {
    ladder: &'static [Attempt],
    step: usize,
    /// The values read so far; `None` once every attempt of the ladder failed.
    values: Option<Data<'a>>,
}

impl<'a> Reading<'a> {
    /// A reading of rows `0..=last` of `source` (none when `last` is `None`).
    fn of_prefix(ladder: &'static [Attempt], last: Option<usize>, source: Source<'a>) -> Self {
        let mut reading = Reading {
            ladder,
            step: 0,
            values: ladder.first().map(|a| empty(*a, source.count)),
        };
        if let Some(last) = last {
            for row in 0..=last {
                reading.push(source.value(row), row, source);
            }
        }
        reading
    }

    /// Appends the value of row `row`; when the attempt cannot read it, moves down the ladder.
    fn push(&mut self, value: Option<&'a str>, row: usize, source: Source<'a>) {
        let Some(values) = &mut self.values else {
            return;
        };
        if !push_value(values, value) {
            self.fall(row, source);
        }
    }

    /// Moves to the next attempt that reads rows `0..=row`, or to no reading at all.
    fn fall(&mut self, row: usize, source: Source<'a>) {
        self.values = None;
        while let Some(attempt) = self.ladder.get(self.step + 1) {
            self.step += 1;
            let mut values = empty(*attempt, source.count);
            if (0..=row).all(|r| push_value(&mut values, source.value(r))) {
                self.values = Some(values);
                return;
            }
        }
    }

    fn is_text(&self) -> bool {
        matches!(self.values, Some(Data::Text(_)))
    }
}

/// The cell hash of a text value, as [`hash_cell`] gives it.
fn text_hash(value: Option<&str>) -> u64 {
    hash_cell(value.map_or(Cell::Null, Cell::Text))
}

/// An empty vector for an attempt.
fn empty<'a>(attempt: Attempt, capacity: usize) -> Data<'a> {
    match attempt {
        Attempt::Int => Data::Int(Vec::with_capacity(capacity)),
        Attempt::Float => Data::Float(Vec::with_capacity(capacity)),
        Attempt::Bool => Data::Bool(Vec::with_capacity(capacity)),
        Attempt::Date => Data::Date(Vec::with_capacity(capacity)),
        Attempt::Timestamp => Data::Timestamp(Vec::with_capacity(capacity)),
        Attempt::Text => Data::Text(Vec::with_capacity(capacity)),
    }
}

/// Appends one value (a null holds the default); `false` when the value does not parse.
fn push_value<'a>(values: &mut Data<'a>, value: Option<&'a str>) -> bool {
    match values {
        Data::Null => true,
        Data::Int(v) => push_parsed(v, value, parse_integer),
        Data::Float(v) => push_parsed(v, value, parse_float),
        Data::Bool(v) => push_parsed(v, value, parse_bool),
        Data::Date(v) => push_parsed(v, value, parse_date),
        Data::Timestamp(v) => push_parsed(v, value, parse_timestamp),
        Data::Text(v) => {
            v.push(value.unwrap_or(""));
            true
        }
    }
}

fn push_parsed<T: Default>(
    values: &mut Vec<T>,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> bool {
    let parsed = match value {
        None => T::default(),
        Some(s) => match parse(s) {
            Some(x) => x,
            None => return false,
        },
    };
    values.push(parsed);
    true
}

/// One column being read: its declared reading, its content reading once the declared one is
/// text, and the null mask.
struct ColumnReader<'a> {
    source: Source<'a>,
    /// `None` for a column declared `NULL`/`VOID`: nothing to read.
    declared: Option<Reading<'a>>,
    content: Option<Reading<'a>>,
    nulls: Vec<bool>,
    /// Cell hashes while the declared reading is text, computed while the bytes are at hand.
    text_hashes: Vec<u64>,
}

impl<'a> ColumnReader<'a> {
    fn new(column: &ResultColumn, index: usize, rows: &'a Rows, count: usize) -> Self {
        let source = Source { rows, count, index };
        let ladder = match declared_kind(&column.type_name) {
            Kind::Null => None,
            Kind::Number => Some(NUMBER),
            Kind::Bool => Some(BOOL),
            Kind::Date => Some(DATE),
            Kind::Timestamp => Some(TIMESTAMP),
            Kind::Text => Some(TEXT),
        };
        let declared = ladder.map(|l| Reading::of_prefix(l, None, source));
        let mut reader = ColumnReader {
            source,
            declared,
            content: None,
            nulls: Vec::with_capacity(count),
            text_hashes: Vec::new(),
        };
        reader.start_content(None);
        reader
    }

    /// Reads row `row`, whose cell is `value`.
    fn push(&mut self, value: Option<&'a str>, row: usize) {
        self.nulls.push(value.is_none());
        let Some(declared) = &mut self.declared else {
            return;
        };
        declared.push(value, row, self.source);
        if !declared.is_text() {
            return;
        }
        match &mut self.content {
            Some(content) => content.push(value, row, self.source),
            None => self.start_content(Some(row)),
        }
        self.hash_text(value, row);
    }

    /// Records the hash of row `row`'s text (and of the rows before it, when the column has
    /// just become text).
    fn hash_text(&mut self, value: Option<&str>, row: usize) {
        if self.text_hashes.capacity() == 0 {
            self.text_hashes.reserve_exact(self.source.count);
        }
        while self.text_hashes.len() < row {
            let earlier = self.source.value(self.text_hashes.len());
            self.text_hashes.push(text_hash(earlier));
        }
        self.text_hashes.push(text_hash(value));
    }

    /// Starts the content reading, over rows `0..=last`, once the declared reading is text.
    fn start_content(&mut self, last: Option<usize>) {
        if self.declared.as_ref().is_some_and(Reading::is_text) {
            self.content = Some(Reading::of_prefix(CONTENT, last, self.source));
        }
    }

    fn finish(self) -> Column<'a> {
        let all_null = self.nulls.iter().all(|n| *n);
        let data = match self.declared {
            Some(declared) if !all_null => declared.values,
            _ => None,
        };
        let content = match data {
            Some(Data::Text(_)) => self.content.and_then(|c| c.values),
            _ => None,
        };
        let text_hashes = match data {
            Some(Data::Text(_)) => self.text_hashes,
            _ => Vec::new(),
        };
        Column {
            // Declared ladders end with text, which reads everything: `None` only for a
            // `NULL` column or one whose every value is null.
            data: data.unwrap_or(Data::Null),
            content,
            nulls: self.nulls,
            text_hashes,
        }
    }
}

/// Normalizes every column of the first `count` rows (declared as `columns`) in one pass.
pub(crate) fn columns<'a>(
    columns: &[ResultColumn],
    rows: &'a Rows,
    count: usize,
) -> Vec<Column<'a>> {
    let count = count.min(rows.len());
    let mut readers: Vec<ColumnReader<'a>> = columns
        .iter()
        .enumerate()
        .map(|(index, c)| ColumnReader::new(c, index, rows, count))
        .collect();
    for (row_index, row) in rows.iter().take(count).enumerate() {
        for (column, reader) in readers.iter_mut().enumerate() {
            reader.push(row.cell(column).map(trim), row_index);
        }
    }
    readers.into_iter().map(ColumnReader::finish).collect()
}

#[cfg(test)]
mod tests {
    use super::super::mix;
    use super::*;

    /// The rule as `docs/comparison.md` §1 states it, one column at a time: the first attempt
    /// of the ladder that reads every value.
    fn first_reading<'a>(ladder: &[Attempt], values: &[Option<&'a str>]) -> Option<Data<'a>> {
        ladder.iter().find_map(|attempt| {
            let mut data = empty(*attempt, values.len());
            values
                .iter()
                .all(|v| push_value(&mut data, *v))
                .then_some(data)
        })
    }

    fn reference<'a>(type_name: &str, values: &[Option<&'a str>]) -> Column<'a> {
        let nulls: Vec<bool> = values.iter().map(Option::is_none).collect();
        let ladder = match declared_kind(type_name) {
            Kind::Null => &[][..],
            Kind::Number => NUMBER,
            Kind::Bool => BOOL,
            Kind::Date => DATE,
            Kind::Timestamp => TIMESTAMP,
            Kind::Text => TEXT,
        };
        let data = if nulls.iter().all(|n| *n) {
            None
        } else {
            first_reading(ladder, values)
        };
        let content = match data {
            Some(Data::Text(_)) => first_reading(CONTENT, values),
            _ => None,
        };
        let text_hashes = match &data {
            Some(Data::Text(v)) => v
                .iter()
                .zip(&nulls)
                .map(|(s, null)| text_hash((!null).then_some(*s)))
                .collect(),
            _ => Vec::new(),
        };
        Column {
            data: data.unwrap_or(Data::Null),
            content,
            nulls,
            text_hashes,
        }
    }

    const POOL: [&str; 14] = [
        "1",
        "-7",
        "2.5",
        "10.00",
        " 3 ",
        "true",
        "FALSE",
        "2024-02-29",
        "2024-03-01 10:00:00",
        "2024-03-01T10:00:00+02:00",
        "city-9",
        "NaN",
        "99999999999999999999",
        "",
    ];
    const TYPES: [&str; 7] = [
        "LONG",
        "DOUBLE",
        "STRING",
        "DATE",
        "TIMESTAMP",
        "BOOLEAN",
        "VOID",
    ];

    #[test]
    fn reading_all_columns_in_one_pass_agrees_with_reading_each_column_alone() {
        for seed in 0..400u64 {
            let width = 1 + (mix(seed, 1) % 4) as usize;
            let height = (mix(seed, 2) % 9) as usize;
            // Small pools per column, so that columns often read as one kind until a late row.
            let rows: Rows = (0..height)
                .map(|r| {
                    let cells = width - usize::from(mix(seed, 3 + r as u64).is_multiple_of(7));
                    (0..cells)
                        .map(|c| {
                            let pick = mix(seed ^ (c as u64) << 8, r as u64);
                            let pool = 2 + (mix(seed, 100 + c as u64) % 3) as usize;
                            let start = (mix(seed, 200 + c as u64) % POOL.len() as u64) as usize;
                            (!pick.is_multiple_of(5)).then(|| {
                                POOL[(start + (pick as usize) % pool) % POOL.len()].to_owned()
                            })
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let declared: Vec<ResultColumn> = (0..width)
                .map(|c| ResultColumn {
                    name: format!("c{c}"),
                    type_name: TYPES[(mix(seed, 300 + c as u64) % 7) as usize].into(),
                })
                .collect();
            let read = columns(&declared, &rows, rows.len());
            for (c, column) in declared.iter().enumerate() {
                let values: Vec<Option<&str>> =
                    rows.iter().map(|row| row.cell(c).map(trim)).collect();
                let expected = reference(&column.type_name, &values);
                let got = &read[c];
                // Compared as written out: NaN is a value here, and `NaN != NaN` for `==`.
                let shown =
                    |c: &Column| format!("{:?}", (&c.data, &c.content, &c.nulls, &c.text_hashes));
                assert_eq!(
                    shown(got),
                    shown(&expected),
                    "seed {seed}, column {c} ({}), rows {rows:?}",
                    column.type_name
                );
            }
        }
    }
}
