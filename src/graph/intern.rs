//! Interning: every distinct string (type names, attribute names) and every distinct
//! attribute (name, JSON value text) pair is stored once. A trace repeats the same pairs
//! endlessly (`"cf:boot_id":1`, a machine id, a security context), so an element's
//! attributes shrink to a list of 4-byte pair ids. This is what keeps memory per element
//! far below its size on disk. The tables keep part of each hash beside the index
//! ([`KeyIndex`]), so growing them never hashes the strings again: a rehash of a million
//! attribute values used to hold a live view for a large part of a second.

use crate::graph::key_index::KeyIndex;
use foldhash::fast::FixedState;
use std::hash::BuildHasher;

/// An interned string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// An interned attribute (name, value) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairId(pub u32);

/// A set of interned strings.
#[derive(Default)]
pub struct Symbols {
    table: KeyIndex,
    strings: Vec<Box<str>>,
    hasher: FixedState,
}

impl Symbols {
    /// Returns the symbol for `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let strings = &self.strings;
        if let Some(i) = self.table.find(hash, |i| &*strings[i as usize] == s) {
            return Sym(i);
        }
        let i = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(s.into());
        self.table.insert(hash, i);
        Sym(i)
    }

    /// The symbol for `s`, if it was ever interned.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |i| &*self.strings[i as usize] == s)
            .map(Sym)
    }

    /// The text of a symbol.
    pub fn get(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.strings.iter().map(|s| s.len() + 16).sum::<usize>() + self.table.capacity() * 9
    }
}

struct PairEntry {
    name: Sym,
    start: u64,
    len: u32,
}

/// The table of distinct attribute pairs. Values are kept as the JSON text that carried
/// them, in one arena, so writers can reproduce the input byte for byte.
#[derive(Default)]
pub struct AttrTable {
    /// Attribute names.
    pub names: Symbols,
    pairs: Vec<PairEntry>,
    arena: String,
    table: KeyIndex,
    hasher: FixedState,
}

impl AttrTable {
    /// Returns the id of the pair (`name`, `value_json`), adding it if new.
    pub fn intern(&mut self, name: &str, value_json: &str) -> PairId {
        let name = self.names.intern(name);
        let hash = self.hasher.hash_one((name.0, value_json));
        let (pairs, arena) = (&self.pairs, &self.arena);
        if let Some(i) = self
            .table
            .find(hash, |i| Self::matches(pairs, arena, i, name, value_json))
        {
            return PairId(i);
        }
        let i = u32::try_from(self.pairs.len()).unwrap_or(u32::MAX);
        let start = self.arena.len() as u64;
        self.arena.push_str(value_json);
        self.pairs.push(PairEntry {
            name,
            start,
            len: u32::try_from(value_json.len()).unwrap_or(u32::MAX),
        });
        self.table.insert(hash, i);
        PairId(i)
    }

    fn slice<'a>(arena: &'a str, e: &PairEntry) -> &'a str {
        let start = usize::try_from(e.start).unwrap_or(usize::MAX);
        arena.get(start..start + e.len as usize).unwrap_or("")
    }

    fn matches(pairs: &[PairEntry], arena: &str, i: u32, name: Sym, value: &str) -> bool {
        let e = &pairs[i as usize];
        e.name == name && Self::slice(arena, e) == value
    }

    /// The attribute name of a pair.
    pub fn name(&self, id: PairId) -> &str {
        self.pairs
            .get(id.0 as usize)
            .map_or("", |e| self.names.get(e.name))
    }

    /// The name symbol of a pair.
    pub fn name_sym(&self, id: PairId) -> Sym {
        self.pairs
            .get(id.0 as usize)
            .map_or(Sym(u32::MAX), |e| e.name)
    }

    /// The JSON text of a pair's value.
    pub fn value_json(&self, id: PairId) -> &str {
        self.pairs
            .get(id.0 as usize)
            .map_or("", |e| Self::slice(&self.arena, e))
    }

    /// Number of distinct pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when no pair was interned.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + self.pairs.capacity() * std::mem::size_of::<PairEntry>()
            + self.arena.capacity()
            + self.table.capacity() * 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_symbol() {
        let mut s = Symbols::default();
        let a = s.intern("task");
        let b = s.intern("file");
        assert_eq!(s.intern("task"), a);
        assert_ne!(a, b);
        assert_eq!(s.get(b), "file");
        assert_eq!(s.lookup("file"), Some(b));
        assert_eq!(s.lookup("pipe"), None);
    }

    #[test]
    fn pairs_keep_exact_json_text() {
        let mut t = AttrTable::default();
        let a = t.intern("cf:boot_id", "1");
        let b = t.intern("cf:version", "1");
        let c = t.intern("cf:boot_id", "1");
        assert_eq!(a, c);
        assert_ne!(a, b);
        let d = t.intern("cf:address", r#"{"type":"AF_UNIX","path":"/x"}"#);
        assert_eq!(t.value_json(d), r#"{"type":"AF_UNIX","path":"/x"}"#);
        assert_eq!(t.name(d), "cf:address");
        assert_eq!(t.len(), 3);
    }
}
