//! Diagnostics: what is wrong, where, and what to do about it.
//!
//! Every validation problem in every file kind is one [`Diagnostic`], rendered as
//! `file:line:col: error: message` followed by an indented `hint:` line, the shape compilers and
//! linters use, so editors and CI annotations can jump to it.
//!
//! ```
//! use genie_gitops::model::diag::{Diagnostic, Severity};
//! let d = Diagnostic::error("space.json", "duplicate id `a1`").at(3, 7).hint("ids must be unique");
//! assert_eq!(d.to_string(), "space.json:3:7: error: duplicate id `a1`\n  hint: ids must be unique");
//! assert_eq!(d.severity, Severity::Error);
//! ```

use std::fmt;

use serde::Serialize;

/// How bad a problem is. Errors make `validate` exit 3; warnings are reported and pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file, with a 1-based position when it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Path as the user wrote it or as it sits in the repository (relative when possible).
    pub file: String,
    /// 1-based line; 0 when the problem is about the file as a whole.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub col: usize,
    pub severity: Severity,
    pub message: String,
    /// What to do about it, phrased as an instruction.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, file, message)
    }

    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, message)
    }

    fn new(severity: Severity, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            col: 0,
            severity,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the 1-based position.
    pub fn at(mut self, line: usize, col: usize) -> Self {
        self.line = line;
        self.col = col;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.col > 0 {
                write!(f, ":{}", self.col)?;
            }
        }
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {level}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics by file, position and message so output is deterministic.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.col, &a.message).cmp(&(&b.file, b.line, b.col, &b.message))
    });
}

/// Converts a byte offset in `text` to a 1-based (line, column), counting columns in characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_without_position_names_only_the_file() {
        let d = Diagnostic::warning("bench.yaml", "no questions");
        assert_eq!(d.to_string(), "bench.yaml: warning: no questions");
    }

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let text = "ab\ncé\nx";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 6), (2, 3));
        assert_eq!(line_col(text, 100), (3, 2));
    }
}
