//! A tiny deterministic pseudo-random generator (SplitMix64) for the simulator's generated data.
//! Same seed, same sequence, on every platform; no `rand` crate needed.

/// SplitMix64: fast, well distributed, and good enough for synthetic data (not for secrets).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole sequence is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent generator derived from this seed and a stream label, so adding draws to
    /// one table's generation does not shift every other table's data.
    pub fn derive(seed: u64, stream: &str) -> Self {
        let mut mixed = seed ^ 0x9E37_79B9_7F4A_7C15;
        for byte in stream.bytes() {
            mixed = mix(mixed ^ u64::from(byte));
        }
        Self::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A float uniformly distributed in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer uniformly distributed in `[low, high]` (inclusive); `low` when the range is empty.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as i64
    }

    /// A float uniformly distributed in `[low, high)`.
    pub fn range_f64(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next_f64()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// A uniformly chosen element; `None` only for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let index = (self.next_u64() % items.len() as u64) as usize;
        items.get(index)
    }

    /// An index chosen with probability proportional to `weights[i]`; 0 when all weights are 0.
    pub fn weighted_index(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return 0;
        }
        let mut target = self.next_f64() * total;
        for (index, weight) in weights.iter().enumerate() {
            if target < *weight {
                return index;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }
}

/// The SplitMix64 finalizer.
fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(SplitMix64::new(43).next_u64(), first[0]);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..1000 {
            let n = rng.range(3, 9);
            assert!((3..=9).contains(&n));
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
        assert_eq!(rng.range(5, 5), 5);
    }

    #[test]
    fn weighted_choice_follows_the_weights() {
        let mut rng = SplitMix64::new(1);
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[rng.weighted_index(&[1.0, 0.0, 3.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 2);
    }

    #[test]
    fn derived_streams_differ_by_label() {
        let mut a = SplitMix64::derive(1, "bookings");
        let mut b = SplitMix64::derive(1, "payments");
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
