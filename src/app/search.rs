//! Fuzzy search over every object: its label (path, command line, address, ...), type,
//! pid and identifier, ranked by fuzzy-matcher's skim scorer. The index is built by the
//! loader, off the UI thread; matching runs on a worker (see `effect`), so a keystroke
//! costs the UI one frame however big the trace is. A query that extends the previous one
//! only rescans the previous matches.

use crate::graph::store::{ObjectId, ProvGraph};
use crate::graph::value;
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::sync::Arc;

/// The searchable text of every object.
#[derive(Default)]
pub struct SearchIndex {
    /// Text per object id (empty for objects with no vertex). Identifiers are not in it:
    /// fuzzy matching base64 finds every word in it; `id:` queries are exact lookups.
    texts: Vec<String>,
    /// Tie-break per object: the thing itself (a file, a task) before the names and
    /// arguments that mention it, which carry the same text.
    ranks: Vec<u8>,
}

/// 0 for objects users look for, 1 for path names, 2 for argv, addresses and the rest.
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "path" | "file_name" => 1,
        "argv" | "envp" | "address" | "string" | "iattr" => 2,
        _ => 0,
    }
}

impl SearchIndex {
    /// Builds the index of a graph.
    pub fn build(g: &ProvGraph) -> SearchIndex {
        let mut index = SearchIndex::default();
        index.extend(g);
        index
    }

    /// Indexes the objects `g` gained since this index was built from it (a live graph
    /// only grows). Objects already indexed keep their text.
    pub fn extend(&mut self, g: &ProvGraph) {
        self.extend_by(g, usize::MAX, &|| false);
    }

    /// The same, for at most `budget` objects and until `enough` says so (checked every
    /// few objects: a live view spreads the work over its ticks so that no frame waits
    /// for it); true when every object is indexed.
    pub fn extend_by(&mut self, g: &ProvGraph, budget: usize, enough: &dyn Fn() -> bool) -> bool {
        const CHECK_EVERY: usize = 64;
        let start = self.texts.len();
        let end = g.object_count().min(start.saturating_add(budget));
        for i in start..end {
            if i > start && (i - start).is_multiple_of(CHECK_EVERY) && enough() {
                break;
            }
            let o = ObjectId(u32::try_from(i).unwrap_or(u32::MAX));
            let Some(&first) = g.object(o).versions.first() else {
                self.ranks.push(2);
                self.texts.push(String::new());
                continue;
            };
            self.ranks.push(kind_rank(g.node_kind(first)));
            let mut text = g.object_label(o);
            text.push(' ');
            text.push_str(g.node_kind(first));
            if let Some(pid) = g.node_attr(first, "cf:pid").and_then(value::json_u64) {
                text.push_str(&format!(" pid:{pid}"));
            }
            self.texts.push(text);
        }
        self.texts.len() == g.object_count()
    }

    /// Number of objects indexed.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Objects matching `query`, best first; only `within` when given (a narrowing).
    /// Returns `None` when `cancelled` says a newer query made this one useless.
    pub fn find(
        &self,
        query: &str,
        within: Option<&[ObjectId]>,
        cancelled: &dyn Fn() -> bool,
    ) -> Option<Vec<ObjectId>> {
        if query.is_empty() {
            return Some(Vec::new());
        }

        let matcher = SkimMatcherV2::default().smart_case();
        let mut scored: Vec<(i64, ObjectId)> = Vec::new();
        let mut check = |i: usize, o: ObjectId, text: &str| -> Option<()> {
            if i.is_multiple_of(4096) && cancelled() {
                return None;
            }
            if let Some(s) = matcher.fuzzy_match(text, query) {
                scored.push((s, o));
            }
            Some(())
        };
        match within {
            Some(objects) => {
                for (i, &o) in objects.iter().enumerate() {
                    let text = self.texts.get(o.0 as usize).map_or("", String::as_str);
                    check(i, o, text)?;
                }
            }
            None => {
                for (i, text) in self.texts.iter().enumerate() {
                    if !text.is_empty() {
                        check(i, ObjectId(u32::try_from(i).unwrap_or(u32::MAX)), text)?;
                    }
                }
            }
        }
        let rank = |o: ObjectId| self.ranks.get(o.0 as usize).copied().unwrap_or(2);
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(rank(a.1).cmp(&rank(b.1)))
                .then(a.1.cmp(&b.1))
        });
        Some(scored.into_iter().map(|(_, o)| o).collect())
    }
}

/// Search state in the UI.
#[derive(Default)]
pub struct SearchState {
    /// The query as typed.
    pub query: String,
    /// Matches, best first, for `matched_query`.
    pub matches: Vec<ObjectId>,
    /// The query `matches` answer.
    pub matched_query: String,
    /// Index of the current match.
    pub current: usize,
    /// Number of the latest query sent to the worker.
    pub generation: u64,
    /// The index (shared with the worker).
    pub index: Arc<SearchIndex>,
}

impl std::fmt::Debug for SearchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SearchState({:?}, {} matches)",
            self.query,
            self.matches.len()
        )
    }
}

impl SearchState {
    /// True while the worker has not answered the latest query.
    pub fn pending(&self) -> bool {
        self.matched_query != self.query
    }

    /// The current match.
    pub fn current_match(&self) -> Option<ObjectId> {
        self.matches.get(self.current).copied()
    }

    /// Steps through matches, wrapping.
    pub fn step(&mut self, forward: bool) {
        let n = self.matches.len();
        if n == 0 {
            return;
        }
        self.current = if forward {
            (self.current + 1) % n
        } else {
            (self.current + n - 1) % n
        };
    }

    /// Forgets the query and matches (the index stays).
    pub fn clear(&mut self) {
        self.query.clear();
        self.matched_query.clear();
        self.matches.clear();
        self.current = 0;
        self.generation += 1;
    }
}
