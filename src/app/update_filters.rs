//! `update` for the filter panel: open it, move over it, toggle a filter (the new policy
//! goes to the running capture at once), save the policy as camflow.ini (an export), and
//! and (in update_live) take the capture's filter counts as they arrive.

use crate::app::effect::Effect;
use crate::app::keymap::Mode;
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::state::{AppState, Screen};
use crate::policy::{Filter, ini};

impl AppState {
    /// F4: the filter panel (or back to the main screen).
    pub(crate) fn open_filters(&mut self) {
        if self.screen == Screen::Filters {
            self.screen = Screen::Main;
            return;
        }
        if self.live.is_none() {
            self.message = Some(String::from(
                "capture filters are for live captures; for a recording, try: provscope simulate TRACE --policy F",
            ));
            return;
        }
        self.screen = Screen::Filters;
    }

    /// Moves the panel's cursor.
    pub(crate) fn move_filter_cursor(&mut self, delta: isize) {
        let height = self.viewport.screen;
        if let Some(p) = self.live.as_mut().map(|l| &mut l.filters) {
            p.cursor.move_by(delta, p.rows.len(), height);
        }
    }

    /// Enter: turns the filter under the cursor on or off, in the running capture.
    pub(crate) fn toggle_filter(&mut self) {
        let Some(panel) = self.live.as_ref().map(|l| &l.filters) else {
            return;
        };
        let Some(filter) = panel.rows.get(panel.cursor.cursor).cloned() else {
            return;
        };
        let on = !panel.policy.has(&filter);
        self.set_filter(filter, on);
    }

    /// `a` in the filter panel: asks for a filter to add.
    pub(crate) fn ask_filter(&mut self) {
        if self.screen != Screen::Filters {
            self.message = Some(String::from("add filters in the filter panel (F4)"));
            return;
        }
        self.prompt = Some(Prompt {
            kind: PromptKind::Filter,
            text: String::new(),
        });
        self.mode = Mode::Prompt;
    }

    /// A filter typed at the prompt: listed first (the cursor on it) and turned on.
    pub(crate) fn add_filter(&mut self, text: &str) {
        let filter = match Filter::parse(text) {
            Ok(f) => f,
            Err(e) => {
                self.message = Some(format!("not added: {}", crate::text::sanitize(&e)));
                return;
            }
        };
        let Some(panel) = self.live.as_mut().map(|l| &mut l.filters) else {
            return;
        };
        let row = match panel.rows.iter().position(|f| *f == filter) {
            Some(row) => row,
            None => {
                panel.rows.insert(0, filter.clone());
                0
            }
        };
        panel.cursor.cursor = row;
        self.set_filter(filter, true);
    }

    /// Turns `filter` on or off in the running capture.
    fn set_filter(&mut self, filter: Filter, on: bool) {
        let Some(panel) = self.live.as_mut().map(|l| &mut l.filters) else {
            return;
        };
        let Some(control) = panel.control.clone() else {
            self.message = Some(String::from(
                "this source cannot be filtered: filters apply to `provscope live` captures",
            ));
            return;
        };
        if on {
            panel.policy.insert(filter.clone());
        } else {
            panel.policy.remove(&filter);
        }
        control.set(panel.policy.clone());
        self.message = Some(format!(
            "{} {}: {} (policy {})",
            crate::text::sanitize(&filter.to_string()),
            if on { "on" } else { "off" },
            // A daemon answers when it applied it; that answer replaces this line.
            if panel.remote {
                "sent to the capture daemon"
            } else {
                "applied to the capture"
            },
            panel.policy.fingerprint()
        ));
    }

    /// `w`: saves the panel's policy as camflow.ini.
    pub(crate) fn save_policy(&mut self) -> Vec<Effect> {
        let Some(panel) = self.live.as_ref().map(|l| &l.filters) else {
            self.message = Some(String::from("no policy to save: not a live session"));
            return Vec::new();
        };
        self.exports += 1;
        let name = format!(
            "provscope-policy-{}-{}.ini",
            std::process::id(),
            self.exports
        );
        vec![Effect::Export {
            files: vec![(name, ini::to_string(&panel.policy).into_bytes())],
        }]
    }
}
