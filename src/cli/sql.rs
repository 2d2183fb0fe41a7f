//! `genie-gitops sql "SELECT …"`: run one read-only statement on a SQL warehouse and print its
//! rows. Statements must pass [`crate::sql::guard`] (one query, no writes hidden anywhere), or be a
//! metadata look-up (`SHOW`, `DESCRIBE`, `EXPLAIN`). The workspace and warehouse come from
//! `--target` of `--repo` like every workspace command (see [`super::spaces::connect`]).

use std::io::{IsTerminal, Write};

use clap::Args as ClapArgs;

use super::Exit;
use super::OutputFormat;
use super::spaces::{ConnectionArgs, Invalid, connect, render_table, scope};
use crate::databricks::sql::StatementOptions;
use crate::model::result::ResultSet;
use crate::sql::guard;

/// `genie-gitops sql`.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The statement (read-only: SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, VALUES).
    pub statement: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// SQL warehouse id (else DATABRICKS_WAREHOUSE_ID, the target's warehouse, the profile's).
    #[arg(long, env = "DATABRICKS_WAREHOUSE_ID")]
    pub warehouse_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// Runs `sql`.
pub async fn run(args: Args) -> anyhow::Result<Exit> {
    if let Some(refusal) = read_only_refusal(&args.statement) {
        eprintln!(
            "error: {refusal}\n  hint: only read-only statements run here; apply changes through the repository and `deploy`"
        );
        return Ok(Exit::InvalidConfig);
    }
    let scope = match scope(&args.connection) {
        Ok(scope) => scope,
        Err(e) if e.downcast_ref::<Invalid>().is_some() => {
            eprintln!("error: {e:#}");
            return Ok(Exit::InvalidConfig);
        }
        Err(e) => return Err(e),
    };
    let workspace = connect(&args.connection, &scope, args.warehouse_id.clone())?;
    let Some(warehouse_id) = workspace.warehouse_id.clone() else {
        eprintln!(
            "error: no SQL warehouse configured\n  hint: pass --warehouse-id, set DATABRICKS_WAREHOUSE_ID, use a --target with a warehouse, or add `warehouse_id = …` to the profile"
        );
        return Ok(Exit::InvalidConfig);
    };
    let result = workspace
        .sql
        .execute(&args.statement, &StatementOptions::new(warehouse_id))
        .await?;
    let stdout = std::io::stdout();
    let text = render_result(&result, args.output, stdout.is_terminal())?;
    stdout.lock().write_all(text.as_bytes())?;
    Ok(Exit::Ok)
}

/// Renders a result set as a table (or TSV when piped) or as JSON.
pub fn render_result(
    result: &ResultSet,
    output: OutputFormat,
    tty: bool,
) -> anyhow::Result<String> {
    if output == OutputFormat::Json {
        return Ok(serde_json::to_string_pretty(result)? + "\n");
    }
    let header: Vec<String> = result.columns.iter().map(|c| c.name.clone()).collect();
    let rows: Vec<Vec<String>> = result
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| cell.unwrap_or("NULL").to_owned())
                .collect()
        })
        .collect();
    let mut text = render_table(&header, &rows, tty);
    if tty {
        let more = if result.truncated { " (truncated)" } else { "" };
        text.push_str(&format!("({} rows{more})\n", result.row_count()));
    }
    Ok(text)
}
/// Why the statement may not run, or `None` when it looks read-only: one statement whose first
/// keyword is a query keyword. Comments are skipped; quotes are respected when looking for a
/// second statement.
pub fn read_only_refusal(statement: &str) -> Option<String> {
    // Metadata look-ups cannot write, and sqlparser does not read all of them (`DESCRIBE TABLE`).
    let code = strip_comments(statement);
    let body = code.trim().trim_end_matches(';');
    let first = body
        .split(|c: char| c.is_whitespace() || c == '(')
        .find(|w| !w.is_empty())
        .map(str::to_ascii_uppercase);
    if first.is_some_and(|w| METADATA_KEYWORDS.contains(&w.as_str())) && !body.contains(';') {
        return None;
    }
    guard::check(statement).err().map(|e| e.to_string())
}

/// Statements that only read the catalog.
const METADATA_KEYWORDS: &[&str] = &["SHOW", "DESCRIBE", "DESC", "EXPLAIN"];

/// The statement with comments removed and string/identifier literals blanked, so keyword and
/// `;` checks only see code.
fn strip_comments(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if c == '\'' || c == '"' || c == '`' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str(" '' ");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::result::ResultColumn;

    #[test]
    fn queries_pass_the_read_only_guard() {
        for sql in [
            "SELECT 1",
            "  -- note\n with t as (select 1) select * from t;",
            "/* hi */ DESCRIBE TABLE a.b.c",
            "SELECT 'a;b', \"drop\" FROM t",
        ] {
            assert_eq!(read_only_refusal(sql), None, "{sql}");
        }
    }

    #[test]
    fn writes_and_multiple_statements_are_refused() {
        let refusals: Vec<String> = [
            "DROP TABLE t",
            "SELECT 1; DROP TABLE t",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "   ",
            "COMMENT ON TABLE t IS 'x'",
        ]
        .iter()
        .map(|sql| format!("{sql:?} -> {}", read_only_refusal(sql).unwrap_or_default()))
        .collect();
        insta::assert_snapshot!(refusals.join("\n"));
    }

    #[test]
    fn results_render_with_nulls_and_a_row_count_on_a_terminal() {
        let result = ResultSet {
            columns: vec![
                ResultColumn {
                    name: "region".into(),
                    type_name: "STRING".into(),
                },
                ResultColumn {
                    name: "n".into(),
                    type_name: "LONG".into(),
                },
            ],
            rows: vec![vec![Some("EU"), Some("10")], vec![Some("US"), None]].into(),
            truncated: false,
        };
        insta::assert_snapshot!(
            render_result(&result, OutputFormat::Text, true).unwrap_or_default()
        );
    }
}
