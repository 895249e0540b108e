//! The timeline strip's numbers: how many events fall in each slice of the trace's time
//! (jiffies when the trace has them, else dates, else positions), kept as a fixed number
//! of buckets that views resample to their width.

use crate::graph::timeline::{EventKey, MISSING};

/// Buckets of the event density histogram (views resample it to their width).
pub const DENSITY_BUCKETS: usize = 256;

/// Which quantity the density histogram spreads events over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// `cf:jiffies`.
    Jiffies,
    /// `cf:date`.
    Date,
    /// No times in the trace: the event's position.
    Position,
}

/// Events per slice of time, over the whole trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Density {
    /// What the slices divide.
    pub axis: Axis,
    /// The first and last value on the axis.
    pub range: (u64, u64),
    /// Events per bucket, [`DENSITY_BUCKETS`] of them (empty for an empty trace).
    pub counts: Vec<u32>,
}

impl Default for Density {
    fn default() -> Self {
        Density {
            axis: Axis::Position,
            range: (0, 0),
            counts: Vec::new(),
        }
    }
}

impl Density {
    pub(crate) fn of(keys: &[EventKey]) -> Density {
        let axis = if keys.iter().any(|k| k.jiffies != MISSING) {
            Axis::Jiffies
        } else if keys.iter().any(|k| k.date != MISSING) {
            Axis::Date
        } else {
            Axis::Position
        };
        let mut d = Density {
            axis,
            range: (u64::MAX, 0),
            counts: vec![0; if keys.is_empty() { 0 } else { DENSITY_BUCKETS }],
        };
        let values = || {
            keys.iter()
                .enumerate()
                .filter_map(move |(rank, k)| d_value(axis, rank, k))
        };
        for v in values() {
            d.range = (d.range.0.min(v), d.range.1.max(v));
        }
        if d.range.0 > d.range.1 {
            d.range = (0, 0);
        }
        for v in values() {
            let b = d.bucket(v);
            d.counts[b] += 1;
        }
        d
    }

    /// The bucket a value on the axis falls in.
    pub fn bucket(&self, v: u64) -> usize {
        let (lo, hi) = self.range;
        let span = u128::from(hi - lo) + 1;
        let at = u128::from(v.clamp(lo, hi) - lo) * DENSITY_BUCKETS as u128 / span;
        usize::try_from(at).unwrap_or(0).min(DENSITY_BUCKETS - 1)
    }

    /// The histogram resampled to `width` columns (each column sums its buckets).
    pub fn columns(&self, width: usize) -> Vec<u64> {
        if width == 0 || self.counts.is_empty() {
            return vec![0; width];
        }
        (0..width)
            .map(|c| {
                let from = c * DENSITY_BUCKETS / width;
                let to = ((c + 1) * DENSITY_BUCKETS / width).max(from + 1);
                self.counts[from..to.min(DENSITY_BUCKETS)]
                    .iter()
                    .map(|&n| u64::from(n))
                    .sum()
            })
            .collect()
    }

    /// The column (of `width`) where the value lies.
    pub fn column_of(&self, v: u64, width: usize) -> usize {
        (self.bucket(v) * width / DENSITY_BUCKETS).min(width.saturating_sub(1))
    }
}

/// Where an event lies on the axis (None: the trace lacks that time for it).
pub(crate) fn d_value(axis: Axis, rank: usize, k: &EventKey) -> Option<u64> {
    let v = match axis {
        Axis::Jiffies => k.jiffies,
        Axis::Date => k.date,
        Axis::Position => rank as u64,
    };
    (v != MISSING).then_some(v)
}
