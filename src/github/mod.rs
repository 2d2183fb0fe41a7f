//! The GitHub layer: events, pull requests, sticky comments, check runs, job summary, outputs.
//!
//! [`env`] and [`event`] read what a workflow run is about; [`client`] is the one API client
//! (octocrab with our own retries); [`pulls`], [`comments`], [`checks`] and [`issues`] are the
//! operations the flows need, each a find-then-write that makes no write in dry-run mode;
//! [`marker`] and [`limits`] keep state in, and size under control of, the text we post;
//! [`outputs`] writes `$GITHUB_OUTPUT` and the job summary; [`proposal`] ties the bot branch
//! (`crate::git`) and its pull request together.

pub mod checks;
pub mod client;
pub mod comments;
pub mod env;
pub mod event;
pub mod issues;
pub mod limits;
pub mod marker;
pub mod outputs;
pub mod proposal;
pub mod pulls;
pub mod types;
