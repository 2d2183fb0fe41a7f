//! Lever 3: SQL function files — `CREATE [OR REPLACE] FUNCTION … RETURNS … COMMENT … RETURN …`.
//!
//! sqlparser cannot read Databricks function DDL, so this module has a small lexer of its own
//! (strings with `''` and `\` escapes, back-quoted names, `${…}` templates, `--` and `/* */`
//! comments, `$$` bodies, case-insensitive keywords) and reads the header: the identifier,
//! parameters (name, type such as `DECIMAL(18,2)`, `DEFAULT`, `COMMENT`), the return table's
//! columns or scalar type, the function `COMMENT`, and the body's byte range.
//!
//! Edits change the function `COMMENT` or a parameter's `COMMENT` and nothing else: the body and
//! every other byte stay as written, which the edit re-checks before returning. There is no
//! `ALTER FUNCTION … COMMENT` in Databricks, so the deployable DDL is the file's statement.

use crate::model::diag::{Diagnostic, line_col};
use crate::model::tables::sql_string;

/// A parsed function file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlFunction {
    /// `catalog.schema.name`, possibly with template variables.
    pub identifier: String,
    pub params: Vec<Param>,
    pub returns: Returns,
    /// The function `COMMENT` (unescaped) and the byte range of its literal.
    pub comment: Option<Located>,
    /// Byte range of the body after `RETURN` (or of the `$$` block after `AS`).
    pub body: (usize, usize),
    /// Byte offset just after the `RETURNS …` clause, where a new `COMMENT` goes.
    returns_end: usize,
    /// Byte range of the whole statement, without a trailing `;`.
    pub statement: (usize, usize),
}

/// A `COMMENT '…'` clause: the unescaped value and where the clause sits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    /// Byte range of the string literal.
    pub span: (usize, usize),
    /// Byte offset of the `COMMENT` keyword.
    pub keyword: usize,
}

/// One parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// The type as written, e.g. `DECIMAL(18,2)`.
    pub data_type: String,
    /// The default expression as written.
    pub default: Option<String>,
    pub comment: Option<Located>,
    /// Byte offset just after the parameter's last token.
    end: usize,
}

/// What the function returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returns {
    /// `RETURNS TABLE (col TYPE [COMMENT '…'], …)`.
    Table(Vec<ReturnColumn>),
    /// `RETURNS <type>`.
    Scalar(String),
}

impl Default for Returns {
    fn default() -> Self {
        Returns::Scalar(String::new())
    }
}

/// One column of a table function's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnColumn {
    pub name: String,
    pub data_type: String,
    pub comment: Option<String>,
}

impl SqlFunction {
    /// The statement to run to (re)create the function: the file's statement as written.
    pub fn ddl<'t>(&self, text: &'t str) -> &'t str {
        &text[self.statement.0..self.statement.1]
    }

    /// The parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A name, keyword or number (templates included).
    Word(String),
    /// A string literal, unescaped.
    Str(String),
    /// `$$ … $$` (or `$tag$ … $tag$`).
    Dollar,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

impl Token {
    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

/// A lexing or parsing problem at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SqlError {
    offset: usize,
    message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, SqlError> {
    Err(SqlError {
        offset,
        message: message.into(),
    })
}

fn lex(text: &str) -> Result<Vec<Token>, SqlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = text[i..].find('\n').map_or(text.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let close = text[i + 2..].find("*/");
                let Some(close) = close else {
                    return err(i, "unterminated `/*` comment");
                };
                i += close + 4;
                continue;
            }
            b'\'' | b'"' => {
                let (value, end) = lex_string(text, i)?;
                i = end;
                Tok::Str(value)
            }
            b'`' => {
                let close = text[i + 1..].find('`');
                let Some(close) = close else {
                    return err(i, "unterminated back-quoted name");
                };
                i += close + 2;
                Tok::Word(text[start..i].to_owned())
            }
            b'$' if is_dollar_tag(text, i) => {
                i = lex_dollar(text, i)?;
                Tok::Dollar
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' => {
                i = lex_word(text, i)?;
                Tok::Word(text[start..i].to_owned())
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                i += ch.len_utf8();
                Tok::Punct(ch)
            }
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// Reads a word: letters, digits, `_`, `$`, and `${…}` templates. Always consumes at least the
/// first character (the caller checked it is a word character).
fn lex_word(text: &str, mut i: usize) -> Result<usize, SqlError> {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let close = text[i..].find('}');
                let Some(close) = close else {
                    return err(i, "unterminated `${` template variable");
                };
                i += close + 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => i += 1,
            _ => break,
        }
    }
    Ok(i)
}

/// `$$` or `$tag$` (not `${`).
fn is_dollar_tag(text: &str, i: usize) -> bool {
    let rest = &text[i + 1..];
    let tag_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    rest[tag_len..].starts_with('$')
}

fn lex_dollar(text: &str, i: usize) -> Result<usize, SqlError> {
    let tag_end = text[i + 1..]
        .find('$')
        .map_or(text.len(), |n| i + 1 + n + 1);
    let tag = &text[i..tag_end];
    match text[tag_end..].find(tag) {
        Some(n) => Ok(tag_end + n + tag.len()),
        None => err(i, format!("unterminated `{tag}` block")),
    }
}

/// Reads a quoted string starting at `i`; `''` and backslash escapes are understood.
fn lex_string(text: &str, i: usize) -> Result<(String, usize), SqlError> {
    let quote = text.as_bytes()[i] as char;
    let mut value = String::new();
    let mut chars = text[i + 1..].char_indices().peekable();
    while let Some((n, c)) = chars.next() {
        let at = i + 1 + n;
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, other)) => value.push(other),
                None => return err(at, "a string ends with a lone `\\`"),
            },
            c if c == quote => {
                if chars.peek().map(|(_, c)| *c) == Some(quote) {
                    chars.next();
                    value.push(quote);
                } else {
                    return Ok((value, at + 1));
                }
            }
            c => value.push(c),
        }
    }
    err(i, "unterminated string literal")
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Cursor<'t> {
    text: &'t str,
    toks: Vec<Token>,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.text.len(), |t| t.start)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), SqlError> {
        if self.eat_word(word) {
            Ok(())
        } else {
            err(self.offset(), format!("expected `{word}`"))
        }
    }

    fn expect_punct(&mut self, c: char) -> Result<(), SqlError> {
        if self.peek().is_some_and(|t| t.is_punct(c)) {
            self.pos += 1;
            Ok(())
        } else {
            err(self.offset(), format!("expected `{c}`"))
        }
    }

    /// A dotted name: `a.b.c`.
    fn name(&mut self) -> Result<String, SqlError> {
        let mut name = String::new();
        loop {
            match self.next() {
                Some(Token {
                    tok: Tok::Word(w), ..
                }) => name.push_str(&w),
                _ => return err(self.offset_before(), "expected a name"),
            }
            if self.peek().is_some_and(|t| t.is_punct('.')) {
                self.pos += 1;
                name.push('.');
            } else {
                return Ok(name);
            }
        }
    }

    fn offset_before(&self) -> usize {
        self.toks
            .get(self.pos.saturating_sub(1))
            .map_or(self.text.len(), |t| t.start)
    }

    /// Source text of the tokens up to (not including) a top-level stop word or `,`/`)`.
    fn until_stop(&mut self, stops: &[&str]) -> Option<(String, usize)> {
        let first = self.pos;
        let mut depth = 0i32;
        while let Some(t) = self.peek() {
            let at_top = depth == 0;
            if at_top && (t.is_punct(',') || t.is_punct(')') || stops.iter().any(|s| t.is_word(s)))
            {
                break;
            }
            match t.tok {
                Tok::Punct('(' | '<') => depth += 1,
                Tok::Punct(')' | '>') => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        let last = self.toks.get(self.pos.checked_sub(1)?)?;
        let start = self.toks.get(first)?.start;
        (self.pos > first).then(|| (self.text[start..last.end].to_owned(), last.end))
    }

    /// The string literal after a `COMMENT` keyword just read.
    fn comment(&mut self) -> Result<Located, SqlError> {
        let keyword = self.offset_before();
        match self.next() {
            Some(Token {
                tok: Tok::Str(value),
                start,
                end,
            }) => Ok(Located {
                value,
                span: (start, end),
                keyword,
            }),
            _ => err(
                self.offset_before(),
                "expected a string literal after `COMMENT`",
            ),
        }
    }
}

/// Parses a function file. Errors are one [`Diagnostic`] at the offending `line:col`.
pub fn parse(file: &str, text: &str) -> Result<SqlFunction, Diagnostic> {
    parse_inner(text).map_err(|e| {
        let (line, col) = line_col(text, e.offset);
        Diagnostic::error(file, format!("cannot read the function: {}", e.message))
            .at(line, col)
            .hint("write `CREATE OR REPLACE FUNCTION cat.sch.f(p TYPE COMMENT '…') RETURNS TABLE (…) COMMENT '…' RETURN …`")
    })
}

fn parse_inner(text: &str) -> Result<SqlFunction, SqlError> {
    let mut c = Cursor {
        text,
        toks: lex(text)?,
        pos: 0,
    };
    let statement_start = c.offset();
    c.expect_word("CREATE")?;
    if c.eat_word("OR") {
        c.expect_word("REPLACE")?;
    }
    c.eat_word("TEMPORARY");
    c.expect_word("FUNCTION")?;
    if c.eat_word("IF") {
        c.expect_word("NOT")?;
        c.expect_word("EXISTS")?;
    }
    let mut f = SqlFunction {
        identifier: c.name()?,
        ..SqlFunction::default()
    };
    c.expect_punct('(')?;
    f.params = params(&mut c)?;
    c.expect_word("RETURNS")?;
    f.returns = returns(&mut c)?;
    f.returns_end = c.toks.get(c.pos.wrapping_sub(1)).map_or(0, |t| t.end);
    clauses(&mut c, &mut f)?;
    let end = statement_end(&c);
    f.statement = (statement_start, end);
    Ok(f)
}

fn params(c: &mut Cursor<'_>) -> Result<Vec<Param>, SqlError> {
    let mut out = Vec::new();
    if c.peek().is_some_and(|t| t.is_punct(')')) {
        c.pos += 1;
        return Ok(out);
    }
    loop {
        let name_at = c.offset();
        let name = c.name()?;
        if out
            .iter()
            .any(|p: &Param| p.name.eq_ignore_ascii_case(&name))
        {
            return err(name_at, format!("parameter `{name}` is declared twice"));
        }
        let (data_type, mut end) = c
            .until_stop(&["DEFAULT", "COMMENT", "RETURNS"])
            .ok_or_else(|| SqlError {
                offset: c.offset(),
                message: format!("parameter `{name}` has no type"),
            })?;
        let mut param = Param {
            name,
            data_type,
            ..Param::default()
        };
        loop {
            if c.eat_word("DEFAULT") {
                let (default, e) =
                    c.until_stop(&["COMMENT", "RETURNS"])
                        .ok_or_else(|| SqlError {
                            offset: c.offset(),
                            message: "expected a value after `DEFAULT`".into(),
                        })?;
                param.default = Some(default);
                end = e;
            } else if c.eat_word("COMMENT") {
                let comment = c.comment()?;
                end = comment.span.1;
                param.comment = Some(comment);
            } else {
                break;
            }
        }
        param.end = end;
        out.push(param);
        match c.next() {
            Some(t) if t.is_punct(',') => {}
            Some(t) if t.is_punct(')') => return Ok(out),
            _ => return err(c.offset_before(), "expected `,` or `)` after a parameter"),
        }
    }
}

fn returns(c: &mut Cursor<'_>) -> Result<Returns, SqlError> {
    if !c.eat_word("TABLE") {
        let stops = [
            "COMMENT",
            "LANGUAGE",
            "RETURN",
            "AS",
            "DETERMINISTIC",
            "NOT",
            "CONTAINS",
            "READS",
            "SQL",
        ];
        let (data_type, _) = c.until_stop(&stops).ok_or_else(|| SqlError {
            offset: c.offset(),
            message: "expected a type after `RETURNS`".into(),
        })?;
        return Ok(Returns::Scalar(data_type));
    }
    let mut columns = Vec::new();
    if !c.peek().is_some_and(|t| t.is_punct('(')) {
        return Ok(Returns::Table(columns));
    }
    c.pos += 1;
    loop {
        let name = c.name()?;
        let (data_type, _) = c.until_stop(&["COMMENT"]).ok_or_else(|| SqlError {
            offset: c.offset(),
            message: format!("return column `{name}` has no type"),
        })?;
        let comment = if c.eat_word("COMMENT") {
            Some(c.comment()?.value)
        } else {
            None
        };
        columns.push(ReturnColumn {
            name,
            data_type,
            comment,
        });
        match c.next() {
            Some(t) if t.is_punct(',') => {}
            Some(t) if t.is_punct(')') => return Ok(Returns::Table(columns)),
            _ => {
                return err(
                    c.offset_before(),
                    "expected `,` or `)` after a return column",
                );
            }
        }
    }
}

/// Reads the characteristics (`COMMENT`, `LANGUAGE`, …) and the body.
fn clauses(c: &mut Cursor<'_>, f: &mut SqlFunction) -> Result<(), SqlError> {
    loop {
        let Some(t) = c.next() else {
            return err(c.text.len(), "expected `RETURN <body>` (or `AS $$ … $$`)");
        };
        if t.is_word("COMMENT") {
            if f.comment.is_some() {
                return err(t.start, "the function has two `COMMENT` clauses");
            }
            f.comment = Some(c.comment()?);
        } else if t.is_word("RETURN") {
            let start = c.offset();
            f.body = (start, statement_end(c).max(start));
            if f.body.0 == f.body.1 {
                return err(start, "`RETURN` has no body");
            }
            return Ok(());
        } else if t.is_word("AS") {
            match c.next() {
                Some(Token {
                    tok: Tok::Dollar,
                    start,
                    end,
                }) => {
                    f.body = (start, end);
                    return Ok(());
                }
                _ => return err(c.offset_before(), "expected `$$ … $$` after `AS`"),
            }
        } else if matches!(t.tok, Tok::Str(_) | Tok::Dollar) || t.is_punct(';') {
            return err(t.start, "unexpected text before `RETURN`");
        }
    }
}

/// The offset after the last token that is not a trailing `;`.
fn statement_end(c: &Cursor<'_>) -> usize {
    let mut toks = c.toks.iter().rev().skip_while(|t| t.is_punct(';'));
    toks.next().map_or(c.text.len(), |t| t.end)
}

// ---------------------------------------------------------------------------------------------
// Edits

/// Why a function edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionEditError {
    #[error("{0}")]
    Parse(String),
    #[error("the function has no parameter `{0}`")]
    NoSuchParam(String),
    #[error("the edit would change more than the comment ({0}); edit the file by hand")]
    Unverified(String),
}

/// Sets (or, with `None`, removes) the function's `COMMENT`; the body stays byte-identical.
pub fn set_comment(text: &str, comment: Option<&str>) -> Result<String, FunctionEditError> {
    let f = parse_for_edit(text)?;
    let (range, replacement) = match (&f.comment, comment) {
        (Some(old), Some(new)) => (old.span, sql_string(new)),
        (None, Some(new)) => (
            (f.returns_end, f.returns_end),
            format!("\nCOMMENT {}", sql_string(new)),
        ),
        (Some(old), None) => (clause_range(text, old), String::new()),
        (None, None) => return Ok(text.to_owned()),
    };
    let out = splice(text, range, &replacement);
    verify(&f, &out, |g| {
        g.comment.as_ref().map(|c| c.value.as_str()) == comment
    })?;
    Ok(out)
}

/// Sets (or, with `None`, removes) a parameter's `COMMENT`.
pub fn set_param_comment(
    text: &str,
    param: &str,
    comment: Option<&str>,
) -> Result<String, FunctionEditError> {
    let f = parse_for_edit(text)?;
    let p = f
        .param(param)
        .ok_or_else(|| FunctionEditError::NoSuchParam(param.into()))?;
    let (range, replacement) = match (&p.comment, comment) {
        (Some(old), Some(new)) => (old.span, sql_string(new)),
        (None, Some(new)) => ((p.end, p.end), format!(" COMMENT {}", sql_string(new))),
        (Some(old), None) => (clause_range(text, old), String::new()),
        (None, None) => return Ok(text.to_owned()),
    };
    let out = splice(text, range, &replacement);
    verify(&f, &out, |g| {
        g.param(param)
            .and_then(|p| p.comment.as_ref())
            .map(|c| c.value.as_str())
            == comment
    })?;
    Ok(out)
}

fn parse_for_edit(text: &str) -> Result<SqlFunction, FunctionEditError> {
    parse("", text).map_err(|d| FunctionEditError::Parse(d.message))
}

/// The range of a `COMMENT '…'` clause and the whitespace before it.
fn clause_range(text: &str, comment: &Located) -> (usize, usize) {
    (text[..comment.keyword].trim_end().len(), comment.span.1)
}

fn splice(text: &str, range: (usize, usize), replacement: &str) -> String {
    format!("{}{replacement}{}", &text[..range.0], &text[range.1..])
}

/// Re-parses `out` and checks the intended change happened and the body did not move.
fn verify(
    before: &SqlFunction,
    out: &str,
    changed: impl Fn(&SqlFunction) -> bool,
) -> Result<(), FunctionEditError> {
    let after = parse_for_edit(out).map_err(|e| FunctionEditError::Unverified(e.to_string()))?;
    let same_shape = after.identifier == before.identifier
        && after.params.len() == before.params.len()
        && after.returns == before.returns;
    if !same_shape {
        return Err(FunctionEditError::Unverified(
            "the signature would change".into(),
        ));
    }
    if !changed(&after) {
        return Err(FunctionEditError::Unverified(
            "the comment does not read back".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TVF: &str = "-- Top hosts\nCREATE OR REPLACE FUNCTION ${catalog}.${gold_schema}.get_top_hosts(\n  start_date DATE COMMENT 'First day (inclusive)',\n  end_date DATE,\n  top_n INT DEFAULT 10 COMMENT 'How many hosts, e.g. ''10'''\n)\nRETURNS TABLE (host_id BIGINT, revenue DECIMAL(18,2) COMMENT 'Confirmed revenue')\nCOMMENT 'BEST FOR: top hosts by revenue. /* not a comment */'\nRETURN\n  SELECT h.host_id, SUM(b.total_amount) AS revenue -- note\n  FROM bookings b JOIN hosts h ON b.host_id = h.host_id\n  GROUP BY 1 ORDER BY 2 DESC LIMIT top_n;\n";

    #[test]
    fn the_header_is_read_with_types_defaults_and_comments() {
        let f = parse("f.sql", TVF).unwrap();
        assert_eq!(f.identifier, "${catalog}.${gold_schema}.get_top_hosts");
        let names: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["start_date", "end_date", "top_n"]);
        assert_eq!(f.params[2].default.as_deref(), Some("10"));
        assert_eq!(
            f.params[2].comment.as_ref().map(|c| c.value.as_str()),
            Some("How many hosts, e.g. '10'")
        );
        let Returns::Table(cols) = &f.returns else {
            panic!("expected a table function");
        };
        assert_eq!(cols[1].data_type, "DECIMAL(18,2)");
        assert!(
            f.comment
                .as_ref()
                .is_some_and(|c| c.value.ends_with("/* not a comment */"))
        );
        assert!(TVF[f.body.0..f.body.1].starts_with("SELECT h.host_id"));
        assert!(TVF[f.body.0..f.body.1].ends_with("LIMIT top_n"));
    }

    #[test]
    fn comment_edits_leave_the_body_byte_identical() {
        let edited =
            set_comment(TVF, Some("BEST FOR: top hosts, best hosts, host ranking")).unwrap();
        let edited = set_param_comment(&edited, "end_date", Some("Last day (inclusive)")).unwrap();
        insta::assert_snapshot!(
            similar::TextDiff::from_lines(TVF, &edited)
                .unified_diff()
                .to_string()
        );
        let body = |t: &str| {
            let f = parse("f.sql", t).unwrap();
            t[f.body.0..f.body.1].to_owned()
        };
        assert_eq!(body(TVF), body(&edited));
    }

    #[test]
    fn removing_then_restoring_comments_is_exact() {
        let f = parse("f.sql", TVF).unwrap();
        let old = f.comment.map(|c| c.value);
        let removed = set_comment(TVF, None).unwrap();
        assert!(!removed.contains("BEST FOR"));
        let inserted = set_param_comment(TVF, "end_date", Some("x")).unwrap();
        assert_eq!(set_param_comment(&inserted, "end_date", None).unwrap(), TVF);
        assert_eq!(set_comment(&removed, old.as_deref()).unwrap(), TVF);
    }

    #[test]
    fn a_scalar_function_and_dollar_body_are_read() {
        let text = "create function f(x double) returns double comment 'double it' language python as $$\nreturn x * 2\n$$";
        let f = parse("f.sql", text).unwrap();
        assert_eq!(f.returns, Returns::Scalar("double".into()));
        assert_eq!(&text[f.body.0..f.body.1], "$$\nreturn x * 2\n$$");
    }

    #[test]
    fn errors_point_at_the_line_and_column() {
        let e = parse("f.sql", "CREATE FUNCTION f(a INT\nRETURNS INT RETURN 1").unwrap_err();
        insta::assert_snapshot!(e.to_string());
        let e = parse("f.sql", "CREATE FUNCTION f() RETURNS STRING COMMENT 'oops").unwrap_err();
        insta::assert_snapshot!("unterminated_string", e.to_string());
        let e = parse(
            "f.sql",
            "CREATE FUNCTION f(a INT, A STRING) RETURNS INT RETURN 1",
        )
        .unwrap_err();
        let first = "f.sql:1:26: error: cannot read the function: parameter `A` is declared twice";
        assert_eq!(e.to_string().lines().next(), Some(first));
    }
}
