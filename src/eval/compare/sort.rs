//! Sorting a million hashes quickly. Row and cell hashes are spread uniformly (they come out of
//! a splitmix finalizer), so their top bits split them into buckets of a handful each: one
//! counting pass and one scatter pass, then every small bucket sorted on its own. The result is
//! the order `sort_unstable` gives, in a fraction of its time on large inputs; skewed keys
//! only make the buckets larger, never the order different.

use super::scratch::{Pooled, Recycle};

/// Below this many values a plain `sort_unstable` is as fast.
const BUCKET_SORT_MIN: usize = 1 << 12;

/// `values` sorted ascending, where `key` is the leading field of `T`'s order (the whole value,
/// or the hash bits of a packed `hash | row` key): buckets by the key's top bits, then sorts
/// each bucket.
/// The values are produced twice (counted, then placed), so no unsorted copy is stored.
pub(crate) fn sorted_by_hash<T, I>(values: I, key: impl Fn(&T) -> u64) -> Pooled<T>
where
    T: Copy + Ord + Recycle,
    I: ExactSizeIterator<Item = T> + Clone,
{
    let len = values.len();
    let Some(filler) = values.clone().next() else {
        return Pooled::default();
    };
    if len < BUCKET_SORT_MIN {
        let mut sorted = Pooled::with_capacity(len);
        sorted.extend(values);
        sorted.sort_unstable();
        return sorted;
    }
    // About eight values per bucket, at most 2^16 buckets.
    let bits = (len / 8).ilog2().clamp(1, 16);
    let bucket = |v: &T| (key(v) >> (64 - bits)) as usize;
    let mut ends = Pooled::filled(0usize, 1 << bits);
    for v in values.clone() {
        ends[bucket(&v)] += 1;
    }
    let largest = ends.iter().copied().max().unwrap_or(0);
    let mut next = Pooled::with_capacity(ends.len());
    let mut total = 0;
    for end in ends.iter_mut() {
        next.push(total);
        total += *end;
        *end = total;
    }
    let mut sorted = Pooled::filled(filler, total);
    for v in values {
        let slot = &mut next[bucket(&v)];
        sorted[*slot] = v;
        *slot += 1;
    }
    if largest <= INSERTION_MAX {
        // Every value is already among the values of its bucket, and the buckets in order: one
        // insertion sort over the whole moves each value only within its small bucket.
        insertion_sort(&mut sorted);
        return sorted;
    }
    let mut start = 0;
    for &end in ends.iter() {
        sorted[start..end].sort_unstable();
        start = end;
    }
    sorted
}

/// The largest bucket one insertion sort over the whole array is used for (larger buckets,
/// from skewed keys, are sorted one by one).
const INSERTION_MAX: usize = 48;

fn insertion_sort<T: Copy + Ord>(values: &mut [T]) {
    for i in 1..values.len() {
        let value = values[i];
        let mut j = i;
        while j > 0 && values[j - 1] > value {
            values[j] = values[j - 1];
            j -= 1;
        }
        values[j] = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<u64> {
        (0..n as u64)
            .map(|i| super::super::normalize::mix(seed, i))
            .collect()
    }

    #[test]
    fn bucketed_sorting_gives_the_order_of_a_plain_sort() {
        for n in [0, 1, 100, BUCKET_SORT_MIN, 50_000] {
            let values = pseudo_random(n, 7);
            let mut expected = values.clone();
            expected.sort_unstable();
            let sorted = sorted_by_hash(values.iter().copied(), |v| *v);
            assert_eq!(*sorted, expected, "{n} values");
        }
    }

    #[test]
    fn keys_with_equal_hashes_come_out_ordered_by_row() {
        // Packed as the row match packs them: the hash's high bits above the row.
        let keys: Vec<u64> = pseudo_random(20_000, 3)
            .into_iter()
            .enumerate()
            .map(|(row, h)| ((h % 97) << 57) | (20_000 - row) as u64)
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable();
        assert_eq!(*sorted_by_hash(keys.into_iter(), |k| *k), expected);
    }

    #[test]
    fn skewed_keys_still_sort() {
        let values: Vec<u64> = (0..10_000u64).map(|i| i % 3).collect();
        let mut expected = values.clone();
        expected.sort_unstable();
        assert_eq!(*sorted_by_hash(values.into_iter(), |v| *v), expected);
    }
}
