//! The order of events in a trace, for replaying it: every relation is an event, ordered
//! by its relation `cf:id` (CamFlow's increasing relation counter), then `cf:jiffies`,
//! then `cf:date`, then arrival (the graph is append-only, so edge indices are arrival
//! order). Computed once per load (or extended as a live graph grows), never per key.
//!
//! A time cursor is a number of events shown, from 0 (before the first) to `len()` (all
//! of them). What is visible at a cursor:
//! - a relation is visible once its event is shown (its rank is below the cursor);
//! - a vertex is visible once the first event touching it is shown;
//! - a vertex no relation touches is placed by its arrival: it is visible from the
//!   number of events known when it arrived, so in a loaded trace from the start (part
//!   of the state the trace describes), and in a live one from where the stream was;
//! - the links provscope derives (user and group agents) are not events: they show with
//!   the vertex they describe, and a derived agent with the first activity it acts for.
//!
//! Each relation and vertex stores the cursor position from which it is shown, so the
//! visibility test is one array read. Memory: about 40 bytes per relation (its key,
//! rank and position), 12 per vertex and 4 per object.

use crate::graph::store::{EdgeId, NodeId, ObjectId, Origin, ProvGraph};
use crate::graph::value;

/// A missing key part sorts after every present one.
pub(crate) const MISSING: u64 = u64::MAX;
/// Not placed yet (while computing), or not known to this timeline (arrived later).
const UNSET: u32 = u32::MAX;
use crate::graph::timeline_density::d_value;
pub use crate::graph::timeline_density::{Axis, DENSITY_BUCKETS, Density};

/// What orders an event: relation `cf:id`, `cf:jiffies`, `cf:date` (milliseconds), then
/// arrival. Missing parts sort last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey {
    /// Relation `cf:id`.
    pub id: u64,
    /// `cf:jiffies`.
    pub jiffies: u64,
    /// `cf:date` as milliseconds since 1970 (see [`parse_date`]).
    pub date: u64,
    /// Edge index: arrival order.
    pub arrival: u32,
}

impl EventKey {
    /// The key of a relation.
    pub fn of(g: &ProvGraph, e: EdgeId) -> EventKey {
        KeyReader::new(g).key(g, e)
    }
}

/// Reads event keys in one pass over each relation's attributes (names looked up once:
/// computing a timeline is a pass over every relation).
struct KeyReader {
    names: [Option<crate::graph::intern::Sym>; 3],
}

impl KeyReader {
    fn new(g: &ProvGraph) -> KeyReader {
        let sym = |n| g.attrs.names.lookup(n);
        KeyReader {
            names: [sym("cf:id"), sym("cf:jiffies"), sym("cf:date")],
        }
    }

    fn key(&self, g: &ProvGraph, e: EdgeId) -> EventKey {
        let mut k = EventKey {
            id: MISSING,
            jiffies: MISSING,
            date: MISSING,
            arrival: u32::try_from(e.index()).unwrap_or(u32::MAX),
        };
        for p in g.lists.iter(g.edge(e).attrs) {
            let name = Some(g.attrs.name_sym(p));
            let text = || g.attrs.value_json(p);
            if name == self.names[0] {
                k.id = value::json_u64(text()).unwrap_or(MISSING);
            } else if name == self.names[1] {
                k.jiffies = value::json_u64(text()).unwrap_or(MISSING);
            } else if name == self.names[2] {
                k.date = parse_date(text().trim_matches('"')).unwrap_or(MISSING);
            }
        }
        k
    }
}

/// The trace's events in order, and from which cursor position each element is shown.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Non-derived relations in event order.
    order: Vec<EdgeId>,
    /// Their keys, aligned with `order` (kept so a growing graph merges in place).
    keys: Vec<EventKey>,
    /// By edge index: the cursor position from which the relation is shown.
    edge_from: Vec<u32>,
    /// By vertex index: the position from which it is shown.
    node_from: Vec<u32>,
    /// By vertex index: the position of the first event touching it (UNSET: none).
    event_from: Vec<u32>,
    /// By vertex index: the events known when it arrived (0 for a loaded trace).
    arrived: Vec<u32>,
    /// By object index: the position from which any of its versions is shown.
    object_from: Vec<u32>,
    /// The derived links (placed after the events, by their ends).
    derived: Vec<EdgeId>,
    /// Edges already taken in.
    edges_seen: usize,
    density: Density,
}

/// A timeline and a cursor position: what a walk may see.
#[derive(Clone, Copy, Debug)]
pub struct AsOf<'a> {
    /// The order of events.
    pub timeline: &'a Timeline,
    /// Events shown.
    pub cursor: usize,
}

impl AsOf<'_> {
    /// True when the relation has happened by the cursor.
    pub fn edge_visible(&self, e: EdgeId) -> bool {
        self.timeline.edge_visible(e, self.cursor)
    }

    /// True when the vertex exists by the cursor.
    pub fn node_visible(&self, n: NodeId) -> bool {
        self.timeline.node_visible(n, self.cursor)
    }
}

fn position(rank: usize) -> u32 {
    u32::try_from(rank + 1).unwrap_or(UNSET - 1)
}

impl Timeline {
    /// The order of every relation of `g`.
    pub fn build(g: &ProvGraph) -> Timeline {
        let mut t = Timeline::default();
        t.extend(g);
        t
    }

    /// Takes in what the graph gained since the last call (a live graph only grows).
    /// New events that sort after every known one are appended; otherwise the order is
    /// merged, which moves later ranks. Returns true when earlier ranks moved.
    pub fn extend(&mut self, g: &ProvGraph) -> bool {
        let mut fresh: Vec<(EventKey, EdgeId)> = Vec::new();
        let reader = KeyReader::new(g);
        for i in self.edges_seen..g.edge_count() {
            let e = EdgeId::new(i);
            if g.edge(e).derived {
                self.derived.push(e);
            } else {
                fresh.push((reader.key(g, e), e));
            }
        }
        self.edges_seen = g.edge_count();
        let known = u32::try_from(self.order.len()).unwrap_or(UNSET - 1);
        self.arrived.resize(g.node_count(), known);
        fresh.sort_unstable();
        let appended = match (self.keys.last(), fresh.first()) {
            (Some(last), Some((first, _))) => first > last,
            _ => true,
        };
        self.edge_from.resize(g.edge_count(), UNSET);
        self.node_from.resize(g.node_count(), UNSET);
        self.event_from.resize(g.node_count(), UNSET);
        self.object_from.resize(g.object_count(), UNSET);
        if appended {
            for (k, e) in fresh {
                let at = position(self.order.len());
                self.order.push(e);
                self.keys.push(k);
                self.edge_from[e.index()] = at;
                self.touch(g, e, at);
            }
        } else {
            self.merge(g, fresh);
        }
        self.place_untouched_and_derived(g);
        self.density = Density::of(&self.keys);
        !appended
    }

    /// Merges sorted new events into the order and recomputes every position.
    fn merge(&mut self, g: &ProvGraph, fresh: Vec<(EventKey, EdgeId)>) {
        let old: Vec<(EventKey, EdgeId)> = self.keys.drain(..).zip(self.order.drain(..)).collect();
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = if x <= y { a.next() } else { b.next() };
            merged.extend(next);
        }
        merged.extend(a);
        merged.extend(b);
        self.edge_from.fill(UNSET);
        self.event_from.fill(UNSET);
        for (rank, (k, e)) in merged.into_iter().enumerate() {
            let at = position(rank);
            self.order.push(e);
            self.keys.push(k);
            self.edge_from[e.index()] = at;
            self.touch(g, e, at);
        }
    }

    /// An event at position `at` places its two ends, if nothing earlier did.
    fn touch(&mut self, g: &ProvGraph, e: EdgeId, at: u32) {
        let (a, b) = g.endpoints(e);
        for n in [a, b] {
            if let Some(slot) = self.event_from.get_mut(n.index()) {
                *slot = (*slot).min(at);
            }
        }
    }

    /// Vertices are shown from their first event, else (derived agents) with their
    /// first link, else from their arrival; derived links with the end they describe.
    fn place_untouched_and_derived(&mut self, g: &ProvGraph) {
        for n in g.node_ids() {
            let i = n.index();
            self.node_from[i] = if g.node(n).origin == Origin::Derived {
                UNSET
            } else if self.event_from[i] != UNSET {
                self.event_from[i]
            } else {
                self.arrived[i]
            };
        }
        for k in 0..self.derived.len() {
            let e = self.derived[k];
            let (a, b) = g.endpoints(e);
            let (agent, acts) = if g.node(a).origin == Origin::Derived {
                (a, b)
            } else {
                (b, a)
            };
            let at = match self.node_from.get(acts.index()) {
                Some(&UNSET) | None => self.arrived.get(acts.index()).copied().unwrap_or(0),
                Some(&at) => at,
            };
            self.edge_from[e.index()] = at;
            if let Some(slot) = self.node_from.get_mut(agent.index()) {
                *slot = (*slot).min(at);
            }
        }
        // Objects are recomputed whole: a version placed now may have been untouched.
        self.object_from.fill(UNSET);
        for n in g.node_ids() {
            let slot = &mut self.node_from[n.index()];
            if *slot == UNSET {
                *slot = self.arrived[n.index()];
            }
            let at = *slot;
            let o = g.node(n).object.0 as usize;
            if let Some(os) = self.object_from.get_mut(o) {
                *os = (*os).min(at);
            }
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the trace has no events.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The relation at `rank` (0-based).
    pub fn event(&self, rank: usize) -> Option<EdgeId> {
        self.order.get(rank).copied()
    }

    /// The key of the event at `rank`.
    pub fn key(&self, rank: usize) -> Option<EventKey> {
        self.keys.get(rank).copied()
    }

    /// The rank of a relation, if it is an event of this timeline.
    pub fn rank_of(&self, e: EdgeId) -> Option<usize> {
        let at = *self.edge_from.get(e.index())?;
        let rank = (at as usize).checked_sub(1)?;
        (self.order.get(rank) == Some(&e)).then_some(rank)
    }

    /// Every event in order.
    pub fn order(&self) -> &[EdgeId] {
        &self.order
    }

    /// True when the relation has happened once `cursor` events are shown.
    pub fn edge_visible(&self, e: EdgeId, cursor: usize) -> bool {
        self.edge_from
            .get(e.index())
            .is_some_and(|&at| at != UNSET && at as usize <= cursor)
    }

    /// True when the vertex exists once `cursor` events are shown.
    pub fn node_visible(&self, n: NodeId, cursor: usize) -> bool {
        self.node_from
            .get(n.index())
            .is_some_and(|&at| at != UNSET && at as usize <= cursor)
    }

    /// True when any version of the object exists once `cursor` events are shown.
    pub fn object_visible(&self, o: ObjectId, cursor: usize) -> bool {
        self.object_from
            .get(o.0 as usize)
            .is_some_and(|&at| at != UNSET && at as usize <= cursor)
    }

    /// The cursor position from which some version of an object is shown (None: none is
    /// known to this timeline).
    pub fn object_shown_from(&self, o: ObjectId) -> Option<usize> {
        self.object_from
            .get(o.0 as usize)
            .filter(|&&at| at != UNSET)
            .map(|&at| at as usize)
    }

    /// The cursor position from which a vertex is shown (None: unknown to this timeline).
    pub fn node_shown_from(&self, n: NodeId) -> Option<usize> {
        self.node_from
            .get(n.index())
            .filter(|&&at| at != UNSET)
            .map(|&at| at as usize)
    }

    /// Events per slice of time.
    pub fn density(&self) -> &Density {
        &self.density
    }

    /// The density axis value of the event at `rank`.
    pub fn axis_value(&self, rank: usize) -> Option<u64> {
        d_value(self.density.axis, rank, self.keys.get(rank)?)
    }

    /// The cursor that shows every event up to the first dated after `date_ms`.
    pub fn cursor_at_date(&self, date_ms: u64) -> usize {
        self.keys
            .iter()
            .position(|k| k.date != MISSING && k.date > date_ms)
            .unwrap_or(self.keys.len())
    }

    /// The date (ms) of the first dated event.
    pub fn first_date(&self) -> Option<u64> {
        self.keys.iter().map(|k| k.date).find(|&d| d != MISSING)
    }
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since 1970 of a CamFlow date, `2019:01:24T08:00:25` (CamFlow's own
/// layout, colons in the date) or `2019-01-24T08:00:25`, with optional `.fff`.
pub fn parse_date(text: &str) -> Option<u64> {
    let (date, time) = text.trim().split_once('T')?;
    let mut d = date.split([':', '-']).map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let ms = time_of_day(time)?;
    let days = days_from_civil(y, m, day);
    u64::try_from(days * 86_400_000).ok()?.checked_add(ms)
}

/// Milliseconds since midnight of `08:00:25` or `08:00:25.747` (or `08:00`).
pub fn time_of_day(text: &str) -> Option<u64> {
    let (hms, frac) = match text.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let mut p = hms.split(':').map(|p| p.parse::<u64>().ok());
    let h = p.next()??;
    let min = p.next()??;
    let s = p.next().unwrap_or(Some(0))?;
    if p.next().is_some() || h > 23 || min > 59 || s > 60 {
        return None;
    }
    let ms = match frac {
        Some(f) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => {
            let digits: String = f.chars().chain("000".chars()).take(3).collect();
            digits.parse::<u64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some(((h * 60 + min) * 60 + s) * 1000 + ms)
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
