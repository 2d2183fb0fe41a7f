//! Finding the `:name` parameter markers of an example's SQL.
//!
//! A parameterized example (a "trusted asset") refers to each declared parameter as `:name`. Not
//! every colon is a marker: this scanner skips string literals (`'…'`, `"…"`), quoted identifiers
//! (`` `…` ``), comments (`-- …`, `/* … */`), `::` casts and JSON paths (`raw:owner.name`, where
//! the colon follows an expression with no space). `` :`my name` `` is read as `my name`.

/// One `:name` marker and the byte offset of its colon in the SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRef {
    pub name: String,
    pub offset: usize,
}

/// The parameter markers in `sql`, in order of appearance (repeats included).
pub fn parameter_references(sql: &str) -> Vec<ParamRef> {
    let chars: Vec<(usize, char)> = sql.char_indices().collect();
    let mut refs = Vec::new();
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        i = match (c, next) {
            ('\'' | '"' | '`', _) => skip_quoted(&chars, i + 1, c),
            ('-', Some('-')) => skip_until(&chars, i + 2, "\n"),
            ('/', Some('*')) => skip_until(&chars, i + 2, "*/"),
            (':', Some(':')) => i + 2,
            (':', _) if follows_expression(&chars, i) => i + 1,
            (':', Some(_)) => match marker_name(&chars, i + 1) {
                Some((name, end)) => {
                    refs.push(ParamRef { name, offset });
                    end
                }
                None => i + 1,
            },
            _ => i + 1,
        };
    }
    refs
}

/// Index just past the closing `quote` of a literal whose body starts at `i`. A doubled quote or
/// a backslash escapes the quote (Databricks accepts both in string literals).
fn skip_quoted(chars: &[(usize, char)], mut i: usize, quote: char) -> usize {
    while let Some(&(_, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        match c {
            '\\' if quote != '`' => i += 2,
            c if c == quote && next == Some(quote) => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Index just past the first `end` at or after `i` (or the end of the text).
fn skip_until(chars: &[(usize, char)], mut i: usize, end: &str) -> usize {
    let end: Vec<char> = end.chars().collect();
    while i < chars.len() {
        let matches = end
            .iter()
            .enumerate()
            .all(|(k, e)| chars.get(i + k).is_some_and(|&(_, c)| c == *e));
        if matches {
            return i + end.len();
        }
        i += 1;
    }
    i
}

/// Whether the colon at `i` directly follows an expression (a JSON path like `raw:owner`).
fn follows_expression(chars: &[(usize, char)], i: usize) -> bool {
    i.checked_sub(1)
        .and_then(|p| chars.get(p))
        .is_some_and(|&(_, c)| is_ident_char(c) || matches!(c, ']' | ')' | '`' | '}'))
}

/// The parameter name starting at `i`, and the index just past it.
fn marker_name(chars: &[(usize, char)], i: usize) -> Option<(String, usize)> {
    let &(_, first) = chars.get(i)?;
    if first == '`' {
        let end = skip_quoted(chars, i + 1, '`');
        let name: String = chars
            .get(i + 1..end.saturating_sub(1))?
            .iter()
            .map(|&(_, c)| c)
            .collect();
        return (!name.is_empty()).then_some((name, end));
    }
    if !(first.is_alphabetic() || first == '_') {
        return None;
    }
    let len = chars
        .get(i..)?
        .iter()
        .take_while(|&&(_, c)| is_ident_char(c))
        .count();
    let name = chars.get(i..i + len)?.iter().map(|&(_, c)| c).collect();
    Some((name, i + len))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<String> {
        parameter_references(sql)
            .into_iter()
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn markers_are_found_with_their_offsets() {
        let refs = parameter_references("SELECT * FROM t WHERE d >= :start AND k = :kpi_1");
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].name, "start");
        assert_eq!(refs[0].offset, 27);
        assert_eq!(refs[1].name, "kpi_1");
    }

    #[test]
    fn casts_strings_comments_and_json_paths_are_not_markers() {
        let sql = "SELECT a::date, raw:owner.name, arr[0]:x, 'x :no', \"y :no\", `c :no`\n\
                   -- :no\n/* :no */ FROM t WHERE b = :yes AND c = ':no'' :no'";
        assert_eq!(names(sql), ["yes"]);
    }

    #[test]
    fn a_marker_after_punctuation_counts() {
        assert_eq!(names("IN (:a,:b) LIMIT 10 :param"), ["a", "b", "param"]);
        assert_eq!(names("WHERE x = :`my name`"), ["my name"]);
    }

    #[test]
    fn unterminated_literals_and_a_trailing_colon_do_not_panic() {
        assert!(names("SELECT 'abc :x").is_empty());
        assert!(names("SELECT :").is_empty());
        assert!(names("SELECT :`").is_empty());
        assert!(names("/* :x").is_empty());
    }
}
