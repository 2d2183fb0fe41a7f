//! Who answers the questions the server receives: the seam between the HTTP server and the
//! NL-to-SQL engine. The server calls [`Answerer::answer`] at exactly one place, once per message.
//!
//! [`Answerer::Engine`] is the real one: [`crate::sim::nl::answer`] over [`Knowledge`] built from
//! the space as stored and the warehouse's catalog *as it is now* (so DDL run through the
//! statements API, such as a new column comment or function, changes the next answer), with the
//! warehouse's pinned "today". The catalog is copied under the warehouse lock and the lock
//! released before answering, so answering never blocks SQL. [`Answerer::Scripted`] exists for
//! the server's own tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::warehouse::Warehouse;
use crate::model::space::SerializedSpace;
use crate::sim::answer::Answer;
use crate::sim::data::Dataset;
use crate::sim::nl::{self, CatalogInfo, Knowledge};

/// The source of answers.
#[derive(Debug, Clone)]
pub enum Answerer {
    /// The simulator's NL-to-SQL engine over the warehouse's catalog and this data.
    Engine(EngineAnswerer),
    /// Answers from a fixed table of question → answer, for tests of the server itself. A question
    /// not in the table gets a text answer saying so.
    Scripted(BTreeMap<String, Answer>),
}

/// The NL engine's side of the simulator: the generated data its value dictionaries read.
#[derive(Debug, Clone)]
pub struct EngineAnswerer {
    data: Arc<Dataset>,
}

impl EngineAnswerer {
    /// An answerer reading distinct values from `data` (the data the warehouse was loaded with).
    pub fn new(data: Arc<Dataset>) -> Self {
        Self { data }
    }

    fn answer(
        &self,
        warehouse: &Mutex<Warehouse>,
        space: &SerializedSpace,
        question: &str,
        jitter_seed: Option<u64>,
    ) -> Answer {
        let snapshot = {
            let warehouse = warehouse
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match &*warehouse {
                Warehouse::Engine(engine) => Some((engine.catalog().clone(), engine.as_of())),
                Warehouse::Scripted { .. } => None,
            }
        };
        let Some((catalog, as_of)) = snapshot else {
            return Answer::Text {
                text: "The NL engine needs the SQL engine's catalog; this warehouse is scripted."
                    .to_owned(),
            };
        };
        let info = CatalogInfo::from_catalog(&catalog);
        let knowledge = Knowledge::build(space, &info, &(&catalog, self.data.as_ref()));
        nl::answer(&knowledge, question, as_of, jitter_seed)
    }
}

impl Answerer {
    /// Answers one question about one space (templates resolved). `jitter_seed` is `Some` only
    /// when the nondeterminism fault is on; it varies between askings of the same question.
    pub fn answer(
        &self,
        warehouse: &Mutex<Warehouse>,
        space: &SerializedSpace,
        question: &str,
        jitter_seed: Option<u64>,
    ) -> Answer {
        match self {
            Self::Engine(engine) => engine.answer(warehouse, space, question, jitter_seed),
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
