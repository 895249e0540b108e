//! Type numbers of relay records: what the fixed top bits say (relation or node, PROV
//! category or class, long node), whether a number is a CamFlow type at all, and its
//! name. Subtype bit positions changed between CamFlow releases (reference §1.1), so
//! names come from the running kernel's securityfs `type` file when there is one, and
//! otherwise from a built-in table for v0.9.0. A number neither knows gets the visible
//! name `unknown_0x<type>`.

use crate::capture::relay::securityfs::TypeFile;
use crate::graph::model::{Category, ProvClass};
use crate::policy::vocabulary;
use hashbrown::HashMap;
use std::path::Path;

const DM_RELATION: u64 = 1 << 63;
const DM_ACTIVITY: u64 = 1 << 62;
const DM_ENTITY: u64 = 1 << 61;
const DM_AGENT: u64 = 1 << 60;
const ND_LONG: u64 = 1 << 58;
/// `RL_ALLOWED` and `RL_DISALLOWED`, defined beside the relation bits.
const RL_VERDICT: u64 = 0b11 << 56;
const SUBTYPE_MASK: u64 = 0x0000_FFFF_FFFF_FFFF;

/// What a type number's fixed bits say (stable since v0.3.11, reference §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A relation of this PROV category.
    Relation(Category),
    /// A node of this PROV class.
    Node(ProvClass),
}

/// Relation categories by their bit in 48..55 (`RL_DERIVED` ... `RL_ASSOCIATED`).
const CATEGORIES: [(u64, Category); 6] = [
    (0x80, Category::WasDerivedFrom),
    (0x40, Category::WasGeneratedBy),
    (0x20, Category::Used),
    (0x10, Category::WasInformedBy),
    (0x08, Category::WasInfluencedBy),
    (0x04, Category::WasAssociatedWith),
];

/// The shape of a type number, or why it is no CamFlow type (then the record is damaged,
/// or was written with another layout).
pub fn shape(bits: u64) -> Result<Shape, String> {
    if bits == 0 {
        return Err(String::from("empty record (type 0)"));
    }
    let subtype_bits = (bits & SUBTYPE_MASK).count_ones();
    if subtype_bits != 1 {
        return Err(format!(
            "type {bits:#018x} has {subtype_bits} subtype bits, where CamFlow types have one"
        ));
    }
    if bits & DM_RELATION != 0 {
        let category = (bits >> 48) & 0xff;
        let stray = bits & !(DM_RELATION | RL_VERDICT | 0xff << 48 | SUBTYPE_MASK);
        return match CATEGORIES.iter().find(|(b, _)| *b == category) {
            Some(&(_, c)) if stray == 0 => Ok(Shape::Relation(c)),
            _ => Err(format!(
                "relation type {bits:#018x} names no single PROV category"
            )),
        };
    }
    let class = match bits & !(ND_LONG | SUBTYPE_MASK) {
        DM_ACTIVITY => ProvClass::Activity,
        DM_ENTITY => ProvClass::Entity,
        DM_AGENT => ProvClass::Agent,
        _ => {
            return Err(format!("node type {bits:#018x} names no single PROV class"));
        }
    };
    Ok(Shape::Node(class))
}

/// The visible name of a type number no table knows.
pub fn unknown_name(bits: u64) -> String {
    format!("unknown_{bits:#018x}")
}

// The built-in table for CamFlow v0.9.0. Where it comes from: CamFlow/camflow-dev
// `include/uapi/linux/provenance_types.h` (the stored version at commit 0073a5cf, a v0.6.x
// header) and `security/provenance/type.c` (names), checked against the identifiers of the
// real v0.8.0 sample (camflow-samples/camflow-v0.8.0_spade-json_android-write-file.log:
// task, file, path, process_memory, machine; named, version_entity, terminate_proc,
// write, memory_write, memory_read, open, getattr, version_activity, terminate_task,
// ran_on all at the bits below) and against the v0.9.0 name lists of reference §1.2-1.3.
// The v0.9.0 header itself was not found in the stored sources. v0.7-v0.9 removed or
// merged types in the tail of three categories (load_firmware_prealloc_buffer;
// perm_*/mmap_*/sh_attach_read and splice_in; shmdt, munmap, sh_create_*), and removals
// renumber what follows (compare the influenced bits of v0.6 and the v0.8-era saBPF
// fork), so only the bits before the first change are kept: in used, perm_check and
// after; in generated, setuid and after; in influenced, load_module and after, are left
// to the kernel's `type` file and otherwise show as `unknown_0x...`.

/// Node types: PROV class bits (with `ND_LONG` for long nodes), subtype bit, name.
const NODES: [(u64, u32, &str); 26] = [
    (DM_ACTIVITY, 0, "task"),
    (DM_ACTIVITY | ND_LONG, 1, "disc_activity"),
    (DM_AGENT | ND_LONG, 4, "machine"),
    (DM_AGENT | ND_LONG, 5, "disc_agent"),
    (DM_ENTITY, 6, "inode_unknown"),
    (DM_ENTITY, 7, "link"),
    (DM_ENTITY, 8, "file"),
    (DM_ENTITY, 9, "directory"),
    (DM_ENTITY, 10, "char"),
    (DM_ENTITY, 11, "block"),
    (DM_ENTITY, 12, "pipe"),
    (DM_ENTITY, 13, "socket"),
    (DM_ENTITY, 14, "msg"),
    (DM_ENTITY, 15, "shm"),
    (DM_ENTITY, 16, "sb"),
    (DM_ENTITY, 17, "packet"),
    (DM_ENTITY, 18, "iattr"),
    (DM_ENTITY, 19, "process_memory"),
    (DM_ENTITY | ND_LONG, 20, "string"),
    (DM_ENTITY | ND_LONG, 21, "address"),
    (DM_ENTITY | ND_LONG, 22, "path"),
    (DM_ENTITY | ND_LONG, 23, "xattr"),
    (DM_ENTITY | ND_LONG, 24, "packet_content"),
    (DM_ENTITY | ND_LONG, 25, "argv"),
    (DM_ENTITY | ND_LONG, 26, "envp"),
    (DM_ENTITY | ND_LONG, 27, "disc_entity"),
];

/// Relation names by subtype bit, per category: the v0.9.0 lists (in `type.c` order, one
/// subtype bit each) that policies use too, cut before the first type v0.7-v0.9 removed
/// or merged (see above).
const DERIVED: &[&str] = &vocabulary::DERIVED;
const GENERATED: &[&str] = vocabulary::GENERATED.split_at(22).0;
const USED: &[&str] = vocabulary::USED.split_at(16).0;
const INFORMED: &[&str] = &vocabulary::INFORMED;
const INFLUENCED: &[&str] = vocabulary::INFLUENCED.split_at(2).0;
const ASSOCIATED: &[&str] = &vocabulary::ASSOCIATED;

/// The built-in v0.9.0 name of a type number.
pub fn builtin_name(bits: u64) -> Option<&'static str> {
    let sub = bits & SUBTYPE_MASK;
    if sub.count_ones() != 1 {
        return None;
    }
    let bit = sub.trailing_zeros();
    match shape(bits).ok()? {
        Shape::Relation(category) => {
            let names: &[&str] = match category {
                Category::WasDerivedFrom => DERIVED,
                Category::WasGeneratedBy => GENERATED,
                Category::Used => USED,
                Category::WasInformedBy => INFORMED,
                Category::WasInfluencedBy => INFLUENCED,
                Category::WasAssociatedWith => ASSOCIATED,
                Category::WasAttributedTo => &[],
            };
            // A type with verdict bits set is not one the table names.
            if bits & RL_VERDICT != 0 {
                return None;
            }
            names.get(bit as usize).copied()
        }
        Shape::Node(_) => {
            let top = bits & !SUBTYPE_MASK;
            NODES
                .iter()
                .find(|(t, b, _)| *t == top && *b == bit)
                .map(|(_, _, name)| *name)
        }
    }
}

/// Names of type numbers: the kernel's `type` file when it is there, else the built-in
/// v0.9.0 table; answers are remembered.
#[derive(Debug)]
pub struct TypeTable {
    kernel: Option<TypeFile>,
    known: HashMap<u64, Option<Box<str>>>,
}

impl TypeTable {
    /// The built-in v0.9.0 table alone.
    pub fn builtin() -> TypeTable {
        TypeTable {
            kernel: None,
            known: HashMap::new(),
        }
    }

    /// The kernel's table under the securityfs directory `root` when it has a `type`
    /// file, else the built-in one.
    pub fn open(root: &Path) -> TypeTable {
        TypeTable {
            kernel: TypeFile::open(root).ok(),
            known: HashMap::new(),
        }
    }

    /// Where the names come from, for the user.
    pub fn origin(&self) -> String {
        match &self.kernel {
            Some(f) => format!("type names from {}", f.path().display()),
            None => String::from("type names from the built-in CamFlow v0.9.0 table"),
        }
    }

    /// The name of a type number, if the kernel (or, without a kernel, the built-in
    /// table) knows it. A kernel's answer is final; a file that does not answer this
    /// id as a CamFlow kernel would leaves it to the built-in table.
    pub fn name(&mut self, bits: u64) -> Option<&str> {
        let kernel = &self.kernel;
        self.known
            .entry(bits)
            .or_insert_with(|| {
                let asked = kernel
                    .as_ref()
                    .and_then(|k| k.lookup(bits, bits & DM_RELATION != 0).ok())
                    .flatten();
                asked
                    .or_else(|| builtin_name(bits).map(str::to_string))
                    .map(String::into_boxed_str)
            })
            .as_deref()
    }

    /// The name of a type number, or its visible `unknown_0x...` stand-in.
    pub fn kind(&mut self, bits: u64) -> (String, bool) {
        match self.name(bits) {
            Some(n) => (n.to_string(), true),
            None => (unknown_name(bits), false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_the_real_v0_8_0_sample_carries_are_named() {
        for (bits, name) in [
            (0x2000_0000_0000_0100, "file"),
            (0x1400_0000_0000_0010, "machine"),
            (0x2400_0000_0040_0000, "path"),
            (0x2000_0000_0008_0000, "process_memory"),
            (0x4000_0000_0000_0001, "task"),
            (0x8020_0000_0000_0800, "getattr"),
            (0x8020_0000_0000_0004, "memory_read"),
            (0x8040_0000_0000_0080, "memory_write"),
            (0x8080_0000_0000_0001, "named"),
            (0x8020_0000_0000_0080, "open"),
            (0x8004_0000_0000_0001, "ran_on"),
            (0x8080_0000_0000_2000, "terminate_proc"),
            (0x8010_0000_0000_0004, "terminate_task"),
            (0x8010_0000_0000_0002, "version_activity"),
            (0x8080_0000_0000_0002, "version_entity"),
            (0x8040_0000_0000_0020, "write"),
        ] {
            assert_eq!(builtin_name(bits), Some(name), "{bits:#x}");
        }
        assert_eq!(builtin_name(0x2400_0000_0800_0000), Some("disc_entity"));
    }

    #[test]
    fn changed_bits_are_left_unknown_never_guessed() {
        // used bit 16 was perm_read in v0.6 and is perm_check's neighbourhood in v0.9.
        assert_eq!(builtin_name(0x8020_0000_0001_0000), None);
        let mut t = TypeTable::builtin();
        assert_eq!(
            t.kind(0x8020_0000_0001_0000),
            (String::from("unknown_0x8020000000010000"), false)
        );
        // A long flag on a node that is not long is another type.
        assert_eq!(builtin_name(0x2400_0000_0000_0100), None);
    }

    #[test]
    fn shapes_from_the_fixed_bits() {
        assert_eq!(
            shape(0x8020_0000_0000_0001),
            Ok(Shape::Relation(Category::Used))
        );
        assert_eq!(
            shape(0x8004_0000_0000_0001),
            Ok(Shape::Relation(Category::WasAssociatedWith))
        );
        assert_eq!(
            shape(0x1400_0000_0000_0010),
            Ok(Shape::Node(ProvClass::Agent))
        );
        assert!(shape(0).is_err());
        assert!(shape(0x8060_0000_0000_0001).is_err(), "two categories");
        assert!(shape(0x6000_0000_0000_0001).is_err(), "two classes");
        assert!(shape(0x2000_0000_0000_0003).is_err(), "two subtype bits");
        assert!(shape(0x2000_0000_0000_0000).is_err(), "no subtype bit");
    }

    #[test]
    fn the_kernel_s_answer_wins_and_the_built_in_table_fills_in() {
        let dir = tempfile::tempdir().unwrap();
        // A `type` file that answers only for one id (as a regular file does).
        let mut buf = [0u8; 272];
        buf[..8].copy_from_slice(&0x8020_0000_0001_0000u64.to_le_bytes());
        buf[8..18].copy_from_slice(b"perm_check");
        std::fs::write(dir.path().join("type"), buf).unwrap();
        let mut t = TypeTable::open(dir.path());
        assert!(t.origin().ends_with("/type"));
        assert_eq!(t.name(0x8020_0000_0001_0000), Some("perm_check"));
        assert_eq!(t.name(0x4000_0000_0000_0001), Some("task"));
        let missing = tempfile::tempdir().unwrap();
        assert!(
            TypeTable::open(missing.path())
                .origin()
                .contains("built-in")
        );
    }
}
