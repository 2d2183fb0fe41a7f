//! The controlled language the simulator understands in a space's text instructions.
//!
//! Real Genie reads free prose with an LLM; the simulator reads only these five sentence forms,
//! one per line (a leading `-`, `*` or number list marker is allowed). Every other line is
//! ignored — vague guidance does not help in the simulator either.
//!
//! | Form | Effect |
//! |---|---|
//! | `"<term>" means <sql>` | the term links (weight 1.0) to the SQL: a measure when it aggregates (`SUM(…)`), else a filter condition |
//! | `Always filter <table.column> <op> <value>` | added to every query that reads that table |
//! | `Use <table.column> for <words>` | the words link to that column (weight 1.0), like a synonym |
//! | `For <words> questions use <asset>` | questions containing the words prefer that table, metric view or function |
//! | `Default limit <N>` | ranking and list questions without a number return N rows |
//!
//! Identifiers may be backticked. When two rules define the same term, the first one wins and
//! the later one is reported as ignored. Broad rules apply broadly: `Use users.country for
//! country` sends every "country" to users, right or wrong.

use std::sync::LazyLock;

use regex::Regex;

use super::question::content_stems;

/// One understood instruction.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `"term" means sql`.
    Define {
        term: String,
        sql: String,
        aggregate: bool,
    },
    /// `Always filter t.c op v`.
    AlwaysFilter {
        table: String,
        column: String,
        condition: String,
    },
    /// `Use t.c for words`.
    UseColumn {
        table: String,
        column: String,
        words: Vec<String>,
    },
    /// `For words questions use asset`.
    Route { words: Vec<String>, asset: String },
    /// `Default limit N`.
    DefaultLimit(u64),
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern}: {e}"))
}

static DEFINE: LazyLock<Regex> = LazyLock::new(|| re(r#"(?i)^"([^"]+)"\s+means\s+(.+?)\.?$"#));
static ALWAYS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^always\s+filter\s+`?([\w]+)`?\.`?([\w]+)`?\s*(=|!=|<>|>=|<=|>|<|is not|is)\s*(.+?)\.?$",
    )
});
static USE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^use\s+`?([\w]+)`?\.`?([\w]+)`?\s+for\s+(.+?)\.?$"));
static ROUTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^for\s+(.+?)\s+questions?,?\s+use\s+`?([\w.]+)`?\.?$"));
static LIMIT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^default\s+limit\s+(\d+)\.?$"));
static AGGREGATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(SUM|COUNT|AVG|MIN|MAX|MEASURE)\s*\("));
static LIST_MARKER: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:[-*•]|\d+[.)])\s*"));

/// Parses an instruction block into rules (in order) and the lines it ignored.
pub fn parse(text: &str) -> (Vec<Rule>, Vec<String>) {
    let mut rules: Vec<Rule> = Vec::new();
    let mut ignored = Vec::new();
    for line in text.lines() {
        let line = LIST_MARKER.replace(line, "");
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(rule) if conflicts(&rules, &rule) => ignored.push(format!("{line} (conflict)")),
            Some(rule) => rules.push(rule),
            None => ignored.push(line.to_owned()),
        }
    }
    (rules, ignored)
}

fn words(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .flat_map(|part| part.split(" or "))
        .map(|w| content_stems(w.trim().trim_matches('"')).join(" "))
        .filter(|w| !w.is_empty())
        .collect()
}

fn parse_line(line: &str) -> Option<Rule> {
    if let Some(c) = DEFINE.captures(line) {
        let sql = c.get(2)?.as_str().trim().trim_matches('`').to_owned();
        return Some(Rule::Define {
            term: content_stems(c.get(1)?.as_str()).join(" "),
            aggregate: AGGREGATE.is_match(&sql),
            sql,
        });
    }
    if let Some(c) = ALWAYS.captures(line) {
        let (table, column) = (c.get(1)?.as_str(), c.get(2)?.as_str());
        let condition = format!(
            "{table}.{column} {} {}",
            c.get(3)?.as_str().to_ascii_uppercase(),
            c.get(4)?.as_str().trim()
        );
        return Some(Rule::AlwaysFilter {
            table: table.to_owned(),
            column: column.to_owned(),
            condition,
        });
    }
    if let Some(c) = USE.captures(line) {
        return Some(Rule::UseColumn {
            table: c.get(1)?.as_str().to_owned(),
            column: c.get(2)?.as_str().to_owned(),
            words: words(c.get(3)?.as_str()),
        });
    }
    if let Some(c) = ROUTE.captures(line) {
        return Some(Rule::Route {
            words: words(c.get(1)?.as_str()),
            asset: c.get(2)?.as_str().to_owned(),
        });
    }
    if let Some(c) = LIMIT.captures(line) {
        return c.get(1)?.as_str().parse().ok().map(Rule::DefaultLimit);
    }
    None
}

/// A later rule conflicts when it redefines a term or re-assigns words already assigned.
fn conflicts(rules: &[Rule], new: &Rule) -> bool {
    rules.iter().any(|old| match (old, new) {
        (Rule::Define { term: a, .. }, Rule::Define { term: b, .. }) => a == b,
        (Rule::UseColumn { words: a, .. }, Rule::UseColumn { words: b, .. }) => {
            b.iter().any(|w| a.contains(w))
        }
        (Rule::DefaultLimit(_), Rule::DefaultLimit(_)) => true,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_forms_are_understood_and_prose_is_ignored() {
        let text = "- \"revenue\" means SUM(bookings.total_amount)\n\
                    - Always filter `reviews`.`is_deleted` = false\n\
                    - Use destinations.country for country, nation\n\
                    - For occupancy questions use get_property_occupancy\n\
                    - Default limit 10\n\
                    Be helpful and accurate.";
        let (rules, ignored) = parse(text);
        assert_eq!(rules.len(), 5);
        assert_eq!(ignored, vec!["Be helpful and accurate.".to_owned()]);
        assert!(matches!(
            &rules[0],
            Rule::Define {
                aggregate: true,
                ..
            }
        ));
        assert_eq!(
            rules[1],
            Rule::AlwaysFilter {
                table: "reviews".into(),
                column: "is_deleted".into(),
                condition: "reviews.is_deleted = false".into()
            }
        );
    }

    #[test]
    fn the_first_definition_of_a_term_wins() {
        let (rules, ignored) = parse("\"adr\" means AVG(x)\n\"ADR\" means SUM(y)");
        assert_eq!(rules.len(), 1);
        assert_eq!(ignored.len(), 1);
    }
}
