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
use crate::sim::catalog::Catalog;
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

/// How many (space, catalog) pairs keep their [`Knowledge`] between questions.
const KNOWLEDGE_CACHE: usize = 8;

/// The NL engine's side of the simulator: the generated data its value dictionaries read, and
/// the knowledge built for the spaces and catalog states asked about most recently (building it
/// reads every entity-matching column's values, which dominates answering a question).
#[derive(Debug, Clone)]
pub struct EngineAnswerer {
    data: Arc<Dataset>,
    cache: Arc<Mutex<Vec<CachedKnowledge>>>,
}

/// Knowledge for one space over one catalog state.
#[derive(Debug)]
struct CachedKnowledge {
    space: SerializedSpace,
    catalog: Catalog,
    knowledge: Arc<Knowledge>,
}

impl EngineAnswerer {
    /// An answerer reading distinct values from `data` (the data the warehouse was loaded with).
    pub fn new(data: Arc<Dataset>) -> Self {
        Self {
            data,
            cache: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The knowledge of `space` over `catalog`: cached, or built (outside the cache's lock) and
    /// remembered, evicting the oldest entry.
    fn knowledge(&self, space: &SerializedSpace, catalog: Catalog) -> Arc<Knowledge> {
        let cached = self
            .lock_cache()
            .iter()
            .find(|c| c.space == *space && c.catalog == catalog)
            .map(|c| Arc::clone(&c.knowledge));
        if let Some(knowledge) = cached {
            return knowledge;
        }
        let info = CatalogInfo::from_catalog(&catalog);
        let knowledge = Arc::new(Knowledge::build(
            space,
            &info,
            &(&catalog, self.data.as_ref()),
        ));
        let mut cache = self.lock_cache();
        if cache.len() >= KNOWLEDGE_CACHE {
            cache.remove(0);
        }
        cache.push(CachedKnowledge {
            space: space.clone(),
            catalog,
            knowledge: Arc::clone(&knowledge),
        });
        knowledge
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Vec<CachedKnowledge>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let knowledge = self.knowledge(space, catalog);
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
