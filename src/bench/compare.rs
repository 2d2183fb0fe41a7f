//! The result-comparison benchmark: two results of N rows × 5 columns (LONG, DOUBLE, STRING,
//! DATE, LONG), the actual being the gold shuffled with one cell changed, compared once with
//! [`crate::eval::compare::compare`], repeated until half a second has passed (one run for
//! a large pair). The same pair can be written as CSV for the pandas baseline
//! (`scripts/pandas_compare.py`), which is timed by the same rule.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::process::cpu_seconds;
use super::rng::SplitMix64;
use crate::eval::compare::{CompareOptions, Reason, compare};
use crate::model::result::{ResultColumn, ResultSet, Rows};

/// The row counts of a full run.
pub const FULL_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// The row counts of a `--short` run.
pub const SHORT_SIZES: [usize; 2] = [10_000, 100_000];

fn columns() -> Vec<ResultColumn> {
    [
        ("id", "LONG"),
        ("amount", "DOUBLE"),
        ("city", "STRING"),
        ("day", "DATE"),
        ("nights", "LONG"),
    ]
    .iter()
    .map(|(name, type_name)| ResultColumn {
        name: (*name).into(),
        type_name: (*type_name).into(),
    })
    .collect()
}

fn row(i: usize, rng: &mut SplitMix64) -> [String; 5] {
    let amount = (rng.next_u64() % 1_000_000) as f64 / 100.0;
    let day = 1 + rng.next_u64() % 28;
    [
        i.to_string(),
        format!("{amount}"),
        format!("city-{}", rng.next_u64() % 5_000),
        format!("2024-{:02}-{day:02}", 1 + rng.next_u64() % 12),
        (rng.next_u64() % 30).to_string(),
    ]
}

/// The gold, and an actual that is the gold shuffled with one cell changed.
pub fn pair(rows: usize) -> (ResultSet, ResultSet) {
    let mut rng = SplitMix64(42);
    let gold_rows: Rows = (0..rows).map(|i| row(i, &mut rng).map(Some)).collect();
    let mut order: Vec<usize> = (0..rows).collect();
    for i in (1..rows).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let changed = rows / 2;
    let actual_rows: Rows = order
        .iter()
        .enumerate()
        .filter_map(|(position, &from)| {
            let row = gold_rows.get(from)?;
            Some(row.iter().enumerate().map(move |(column, cell)| {
                if position == changed && column == 4 {
                    Some("999")
                } else {
                    cell
                }
            }))
        })
        .collect();
    let result = |rows| ResultSet {
        columns: columns(),
        rows,
        truncated: false,
    };
    (result(gold_rows), result(actual_rows))
}

/// A comparison is repeated until this much time has passed, and the mean reported: a 10k
/// comparison takes a few milliseconds, below the 10 ms tick of the CPU clock in `/proc`.
/// `scripts/pandas_compare.py` measures pandas by the same rule.
pub const MEASURE_AT_LEAST: Duration = Duration::from_millis(500);
/// The most comparisons one measurement repeats.
pub const MAX_RUNS: u32 = 1_000;

/// How long one comparison took, on average over [`Timing::runs`] comparisons.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU seconds of this process meanwhile (all threads), when `/proc` says: on a shared
    /// machine it is the fairer figure.
    pub cpu_seconds: Option<f64>,
    /// How many comparisons the means are over (one for a large pair).
    pub runs: u32,
}

/// Times the comparison of `gold` and `actual`, repeated until [`MEASURE_AT_LEAST`] has
/// passed; fails unless every run finds exactly the one changed cell (a benchmark of a wrong
/// answer measures nothing).
pub fn time_compare(gold: &ResultSet, actual: &ResultSet) -> anyhow::Result<Timing> {
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut runs = 0u32;
    loop {
        let comparison = compare(gold, actual, &CompareOptions::default());
        runs += 1;
        if comparison.reasons != [Reason::SingleCellDifference] {
            bail!(
                "the comparator found {:?} instead of the one changed cell",
                comparison.reasons
            );
        }
        if started.elapsed() >= MEASURE_AT_LEAST || runs >= MAX_RUNS {
            break;
        }
    }
    let wall = started.elapsed() / runs;
    let cpu_seconds =
        cpu_before.and_then(|before| Some((cpu_seconds()? - before) / f64::from(runs)));
    Ok(Timing {
        wall,
        cpu_seconds,
        runs,
    })
}

/// Writes a result as CSV (header, then rows; the generated values hold no commas or quotes).
pub fn write_csv(result: &ResultSet, path: &Path) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let header: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in &result.rows {
        let cells: Vec<&str> = row.iter().map(|c| c.unwrap_or("")).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pair_differs_in_exactly_one_cell_and_the_comparator_finds_it() {
        let (gold, actual) = pair(1_000);
        assert_eq!(gold.rows.len(), 1_000);
        let timing = time_compare(&gold, &actual).unwrap();
        assert!(timing.runs >= 1);
    }

    #[test]
    fn the_csv_has_a_header_and_one_line_per_row() {
        let (gold, _) = pair(10);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gold.csv");
        write_csv(&gold, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 11);
        assert_eq!(text.lines().next(), Some("id,amount,city,day,nights"));
    }
}
