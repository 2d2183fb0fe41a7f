//! Git and the file system behind domain verbs: load a [`crate::model::snapshot::RepoSnapshot`]
//! from a directory or a git tree, and write a snapshot's changes back to a directory. Commits
//! live in [`repo`], remotes (fetch, push with a lease) in [`remote`], and the bot branch's
//! safety rules in [`branch`].

pub mod branch;
pub mod fs;
pub mod notes;
pub mod remote;
pub mod repo;
