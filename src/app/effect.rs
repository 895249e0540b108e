//! Effects: work `update` asks for but does not do itself. The run loop hands them to
//! workers (`SearchWorker`); tests and benchmarks can run them in place with `run_now`.

use crate::app::action::Msg;
use crate::app::search::SearchIndex;
use crate::app::state::AppState;
use crate::graph::store::ObjectId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

/// Work requested by `update`.
#[derive(Clone)]
pub enum Effect {
    /// Match `query` against the index; answer with `Msg::SearchDone`.
    Search {
        /// Number of this query; older answers are dropped.
        generation: u64,
        /// The query.
        query: String,
        /// The index to search.
        index: Arc<SearchIndex>,
    },
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Search {
                generation, query, ..
            } => write!(f, "Search({generation}, {query:?})"),
        }
    }
}

/// Runs effects synchronously, feeding their answers back (tests, benchmarks).
pub fn run_now(state: &mut AppState, effects: Vec<Effect>) {
    let mut narrowing = Narrowing::default();
    for effect in effects {
        match effect {
            Effect::Search {
                generation,
                query,
                index,
            } => {
                let matches = narrowing
                    .find(&index, &query, &|| false)
                    .unwrap_or_default();
                let more = state.update(Msg::SearchDone {
                    generation,
                    query,
                    matches,
                });
                run_now(state, more);
            }
        }
    }
}

/// Remembers the last answer so a query that extends it rescans only its matches.
#[derive(Default)]
struct Narrowing {
    /// The index searched (by address), the query and its matches.
    last: Option<(usize, String, Vec<ObjectId>)>,
}

impl Narrowing {
    fn find(
        &mut self,
        index: &SearchIndex,
        query: &str,
        cancelled: &dyn Fn() -> bool,
    ) -> Option<Vec<ObjectId>> {
        // Every fuzzy match of "ab" contains a match of "a", so the old matches bound the new.
        let at = std::ptr::from_ref(index) as usize;
        let within = self
            .last
            .as_ref()
            .filter(|(i, q, _)| *i == at && !q.is_empty() && query.starts_with(q.as_str()))
            .map(|(_, _, m)| m.clone());
        let found = index.find(query, within.as_deref(), cancelled)?;
        self.last = Some((at, query.to_string(), found.clone()));
        Some(found)
    }
}

/// A thread that runs searches, always the newest, abandoning older ones.
pub struct SearchWorker {
    jobs: Sender<Effect>,
    latest: Arc<AtomicU64>,
}

impl SearchWorker {
    /// Starts the worker; answers go to `reply` as messages.
    pub fn spawn<F>(reply: F) -> SearchWorker
    where
        F: Fn(Msg) -> bool + Send + 'static,
    {
        let (jobs, rx): (Sender<Effect>, Receiver<Effect>) = mpsc::channel();
        let latest = Arc::new(AtomicU64::new(0));
        let seen = latest.clone();
        std::thread::spawn(move || {
            let mut narrowing = Narrowing::default();
            while let Ok(mut job) = rx.recv() {
                // Skip to the newest queued query.
                while let Ok(newer) = rx.try_recv() {
                    job = newer;
                }
                let Effect::Search {
                    generation,
                    query,
                    index,
                } = job;
                let cancelled = || seen.load(Ordering::Relaxed) != generation;
                if let Some(matches) = narrowing.find(&index, &query, &cancelled)
                    && !reply(Msg::SearchDone {
                        generation,
                        query,
                        matches,
                    })
                {
                    return;
                }
            }
        });
        SearchWorker { jobs, latest }
    }

    /// Hands an effect to the worker.
    pub fn execute(&self, effect: Effect) {
        let Effect::Search { generation, .. } = &effect;
        self.latest.store(*generation, Ordering::Relaxed);
        let _ = self.jobs.send(effect);
    }
}
