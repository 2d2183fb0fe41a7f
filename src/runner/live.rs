//! Which live Genie space a repository space is, in order: the settings' `space_id` for the
//! target, else the bundle's local deployment state (the direct engine's
//! `.databricks/bundle/<target>/resources.json`, or Terraform's
//! `.databricks/bundle/<target>/terraform/terraform.tfstate`), else the one live space whose
//! title equals the space's title. The result says which rule found it; no match or several
//! title matches are errors that say how to pin the id.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use crate::databricks::genie::GenieClient;
use crate::model::project::ProjectSpace;

/// How the live space was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// `spaces.<name>.targets.<target>.space_id` in the settings.
    Settings,
    /// The bundle's deployment state file (repository-relative path).
    BundleState { file: String },
    /// The only live space with this title.
    Title { title: String },
}

impl Resolution {
    /// A short label for reports and results (`settings`, `bundle_state`, `title`).
    pub fn label(&self) -> &'static str {
        match self {
            Resolution::Settings => "settings",
            Resolution::BundleState { .. } => "bundle_state",
            Resolution::Title { .. } => "title",
        }
    }

    /// One sentence saying how the space was found.
    pub fn describe(&self, space_id: &str) -> String {
        match self {
            Resolution::Settings => format!("live space {space_id} from the settings' space_id"),
            Resolution::BundleState { file } => {
                format!("live space {space_id} from the bundle deployment state {file}")
            }
            Resolution::Title { title } => {
                format!("live space {space_id}: the only space titled \"{title}\"")
            }
        }
    }
}

/// The repository space matches no live space, or several: a configuration problem, fixed
/// by pinning the id (the message says how).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unresolved(pub String);

/// A resolved live space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSpace {
    pub space_id: String,
    pub resolution: Resolution,
}

/// Finds the live space of `space` on `target`; `title` is the space's resolved title.
pub async fn resolve(
    genie: &GenieClient,
    space: &ProjectSpace,
    target: &str,
    title: Option<&str>,
    repo_root: &Path,
) -> anyhow::Result<LiveSpace> {
    if let Some(id) = space
        .targets
        .get(target)
        .and_then(|t| t.space_id.clone())
        .filter(|id| !id.trim().is_empty())
    {
        return Ok(LiveSpace {
            space_id: id,
            resolution: Resolution::Settings,
        });
    }
    if let Some((space_id, file)) = from_bundle_state(repo_root, &space.name, target)? {
        return Ok(LiveSpace {
            space_id,
            resolution: Resolution::BundleState { file },
        });
    }
    let pin = format!(
        "set `spaces.{}.targets.{target}.space_id` in .genie-gitops.yml, or use --against file",
        space.name
    );
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Unresolved(format!(
            "cannot tell which live space `{}` is: no space_id in the settings, no bundle deployment state and no title; {pin}",
            space.name
        ))
        .into());
    };
    let spaces = genie
        .list_spaces()
        .await
        .context("listing the workspace's Genie spaces to match the title")?;
    let matches: Vec<&str> = spaces
        .iter()
        .filter(|s| s.title.as_deref().map(str::trim) == Some(title))
        .map(|s| s.space_id.as_str())
        .collect();
    match matches.as_slice() {
        [one] => Ok(LiveSpace {
            space_id: (*one).to_string(),
            resolution: Resolution::Title {
                title: title.to_string(),
            },
        }),
        [] => Err(Unresolved(format!(
            "no live Genie space is titled \"{title}\" (space `{}`); deploy it first, or {pin}",
            space.name
        ))
        .into()),
        many => Err(Unresolved(format!(
            "{} live Genie spaces are titled \"{title}\" ({}); {pin}",
            many.len(),
            many.join(", ")
        ))
        .into()),
    }
}

/// The space id recorded by a bundle deployment of `key` to `target`, with the state file.
pub fn from_bundle_state(
    repo_root: &Path,
    key: &str,
    target: &str,
) -> anyhow::Result<Option<(String, String)>> {
    let dir = format!(".databricks/bundle/{target}");
    let direct = format!("{dir}/resources.json");
    let terraform = format!("{dir}/terraform/terraform.tfstate");
    for (file, reader) in [
        (
            direct,
            direct_state_id as fn(&Value, &str) -> Option<String>,
        ),
        (terraform, terraform_state_id),
    ] {
        let path = repo_root.join(&file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let state: Value = serde_json::from_str(&text)
            .with_context(|| format!("{file}: not a JSON deployment state"))?;
        if let Some(id) = reader(&state, key) {
            return Ok(Some((id, file)));
        }
    }
    Ok(None)
}

/// The direct engine: `state["resources.genie_spaces.<key>"].__id__`.
fn direct_state_id(state: &Value, key: &str) -> Option<String> {
    state
        .get("state")?
        .get(format!("resources.genie_spaces.{key}"))?
        .get("__id__")?
        .as_str()
        .map(String::from)
}

/// Terraform: the `databricks_genie_space` resource named `<key>`'s first instance id.
fn terraform_state_id(state: &Value, key: &str) -> Option<String> {
    state
        .get("resources")?
        .as_array()?
        .iter()
        .find(|r| {
            r.get("type").and_then(Value::as_str) == Some("databricks_genie_space")
                && r.get("name").and_then(Value::as_str) == Some(key)
        })?
        .get("instances")?
        .get(0)?
        .get("attributes")?
        .get("id")?
        .as_str()
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_deployment_state_formats_are_read() {
        let direct = json!({"state": {"resources.genie_spaces.wb": {"__id__": "01abc"}}});
        assert_eq!(direct_state_id(&direct, "wb").as_deref(), Some("01abc"));
        assert_eq!(direct_state_id(&direct, "other"), None);
        let tf = json!({"resources": [{"type": "databricks_genie_space", "name": "wb",
            "instances": [{"attributes": {"id": "01def"}}]}]});
        assert_eq!(terraform_state_id(&tf, "wb").as_deref(), Some("01def"));
    }
}
