//! The `~/.databrickscfg` INI file: one section per profile (`host`, `token`, `client_id`, …),
//! an optional `[__settings__]` section whose `default_profile` names the profile to use when
//! none is requested, and `[DEFAULT]` otherwise. Parsing is pure; reading the file is the
//! caller's job.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::diag::Diagnostic;

/// The section that holds settings rather than a profile.
pub const SETTINGS_SECTION: &str = "__settings__";
/// The profile used when nothing else names one.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// One profile: its keys, lower-cased, with their values.
pub type Profile = BTreeMap<String, String>;

/// Keys whose values are secrets: `Debug` shows them as `<redacted>`.
const SECRET_KEYS: &[&str] = &[
    "token",
    "password",
    "client_secret",
    "azure_client_secret",
    "google_credentials",
];

/// All sections of a config file, by name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    sections: BTreeMap<String, Profile>,
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |profile: &Profile| -> BTreeMap<String, String> {
            profile
                .iter()
                .map(|(key, value)| {
                    let value = if SECRET_KEYS.contains(&key.as_str()) {
                        "<redacted>".to_owned()
                    } else {
                        value.clone()
                    };
                    (key.clone(), value)
                })
                .collect()
        };
        f.debug_map()
            .entries(self.sections.iter().map(|(name, p)| (name, shown(p))))
            .finish()
    }
}

impl ConfigFile {
    /// Parses INI text. `file` names the file in diagnostics.
    pub fn parse(file: &str, text: &str) -> Result<Self, Diagnostic> {
        let mut sections: BTreeMap<String, Profile> = BTreeMap::new();
        let mut current = DEFAULT_PROFILE.to_string();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let indent = raw.len() - raw.trim_start().len() + 1;
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(
                        Diagnostic::error(file, "a section header is missing its `]`")
                            .at(line_no, indent)
                            .hint("write profile headers as `[name]`"),
                    );
                };
                current = name.trim().to_string();
                sections.entry(current.clone()).or_default();
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                // The line is not echoed: a mistyped `token dapi…` line would print the token.
                return Err(Diagnostic::error(file, "expected `key = value`; this line has no `=` (its text is not shown: it may hold a secret)")
                    .at(line_no, indent)
                    .hint("each line of a profile is `key = value`, a `[section]` header or a `#` comment"));
            };
            sections
                .entry(current.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
        Ok(Self { sections })
    }

    /// The profile with this exact name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        if name == SETTINGS_SECTION {
            return None;
        }
        self.sections.get(name)
    }

    /// The profile to use when none was requested: `[__settings__] default_profile`, else
    /// `DEFAULT`.
    pub fn default_profile_name(&self) -> String {
        self.sections
            .get(SETTINGS_SECTION)
            .and_then(|s| s.get("default_profile"))
            .filter(|name| !name.is_empty())
            .cloned()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
    }

    /// Names of the profiles in the file, sorted (for "did you mean" messages).
    pub fn profile_names(&self) -> Vec<&str> {
        self.sections
            .keys()
            .map(String::as_str)
            .filter(|name| *name != SETTINGS_SECTION)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
[DEFAULT]
host = https://default.cloud.databricks.com
token = dapi-default

[__settings__]
default_profile = ci

[ci]
HOST = https://ci.cloud.databricks.com
client_id = abc
client_secret = s3cr=t
";

    #[test]
    fn profiles_and_settings_are_read() {
        let file = ConfigFile::parse("cfg", SAMPLE).unwrap_or_default();
        assert_eq!(file.default_profile_name(), "ci");
        let ci = file.profile("ci").cloned().unwrap_or_default();
        assert_eq!(
            ci.get("host").map(String::as_str),
            Some("https://ci.cloud.databricks.com")
        );
        assert_eq!(ci.get("client_secret").map(String::as_str), Some("s3cr=t"));
        assert_eq!(file.profile_names(), vec!["DEFAULT", "ci"]);
        assert!(file.profile(SETTINGS_SECTION).is_none());
    }

    #[test]
    fn without_settings_the_default_profile_is_default() {
        let file = ConfigFile::parse("cfg", "[DEFAULT]\nhost = h\n").unwrap_or_default();
        assert_eq!(file.default_profile_name(), "DEFAULT");
    }

    #[test]
    fn a_line_without_equals_is_reported_with_its_position() {
        let err = ConfigFile::parse("/home/u/.databrickscfg", "[a]\n  host https://x\n")
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default();
        insta::assert_snapshot!(err);
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let file = ConfigFile::parse(
            "cfg",
            "[p]\nhost = https://h\ntoken = dapi-canary-123\nclient_secret = canary-456\n",
        )
        .unwrap();
        let shown = format!("{file:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("https://h"), "{shown}");
    }
}
