//! The filter panel's state (DESIGN §8 "filters"): the policy the user is shaping, the
//! filters they can toggle (the policy's own, then every relation and node type the
//! capture makes), and the last minute of what each filter dropped and what passed, one
//! sample a second, for rates and sparklines. The capture sends cumulative counts; this
//! keeps per-second differences.

use crate::app::list_cursor::ListCursor;
use crate::capture::builder::element::{NODE_KINDS, RELATION_KINDS};
use crate::policy::control::{FilterReport, PolicyControl};
use crate::policy::simulate::Tally;
use crate::policy::{Filter, Policy};
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

    /// Takes the kernel side's cumulative count of filtered events.
    pub fn on_kernel_filtered(&mut self, total: u64) {
        if let Some(last) = self.kernel_last {
            self.kernel_filtered.push_back(total.saturating_sub(last));
            while self.kernel_filtered.len() > HISTORY_SECONDS {
                self.kernel_filtered.pop_front();
            }
        }
        self.kernel_last = Some(total);
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
        p.on_kernel_filtered(10);
        p.on_kernel_filtered(25);
        assert_eq!(p.kernel_filtered.back(), Some(&15));
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
}
