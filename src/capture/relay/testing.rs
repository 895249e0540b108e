//! Relay records built byte by byte at the offsets of reference §5.1 and §3, for the
//! module's tests (compiled only with them). The offsets are written out here from the
//! reference, not taken from `layout`, so that the tests check `layout` too.

/// Offsets and sizes from reference §5.1 (CamFlow v0.9.0 headers, x86_64).
pub mod at {
    /// `union prov_elt`.
    pub const PROV_ELT: usize = 256;
    /// `union long_prov_elt`.
    pub const LONG_PROV_ELT: usize = 4280;
    /// `jiffies`.
    pub const JIFFIES: usize = 48;
    /// relation `allowed`, `snd`, `rcv`, `set`, `offset`, `flags`, `task_id`.
    pub const REL_ALLOWED: usize = 64;
    /// relation `snd`.
    pub const REL_SND: usize = 72;
    /// relation `rcv`.
    pub const REL_RCV: usize = 104;
    /// relation `set`.
    pub const REL_SET: usize = 136;
    /// relation `offset`.
    pub const REL_OFFSET: usize = 144;
    /// relation `flags`.
    pub const REL_FLAGS: usize = 152;
    /// relation `task_id`.
    pub const REL_TASK_ID: usize = 160;
    /// node `uid`, then `gid` at 132.
    pub const UID: usize = 128;
    /// Type-specific fields: task `pid`, proc `tgid`, inode `ino`, iattr `valid`, packet
    /// `len`, long text buffers, address `length`, xattr `name`, machine `cam_major`.
    pub const SPECIFIC: usize = 144;
    /// task `utime` (nine u64 counters).
    pub const TASK_COUNTERS: usize = 152;
    /// task `utsns` (six u32 namespaces).
    pub const TASK_NAMESPACES: usize = 224;
    /// inode `mode`.
    pub const INODE_MODE: usize = 152;
    /// inode `sb_uuid`.
    pub const INODE_UUID: usize = 154;
    /// iattr `mode`.
    pub const IATTR_MODE: usize = 148;
    /// iattr `size`.
    pub const IATTR_SIZE: usize = 152;
    /// str / file_name / arg / pckcnt `length`; xattr `size`.
    pub const LONG_LEN: usize = 4240;
    /// arg / pckcnt `truncated`.
    pub const TRUNCATED: usize = 4248;
    /// address `sockaddr_storage`; disclosed node `content`.
    pub const ADDR: usize = 152;
    /// disclosed node `parent`.
    pub const DISC_PARENT: usize = 4248;
    /// machine `utsname`, fields of 65 bytes.
    pub const UTSNAME: usize = 147;
    /// machine `commit`.
    pub const COMMIT: usize = 537;
}

use at::*;

/// The boot id every test record carries.
pub const BOOT: u32 = 3;
/// The machine id every test record carries.
pub const MACHINE_ID: u32 = 1_958_431_827;

/// `ACT_TASK`.
pub const TASK: u64 = 0x4000_0000_0000_0001;
/// `ENT_INODE_FILE`.
pub const FILE: u64 = 0x2000_0000_0000_0100;
/// `ENT_PACKET`.
pub const PACKET: u64 = 0x2000_0000_0002_0000;
/// `ENT_IATTR`.
pub const IATTR: u64 = 0x2000_0000_0004_0000;
/// `ENT_PROC`.
pub const PROC: u64 = 0x2000_0000_0008_0000;
/// `ENT_STR`.
pub const STRING: u64 = 0x2400_0000_0010_0000;
/// `ENT_ADDR`.
pub const ADDRESS: u64 = 0x2400_0000_0020_0000;
/// `ENT_PATH`.
pub const PATH: u64 = 0x2400_0000_0040_0000;
/// `ENT_XATTR`.
pub const XATTR: u64 = 0x2400_0000_0080_0000;
/// `ENT_PCKCNT`.
pub const PACKET_CONTENT: u64 = 0x2400_0000_0100_0000;
/// `ENT_ARG`.
pub const ARGV: u64 = 0x2400_0000_0200_0000;
/// `ENT_ENV`.
pub const ENVP: u64 = 0x2400_0000_0400_0000;
/// `ENT_DISC`.
pub const DISC_ENTITY: u64 = 0x2400_0000_0800_0000;
/// `AGT_MACHINE`.
pub const MACHINE: u64 = 0x1400_0000_0000_0010;
/// `RL_READ`.
pub const READ: u64 = 0x8020_0000_0000_0001;

/// A node or relation identifier.
pub fn node_id(kind: u64, id: u64, version: u32) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&kind.to_le_bytes());
    b[8..16].copy_from_slice(&id.to_le_bytes());
    b[16..20].copy_from_slice(&BOOT.to_le_bytes());
    b[20..24].copy_from_slice(&MACHINE_ID.to_le_bytes());
    b[24..28].copy_from_slice(&version.to_le_bytes());
    b
}

/// A record being built.
pub struct Rec(pub Vec<u8>);

impl Rec {
    fn new(size: usize, kind: u64, id: u64, version: u32) -> Rec {
        Rec(vec![0; size])
            .bytes(0, &node_id(kind, id, version))
            .u64(JIFFIES, 4_295_000_000)
    }

    /// A `union prov_elt` with its identifier and jiffies set.
    pub fn short(kind: u64, id: u64, version: u32) -> Rec {
        Rec::new(PROV_ELT, kind, id, version)
    }

    /// A `union long_prov_elt` with its identifier and jiffies set.
    pub fn long(kind: u64, id: u64, version: u32) -> Rec {
        Rec::new(LONG_PROV_ELT, kind, id, version)
    }

    /// Bytes at an offset.
    pub fn bytes(mut self, at: usize, b: &[u8]) -> Rec {
        self.0[at..at + b.len()].copy_from_slice(b);
        self
    }

    /// A byte.
    pub fn u8(self, at: usize, v: u8) -> Rec {
        self.bytes(at, &[v])
    }

    /// A little-endian u16.
    pub fn u16(self, at: usize, v: u16) -> Rec {
        self.bytes(at, &v.to_le_bytes())
    }

    /// A little-endian u32.
    pub fn u32(self, at: usize, v: u32) -> Rec {
        self.bytes(at, &v.to_le_bytes())
    }

    /// A little-endian u64.
    pub fn u64(self, at: usize, v: u64) -> Rec {
        self.bytes(at, &v.to_le_bytes())
    }
}

/// A task: pid, vpid = pid + 1, counters 11..19, namespaces 21..26.
pub fn task(id: u64, version: u32, pid: u32) -> Vec<u8> {
    let mut r = Rec::short(TASK, id, version)
        .u32(SPECIFIC, pid)
        .u32(SPECIFIC + 4, pid + 1);
    for i in 0..9 {
        r = r.u64(TASK_COUNTERS + 8 * i, 11 + i as u64);
    }
    for i in 0..6 {
        r = r.u32(TASK_NAMESPACES + 4 * i, 21 + i as u32);
    }
    r.0
}

/// A file owned by 1000:1000 on superblock 00112233-....
pub fn file(id: u64, version: u32, mode: u16, ino: u64) -> Vec<u8> {
    let uuid: Vec<u8> = (0u8..16).map(|i| i * 0x11).collect();
    Rec::short(FILE, id, version)
        .u32(UID, 1000)
        .u32(UID + 4, 1000)
        .u64(SPECIFIC, ino)
        .u16(INODE_MODE, mode)
        .bytes(INODE_UUID, &uuid)
        .0
}

/// A process memory node.
pub fn process_memory(id: u64, version: u32, tgid: u32) -> Vec<u8> {
    Rec::short(PROC, id, version).u32(SPECIFIC, tgid).0
}

/// A long node whose text buffer holds `text` (with its length field).
pub fn long_text_node(kind: u64, id: u64, text: &str) -> Rec {
    Rec::long(kind, id, 0)
        .bytes(SPECIFIC, text.as_bytes())
        .u64(LONG_LEN, text.len() as u64)
}

/// A path node.
pub fn path(id: u64, name: &str) -> Vec<u8> {
    long_text_node(PATH, id, name).0
}

/// The machine agent.
pub fn machine(nodename: &str, version: [u8; 3]) -> Vec<u8> {
    let field = |i: usize| UTSNAME + 65 * i;
    Rec::long(MACHINE, 5381, 1)
        .bytes(SPECIFIC, &version)
        .bytes(field(0), b"Linux")
        .bytes(field(1), nodename.as_bytes())
        .bytes(field(2), b"6.0.5-camflow")
        .bytes(COMMIT, b"0861533")
        .0
}

/// A relation from `snd` to `rcv`.
pub fn relation(kind: u64, id: u64, snd: [u8; 32], rcv: [u8; 32]) -> Rec {
    Rec::short(kind, id, 0)
        .bytes(REL_SND, &snd)
        .bytes(REL_RCV, &rcv)
}
