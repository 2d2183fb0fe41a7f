//! Column mapping: which actual column carries each gold column, found by values, never names.
//!
//! Every column is hashed cell by cell once. A gold column is a *candidate* for an actual
//! column when their value multisets agree (an order-free fingerprint, or for float columns a
//! tolerant comparison of the sorted values); injective assignments over the candidates are
//! then verified row by row by the caller. When no assignment verifies, [`best_effort`] picks
//! the mapping that explains the most values, so the mismatch can be described (which rows,
//! which cell) instead of reported as missing columns.

use std::cmp::Ordering;

use super::normalize::{
    Cell, Column, Data, Family, Fingerprint, NumberBounds, Table, Tolerance, View,
};
use super::rows::Pair;
use super::scratch::Pooled;
use super::sort::sorted_by_hash;

/// At most this many complete assignments are verified before falling back (only columns with
/// identical value multisets make several assignments plausible).
pub(crate) const MAX_ASSIGNMENTS: usize = 64;

/// One side's columns, and what is learnt about their values, computed on demand.
pub(crate) struct Side<'s, 'a> {
    pub(crate) columns: &'s [Column<'a>],
    /// The reading pass's row hashes ([`Table::row_hashes`]).
    pub(crate) row_hashes: &'s [u64],
    fingerprints: Vec<[Option<Fingerprint>; 2]>,
    bounds: Vec<[Option<NumberBounds>; 2]>,
}

impl<'s, 'a> Side<'s, 'a> {
    pub(crate) fn new(table: &'s Table<'a>) -> Self {
        let columns = &table.columns;
        Side {
            columns,
            row_hashes: &table.row_hashes,
            // The reading pass fingerprinted every declared reading.
            fingerprints: columns
                .iter()
                .map(|c| [Some(c.fingerprint), None])
                .collect(),
            bounds: columns.iter().map(|c| [c.bounds, None]).collect(),
        }
    }

    /// An order-free fingerprint of a column's value multiset.
    fn fingerprint(&mut self, col: usize, view: View) -> Fingerprint {
        if let Some(f) = self.fingerprints[col][view.slot()] {
            return f;
        }
        let mut f = Fingerprint::default();
        self.columns[col].for_each_hash(view, |h| f.add(h));
        self.fingerprints[col][view.slot()] = Some(f);
        f
    }

    fn sorted_hashes(&self, col: usize, view: View) -> Pooled<u64> {
        let c = &self.columns[col];
        let mut hashes = Pooled::with_capacity(c.rows);
        c.for_each_hash(view, |h| hashes.push(h));
        sorted_by_hash(hashes.iter().copied(), |h| *h)
    }

    /// Non-null numeric values sorted, and the null count.
    fn sorted_numbers(&self, col: usize, view: View) -> (Vec<f64>, usize) {
        let c = &self.columns[col];
        let mut nulls = 0;
        let mut v = Vec::with_capacity(c.rows);
        c.for_each_cell(view, |cell| match number(cell) {
            Some(x) => v.push(x),
            None => nulls += 1,
        });
        v.sort_unstable_by(f64::total_cmp);
        (v, nulls)
    }

    /// What [`Side::sorted_numbers`] would return at its ends, without sorting: the count of
    /// non-null numbers and the first and last of them in sorted order.
    fn number_bounds(&mut self, col: usize, view: View) -> NumberBounds {
        if let Some(bounds) = self.bounds[col][view.slot()] {
            return bounds;
        }
        let mut count = 0;
        let mut bounds: Option<(f64, f64)> = None;
        self.columns[col].for_each_cell(view, |cell| {
            if let Some(x) = number(cell) {
                count += 1;
                bounds = Some(match bounds {
                    None => (x, x),
                    Some((lo, hi)) => (lo.total_min(x), hi.total_max(x)),
                });
            }
        });
        self.bounds[col][view.slot()] = Some((count, bounds));
        (count, bounds)
    }
}

/// A numeric cell as `f64`; `None` for a null (or a non-number).
fn number(cell: Cell) -> Option<f64> {
    match cell {
        Cell::Int(x) => Some(x as f64),
        Cell::Float(x) => Some(x),
        _ => None,
    }
}

/// Orders floats like `f64::total_cmp`.
trait TotalMinMax {
    fn total_min(self, other: Self) -> Self;
    fn total_max(self, other: Self) -> Self;
}

impl TotalMinMax for f64 {
    fn total_min(self, other: f64) -> f64 {
        if other.total_cmp(&self).is_lt() {
            other
        } else {
            self
        }
    }
    fn total_max(self, other: f64) -> f64 {
        if other.total_cmp(&self).is_gt() {
            other
        } else {
            self
        }
    }
}

/// Whether [`overlap`] of a float pair can reach every row, judged in one pass without
/// sorting. With `n` values on each side, a full overlap needs equal null counts and the
/// tolerant merge to pair the k-th smallest gold value with the k-th smallest actual value for
/// every k, the smallest and the largest among them: when those are not close, it cannot.
/// Sides of different lengths are not judged here.
fn may_overlap_fully(gold: &mut Side, actual: &mut Side, pair: &Pair, tol: Tolerance) -> bool {
    let rows = |side: &Side, col: usize| side.columns.get(col).map(|c| c.rows);
    if rows(gold, pair.gold) != rows(actual, pair.actual) {
        return true;
    }
    let (g_count, g_bounds) = gold.number_bounds(pair.gold, pair.gold_view);
    let (a_count, a_bounds) = actual.number_bounds(pair.actual, pair.actual_view);
    if g_count != a_count {
        return false;
    }
    match (g_bounds, a_bounds) {
        (Some((g_lo, g_hi)), Some((a_lo, a_hi))) => {
            tol_close(g_lo, a_lo, tol) && tol_close(g_hi, a_hi, tol)
        }
        _ => true,
    }
}

/// How a gold column and an actual column can be read against each other, if at all.
pub(crate) fn pair_for(gold: &Column, actual: &Column, gi: usize, ai: usize) -> Option<Pair> {
    let views = [
        (View::Declared, View::Declared),
        (View::Content, View::Declared),
        (View::Declared, View::Content),
    ];
    views.into_iter().find_map(|(gv, av)| {
        if (gv == View::Content && gold.content.is_none())
            || (av == View::Content && actual.content.is_none())
        {
            return None;
        }
        let (g, a) = (gold.data(gv), actual.data(av));
        let (fg, fa) = (g.family(), a.family());
        let compatible = fg == fa || fg == Family::Null || fa == Family::Null;
        compatible.then(|| Pair {
            gold: gi,
            actual: ai,
            gold_view: gv,
            actual_view: av,
            float: g.is_float() || a.is_float(),
            type_differs: gv != av || date_vs_timestamp(g, a),
        })
    })
}

fn date_vs_timestamp(g: &Data, a: &Data) -> bool {
    matches!(
        (g, a),
        (Data::Date(_), Data::Timestamp(_)) | (Data::Timestamp(_), Data::Date(_))
    )
}

/// How many values of the pair's gold column also occur in its actual column (multiset
/// intersection size), floats within `tol`.
pub(crate) fn overlap(gold: &mut Side, actual: &mut Side, pair: &Pair, tol: Tolerance) -> usize {
    if pair.float {
        let (g, gn) = gold.sorted_numbers(pair.gold, pair.gold_view);
        let (a, an) = actual.sorted_numbers(pair.actual, pair.actual_view);
        return merge_count(&g, &a, |x, y| {
            if tol_close(*x, *y, tol) {
                Ordering::Equal
            } else {
                x.total_cmp(y)
            }
        }) + gn.min(an);
    }
    let g = gold.sorted_hashes(pair.gold, pair.gold_view);
    let a = actual.sorted_hashes(pair.actual, pair.actual_view);
    merge_count(&g, &a, |x, y| x.cmp(y))
}

fn tol_close(x: f64, y: f64, tol: Tolerance) -> bool {
    super::normalize::compare_cells(Cell::Float(x), Cell::Float(y), tol).is_eq()
}

fn merge_count<T>(g: &[T], a: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < g.len() && j < a.len() {
        match cmp(&g[i], &a[j]) {
            Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
        }
    }
    n
}

/// Candidate pairs per gold column: value multisets agree on at least `required` values.
pub(crate) fn candidates(
    gold: &mut Side,
    actual: &mut Side,
    required: usize,
    tol: Tolerance,
) -> Vec<Vec<Pair>> {
    let rows_equal = gold.columns.first().map(|c| c.rows) == actual.columns.first().map(|c| c.rows);
    let mut out = Vec::with_capacity(gold.columns.len());
    for gi in 0..gold.columns.len() {
        let mut list = Vec::new();
        for ai in 0..actual.columns.len() {
            let Some(pair) = pair_for(&gold.columns[gi], &actual.columns[ai], gi, ai) else {
                continue;
            };
            let same_multiset = rows_equal
                && gold.fingerprint(gi, pair.gold_view) == actual.fingerprint(ai, pair.actual_view);
            // Without floats or a relaxed row, equal multisets have equal fingerprints.
            let rows = gold.columns[gi].rows;
            let needs_overlap = pair.float || required < rows;
            if same_multiset
                || (needs_overlap
                    && (required < rows || may_overlap_fully(gold, actual, &pair, tol))
                    && overlap(gold, actual, &pair, tol) >= required)
            {
                list.push(pair);
            }
        }
        out.push(list);
    }
    out
}

/// Enumerates injective assignments over `candidates` (most constrained gold column first),
/// calling `accept` on each until it returns true or [`MAX_ASSIGNMENTS`] were tried.
pub(crate) fn search(
    candidates: &[Vec<Pair>],
    actual_columns: usize,
    mut accept: impl FnMut(&[Pair]) -> bool,
) -> Option<Vec<Pair>> {
    if candidates.iter().any(Vec::is_empty) {
        return None;
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&g| (candidates[g].len(), g));
    let mut state = Search {
        candidates,
        order: &order,
        used: vec![false; actual_columns],
        chosen: Vec::with_capacity(order.len()),
        tried: 0,
    };
    state.descend(&mut accept)
}

struct Search<'c> {
    candidates: &'c [Vec<Pair>],
    order: &'c [usize],
    used: Vec<bool>,
    chosen: Vec<Pair>,
    tried: usize,
}

impl Search<'_> {
    fn descend(&mut self, accept: &mut impl FnMut(&[Pair]) -> bool) -> Option<Vec<Pair>> {
        let depth = self.chosen.len();
        if depth == self.order.len() {
            self.tried += 1;
            let mut pairs = self.chosen.clone();
            pairs.sort_by_key(|p| p.gold);
            return accept(&pairs).then_some(pairs);
        }
        for pair in &self.candidates[self.order[depth]] {
            if self.tried >= MAX_ASSIGNMENTS {
                return None;
            }
            if self.used.get(pair.actual).copied().unwrap_or(true) {
                continue;
            }
            self.used[pair.actual] = true;
            self.chosen.push(*pair);
            let found = self.descend(accept);
            self.chosen.pop();
            self.used[pair.actual] = false;
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// The mapping that explains the most values, for describing a mismatch. Pairs whose value
/// multisets agree are taken first; the remaining columns are then paired greedily by overlap.
/// A pair with no common value is only taken when the names agree, or the positions agree and
/// both sides have the same number of columns (a scalar that differs is a different cell, not
/// a missing column).
pub(crate) fn best_effort(
    gold: &mut Side,
    actual: &mut Side,
    names: &Names,
    tol: Tolerance,
) -> Vec<Pair> {
    let rows = gold.columns.first().map_or(0, |c| c.rows);
    let same_width = gold.columns.len() == actual.columns.len();
    let mut chosen = Chosen::new(gold.columns.len(), actual.columns.len());
    for exact_pass in [true, false] {
        let mut open = Vec::new();
        for gi in (0..gold.columns.len()).filter(|g| !chosen.gold[*g]) {
            for ai in (0..actual.columns.len()).filter(|a| !chosen.actual[*a]) {
                open.extend(pair_for(&gold.columns[gi], &actual.columns[ai], gi, ai));
            }
        }
        let lone = open.len() == 1;
        let mut scored = Vec::new();
        for pair in open {
            let (gi, ai) = (pair.gold, pair.actual);
            let same =
                gold.fingerprint(gi, pair.gold_view) == actual.fingerprint(ai, pair.actual_view);
            let named = names.same(gi, ai);
            let placed = same_width && gi == ai;
            let score = match (exact_pass, same) {
                (true, true) => rows,
                (true, false) => continue,
                // A score only ranks candidates and admits unnamed, misplaced ones: the
                // last open pair, named or in place, is taken without one (no overlap count).
                (false, _) if lone && (named || placed) => 0,
                (false, _) => overlap(gold, actual, &pair, tol),
            };
            if score > 0 || named || placed {
                scored.push((score, named, placed, pair));
            }
        }
        scored.sort_by(|x, y| {
            y.0.cmp(&x.0)
                .then(y.1.cmp(&x.1))
                .then(y.2.cmp(&x.2))
                .then(x.3.gold.cmp(&y.3.gold))
                .then(x.3.actual.cmp(&y.3.actual))
        });
        for (_, _, _, pair) in scored {
            chosen.take(pair);
        }
    }
    let mut out = chosen.pairs;
    out.sort_by_key(|p| p.gold);
    out
}

/// Columns already paired while building a best-effort mapping.
struct Chosen {
    gold: Vec<bool>,
    actual: Vec<bool>,
    pairs: Vec<Pair>,
}

impl Chosen {
    fn new(gold: usize, actual: usize) -> Self {
        Chosen {
            gold: vec![false; gold],
            actual: vec![false; actual],
            pairs: Vec::new(),
        }
    }

    fn take(&mut self, pair: Pair) {
        if !self.gold[pair.gold] && !self.actual[pair.actual] {
            self.gold[pair.gold] = true;
            self.actual[pair.actual] = true;
            self.pairs.push(pair);
        }
    }
}

/// Column names, lower-cased, used only to break ties when describing a mismatch.
pub(crate) struct Names {
    pub(crate) gold: Vec<String>,
    pub(crate) actual: Vec<String>,
}

impl Names {
    fn same(&self, g: usize, a: usize) -> bool {
        matches!((self.gold.get(g), self.actual.get(a)), (Some(x), Some(y)) if x == y)
    }
}
