//! The filter panel's state (DESIGN §8 "filters"): the policy the user is shaping, the
//! filters they can toggle (the policy's own, then every relation and node type the
//! capture makes), and the last minute of what each filter dropped and what passed, one
//! sample a second, for rates and sparklines. The capture sends cumulative counts; this
//! keeps per-second differences.

use crate::app::list_cursor::ListCursor;
use crate::capture::builder::element::{NODE_KINDS, RELATION_KINDS};
use crate::policy::control::{FilterReport, PolicyControl};
use crate::policy::simulate::Tally;
use crate::policy::{Filter, Policy, Setting, Subject};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Seconds of history kept for sparklines.
pub const HISTORY_SECONDS: usize = 60;

/// Per-second samples, newest last.
pub type Samples = VecDeque<Tally>;

/// The filter panel.
#[derive(Debug)]
pub struct FilterPanel {
    /// Where changes go (the running capture); None when the source cannot be filtered.
    pub control: Option<Arc<PolicyControl>>,
    /// The policy as the user set it.
    pub policy: Policy,
    /// Toggleable filters, in display order (stable while toggling).
    pub rows: Vec<Filter>,
    /// The cursor over `rows`.
    pub cursor: ListCursor,
    /// The last cumulative report.
    pub last: FilterReport,
    /// What passed, per second.
    pub passed: Samples,
    /// What each filter dropped, per second, by filter name.
    pub dropped: BTreeMap<String, Samples>,
    /// Events the kernel side filtered per second (all its filter causes).
    pub kernel_filtered: VecDeque<u64>,
    kernel_last: Option<u64>,
    /// The same by cause (`filtered: user`...), per second.
    pub kernel_causes: BTreeMap<String, VecDeque<u64>>,
    kernel_causes_last: BTreeMap<String, u64>,
    /// The next report only sets the baseline: it counts from before this view attached.
    baseline: bool,
    /// The capture is a daemon's: a change is sent to it, and it says when it applied it.
    pub remote: bool,
}

fn push(samples: &mut Samples, t: Tally) {
    samples.push_back(t);
    while samples.len() > HISTORY_SECONDS {
        samples.pop_front();
    }
}

/// Adds the difference from the last cumulative count (none for the first).
fn push_count(history: &mut VecDeque<u64>, last: &mut Option<u64>, total: u64) {
    if let Some(before) = *last {
        history.push_back(total.saturating_sub(before));
        while history.len() > HISTORY_SECONDS {
            history.pop_front();
        }
    }
    *last = Some(total);
}

/// The kernel side's counter for what a filter stops there, when it has its own (an
/// opaque process shares its counter with the capture itself, which is always opaque).
fn kernel_cause(filter: &Filter) -> Option<&'static str> {
    let Filter::Rule(rule) = filter else {
        return None;
    };
    if rule.setting != Setting::Opaque {
        return None;
    }
    match rule.subject {
        Subject::Path(_) => Some("filtered: opaque file"),
        Subject::User(_) => Some("filtered: user"),
        Subject::Group(_) => Some("filtered: group"),
        Subject::Cgroup(_) => Some("filtered: cgroup"),
        _ => None,
    }
}

fn minus(a: Tally, b: Tally) -> Tally {
    Tally {
        elements: a.elements.saturating_sub(b.elements),
        bytes: a.bytes.saturating_sub(b.bytes),
    }
}

impl FilterPanel {
    /// A panel for `policy`, applied through `control`.
    pub fn new(policy: Policy, control: Option<Arc<PolicyControl>>) -> FilterPanel {
        let mut rows = policy.filters();
        for kind in RELATION_KINDS {
            let f = Filter::Relation(kind.to_string());
            if !rows.contains(&f) {
                rows.push(f);
            }
        }
        for (kind, _) in NODE_KINDS {
            let f = Filter::Node(kind.to_string());
            if !rows.contains(&f) {
                rows.push(f);
            }
        }
        FilterPanel {
            control,
            policy,
            rows,
            cursor: ListCursor::default(),
            last: FilterReport::default(),
            passed: Samples::new(),
            dropped: BTreeMap::new(),
            kernel_filtered: VecDeque::new(),
            kernel_last: None,
            kernel_causes: BTreeMap::new(),
            kernel_causes_last: BTreeMap::new(),
            baseline: false,
            remote: false,
        }
    }

    /// The policy a capture daemon has (on attaching, and whenever any of its clients
    /// changes it): shown as the panel's own, its filters listed first. The daemon's
    /// counts began before this view: its next report is the baseline.
    pub fn adopt(&mut self, policy: Policy) {
        let mut rows = policy.filters();
        rows.retain(|f| !self.rows.contains(f));
        rows.append(&mut self.rows);
        self.rows = rows;
        if self.last == FilterReport::default() {
            self.baseline = true;
        }
        self.policy = policy;
    }

    /// Takes a new cumulative report (about once a second).
    pub fn on_report(&mut self, report: FilterReport) {
        if std::mem::take(&mut self.baseline) {
            self.last = report;
            return;
        }
        push(&mut self.passed, minus(report.passed, self.last.passed));
        let names: Vec<String> = report
            .dropped
            .keys()
            .chain(self.dropped.keys())
            .cloned()
            .collect();
        for name in names {
            let now = report.dropped.get(&name).copied().unwrap_or_default();
            let before = self.last.dropped.get(&name).copied().unwrap_or_default();
            push(self.dropped.entry(name).or_default(), minus(now, before));
        }
        self.last = report;
    }

    /// Takes the kernel side's cumulative counters (name, count): those of its filters
    /// (`filtered: ...`) give per-second rates, in total and by cause.
    pub fn on_kernel_counters(&mut self, counters: &[(&str, u64)]) {
        let filters = counters
            .iter()
            .filter(|(name, _)| name.starts_with("filtered:"));
        let total = filters.clone().map(|(_, n)| n).sum();
        push_count(&mut self.kernel_filtered, &mut self.kernel_last, total);
        for &(name, n) in filters {
            let mut last = self.kernel_causes_last.get(name).copied();
            let history = self.kernel_causes.entry(name.to_string()).or_default();
            push_count(history, &mut last, n);
            self.kernel_causes_last.insert(name.to_string(), n);
        }
    }

    /// What the kernel side filtered because of `filter`, per second (newest last):
    /// its cause's counter, when no other filter that is on shares that cause.
    pub fn kernel_history_of(&self, filter: &Filter) -> Option<&VecDeque<u64>> {
        let cause = kernel_cause(filter)?;
        let sharing = self
            .policy
            .filters()
            .iter()
            .filter(|f| kernel_cause(f) == Some(cause))
            .count();
        (sharing == 1 && self.policy.has(filter))
            .then(|| self.kernel_causes.get(cause))
            .flatten()
    }

    /// The last second's drops of one filter.
    pub fn rate_of(&self, filter: &Filter) -> Tally {
        self.dropped
            .get(&filter.to_string())
            .and_then(|s| s.back().copied())
            .unwrap_or_default()
    }

    /// The last second's elements that passed, and that every filter dropped together.
    pub fn totals(&self) -> (Tally, Tally) {
        let passed = self.passed.back().copied().unwrap_or_default();
        let mut dropped = Tally::default();
        for s in self.dropped.values() {
            if let Some(t) = s.back() {
                dropped.elements += t.elements;
                dropped.bytes += t.bytes;
            }
        }
        (passed, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(passed: u64, read: u64) -> FilterReport {
        let mut r = FilterReport {
            passed: Tally {
                elements: passed,
                bytes: passed * 100,
            },
            ..FilterReport::default()
        };
        r.dropped.insert(
            String::from("relation_filter=read"),
            Tally {
                elements: read,
                bytes: read * 300,
            },
        );
        r
    }

    #[test]
    fn rates_are_per_second_differences() {
        let mut p = FilterPanel::new(Policy::default(), None);
        let read = Filter::Relation(String::from("read"));
        assert!(p.rows.contains(&read) && p.rows.contains(&Filter::Node(String::from("path"))));
        p.on_report(report(1000, 0));
        p.on_report(report(1500, 40));
        assert_eq!(p.rate_of(&read).elements, 40);
        assert_eq!(p.rate_of(&read).bytes, 12_000);
        let (passed, dropped) = p.totals();
        assert_eq!((passed.elements, dropped.elements), (500, 40));
        for i in 0..100 {
            p.on_report(report(1500 + i, 40));
        }
        assert_eq!(p.passed.len(), HISTORY_SECONDS);
        assert_eq!(p.rate_of(&read).elements, 0);
        let counters = |user: u64, track: u64| {
            vec![
                ("events", 1_000),
                ("filtered: user", user),
                ("filtered: not tracked", track),
            ]
        };
        p.on_kernel_counters(&counters(4, 6));
        p.on_kernel_counters(&counters(10, 15));
        assert_eq!(p.kernel_filtered.back(), Some(&15));
        assert_eq!(p.kernel_causes["filtered: user"].back(), Some(&6));
    }

    #[test]
    fn an_adopted_policy_lists_its_filters_first_and_counts_from_a_baseline() {
        let mut p = FilterPanel::new(Policy::default(), None);
        let mut policy = Policy::default();
        policy.insert(Filter::Relation(String::from("read")));
        policy.insert(Filter::Relation(String::from("made_up")));
        p.adopt(policy);
        assert!(p.rows[..2].contains(&Filter::Relation(String::from("made_up"))));
        let reads = p
            .rows
            .iter()
            .filter(|f| f.to_string() == "relation_filter=read");
        assert_eq!(reads.count(), 1, "no row twice");
        p.on_report(report(1_000_000, 5000));
        assert!(
            p.passed.is_empty(),
            "the daemon's totals so far are not a second's"
        );
        p.on_report(report(1_000_100, 5007));
        assert_eq!(
            p.rate_of(&Filter::Relation(String::from("read"))).elements,
            7
        );
    }

    #[test]
    fn a_kernel_filter_is_charged_with_its_cause_when_it_alone_has_it() {
        let nobody = Filter::parse("user opaque=nobody").unwrap();
        let daemon = Filter::parse("user opaque=daemon").unwrap();
        let file = Filter::parse("file opaque=/etc/shadow").unwrap();
        let mut policy = Policy::default();
        policy.insert(nobody.clone());
        policy.insert(file.clone());
        let mut p = FilterPanel::new(policy, None);
        let counters =
            |user: u64, file: u64| vec![("filtered: user", user), ("filtered: opaque file", file)];
        p.on_kernel_counters(&counters(0, 0));
        p.on_kernel_counters(&counters(7, 3));
        assert_eq!(
            p.kernel_history_of(&nobody).and_then(|h| h.back()),
            Some(&7)
        );
        assert_eq!(p.kernel_history_of(&file).and_then(|h| h.back()), Some(&3));
        assert_eq!(p.kernel_history_of(&daemon), None, "not on");
        p.policy.insert(daemon.clone());
        assert_eq!(
            p.kernel_history_of(&nobody),
            None,
            "two user filters share one counter"
        );
        let track = Filter::parse("user track=nobody").unwrap();
        assert_eq!(
            p.kernel_history_of(&track),
            None,
            "tracking filters nothing"
        );
    }
}
