//! Repeatability: do the attempts of one question (`--repeat N`) agree on outcome, SQL and
//! result, and did anything change against a previous results file? SQL is compared after
//! collapsing whitespace; results by the hash each attempt records. Pure.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::eval::results::{Attempt, Repeatability, RunResults};
use crate::model::result::ResultSet;

/// SQL with whitespace collapsed, for comparing texts.
pub fn normalize_sql(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SHA-256 (hex) of a result's column types and rows, row order kept.
pub fn result_hash(result: &ResultSet) -> String {
    let mut hasher = Sha256::new();
    for c in &result.columns {
        hasher.update(c.type_name.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.update([0x1e]);
    for row in &result.rows {
        for cell in row.iter() {
            match cell {
                Some(v) => {
                    hasher.update([1]);
                    hasher.update(v.as_bytes());
                }
                None => hasher.update([0]),
            }
            hasher.update([0x1f]);
        }
        hasher.update([0x1e]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Consistency of a question's attempts.
pub fn repeatability(attempts: &[Attempt]) -> Repeatability {
    let sql: BTreeSet<String> = attempts
        .iter()
        .map(|a| a.sql.as_deref().map(normalize_sql).unwrap_or_default())
        .collect();
    let results: BTreeSet<Option<&str>> =
        attempts.iter().map(|a| a.result_hash.as_deref()).collect();
    let outcomes: BTreeSet<_> = attempts.iter().map(|a| a.outcome).collect();
    Repeatability {
        attempts: attempts.len(),
        passes: attempts.iter().filter(|a| a.outcome.is_pass()).count(),
        distinct_sql: sql.len(),
        distinct_results: results.len(),
        consistent: sql.len() <= 1 && results.len() <= 1 && outcomes.len() <= 1,
    }
}

/// How one question's first attempt differs from a previous run's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub id: String,
    pub sql_changed: bool,
    pub result_changed: bool,
    pub outcome_changed: bool,
}

/// Questions present in both runs whose SQL, result or outcome changed, sorted by id.
pub fn drift(previous: &RunResults, current: &RunResults) -> Vec<Drift> {
    current
        .questions
        .iter()
        .filter_map(|now| {
            let before = previous.question(&now.id)?;
            let (a, b) = (before.attempts.first()?, now.attempts.first()?);
            let d = Drift {
                id: now.id.clone(),
                sql_changed: a.sql.as_deref().map(normalize_sql)
                    != b.sql.as_deref().map(normalize_sql),
                result_changed: a.result_hash != b.result_hash,
                outcome_changed: before.outcome != now.outcome,
            };
            (d.sql_changed || d.result_changed || d.outcome_changed).then_some(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::results::{AnswerKind, Outcome};

    fn attempt(sql: &str, hash: &str, outcome: Outcome) -> Attempt {
        Attempt {
            answer: AnswerKind::Sql,
            sql: Some(sql.into()),
            text: None,
            error_type: None,
            rows: Some(1),
            result_hash: Some(hash.into()),
            outcome,
            reasons: vec![],
            conversation_id: None,
        }
    }

    #[test]
    fn whitespace_does_not_make_sql_differ_but_a_new_result_does() {
        let same = repeatability(&[
            attempt("SELECT 1", "h", Outcome::Pass),
            attempt("SELECT\n  1", "h", Outcome::Pass),
        ]);
        assert!(same.consistent);
        assert_eq!((same.distinct_sql, same.passes), (1, 2));
        let differ = repeatability(&[
            attempt("SELECT 1", "h", Outcome::Pass),
            attempt("SELECT 2", "g", Outcome::Fail),
        ]);
        assert!(!differ.consistent);
        assert_eq!(
            (differ.distinct_sql, differ.distinct_results, differ.passes),
            (2, 2, 1)
        );
    }

    #[test]
    fn hashes_see_row_order_and_nulls() {
        use crate::model::result::ResultColumn;
        let r = |rows: Vec<Vec<Option<String>>>| ResultSet {
            columns: vec![ResultColumn {
                name: "a".into(),
                type_name: "STRING".into(),
            }],
            rows: rows.into(),
            truncated: false,
        };
        let ab = r(vec![vec![Some("a".into())], vec![Some("b".into())]]);
        let ba = r(vec![vec![Some("b".into())], vec![Some("a".into())]]);
        let null = r(vec![vec![None], vec![Some("b".into())]]);
        let empty = r(vec![vec![Some(String::new())], vec![Some("b".into())]]);
        assert_ne!(result_hash(&ab), result_hash(&ba));
        assert_ne!(result_hash(&null), result_hash(&empty));
    }
}
