//! The application state: everything a frame is drawn from. Only `update` changes it;
//! views read it.

use crate::app::history::History;
use crate::app::keymap::{Keymap, Mode};
use crate::app::list_cursor::ListCursor;
use crate::app::navigator::{Expansion, NavRow};
use crate::app::relations::LinkRow;
use crate::app::search::SearchState;
use crate::app::summary::Summary;
use crate::app::tree::TreeRow;
use crate::capture::camflow::LoadReport;
use crate::graph::ProvGraph;
use crate::graph::catalog::TypeGroup;
use crate::graph::process_tree::ProcessTree;
use crate::graph::store::{NodeId, ObjectId};
use hashbrown::HashSet;

/// Which pane of the main screen has the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The Activities / Entities / Agents tree.
    Navigator,
    /// Incoming and outgoing relations of the selection.
    Relations,
    /// Attributes of the selection.
    Detail,
}

/// Which screen is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Navigator, detail and relations.
    Main,
    /// Process tree.
    ProcessTree,
    /// Counts and top talkers.
    Stats,
    /// Key help.
    Help,
    /// Shared state of a process: writers and readers.
    Shared,
    /// Backward or forward lineage of a selection.
    Lineage,
    /// Capture filters and their effect.
    Filters,
    /// Information-flow paths from a marked element to a target.
    Path,
}

/// Where loading stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    /// Reading; bytes read and total when known.
    Loading {
        /// Raw bytes read.
        read: u64,
        /// Total bytes, when known.
        total: Option<u64>,
    },
    /// Everything is loaded.
    Done,
    /// Loading failed.
    Failed(String),
}

/// Rows of the visible part of each list, from the last frame's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewport {
    /// Navigator rows.
    pub navigator: usize,
    /// Relations rows.
    pub relations: usize,
    /// Detail lines.
    pub detail: usize,
    /// Rows of the detail text once wrapped, so scrolling stops at its end.
    pub detail_lines: usize,
    /// Rows of a full-screen list (tree, shared state, help, stats).
    pub screen: usize,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            navigator: 18,
            relations: 8,
            detail: 8,
            detail_lines: 0,
            screen: 20,
        }
    }
}

/// The whole UI state.
pub struct AppState {
    /// What was opened (paths), for the status bar.
    pub source: String,
    /// The graph (empty while loading).
    pub graph: std::sync::Arc<ProvGraph>,
    /// Loading progress.
    pub load: LoadStatus,
    /// What the load skipped and why.
    pub report: LoadReport,
    /// Objects by class and type.
    pub catalog: Vec<TypeGroup>,
    /// Stats screen data.
    pub summary: Summary,
    /// Navigator rows.
    pub nav_rows: Vec<NavRow>,
    /// Navigator cursor.
    pub nav: ListCursor,
    /// What is expanded in the navigator.
    pub expansion: Expansion,
    /// The selected vertex.
    pub selected: Option<NodeId>,
    /// Relations of the selection.
    pub relation_rows: Vec<LinkRow>,
    /// Relations cursor.
    pub relations: ListCursor,
    /// Detail scroll (lines).
    pub detail_scroll: usize,
    /// Back/forward history of selections.
    pub history: History,
    /// Search query and matches.
    pub search: SearchState,
    /// Process tree (built when first shown).
    pub tree: Option<ProcessTree>,
    /// Folded tree entries.
    pub tree_folded: HashSet<ObjectId>,
    /// Tree rows.
    pub tree_rows: Vec<TreeRow>,
    /// Tree cursor.
    pub tree_cursor: ListCursor,
    /// Shared-state rows.
    pub shared_rows: Vec<LinkRow>,
    /// The task or process_memory the shared-state screen is about.
    pub shared_of: Option<NodeId>,
    /// Shared-state cursor.
    pub shared_cursor: ListCursor,
    /// Help and stats scroll.
    pub page_scroll: usize,
    /// Pane with the keys.
    pub focus: Focus,
    /// The lineage screen (a walk requested, running or done).
    pub lineage: Option<crate::app::lineage_view::LineageView>,
    /// Number of the newest walk requested.
    pub walk_generation: u64,
    /// Exports made so far (numbers the files).
    pub exports: u64,
    /// Screen shown.
    pub screen: Screen,
    /// Input mode.
    pub mode: Mode,
    /// A one-line message for the status bar.
    pub message: Option<String>,
    /// Key bindings.
    pub keymap: Keymap,
    /// Visible rows per list, from the last frame.
    pub viewport: Viewport,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// The user asked to leave.
    pub should_quit: bool,
    /// The live session, when the source is live.
    pub live: Option<crate::app::live::LiveView>,
    /// The time cursor over the trace's events.
    pub time: crate::app::time_travel::TimeTravel,
    /// The prompt on the hints line, when one is open (`Mode::Prompt`).
    pub prompt: Option<crate::app::prompt::Prompt>,
    /// The start of a path query, once marked.
    pub path_mark: Option<NodeId>,
    /// The path screen (a query requested, running or done).
    pub path: Option<crate::app::path_view::PathView>,
}

impl AppState {
    /// A state for `source`, waiting for its load.
    pub fn new(source: String, keymap: Keymap) -> AppState {
        AppState {
            source,
            graph: std::sync::Arc::new(ProvGraph::new()),
            load: LoadStatus::Loading {
                read: 0,
                total: None,
            },
            report: LoadReport::default(),
            catalog: Vec::new(),
            summary: Summary::default(),
            nav_rows: Vec::new(),
            nav: ListCursor::default(),
            expansion: Expansion::default(),
            selected: None,
            relation_rows: Vec::new(),
            relations: ListCursor::default(),
            detail_scroll: 0,
            history: History::default(),
            search: SearchState::default(),
            tree: None,
            tree_folded: HashSet::new(),
            tree_rows: Vec::new(),
            tree_cursor: ListCursor::default(),
            shared_rows: Vec::new(),
            shared_of: None,
            shared_cursor: ListCursor::default(),
            page_scroll: 0,
            focus: Focus::Navigator,
            lineage: None,
            walk_generation: 0,
            exports: 0,
            screen: Screen::Main,
            mode: Mode::Normal,
            message: None,
            keymap,
            viewport: Viewport::default(),
            dirty: true,
            should_quit: false,
            live: None,
            time: crate::app::time_travel::TimeTravel::default(),
            prompt: None,
            path_mark: None,
            path: None,
        }
    }
}
