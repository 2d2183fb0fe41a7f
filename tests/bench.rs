//! `genie-gitops bench --short`, as CI runs it: the real binary measures every figure at small
//! sizes (its optimize run capped at 24 Genie questions, the simulator in a child process) and
//! prints one JSON document. Timing is never judged in short mode, so the run must exit 0 on a
//! loaded machine; every row must be there with a measured value.

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn the_short_bench_measures_every_figure_and_does_not_fail_on_timing() {
    let output = Command::cargo_bin("genie-gitops")
        .unwrap()
        .args(["--quiet", "bench", "--short", "--output", "json"])
        .env_remove("GENIE_GITOPS_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["mode"], "short");
    let measures: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["measure"].as_str().unwrap())
        .collect();
    insta::assert_snapshot!(measures.join("\n"));
    assert!(report["rows"].as_array().unwrap().iter().all(|r| {
        r["status"] != "missed" && !r["measured"].as_str().unwrap_or_default().is_empty()
    }));
    assert_eq!(report["optimize"]["questions"], 24);
    assert!(report["optimize"]["cpu_seconds"].as_f64().unwrap() > 0.0);
    let compared: Vec<u64> = report["compare"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(compared, vec![10_000, 100_000]);
    assert!(report["limiter"]["refused"].as_u64().unwrap() > 0);
}
