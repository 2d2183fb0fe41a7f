//! The read-only guard: proves a SQL text is exactly one query before anything executes it.
//!
//! Benchmark ground truth and `genie-gitops sql` run user-supplied SQL on a warehouse, so the SQL
//! must not be able to change anything. [`check`] tokenizes with sqlparser's
//! `DatabricksDialect`, drops comments and trailing semicolons, and parses. It accepts exactly one
//! statement, and only a query (`SELECT`, `WITH … SELECT`, `VALUES`, set operations), refusing:
//! - any other statement (DML, DDL, `SET`, `USE`, `EXPLAIN`, `CALL`, …);
//! - a write hidden inside the query, such as `WITH x AS (INSERT … RETURNING …) SELECT …`;
//! - `SELECT … INTO t`, which creates a table.
//!
//! Template references (`${catalog}`) are replaced for parsing by an identifier of the same
//! length, so positions in errors still point into the text as written. `:name` parameter
//! placeholders are allowed.

use std::ops::ControlFlow;

use sqlparser::ast::{Query, SetExpr, Statement, visit_statements};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::model::template;

/// Why a SQL text is not a single read-only query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Nothing but whitespace, comments and semicolons.
    #[error("the SQL is empty")]
    Empty,
    /// The text does not parse; `line`/`col` are 1-based within the SQL (0 when unknown).
    #[error("SQL syntax error at line {line}, column {col}: {message}")]
    Syntax {
        /// The parser's message, without its position suffix.
        message: String,
        /// 1-based line within the SQL text.
        line: usize,
        /// 1-based column within the SQL text.
        col: usize,
    },
    /// More than one statement.
    #[error("expected exactly one statement, found {count}")]
    MultipleStatements {
        /// How many statements were found.
        count: usize,
    },
    /// A statement that is not a query.
    #[error("`{keyword}` is not a read-only query")]
    NotAQuery {
        /// The statement's leading keyword(s), e.g. `INSERT`, `CREATE`.
        keyword: String,
    },
    /// A query that contains a data-changing statement (e.g. in a CTE).
    #[error("the query hides a `{keyword}` statement")]
    HiddenWrite {
        /// The hidden statement's leading keyword.
        keyword: String,
    },
    /// `SELECT … INTO table`.
    #[error("`SELECT … INTO` creates a table")]
    SelectInto,
}

/// A SQL text that passed the guard.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOnlyQuery {
    /// The SQL with comments and trailing semicolons removed, templates kept as written.
    pub sql: String,
    /// The parsed query. Template references appear as placeholder identifiers
    /// (`${catalog}` → `__catalog_`); resolve templates first when the names matter.
    pub query: Box<Query>,
}

/// Checks that `sql` is exactly one read-only query.
pub fn check(sql: &str) -> Result<ReadOnlyQuery, GuardError> {
    let tokens = tokens_without_comments(sql)?;
    if tokens.iter().all(|t| is_blank(&t.token)) {
        return Err(GuardError::Empty);
    }
    let clean = render(&tokens);
    let statements = Parser::new(&DatabricksDialect {})
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(syntax_error)?;
    let statement = match <[Statement; 1]>::try_from(statements) {
        Ok([statement]) => statement,
        Err(statements) => {
            return Err(GuardError::MultipleStatements {
                count: statements.len(),
            });
        }
    };
    let Statement::Query(query) = statement else {
        return Err(GuardError::NotAQuery {
            keyword: keyword(&statement),
        });
    };
    ensure_no_writes(&query)?;
    Ok(ReadOnlyQuery {
        sql: restore_templates(sql, &clean),
        query,
    })
}

/// Removes comments and trailing semicolons from `sql`; fails only when it cannot be tokenized.
pub fn sanitize(sql: &str) -> Result<String, GuardError> {
    let tokens = tokens_without_comments(sql)?;
    Ok(restore_templates(sql, &render(&tokens)))
}

/// Replaces `${name}` with `__name_` (same length; `.` and `-` become `_`).
fn mask_templates(sql: &str) -> String {
    let refs = template::references(sql);
    template::substitute(sql, &refs, |r| {
        let name: String = r
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("__{name}_")
    })
}

/// Puts the original `${…}` references back into text rendered from masked tokens.
fn restore_templates(original: &str, clean: &str) -> String {
    let mut out = clean.to_string();
    let mut refs = template::references(original);
    refs.dedup_by(|a, b| a.name == b.name);
    for r in refs {
        let masked = mask_templates(&r.to_string());
        out = out.replace(&masked, &r.to_string());
    }
    out
}

fn tokens_without_comments(sql: &str) -> Result<Vec<TokenWithSpan>, GuardError> {
    let masked = mask_templates(sql);
    let dialect = DatabricksDialect {};
    let mut tokens = Tokenizer::new(&dialect, &masked)
        .tokenize_with_location()
        .map_err(|e| GuardError::Syntax {
            message: e.message,
            line: usize::try_from(e.location.line).unwrap_or(0),
            col: usize::try_from(e.location.column).unwrap_or(0),
        })?;
    tokens.retain(|t| !is_comment(&t.token));
    while tokens
        .last()
        .is_some_and(|t| is_blank(&t.token) || t.token == Token::SemiColon)
    {
        tokens.pop();
    }
    Ok(tokens)
}

fn is_comment(token: &Token) -> bool {
    matches!(
        token,
        Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_))
    )
}

fn is_blank(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_) | Token::SemiColon | Token::EOF)
}

fn render(tokens: &[TokenWithSpan]) -> String {
    let text: String = tokens.iter().map(|t| t.token.to_string()).collect();
    text.trim().to_string()
}

fn syntax_error(err: ParserError) -> GuardError {
    let message = match err {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "the query nests too deeply".to_string(),
    };
    let (message, line, col) = split_position(&message);
    GuardError::Syntax { message, line, col }
}

/// Splits sqlparser's ` at Line: L, Column: C` suffix off a message.
fn split_position(message: &str) -> (String, usize, usize) {
    let Some(at) = message.rfind(" at Line: ") else {
        return (message.to_string(), 0, 0);
    };
    let position = &message[at + " at Line: ".len()..];
    let mut numbers = position
        .split(", Column: ")
        .map(|n| n.trim().parse::<usize>().unwrap_or(0));
    let line = numbers.next().unwrap_or(0);
    let col = numbers.next().unwrap_or(0);
    (message[..at].to_string(), line, col)
}

/// The first one or two words of a statement, upper-cased (`INSERT`, `CREATE TABLE`).
fn keyword(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    let first = words.first().copied().unwrap_or("statement").to_uppercase();
    match (first.as_str(), words.get(1)) {
        ("CREATE" | "DROP" | "ALTER" | "TRUNCATE", Some(second)) => {
            format!("{first} {}", second.to_uppercase())
        }
        _ => first,
    }
}

fn ensure_no_writes(query: &Query) -> Result<(), GuardError> {
    let hidden = visit_statements(query, |statement| match statement {
        Statement::Query(q) => match select_into(q) {
            true => ControlFlow::Break(GuardError::SelectInto),
            false => ControlFlow::Continue(()),
        },
        other => ControlFlow::Break(GuardError::HiddenWrite {
            keyword: keyword(other),
        }),
    });
    if let ControlFlow::Break(err) = hidden {
        return Err(err);
    }
    match select_into(query) {
        true => Err(GuardError::SelectInto),
        false => Ok(()),
    }
}

/// True when any SELECT in the query's body (including set operations and CTEs) has `INTO`.
fn select_into(query: &Query) -> bool {
    let in_ctes = query
        .with
        .as_ref()
        .is_some_and(|with| with.cte_tables.iter().any(|cte| select_into(&cte.query)));
    in_ctes || set_expr_into(&query.body)
}

fn set_expr_into(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.into.is_some(),
        SetExpr::Query(q) => select_into(q),
        SetExpr::SetOperation { left, right, .. } => set_expr_into(left) || set_expr_into(right),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(sql: &str) -> String {
        match check(sql) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plain_queries_pass_with_comments_and_semicolons_removed() {
        let ok = check("-- total\nSELECT 1 AS x /* c */ ;;\n").unwrap();
        assert_eq!(ok.sql, "SELECT 1 AS x");
        assert_eq!(reason("WITH a AS (SELECT 1) SELECT * FROM a"), "ok");
        assert_eq!(reason("VALUES (1), (2)"), "ok");
        assert_eq!(reason("SELECT 1 UNION ALL SELECT 2"), "ok");
    }

    #[test]
    fn templates_and_parameters_are_accepted_and_kept() {
        let ok = check(
            "SELECT MEASURE(total) FROM ${catalog}.${var.gold-schema}.mv WHERE d >= :start_date",
        )
        .unwrap();
        assert_eq!(
            ok.sql,
            "SELECT MEASURE(total) FROM ${catalog}.${var.gold-schema}.mv WHERE d >= :start_date"
        );
    }

    #[test]
    fn writes_and_other_statements_are_refused_with_their_keyword() {
        assert_eq!(reason("DELETE FROM t"), "`DELETE` is not a read-only query");
        assert_eq!(
            reason("CREATE TABLE t AS SELECT 1"),
            "`CREATE TABLE` is not a read-only query"
        );
        assert_eq!(
            reason("INSERT INTO t SELECT 1"),
            "`INSERT` is not a read-only query"
        );
        assert_eq!(reason("SELECT 1 INTO t"), "`SELECT … INTO` creates a table");
        assert_eq!(
            reason("SELECT 1; DROP TABLE t"),
            "expected exactly one statement, found 2"
        );
        assert_eq!(reason(" ; -- nothing\n"), "the SQL is empty");
    }

    #[test]
    fn a_write_hidden_in_a_cte_is_refused() {
        assert_eq!(
            reason("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"),
            "the query hides a `DELETE` statement"
        );
    }

    #[test]
    fn a_syntax_error_carries_its_position_in_the_sql() {
        let err = check("SELECT\n  FROM FROM t").unwrap_err();
        let GuardError::Syntax { line, col, .. } = err else {
            panic!("expected a syntax error, got {err}");
        };
        assert_eq!(line, 2);
        assert!(col > 0);
    }
}
