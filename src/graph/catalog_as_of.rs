//! The navigator's catalog as of a time cursor, kept up to date by moving it rather than
//! by filtering the whole catalog again: a move from one cursor position to another costs
//! the objects whose visibility changed between the two (found by binary search in a list
//! of objects ordered by the position from which they are shown), plus the length of the
//! groups they belong to. A step of one event touches a handful of objects, so it stays
//! far below a frame on a ten-million-element graph, where filtering every object took
//! tens of milliseconds.
//!
//! Objects within a catalog group are in arrival order, which is ObjectId order; the
//! filtered groups keep that order, so an object's place in its group is found by binary
//! search on its id. A catalog whose groups are not in that order is not indexed (`new`
//! says so and the caller filters the whole catalog).

use crate::graph::catalog::TypeGroup;
use crate::graph::store::ObjectId;
use crate::graph::timeline::Timeline;

/// Not in any group.
const UNLISTED: u32 = u32::MAX;

/// Changes of at most this many objects in one group are inserted or removed one by one;
/// more are merged in one pass over the group.
const ONE_BY_ONE: usize = 16;

/// A move that changes more objects than this rebuilds the groups in one pass over the
/// full catalog instead (a jump): cheaper than sorting and merging that many.
const IN_PLACE: usize = 256;

/// An index over a full catalog for moving its as-of-the-cursor copy.
#[derive(Clone, Debug)]
pub struct CatalogAsOf {
    /// By object index: its group in the full catalog.
    group_of: Vec<u32>,
    /// Every listed object the timeline knows, with the position from which it is shown,
    /// ordered by that position.
    by_shown_from: Vec<(u32, ObjectId)>,
    /// By object index, one bit each: shown as of `at`. Compact (a few hundred KiB for
    /// millions of objects), so a pass over the catalog that tests it stays in cache.
    shown: Vec<u64>,
    /// The cursor the filtered catalog was last brought to.
    at: usize,
}

impl CatalogAsOf {
    /// Indexes `full` for moves over `timeline`; None when a group is not in arrival order.
    pub fn new(full: &[TypeGroup], timeline: &Timeline) -> Option<CatalogAsOf> {
        let objects: usize = full.iter().map(|t| t.objects.len()).sum();
        let highest = full
            .iter()
            .filter_map(|t| t.objects.last())
            .map(|o| o.0 as usize + 1)
            .max()
            .unwrap_or(0);
        let mut group_of = vec![UNLISTED; highest];
        let mut by_shown_from = Vec::with_capacity(objects);
        for (g, t) in full.iter().enumerate() {
            if !t.objects.windows(2).all(|w| w[0] < w[1]) {
                return None;
            }
            let group = u32::try_from(g).ok()?;
            for &o in &t.objects {
                group_of[o.0 as usize] = group;
                if let Some(from) = timeline.object_shown_from(o) {
                    by_shown_from.push((u32::try_from(from).unwrap_or(u32::MAX), o));
                }
            }
        }
        by_shown_from.sort_unstable();
        Some(CatalogAsOf {
            shown: vec![0; highest.div_ceil(64)],
            group_of,
            by_shown_from,
            at: 0,
        })
    }

    /// The catalog as of `cursor`, from scratch: every group of `full` (empty ones too,
    /// so group indices do not move) with the objects shown by then.
    pub fn filter(&mut self, full: &[TypeGroup], cursor: usize) -> Vec<TypeGroup> {
        self.shown.fill(0);
        for &(_, o) in &self.by_shown_from[..self.shown_by(cursor)] {
            self.shown[o.0 as usize / 64] |= 1 << (o.0 % 64);
        }
        self.at = cursor;
        self.groups(full)
    }

    /// Moves `shown` (the catalog as of the last cursor, from `full`) to `cursor`.
    /// Returns the number of objects that appeared or disappeared.
    pub fn move_to(
        &mut self,
        full: &[TypeGroup],
        shown: &mut Vec<TypeGroup>,
        cursor: usize,
    ) -> usize {
        let appearing = cursor > self.at;
        let (from, to) = self.flip_to(cursor);
        let changed = to - from;
        if changed > IN_PLACE || shown.len() != full.len() {
            *shown = self.groups(full);
            return changed;
        }
        let mut by_group: Vec<(u32, ObjectId)> = self.by_shown_from[from..to]
            .iter()
            .map(|&(_, o)| (self.group_of[o.0 as usize], o))
            .collect();
        by_group.sort_unstable();
        for run in by_group.chunk_by(|a, b| a.0 == b.0) {
            let Some(t) = shown.get_mut(run[0].0 as usize) else {
                continue;
            };
            let ids: Vec<ObjectId> = run.iter().map(|&(_, o)| o).collect();
            if appearing {
                add_sorted(&mut t.objects, &ids);
            } else {
                remove_sorted(&mut t.objects, &ids);
            }
        }
        changed
    }

    /// Sets the bits of the objects that appear between the last cursor and `cursor`,
    /// or clears those that disappear; returns their range in `by_shown_from`.
    fn flip_to(&mut self, cursor: usize) -> (usize, usize) {
        let (low, high) = (self.at.min(cursor), self.at.max(cursor));
        let appearing = cursor > self.at;
        let range = (self.shown_by(low), self.shown_by(high));
        for &(_, o) in &self.by_shown_from[range.0..range.1] {
            let (word, bit) = (o.0 as usize / 64, 1u64 << (o.0 % 64));
            if appearing {
                self.shown[word] |= bit;
            } else {
                self.shown[word] &= !bit;
            }
        }
        self.at = cursor;
        range
    }

    /// Every group of `full` with the objects whose bit is set.
    fn groups(&self, full: &[TypeGroup]) -> Vec<TypeGroup> {
        let is_shown = |o: ObjectId| {
            self.shown
                .get(o.0 as usize / 64)
                .is_some_and(|w| w & (1 << (o.0 % 64)) != 0)
        };
        full.iter()
            .map(|t| TypeGroup {
                class: t.class,
                kind: t.kind.clone(),
                objects: t.objects.iter().copied().filter(|&o| is_shown(o)).collect(),
            })
            .collect()
    }

    /// How many indexed objects are shown once `cursor` events are.
    fn shown_by(&self, cursor: usize) -> usize {
        self.by_shown_from
            .partition_point(|&(from, _)| from as usize <= cursor)
    }
}

/// Inserts sorted `add` (none present) into sorted `v`.
fn add_sorted(v: &mut Vec<ObjectId>, add: &[ObjectId]) {
    if add.len() <= ONE_BY_ONE {
        for &o in add {
            let at = v.partition_point(|&x| x < o);
            v.insert(at, o);
        }
        return;
    }
    let old = std::mem::take(v);
    v.reserve(old.len() + add.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < add.len() {
        if old[i] < add[j] {
            v.push(old[i]);
            i += 1;
        } else {
            v.push(add[j]);
            j += 1;
        }
    }
    v.extend_from_slice(&old[i..]);
    v.extend_from_slice(&add[j..]);
}

/// Removes sorted `remove` from sorted `v`.
fn remove_sorted(v: &mut Vec<ObjectId>, remove: &[ObjectId]) {
    if remove.len() <= ONE_BY_ONE {
        for o in remove {
            if let Ok(at) = v.binary_search(o) {
                v.remove(at);
            }
        }
        return;
    }
    v.retain(|o| remove.binary_search(o).is_err());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<ObjectId> {
        v.iter().map(|&i| ObjectId(i)).collect()
    }

    #[test]
    fn sorted_insertion_and_removal_one_by_one_and_merged() {
        let mut v = ids(&[2, 5, 9]);
        add_sorted(&mut v, &ids(&[1, 6]));
        assert_eq!(v, ids(&[1, 2, 5, 6, 9]));
        let many: Vec<u32> = (10..40).collect();
        add_sorted(&mut v, &ids(&many));
        assert_eq!(v.len(), 35);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        remove_sorted(&mut v, &ids(&many));
        assert_eq!(v, ids(&[1, 2, 5, 6, 9]));
        remove_sorted(&mut v, &ids(&[2, 9, 77]));
        assert_eq!(v, ids(&[1, 5, 6]));
    }
}
