//! The one place state changes: `AppState::update(Msg)`. Pure: no I/O, no terminal, so
//! every interaction can be tested without a screen.

use crate::app::action::{Action, Msg};
use crate::app::effect::Effect;
use crate::app::keymap::Mode;
use crate::app::loader::{LoadEvent, Loaded};
use crate::app::navigator::NavRow;
use crate::app::relations::{self, LinkRow};
use crate::app::state::{AppState, Focus, LoadStatus, Screen};
use crate::app::tree;

impl AppState {
    /// Applies one message; returns the work it asks for.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Load(event) => self.on_load(event),
            Msg::Resize => {}
            Msg::Feed(event) => self.on_feed(event),
            Msg::Tick => {
                self.on_tick();
                let mut effects = self.play_tick();
                // Counts lost to a re-ranked live timeline are asked for again.
                effects.extend(self.count_stats_as_of());
                return effects;
            }
            Msg::Ingest => self.ingest_step(),
            Msg::PromptInput(c) => self.prompt_input(c),
            Msg::PathDone { generation, paths } => self.path_done(generation, paths),
            Msg::SearchInput(c) => {
                self.search.query.push(c);
                return self.run_search();
            }
            Msg::SearchDone {
                generation,
                query,
                matches,
            } => {
                if generation == self.search.generation {
                    self.search.matches = matches;
                    self.search.matched_query = query;
                    self.search.current = 0;
                    self.show_match();
                }
            }
            Msg::Action(action) => return self.on_action(action),
            Msg::Exported(result) => self.exported(result),
            Msg::LineageDone {
                generation,
                lineage,
            } => self.lineage_done(generation, lineage),
            Msg::SummaryDone {
                generation,
                cursor,
                summary,
            } => self.summary_done(generation, cursor, *summary),
        }
        Vec::new()
    }

    fn on_load(&mut self, event: LoadEvent) {
        match event {
            LoadEvent::Progress { read, total } => self.load = LoadStatus::Loading { read, total },
            LoadEvent::Failed(message) => self.load = LoadStatus::Failed(message),
            LoadEvent::Done(loaded) => self.install(*loaded),
        }
    }

    /// Takes a finished graph: catalog, summary, first rows, first selection.
    pub fn install(&mut self, loaded: Loaded) {
        self.graph = std::sync::Arc::new(loaded.graph);
        self.report = loaded.report;
        self.catalog = loaded.catalog;
        self.summary = loaded.summary;
        self.search.index = std::sync::Arc::new(loaded.index);
        self.time.timeline = std::sync::Arc::new(loaded.timeline);
        self.time.catalog_index = loaded.catalog_index;
        self.time.full_catalog = None;
        // Small traces open with every type group expanded; big ones start folded.
        let objects: usize = self.catalog.iter().map(|t| t.objects.len()).sum();
        if objects <= 60 {
            self.expansion.open_groups = (0..self.catalog.len()).collect();
        }
        self.load = LoadStatus::Done;
        self.rebuild_nav();
        self.sync_selection_from_nav();
        if self.report.problems.total() > 0 {
            self.message = Some(format!(
                "{} line(s) skipped, {} element(s) skipped: F8 for reasons",
                self.report.problems.skipped_lines, self.report.problems.skipped_elements
            ));
        }
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        self.message = None;
        match action {
            Action::Quit => self.should_quit = true,
            Action::ShowHelp => self.open_screen(Screen::Help),
            Action::ShowStats => {
                self.open_screen(Screen::Stats);
                return self.count_stats_as_of();
            }
            Action::ShowProcessTree => self.open_tree(),
            Action::ShowSharedState => self.open_shared(),
            Action::StartSearch => {
                if self.load == LoadStatus::Done {
                    self.mode = Mode::Search;
                    self.screen = Screen::Main;
                    self.search.clear();
                }
            }
            Action::ConfirmSearch => self.mode = Mode::Normal,
            Action::CancelSearch => {
                self.mode = Mode::Normal;
                self.search.clear();
            }
            Action::SearchDelete => {
                self.search.query.pop();
                return self.run_search();
            }
            Action::TogglePause => self.toggle_pause(),
            Action::ShowFilters => self.open_filters(),
            Action::SavePolicy => return self.save_policy(),
            Action::AddFilter => self.ask_filter(),
            Action::NextMatch | Action::PreviousMatch => {
                self.search.step(action == Action::NextMatch);
                self.show_match();
            }
            Action::ShowBackwardLineage => {
                return self.open_lineage(crate::graph::lineage::Way::Backward);
            }
            Action::ShowForwardLineage => {
                return self.open_lineage(crate::graph::lineage::Way::Forward);
            }
            Action::Export => return self.export(),
            Action::StepBack
            | Action::StepForward
            | Action::TogglePlay
            | Action::PlayFaster
            | Action::PlaySlower
            | Action::JumpTo
            | Action::JumpToEnd
            | Action::ShowTimeline => return self.on_time_action(action),
            Action::MarkPathStart => self.mark_path_start(),
            Action::FindPath => self.ask_path_target(),
            Action::ConfirmPrompt => return self.confirm_prompt(),
            Action::CancelPrompt => {
                self.prompt = None;
                self.mode = Mode::Normal;
            }
            Action::PromptDelete => {
                if let Some(p) = &mut self.prompt {
                    p.text.pop();
                }
            }
            Action::Escape => {
                let cancel = self.cancel_walk();
                self.escape();
                return cancel;
            }
            Action::GoBack if matches!(self.screen, Screen::Lineage | Screen::Path) => {
                let cancel = self.cancel_walk();
                self.screen = Screen::Main;
                return cancel;
            }
            Action::GoBack => {
                if let Some(to) = self.history.back(self.selected) {
                    self.go_to(to, false);
                }
            }
            Action::GoForward => {
                if let Some(to) = self.history.forward(self.selected) {
                    self.go_to(to, false);
                }
            }
            Action::FocusNext | Action::FocusPrevious => {
                self.cycle_focus(action == Action::FocusNext)
            }
            Action::MoveUp => self.move_cursor(-1),
            Action::MoveDown => self.move_cursor(1),
            Action::PageUp => self.move_cursor(-(self.page() as isize)),
            Action::PageDown => self.move_cursor(self.page() as isize),
            Action::MoveTop => self.move_cursor(isize::MIN / 2),
            Action::MoveBottom => self.move_cursor(isize::MAX / 2),
            Action::Expand => self.expand(true),
            Action::Collapse => self.expand(false),
            Action::Activate => self.activate(),
        }
        Vec::new()
    }

    fn open_screen(&mut self, screen: Screen) {
        self.screen = if self.screen == screen {
            Screen::Main
        } else {
            screen
        };
        self.page_scroll = 0;
    }

    fn escape(&mut self) {
        if self.screen != Screen::Main {
            self.screen = Screen::Main;
        } else if !self.search.query.is_empty() {
            self.search.clear();
        } else if self.focus != Focus::Navigator {
            self.focus = Focus::Navigator;
        }
    }

    fn page(&self) -> usize {
        let rows = match (self.screen, self.focus) {
            (Screen::Main, Focus::Navigator) => self.viewport.navigator,
            (Screen::Main, Focus::Relations) => self.viewport.relations,
            (Screen::Main, Focus::Detail) => self.viewport.detail,
            _ => self.viewport.screen,
        };
        rows.saturating_sub(1).max(1)
    }

    fn cycle_focus(&mut self, forward: bool) {
        if self.screen != Screen::Main {
            return;
        }
        let order = [Focus::Navigator, Focus::Relations, Focus::Detail];
        let i = order.iter().position(|&f| f == self.focus).unwrap_or(0);
        let step = if forward { 1 } else { order.len() - 1 };
        self.focus = order[(i + step) % order.len()];
    }

    fn move_cursor(&mut self, delta: isize) {
        let vp = self.viewport;
        match (self.screen, self.focus) {
            (Screen::Main, Focus::Navigator) => {
                self.nav.move_by(delta, self.nav_rows.len(), vp.navigator);
                self.sync_selection_from_nav();
            }
            (Screen::Main, Focus::Relations) => {
                self.relations
                    .move_by(delta, self.relation_rows.len(), vp.relations);
            }
            (Screen::Main, Focus::Detail) => {
                let last = vp.detail_lines.saturating_sub(vp.detail);
                self.detail_scroll = self.detail_scroll.saturating_add_signed(delta).min(last);
            }
            (Screen::ProcessTree, _) => {
                self.tree_cursor
                    .move_by(delta, self.tree_rows.len(), vp.screen)
            }
            (Screen::Shared, _) => {
                self.shared_cursor
                    .move_by(delta, self.shared_rows.len(), vp.screen)
            }
            (Screen::Lineage, _) => {
                if let Some(v) = &mut self.lineage {
                    v.cursor.move_by(delta, v.rows.len(), vp.screen);
                }
            }
            (Screen::Filters, _) => self.move_filter_cursor(delta),
            (Screen::Path, _) => {
                if let Some(v) = &mut self.path {
                    v.cursor.move_by(delta, v.rows.len(), vp.screen);
                }
            }
            (Screen::Help | Screen::Stats, _) => {
                self.page_scroll = self
                    .page_scroll
                    .saturating_add_signed(delta.clamp(-100_000, 100_000));
            }
        }
    }

    /// Enter: follow, expand, or open, depending on where the cursor is.
    fn activate(&mut self) {
        match (self.screen, self.focus) {
            (Screen::Main, Focus::Navigator) => match self.nav_rows.get(self.nav.cursor) {
                Some(NavRow::Class(_) | NavRow::Group(_)) => self.toggle_nav_row(),
                Some(_) if !self.relation_rows.is_empty() => {
                    self.focus = Focus::Relations;
                    let first = first_edge_row(&self.relation_rows);
                    let (len, height) = (self.relation_rows.len(), self.viewport.relations);
                    self.relations.set(first, len, height);
                }
                _ => {}
            },
            (Screen::Main, Focus::Relations) => {
                if let Some(to) = self
                    .relation_rows
                    .get(self.relations.cursor)
                    .and_then(|r| r.target())
                {
                    self.go_to(to, true);
                }
            }
            (Screen::Main, Focus::Detail) | (Screen::Help | Screen::Stats, _) => {}
            (Screen::Filters, _) => self.toggle_filter(),
            (Screen::ProcessTree, _) => {
                let row = self.tree_rows.get(self.tree_cursor.cursor);
                if let Some(&latest) = row.and_then(|r| self.graph.object(r.object).versions.last())
                {
                    self.screen = Screen::Main;
                    self.focus = Focus::Navigator;
                    self.go_to(latest, true);
                }
            }
            (Screen::Path, _) => {
                if let Some(to) = self.path_cursor_node() {
                    self.screen = Screen::Main;
                    self.focus = Focus::Navigator;
                    self.go_to(to, true);
                }
            }
            (Screen::Lineage, _) => {
                if let Some(to) = self.lineage_cursor_node() {
                    self.screen = Screen::Main;
                    self.focus = Focus::Navigator;
                    self.go_to(to, true);
                }
            }
            (Screen::Shared, _) => {
                if let Some(to) = self
                    .shared_rows
                    .get(self.shared_cursor.cursor)
                    .and_then(|r| r.target())
                {
                    self.screen = Screen::Main;
                    self.focus = Focus::Navigator;
                    self.go_to(to, true);
                }
            }
        }
    }

    /// Sends the query to the search worker; an empty query clears at once.
    fn run_search(&mut self) -> Vec<Effect> {
        self.search.generation += 1;
        if self.search.query.is_empty() {
            self.search.matches.clear();
            self.search.matched_query.clear();
            return Vec::new();
        }
        // An identifier is looked up exactly, at once: no need for the worker.
        let id = self
            .search
            .query
            .strip_prefix("id:")
            .unwrap_or(&self.search.query);
        if let Some(n) = self.graph.find_node(&crate::graph::ElementKey::parse(id)) {
            self.search.matches = vec![self.graph.node(n).object];
            self.search.matched_query = self.search.query.clone();
            self.search.current = 0;
            self.show_match();
            return Vec::new();
        }
        vec![Effect::Search {
            generation: self.search.generation,
            query: self.search.query.clone(),
            index: self.search.index.clone(),
        }]
    }

    fn show_match(&mut self) {
        let Some(o) = self.search.current_match() else {
            return;
        };
        if !self.time.object_visible(o) {
            self.message = Some(String::from(
                "that match appears later in the timeline (e: to the end)",
            ));
            return;
        }
        if let Some(latest) = self.latest_visible(o) {
            self.screen = Screen::Main;
            self.focus = Focus::Navigator;
            self.set_selection(Some(latest));
            self.reveal(latest);
        }
    }

    fn open_tree(&mut self) {
        if self.screen == Screen::ProcessTree {
            self.screen = Screen::Main;
            return;
        }
        if self.tree.is_none() {
            self.tree = Some(self.graph.process_tree());
            self.rebuild_tree();
        }
        self.screen = Screen::ProcessTree;
        // Put the cursor on the selected task when there is one.
        let selected = self.selected.map(|n| self.graph.node(n).object);
        if let Some(i) = self
            .tree_rows
            .iter()
            .position(|r| Some(r.object) == selected)
        {
            self.tree_cursor
                .set(i, self.tree_rows.len(), self.viewport.screen);
        }
    }

    pub(crate) fn rebuild_tree(&mut self) {
        if let Some(t) = &self.tree {
            let time = &self.time;
            self.tree_rows = tree::tree_rows(t, &self.tree_folded, &|o| time.object_visible(o));
            self.tree_cursor
                .clamp(self.tree_rows.len(), self.viewport.screen);
        }
    }

    fn open_shared(&mut self) {
        if self.screen == Screen::Shared {
            self.screen = Screen::Main;
            return;
        }
        let Some(n) = self.selected else {
            self.message = Some("select a task or a process first".into());
            return;
        };
        let rows = relations::shared_rows(&self.graph, n, &|e| self.time.edge_visible(e));
        if rows.is_empty() {
            self.message = Some("no shared state: select a task or a process_memory".into());
            return;
        }
        self.shared_rows = rows;
        self.shared_of = Some(n);
        self.shared_cursor = Default::default();
        self.screen = Screen::Shared;
    }
}

fn first_edge_row(rows: &[LinkRow]) -> usize {
    rows.iter()
        .position(|r| matches!(r, LinkRow::Edge { .. }))
        .unwrap_or(0)
}
