//! Every user intent is an `Action` (bindable from the keymap by its snake_case name);
//! everything else that can happen to the app is a `Msg` (keys, resizes, loader news),
//! which config cannot bind.

use crate::app::loader::LoadEvent;
use serde::Deserialize;

/// What a user can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave provscope.
    Quit,
    /// Show the key help.
    ShowHelp,
    /// Show the process tree (from clone relations).
    ShowProcessTree,
    /// Show counts by type and family, top talkers, dangling edges, skipped lines.
    ShowStats,
    /// Show the selected task's process shared state: who wrote it, who read it.
    ShowSharedState,
    /// Backward lineage of the selection: where its information came from.
    ShowBackwardLineage,
    /// Forward lineage of the selection: where its information went.
    ShowForwardLineage,
    /// Export the lineage shown (or the selection and its relations) as DOT and W3C.
    Export,
    /// Start a fuzzy search over labels, paths, command lines, pids and ids.
    StartSearch,
    /// Select the next search match.
    NextMatch,
    /// Select the previous search match.
    PreviousMatch,
    /// Move the cursor up.
    MoveUp,
    /// Move the cursor down.
    MoveDown,
    /// Move the cursor up a page.
    PageUp,
    /// Move the cursor down a page.
    PageDown,
    /// Move to the first row.
    MoveTop,
    /// Move to the last row.
    MoveBottom,
    /// Expand the group, object or tree node under the cursor.
    Expand,
    /// Collapse it (or go to its parent row).
    Collapse,
    /// Enter: follow a relation, expand a group, open a tree entry.
    Activate,
    /// Move focus to the next pane.
    FocusNext,
    /// Move focus to the previous pane.
    FocusPrevious,
    /// Go back to the previous selection (like a browser).
    GoBack,
    /// Go forward again after going back.
    GoForward,
    /// Close the current screen, or clear the search.
    Escape,
    /// Accept the search query and keep its matches.
    ConfirmSearch,
    /// Drop the search query and its matches.
    CancelSearch,
    /// Delete the last character of the search query.
    SearchDelete,
    /// Freeze the live view for reading (the source is still read); again to catch up.
    TogglePause,
    /// Open the capture filter panel.
    ShowFilters,
    /// Save the capture policy as camflow.ini.
    SavePolicy,
    /// Add a filter to the capture policy by typing it (a path, pid, user, group, cgroup
    /// or IPv4 rule, or a type filter), and turn it on.
    AddFilter,
    /// Move the time cursor back one event (the panes show the graph as of then).
    StepBack,
    /// Move the time cursor forward one event.
    StepForward,
    /// Play the trace forward from the time cursor, or pause.
    TogglePlay,
    /// Play faster (1, 10, 100, 1000 events per second).
    PlayFaster,
    /// Play slower.
    PlaySlower,
    /// Ask where to move the time cursor: an event number, a percentage or a time.
    JumpTo,
    /// Move the time cursor to the end (now), following new events when live.
    JumpToEnd,
    /// Show or hide the timeline strip.
    ShowTimeline,
    /// Mark the selection as the start of a path query.
    MarkPathStart,
    /// Find the information-flow paths from the marked element to a target.
    FindPath,
    /// Accept what was typed at the prompt.
    ConfirmPrompt,
    /// Close the prompt.
    CancelPrompt,
    /// Delete the last character typed at the prompt.
    PromptDelete,
}

impl Action {
    /// One line for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ShowHelp => "this help",
            Action::ShowProcessTree => "process tree (parents from clone relations)",
            Action::ShowStats => "statistics: types, families, top talkers, skipped lines",
            Action::ShowSharedState => "shared state of the task's process: writers and readers",
            Action::ShowBackwardLineage => "backward lineage: where the selection's data came from",
            Action::ShowForwardLineage => "forward lineage: where the selection's data went",
            Action::Export => "export lineage or selection (DOT and W3C)",
            Action::StartSearch => "fuzzy search: labels, paths, command lines, pids, ids",
            Action::NextMatch => "next search match",
            Action::PreviousMatch => "previous search match",
            Action::MoveUp => "move up",
            Action::MoveDown => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::MoveTop => "first row",
            Action::MoveBottom => "last row",
            Action::Expand => "expand",
            Action::Collapse => "collapse / go to parent row",
            Action::Activate => "follow relation / expand / open",
            Action::FocusNext => "next pane",
            Action::FocusPrevious => "previous pane",
            Action::GoBack => "back to the previous selection",
            Action::GoForward => "forward again",
            Action::Escape => "close screen / clear search",
            Action::ConfirmSearch => "keep matches and leave the search line",
            Action::CancelSearch => "drop the search",
            Action::SearchDelete => "delete a character",
            Action::TogglePause => "pause / resume the live view (reading goes on)",
            Action::ShowFilters => "capture filters: toggle with Enter, rates before and after",
            Action::SavePolicy => "save the capture policy (camflow.ini) in the filter panel",
            Action::AddFilter => {
                "filter panel: type a rule (file opaque=/path, process track=PID, ...) and turn it on"
            }
            Action::StepBack => "time: one event back (panes show the graph as of then)",
            Action::StepForward => "time: one event forward",
            Action::TogglePlay => "time: play / pause",
            Action::PlayFaster => "time: play faster (1, 10, 100, 1000 events/s)",
            Action::PlaySlower => "time: play slower",
            Action::JumpTo => "time: jump to an event number, 50%, 08:00:25 or a date",
            Action::JumpToEnd => "time: to the end (now; follows a live source)",
            Action::ShowTimeline => "time: show / hide the timeline strip",
            Action::MarkPathStart => "path: mark the selection as the start",
            Action::FindPath => "path: flow paths from the mark to a target",
            Action::ConfirmPrompt => "accept",
            Action::CancelPrompt => "close the prompt",
            Action::PromptDelete => "delete a character",
        }
    }
}

/// Everything `update` handles.
#[derive(Debug)]
pub enum Msg {
    /// A bound action.
    Action(Action),
    /// A character typed into the search line.
    SearchInput(char),
    /// A character typed at the prompt.
    PromptInput(char),
    /// News from the loader thread.
    Load(LoadEvent),
    /// The terminal changed size.
    Resize,
    /// News from a live source's feed.
    Feed(crate::capture::transport::feed::FeedEvent),
    /// Time passes (live sessions and playback): rates, catching up, refreshing counts,
    /// playing forward.
    Tick,
    /// The loop is idle while records wait (a live source faster than the view): one
    /// more bounded ingest step.
    Ingest,
    /// An export was written (the paths) or failed (why).
    Exported(Result<Vec<String>, String>),
    /// A lineage walk finished (or was interrupted).
    LineageDone {
        /// Number of the walk.
        generation: u64,
        /// Its result.
        lineage: crate::graph::lineage::Lineage,
    },
    /// A path query finished (interrupted queries do not answer).
    PathDone {
        /// Number of the query.
        generation: u64,
        /// The shortest paths, each a list of relations in flow order (empty: no
        /// flow), or why there was nothing to look for.
        paths: Result<Vec<Vec<crate::graph::store::EdgeId>>, String>,
    },
    /// The stats as of the time cursor were counted.
    SummaryDone {
        /// Number of the request (shared with walks).
        generation: u64,
        /// The cursor position they are for.
        cursor: usize,
        /// The counts.
        summary: Box<crate::app::summary::Summary>,
    },
    /// The search worker's answer to query number `generation`.
    SearchDone {
        /// Which query this answers.
        generation: u64,
        /// The query.
        query: String,
        /// Matching objects, best first.
        matches: Vec<crate::graph::store::ObjectId>,
    },
}
