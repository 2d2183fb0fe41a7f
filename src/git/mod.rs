//! Git and the file system behind domain verbs: load a [`crate::model::snapshot::RepoSnapshot`]
//! from a directory or a git tree, and write a snapshot's changes back to a directory. Commits,
//! branches and pushes live in [`repo`].

pub mod fs;
pub mod repo;
