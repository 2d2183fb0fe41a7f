//! Bundle discovery: the Genie spaces, variables and targets a `databricks.yml` declares.
//!
//! A Databricks bundle (`databricks.yml` plus the files its `include:` globs match) declares
//! spaces as `resources.genie_spaces.<key>` (Databricks CLI ≥ 1.3): `title`, `description`,
//! `warehouse_id`, `parent_path`, and either `file_path` (relative to the YAML file that declares
//! it) or an inline `serialized_space` (YAML or a JSON string), never both.
//!
//! This is Databricks' format, so keys this reader does not use are allowed everywhere except
//! inside a `genie_spaces` entry, whose schema is small and known: there an unknown key is a
//! warning with a suggestion (the CLI would reject it), and a missing title, warehouse or
//! content is an error. References (`${var.x}`, `${resources.kind.key.field}`) must name
//! something the bundle defines; `workspace.host` must be a real URL.
//!
//! Pure: files come from a [`RepoSnapshot`].

use std::collections::BTreeMap;

use super::diag::{self, Diagnostic};
use super::snapshot::RepoSnapshot;
use super::template;
use super::yaml_tree::{self, Key, Node, Reader, Value};

/// The conventional bundle root file name.
pub const ROOT_FILE: &str = "databricks.yml";

/// Everything genie-gitops uses from a bundle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    /// `bundle.name`.
    pub name: Option<String>,
    /// Repository paths of the root file and every included file, in load order.
    pub files: Vec<String>,
    /// Top-level `workspace`.
    pub workspace: Workspace,
    /// `variables`, by name.
    pub variables: BTreeMap<String, Variable>,
    /// `targets`, by name.
    pub targets: BTreeMap<String, Target>,
    /// `resources.genie_spaces`, by resource key.
    pub spaces: BTreeMap<String, SpaceResource>,
}

/// A `workspace` block (top level or per target).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// Workspace URL.
    pub host: Option<String>,
    /// `~/.databrickscfg` profile name.
    pub profile: Option<String>,
    /// Where the bundle deploys its files.
    pub root_path: Option<String>,
}

/// A bundle variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variable {
    /// The default value, when it has one.
    pub default: Option<String>,
    /// What it is for.
    pub description: Option<String>,
    /// `lookup` (e.g. `warehouse: "Name"`): the CLI resolves it at deploy time.
    pub lookup: BTreeMap<String, String>,
}

/// A bundle target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// `default: true`.
    pub default: bool,
    /// `development` or `production`.
    pub mode: Option<String>,
    /// The target's workspace overrides.
    pub workspace: Workspace,
    /// Variable values for this target.
    pub variables: BTreeMap<String, String>,
}

/// One `resources.genie_spaces.<key>` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceResource {
    /// The resource key.
    pub key: String,
    /// Repository path of the YAML file that declares it.
    pub declared_in: String,
    /// 1-based position of the key in that file.
    pub line: usize,
    /// 1-based column of the key.
    pub col: usize,
    /// Space title (may hold `${…}` references).
    pub title: Option<String>,
    /// Space description.
    pub description: Option<String>,
    /// Warehouse id (often `${var.warehouse_id}`).
    pub warehouse_id: Option<String>,
    /// Workspace folder of the space.
    pub parent_path: Option<String>,
    /// Where the space's configuration lives.
    pub content: Option<SpaceContent>,
}

/// Where a space's `serialized_space` comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SpaceContent {
    /// A file, as a normalized repository path.
    File(String),
    /// Inline in the bundle, as JSON.
    Inline(serde_json::Value),
}

/// Keys a `genie_spaces` entry may have (CLI `bundle/config/resources/genie_space.go`).
const SPACE_KEYS: &[&str] = &[
    "description",
    "file_path",
    "lifecycle",
    "parent_path",
    "permissions",
    "serialized_space",
    "title",
    "warehouse_id",
];

/// Reads the bundle rooted at `root` (e.g. `databricks.yml`) and its includes from `repo`, then
/// validates it. On success returns the bundle with its warnings; otherwise every problem.
pub fn load(repo: &RepoSnapshot, root: &str) -> Result<(Bundle, Vec<Diagnostic>), Vec<Diagnostic>> {
    let root = RepoSnapshot::normalize_path(root);
    let Some(text) = repo.get(&root) else {
        return Err(vec![
            Diagnostic::error(&root, "bundle file not found").hint(
                "create a databricks.yml or point genie-gitops at the directory that has one",
            ),
        ]);
    };
    let mut diags = Vec::new();
    let mut bundle = Bundle::default();
    let mut trees = Vec::new();
    match yaml_tree::parse(&root, text) {
        Ok(tree) => trees.push((root.clone(), tree)),
        Err(d) => return Err(vec![d]),
    }
    for path in included_files(repo, &root, &trees[0].1, &mut diags) {
        match repo.get(&path).map(|text| yaml_tree::parse(&path, text)) {
            Some(Ok(tree)) => trees.push((path, tree)),
            Some(Err(d)) => diags.push(d),
            None => {}
        }
    }
    for (path, tree) in &trees {
        let mut reader = Reader::new(path);
        read_file(&mut reader, &mut bundle, path, tree);
        diags.append(&mut reader.diags);
        bundle.files.push(path.clone());
    }
    diags.extend(validate(repo, &bundle, &trees));
    diag::sort(&mut diags);
    match diags.iter().any(Diagnostic::is_error) {
        true => Err(diags),
        false => Ok((bundle, diags)),
    }
}

/// Reads one bundle file on its own (no includes, no cross-file checks).
pub fn parse(file: &str, text: &str) -> Result<Bundle, Vec<Diagnostic>> {
    let tree = yaml_tree::parse(file, text).map_err(|d| vec![d])?;
    let mut reader = Reader::new(file);
    let mut bundle = Bundle::default();
    read_file(&mut reader, &mut bundle, file, &tree);
    bundle.files.push(file.to_string());
    match reader.has_errors() {
        true => Err(reader.diags),
        false => Ok(bundle),
    }
}

/// The directory part of a repository path (`""` for the root).
fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Joins a path written in a file with that file's directory, normalized.
pub fn relative_to(file: &str, path: &str) -> String {
    RepoSnapshot::normalize_path(&format!("{}/{path}", dir_of(file)))
}

fn included_files(
    repo: &RepoSnapshot,
    root: &str,
    tree: &Node,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let Some(include) = tree.get("include") else {
        return Vec::new();
    };
    let mut reader = Reader::new(root);
    let patterns = reader.text_list(include, "include");
    diags.append(&mut reader.diags);
    let mut out = Vec::new();
    for (pattern, node) in patterns.iter().zip(include.items().unwrap_or_default()) {
        let full = relative_to(root, pattern);
        let matched: Vec<String> = match glob::Pattern::new(&full) {
            Ok(glob) => repo
                .paths()
                .filter(|p| *p != root && glob.matches(p))
                .map(str::to_string)
                .collect(),
            Err(e) => {
                diags.push(
                    node.error(root, format!("invalid include pattern `{pattern}`: {e}"))
                        .hint("use a glob such as `resources/*.yml`"),
                );
                continue;
            }
        };
        if matched.is_empty() {
            diags.push(
                node.warning(root, format!("include pattern `{pattern}` matches no file"))
                    .hint("check the path; it is relative to this file"),
            );
        }
        for path in matched {
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

fn read_file(reader: &mut Reader, bundle: &mut Bundle, path: &str, tree: &Node) {
    if !matches!(tree.value, Value::Map(_) | Value::Null) {
        reader.error(
            tree,
            format!("a bundle file must be a mapping, found {}", tree.kind()),
            "start the file with top-level keys such as `bundle:` and `resources:`",
        );
        return;
    }
    if let Some(name) = tree.at_path(&["bundle", "name"]) {
        bundle.name = reader.text(name, "bundle.name");
    }
    if let Some(ws) = tree.get("workspace") {
        bundle.workspace = read_workspace(reader, ws, "workspace");
    }
    if let Some(vars) = tree.get("variables") {
        for (key, node) in reader.entries(vars, "variables") {
            let variable = read_variable(reader, key, node);
            bundle.variables.insert(key.name.clone(), variable);
        }
    }
    if let Some(targets) = tree.get("targets") {
        for (key, node) in reader.entries(targets, "targets") {
            let target = read_target(reader, key, node);
            bundle.targets.insert(key.name.clone(), target);
        }
    }
    if let Some(spaces) = tree.at_path(&["resources", "genie_spaces"]) {
        for (key, node) in reader.entries(spaces, "resources.genie_spaces") {
            if let Some(space) = read_space(reader, path, key, node) {
                bundle.spaces.insert(key.name.clone(), space);
            }
        }
    }
}

fn optional_text(reader: &mut Reader, node: &Node, field: &str) -> Option<String> {
    match node.is_null() {
        true => None,
        false => reader.text(node, field),
    }
}

fn read_workspace(reader: &mut Reader, node: &Node, at: &str) -> Workspace {
    let mut ws = Workspace::default();
    for (key, value) in reader.entries(node, at) {
        let field = format!("{at}.{}", key.name);
        match key.name.as_str() {
            "host" => ws.host = optional_text(reader, value, &field),
            "profile" => ws.profile = optional_text(reader, value, &field),
            "root_path" => ws.root_path = optional_text(reader, value, &field),
            _ => {}
        }
    }
    ws
}

fn read_variable(reader: &mut Reader, key: &Key, node: &Node) -> Variable {
    let mut var = Variable::default();
    let at = format!("variables.{}", key.name);
    if node.entries().is_none() {
        // Shorthand `name: value` is the default.
        var.default = optional_text(reader, node, &at);
        return var;
    }
    for (k, value) in reader.entries(node, &at) {
        let field = format!("{at}.{}", k.name);
        match k.name.as_str() {
            "default" => var.default = optional_text(reader, value, &field),
            "description" => var.description = optional_text(reader, value, &field),
            "lookup" => {
                for (lk, lv) in reader.entries(value, &field) {
                    if let Some(text) = reader.text(lv, &format!("{field}.{}", lk.name)) {
                        var.lookup.insert(lk.name.clone(), text);
                    }
                }
            }
            _ => {}
        }
    }
    var
}

fn read_target(reader: &mut Reader, key: &Key, node: &Node) -> Target {
    let mut target = Target::default();
    let at = format!("targets.{}", key.name);
    for (k, value) in reader.entries(node, &at) {
        let field = format!("{at}.{}", k.name);
        match k.name.as_str() {
            "default" => target.default = reader.bool(value, &field).unwrap_or(false),
            "mode" => target.mode = optional_text(reader, value, &field),
            "workspace" => target.workspace = read_workspace(reader, value, &field),
            "variables" => {
                for (vk, vv) in reader.entries(value, &field) {
                    if let Some(text) = reader.text(vv, &format!("{field}.{}", vk.name)) {
                        target.variables.insert(vk.name.clone(), text);
                    }
                }
            }
            _ => {}
        }
    }
    target
}

fn read_space(reader: &mut Reader, path: &str, key: &Key, node: &Node) -> Option<SpaceResource> {
    let at = format!("resources.genie_spaces.{}", key.name);
    let entries = reader.entries(node, &at);
    let mut space = SpaceResource {
        key: key.name.clone(),
        declared_in: path.to_string(),
        line: key.line,
        col: key.col,
        title: None,
        description: None,
        warehouse_id: None,
        parent_path: None,
        content: None,
    };
    let mut file_path = None;
    let mut inline = None;
    let has = |name: &str| entries.iter().any(|(k, _)| k.name == name);
    for (k, value) in entries {
        let field = format!("{at}.{}", k.name);
        match k.name.as_str() {
            "title" => space.title = optional_text(reader, value, &field),
            "description" => space.description = optional_text(reader, value, &field),
            "warehouse_id" => space.warehouse_id = optional_text(reader, value, &field),
            "parent_path" => space.parent_path = optional_text(reader, value, &field),
            "file_path" => file_path = reader.text(value, &field).map(|p| relative_to(path, &p)),
            "serialized_space" => inline = read_inline(reader, value, &field),
            "permissions" | "lifecycle" => {}
            "etag" => reader.error_key(
                k,
                format!("`{field}` must not be set in a bundle"),
                "remove `etag`; Databricks tracks it during deploy",
            ),
            other => reader.warn_key(
                k,
                format!("`{field}` is not a genie_spaces field and is ignored"),
                unknown_space_key_hint(other),
            ),
        }
    }
    let label = format!("genie space `{}`", key.name);
    if space.title.is_none() {
        reader.error_key(key, format!("{label} has no `title`"), "add `title:`");
    }
    if space.warehouse_id.is_none() {
        reader.error_key(
            key,
            format!("{label} has no `warehouse_id`"),
            "add `warehouse_id:` (often `${var.warehouse_id}`)",
        );
    }
    space.content = match (file_path, inline) {
        (Some(_), Some(_)) => {
            reader.error_key(
                key,
                format!("{label} sets both `file_path` and `serialized_space`"),
                "keep one: `file_path` for a separate .geniespace.json file, or inline content",
            );
            None
        }
        (Some(file), None) => Some(SpaceContent::File(file)),
        (None, Some(json)) => Some(SpaceContent::Inline(json)),
        (None, None) if !has("file_path") && !has("serialized_space") => {
            reader.error_key(
                key,
                format!("{label} has neither `file_path` nor `serialized_space`"),
                "add `file_path: ./<name>.geniespace.json`",
            );
            None
        }
        (None, None) => None,
    };
    Some(space)
}

fn unknown_space_key_hint(name: &str) -> String {
    match name {
        "display_name" | "name" => "use `title`".into(),
        "content" | "serialized_space_file" => {
            "use `file_path: ./x.geniespace.json` or `serialized_space:`".into()
        }
        "run_as" => "Genie spaces have no `run_as`; share the space with `permissions`".into(),
        other => match yaml_tree::suggest(other, SPACE_KEYS) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("genie_spaces fields are: {}", SPACE_KEYS.join(", ")),
        },
    }
}

fn read_inline(reader: &mut Reader, node: &Node, field: &str) -> Option<serde_json::Value> {
    match &node.value {
        Value::Str(text) => match serde_json::from_str(text) {
            Ok(json) => Some(json),
            Err(e) => {
                reader.error(
                    node,
                    format!("`{field}` is not valid JSON: {e}"),
                    "write it as YAML, or as a JSON string",
                );
                None
            }
        },
        Value::Map(_) => Some(node.to_json()),
        _ => {
            reader.error(
                node,
                format!(
                    "`{field}` must be a mapping or a JSON string, found {}",
                    node.kind()
                ),
                "write the space configuration inline as YAML, or use `file_path`",
            );
            None
        }
    }
}

/// Cross-file checks: space files exist, references resolve, hosts are URLs.
fn validate(repo: &RepoSnapshot, bundle: &Bundle, trees: &[(String, Node)]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for space in bundle.spaces.values() {
        if let Some(SpaceContent::File(path)) = &space.content
            && !repo.contains(path)
        {
            diags.push(
                Diagnostic::error(
                    &space.declared_in,
                    format!("genie space `{}`: file `{path}` not found", space.key),
                )
                .at(space.line, space.col)
                .hint("`file_path` is relative to the YAML file that declares the space"),
            );
        }
    }
    let defined = defined_resources(trees);
    for (path, tree) in trees {
        walk_strings(tree, &mut |node, text| {
            diags.extend(check_references(path, node, text, bundle, &defined));
        });
        for_each_host(tree, &mut |node| {
            if let Some(host) = node.as_str()
                && !template::has_references(host)
                && !is_workspace_url(host)
            {
                diags.push(
                    node.error(path, format!("`workspace.host` `{host}` is not a workspace URL"))
                        .hint("write the full URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net"),
                );
            }
        });
    }
    diags
}

/// `kind.key` of every resource declared in any bundle file.
fn defined_resources(trees: &[(String, Node)]) -> Vec<String> {
    let mut out = Vec::new();
    for (_, tree) in trees {
        for (kind, resources) in tree
            .get("resources")
            .and_then(Node::entries)
            .unwrap_or_default()
        {
            for (key, _) in resources.entries().unwrap_or_default() {
                out.push(format!("{}.{}", kind.name, key.name));
            }
        }
    }
    out
}

fn walk_strings(node: &Node, f: &mut dyn FnMut(&Node, &str)) {
    match &node.value {
        Value::Str(s) => f(node, s),
        Value::Seq(items) => items.iter().for_each(|i| walk_strings(i, f)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| walk_strings(v, f)),
        _ => {}
    }
}

fn for_each_host(tree: &Node, f: &mut dyn FnMut(&Node)) {
    if let Some(host) = tree.at_path(&["workspace", "host"]) {
        f(host);
    }
    for (_, target) in tree
        .get("targets")
        .and_then(Node::entries)
        .unwrap_or_default()
    {
        if let Some(host) = target.at_path(&["workspace", "host"]) {
            f(host);
        }
    }
}

fn check_references(
    file: &str,
    node: &Node,
    text: &str,
    bundle: &Bundle,
    defined: &[String],
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for r in template::references(text) {
        let parts: Vec<&str> = r.name.split('.').collect();
        match parts.as_slice() {
            ["var", name, ..] if !bundle.variables.contains_key(*name) => diags.push(
                node.error(file, format!("`{r}` refers to an undefined variable `{name}`"))
                    .hint(format!("declare it under `variables: {name}:`")),
            ),
            ["resources", kind, key, ..] if !defined.contains(&format!("{kind}.{key}")) => {
                diags.push(
                    node.error(file, format!("`{r}` refers to `resources.{kind}.{key}`, which the bundle does not define"))
                        .hint("define that resource in the bundle, or use a variable such as `${var.warehouse_id}`"),
                )
            }
            _ => {}
        }
    }
    diags
}

fn is_workspace_url(host: &str) -> bool {
    let Ok(url) = url::Url::parse(host) else {
        return false;
    };
    let Some(name) = url.host_str() else {
        return false;
    };
    matches!(url.scheme(), "https" | "http")
        && name.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> RepoSnapshot {
        let mut s = RepoSnapshot::new();
        for (p, t) in files {
            s.insert(p, *t);
        }
        s
    }

    #[test]
    fn spaces_in_included_files_resolve_their_file_path_from_that_file() {
        let r = repo(&[
            (
                "b/databricks.yml",
                "include: [res/*.yml]\nvariables:\n  wh:\n    default: abc\n",
            ),
            (
                "b/res/genie.yml",
                "resources:\n  genie_spaces:\n    s:\n      title: T\n      warehouse_id: ${var.wh}\n      file_path: ../spaces/s.geniespace.json\n",
            ),
            ("b/spaces/s.geniespace.json", "{}"),
        ]);
        let (bundle, warnings) = load(&r, "b/databricks.yml").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            bundle.spaces["s"].content,
            Some(SpaceContent::File("b/spaces/s.geniespace.json".into()))
        );
        assert_eq!(bundle.variables["wh"].default.as_deref(), Some("abc"));
        assert_eq!(bundle.files, vec!["b/databricks.yml", "b/res/genie.yml"]);
    }

    #[test]
    fn both_file_path_and_inline_content_is_an_error() {
        let text = "resources:\n  genie_spaces:\n    s:\n      title: T\n      warehouse_id: w\n      file_path: x.json\n      serialized_space: {version: 2}\n";
        let errs = parse("databricks.yml", text).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("both"));
        assert_eq!((errs[0].line, errs[0].col), (3, 5));
    }

    #[test]
    fn workspace_hosts_must_be_urls() {
        assert!(is_workspace_url("https://fevm-gdpr2.cloud.databricks.com"));
        assert!(!is_workspace_url("https://..."));
        assert!(!is_workspace_url("adb-123.azuredatabricks.net"));
    }
}
