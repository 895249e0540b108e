//! Every element's attribute list, packed into one byte arena as LEB128 varints of pair
//! ids. Common pairs were interned first and have small ids, so most attributes take one
//! or two bytes instead of four, and no element pays for its own heap allocation.

use crate::graph::intern::PairId;

/// Where one element's list sits in the arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrList {
    start: u64,
    bytes: u32,
}

/// The arena of all attribute lists.
#[derive(Default)]
pub struct AttrLists {
    data: Vec<u8>,
}

impl AttrLists {
    /// Stores a list and returns its place.
    pub fn push(&mut self, ids: impl IntoIterator<Item = PairId>) -> AttrList {
        let start = self.data.len();
        for PairId(mut v) in ids {
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    self.data.push(byte);
                    break;
                }
                self.data.push(byte | 0x80);
            }
        }
        AttrList {
            start: start as u64,
            bytes: u32::try_from(self.data.len() - start).unwrap_or(u32::MAX),
        }
    }

    /// The pair ids of a list, in order.
    pub fn iter(&self, list: AttrList) -> impl Iterator<Item = PairId> + '_ {
        let start = usize::try_from(list.start).unwrap_or(usize::MAX);
        let bytes = self
            .data
            .get(start..start.saturating_add(list.bytes as usize))
            .unwrap_or(&[]);
        Varints { bytes }
    }

    /// Bytes of encoded lists.
    pub fn encoded_bytes(&self) -> usize {
        self.data.len()
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity()
    }
}

struct Varints<'a> {
    bytes: &'a [u8],
}

impl Iterator for Varints<'_> {
    type Item = PairId;

    fn next(&mut self) -> Option<PairId> {
        let mut v: u32 = 0;
        let mut shift = 0;
        loop {
            let (&b, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            v |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Some(PairId(v));
            }
            shift += 7;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_small_and_large_ids() {
        let mut a = AttrLists::default();
        let ids = [0, 1, 127, 128, 300, 16_384, u32::MAX].map(PairId);
        let l = a.push(ids);
        let empty = a.push([]);
        let one = a.push([PairId(5)]);
        assert_eq!(a.iter(l).collect::<Vec<_>>(), ids);
        assert_eq!(a.iter(empty).count(), 0);
        assert_eq!(a.iter(one).collect::<Vec<_>>(), [PairId(5)]);
        // One byte up to 127, two up to 16383, three up to 2^21, five for u32::MAX.
        assert_eq!(a.encoded_bytes(), 1 + 1 + 1 + 2 + 2 + 3 + 5 + 1);
    }
}
