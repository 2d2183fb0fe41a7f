//! Benchmark of the result comparator (`cargo bench --bench compare`): two results of
//! 10k / 100k / 1M rows × 5 columns (LONG, DOUBLE, STRING, DATE, LONG), the actual shuffled and
//! with one differing cell, compared repeatedly for half a second (once for 1M) and the mean
//! printed (`genie_gitops::bench::compare`, the code `genie-gitops bench` runs). Prints a table and the peak resident memory (VmHWM) at the end.
//! Targets: 1M rows in < 2 s and < 1 GB. The pandas baseline is part of `genie-gitops bench`.

use genie_gitops::bench::compare::{FULL_SIZES, pair, time_compare};
use genie_gitops::bench::process::peak_rss_mib;

fn main() {
    println!("| rows | columns | compare time | CPU time | runs |");
    println!("|---:|---:|---:|---:|---:|");
    for rows in FULL_SIZES {
        let (gold, actual) = pair(rows);
        match time_compare(&gold, &actual) {
            Ok(timing) => println!(
                "| {rows} | 5 | {:.4} s | {} | {} |",
                timing.wall.as_secs_f64(),
                timing
                    .cpu_seconds
                    .map_or("n/a".to_owned(), |cpu| format!("{cpu:.4} s")),
                timing.runs
            ),
            Err(e) => {
                eprintln!("compare: {e:#}");
                std::process::exit(1);
            }
        }
    }
    match peak_rss_mib() {
        Some(mb) => println!("peak RSS (VmHWM, inputs included): {mb} MiB"),
        None => println!("peak RSS: /proc/self/status not available"),
    }
}
