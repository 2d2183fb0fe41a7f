//! Why a patch or a patch set was refused: which patch, which file and object, and what was
//! expected versus found.

use thiserror::Error;

/// What is wrong with one patch against the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("the file does not exist in the repository")]
    MissingFile,
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("{object}: not found")]
    NotFound { object: String },
    #[error("{object}: expected {expected}, found {found}")]
    Guard {
        object: String,
        expected: String,
        found: String,
    },
    #[error("lever {found} is not a lever of this patch type (it belongs to lever {expected})")]
    WrongLever { expected: String, found: u8 },
    #[error("{object}: {message}")]
    Invalid { object: String, message: String },
    #[error("{object}: the edit was refused: {message}")]
    Edit { object: String, message: String },
}

/// A refused patch or patch set. Nothing is applied when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatchError {
    /// One patch cannot be applied; `index` is its 1-based position in the list given.
    #[error("patch {index} ({summary}) cannot be applied to {file}: {problem}")]
    Refused {
        index: usize,
        summary: String,
        file: String,
        problem: Box<Problem>,
    },
    /// Two patches of one set change the same object in incompatible ways.
    #[error(
        "patches {first} and {second} conflict: both change {object} in {file} ({first_action}; {second_action})"
    )]
    Conflict {
        first: usize,
        second: usize,
        file: String,
        object: String,
        first_action: String,
        second_action: String,
    },
    /// The set changes more distinct objects than allowed.
    #[error("the patch set changes {count} objects, more than the limit of {limit}: {objects}")]
    BlastRadius {
        count: usize,
        limit: usize,
        objects: String,
    },
}

impl PatchError {
    /// The same error with the patch's position in a set.
    pub(crate) fn at(self, position: usize) -> Self {
        match self {
            PatchError::Refused {
                summary,
                file,
                problem,
                ..
            } => PatchError::Refused {
                index: position,
                summary,
                file,
                problem,
            },
            other => other,
        }
    }
}
