//! What the kernel says about this process: CPU time and peak resident memory, read from
//! `/proc` (Linux only; elsewhere the figures are `None` and the bench says so).

/// Clock ticks per second of `/proc/self/stat` times. `sysconf(_SC_CLK_TCK)` is 100 on every
/// Linux this tool targets; reading it would need libc, which the crate does not depend on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) this process has used so far, all threads, children excluded.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / CLOCK_TICKS_PER_SECOND)
}

/// Peak resident set size of this process so far (`VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_while_the_process_works() {
        let Some(before) = cpu_seconds() else {
            eprintln!("skipping: /proc/self/stat not found");
            return;
        };
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed().as_millis() < 300 {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let after = cpu_seconds().unwrap_or_default();
        assert!(after > before, "{before} → {after}");
    }

    #[test]
    fn the_peak_rss_is_known_on_linux() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(peak_rss_mib().is_some());
        }
    }
}
