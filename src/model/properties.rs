//! Levers 4–5: table properties for monitoring and ML tables, kept as YAML.
//!
//! ```yaml
//! tables:
//!   - name: ${catalog}.${gold_schema}.booking_monitor_profile
//!     properties:
//!       genie.purpose: data quality monitoring for bookings
//!       delta.enableChangeDataFeed: "true"
//! ```
//!
//! Names are three-part (templates allowed). Property keys are dotted names; values are strings
//! (write `"true"`, `"30"` quoted or plain — they are sent as strings). [`load`] reads and
//! validates, [`set_property`] / [`unset_property`] edit one key in place, and
//! [`PropertiesFile::ddl`] renders `ALTER TABLE … SET TBLPROPERTIES (…)` (and `UNSET` for keys
//! that were removed).

use std::collections::BTreeMap;

use crate::model::tables::{list_items, quote_name, split_name, sql_string};
use crate::model::yaml_edit::{self, EditError, Loaded, Node, Reader, Value, YamlPath};

/// A lever-4/5 file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertiesFile {
    pub tables: Vec<TableProperties>,
}

/// One table's properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProperties {
    pub name: String,
    pub properties: BTreeMap<String, String>,
}

impl PropertiesFile {
    /// The table called `name` (case-insensitive).
    pub fn table(&self, name: &str) -> Option<&TableProperties> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// Statements that make the live table's properties match this file: `UNSET` for `removed`
    /// keys, then `SET` for every key the file lists. Nothing when the table is not in the file.
    pub fn ddl(&self, table: &str, removed: &[String]) -> Vec<String> {
        let Some(t) = self.table(table) else {
            return Vec::new();
        };
        let name = quote_name(&t.name);
        let mut out = Vec::new();
        let gone: Vec<String> = removed
            .iter()
            .filter(|k| !t.properties.contains_key(*k))
            .map(|k| sql_string(k))
            .collect();
        if !gone.is_empty() {
            out.push(format!(
                "ALTER TABLE {name} UNSET TBLPROPERTIES IF EXISTS ({})",
                gone.join(", ")
            ));
        }
        if !t.properties.is_empty() {
            let pairs: Vec<String> = t
                .properties
                .iter()
                .map(|(k, v)| format!("{} = {}", sql_string(k), sql_string(v)))
                .collect();
            out.push(format!(
                "ALTER TABLE {name} SET TBLPROPERTIES ({})",
                pairs.join(", ")
            ));
        }
        out
    }
}

const FILE_KEYS: &[&str] = &["tables"];
const TABLE_KEYS: &[&str] = &["name", "properties"];

/// Reads and validates a properties file.
pub fn load(file: &str, text: &str) -> Loaded<PropertiesFile> {
    let mut r = Reader::new(file, text);
    let mut out = PropertiesFile::default();
    let Some(root) = r.parse(text) else {
        return r.finish(out);
    };
    if root.is_null() || !r.mapping(&root, "the properties file", FILE_KEYS) {
        return r.finish(out);
    }
    let items = list_items(&mut r, &root, "tables", "the properties file");
    let mut names = Vec::new();
    for node in items {
        if let Some(table) = read_table(&mut r, node) {
            names.push((table.name.clone(), node.get("name").unwrap_or(node)));
            out.tables.push(table);
        }
    }
    r.duplicates(names, "table");
    r.finish(out)
}

fn read_table(r: &mut Reader<'_>, node: &Node) -> Option<TableProperties> {
    if !r.mapping(node, "a table", TABLE_KEYS) {
        return None;
    }
    let name = r.required_str(node, "name", "a table")?;
    let what = format!("table `{name}`");
    if split_name(&name).len() != 3 {
        let at = node.get("name").unwrap_or(node);
        r.error(
            at,
            format!("{what} is not a three-part name"),
            "write `catalog.schema.table`",
        );
    }
    let properties = r.string_map(node, "properties", &what);
    if let Some(props) = node.get("properties") {
        for entry in props.entries() {
            let key = entry.key.as_str().unwrap_or("");
            let valid = !key.is_empty()
                && key.split('.').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !valid {
                r.error(
                    &entry.key,
                    format!("property key `{key}` of {what} is not a dotted name"),
                    "use letters, digits, `_`, `-` and `.` (e.g. `delta.appendOnly`)",
                );
            }
        }
    }
    if node.get("properties").is_none() {
        r.warning(
            node,
            format!("{what} lists no properties"),
            "add `properties:` or remove the table",
        );
    }
    Some(TableProperties { name, properties })
}

fn table_path(table: &str) -> YamlPath {
    YamlPath::root().key("tables").find("name", table)
}

/// Sets property `key` of `table` to `value`, adding it (and `properties`) when absent.
pub fn set_property(text: &str, table: &str, key: &str, value: &str) -> Result<String, EditError> {
    let owner = table_path(table);
    let root = yaml_edit::parse(text)?;
    let node = yaml_edit::locate(&root, &owner)?;
    match node.get("properties") {
        Some(props) if props.get(key).is_some() => {
            yaml_edit::set_scalar(text, &owner.key("properties").key(key), value)
        }
        Some(props) if props.is_map() => {
            yaml_edit::insert_key(text, &owner.key("properties"), key, Value::str(value), None)
        }
        _ => yaml_edit::insert_key(
            text,
            &owner,
            "properties",
            Value::map([(key, Value::str(value))]),
            Some("name"),
        ),
    }
}

/// Removes property `key` (and `properties` when it was the last).
pub fn unset_property(text: &str, table: &str, key: &str) -> Result<String, EditError> {
    let owner = table_path(table);
    let root = yaml_edit::parse(text)?;
    let props = yaml_edit::locate(&root, &owner.clone().key("properties"))?;
    if props.entries().len() == 1 && props.get(key).is_some() {
        return yaml_edit::remove_key(text, &owner, "properties");
    }
    yaml_edit::remove_key(text, &owner.key("properties"), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# ML feature tables
tables:
  - name: ${catalog}.${ml_schema}.guest_features
    properties:
      genie.purpose: guest features for churn scoring
      delta.enableChangeDataFeed: \"true\"
";

    #[test]
    fn properties_load_and_render_as_tblproperties() {
        let loaded = load("p.yaml", FILE);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let ddl = loaded.value.ddl(
            "${catalog}.${ml_schema}.guest_features",
            &["old.key".into()],
        );
        insta::assert_snapshot!(ddl.join("\n"));
    }

    #[test]
    fn a_property_is_set_and_unset_in_place() {
        let t = "${catalog}.${ml_schema}.guest_features";
        let added = set_property(FILE, t, "owner.team", "ml-platform").unwrap();
        assert!(added.ends_with("      owner.team: ml-platform\n"));
        assert_eq!(unset_property(&added, t, "owner.team").unwrap(), FILE);
        let changed = set_property(FILE, t, "delta.enableChangeDataFeed", "false").unwrap();
        assert!(changed.contains("delta.enableChangeDataFeed: \"false\"\n"));
    }
}
