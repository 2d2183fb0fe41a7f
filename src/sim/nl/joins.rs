//! Join paths: the cheapest way from the fact table to every other table a query needs.
//!
//! Edges and their costs: join specs and UC foreign keys 1, joins mined from example SQL 1.5,
//! an `x_id` column matching another table's key 2, any other same-named text column 4. So
//! without declared joins a cheap wrong path (bookings → users → countries) can beat the right
//! one (bookings → properties → destinations → countries), as it does with real Genie.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::knowledge::{KJoin, Knowledge, short_name};

/// One join step in rendering order: `JOIN table ON left.col = right.col`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index of the table being joined in.
    pub table: usize,
    pub condition: String,
    pub source: &'static str,
}

static FROM_ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:FROM|JOIN)\s+([\w.`${}]+)(?:\s+(?:AS\s+)?(\w+))?")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});
static EQUALITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"`?(\w+)`?\.`?(\w+)`?\s*=\s*`?(\w+)`?\.`?(\w+)`?")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

const SQL_WORDS: &[&str] = &[
    "on", "where", "join", "left", "right", "inner", "group", "order", "limit", "using", "cross",
    "full",
];

/// Every usable edge between visible tables, cheapest kept per table pair and columns.
pub fn edges(k: &Knowledge) -> Vec<KJoin> {
    let mut all = k.joins.clone();
    all.extend(mined(k));
    all.extend(heuristic(k));
    all
}

/// Joins written in example SQL (Templar-style evidence), cost 1.5.
fn mined(k: &Knowledge) -> Vec<KJoin> {
    let mut out = Vec::new();
    for e in &k.examples {
        let aliases: Vec<(String, String)> = FROM_ALIAS
            .captures_iter(&e.sql)
            .filter_map(|c| {
                let table = short_name(c.get(1)?.as_str()).to_owned();
                let alias = c
                    .get(2)
                    .map(|a| a.as_str().to_owned())
                    .filter(|a| !SQL_WORDS.contains(&a.to_ascii_lowercase().as_str()))
                    .unwrap_or_else(|| table.clone());
                Some((alias, table))
            })
            .collect();
        let resolve = |a: &str| {
            aliases
                .iter()
                .find(|(alias, _)| alias == a)
                .and_then(|(_, t)| k.table(t))
        };
        for c in EQUALITY.captures_iter(&e.sql) {
            let parts: Option<Vec<&str>> = (1..=4).map(|i| c.get(i).map(|m| m.as_str())).collect();
            let Some(p) = parts else { continue };
            if let (Some(l), Some(r)) = (resolve(p[0]), resolve(p[2]))
                && l != r
                && k.tables[l].column(p[1]).is_some()
                && k.tables[r].column(p[3]).is_some()
            {
                out.push(KJoin {
                    left: k.tables[l].name.clone(),
                    left_column: p[1].to_owned(),
                    right: k.tables[r].name.clone(),
                    right_column: p[3].to_owned(),
                    cost: 1.5,
                    source: "example SQL",
                });
            }
        }
    }
    out
}

/// Naming heuristics: `x_id` = a table's key (2), other same-named text columns (4).
fn heuristic(k: &Knowledge) -> Vec<KJoin> {
    let mut out = Vec::new();
    for (a, ta) in k.tables.iter().enumerate() {
        for (b, tb) in k.tables.iter().enumerate() {
            if a >= b {
                continue;
            }
            for ca in &ta.columns {
                let Some(cb) = tb.column(&ca.name).map(|i| &tb.columns[i]) else {
                    continue;
                };
                let own_key = |t: &super::knowledge::KTable| {
                    t.primary_key.contains(&ca.name)
                        || ca.name == format!("{}_id", singular(t.short()))
                };
                let keyed = ca.is_key() && (own_key(ta) || own_key(tb));
                let text = !ca.is_key() && !ca.is_date() && !ca.is_numeric() && !ca.is_boolean();
                let cost = if keyed {
                    2.0
                } else if text {
                    4.0
                } else {
                    continue;
                };
                out.push(KJoin {
                    left: ta.name.clone(),
                    left_column: ca.name.clone(),
                    right: tb.name.clone(),
                    right_column: cb.name.clone(),
                    cost,
                    source: if keyed {
                        "key naming"
                    } else {
                        "same column name"
                    },
                });
            }
        }
    }
    out
}

/// The cheapest tree joining `needed` tables to `fact`, as ordered steps; `None` when some
/// table cannot be reached.
pub fn plan(k: &Knowledge, fact: usize, needed: &BTreeSet<usize>) -> Option<Vec<Step>> {
    let edges = edges(k);
    let mut joined: BTreeSet<usize> = BTreeSet::from([fact]);
    let mut steps = Vec::new();
    // Grow the tree: repeatedly attach the cheapest path to a missing needed table (Prim-like
    // over shortest paths, deterministic by table index).
    while let Some(target) = needed.iter().find(|t| !joined.contains(t)).copied() {
        let path = shortest(k, &edges, &joined, target)?;
        for (table, condition, source) in path {
            if joined.insert(table) {
                steps.push(Step {
                    table,
                    condition,
                    source,
                });
            }
        }
    }
    Some(steps)
}

type PathStep = (usize, String, &'static str);

/// Dijkstra from the joined set to `target`; returns the steps in order.
fn shortest(
    k: &Knowledge,
    edges: &[KJoin],
    from: &BTreeSet<usize>,
    target: usize,
) -> Option<Vec<PathStep>> {
    let n = k.tables.len();
    let mut dist = vec![f64::INFINITY; n];
    let mut prev: Vec<Option<(usize, String, &'static str)>> = vec![None; n];
    let mut done = vec![false; n];
    for &f in from {
        dist[f] = 0.0;
    }
    loop {
        let u = (0..n)
            .filter(|&i| !done[i] && dist[i].is_finite())
            .min_by(|&a, &b| dist[a].total_cmp(&dist[b]).then(a.cmp(&b)))?;
        if u == target {
            break;
        }
        done[u] = true;
        for e in edges {
            let (Some(l), Some(r)) = (k.table(&e.left), k.table(&e.right)) else {
                continue;
            };
            let (other, cond) = if l == u {
                (
                    r,
                    format!(
                        "{}.{} = {}.{}",
                        k.tables[l].short(),
                        e.left_column,
                        k.tables[r].short(),
                        e.right_column
                    ),
                )
            } else if r == u {
                (
                    l,
                    format!(
                        "{}.{} = {}.{}",
                        k.tables[l].short(),
                        e.left_column,
                        k.tables[r].short(),
                        e.right_column
                    ),
                )
            } else {
                continue;
            };
            let d = dist[u] + e.cost;
            if d < dist[other] - 1e-9 {
                dist[other] = d;
                prev[other] = Some((u, cond, e.source));
            }
        }
    }
    let mut path = Vec::new();
    let mut cur = target;
    while !from.contains(&cur) {
        let (p, cond, source) = prev[cur].clone()?;
        path.push((cur, cond, source));
        cur = p;
    }
    path.reverse();
    Some(path)
}

/// `properties` → `property`, `bookings` → `booking`: the stem key columns are named after.
fn singular(name: &str) -> String {
    if let Some(s) = name.strip_suffix("ies") {
        format!("{s}y")
    } else {
        name.strip_suffix('s').unwrap_or(name).to_owned()
    }
}
