//! The patch language: typed edits of a [`crate::model::snapshot::RepoSnapshot`], each with a
//! target, lever, risk, old-value guard, exact inverse and a rendered diff.
