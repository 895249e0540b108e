//! The time cursor's state: the trace's timeline, how many of its events are shown (or
//! "all of them, following new ones" at the tail), playback and its speed. Visibility
//! questions go through here so that every pane asks them the same way; at the tail
//! everything is visible and nothing is consulted.

use crate::graph::catalog::TypeGroup;
use crate::graph::store::{EdgeId, NodeId, ObjectId};
use crate::graph::timeline::{AsOf, Timeline};
use std::sync::Arc;

/// Playback speeds, in events per second.
pub const SPEEDS: [u64; 4] = [1, 10, 100, 1000];

/// The time cursor.
#[derive(Clone, Debug)]
pub struct TimeTravel {
    /// The order of events (shared with walks that run as of the cursor).
    pub timeline: Arc<Timeline>,
    /// Events shown; `None` at the tail: everything, following new events.
    pub cursor: Option<usize>,
    /// Playing forward on ticks.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Thousandths of an event carried from one tick to the next (slow speeds).
    pub carry: u64,
    /// The timeline strip was asked for (it also shows whenever the cursor is back).
    pub shown: bool,
    /// The whole catalog while the navigator shows the one as of the cursor.
    pub full_catalog: Option<Vec<TypeGroup>>,
    /// The index that moves the navigator's catalog with the cursor (made with
    /// `full_catalog`, dropped with it).
    pub catalog_index: Option<crate::graph::catalog_as_of::CatalogAsOf>,
    /// The graph grew since the timeline last took it in (live, while nobody looked at
    /// the time): it catches up when the time is next used.
    pub behind: bool,
    /// The stats screen's counts as of a cursor position (the last one counted; a newer
    /// count may be on its way).
    pub summary: Option<(usize, crate::app::summary::Summary)>,
    /// The cursor position whose counts were last asked for.
    pub summary_asked: Option<usize>,
    /// Number of the last request for counts (answers to older ones are dropped).
    pub summary_generation: u64,
}

impl Default for TimeTravel {
    fn default() -> Self {
        TimeTravel {
            timeline: Arc::new(Timeline::default()),
            cursor: None,
            playing: false,
            speed: 1,
            carry: 0,
            shown: false,
            full_catalog: None,
            catalog_index: None,
            behind: false,
            summary: None,
            summary_asked: None,
            summary_generation: 0,
        }
    }
}

impl TimeTravel {
    /// Number of events in the timeline.
    pub fn len(&self) -> usize {
        self.timeline.len()
    }

    /// True when the timeline has no events.
    pub fn is_empty(&self) -> bool {
        self.timeline.is_empty()
    }

    /// Events shown (all of them at the tail).
    pub fn position(&self) -> usize {
        self.cursor.unwrap_or_else(|| self.len())
    }

    /// What a walk may see: `None` at the tail (everything).
    pub fn as_of(&self) -> Option<AsOf<'_>> {
        self.cursor.map(|cursor| AsOf {
            timeline: &self.timeline,
            cursor,
        })
    }

    /// The same, owned, for a walk on another thread.
    pub fn horizon(&self) -> Option<(Arc<Timeline>, usize)> {
        self.cursor.map(|c| (self.timeline.clone(), c))
    }

    /// True when the relation has happened by the cursor.
    pub fn edge_visible(&self, e: EdgeId) -> bool {
        self.cursor.is_none_or(|c| self.timeline.edge_visible(e, c))
    }

    /// True when the vertex exists by the cursor.
    pub fn node_visible(&self, n: NodeId) -> bool {
        self.cursor.is_none_or(|c| self.timeline.node_visible(n, c))
    }

    /// True when some version of the object exists by the cursor.
    pub fn object_visible(&self, o: ObjectId) -> bool {
        self.cursor
            .is_none_or(|c| self.timeline.object_visible(o, c))
    }

    /// True when the strip is drawn.
    pub fn strip_visible(&self) -> bool {
        self.shown || self.cursor.is_some() || self.playing
    }

    /// Events per second at the current speed.
    pub fn speed_per_second(&self) -> u64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    /// Events to advance on one tick of `tick_ms`, carrying fractions to the next.
    pub fn take_tick(&mut self, tick_ms: u64) -> usize {
        self.carry += self.speed_per_second() * tick_ms;
        let steps = self.carry / 1000;
        self.carry %= 1000;
        usize::try_from(steps).unwrap_or(usize::MAX)
    }
}

/// Where a jump goes, as typed at the prompt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JumpTarget {
    /// `1234`: that many events shown.
    Position(usize),
    /// `50%`: that share of the events.
    Percent(f64),
    /// `2019:01:24T08:00:25`: everything up to that date.
    Date(u64),
    /// `08:00:25`: that time of day, on the day the trace starts.
    TimeOfDay(u64),
}

impl JumpTarget {
    /// Reads what was typed; None when it is none of the forms.
    pub fn parse(text: &str) -> Option<JumpTarget> {
        use crate::graph::timeline::{parse_date, time_of_day};
        let t = text.trim();
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().ok()?;
            return (0.0..=100.0).contains(&p).then_some(JumpTarget::Percent(p));
        }
        if let Ok(n) = t.parse::<usize>() {
            return Some(JumpTarget::Position(n));
        }
        if t.contains('T') {
            return parse_date(t).map(JumpTarget::Date);
        }
        time_of_day(t).map(JumpTarget::TimeOfDay)
    }

    /// The cursor position it means on `timeline`.
    pub fn resolve(self, timeline: &Timeline) -> usize {
        let len = timeline.len();
        match self {
            JumpTarget::Position(n) => n.min(len),
            JumpTarget::Percent(p) => {
                let at = (len as f64 * p / 100.0).round();
                (at.max(0.0) as usize).min(len)
            }
            JumpTarget::Date(ms) => timeline.cursor_at_date(ms),
            JumpTarget::TimeOfDay(ms) => {
                let day = timeline.first_date().map_or(0, |d| d - d % 86_400_000);
                timeline.cursor_at_date(day + ms)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_targets_read_positions_shares_dates_and_times() {
        assert_eq!(JumpTarget::parse("42"), Some(JumpTarget::Position(42)));
        assert_eq!(JumpTarget::parse(" 50% "), Some(JumpTarget::Percent(50.0)));
        assert_eq!(JumpTarget::parse("150%"), None);
        assert_eq!(
            JumpTarget::parse("08:00:25"),
            Some(JumpTarget::TimeOfDay(28_825_000))
        );
        assert!(matches!(
            JumpTarget::parse("2019:01:24T08:00:25"),
            Some(JumpTarget::Date(_))
        ));
        assert_eq!(JumpTarget::parse("soon"), None);
    }

    #[test]
    fn slow_speeds_carry_fractions_of_events_between_ticks() {
        let mut t = TimeTravel {
            speed: 0,
            ..TimeTravel::default()
        };
        // 1 event/s on quarter-second ticks: one step every fourth tick.
        let steps: Vec<usize> = (0..8).map(|_| t.take_tick(250)).collect();
        assert_eq!(steps, [0, 0, 0, 1, 0, 0, 0, 1]);
        t.speed = 3;
        assert_eq!(t.take_tick(250), 250);
    }
}
