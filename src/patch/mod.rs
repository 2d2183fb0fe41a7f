//! The patch language: typed edits of a [`crate::model::snapshot::RepoSnapshot`], each with a
//! target, lever, risk, old-value guard, exact inverse and a rendered diff.
//!
//! A [`Patch`] is an [`Op`] (what to change, in which file, and the value expected there now)
//! plus its lever (1–6), [`Risk`] and an optional rationale. Its JSON form is flat:
//!
//! ```json
//! {"type": "add_column_synonym", "file": "genie/sales.geniespace.json",
//!  "table": "main.sales.bookings", "column": "created_at", "synonym": "booked",
//!  "lever": 6, "risk": "low"}
//! ```
//!
//! [`apply`] checks the guard and edits one file; [`inverse`] gives the patch that undoes it;
//! [`set`] applies many all-or-nothing with conflict rules, a blast-radius limit, a deterministic
//! order and a content hash; [`render`] shows the result as unified diffs and one-line
//! summaries. The reference for every type is `docs/patches.md`.
//!
//! Submodules: [`op`] the operations; [`target`] what each touches (object, facet, lever, risk,
//! summary); `space` and `durable` apply them to the space file and to the lever 1–5 files;
//! [`error`] the refusals.

mod durable;
pub mod error;
mod inverse;
pub mod op;
pub mod render;
pub mod set;
mod space;
pub mod target;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::snapshot::RepoSnapshot;
use crate::model::space::new_id;

pub use error::{PatchError, Problem};
pub use inverse::inverse;
pub use op::{ColumnRef, FieldKind, ForeignKeySpec, Op, SnippetKind, SourceKind};
pub use render::render_diff;
pub use set::{DEFAULT_MAX_OBJECTS, apply_all, check_set, set_hash, sort_set};
pub use target::{Facet, Object, Risk};

/// One typed, guarded, invertible edit of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    #[serde(flatten)]
    pub op: Op,
    /// 1–6: which lever this patch pulls (must be one of [`Op::levers`]).
    pub lever: u8,
    pub risk: Risk,
    /// Why the patch was proposed (the failures it targets), for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

impl Patch {
    /// A patch with the operation's default lever and risk.
    pub fn new(op: Op) -> Self {
        Self {
            lever: op.default_lever(),
            risk: op.default_risk(),
            op,
            rationale: None,
        }
    }

    /// The same patch with a rationale.
    pub fn because(mut self, rationale: impl Into<String>) -> Self {
        self.rationale = Some(rationale.into());
        self
    }

    /// One line for humans: `lever 6 · bookings.created_at · add synonym "booked"`.
    pub fn summary(&self) -> String {
        let op = resolve(&self.op);
        format!("lever {} · {} · {}", self.lever, op.object(), op.action())
    }

    /// The patch with every id it would generate filled in (see [`resolve`]).
    pub fn resolved(&self) -> Patch {
        Patch {
            op: resolve(&self.op),
            ..self.clone()
        }
    }
}

/// Canonical JSON of a serializable value: object keys sorted at every level, compact.
pub(crate) fn canonical_json<T: Serialize>(value: &T) -> String {
    fn sort(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    serde_json::to_value(value)
        .map(|v| sort(v).to_string())
        .unwrap_or_default()
}

/// The id a new list entry of `op` gets when the patch gives none: derived from the patch's
/// content, so the same patch always adds the same id.
pub fn derived_id(op: &Op) -> String {
    new_id(&format!("genie-gitops patch:{}", canonical_json(op)))
}

/// `op` with generated ids filled in: new join specs, snippets, examples and functions given
/// with an empty `id`, and a new text instruction given without one.
pub fn resolve(op: &Op) -> Op {
    let id = derived_id(op);
    let mut op = op.clone();
    match &mut op {
        Op::AddJoinSpec { join, .. } if join.id.is_empty() => join.id = id,
        Op::AddSqlSnippet { snippet, .. } if snippet.id.is_empty() => snippet.id = id,
        Op::AddExampleSql { example, .. } if example.id.is_empty() => example.id = id,
        Op::AddSqlFunction { function, .. } if function.id.is_empty() => function.id = id,
        Op::SetTextInstruction {
            id: id_slot @ None,
            old,
            ..
        } if old.is_empty() => *id_slot = Some(id),
        _ => {}
    }
    op
}

/// Applies one patch to a snapshot, or refuses it whole when its guard does not hold.
pub fn apply(snapshot: &RepoSnapshot, patch: &Patch) -> Result<RepoSnapshot, PatchError> {
    let refused = |problem: Problem| PatchError::Refused {
        index: 1,
        summary: patch.summary(),
        file: patch.op.file().to_owned(),
        problem: Box::new(problem),
    };
    let levers = patch.op.levers();
    if !levers.contains(&patch.lever) {
        return Err(refused(Problem::WrongLever {
            expected: levers
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            found: patch.lever,
        }));
    }
    let op = resolve(&patch.op);
    let file = op.file();
    let text = snapshot
        .get(file)
        .ok_or_else(|| refused(Problem::MissingFile))?;
    let edited = if levers == [6] {
        space::apply(file, text, &op)
    } else {
        durable::apply(file, text, &op)
    }
    .map_err(refused)?;
    let mut out = snapshot.clone();
    out.insert(file, edited);
    Ok(out)
}

/// SHA-256 of `text` as lowercase hex.
pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
