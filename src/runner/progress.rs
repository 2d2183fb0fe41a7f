//! Progress of a run: an indicatif bar when stderr is a terminal, otherwise a `tracing` line
//! at every tenth of the way (and the last question), so CI logs stay short.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress over a known number of questions.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    passed: usize,
    logged_tenths: usize,
}

impl Progress {
    /// A bar on a terminal, sparse log lines elsewhere.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} {msg} [{elapsed}]")
            {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            total,
            done: 0,
            passed: 0,
            logged_tenths: 0,
        }
    }

    /// One question finished.
    pub fn question_done(&mut self, id: &str, passed: bool) {
        self.done += 1;
        self.passed += usize::from(passed);
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{} passed · last {id}", self.passed));
                bar.inc(1);
            }
            None => {
                let tenths = self.done * 10 / self.total.max(1);
                if tenths > self.logged_tenths || self.done == self.total {
                    self.logged_tenths = tenths;
                    tracing::info!(
                        done = self.done,
                        total = self.total,
                        passed = self.passed,
                        "evaluating"
                    );
                }
            }
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
