//! Typed normalization of one result column, done once per column before any comparison.
//!
//! Each column becomes a compact vector of one representation chosen from its Databricks type
//! name (integers, floats, booleans, dates, timestamps in UTC, trimmed text), plus a null mask
//! when some value is null.
//! A text column whose every value reads as a number (or as a date/timestamp) also keeps that
//! reading as an alternative, so `"42"` in a STRING column can meet `42` in a LONG column when
//! the two sides' types differ. A value that does not parse as its declared type demotes the
//! whole column to text: the comparator never guesses per cell and never panics on input.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::scratch::Pooled;
use crate::model::result::{ResultColumn, Rows};

mod read;
mod text;

pub(crate) use text::Texts;

/// Micro-seconds in a day: dates compare with timestamps at UTC midnight.
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The values of one column in one representation; null positions hold a default. The
/// buffers go back to the thread's pool for the next comparison ([`Pooled`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data<'a> {
    /// Every value is null (or the column is typed `NULL`).
    Null,
    Int(Pooled<i64>),
    Float(Pooled<f64>),
    Bool(Pooled<bool>),
    /// Days since 1970-01-01.
    Date(Pooled<i32>),
    /// Micro-seconds since the epoch, UTC.
    Timestamp(Pooled<i64>),
    /// Trimmed text, kept in the result ([`Texts`]).
    Text(Texts<'a>),
}

/// The family a representation belongs to: only columns of one family are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Null,
    Number,
    Bool,
    Time,
    Text,
}

impl Data<'_> {
    pub(crate) fn family(&self) -> Family {
        match self {
            Data::Null => Family::Null,
            Data::Int(_) | Data::Float(_) => Family::Number,
            Data::Bool(_) => Family::Bool,
            Data::Date(_) | Data::Timestamp(_) => Family::Time,
            Data::Text(_) => Family::Text,
        }
    }

    pub(crate) fn is_float(&self) -> bool {
        matches!(self, Data::Float(_))
    }
}

/// One normalized cell, cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(i32),
    Timestamp(i64),
    Text(&'a str),
}

/// Which reading of a column a comparison uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// The reading its declared type gives.
    Declared,
    /// The content-based reading of a text column (numbers or times).
    Content,
}

impl View {
    pub(crate) fn slot(self) -> usize {
        match self {
            View::Declared => 0,
            View::Content => 1,
        }
    }
}

/// A normalized column.
#[derive(Debug, Clone)]
pub(crate) struct Column<'a> {
    pub(crate) data: Data<'a>,
    /// Content-based reading of a text column, when every non-null value parses.
    pub(crate) content: Option<Data<'a>>,
    /// How many cells the column has.
    pub(crate) rows: usize,
    /// Which cells are null, one flag per cell; empty when no cell is (the usual column: no
    /// mask to fill or to check while verifying).
    pub(crate) nulls: Pooled<bool>,
    /// The fingerprint of the declared reading's cells (the reading pass hashes every cell).
    pub(crate) fingerprint: Fingerprint,
    /// The declared reading's number bounds, when it is a number reading and the reading pass
    /// measured them.
    pub(crate) bounds: Option<NumberBounds>,
}

/// The non-null numbers of a column: how many, and the least and greatest in total order.
pub(crate) type NumberBounds = (usize, Option<(f64, f64)>);

/// One side's normalized columns.
pub(crate) struct Table<'a> {
    pub(crate) columns: Vec<Column<'a>>,
    /// Per row, the hash of its cells in every column in order, each read as declared: the
    /// row hash the row match folds under the identity mapping ([`ROW_HASH_SEED`]), computed
    /// by the reading pass.
    pub(crate) row_hashes: Pooled<u64>,
}

impl<'a> Table<'a> {
    /// Normalizes every column of the first `count` rows of `rows`, declared as `columns`
    /// (`read`).
    pub(crate) fn read(columns: &[ResultColumn], rows: &'a Rows, count: usize) -> Self {
        read::table(columns, rows, count)
    }
}

/// An order-free fingerprint of a multiset of cell hashes (their wrapping sum and the xor of
/// their rotations): equal multisets have equal fingerprints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fingerprint(u64, u64);

impl Fingerprint {
    #[inline]
    pub(crate) fn add(&mut self, hash: u64) {
        self.0 = self.0.wrapping_add(hash);
        self.1 ^= hash.rotate_left(17);
    }
}

impl<'a> Column<'a> {
    /// The representation a view selects (the declared one when there is no content reading).
    pub(crate) fn data(&self, view: View) -> &Data<'a> {
        match (view, &self.content) {
            (View::Content, Some(content)) => content,
            _ => &self.data,
        }
    }

    /// Calls `f` with every cell under `view`, in row order: the representation is matched
    /// once per column, not once per cell.
    pub(crate) fn for_each_cell(&self, view: View, mut f: impl FnMut(Cell<'a>)) {
        let nulls = &self.nulls;
        match self.data(view) {
            Data::Null => (0..self.rows).for_each(|_| f(Cell::Null)),
            Data::Int(v) => each_cell(v, nulls, |x| Cell::Int(*x), f),
            Data::Float(v) => each_cell(v, nulls, |x| Cell::Float(*x), f),
            Data::Bool(v) => each_cell(v, nulls, |x| Cell::Bool(*x), f),
            Data::Date(v) => each_cell(v, nulls, |x| Cell::Date(*x), f),
            Data::Timestamp(v) => each_cell(v, nulls, |x| Cell::Timestamp(*x), f),
            Data::Text(texts) => {
                let mut cells = texts.iter().map(Cell::Text);
                if nulls.is_empty() {
                    cells.for_each(f);
                } else {
                    for null in nulls.iter() {
                        let cell = cells.next().unwrap_or(Cell::Null);
                        f(if *null { Cell::Null } else { cell });
                    }
                }
            }
        }
    }

    /// Calls `f` with the hash ([`hash_cell`]) of every cell under `view`, in row order.
    pub(crate) fn for_each_hash(&self, view: View, mut f: impl FnMut(u64)) {
        self.for_each_cell(view, |cell| f(hash_cell(cell)));
    }

    /// Whether some cell is null.
    pub(crate) fn has_nulls(&self) -> bool {
        !self.nulls.is_empty()
    }

    /// Whether row `row` is null (rows past the end read as null, as in [`Column::cell`]).
    fn is_null(&self, row: usize) -> bool {
        row >= self.rows || self.nulls.get(row).copied().unwrap_or(false)
    }

    /// The cell at `row` under `view`.
    pub(crate) fn cell(&self, view: View, row: usize) -> Cell<'a> {
        if self.is_null(row) {
            return Cell::Null;
        }
        match self.data(view) {
            Data::Null => Cell::Null,
            Data::Int(v) => v.get(row).map_or(Cell::Null, |x| Cell::Int(*x)),
            Data::Float(v) => v.get(row).map_or(Cell::Null, |x| Cell::Float(*x)),
            Data::Bool(v) => v.get(row).map_or(Cell::Null, |x| Cell::Bool(*x)),
            Data::Date(v) => v.get(row).map_or(Cell::Null, |x| Cell::Date(*x)),
            Data::Timestamp(v) => v.get(row).map_or(Cell::Null, |x| Cell::Timestamp(*x)),
            Data::Text(texts) => texts.get(row).map_or(Cell::Null, Cell::Text),
        }
    }
}

fn each_cell<'a, T>(
    values: &[T],
    nulls: &[bool],
    cell: impl Fn(&T) -> Cell<'a>,
    mut f: impl FnMut(Cell<'a>),
) {
    if nulls.is_empty() {
        values.iter().for_each(|value| f(cell(value)));
        return;
    }
    for (value, null) in values.iter().zip(nulls) {
        f(if *null { Cell::Null } else { cell(value) });
    }
}

/// Marks the row pairs whose cells differ in one mapped column pair: `partner[k]` is the actual
/// row paired with gold row `first + k` ([`NO_PARTNER`] for none), and `differs[k]` is set when
/// their cells differ under `tol` (as [`compare_cells`] judges). Same-typed columns compare in a
/// loop of their own; the gold side is read in order and the actual side gathered.
pub(crate) fn mark_differing(
    gold: (&Column, View),
    actual: (&Column, View),
    first: usize,
    partner: &[usize],
    differs: &mut [bool],
    tol: Tolerance,
) {
    let ((g, gv), (a, av)) = (gold, actual);
    let sweep = Sweep {
        gold: g,
        actual: a,
        first,
        partner,
    };
    match (g.data(gv), a.data(av)) {
        (Data::Int(x), Data::Int(y)) => sweep.run(differs, |i, j| x.get(i) == y.get(j)),
        (Data::Float(x), Data::Float(y)) => sweep.run(
            differs,
            |i, j| matches!((x.get(i), y.get(j)), (Some(p), Some(q)) if tol.close(*p, *q)),
        ),
        (Data::Bool(x), Data::Bool(y)) => sweep.run(differs, |i, j| x.get(i) == y.get(j)),
        (Data::Date(x), Data::Date(y)) => sweep.run(differs, |i, j| x.get(i) == y.get(j)),
        (Data::Timestamp(x), Data::Timestamp(y)) => sweep.run(differs, |i, j| x.get(i) == y.get(j)),
        (Data::Text(x), Data::Text(y)) => sweep.run(differs, |i, j| x.same(i, y, j)),
        _ => sweep.run(differs, |i, j| {
            compare_cells(g.cell(gv, i), a.cell(av, j), tol).is_eq()
        }),
    }
}

/// No partner: the gold row is not part of the verification.
pub(crate) const NO_PARTNER: usize = usize::MAX;

/// One column pair's pass over the paired rows.
struct Sweep<'s, 'a> {
    gold: &'s Column<'a>,
    actual: &'s Column<'a>,
    first: usize,
    partner: &'s [usize],
}

impl Sweep<'_, '_> {
    /// Sets `differs[k]` where the cells differ; `same` compares two non-null cells.
    fn run(&self, differs: &mut [bool], same: impl Fn(usize, usize) -> bool) {
        let pairs = self.partner.iter().zip(differs.iter_mut()).enumerate();
        if !self.gold.has_nulls() && !self.actual.has_nulls() {
            // No nulls on either side (the usual column): no null mask to gather.
            for (k, (&a, differ)) in pairs {
                if a != NO_PARTNER && !*differ {
                    *differ = !same(self.first + k, a);
                }
            }
            return;
        }
        for (k, (&a, differ)) in pairs {
            if a == NO_PARTNER || *differ {
                continue;
            }
            let g = self.first + k;
            let (g_null, a_null) = (self.gold.is_null(g), self.actual.is_null(a));
            let equal = if g_null || a_null {
                g_null && a_null
            } else {
                same(g, a)
            };
            *differ = !equal;
        }
    }
}

/// The declared kinds the type names map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Number,
    Bool,
    Date,
    Timestamp,
    Text,
}

/// The first `count` cells of column `column`, trimmed (a missing cell reads as null).
fn trimmed(rows: &Rows, column: usize, count: usize) -> impl Iterator<Item = Option<&str>> {
    rows.column(column).take(count).map(|cell| cell.map(trim))
}

/// `str::trim`, with a fast path for the usual value that starts and ends with a visible ASCII
/// character.
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(first), Some(last)) if is_visible_ascii(*first) && is_visible_ascii(*last) => s,
        _ => s.trim(),
    }
}

#[inline]
fn is_visible_ascii(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn declared_kind(type_name: &str) -> Kind {
    let upper = type_name.trim().to_ascii_uppercase();
    let base = upper.split(['(', '<', ' ']).next().unwrap_or("");
    match base {
        "NULL" | "VOID" => Kind::Null,
        "BYTE" | "TINYINT" | "SHORT" | "SMALLINT" | "INT" | "INTEGER" | "LONG" | "BIGINT"
        | "FLOAT" | "REAL" | "DOUBLE" | "DECIMAL" | "DEC" | "NUMERIC" => Kind::Number,
        "BOOLEAN" | "BOOL" => Kind::Bool,
        "DATE" => Kind::Date,
        "TIMESTAMP" | "TIMESTAMP_NTZ" | "TIMESTAMP_LTZ" => Kind::Timestamp,
        _ => Kind::Text,
    }
}

/// An integer, also written as a decimal with a zero fraction (`"10.00"` from a DECIMAL).
#[inline]
pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    if let Some(v) = parse_short_integer(s) {
        return Some(v);
    }
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let (whole, fraction) = s.split_once('.')?;
    if fraction.bytes().all(|b| b == b'0') && !whole.is_empty() && whole != "-" && whole != "+" {
        whole.parse::<i64>().ok()
    } else {
        None
    }
}

/// The common integer, up to 18 ASCII digits after an optional sign (it cannot overflow),
/// read by hand; `None` for anything else, which `str::parse` then judges.
#[inline]
fn parse_short_integer(s: &str) -> Option<i64> {
    let (negative, digits) = split_sign(s.as_bytes());
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let magnitude = digits.iter().try_fold(0i64, |value, b| {
        b.is_ascii_digit().then(|| value * 10 + i64::from(b - b'0'))
    })?;
    Some(if negative { -magnitude } else { magnitude })
}

/// An optional leading `-` or `+`, and the rest.
#[inline]
fn split_sign(bytes: &[u8]) -> (bool, &[u8]) {
    match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    }
}

/// Exact powers of ten as `f64` (every one up to 1e22 is).
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A float; accepts `NaN` and `Infinity` as the Statement API writes them.
#[inline]
fn parse_float(s: &str) -> Option<f64> {
    let v = match parse_short_decimal(s) {
        Some(v) => v,
        None => s.parse().ok()?,
    };
    // `-0.0` and `0.0` are one value.
    Some(if v == 0.0 { 0.0 } else { v })
}

/// `[sign]digits[.digits]` with at most 15 digits in all, read by hand in one pass: the digits
/// as an integer and the power of ten are both exact in `f64`, so one division rounds correctly
/// and gives the value `str::parse` gives (Clinger's fast path). `None` for anything else.
#[inline]
fn parse_short_decimal(s: &str) -> Option<f64> {
    let (negative, body) = split_sign(s.as_bytes());
    let mut mantissa = 0u64;
    let mut dot = None;
    for (i, b) in body.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            // Wraps only past 19 digits, which are refused below.
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
        } else if *b == b'.' && dot.is_none() {
            dot = Some(i);
        } else {
            return None;
        }
    }
    let (digits, fraction) = match dot {
        // A dot needs digits on both sides.
        Some(0) => return None,
        Some(i) if i + 1 == body.len() => return None,
        Some(i) => (body.len() - 1, body.len() - 1 - i),
        None => (body.len(), 0),
    };
    if digits == 0 || digits > 15 {
        return None;
    }
    // Below 10^15, so exact as an `i64` and as an `f64`.
    let magnitude = mantissa as i64 as f64 / POWERS_OF_TEN.get(fraction)?;
    Some(if negative { -magnitude } else { magnitude })
}

#[inline]
fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A `YYYY-MM-DD` date as days since 1970-01-01 (the common shape is read by hand: chrono's
/// format parser costs ten times more per value).
#[inline]
fn parse_date(s: &str) -> Option<i32> {
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *s.as_bytes() {
        let year = digits(&[y0, y1, y2, y3])?;
        let month = digits(&[m0, m1])?;
        let day = digits(&[d0, d1])?;
        return days_since_epoch(year, month, day);
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

/// Days since 1970-01-01 of year `year` (0–9999), month `month`, day `day` of the proleptic
/// Gregorian calendar; `None` when there is no such day. Month tables and the leap-year count
/// before the year, in unsigned arithmetic (its divisions by constants are multiplies).
#[inline]
fn days_since_epoch(year: u32, month: u32, day: u32) -> Option<i32> {
    /// Days in each month, and before each month, of a common year (index 0 unused).
    const DAYS: [u32; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    const BEFORE: [u32; 13] = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    /// Days from 0000-01-01 to 1970-01-01.
    const EPOCH: i64 = 719_528;
    // For a multiple of 4: a multiple of 100 is one of 25, a multiple of 400 one of 16.
    let leap =
        u32::from(year.is_multiple_of(4) && (!year.is_multiple_of(25) || year.is_multiple_of(16)));
    let (days, before) = (DAYS.get(month as usize)?, BEFORE.get(month as usize)?);
    let last = days + if month == 2 { leap } else { 0 };
    if day < 1 || day > last {
        return None;
    }
    // Leap days in years 0 ..= year - 1 (year 0 is one).
    let leap_days = year.div_ceil(4) - year.div_ceil(100) + year.div_ceil(400);
    let leap_this_year = if month > 2 { leap } else { 0 };
    let since_year_0 = year * 365 + leap_days + before + leap_this_year + day - 1;
    i32::try_from(i64::from(since_year_0) - EPOCH).ok()
}

/// The value of ASCII decimal digits; `None` when one is not a digit.
#[inline]
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

/// A timestamp in UTC micro-seconds: RFC 3339 with an offset, or a naive time read as UTC.
fn parse_timestamp(s: &str) -> Option<i64> {
    let iso: std::borrow::Cow<str> = if s.contains(' ') {
        s.replacen(' ', "T", 1).into()
    } else {
        s.into()
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&iso) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&iso, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// How close two floats must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tolerance {
    /// Relative tolerance (`|a-b| <= tol * max(|a|,|b|)`).
    Relative(f64),
    /// Absolute tolerance, the display tier.
    Absolute(f64),
}

impl Tolerance {
    pub(crate) fn close(self, a: f64, b: f64) -> bool {
        if a == b || (a.is_nan() && b.is_nan()) {
            return true;
        }
        let diff = (a - b).abs();
        match self {
            Tolerance::Relative(tol) => diff <= tol * a.abs().max(b.abs()),
            Tolerance::Absolute(tol) => diff <= tol,
        }
    }
}

/// Orders a gold cell against an actual cell; `Equal` means "the same value" under `tol`.
/// Integers compare exactly with integers; a float on either side uses the tolerance.
pub(crate) fn compare_cells(a: Cell, b: Cell, tol: Tolerance) -> Ordering {
    use Cell::*;
    match (a, b) {
        (Null, Null) => Ordering::Equal,
        (Null, _) => Ordering::Less,
        (_, Null) => Ordering::Greater,
        (Int(x), Int(y)) => x.cmp(&y),
        (Int(x), Float(y)) => compare_floats(x as f64, y, tol),
        (Float(x), Int(y)) => compare_floats(x, y as f64, tol),
        (Float(x), Float(y)) => compare_floats(x, y, tol),
        (Bool(x), Bool(y)) => x.cmp(&y),
        (Date(x), Date(y)) => x.cmp(&y),
        (Date(x), Timestamp(y)) => (i64::from(x) * MICROS_PER_DAY).cmp(&y),
        (Timestamp(x), Date(y)) => x.cmp(&(i64::from(y) * MICROS_PER_DAY)),
        (Timestamp(x), Timestamp(y)) => x.cmp(&y),
        (Text(x), Text(y)) => x.cmp(y),
        // Different families never meet in a mapped pair; order them by family for totality.
        (x, y) => rank(x).cmp(&rank(y)),
    }
}

fn compare_floats(a: f64, b: f64, tol: Tolerance) -> Ordering {
    if tol.close(a, b) {
        Ordering::Equal
    } else {
        a.total_cmp(&b)
    }
}

fn rank(cell: Cell) -> u8 {
    match cell {
        Cell::Null => 0,
        Cell::Int(_) | Cell::Float(_) => 1,
        Cell::Bool(_) => 2,
        Cell::Date(_) | Cell::Timestamp(_) => 3,
        Cell::Text(_) => 4,
    }
}

/// A hash of a cell under which cells that compare equal strictly get equal hashes, and
/// floats within a relative 1e-7 usually do (a miss only costs the tolerant pass).
#[inline]
pub(crate) fn hash_cell(cell: Cell) -> u64 {
    match cell {
        Cell::Null => NULL_HASH,
        Cell::Int(x) => hash_int(x),
        Cell::Float(x) => hash_float(x),
        Cell::Bool(x) => hash_bool(x),
        Cell::Date(x) => hash_date(x),
        Cell::Timestamp(x) => hash_timestamp(x),
        Cell::Text(s) => hash_text(s),
    }
}

/// The hash of a null cell.
pub(crate) const NULL_HASH: u64 = 0x9e37_79b9_7f4a_7c15;

/// Where every row hash starts, before its first cell is added ([`row_add`]).
pub(crate) const ROW_HASH_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Adds the hash of a row's cell at `position` (in mapping order) to the row's hash: the row
/// hash is the sum of its cell hashes, each rotated by its position so that cells trading
/// places change it. Cell hashes are already well mixed, so the sum's top bits (which the
/// hash sort buckets by) are too; one add and one rotate per cell keep a row's chain short.
#[inline]
pub(crate) fn row_add(row: u64, position: usize, cell: u64) -> u64 {
    let rotation = (position as u32).wrapping_mul(7).wrapping_add(1) % 64;
    row.wrapping_add(cell.rotate_left(rotation))
}

#[inline]
pub(crate) fn hash_int(x: i64) -> u64 {
    mix(1, x as u64)
}

#[inline]
pub(crate) fn hash_bool(x: bool) -> u64 {
    mix(2, u64::from(x))
}

#[inline]
pub(crate) fn hash_date(x: i32) -> u64 {
    hash_timestamp(i64::from(x) * MICROS_PER_DAY)
}

#[inline]
pub(crate) fn hash_timestamp(x: i64) -> u64 {
    mix(3, x as u64)
}

#[inline]
pub(crate) fn hash_float(x: f64) -> u64 {
    // An integral float is the integer it equals (below 2^63 the cast truncates exactly, and
    // NaN and infinities fail the bound).
    if x.abs() < 9.0e18 && (x as i64) as f64 == x {
        return mix(1, (x as i64) as u64);
    }
    if x.is_nan() {
        return mix(4, 0);
    }
    // Keep the sign, exponent and top 24 mantissa bits: a coarse bucket of nearby values.
    mix(5, x.to_bits() & !((1u64 << 28) - 1))
}

/// A text's hash: 16 bytes per 128-bit multiply (the folded multiply of wyhash), so a short
/// text costs two multiplies; the length is mixed in, and the first fold is tagged apart
/// from the other representations' hashes.
#[inline]
pub(crate) fn hash_text(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut seed = TEXT_SEED;
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        let (lo, hi) = chunk.split_at(8);
        seed = fold_multiply(word(lo) ^ TEXT_P1, word(hi) ^ seed);
    }
    let rest = chunks.remainder();
    let (lo, hi) = rest.split_at(rest.len().min(8));
    finish_text_hash(word(lo), word(hi), seed, bytes.len())
}

const TEXT_P0: u64 = 0xa076_1d64_78bd_642f;
const TEXT_P1: u64 = 0xe703_7ed1_a0b4_28db;
/// [`hash_text`]'s starting seed.
const TEXT_SEED: u64 = TEXT_P0 ^ 6;

/// The end of [`hash_text`]: folds the last (under 16-byte) chunk's two zero-padded words `lo`
/// and `hi` into `seed`, then the length. A text shorter than 16 bytes hashes as
/// `finish_text_hash(lo, hi, TEXT_SEED, len)`.
#[inline]
fn finish_text_hash(lo: u64, hi: u64, seed: u64, len: usize) -> u64 {
    let last = fold_multiply(lo ^ TEXT_P1, hi ^ seed);
    fold_multiply(TEXT_P1 ^ len as u64, last ^ TEXT_P0)
}

/// Up to eight bytes as a little-endian word, zero-padded: one or two loads, not a loop.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    if let Some(head) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        // Two overlapping loads: the bytes they share are the same, so or-ing them is exact.
        let head = u64::from(u32::from_le_bytes(*head));
        let tail = u64::from(u32::from_le_bytes(*tail));
        return head | tail << (8 * (bytes.len() - 4));
    }
    match bytes {
        [] => 0,
        [a] => u64::from(*a),
        [a, b] => u64::from(*a) | u64::from(*b) << 8,
        [a, b, c, ..] => u64::from(*a) | u64::from(*b) << 8 | u64::from(*c) << 16,
    }
}

/// The 128-bit product of two words, its halves xored.
#[inline]
fn fold_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Combines a running hash with a value (a splitmix64 finalizer over their mix).
#[inline]
pub(crate) fn mix(h: u64, v: u64) -> u64 {
    let mut z = h.rotate_left(5) ^ v.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::text::tests::texts;
    use super::*;

    fn column<'a>(type_name: &str, rows: &'a Rows) -> Column<'a> {
        let col = ResultColumn {
            name: "c".into(),
            type_name: type_name.into(),
        };
        let mut table = Table::read(std::slice::from_ref(&col), rows, rows.len());
        table.columns.swap_remove(0)
    }

    fn rows(values: &[Option<&str>]) -> Rows {
        values.iter().map(|v| [*v]).collect()
    }

    #[test]
    fn a_decimal_with_a_zero_fraction_is_an_exact_integer() {
        let r = rows(&[Some("10.00"), Some("-3"), None]);
        assert_eq!(
            column("DECIMAL(10,2)", &r).data,
            Data::Int(vec![10, -3, 0].into())
        );
    }

    #[test]
    fn a_value_that_does_not_parse_demotes_the_column_to_trimmed_text() {
        let r = rows(&[Some("1"), Some(" n/a ")]);
        assert_eq!(column("LONG", &r).data, Data::Text(texts(&["1", "n/a"])));
    }

    #[test]
    fn a_numeric_text_column_keeps_a_numeric_reading() {
        let r = rows(&[Some("1.5"), Some("2")]);
        let c = column("STRING", &r);
        assert_eq!(c.content, Some(Data::Float(vec![1.5, 2.0].into())));
    }

    #[test]
    fn timestamps_with_offsets_are_normalized_to_utc() {
        let r = rows(&[
            Some("2024-01-01T10:00:00+02:00"),
            Some("2024-01-01 08:00:00"),
        ]);
        let Data::Timestamp(v) = column("TIMESTAMP", &r).data else {
            panic!("not a timestamp column");
        };
        assert_eq!(v[0], v[1]);
    }

    #[test]
    fn dates_read_by_hand_agree_with_chrono_and_refuse_what_chrono_refuses() {
        for s in [
            "1970-01-01",
            "2024-02-29",
            "1969-12-31",
            "0001-01-01",
            "9999-12-31",
        ] {
            let chrono = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
            let days = chrono
                .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days();
            assert_eq!(parse_date(s).map(i64::from), Some(days), "{s}");
        }
        for s in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1a-01", ""] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(parse_date("2024-1-5"), parse_date("2024-01-05"));
    }

    #[test]
    fn every_day_of_every_four_digit_year_reads_as_chrono_counts_it() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for year in 0..=9999 {
            for month in 0..=13 {
                for day in [0, 1, 2, 15, 27, 28, 29, 30, 31, 32] {
                    let expected = NaiveDate::from_ymd_opt(year, month, day)
                        .map(|d| d.signed_duration_since(epoch).num_days());
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(parse_date(&text).map(i64::from), expected, "{text}");
                }
            }
        }
    }

    #[test]
    fn numbers_read_by_hand_equal_what_str_parse_reads() {
        let mut samples: Vec<String> = [
            "0",
            "-0",
            "+5",
            "-",
            "+",
            "",
            "5.",
            ".5",
            "-.5",
            "1.5e3",
            "007",
            "0.1",
            "-0.0",
            "123456789012345",
            "1234567890123456",
            "999999999999999999",
            "9999999999999999999",
            "1.000",
            "12a",
            "1_0",
            "--1",
            "+-1",
            "0.000000000000001",
            "4503599627370497.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..20_000u64 {
            let digits = mix(i, 1).to_string();
            let len = 1 + (mix(i, 2) % 19) as usize;
            let digits = digits.get(..len.min(digits.len())).unwrap_or("1");
            let dot = (mix(i, 3) % (digits.len() as u64 + 1)) as usize;
            let sign = ["", "-", "+"][(mix(i, 4) % 3) as usize];
            let (whole, fraction) = digits.split_at(dot);
            samples.push(format!("{sign}{digits}"));
            samples.push(format!("{sign}{whole}.{fraction}"));
        }
        for s in &samples {
            if let Some(v) = parse_short_integer(s) {
                assert_eq!(Some(v), s.parse::<i64>().ok(), "{s:?}");
            }
            if let Some(v) = parse_short_decimal(s) {
                let std: Option<f64> = s.parse().ok();
                assert_eq!(Some(v.to_bits()), std.map(f64::to_bits), "{s:?}");
            }
            // And the hand reader takes every `[sign]digits[.digits]` of up to 15 digits.
            let body = s.strip_prefix(['-', '+']).unwrap_or(s);
            let (whole, fraction) = body.split_once('.').unwrap_or((body, "1"));
            let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            let count = body.bytes().filter(u8::is_ascii_digit).count();
            if all_digits(whole) && all_digits(fraction) && count <= 15 {
                assert!(parse_short_decimal(s).is_some(), "{s:?}");
            }
        }
        assert_eq!(parse_float("0.07"), Some(0.07));
        assert_eq!(
            parse_float("-0.0").map(f64::to_bits),
            Some(0.0f64.to_bits())
        );
        assert_eq!(parse_integer("+12"), Some(12));
    }

    #[test]
    fn values_are_trimmed_of_unicode_whitespace_too() {
        assert_eq!(trim("  a b\u{a0}"), "a b");
        assert_eq!(trim("ab"), "ab");
        assert_eq!(trim("\u{3000}x"), "x");
    }

    #[test]
    fn a_date_equals_the_timestamp_at_utc_midnight() {
        let day = Cell::Date(parse_date("2024-03-01").unwrap_or_default());
        let ts = Cell::Timestamp(parse_timestamp("2024-03-01T00:00:00Z").unwrap_or_default());
        assert_eq!(
            compare_cells(day, ts, Tolerance::Relative(0.0)),
            Ordering::Equal
        );
        assert_eq!(hash_cell(day), hash_cell(ts));
    }

    #[test]
    fn an_integral_float_hashes_as_its_integer() {
        assert_eq!(hash_cell(Cell::Float(3.0)), hash_cell(Cell::Int(3)));
    }

    #[test]
    fn floats_compare_within_the_relative_tolerance_and_integers_exactly() {
        let tol = Tolerance::Relative(1e-6);
        let eq = |a, b| compare_cells(a, b, tol) == Ordering::Equal;
        assert!(eq(Cell::Float(0.1 + 0.2), Cell::Float(0.3)));
        assert!(!eq(Cell::Float(1.0), Cell::Float(1.001)));
        assert!(!eq(
            Cell::Int(1_000_000_000_000),
            Cell::Int(1_000_000_000_001)
        ));
        assert!(eq(Cell::Float(f64::NAN), Cell::Float(f64::NAN)));
    }
}
