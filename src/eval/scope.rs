//! What an evaluation runs: `full`, `p0`, `held_out`, `train`, `ids:a,b` or `objects:x,y`
//! (the questions whose gold SQL reads one of the named tables, metric views, functions or
//! columns). Selection keeps the benchmark file's order and never silently drops a named id.

use std::fmt;
use std::str::FromStr;

use crate::model::benchmarks::{Benchmark, Priority, Split, SplitPolicy};
use crate::sql::analyze::{AssetCatalog, analyze};

/// Which questions to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Full,
    P0,
    HeldOut,
    Train,
    /// Exactly these question ids.
    Ids(Vec<String>),
    /// Questions whose gold SQL reads one of these objects (last name part or
    /// `table.column`, case-insensitive).
    Objects(Vec<String>),
}

/// A scope that cannot be parsed or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("unknown scope `{0}`; use full, p0, held_out, train, ids:ID,ID or objects:NAME,NAME")]
    Unknown(String),
    #[error("`{0}:` needs at least one name after the colon")]
    EmptyList(&'static str),
    #[error("no benchmark question has the id(s) {0}")]
    UnknownIds(String),
    #[error("the scope `{0}` selects no question")]
    Empty(String),
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let list = |rest: &str, what: &'static str| {
            let items: Vec<String> = rest
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect();
            if items.is_empty() {
                Err(ScopeError::EmptyList(what))
            } else {
                Ok(items)
            }
        };
        match s.trim() {
            "full" | "all" => Ok(Scope::Full),
            "p0" | "P0" => Ok(Scope::P0),
            "held_out" | "held-out" => Ok(Scope::HeldOut),
            "train" => Ok(Scope::Train),
            other => {
                if let Some(rest) = other.strip_prefix("ids:") {
                    Ok(Scope::Ids(list(rest, "ids")?))
                } else if let Some(rest) = other.strip_prefix("objects:") {
                    Ok(Scope::Objects(list(rest, "objects")?))
                } else {
                    Err(ScopeError::Unknown(other.to_string()))
                }
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Full => f.write_str("full"),
            Scope::P0 => f.write_str("p0"),
            Scope::HeldOut => f.write_str("held_out"),
            Scope::Train => f.write_str("train"),
            Scope::Ids(ids) => write!(f, "ids:{}", ids.join(",")),
            Scope::Objects(names) => write!(f, "objects:{}", names.join(",")),
        }
    }
}

/// The questions of `all` in `scope`, in file order. Fails when named ids do not exist or
/// nothing is selected.
pub fn select<'a>(
    scope: &Scope,
    all: &'a [Benchmark],
    policy: &SplitPolicy,
) -> Result<Vec<&'a Benchmark>, ScopeError> {
    let chosen: Vec<&Benchmark> = match scope {
        Scope::Full => all.iter().collect(),
        Scope::P0 => all.iter().filter(|b| b.priority == Priority::P0).collect(),
        Scope::HeldOut => all
            .iter()
            .filter(|b| b.split_with(policy) == Split::HeldOut)
            .collect(),
        Scope::Train => all
            .iter()
            .filter(|b| b.split_with(policy) == Split::Train)
            .collect(),
        Scope::Ids(ids) => {
            let unknown: Vec<&str> = ids
                .iter()
                .filter(|id| !all.iter().any(|b| &b.id == *id))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(ScopeError::UnknownIds(unknown.join(", ")));
            }
            all.iter().filter(|b| ids.contains(&b.id)).collect()
        }
        Scope::Objects(names) => all.iter().filter(|b| reads_any(b, names)).collect(),
    };
    if chosen.is_empty() {
        return Err(ScopeError::Empty(scope.to_string()));
    }
    Ok(chosen)
}

/// Whether the gold SQL reads one of `names` (tables by last part, columns as `col` or
/// `table.col`). A gold that does not parse matches nothing.
fn reads_any(benchmark: &Benchmark, names: &[String]) -> bool {
    let Ok(features) = analyze(&benchmark.expected_sql, &AssetCatalog::default()) else {
        return false;
    };
    names.iter().any(|raw| {
        let name = raw.to_lowercase();
        let last = name.rsplit('.').next().unwrap_or(&name);
        let column = |c: &String| {
            if name.contains('.') {
                *c == name || name.ends_with(&format!(".{c}"))
            } else {
                c.rsplit('.').next() == Some(name.as_str())
            }
        };
        features.tables.iter().any(|t| t.name == last) || features.columns.iter().any(column)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::benchmarks;

    const FILE: &str = "\
- id: a
  question: Revenue?
  expected_sql: SELECT SUM(total_amount) FROM main.s.bookings
  expected_asset: TABLE
  category: aggregation
  priority: P0
  split: train
- id: b
  question: Hosts?
  expected_sql: SELECT COUNT(*) FROM main.s.hosts WHERE is_superhost
  expected_asset: TABLE
  category: aggregation
  split: held_out
";

    fn questions() -> Vec<Benchmark> {
        benchmarks::parse("b.yaml", FILE).unwrap().questions
    }

    fn ids(scope: &str) -> Result<Vec<String>, ScopeError> {
        let all = questions();
        let scope: Scope = scope.parse()?;
        Ok(select(&scope, &all, &SplitPolicy::default())?
            .iter()
            .map(|b| b.id.clone())
            .collect())
    }

    #[test]
    fn each_scope_selects_its_questions() {
        assert_eq!(ids("full").unwrap(), ["a", "b"]);
        assert_eq!(ids("p0").unwrap(), ["a"]);
        assert_eq!(ids("held_out").unwrap(), ["b"]);
        assert_eq!(ids("train").unwrap(), ["a"]);
        assert_eq!(ids("ids:b").unwrap(), ["b"]);
        assert_eq!(ids("objects:hosts").unwrap(), ["b"]);
        assert_eq!(ids("objects:bookings.total_amount").unwrap(), ["a"]);
        assert_eq!(
            ids("objects:main.s.hosts,total_amount").unwrap(),
            ["a", "b"]
        );
    }

    #[test]
    fn unknown_ids_and_empty_selections_are_errors() {
        assert_eq!(
            ids("ids:a,zz").unwrap_err(),
            ScopeError::UnknownIds("zz".into())
        );
        assert_eq!(
            ids("objects:nothing").unwrap_err(),
            ScopeError::Empty("objects:nothing".into())
        );
        assert!(matches!(ids("p1").unwrap_err(), ScopeError::Unknown(_)));
        assert_eq!(ids("ids:").unwrap_err(), ScopeError::EmptyList("ids"));
    }
}
