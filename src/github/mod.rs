//! The GitHub layer: events, pull requests, sticky comments, check runs, job summary, outputs.
