//! Benchmark of the result comparator (`cargo bench --bench compare`): two results of
//! 10k / 100k / 1M rows × 5 columns (LONG, DOUBLE, STRING, DATE, LONG), the actual shuffled and
//! with one differing cell, compared once each. Prints a table and the peak resident memory
//! (VmHWM) at the end. Targets: 1M rows in < 2 s and < 1 GB.

use std::time::Instant;

use genie_gitops::eval::compare::{CompareOptions, Reason, compare};
use genie_gitops::model::result::{ResultColumn, ResultSet};

/// A deterministic pseudo-random sequence (splitmix64), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

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

fn row(i: usize, rng: &mut Rng) -> Vec<Option<String>> {
    let amount = (rng.next() % 1_000_000) as f64 / 100.0;
    let day = 1 + rng.next() % 28;
    vec![
        Some(i.to_string()),
        Some(format!("{amount}")),
        Some(format!("city-{}", rng.next() % 5_000)),
        Some(format!("2024-{:02}-{day:02}", 1 + rng.next() % 12)),
        Some((rng.next() % 30).to_string()),
    ]
}

/// The gold, and an actual that is the gold shuffled with one cell changed.
fn pair(rows: usize) -> (ResultSet, ResultSet) {
    let mut rng = Rng(42);
    let gold_rows: Vec<Vec<Option<String>>> = (0..rows).map(|i| row(i, &mut rng)).collect();
    let mut actual_rows = gold_rows.clone();
    for i in (1..actual_rows.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        actual_rows.swap(i, j);
    }
    if let Some(cell) = actual_rows.get_mut(rows / 2).and_then(|r| r.get_mut(4)) {
        *cell = Some("999".into());
    }
    let result = |rows| ResultSet {
        columns: columns(),
        rows,
        truncated: false,
    };
    (result(gold_rows), result(actual_rows))
}

fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn main() {
    println!("| rows | columns | compare time | verdict | reasons |");
    println!("|---:|---:|---:|---|---|");
    for rows in [10_000, 100_000, 1_000_000] {
        let (gold, actual) = pair(rows);
        let start = Instant::now();
        let c = compare(&gold, &actual, &CompareOptions::default());
        let elapsed = start.elapsed();
        assert_eq!(
            c.reasons,
            vec![Reason::SingleCellDifference],
            "the benchmark's one changed cell"
        );
        let reasons: Vec<String> = c.reasons.iter().map(|r| format!("{r:?}")).collect();
        println!(
            "| {rows} | 5 | {:.3} s | {:?} | {} |",
            elapsed.as_secs_f64(),
            c.verdict,
            reasons.join(", ")
        );
    }
    match peak_rss_mb() {
        Some(mb) => println!("peak RSS (VmHWM, inputs included): {mb} MB"),
        None => println!("peak RSS: /proc/self/status not available"),
    }
}
