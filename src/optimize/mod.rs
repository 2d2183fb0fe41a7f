//! The optimization loop's decisions: failure clustering, lever mapping, proposal rules, gates,
//! acceptance, plateau, audit and checkpoint state. Pure; the runner in `cli` drives the I/O.
//!
//! The runner builds an [`machine::Optimizer`] from the benchmark questions, the repository
//! snapshot and the settings, then loops on [`machine::Optimizer::step`]: each
//! [`machine::Step::Ask`] names a space variant (a patched snapshot) and the questions to grade
//! on it; the runner asks Genie (or reuses the checkpointed answer), grades the answer into a
//! [`case::Graded`] and hands it back with [`machine::Optimizer::record`]. Everything else —
//! diagnosis ([`diagnose`]), proposals ([`rules`]), gates, acceptance, plateau, budget, audit
//! and Pareto record ([`audit`]) — is decided here, and the whole state is a serializable
//! [`checkpoint::Checkpoint`] so a killed run resumes without asking anything twice.
//! `docs/optimizer.md` explains the method.

pub mod audit;
pub mod case;
pub mod checkpoint;
pub mod context;
pub mod diagnose;
pub mod machine;
pub mod overlay;
pub mod phrase;
pub mod proposal;
pub mod rules;
