//! The index from element identifiers to vertices or edges: a hash table of element
//! numbers that also keeps 32 bits of each key's hash. Growing the table then never reads
//! the elements again (a rehash of millions of entries touched every key in the graph,
//! which froze a live view for hundreds of milliseconds), and a lookup compares keys only
//! where the stored bits match.

use hashbrown::HashTable;

/// Element numbers by key hash.
#[derive(Clone, Debug, Default)]
pub struct KeyIndex {
    table: HashTable<(u32, u32)>,
}

/// The 32 bits kept of a key's hash.
fn short(hash: u64) -> u32 {
    (hash >> 32) as u32 ^ hash as u32
}

/// The table's hash, spread back over 64 bits from the kept ones (the table uses both the
/// low bits and the top seven).
fn spread(short: u32) -> u64 {
    u64::from(short).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl KeyIndex {
    /// The element whose key has `hash` and for which `is_it` says yes.
    pub fn find(&self, hash: u64, is_it: impl Fn(u32) -> bool) -> Option<u32> {
        let s = short(hash);
        self.table
            .find(spread(s), |&(i, h)| h == s && is_it(i))
            .map(|&(i, _)| i)
    }

    /// Files element `i`, whose key has `hash` (the caller checked it is not there).
    pub fn insert(&mut self, hash: u64, i: u32) {
        let s = short(hash);
        self.table
            .insert_unique(spread(s), (i, s), |&(_, h)| spread(h));
    }

    /// Entries the table has room for.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_filed_even_when_hashes_collide() {
        let mut index = KeyIndex::default();
        let keys: Vec<u64> = (0..10_000u64).map(|k| k * 7919).collect();
        for (i, &k) in keys.iter().enumerate() {
            index.insert(k, i as u32);
        }
        // Two keys with the same hash: the check tells them apart.
        index.insert(keys[0], 99_999);
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(index.find(k, |j| j == i as u32), Some(i as u32));
        }
        assert_eq!(index.find(keys[0], |j| j == 99_999), Some(99_999));
        assert_eq!(index.find(12345, |_| true), None);
    }
}
