//! The JUnit XML rendering of a report: one test suite per run, one test case per question
//! (class name = category), a `<failure>` for every question that did not pass (not
//! evaluable included: it is never a pass), carrying the reasons, the first cause and its fix.

use std::fmt::Write as _;

use super::Report;
use crate::eval::results::{Outcome, RunResults};

/// Escapes text for XML attributes and content.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders the report and its results as JUnit XML.
pub fn render(report: &Report, results: &RunResults) -> String {
    let failures = report.counts.total - report.counts.pass;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"genie-gitops evaluate\" tests=\"{}\" failures=\"{failures}\">",
        report.counts.total
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}/{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        xml(&report.run.space),
        xml(&report.run.target),
        report.counts.total
    );
    for q in &results.questions {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}: {}\"",
            xml(&q.category),
            xml(&q.id),
            xml(&q.question)
        );
        if q.outcome == Outcome::Pass {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let kind = match q.outcome {
            Outcome::NotEvaluable => "not_evaluable",
            _ => "fail",
        };
        let message = if q.reasons.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}: {}", q.reasons.join(", "))
        };
        let _ = write!(
            out,
            "      <failure type=\"{}\" message=\"{}\">",
            xml(q
                .asi
                .first()
                .map(|a| a.failure_type.as_str())
                .unwrap_or(kind)),
            xml(&message)
        );
        for asi in &q.asi {
            let blamed: Vec<String> = asi.blamed.iter().map(|b| b.name.clone()).collect();
            let _ = write!(
                out,
                "{}: {}\nblamed: {}\nfix: {}\n",
                xml(&asi.failure_type),
                xml(&asi.evidence),
                xml(&blamed.join(", ")),
                xml(&asi.counterfactual_fix)
            );
        }
        out.push_str("</failure>\n    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
