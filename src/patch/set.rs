//! Patch sets: conflict rules, the blast-radius limit, deterministic ordering, the content hash,
//! and all-or-nothing application.
//!
//! **Conflicts** are decided by object identity ([`Object`] within one file), not by strings:
//! two patches conflict when they change the same facet of the same object (two setters of one
//! description, adding and removing the same synonym, the same addition twice), when either
//! adds, removes or replaces the whole object, or when one removes an object the other edits a
//! part of (a table and one of its columns). This covers the seed system's sixteen rule pairs
//! (add/remove of the same thing, add/update, update/remove, hide/unhide) without its
//! string-keyed false matches.
//!
//! **Order**: lever, file, then key constraints in the order Databricks needs them (removed
//! foreign keys before everything else, added foreign keys after everything else, so a
//! parent's primary key is declared before a key references it and removed after), object,
//! then removals (by descending index), edits, additions (by ascending index); ties by the
//! patch's canonical JSON. Applying a set and then the inverses of its patches in this order
//! restores the snapshot.

use std::collections::BTreeSet;

use super::op::Op;
use super::target::{Facet, Object};
use super::{Patch, PatchError, apply, canonical_json, sha256_hex};
use crate::model::snapshot::RepoSnapshot;

/// The default most distinct objects one set may change.
pub const DEFAULT_MAX_OBJECTS: usize = 5;

/// Where a patch sorts in a set.
fn sort_key(patch: &Patch) -> (u8, String, u8, Object, (u8, i64), String) {
    (
        patch.lever,
        patch.op.file().to_owned(),
        key_stage(&patch.op),
        patch.op.object(),
        patch.op.rank(),
        canonical_json(&patch.op),
    )
}

/// Foreign-key removals first, foreign-key additions last, everything else between: a foreign
/// key validates only while its parent's primary key is the referenced columns.
fn key_stage(op: &Op) -> u8 {
    match op {
        Op::RemoveUcForeignKey { .. } => 0,
        Op::AddUcForeignKey { .. } => 2,
        _ => 1,
    }
}

/// The patches (ids resolved) with their 1-based positions in `patches`, in application order.
fn ordered(patches: &[Patch]) -> Vec<(usize, Patch)> {
    let mut out: Vec<(usize, Patch)> = patches
        .iter()
        .enumerate()
        .map(|(i, p)| (i + 1, p.resolved()))
        .collect();
    out.sort_by_cached_key(|(_, p)| sort_key(p));
    out
}

/// The patches in application order, ids resolved.
pub fn sort_set(patches: &[Patch]) -> Vec<Patch> {
    ordered(patches).into_iter().map(|(_, p)| p).collect()
}

/// Whether two patches may not be in one set.
fn conflicts(a: &Patch, b: &Patch) -> bool {
    if a.op.file() != b.op.file() {
        return false;
    }
    let (oa, ob) = (a.op.object(), b.op.object());
    let (fa, fb) = (a.op.facet(), b.op.facet());
    if oa == ob {
        return fa == fb || fa == Facet::Whole || fb == Facet::Whole;
    }
    let removes_parent = |whole: &Facet, parent: &Object, child: &Object| {
        *whole == Facet::Whole && child.parent().as_ref() == Some(parent)
    };
    removes_parent(&fa, &oa, &ob) || removes_parent(&fb, &ob, &oa)
}

/// Checks a set before anything is applied: no conflicting pair, at most `max_objects`
/// distinct objects changed.
pub fn check_set(patches: &[Patch], max_objects: usize) -> Result<(), PatchError> {
    let resolved: Vec<Patch> = patches.iter().map(Patch::resolved).collect();
    for (i, a) in resolved.iter().enumerate() {
        for (j, b) in resolved.iter().enumerate().skip(i + 1) {
            if conflicts(a, b) {
                return Err(PatchError::Conflict {
                    first: i + 1,
                    second: j + 1,
                    file: a.op.file().to_owned(),
                    object: a.op.object().to_string(),
                    first_action: a.op.action(),
                    second_action: b.op.action(),
                });
            }
        }
    }
    let objects: BTreeSet<(String, Object)> = resolved
        .iter()
        .map(|p| (p.op.file().to_owned(), p.op.object()))
        .collect();
    if objects.len() > max_objects {
        let names: Vec<String> = objects.iter().map(|(_, o)| o.to_string()).collect();
        return Err(PatchError::BlastRadius {
            count: objects.len(),
            limit: max_objects,
            objects: names.join(", "),
        });
    }
    Ok(())
}

/// Checks the set, then applies every patch in order. One refused patch refuses the whole set:
/// the snapshot given is never changed, and a partial result is never returned.
pub fn apply_all(
    snapshot: &RepoSnapshot,
    patches: &[Patch],
    max_objects: usize,
) -> Result<RepoSnapshot, PatchError> {
    check_set(patches, max_objects)?;
    let mut current = snapshot.clone();
    for (position, patch) in ordered(patches) {
        current = apply(&current, &patch).map_err(|e| e.at(position))?;
    }
    Ok(current)
}

/// A stable hash of a set's content (SHA-256 hex over the canonical JSON of the ordered, resolved
/// patches): the same patches in any order give the same hash. Used in the PR marker.
pub fn set_hash(patches: &[Patch]) -> String {
    sha256_hex(&canonical_json(&sort_set(patches)))
}
