//! Git and the file system behind domain verbs: load a [`crate::model::snapshot::RepoSnapshot`]
//! from a directory or a tree, write files, commit on a branch, push with a lease.
