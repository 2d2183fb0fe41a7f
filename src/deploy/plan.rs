//! The deploy plan: what must change in the workspace so that it holds one commit of the
//! repository. Pure: the caller reads the live space and the two snapshots; this module only
//! compares them.
//!
//! A plan has two parts. The **space update** is the semantic difference between the
//! repository's space (templates resolved for the target) and the live one, plus the title and
//! description when the repository sets them; equal spaces give no update, so nothing is
//! written. The **UC statements** are the DDL that turns the durable files of the last deployed
//! commit into those of the commit being deployed (all durable files when nothing was deployed
//! yet), computed by [`crate::runner::optimize::uc::ddl_between`].

use serde::Serialize;
use serde_json::Value;

use crate::model::settings::DurableFiles;
use crate::model::snapshot::RepoSnapshot;
use crate::model::space::SerializedSpace;
use crate::model::space::semantic::{normalized, semantic_differences};
use crate::model::template::Variables;
use crate::runner::optimize::uc::ddl_between;

/// What the repository says the live space should be, templates resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredSpace {
    /// The configuration.
    pub model: SerializedSpace,
    /// The title, when the repository sets one.
    pub title: Option<String>,
    /// The description, when the repository sets one.
    pub description: Option<String>,
}

/// What the workspace holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSpace {
    /// The live space's id.
    pub space_id: String,
    /// The configuration.
    pub model: SerializedSpace,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
}

/// One place where the live space differs from the repository's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpaceChange {
    /// `/title`, `/description`, or a JSON pointer into the normalized configuration.
    pub pointer: String,
    /// The live value, absent when only the repository has it.
    pub live: Option<Value>,
    /// The repository's value, absent when only live has it.
    pub desired: Option<Value>,
}

/// Which commit's durable files the UC statements start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DdlBase {
    /// The last deployed commit (the nearest one with a baseline note for the space).
    Deployed {
        /// Its SHA.
        sha: String,
    },
    /// No deployed commit is known: every durable file counts as changed.
    Nothing,
}

/// Everything a deploy would change, in the order it is done: UC statements first (the space
/// may reference a new function or metric view), then the space update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployPlan {
    /// The repository's space name.
    pub space: String,
    /// The target.
    pub target: String,
    /// The commit being deployed.
    pub sha: String,
    /// The live space's id.
    pub space_id: String,
    /// Where the UC statements start from.
    pub ddl_base: DdlBase,
    /// UC statements, in order, templates resolved.
    pub statements: Vec<String>,
    /// Differences between live and the repository, sorted; empty when they are equal.
    pub space_changes: Vec<SpaceChange>,
}

impl DeployPlan {
    /// Nothing to write: the live space already matches and no durable file changed.
    pub fn is_noop(&self) -> bool {
        self.statements.is_empty() && self.space_changes.is_empty()
    }

    /// Whether the space itself must be updated.
    pub fn updates_space(&self) -> bool {
        !self.space_changes.is_empty()
    }

    /// Whether the title must change (so it is sent with the update).
    pub fn changes_title(&self) -> bool {
        self.space_changes.iter().any(|c| c.pointer == TITLE)
    }

    /// Whether the description must change (so it is sent with the update).
    pub fn changes_description(&self) -> bool {
        self.space_changes.iter().any(|c| c.pointer == DESCRIPTION)
    }
}

const TITLE: &str = "/title";
const DESCRIPTION: &str = "/description";

/// What a plan is computed from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub space: &'a str,
    pub target: &'a str,
    pub sha: &'a str,
    pub desired: &'a DesiredSpace,
    pub live: &'a LiveSpace,
    /// The last deployed commit and its files, if one is known.
    pub deployed: Option<(&'a str, &'a RepoSnapshot)>,
    /// The files of the commit being deployed.
    pub files: &'a RepoSnapshot,
    /// The space's durable file locations.
    pub durable: &'a DurableFiles,
    /// The target's template variables.
    pub variables: &'a Variables,
}

/// Compares the desired state with the live one. Fails only when a durable file cannot be
/// turned into DDL (a parse error, an undefined template variable).
pub fn plan(input: &PlanInput<'_>) -> anyhow::Result<DeployPlan> {
    let empty = RepoSnapshot::new();
    let (ddl_base, from) = match input.deployed {
        Some((sha, files)) => (
            DdlBase::Deployed {
                sha: sha.to_owned(),
            },
            files,
        ),
        None => (DdlBase::Nothing, &empty),
    };
    let statements = ddl_between(from, input.files, input.durable, input.variables)?;
    Ok(DeployPlan {
        space: input.space.to_owned(),
        target: input.target.to_owned(),
        sha: input.sha.to_owned(),
        space_id: input.live.space_id.clone(),
        ddl_base,
        statements,
        space_changes: space_changes(input.desired, input.live),
    })
}

/// The differences between the desired and the live space: title and description (only when
/// the repository sets them), then the configuration's semantic differences.
pub fn space_changes(desired: &DesiredSpace, live: &LiveSpace) -> Vec<SpaceChange> {
    let mut changes = Vec::new();
    let fields = [
        (TITLE, &desired.title, &live.title),
        (DESCRIPTION, &desired.description, &live.description),
    ];
    for (pointer, want, have) in fields {
        let Some(want) = want else { continue };
        if have.as_deref().map(str::trim) != Some(want.trim()) {
            changes.push(SpaceChange {
                pointer: pointer.to_owned(),
                live: have.clone().map(Value::String),
                desired: Some(Value::String(want.clone())),
            });
        }
    }
    let (want, have) = (normalized(&desired.model), normalized(&live.model));
    for pointer in semantic_differences(&desired.model, &live.model) {
        changes.push(SpaceChange {
            live: have.pointer(&pointer).cloned(),
            desired: want.pointer(&pointer).cloned(),
            pointer,
        });
    }
    changes
}

/// The plan for a person: what changes, statement by statement and field by field.
pub fn render(plan: &DeployPlan) -> String {
    let mut out = format!(
        "Deploy plan: space `{}` (live {}) on target `{}` at {}\n",
        plan.space,
        plan.space_id,
        plan.target,
        short(&plan.sha)
    );
    if plan.is_noop() {
        out.push_str(&format!("live already matches {}\n", short(&plan.sha)));
        return out;
    }
    let base = match &plan.ddl_base {
        DdlBase::Deployed { sha } => format!("the durable files changed since {}", short(sha)),
        DdlBase::Nothing => "every durable file (no deployed commit is known)".to_owned(),
    };
    match plan.statements.len() {
        0 => out.push_str(&format!("Unity Catalog: no statement ({base})\n")),
        n => {
            out.push_str(&format!("Unity Catalog: {n} statement(s) for {base}\n"));
            for (i, statement) in plan.statements.iter().enumerate() {
                out.push_str(&format!("  {}. {}\n", i + 1, one_line(statement, 200)));
            }
        }
    }
    match plan.space_changes.len() {
        0 => out.push_str("Space: already matches, no update\n"),
        n => {
            out.push_str(&format!("Space: update with {n} difference(s)\n"));
            for change in &plan.space_changes {
                out.push_str(&format!("  {}\n", change.pointer));
                out.push_str(&format!("    live: {}\n", shown(change.live.as_ref())));
                out.push_str(&format!("    repo: {}\n", shown(change.desired.as_ref())));
            }
        }
    }
    out
}

/// The first 12 characters of a SHA (all of it when shorter).
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn shown(value: Option<&Value>) -> String {
    match value {
        Some(value) => one_line(&value.to_string(), 100),
        None => "(absent)".to_owned(),
    }
}

/// `text` on one line, cut to `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    flat.chars().take(max - 1).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(instruction: &str) -> SerializedSpace {
        serde_json::from_value(serde_json::json!({
            "version": 2,
            "instructions": {"text_instructions": [{"id": "01", "content": [instruction]}]}
        }))
        .unwrap_or_default()
    }

    fn desired(instruction: &str) -> DesiredSpace {
        DesiredSpace {
            model: space(instruction),
            title: Some("Sales".into()),
            description: None,
        }
    }

    fn live(instruction: &str) -> LiveSpace {
        LiveSpace {
            space_id: "0123456789abcdef0123456789abcdef".into(),
            model: space(instruction),
            title: Some("Sales".into()),
            description: Some("set in the UI".into()),
        }
    }

    const TABLES: &str =
        "tables:\n  - name: ${catalog}.s.bookings\n    comment: One row per booking\n";

    fn files(tables: &str) -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        s.insert("genie/uc/tables.yml", tables);
        s
    }

    fn vars() -> Variables {
        let mut v = Variables::new();
        v.set("catalog", "main");
        v
    }

    fn plan_of(
        desired: &DesiredSpace,
        live: &LiveSpace,
        deployed: Option<(&str, &RepoSnapshot)>,
        files: &RepoSnapshot,
    ) -> DeployPlan {
        let durable = DurableFiles::default();
        let variables = vars();
        plan(&PlanInput {
            space: "sales",
            target: "prod",
            sha: "abcdef0123456789abcdef0123456789abcdef01",
            desired,
            live,
            deployed,
            files,
            durable: &durable,
            variables: &variables,
        })
        .unwrap()
    }

    #[test]
    fn equal_spaces_and_unchanged_durable_files_are_a_noop() {
        let files = files(TABLES);
        let plan = plan_of(
            &desired("Be brief"),
            &live("Be brief"),
            Some(("0a", &files)),
            &files,
        );
        assert!(plan.is_noop());
        insta::assert_snapshot!(render(&plan));
    }

    #[test]
    fn a_description_the_repository_does_not_set_is_left_alone() {
        let changes = space_changes(&desired("x"), &live("x"));
        assert_eq!(changes, Vec::new());
    }

    #[test]
    fn a_changed_instruction_and_comment_become_one_update_and_one_statement() {
        let before = files(TABLES);
        let after = files(&TABLES.replace("One row per booking", "One row per stay"));
        let mut want = desired("Use confirmed bookings only");
        want.title = Some("Sales (prod)".into());
        let plan = plan_of(&want, &live("Be brief"), Some(("0a1b2c", &before)), &after);
        assert!(plan.updates_space() && plan.changes_title() && !plan.changes_description());
        assert_eq!(
            plan.statements,
            vec!["COMMENT ON TABLE main.s.bookings IS 'One row per stay'"]
        );
        insta::assert_snapshot!(render(&plan));
    }

    #[test]
    fn without_a_deployed_commit_every_durable_file_is_applied() {
        let files = files(TABLES);
        let plan = plan_of(&desired("x"), &live("x"), None, &files);
        assert_eq!(plan.ddl_base, DdlBase::Nothing);
        assert_eq!(
            plan.statements,
            vec!["COMMENT ON TABLE main.s.bookings IS 'One row per booking'"]
        );
        assert!(!plan.is_noop());
    }
}
