//! The time cursor's part of `update`: stepping, playing on ticks, jumping (through the
//! prompt), back to the end; and what follows a move: the navigator, selection and
//! relations as of the cursor, and the lineage or path on screen walked again as of
//! then. Work per move is bounded by the number of objects (the catalog filter), never
//! by the number of relations.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::keymap::Mode;
use crate::app::live::TICKS_PER_SECOND;
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::relations::{self, LinkRow};
use crate::app::state::{AppState, LoadStatus, Screen};
use crate::app::time_travel::{JumpTarget, SPEEDS};
use crate::graph::catalog::TypeGroup;
use crate::graph::catalog_as_of::CatalogAsOf;
use crate::graph::store::{NodeId, ObjectId};

impl AppState {
    /// A time key.
    pub(crate) fn on_time_action(&mut self, action: Action) -> Vec<Effect> {
        if self.load != LoadStatus::Done {
            return Vec::new();
        }
        self.catch_up_time();
        if self.time.is_empty() {
            self.message = Some(String::from(
                "no relations in this trace: nothing to replay",
            ));
            return Vec::new();
        }
        let at = self.time.position();
        match action {
            Action::StepBack if at == 0 => {
                self.message = Some(String::from("at the start: no event shown"));
                return Vec::new();
            }
            Action::StepBack => {
                self.time.playing = false;
                self.set_time_cursor(at - 1);
            }
            Action::StepForward if self.time.cursor.is_none() => {
                self.message = Some(String::from("at the end: every event is shown"));
                return Vec::new();
            }
            Action::StepForward => {
                self.time.playing = false;
                self.set_time_cursor(at + 1);
            }
            Action::TogglePlay => {
                self.time.playing = !self.time.playing;
                self.time.carry = 0;
                // Playing at the end replays the trace from its start.
                if self.time.playing && self.time.cursor.is_none() {
                    self.time.cursor = Some(0);
                }
            }
            Action::PlayFaster | Action::PlaySlower => {
                let s = self.time.speed;
                self.time.speed = if action == Action::PlayFaster {
                    (s + 1).min(SPEEDS.len() - 1)
                } else {
                    s.saturating_sub(1)
                };
                self.time.shown = true;
                self.message = Some(format!(
                    "playback at {} events/s",
                    self.time.speed_per_second()
                ));
                return Vec::new();
            }
            Action::JumpTo => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Jump,
                    text: String::new(),
                });
                self.mode = Mode::Prompt;
                return Vec::new();
            }
            Action::JumpToEnd => {
                self.time.playing = false;
                self.time.cursor = None;
            }
            _ => {
                self.time.shown = !self.time.shown;
                return Vec::new();
            }
        }
        self.apply_time()
    }

    /// Puts the cursor at `position` events; all of them is the end (following).
    fn set_time_cursor(&mut self, position: usize) {
        self.time.cursor = (position < self.time.len()).then_some(position);
    }

    /// A tick while playing: forward by the speed's share of a second.
    pub(crate) fn play_tick(&mut self) -> Vec<Effect> {
        if !self.time.playing {
            return Vec::new();
        }
        let steps = self.time.take_tick(1000 / TICKS_PER_SECOND);
        if steps == 0 {
            return Vec::new();
        }
        self.set_time_cursor(self.time.position().saturating_add(steps));
        if self.time.cursor.is_none() {
            self.time.playing = false;
        }
        self.apply_time()
    }

    /// Enter at the prompt.
    pub(crate) fn confirm_prompt(&mut self) -> Vec<Effect> {
        let Some(prompt) = self.prompt.take() else {
            return Vec::new();
        };
        self.mode = Mode::Normal;
        match prompt.kind {
            PromptKind::Jump => self.jump(&prompt.text),
            PromptKind::PathTarget => self.find_path_to(&prompt.text),
            PromptKind::Filter => {
                self.add_filter(&prompt.text);
                Vec::new()
            }
        }
    }

    /// A character typed at the prompt.
    pub(crate) fn prompt_input(&mut self, c: char) {
        if let Some(p) = &mut self.prompt {
            p.text.push(c);
        }
    }

    fn jump(&mut self, text: &str) -> Vec<Effect> {
        let Some(target) = JumpTarget::parse(text) else {
            self.message = Some(format!(
                "cannot jump to '{}': type an event number, 50%, 08:00:25 or a cf:date",
                crate::text::sanitize_capped(text, 40)
            ));
            return Vec::new();
        };
        self.time.playing = false;
        let at = target.resolve(&self.time.timeline);
        self.set_time_cursor(at);
        self.apply_time()
    }

    /// The graph grew (live): the timeline takes the new events in; at the end the view
    /// follows them, elsewhere the cursor stays on the event it showed last.
    pub(crate) fn after_growth(&mut self) {
        // Taking new events in costs the whole order; while nobody looks at the time (at
        // the end, no strip), it waits until a time key is pressed.
        self.time.behind = true;
        if self.time.strip_visible() {
            self.catch_up_time();
        }
    }

    /// Takes in what the graph gained since the timeline last did, if it grew.
    fn catch_up_time(&mut self) {
        if !std::mem::take(&mut self.time.behind) {
            return;
        }
        let last_shown = self
            .time
            .cursor
            .and_then(|c| c.checked_sub(1))
            .and_then(|r| self.time.timeline.event(r));
        let timeline = std::sync::Arc::make_mut(&mut self.time.timeline);
        let moved = timeline.extend(&self.graph);
        if self.time.cursor.is_none() {
            return;
        }
        if moved {
            let at = last_shown
                .and_then(|e| timeline.rank_of(e))
                .map_or(0, |r| r + 1);
            self.time.cursor = Some(at);
        }
        // The catalog was just rebuilt whole; filter the new one.
        self.time.full_catalog = None;
        self.time.catalog_index = None;
        if moved {
            // Positions changed meaning: counts as of an old position are not as of
            // the new one.
            self.time.summary = None;
            self.time.summary_asked = None;
        }
        // Walks on screen are not redone for growth: only for a move of the cursor.
        self.filter_as_of();
    }

    /// The cursor moved: everything shown follows it.
    pub(crate) fn apply_time(&mut self) -> Vec<Effect> {
        self.filter_as_of();
        let mut effects = self.time_on_screens();
        effects.extend(match self.screen {
            Screen::Lineage => self.rewalk_lineage(),
            Screen::Path => self.rerun_path(),
            _ => Vec::new(),
        });
        effects
    }

    /// Catalog, navigator rows, selection and relations as of the cursor.
    fn filter_as_of(&mut self) {
        match self.time.cursor {
            None => {
                // The index stays: it is of the whole catalog, which comes back.
                if let Some(full) = self.time.full_catalog.take() {
                    self.catalog = full;
                }
            }
            Some(cursor) => match self.time.full_catalog.take() {
                // The catalog shown is as of the last cursor: move it.
                Some(full) => {
                    match &mut self.time.catalog_index {
                        Some(index) => {
                            index.move_to(&full, &mut self.catalog, cursor);
                        }
                        None => self.catalog = self.filter_catalog(&full),
                    }
                    self.time.full_catalog = Some(full);
                }
                // The catalog shown is the whole one: index it (unless the loader did),
                // then filter it.
                None => {
                    let full = std::mem::take(&mut self.catalog);
                    if self.time.catalog_index.is_none() {
                        self.time.catalog_index = CatalogAsOf::new(&full, &self.time.timeline);
                    }
                    self.catalog = match &mut self.time.catalog_index {
                        Some(index) => index.filter(&full, cursor),
                        None => self.filter_catalog(&full),
                    };
                    self.time.full_catalog = Some(full);
                }
            },
        }
        let here = self.nav_rows.get(self.nav.cursor).copied();
        let offset = self.nav.offset;
        self.rebuild_nav();
        if let Some(i) = here.and_then(|r| self.nav_rows.iter().position(|&x| x == r)) {
            self.nav.cursor = i;
            // Keep the row where it was on screen when that is still possible.
            self.nav.offset = offset.min(i);
            self.nav
                .clamp(self.nav_rows.len(), self.viewport.navigator.max(1));
        }
        let before = self.selected;
        self.sync_selection_from_nav();
        if self.selected == before
            && let Some(n) = before
        {
            // Same selection: its relations as of now, the cursor kept where it was.
            self.relation_rows = self.visible_relations(n);
            self.relations
                .clamp(self.relation_rows.len(), self.viewport.relations.max(1));
        }
        self.dirty = true;
    }

    /// Every group of `full` (empty ones too, so that group indices do not move) with
    /// the objects that exist by the cursor: the whole walk, for a catalog the index
    /// cannot move.
    fn filter_catalog(&self, full: &[TypeGroup]) -> Vec<TypeGroup> {
        full.iter()
            .map(|t| TypeGroup {
                class: t.class,
                kind: t.kind.clone(),
                objects: t
                    .objects
                    .iter()
                    .copied()
                    .filter(|&o| self.time.object_visible(o))
                    .collect(),
            })
            .collect()
    }

    /// The relations of `n` that have happened by the time cursor.
    pub(crate) fn visible_relations(&self, n: NodeId) -> Vec<LinkRow> {
        relations::relation_rows_visible(&self.graph, n, &|e| self.time.edge_visible(e))
    }

    /// The newest version of an object that exists by the time cursor.
    pub(crate) fn latest_visible(&self, o: ObjectId) -> Option<NodeId> {
        let versions = &self.graph.object(o).versions;
        versions
            .iter()
            .rev()
            .copied()
            .find(|&v| self.time.node_visible(v))
    }

    /// Every version of `n`'s object that exists by the time cursor.
    pub(crate) fn visible_versions(&self, n: NodeId) -> Vec<NodeId> {
        let versions = self.graph.versions(n);
        versions
            .iter()
            .copied()
            .filter(|&v| self.time.node_visible(v))
            .collect()
    }
}
