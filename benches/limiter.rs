//! Throughput of the Genie question limiter under injected rate limiting
//! (`cargo bench --bench limiter`): the code `genie-gitops bench` runs
//! (`genie_gitops::bench::limiter`, whose docs state the set-up) for 8 s. Fails if the accepted
//! rate is below 95 % of the configured rate or the in-flight bound is broken.

use std::time::Duration;

use genie_gitops::bench::TARGET_THROUGHPUT_SHARE;
use genie_gitops::bench::limiter::{MAX_IN_FLIGHT, RATE_PER_MINUTE, run};

#[tokio::main]
async fn main() {
    let measured = match run(Duration::from_secs(8)).await {
        Ok(measured) => measured,
        Err(e) => {
            eprintln!("limiter: {e:#}");
            std::process::exit(1);
        }
    };
    println!(
        "limiter: configured {RATE_PER_MINUTE:.0}/min, {MAX_IN_FLIGHT} in flight, {:.0} s run",
        measured.seconds
    );
    println!(
        "limiter: {} starts, {} refused with 429 ({:.1} %), {} accepted",
        measured.attempts,
        measured.refused,
        100.0 * measured.refused as f64 / measured.attempts.max(1) as f64,
        measured.accepted
    );
    println!(
        "limiter: sustained {:.1}/min = {:.1} % of the configured rate",
        measured.rate_per_minute,
        100.0 * measured.share_of_configured
    );
    println!(
        "limiter: in flight peak {}, mean {:.2} (bound {MAX_IN_FLIGHT})",
        measured.peak_in_flight, measured.mean_in_flight
    );
    if measured.share_of_configured < TARGET_THROUGHPUT_SHARE
        || measured.peak_in_flight > MAX_IN_FLIGHT
    {
        eprintln!(
            "limiter: FAILED (needs >= 95 % of the rate and at most {MAX_IN_FLIGHT} in flight)"
        );
        std::process::exit(1);
    }
}
