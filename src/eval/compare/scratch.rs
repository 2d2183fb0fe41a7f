//! Buffers a thread keeps from one comparison to the next.
//!
//! A comparison of N rows fills a score of vectors of N values: each column's reading, the
//! row hashes, the sort keys, the partners. Freed, the allocator hands such large blocks back
//! to the system, and the next comparison pays again to touch fresh memory — page faults and
//! zeroing, about a millisecond per megabyte on the 2-core host, a fifth of a 100k-row
//! comparison (docs/performance.md). A [`Pooled`] vector goes back to its thread's pool when
//! it is dropped, emptied, and the next vector of its type and size takes it over: an
//! evaluation comparing one result per question touches fresh memory only when a result is
//! larger than every one before.
//!
//! The pool is bounded: at most [`SHELF`] buffers per value type and [`HOLD_BYTES`] in all per
//! thread; past either bound the smallest buffers are freed. Reuse changes no value: a pooled
//! vector is always handed out empty.

use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// The most buffers the pool keeps per value type.
const SHELF: usize = 16;
/// The most bytes of buffer the pool keeps per thread.
const HOLD_BYTES: usize = 256 << 20;

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// Emptied buffers by value type, and their bytes in all.
#[derive(Default)]
pub(crate) struct Pool {
    i64s: Shelf<i64>,
    f64s: Shelf<f64>,
    i32s: Shelf<i32>,
    u64s: Shelf<u64>,
    usizes: Shelf<usize>,
    bools: Shelf<bool>,
    pairs: Shelf<[u64; 2]>,
    bytes: usize,
}

/// Emptied buffers of one value type.
type Shelf<T> = Vec<Vec<T>>;

/// A value type whose buffers the pool keeps.
pub(crate) trait Recycle: Sized {
    /// An emptied buffer with room for at least `capacity` values, if the pool has one.
    fn take(pool: &mut Pool, capacity: usize) -> Option<Vec<Self>>;
    /// Keeps the (emptied) buffer `values`, or frees it.
    fn give(pool: &mut Pool, values: Vec<Self>);
}

macro_rules! recycle {
    ($($t:ty => $shelf:ident),* $(,)?) => {$(
        impl Recycle for $t {
            fn take(pool: &mut Pool, capacity: usize) -> Option<Vec<Self>> {
                take_from(&mut pool.$shelf, &mut pool.bytes, capacity)
            }

            fn give(pool: &mut Pool, values: Vec<Self>) {
                give_to(&mut pool.$shelf, &mut pool.bytes, values)
            }
        }
    )*};
}

recycle!(
    i64 => i64s,
    f64 => f64s,
    i32 => i32s,
    u64 => u64s,
    usize => usizes,
    bool => bools,
    [u64; 2] => pairs,
);

/// The smallest buffer on `shelf` with room for `capacity` values; of equal ones the last
/// given back, which is the likeliest to be in memory still (a buffer reserved but never
/// filled, say by a reading that moved along its ladder at once, has no pages yet).
fn take_from<T>(shelf: &mut Shelf<T>, bytes: &mut usize, capacity: usize) -> Option<Vec<T>> {
    let (index, _) = shelf
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, buffer)| buffer.capacity() >= capacity)
        .min_by_key(|(_, buffer)| buffer.capacity())?;
    // `remove` keeps the order in which the buffers came back.
    let buffer = shelf.remove(index);
    *bytes -= size_of_buffer(&buffer);
    Some(buffer)
}

/// Puts the emptied `buffer` on `shelf`, then frees the shelf's smallest buffers while the
/// shelf or the pool is over its bound.
fn give_to<T>(shelf: &mut Shelf<T>, bytes: &mut usize, mut buffer: Vec<T>) {
    buffer.clear();
    if size_of_buffer(&buffer) == 0 {
        return;
    }
    *bytes += size_of_buffer(&buffer);
    shelf.push(buffer);
    while shelf.len() > SHELF || *bytes > HOLD_BYTES {
        let Some((index, _)) = shelf
            .iter()
            .enumerate()
            .min_by_key(|(_, buffer)| buffer.capacity())
        else {
            return;
        };
        *bytes -= size_of_buffer(&shelf.remove(index));
    }
}

fn size_of_buffer<T>(buffer: &Vec<T>) -> usize {
    buffer.capacity() * size_of::<T>()
}

/// A vector whose buffer goes back to this thread's pool when it is dropped.
pub(crate) struct Pooled<T: Recycle>(Vec<T>);

impl<T: Recycle> Pooled<T> {
    /// An empty vector with room for at least `capacity` values: a pooled buffer when one
    /// fits, else a new one.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let pooled = POOL
            .try_with(|pool| {
                let mut pool = pool.try_borrow_mut().ok()?;
                T::take(&mut pool, capacity)
            })
            .ok()
            .flatten();
        Pooled(pooled.unwrap_or_else(|| Vec::with_capacity(capacity)))
    }

    /// `len` copies of `value` (as `vec![value; len]`).
    pub(crate) fn filled(value: T, len: usize) -> Self
    where
        T: Clone,
    {
        let mut pooled = Pooled::with_capacity(len);
        pooled.resize(len, value);
        pooled
    }
}

impl<T: Recycle> Drop for Pooled<T> {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.0);
        // While the thread is ending its pool may be gone: the buffer is then just freed.
        let _ = POOL.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut() {
                T::give(&mut pool, buffer);
            }
        });
    }
}

impl<T: Recycle> Deref for Pooled<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Recycle> DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T: Recycle> Default for Pooled<T> {
    fn default() -> Self {
        Pooled(Vec::new())
    }
}

impl<T: Recycle> From<Vec<T>> for Pooled<T> {
    fn from(values: Vec<T>) -> Self {
        Pooled(values)
    }
}

impl<T: Recycle + Clone> Clone for Pooled<T> {
    fn clone(&self) -> Self {
        let mut copy = Pooled::with_capacity(self.len());
        copy.extend_from_slice(self);
        copy
    }
}

impl<T: Recycle + PartialEq> PartialEq for Pooled<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: Recycle + fmt::Debug> fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What this thread's pool holds: (`i64` buffers, bytes in all).
    fn held() -> (usize, usize) {
        POOL.with_borrow(|pool| (pool.i64s.len(), pool.bytes))
    }

    #[test]
    fn a_dropped_vector_lends_its_buffer_to_the_next_of_its_type_emptied() {
        let mut first: Pooled<i64> = Pooled::with_capacity(1_000);
        first.extend([1, 2, 3]);
        let buffer = first.as_ptr();
        drop(first);
        let second: Pooled<i64> = Pooled::with_capacity(500);
        assert_eq!(second.as_ptr(), buffer);
        assert!(second.is_empty());
        assert!(second.capacity() >= 1_000);
        // A larger request than any pooled buffer gets a new one.
        let third: Pooled<i64> = Pooled::with_capacity(5_000);
        assert_ne!(third.as_ptr(), buffer);
    }

    #[test]
    fn of_equal_buffers_the_last_given_back_is_lent_first() {
        let older: Pooled<f64> = Pooled::with_capacity(300);
        let newer: Pooled<f64> = Pooled::with_capacity(300);
        let newer_buffer = newer.as_ptr();
        drop(older);
        drop(newer);
        let again: Pooled<f64> = Pooled::with_capacity(300);
        assert_eq!(again.as_ptr(), newer_buffer);
    }

    #[test]
    fn the_pool_frees_its_smallest_buffers_past_its_bounds() {
        let many: Vec<Pooled<i64>> = (1..=SHELF + 4)
            .map(|n| Pooled::with_capacity(n * 100))
            .collect();
        let largest = many.last().map(|v| v.as_ptr());
        drop(many);
        let (buffers, bytes) = held();
        assert!(buffers <= SHELF, "{buffers} buffers kept");
        assert!(bytes <= HOLD_BYTES);
        // The largest are the ones kept.
        let again: Pooled<i64> = Pooled::with_capacity((SHELF + 4) * 100);
        assert_eq!(Some(again.as_ptr()), largest);
        drop(again);
        let huge: Pooled<u64> = Pooled::with_capacity(HOLD_BYTES / 8 + 1);
        drop(huge);
        assert!(held().1 <= HOLD_BYTES, "the pool kept more than its bound");
    }
}
