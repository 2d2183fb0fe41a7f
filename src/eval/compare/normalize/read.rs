//! Reading a result's columns: each column on its own, one typed pass per attempt.
//!
//! A column is read as the first representation of its *ladder* (integers → floats → text for
//! a number, say) that reads every value, as `docs/comparison.md` §1 states: each attempt is a
//! tight loop over the column's cells that stops at the first value it cannot read, and text
//! reads everything. A text column also gets a *content* reading (numbers, else dates, else
//! timestamps) when every value reads as one, and its cell hashes, while its bytes are at hand.
//! [`Rows`] keeps cells in one buffer, so a column is a front-to-back walk over it.

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

/// Normalizes every column of the first `count` rows (declared as `columns`).
pub(crate) fn columns<'a>(
    columns: &[ResultColumn],
    rows: &'a Rows,
    count: usize,
) -> Vec<Column<'a>> {
    let count = count.min(rows.len());
    columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let values = || rows.column(index).take(count).map(|v| v.map(trim));
            read_column(&column.type_name, values, count)
        })
        .collect()
}

/// Reads one column declared as `type_name`; `values` walks its trimmed cells.
fn read_column<'a, I>(type_name: &str, values: impl Fn() -> I, count: usize) -> Column<'a>
where
    I: Iterator<Item = Option<&'a str>>,
{
    let ladder = ladder(type_name);
    // The null mask comes out of the reading pass that succeeds; a `NULL` column has none.
    let mut nulls = Vec::with_capacity(count);
    let data = match first_reading(ladder, &values, count, &mut nulls) {
        Some(data) if nulls.iter().any(|null| !*null) => Some(data),
        Some(_) => None,
        None => {
            nulls = values().map(|v| v.is_none()).collect();
            None
        }
    };
    let mut column = Column {
        content: None,
        nulls,
        text_hashes: Vec::new(),
        data: Data::Null,
    };
    if let Some(Data::Text(text)) = &data {
        column.content = first_reading(CONTENT, &values, count, &mut Vec::new());
        column.text_hashes = text
            .iter()
            .zip(&column.nulls)
            .map(|(s, null)| text_hash((!null).then_some(*s)))
            .collect();
    }
    // Declared ladders end with text, which reads everything: `None` only for a `NULL` column
    // or one whose every value is null.
    column.data = data.unwrap_or(Data::Null);
    column
}

/// The ladder a column declared as `type_name` is read by (none for a `NULL` column).
fn ladder(type_name: &str) -> &'static [Attempt] {
    match declared_kind(type_name) {
        Kind::Null => &[],
        Kind::Number => NUMBER,
        Kind::Bool => BOOL,
        Kind::Date => DATE,
        Kind::Timestamp => TIMESTAMP,
        Kind::Text => TEXT,
    }
}

/// The first attempt of `ladder` that reads every value, with the values it read; `nulls`
/// is then the column's null mask (one pass gives both).
fn first_reading<'a, I>(
    ladder: &[Attempt],
    values: &impl Fn() -> I,
    count: usize,
    nulls: &mut Vec<bool>,
) -> Option<Data<'a>>
where
    I: Iterator<Item = Option<&'a str>>,
{
    ladder.iter().find_map(|attempt| {
        nulls.clear();
        read_as(*attempt, values(), count, nulls)
    })
}

/// Every value read as `attempt` (a null holds the default), each null marked in `nulls`;
/// `None` at the first value that does not read.
fn read_as<'a>(
    attempt: Attempt,
    values: impl Iterator<Item = Option<&'a str>>,
    count: usize,
    nulls: &mut Vec<bool>,
) -> Option<Data<'a>> {
    Some(match attempt {
        Attempt::Int => Data::Int(parse_all(values, count, nulls, parse_integer)?),
        Attempt::Float => Data::Float(parse_all(values, count, nulls, parse_float)?),
        Attempt::Bool => Data::Bool(parse_all(values, count, nulls, parse_bool)?),
        Attempt::Date => Data::Date(parse_all(values, count, nulls, parse_date)?),
        Attempt::Timestamp => Data::Timestamp(parse_all(values, count, nulls, parse_timestamp)?),
        Attempt::Text => Data::Text(
            values
                .map(|v| {
                    nulls.push(v.is_none());
                    v.unwrap_or("")
                })
                .collect(),
        ),
    })
}

fn parse_all<'a, T: Default>(
    values: impl Iterator<Item = Option<&'a str>>,
    count: usize,
    nulls: &mut Vec<bool>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Vec<T>> {
    let mut out = Vec::with_capacity(count);
    for value in values {
        nulls.push(value.is_none());
        out.push(match value {
            None => T::default(),
            Some(s) => parse(s)?,
        });
    }
    Some(out)
}

/// The cell hash of a text value, as [`hash_cell`] gives it.
fn text_hash(value: Option<&str>) -> u64 {
    hash_cell(value.map_or(Cell::Null, Cell::Text))
}

#[cfg(test)]
mod tests {
    use super::super::mix;
    use super::*;

    fn read(type_name: &str, cells: &[Option<&str>]) -> Column<'static> {
        let rows: &'static Rows = Box::leak(Box::new(cells.iter().map(|c| [*c]).collect()));
        let declared = [ResultColumn {
            name: "c".into(),
            type_name: type_name.into(),
        }];
        columns(&declared, rows, rows.len()).swap_remove(0)
    }

    /// Whether `attempt` reads the non-null value `s`, judged by its parser alone.
    fn reads(attempt: Attempt, s: &str) -> bool {
        match attempt {
            Attempt::Int => parse_integer(s).is_some(),
            Attempt::Float => parse_float(s).is_some(),
            Attempt::Bool => parse_bool(s).is_some(),
            Attempt::Date => parse_date(s).is_some(),
            Attempt::Timestamp => parse_timestamp(s).is_some(),
            Attempt::Text => true,
        }
    }

    fn attempt_of(data: &Data) -> Option<Attempt> {
        Some(match data {
            Data::Null => return None,
            Data::Int(_) => Attempt::Int,
            Data::Float(_) => Attempt::Float,
            Data::Bool(_) => Attempt::Bool,
            Data::Date(_) => Attempt::Date,
            Data::Timestamp(_) => Attempt::Timestamp,
            Data::Text(_) => Attempt::Text,
        })
    }

    #[test]
    fn a_column_reads_as_the_first_kind_of_its_ladder_that_reads_every_value() {
        assert_eq!(
            read("LONG", &[Some("1"), None, Some("3")]).data,
            Data::Int(vec![1, 0, 3])
        );
        assert_eq!(
            read("LONG", &[Some("1"), Some("2.5")]).data,
            Data::Float(vec![1.0, 2.5])
        );
        assert_eq!(
            read("LONG", &[Some("1"), Some("2.5"), Some(" x ")]).data,
            Data::Text(vec!["1", "2.5", "x"])
        );
        assert_eq!(read("DATE", &[None, None]).data, Data::Null);
        assert_eq!(read("VOID", &[Some("1")]).data, Data::Null);
    }

    #[test]
    fn a_text_column_keeps_its_content_reading_and_its_cell_hashes() {
        let column = read("STRING", &[Some("2024-01-02"), None]);
        assert_eq!(column.content, Some(Data::Date(vec![19_724, 0])));
        let expected = [text_hash(Some("2024-01-02")), text_hash(None)];
        assert_eq!(column.text_hashes, expected);
        assert_eq!(read("STRING", &[Some("a"), Some("1")]).content, None);
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
    fn every_reading_is_the_first_attempt_whose_parser_accepts_every_value() {
        for seed in 0..2_000u64 {
            let height = (mix(seed, 2) % 9) as usize;
            // A small pool per column, so that columns often read as one kind until a late row.
            let pool = 2 + (mix(seed, 100) % 3) as usize;
            let start = (mix(seed, 200) % POOL.len() as u64) as usize;
            let cells: Vec<Option<&str>> = (0..height)
                .map(|r| {
                    let pick = mix(seed, r as u64);
                    (!pick.is_multiple_of(5))
                        .then(|| POOL[(start + pick as usize % pool) % POOL.len()])
                })
                .collect();
            let type_name = TYPES[(mix(seed, 300) % 7) as usize];
            let column = read(type_name, &cells);
            let values: Vec<&str> = cells.iter().flatten().map(|s| trim(s)).collect();
            let ladder = ladder(type_name);
            let first = |ladder: &[Attempt]| {
                ladder
                    .iter()
                    .copied()
                    .find(|a| values.iter().all(|s| reads(*a, s)))
            };
            let expected = if values.is_empty() {
                None
            } else {
                first(ladder)
            };
            let context = format!("seed {seed}: {type_name} {cells:?}");
            assert_eq!(attempt_of(&column.data), expected, "{context}");
            let expected_content = (expected == Some(Attempt::Text))
                .then(|| first(CONTENT))
                .flatten();
            let content = column.content.as_ref().and_then(attempt_of);
            assert_eq!(content, expected_content, "{context}");
            assert_eq!(
                column.nulls,
                cells.iter().map(Option::is_none).collect::<Vec<_>>()
            );
        }
    }
}
