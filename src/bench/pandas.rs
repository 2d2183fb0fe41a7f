//! The pandas baseline: the same result pair as the comparator benchmark, written as CSV and
//! compared by `scripts/pandas_compare.py` (typed normalization, sort by every column, hash
//! each row, compare the hash sequences) run with `python3`. The script travels inside the
//! binary, so the bench works outside a checkout.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use serde::Deserialize;

use super::compare::write_csv;
use crate::model::result::ResultSet;

/// The script, written next to the CSV files for each run.
const SCRIPT: &str = include_str!("../../scripts/pandas_compare.py");
/// The script's exit code when pandas is not installed.
const NO_PANDAS: i32 = 3;

/// What the script printed.
#[derive(Debug, Clone, Deserialize)]
struct ScriptOutput {
    seconds: f64,
    cpu_seconds: f64,
    mismatched_rows: u64,
}

/// The pandas side of one comparison row.
#[derive(Debug, Clone, PartialEq)]
pub enum Pandas {
    /// The comparison took this long.
    Timed {
        /// Wall-clock seconds.
        seconds: f64,
        /// CPU seconds of the python process.
        cpu_seconds: f64,
    },
    /// python3 or pandas is missing: the row says so.
    Unavailable,
}

/// Times the pandas comparison of the pair in `dir` (the script fails loudly when it runs
/// but misses the changed cell).
pub fn time_pandas(gold: &ResultSet, actual: &ResultSet, dir: &Path) -> anyhow::Result<Pandas> {
    let script = dir.join("pandas_compare.py");
    std::fs::write(&script, SCRIPT).context("cannot write the pandas script")?;
    let (gold_csv, actual_csv) = (dir.join("gold.csv"), dir.join("actual.csv"));
    write_csv(gold, &gold_csv)?;
    write_csv(actual, &actual_csv)?;
    let output = match Command::new("python3")
        .arg(&script)
        .arg(&gold_csv)
        .arg(&actual_csv)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            tracing::debug!("python3 cannot be started: {e}");
            return Ok(Pandas::Unavailable);
        }
    };
    if output.status.code() == Some(NO_PANDAS) {
        return Ok(Pandas::Unavailable);
    }
    if !output.status.success() {
        anyhow::bail!(
            "pandas_compare.py failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let parsed: ScriptOutput = serde_json::from_slice(&output.stdout)
        .context("pandas_compare.py printed something other than its JSON line")?;
    if parsed.mismatched_rows == 0 {
        anyhow::bail!("pandas_compare.py missed the changed cell");
    }
    Ok(Pandas::Timed {
        seconds: parsed.seconds,
        cpu_seconds: parsed.cpu_seconds,
    })
}
