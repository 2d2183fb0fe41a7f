//! Putting a repository's benchmark questions into a space's `benchmarks.questions`.
//!
//! The native eval-runs API grades only the questions stored in the space itself, while a
//! repository keeps its benchmarks in files with `${…}` templates. [`with_benchmarks`] bridges
//! the two: each benchmark becomes a stored question with its SQL resolved for one target, under
//! a stable id derived from the benchmark's own id (so re-running never churns the space), and
//! the list is sorted by id as the API requires. The space's own earlier benchmark questions are
//! replaced: the files are the source of truth.

use thiserror::Error;

use super::{BenchmarkAnswer, BenchmarkQuestion, Benchmarks, SerializedSpace, new_id, to_lines};
use crate::model::benchmarks::Benchmark;
use crate::model::template::{TemplateError, Variables};

/// Why the benchmarks cannot be put into the space.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WithBenchmarksError {
    /// A benchmark's expected SQL names a variable the target does not define.
    #[error("benchmark `{id}`: {source}; define it for the target or fix the expected_sql")]
    Template {
        /// The benchmark's id.
        id: String,
        /// What was unknown.
        source: TemplateError,
    },
}

/// The stored question id of a benchmark: 32 hex characters, stable for the benchmark's id.
pub fn benchmark_question_id(benchmark_id: &str) -> String {
    new_id(&format!("benchmark:{benchmark_id}"))
}

/// `space` with `benchmarks.questions` replaced by `benchmarks`, their SQL resolved with `vars`,
/// sorted by id. Other keys of the `benchmarks` section are kept.
pub fn with_benchmarks(
    space: &SerializedSpace,
    benchmarks: &[Benchmark],
    vars: &Variables,
) -> Result<SerializedSpace, WithBenchmarksError> {
    let mut questions = benchmarks
        .iter()
        .map(|b| stored_question(b, vars))
        .collect::<Result<Vec<_>, _>>()?;
    questions.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = space.clone();
    let section = out.benchmarks.get_or_insert_with(Benchmarks::default);
    section.questions = questions;
    Ok(out)
}

fn stored_question(
    benchmark: &Benchmark,
    vars: &Variables,
) -> Result<BenchmarkQuestion, WithBenchmarksError> {
    let sql = benchmark
        .resolved_sql(vars)
        .map_err(|source| WithBenchmarksError::Template {
            id: benchmark.id.clone(),
            source,
        })?;
    Ok(BenchmarkQuestion {
        id: benchmark_question_id(&benchmark.id),
        question: vec![benchmark.question.clone()],
        answer: vec![BenchmarkAnswer {
            format: "SQL".to_owned(),
            content: to_lines(sql.trim()),
            ..Default::default()
        }],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::benchmarks;
    use crate::model::space::{is_valid_id, text};

    const FILE: &str = r#"
benchmarks:
  - id: b_two
    question: "How many hosts?"
    expected_sql: "SELECT COUNT(*) FROM ${catalog}.s.hosts"
    expected_asset: TABLE
    category: aggregation
  - id: b_one
    question: "How many bookings?"
    expected_sql: "SELECT COUNT(*)\nFROM ${catalog}.s.bookings"
    expected_asset: TABLE
    category: aggregation
"#;

    fn loaded() -> Vec<Benchmark> {
        match benchmarks::load("b.yaml", FILE) {
            Ok((file, _)) => file.questions,
            Err(errors) => panic!("{errors:#?}"),
        }
    }

    fn vars() -> Variables {
        let mut vars = Variables::new();
        vars.set("catalog", "main");
        vars
    }

    #[test]
    fn benchmarks_become_sorted_resolved_questions_with_stable_ids() {
        let space = with_benchmarks(&SerializedSpace::default(), &loaded(), &vars())
            .unwrap_or_else(|e| panic!("{e}"));
        let questions = space.benchmark_questions();
        assert_eq!(questions.len(), 2);
        assert!(questions.windows(2).all(|w| w[0].id < w[1].id));
        assert!(questions.iter().all(|q| is_valid_id(&q.id)));
        let bookings = questions
            .iter()
            .find(|q| q.id == benchmark_question_id("b_one"))
            .unwrap_or_else(|| panic!("b_one is stored"));
        assert_eq!(text(&bookings.question), "How many bookings?");
        assert_eq!(bookings.answer[0].format, "SQL");
        assert_eq!(
            text(&bookings.answer[0].content),
            "SELECT COUNT(*)\nFROM main.s.bookings"
        );
    }

    #[test]
    fn earlier_benchmark_questions_are_replaced_and_running_twice_changes_nothing() {
        let once = with_benchmarks(&SerializedSpace::default(), &loaded(), &vars())
            .unwrap_or_else(|e| panic!("{e}"));
        let twice = with_benchmarks(&once, &loaded(), &vars()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(once, twice);
    }

    #[test]
    fn an_unknown_variable_names_the_benchmark() {
        let error = with_benchmarks(&SerializedSpace::default(), &loaded(), &Variables::new())
            .expect_err("`catalog` is undefined");
        assert_eq!(
            error.to_string(),
            "benchmark `b_two`: unknown template variable: `${catalog}`; define it for the target or fix the expected_sql"
        );
    }
}
