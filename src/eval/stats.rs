//! Statistics for accuracy reports and acceptance gates: accuracy with a 95% Wilson score
//! interval, the exact McNemar test for paired before/after outcomes on the same questions, and
//! a non-inferiority check with a margin. Deterministic, closed-form, no sampling.

use serde::Serialize;
use thiserror::Error;

/// The two-sided 95% normal quantile.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The one-sided 95% normal quantile (a two-sided 90% interval).
pub const Z_95_ONE_SIDED: f64 = 1.644_853_626_951_472_2;

/// A closed interval of proportions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// An accuracy with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
    /// `correct / total`; 0 when there are no questions.
    pub rate: f64,
    pub ci95: Interval,
}

/// Accuracy of `correct` out of `total` with a 95% Wilson interval (`[0, 1]` when `total` is 0).
pub fn accuracy(correct: usize, total: usize) -> Accuracy {
    let rate = if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    };
    Accuracy {
        correct,
        total,
        rate,
        ci95: wilson(correct, total, Z_95),
    }
}

/// The Wilson score interval for `successes` out of `n` at normal quantile `z`.
pub fn wilson(successes: usize, n: usize, z: f64) -> Interval {
    if n == 0 {
        return Interval {
            low: 0.0,
            high: 1.0,
        };
    }
    let n = n as f64;
    let p = (successes as f64 / n).min(1.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval {
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    }
}

/// Paired outcomes of the same questions before and after a change (a 2×2 table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Paired {
    /// Correct before and after.
    pub both: usize,
    /// Correct before, wrong after: regressions.
    pub before_only: usize,
    /// Wrong before, correct after: fixes.
    pub after_only: usize,
    /// Wrong before and after.
    pub neither: usize,
}

/// Paired outcomes that cannot be tabulated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatsError {
    #[error(
        "paired outcomes differ in length: {before} before, {after} after; pair the same questions"
    )]
    LengthMismatch { before: usize, after: usize },
}

impl Paired {
    /// Tabulates per-question outcomes given in the same question order.
    pub fn from_outcomes(before: &[bool], after: &[bool]) -> Result<Self, StatsError> {
        if before.len() != after.len() {
            return Err(StatsError::LengthMismatch {
                before: before.len(),
                after: after.len(),
            });
        }
        let mut t = Paired::default();
        for (b, a) in before.iter().zip(after) {
            match (b, a) {
                (true, true) => t.both += 1,
                (true, false) => t.before_only += 1,
                (false, true) => t.after_only += 1,
                (false, false) => t.neither += 1,
            }
        }
        Ok(t)
    }

    /// Number of paired questions.
    pub fn total(&self) -> usize {
        self.both + self.before_only + self.after_only + self.neither
    }
}

/// Two-sided exact McNemar p-value: a binomial test of the discordant pairs against 1/2.
/// 1.0 when there are no discordant pairs.
pub fn mcnemar_exact(t: &Paired) -> f64 {
    let n = t.before_only + t.after_only;
    if n == 0 {
        return 1.0;
    }
    let k = t.before_only.min(t.after_only);
    // Sum C(n, i) / 2^n for i in 0..=k, in log space so large n cannot underflow.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0;
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64 / i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// The result of a non-inferiority check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NonInferiority {
    /// Accuracy after minus before (a proportion of the paired questions).
    pub difference: f64,
    /// One-sided 95% lower confidence bound of the difference.
    pub lower_bound: f64,
    /// How much worse the change may be and still count as non-inferior.
    pub margin: f64,
    /// `lower_bound > -margin`.
    pub non_inferior: bool,
}

/// Is "after" no worse than "before" by more than `margin` (a proportion, e.g. 0.02)? Uses
/// the paired difference with the Agresti–Min adjustment (0.5 added to each cell of the 2×2
/// table) and its one-sided 95% lower bound.
pub fn non_inferiority(t: &Paired, margin: f64) -> NonInferiority {
    let n = t.total() as f64;
    let difference = if n == 0.0 {
        0.0
    } else {
        (t.after_only as f64 - t.before_only as f64) / n
    };
    let n_adj = n + 2.0;
    let lost = (t.before_only as f64 + 0.5) / n_adj;
    let gained = (t.after_only as f64 + 0.5) / n_adj;
    let diff_adj = gained - lost;
    let variance = ((lost + gained) - diff_adj * diff_adj) / n_adj;
    let lower_bound = diff_adj - Z_95_ONE_SIDED * variance.max(0.0).sqrt();
    NonInferiority {
        difference,
        lower_bound,
        margin,
        non_inferior: lower_bound > -margin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn the_wilson_interval_of_8_of_10_matches_the_hand_computed_bounds() {
        // center = (0.8 + 1.9208/10) / 1.38415 = 0.71673; half = 1.41603 * sqrt(0.0256037).
        let a = accuracy(8, 10);
        assert!(close(a.rate, 0.8));
        assert!(close(a.ci95.low, 0.4902), "{:?}", a.ci95);
        assert!(close(a.ci95.high, 0.9433), "{:?}", a.ci95);
    }

    #[test]
    fn the_wilson_interval_stays_inside_zero_and_one() {
        let all = accuracy(10, 10);
        assert!(close(all.ci95.high, 1.0) && close(all.ci95.low, 0.7225));
        let none = accuracy(0, 10);
        assert!(close(none.ci95.low, 0.0) && close(none.ci95.high, 0.2775));
    }

    #[test]
    fn no_questions_give_the_whole_unit_interval() {
        let a = accuracy(0, 0);
        assert_eq!((a.rate, a.ci95.low, a.ci95.high), (0.0, 0.0, 1.0));
    }

    #[test]
    fn exact_mcnemar_matches_the_binomial_tail() {
        // 1 regression, 6 fixes: 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8 / 128.
        let t = Paired {
            before_only: 1,
            after_only: 6,
            ..Paired::default()
        };
        assert!(close(mcnemar_exact(&t), 0.125));
        // 0 vs 5: 2 / 32.
        let t = Paired {
            before_only: 0,
            after_only: 5,
            ..Paired::default()
        };
        assert!(close(mcnemar_exact(&t), 0.0625));
    }

    #[test]
    fn mcnemar_is_one_without_discordant_pairs_or_when_they_balance() {
        assert_eq!(
            mcnemar_exact(&Paired {
                both: 9,
                neither: 1,
                ..Paired::default()
            }),
            1.0
        );
        let t = Paired {
            before_only: 4,
            after_only: 4,
            ..Paired::default()
        };
        assert_eq!(mcnemar_exact(&t), 1.0);
    }

    #[test]
    fn mcnemar_does_not_underflow_on_many_pairs() {
        let t = Paired {
            before_only: 600,
            after_only: 700,
            ..Paired::default()
        };
        let p = mcnemar_exact(&t);
        assert!(p > 0.0 && p < 0.01, "{p}");
    }

    #[test]
    fn non_inferiority_uses_the_adjusted_one_sided_lower_bound() {
        // 2 regressions, 3 fixes of 100: lower bound = 0.0098039 - 1.64485 * 0.023995 = -0.02966.
        let t = Paired {
            both: 90,
            before_only: 2,
            after_only: 3,
            neither: 5,
        };
        let ni = non_inferiority(&t, 0.05);
        assert!(close(ni.difference, 0.01));
        assert!(close(ni.lower_bound, -0.02966), "{ni:?}");
        assert!(ni.non_inferior);
        assert!(!non_inferiority(&t, 0.02).non_inferior);
    }

    #[test]
    fn paired_outcomes_are_tabulated_and_must_have_equal_length() {
        let t = Paired::from_outcomes(&[true, true, false, false], &[true, false, true, false]);
        assert_eq!(
            t,
            Ok(Paired {
                both: 1,
                before_only: 1,
                after_only: 1,
                neither: 1
            })
        );
        assert_eq!(
            Paired::from_outcomes(&[true], &[]),
            Err(StatsError::LengthMismatch {
                before: 1,
                after: 0
            })
        );
    }
}
