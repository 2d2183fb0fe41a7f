//! Who answers the questions the server receives: the seam between the HTTP server and the
//! NL-to-SQL engine. The server calls [`Answerer::answer`] at exactly one place, once per message.

use std::collections::BTreeMap;

use crate::model::space::SerializedSpace;
use crate::sim::answer::Answer;

/// The source of answers.
#[derive(Debug, Clone)]
pub enum Answerer {
    /// Answers from a fixed table of question → answer, for tests of the server itself. A question
    /// not in the table gets a text answer saying so.
    Scripted(BTreeMap<String, Answer>),
}

impl Answerer {
    /// Answers one question about one space. `jitter_seed` is `Some` only when the nondeterminism
    /// fault is on; it varies between askings of the same question.
    pub fn answer(
        &self,
        _space: &SerializedSpace,
        question: &str,
        _jitter_seed: Option<u64>,
    ) -> Answer {
        match self {
            Self::Scripted(script) => {
                script
                    .get(question)
                    .cloned()
                    .unwrap_or_else(|| Answer::Text {
                        text: format!("The scripted answerer has no answer for \"{question}\"."),
                    })
            }
        }
    }
}
