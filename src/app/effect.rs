//! Effects: work `update` asks for but does not do itself. The run loop hands them to
//! workers (`SearchWorker`); tests and benchmarks can run them in place with `run_now`.

use crate::app::action::Msg;
use crate::app::search::SearchIndex;
use crate::app::state::AppState;
use crate::graph::store::ObjectId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};

/// A timeline and a cursor on it, owned, for a walk on another thread.
pub type Horizon = (Arc<crate::graph::timeline::Timeline>, usize);

fn as_of(h: &Option<Horizon>) -> Option<crate::graph::timeline::AsOf<'_>> {
    h.as_ref()
        .map(|(timeline, cursor)| crate::graph::timeline::AsOf {
            timeline,
            cursor: *cursor,
        })
}

/// Work requested by `update`.
#[derive(Clone)]
pub enum Effect {
    /// Walk the lineage of `roots`; answer with `Msg::LineageDone`.
    Lineage {
        /// Number of this walk; a newer number (or Esc) interrupts it.
        generation: u64,
        /// The graph.
        graph: Arc<crate::graph::ProvGraph>,
        /// Where to start.
        roots: Vec<crate::graph::store::NodeId>,
        /// Which way.
        way: crate::graph::lineage::Way,
        /// Limits.
        budget: crate::graph::lineage::Budget,
        /// The time cursor, when the walk sees the graph as of a point in its timeline.
        as_of: Option<Horizon>,
    },
    /// Find the flow paths from `from` to `to`; answer with `Msg::PathDone`. Runs on
    /// the walk worker, interrupted like a walk.
    Path {
        /// Number of this query (shared with walks).
        generation: u64,
        /// The graph.
        graph: Arc<crate::graph::ProvGraph>,
        /// Where information starts.
        from: Vec<crate::graph::store::NodeId>,
        /// Where it should arrive.
        to: crate::app::path_view::PathTarget,
        /// The time cursor, if not at the end.
        as_of: Option<Horizon>,
        /// Limits.
        budget: crate::graph::lineage::Budget,
    },
    /// Count the stats as of a time cursor; answer with `Msg::SummaryDone`. Runs on the
    /// walk worker, interrupted like a walk.
    Summary {
        /// Number of this request (shared with walks).
        generation: u64,
        /// The graph.
        graph: Arc<crate::graph::ProvGraph>,
        /// The timeline and the cursor.
        as_of: Horizon,
    },
    /// Write `files` (name, bytes) into the export directory; answer with
    /// `Msg::Exported`.
    Export {
        /// File names and contents.
        files: Vec<(String, Vec<u8>)>,
    },
    /// Interrupt the running walk (Esc): `generation` is newer than any walk started.
    CancelWalk {
        /// The new walk number.
        generation: u64,
    },
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
            Effect::Lineage {
                generation, way, ..
            } => write!(f, "Lineage({generation}, {way:?})"),
            Effect::CancelWalk { generation } => write!(f, "CancelWalk({generation})"),
            Effect::Path { generation, .. } => write!(f, "Path({generation})"),
            Effect::Summary { generation, .. } => write!(f, "Summary({generation})"),
            Effect::Export { files } => write!(f, "Export({} files)", files.len()),
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
            walk @ (Effect::Lineage { generation, .. }
            | Effect::Path { generation, .. }
            | Effect::Summary { generation, .. }) => {
                // The worker's own code, with a generation that never moves (nothing
                // interrupts it), its answer collected and fed back here.
                let answers = std::cell::RefCell::new(Vec::new());
                run_walk(walk, &AtomicU64::new(generation), &|msg| {
                    answers.borrow_mut().push(msg);
                    true
                });
                for msg in answers.into_inner() {
                    let more = state.update(msg);
                    run_now(state, more);
                }
            }
            Effect::CancelWalk { .. } => {}
            Effect::Export { files } => {
                let more = state.update(Msg::Exported(write_export(&files)));
                run_now(state, more);
            }
        }
    }
}

/// The stats as of a cursor, as the message that answers them (None: stopped).
fn count_as_of(
    generation: u64,
    graph: &crate::graph::ProvGraph,
    (timeline, cursor): &Horizon,
    stop: &dyn Fn() -> bool,
) -> Option<Msg> {
    let as_of = crate::graph::timeline::AsOf {
        timeline,
        cursor: *cursor,
    };
    let summary = crate::app::summary::summarize_as_of(graph, as_of, stop)?;
    Some(Msg::SummaryDone {
        generation,
        cursor: *cursor,
        summary: Box::new(summary),
    })
}

/// Where exports go: `$PROVSCOPE_EXPORT_DIR`, else the current directory.
fn export_dir() -> std::path::PathBuf {
    std::env::var_os("PROVSCOPE_EXPORT_DIR")
        .map_or_else(|| std::path::PathBuf::from("."), Into::into)
}

/// Writes an export's files; never overwrites an existing file.
fn write_export(files: &[(String, Vec<u8>)]) -> Result<Vec<String>, String> {
    let dir = export_dir();
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, bytes));
        match result {
            Ok(()) => written.push(path.display().to_string()),
            Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
        }
    }
    Ok(written)
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
                } = job
                else {
                    continue;
                };
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
        if let Effect::Search { generation, .. } = &effect {
            self.latest.store(*generation, Ordering::Relaxed);
            let _ = self.jobs.send(effect);
        }
    }
}

/// A thread that runs lineage walks off the UI thread. A newer walk, or Esc (which bumps
/// the generation through [`WalkWorker::interrupt`]), interrupts the running one.
pub struct WalkWorker {
    jobs: Sender<Effect>,
    latest: Arc<AtomicU64>,
}

impl WalkWorker {
    /// Starts the worker; answers go to `reply` as messages.
    pub fn spawn<F>(reply: F) -> WalkWorker
    where
        F: Fn(Msg) -> bool + Send + 'static,
    {
        let (jobs, rx): (Sender<Effect>, Receiver<Effect>) = mpsc::channel();
        let latest = Arc::new(AtomicU64::new(0));
        let seen = latest.clone();
        std::thread::spawn(move || {
            while let Ok(mut job) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    job = newer;
                }
                if !run_walk(job, &seen, &reply) {
                    return;
                }
            }
        });
        WalkWorker { jobs, latest }
    }

    /// Hands a walk to the worker (interrupting an older one), or interrupts.
    pub fn execute(&self, effect: Effect) {
        match &effect {
            Effect::Lineage { generation, .. }
            | Effect::Path { generation, .. }
            | Effect::Summary { generation, .. } => {
                self.latest.store(*generation, Ordering::Relaxed);
                let _ = self.jobs.send(effect);
            }
            Effect::CancelWalk { generation } => {
                self.latest.store(*generation, Ordering::Relaxed);
            }
            Effect::Search { .. } | Effect::Export { .. } => {}
        }
    }
}

/// Runs one walk or path query on the worker; false when the UI is gone.
fn run_walk(job: Effect, latest: &AtomicU64, reply: &dyn Fn(Msg) -> bool) -> bool {
    match job {
        Effect::Lineage {
            generation,
            graph,
            roots,
            way,
            budget,
            as_of: horizon,
        } => {
            let stop = || latest.load(Ordering::Relaxed) != generation;
            let lineage = crate::graph::lineage::lineage_as_of(
                &graph,
                &roots,
                way,
                budget,
                as_of(&horizon),
                &stop,
            );
            stop()
                || reply(Msg::LineageDone {
                    generation,
                    lineage,
                })
        }
        Effect::Path {
            generation,
            graph,
            from,
            to,
            as_of: horizon,
            budget,
        } => {
            let stop = || latest.load(Ordering::Relaxed) != generation;
            let found = crate::app::path_view::find_paths(
                &graph,
                &from,
                &to,
                as_of(&horizon),
                budget,
                &stop,
            );
            match found {
                Some(paths) if !stop() => reply(Msg::PathDone { generation, paths }),
                _ => true,
            }
        }
        Effect::Summary {
            generation,
            graph,
            as_of: horizon,
        } => {
            let stop = || latest.load(Ordering::Relaxed) != generation;
            match count_as_of(generation, &graph, &horizon, &stop) {
                Some(msg) if !stop() => reply(msg),
                _ => true,
            }
        }
        Effect::Search { .. } | Effect::Export { .. } | Effect::CancelWalk { .. } => true,
    }
}

/// The UI's background workers, each effect to the one that runs it.
pub struct Workers {
    search: SearchWorker,
    walks: WalkWorker,
    counts: WalkWorker,
    reply: Box<dyn Fn(Msg) -> bool + Send + Sync>,
}

impl Workers {
    /// Starts them; answers go to `reply`.
    pub fn spawn<F>(reply: F) -> Workers
    where
        F: Fn(Msg) -> bool + Send + Sync + Clone + 'static,
    {
        Workers {
            search: SearchWorker::spawn(reply.clone()),
            walks: WalkWorker::spawn(reply.clone()),
            counts: WalkWorker::spawn(reply.clone()),
            reply: Box::new(reply),
        }
    }

    /// Hands an effect to its worker.
    pub fn execute(&self, effect: Effect) {
        match effect {
            Effect::Search { .. } => self.search.execute(effect),
            Effect::Lineage { .. } | Effect::Path { .. } | Effect::CancelWalk { .. } => {
                self.walks.execute(effect);
            }
            // Its own thread: its numbering is not the walks', and counting must not
            // interrupt a walk (nor a walk the counting).
            Effect::Summary { .. } => self.counts.execute(effect),
            // Small files: written here, in the effects layer, and answered at once.
            Effect::Export { files } => {
                (self.reply)(Msg::Exported(write_export(&files)));
            }
        }
    }
}
