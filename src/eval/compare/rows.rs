//! Row matching under a fixed column mapping: rows as a bag (multiset) or, for ordered results,
//! as a list of tie segments.
//!
//! The bag match hashes every row over the mapped columns, sorts the rows of each side by that
//! hash and walks both sides together, verifying each candidate pair cell by cell. Rows left
//! over (floats that are close but not bit-equal) get a tolerant pass: both sides are sorted with
//! the exact columns first and the float columns last, then merged with the tolerant comparison.
//! Every pair is verified, so hashing can cost time but never a false match.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use super::normalize::{
    Column, NO_PARTNER, ROW_HASH_SEED, Tolerance, View, compare_cells, mark_differing, row_add,
};
use super::scratch::Pooled;
use super::sort::sorted_by_hash;

/// One gold column matched to one actual column, and how their cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pair {
    pub(crate) gold: usize,
    pub(crate) actual: usize,
    pub(crate) gold_view: View,
    pub(crate) actual_view: View,
    /// A float on either side: the pair compares with a tolerance.
    pub(crate) float: bool,
    /// The declared types belong to different families (text vs number, date vs timestamp).
    pub(crate) type_differs: bool,
}

/// Both normalized sides and the mapped pairs, the frame every row operation works in.
pub(crate) struct Frame<'s, 'a> {
    pub(crate) gold: &'s [Column<'a>],
    pub(crate) actual: &'s [Column<'a>],
    pub(crate) pairs: &'s [Pair],
}

/// Each side's row hashes over the mapped columns: kept from reading, or folded.
pub(crate) type RowHashes<'h> = [Cow<'h, [u64]>; 2];

/// Rows left unmatched on each side (row indices, ascending).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Leftovers {
    pub(crate) gold: Vec<usize>,
    pub(crate) actual: Vec<usize>,
}

impl Leftovers {
    pub(crate) fn is_empty(&self) -> bool {
        self.gold.is_empty() && self.actual.is_empty()
    }
}

impl<'s, 'a> Frame<'s, 'a> {
    pub(crate) fn new(gold: &'s [Column<'a>], actual: &'s [Column<'a>], pairs: &'s [Pair]) -> Self {
        Frame {
            gold,
            actual,
            pairs,
        }
    }

    /// Orders gold row `g` against actual row `a` over the mapped columns (exact columns first).
    fn cmp_rows(&self, g: usize, a: usize, tol: Tolerance) -> Ordering {
        self.ordered_pairs()
            .map(|p| {
                compare_cells(
                    self.gold[p.gold].cell(p.gold_view, g),
                    self.actual[p.actual].cell(p.actual_view, a),
                    tol,
                )
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    /// The pairs with exact pairs first, so sorted rows group by their exact cells.
    fn ordered_pairs(&self) -> impl Iterator<Item = &Pair> {
        let exact = self.pairs.iter().filter(|p| !p.float);
        exact.chain(self.pairs.iter().filter(|p| p.float))
    }

    /// Whether gold row `g` equals actual row `a` under `tol`.
    pub(crate) fn rows_equal(&self, g: usize, a: usize, tol: Tolerance) -> bool {
        self.cmp_rows(g, a, tol).is_eq()
    }

    /// How many mapped cells differ between gold row `g` and actual row `a`.
    pub(crate) fn differing_pairs(&self, g: usize, a: usize, tol: Tolerance) -> Vec<Pair> {
        self.pairs
            .iter()
            .filter(|p| {
                compare_cells(
                    self.gold[p.gold].cell(p.gold_view, g),
                    self.actual[p.actual].cell(p.actual_view, a),
                    tol,
                )
                .is_ne()
            })
            .copied()
            .collect()
    }

    /// Orders two rows of the same side (strictly), for sorting before a tolerant merge.
    fn cmp_same_side(&self, gold_side: bool, x: usize, y: usize) -> Ordering {
        let exact = Tolerance::Relative(0.0);
        self.ordered_pairs()
            .map(|p| {
                let (col, view) = if gold_side {
                    (&self.gold[p.gold], p.gold_view)
                } else {
                    (&self.actual[p.actual], p.actual_view)
                };
                compare_cells(col.cell(view, x), col.cell(view, y), exact)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    /// A hash per row of each side over the mapped columns, in mapping order: a side's `kept`
    /// row hashes from reading when the mapping covers its every column in order as declared
    /// (the usual case), else folded here.
    pub(crate) fn row_hashes<'h>(&self, kept: [&'h [u64]; 2]) -> RowHashes<'h> {
        let gold = self.pairs.iter().map(|p| (p.gold, p.gold_view));
        let actual = self.pairs.iter().map(|p| (p.actual, p.actual_view));
        let [gold_kept, actual_kept] = kept;
        [
            hashes(self.gold, gold, gold_kept),
            hashes(self.actual, actual, actual_kept),
        ]
    }

    /// Matches `gold_rows` against `actual_rows` as bags; returns what is left unmatched.
    pub(crate) fn bag_match(
        &self,
        gold_rows: Range<usize>,
        actual_rows: Range<usize>,
        hashes: &RowHashes,
        tol: Tolerance,
    ) -> Leftovers {
        let mut left = self.hash_match(gold_rows, actual_rows, hashes, tol);
        if !left.gold.is_empty() && !left.actual.is_empty() && self.pairs.iter().any(|p| p.float) {
            left = self.tolerant_match(&left, tol);
        }
        left
    }

    fn hash_match(
        &self,
        gold_rows: Range<usize>,
        actual_rows: Range<usize>,
        hashes: &RowHashes,
        tol: Tolerance,
    ) -> Leftovers {
        // Both sides keep the same hash bits, so that their keys compare.
        let row_bits = usize::BITS - gold_rows.len().max(actual_rows.len()).leading_zeros();
        let row_mask = (1u64 << row_bits.min(63)) - 1;
        let g = Keyed::sorted(gold_rows.clone(), &hashes[0], row_mask);
        let a = Keyed::sorted(actual_rows, &hashes[1], row_mask);
        let mut left = Leftovers::default();
        // One gold row and one actual row with the same hash: the usual case, recorded as the
        // gold row's partner and verified below.
        let mut partner = Pooled::filled(NO_PARTNER, gold_rows.len());
        let (mut i, mut j) = (0, 0);
        while i < g.keys.len() && j < a.keys.len() {
            match g.hash(i).cmp(&a.hash(j)) {
                Ordering::Less => {
                    left.gold.push(g.row(i));
                    i += 1;
                }
                Ordering::Greater => {
                    left.actual.push(a.row(j));
                    j += 1;
                }
                Ordering::Equal => {
                    let gi = g.run_end(i);
                    let aj = a.run_end(j);
                    if gi - i == 1 && aj - j == 1 {
                        partner[g.row(i) - gold_rows.start] = a.row(j);
                    } else {
                        let gold_run: Vec<usize> = (i..gi).map(|k| g.row(k)).collect();
                        let actual_run: Vec<usize> = (j..aj).map(|k| a.row(k)).collect();
                        self.match_run(&gold_run, &actual_run, tol, &mut left);
                    }
                    (i, j) = (gi, aj);
                }
            }
        }
        for (gr, ar) in self.unequal_pairs(gold_rows.start, &partner, tol) {
            left.gold.push(gr);
            left.actual.push(ar);
        }
        left.gold.extend((i..g.keys.len()).map(|k| g.row(k)));
        left.actual.extend((j..a.keys.len()).map(|k| a.row(k)));
        left.gold.sort_unstable();
        left.actual.sort_unstable();
        left
    }

    /// The `(gold row, actual row)` pairs whose cells differ, in gold row order, where
    /// `partner[k]` is the actual row paired with gold row `first + k` ([`NO_PARTNER`] for
    /// none). Verified column by column: every mapped column pair is swept with the gold column
    /// read in order and the actual column gathered, in a loop typed for the pair's
    /// representations.
    fn unequal_pairs(
        &self,
        first: usize,
        partner: &[usize],
        tol: Tolerance,
    ) -> Vec<(usize, usize)> {
        let mut differs = Pooled::filled(false, partner.len());
        for p in self.pairs {
            mark_differing(
                (&self.gold[p.gold], p.gold_view),
                (&self.actual[p.actual], p.actual_view),
                first,
                partner,
                &mut differs,
                tol,
            );
        }
        partner
            .iter()
            .zip(differs.iter())
            .enumerate()
            .filter(|(_, (a, differ))| **a != NO_PARTNER && **differ)
            .map(|(k, (a, _))| (first + k, *a))
            .collect()
    }

    /// Pairs the rows of one equal-hash run greedily; duplicates pair in linear time.
    fn match_run(&self, g: &[usize], a: &[usize], tol: Tolerance, left: &mut Leftovers) {
        let mut used = vec![false; a.len()];
        let mut first_free = 0;
        for &gr in g {
            while first_free < used.len() && used[first_free] {
                first_free += 1;
            }
            let hit = (first_free..a.len()).find(|&k| !used[k] && self.rows_equal(gr, a[k], tol));
            match hit {
                Some(k) => used[k] = true,
                None => left.gold.push(gr),
            }
        }
        let unused = a.iter().zip(&used).filter(|(_, u)| !**u);
        left.actual.extend(unused.map(|(row, _)| *row));
    }

    /// Pairs leftovers whose float cells are close: sort both sides, then merge tolerantly.
    /// A sorted merge can miss a pairing in contrived multi-float near-ties; it never invents one.
    pub(crate) fn tolerant_match(&self, left: &Leftovers, tol: Tolerance) -> Leftovers {
        let mut g = left.gold.clone();
        let mut a = left.actual.clone();
        g.sort_by(|&x, &y| self.cmp_same_side(true, x, y).then(x.cmp(&y)));
        a.sort_by(|&x, &y| self.cmp_same_side(false, x, y).then(x.cmp(&y)));
        let mut out = Leftovers::default();
        let (mut i, mut j) = (0, 0);
        while i < g.len() && j < a.len() {
            match self.cmp_rows(g[i], a[j], tol) {
                Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
                Ordering::Less => {
                    out.gold.push(g[i]);
                    i += 1;
                }
                Ordering::Greater => {
                    out.actual.push(a[j]);
                    j += 1;
                }
            }
        }
        out.gold.extend_from_slice(&g[i..]);
        out.actual.extend_from_slice(&a[j..]);
        out.gold.sort_unstable();
        out.actual.sort_unstable();
        out
    }

    /// Checks an ordered result: gold row segments tied on `keys` must hold the same bag of
    /// rows at the same positions in the actual. With `relax_last`, the last segment (cut by a
    /// LIMIT or the row cap) only needs the actual rows to carry the tied key values.
    /// Returns the first gold row position where the order breaks.
    pub(crate) fn order_break(
        &self,
        rows: usize,
        keys: Option<&[usize]>,
        relax_last: bool,
        hashes: &RowHashes,
        tol: Tolerance,
    ) -> Option<usize> {
        let segments = self.segments(rows, keys);
        let last = segments.len().saturating_sub(1);
        for (n, &(start, end)) in segments.iter().enumerate() {
            let ok = if relax_last && n == last {
                self.carries_keys(start, end, keys.unwrap_or(&[]), tol)
            } else if end - start == 1 {
                self.rows_equal(start, start, tol)
            } else {
                self.bag_match(start..end, start..end, hashes, tol)
                    .is_empty()
            };
            if !ok {
                return Some(start);
            }
        }
        None
    }

    /// Splits gold rows `0..rows` into runs tied on `keys` (each row alone without keys).
    pub(crate) fn segments(&self, rows: usize, keys: Option<&[usize]>) -> Vec<(usize, usize)> {
        let Some(keys) = keys.filter(|k| !k.is_empty()) else {
            return (0..rows).map(|r| (r, r + 1)).collect();
        };
        let exact = Tolerance::Relative(0.0);
        let tied = |x: usize, y: usize| {
            keys.iter().all(|&k| {
                self.gold.get(k).is_some_and(|c| {
                    compare_cells(c.cell(View::Declared, x), c.cell(View::Declared, y), exact)
                        .is_eq()
                })
            })
        };
        let mut out = Vec::new();
        let mut start = 0;
        for r in 1..=rows {
            if r == rows || !tied(start, r) {
                out.push((start, r));
                start = r;
            }
        }
        out
    }

    /// Whether actual rows `start..end` carry the key values of gold row `start`.
    fn carries_keys(&self, start: usize, end: usize, keys: &[usize], tol: Tolerance) -> bool {
        let key_pairs: Vec<&Pair> = self
            .pairs
            .iter()
            .filter(|p| keys.contains(&p.gold))
            .collect();
        (start..end).all(|a| {
            key_pairs.iter().all(|p| {
                compare_cells(
                    self.gold[p.gold].cell(p.gold_view, start),
                    self.actual[p.actual].cell(p.actual_view, a),
                    tol,
                )
                .is_eq()
            })
        })
    }
}

/// The rows of one side sorted by row hash, each packed into one `u64`: the hash's high bits
/// above the row's offset in the range. Half the memory of `(hash, row)` pairs, so half the
/// sorting traffic; rows whose hashes share the high bits form one run, which is verified
/// pair by pair like any run of equal hashes.
struct Keyed {
    keys: Pooled<u64>,
    first: usize,
    /// The low bits that hold the row offset.
    row_mask: u64,
}

impl Keyed {
    fn sorted(rows: Range<usize>, hashes: &[u64], row_mask: u64) -> Self {
        let first = rows.start;
        let keys =
            rows.map(|r| (hashes.get(r).copied().unwrap_or(0) & !row_mask) | (r - first) as u64);
        Keyed {
            keys: sorted_by_hash(keys, |k| *k),
            first,
            row_mask,
        }
    }

    fn hash(&self, k: usize) -> u64 {
        self.keys[k] & !self.row_mask
    }

    fn row(&self, k: usize) -> usize {
        self.first + (self.keys[k] & self.row_mask) as usize
    }

    /// The end of the run of equal hashes starting at `start`.
    fn run_end(&self, start: usize) -> usize {
        let hash = self.hash(start);
        (start..self.keys.len())
            .find(|&k| self.hash(k) != hash)
            .unwrap_or(self.keys.len())
    }
}

/// One side's row hashes over the `mapped` columns (with their views): the `kept` ones when
/// `mapped` is every column in order as declared, else [`fold`]ed.
fn hashes<'h>(
    columns: &[Column],
    mapped: impl Iterator<Item = (usize, View)> + Clone,
    kept: &'h [u64],
) -> Cow<'h, [u64]> {
    let every_column_as_declared = mapped
        .clone()
        .eq((0..columns.len()).map(|col| (col, View::Declared)));
    if every_column_as_declared {
        Cow::Borrowed(kept)
    } else {
        Cow::Owned(fold(columns, mapped))
    }
}

/// Combines the cell hashes of the `mapped` columns (with their views) into one hash per row,
/// column by column; no rows without a mapped column.
fn fold(columns: &[Column], mapped: impl Iterator<Item = (usize, View)> + Clone) -> Vec<u64> {
    let rows = mapped
        .clone()
        .find_map(|(col, _)| columns.get(col))
        .map_or(0, |c| c.rows);
    let mut out = vec![ROW_HASH_SEED; rows];
    for (position, (col, view)) in mapped.enumerate() {
        let Some(column) = columns.get(col) else {
            continue;
        };
        let mut slots = out.iter_mut();
        column.for_each_hash(view, |h| {
            if let Some(slot) = slots.next() {
                *slot = row_add(*slot, position, h);
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::normalize::Table;
    use super::*;
    use crate::model::result::{ResultColumn, Rows};

    /// A one-column result holding `cells`.
    fn rows(cells: &[&str]) -> Rows {
        cells.iter().map(|cell| [Some(*cell)]).collect()
    }

    fn table(rows: &Rows) -> Table<'_> {
        typed_table(rows, "LONG")
    }

    fn typed_table<'a>(rows: &'a Rows, type_name: &str) -> Table<'a> {
        let declared = [ResultColumn {
            name: "n".into(),
            type_name: type_name.into(),
        }];
        Table::read(&declared, rows, rows.len())
    }

    /// The one column of each side mapped to itself, read as declared.
    const IDENTITY: [Pair; 1] = [Pair {
        gold: 0,
        actual: 0,
        gold_view: View::Declared,
        actual_view: View::Declared,
        float: false,
        type_differs: false,
    }];

    #[test]
    fn texts_whose_hashes_collide_are_verified_by_every_byte() {
        // Short texts (held inline) and long ones (read from the rows), equal up to their last
        // byte, or padded; given colliding hashes, only the bytes can tell them apart.
        let long = "a description well past fifteen bytes";
        let gold = rows(&["city-7", long, "exactly 15 byte", "x"]);
        let actual = rows(&[
            " x ",
            "a description well past fifteen byteS",
            "exactly 15 byte",
            "city-8",
        ]);
        let (g, a) = (typed_table(&gold, "STRING"), typed_table(&actual, "STRING"));
        let frame = Frame::new(&g.columns, &a.columns, &IDENTITY);
        let exact = Tolerance::Relative(0.0);
        // One run of four equal hashes, paired greedily.
        let same = [vec![7u64 << 60; 4].into(), vec![7u64 << 60; 4].into()];
        let left = frame.bag_match(0..4, 0..4, &same, exact);
        assert_eq!((left.gold, left.actual), (vec![0, 1], vec![1, 3]));
        // One gold row and one actual row per hash: each pair verified by the column sweep.
        let paired = [
            vec![1u64 << 60, 2 << 60, 3 << 60, 4 << 60].into(),
            vec![4u64 << 60, 2 << 60, 3 << 60, 1 << 60].into(),
        ];
        let left = frame.bag_match(0..4, 0..4, &paired, exact);
        assert_eq!((left.gold, left.actual), (vec![0, 1], vec![1, 3]));
    }

    #[test]
    fn rows_whose_hashes_collide_are_still_verified_cell_by_cell() {
        let (gold, actual) = (rows(&["1", "2", "2", "3"]), rows(&["2", "4", "1", "2"]));
        let (g, a) = (table(&gold), table(&actual));
        let frame = Frame::new(&g.columns, &a.columns, &IDENTITY);
        let exact = Tolerance::Relative(0.0);
        // Every row given the same hash: one run, paired only where the cells agree.
        let same = [vec![7u64 << 60; 4].into(), vec![7u64 << 60; 4].into()];
        let left = frame.bag_match(0..4, 0..4, &same, exact);
        assert_eq!((left.gold, left.actual), (vec![3], vec![1]));
        // Hashes that differ only in the low bits a row offset takes over.
        let low = [vec![1, 2, 3, 4].into(), vec![5, 6, 7, 0].into()];
        let left = frame.bag_match(0..4, 0..4, &low, exact);
        assert_eq!((left.gold, left.actual), (vec![3], vec![1]));
        // The hashes kept from reading, and the same folded for a mapping that is not
        // every column in order.
        let kept = frame.row_hashes([&g.row_hashes, &a.row_hashes]);
        assert!(matches!(kept, [Cow::Borrowed(_), Cow::Borrowed(_)]));
        let folded = [
            fold(&g.columns, [(0, View::Declared)].into_iter()),
            fold(&a.columns, [(0, View::Declared)].into_iter()),
        ];
        assert_eq!([&*kept[0], &*kept[1]], [&folded[0][..], &folded[1][..]]);
        assert_eq!(
            frame.bag_match(0..4, 0..4, &kept, exact),
            Leftovers {
                gold: vec![3],
                actual: vec![1]
            }
        );
    }
}
