//! The binary layout of CamFlow's relay records under the v0.9.0 headers (reference §5.1
//! and §3, x86_64, measured with `sizeof`/`offsetof` on `include/uapi/linux/provenance.h`):
//! the two record sizes, the offset of every field provscope reads, and a bounds-checked
//! little-endian view of one record. A read past the end of a record gives zero or an
//! empty string, never a panic; strings are C strings bounded by their buffer and by a
//! length field that is never trusted.

use std::borrow::Cow;

/// The CamFlow header release these sizes and offsets belong to.
pub const HEADER_VERSION: &str = "v0.9.0";
/// `sizeof(union prov_elt)`: records of the `provenance<cpu>` channels.
pub const PROV_ELT: usize = 256;
/// `sizeof(union long_prov_elt)`: records of the `long_provenance<cpu>` channels.
pub const LONG_PROV_ELT: usize = 4280;

// `basic_elements`, shared by every record.
/// `union prov_identifier identifier` (32 bytes).
pub const IDENTIFIER: usize = 0;
/// `uint32_t epoch`.
pub const EPOCH: usize = 32;
/// `uint32_t internal_flag`: bit 1 is opaque.
pub const INTERNAL_FLAG: usize = 40;
/// `uint64_t jiffies`.
pub const JIFFIES: usize = 48;
/// `uint64_t taint`.
pub const TAINT: usize = 56;

// `struct relation_struct`.
/// `uint8_t allowed` (`FLOW_ALLOWED` is 0).
pub const REL_ALLOWED: usize = 64;
/// `union prov_identifier snd`.
pub const REL_SND: usize = 72;
/// `union prov_identifier rcv`.
pub const REL_RCV: usize = 104;
/// `uint8_t set` (1: `offset` is valid).
pub const REL_SET: usize = 136;
/// `int64_t offset`.
pub const REL_OFFSET: usize = 144;
/// `uint64_t flags`.
pub const REL_FLAGS: usize = 152;
/// `uint64_t task_id`.
pub const REL_TASK_ID: usize = 160;

// `shared_node_elements`.
/// `uint32_t uid`.
pub const NODE_UID: usize = 128;
/// `uint32_t gid`.
pub const NODE_GID: usize = 132;

// Type-specific node fields, from offset 144.
/// task: `uint32_t pid`, then `vpid`.
pub const TASK_PID: usize = 144;
/// task: `vpid`.
pub const TASK_VPID: usize = 148;
/// task: nine u64 counters from `utime` to `cancel_wbytes`.
pub const TASK_COUNTERS: usize = 152;
/// task: six u32 namespaces from `utsns` to `cgroupns`.
pub const TASK_NAMESPACES: usize = 224;
/// process memory: `uint32_t tgid`.
pub const PROC_TGID: usize = 144;
/// inode: `uint64_t ino`.
pub const INODE_INO: usize = 144;
/// inode: `uint16_t mode`.
pub const INODE_MODE: usize = 152;
/// inode: `uint8_t sb_uuid[16]`.
pub const INODE_UUID: usize = 154;
/// iattr: `uint32_t valid`.
pub const IATTR_VALID: usize = 144;
/// iattr: `uint16_t mode`.
pub const IATTR_MODE: usize = 148;
/// iattr: `int64_t size`, then `atime`, `ctime`, `mtime`.
pub const IATTR_SIZE: usize = 152;
/// packet: `uint16_t len`.
pub const PACKET_LEN: usize = 144;
/// shm: `uint16_t mode`.
pub const SHM_MODE: usize = 144;
/// superblock: `uint8_t uuid[16]`.
pub const SB_UUID: usize = 144;

// A packet's identifier (`struct packet_identifier`); IPs and ports in network order.
/// `uint16_t id`.
pub const PACKET_ID: usize = 8;
/// `uint32_t snd_ip`.
pub const PACKET_SND_IP: usize = 12;
/// `uint32_t rcv_ip`.
pub const PACKET_RCV_IP: usize = 16;
/// `uint16_t snd_port`.
pub const PACKET_SND_PORT: usize = 20;
/// `uint16_t rcv_port`.
pub const PACKET_RCV_PORT: usize = 22;
/// `uint32_t seq`.
pub const PACKET_SEQ: usize = 28;

// Long records (`union long_prov_elt`), from offset 144.
/// `PATH_MAX`: the text buffers of path, string, argv/envp and packet content.
pub const PATH_MAX: usize = 4096;
/// str / file_name / arg / pckcnt: the text buffer.
pub const LONG_TEXT: usize = 144;
/// str / file_name / arg / pckcnt: `size_t length`.
pub const LONG_TEXT_LEN: usize = 4240;
/// arg / pckcnt: `uint8_t truncated` (1 = `PROV_TRUNCATED`).
pub const LONG_TRUNCATED: usize = 4248;
/// address: `size_t length`.
pub const ADDR_LEN: usize = 144;
/// address: `struct sockaddr_storage addr`.
pub const ADDR: usize = 152;
/// disclosed node: `size_t length`.
pub const DISC_LEN: usize = 144;
/// disclosed node: `char content[PATH_MAX]`.
pub const DISC_CONTENT: usize = 152;
/// disclosed node: `union prov_identifier parent`.
pub const DISC_PARENT: usize = 4248;
/// xattr: `char name[256]`.
pub const XATTR_NAME: usize = 144;
/// xattr: the name's buffer.
pub const XATTR_NAME_MAX: usize = 256;
/// xattr: `size_t size`.
pub const XATTR_SIZE: usize = 4240;
/// machine: `uint8_t cam_major`, then `cam_minor`, `cam_patch`.
pub const MACHINE_VERSION: usize = 144;
/// machine: `struct new_utsname utsname`, six fields of 65 bytes.
pub const MACHINE_UTSNAME: usize = 147;
/// machine: one utsname field.
pub const UTSNAME_FIELD: usize = 65;
/// machine: `char commit[256]`.
pub const MACHINE_COMMIT: usize = 537;
/// machine: the commit's buffer.
pub const COMMIT_MAX: usize = 256;

/// Text taken out of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CText {
    /// The text; invalid UTF-8 replaced visibly with U+FFFD.
    pub text: String,
    /// True when the text needed repair: a length field past its buffer (clamped), no
    /// NUL terminator where one was due, or invalid UTF-8.
    pub repaired: bool,
}

/// A bounds-checked view of one record.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a>(pub &'a [u8]);

impl<'a> Record<'a> {
    /// `len` bytes at `at`, fewer when the record ends first.
    pub fn bytes(&self, at: usize, len: usize) -> &'a [u8] {
        let start = at.min(self.0.len());
        let end = at.saturating_add(len).min(self.0.len());
        &self.0[start..end]
    }

    /// `N` bytes at `at`, zero-padded when the record ends first.
    pub fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        let src = self.bytes(at, N);
        out[..src.len()].copy_from_slice(src);
        out
    }

    /// A byte.
    pub fn u8(&self, at: usize) -> u8 {
        self.array::<1>(at)[0]
    }

    /// A little-endian u16.
    pub fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.array(at))
    }

    /// A big-endian (network order) u16.
    pub fn u16_be(&self, at: usize) -> u16 {
        u16::from_be_bytes(self.array(at))
    }

    /// A little-endian u32.
    pub fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.array(at))
    }

    /// A little-endian u64.
    pub fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.array(at))
    }

    /// A little-endian i64.
    pub fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.array(at))
    }

    /// A 32-byte identifier, zero-padded when the record ends first.
    pub fn identifier(&self, at: usize) -> [u8; 32] {
        self.array(at)
    }

    /// The C string in the `capacity`-byte buffer at `at`: up to its first NUL, and no
    /// longer than `length` when the record has a length field. A length past the
    /// buffer is clamped; a buffer without NUL and without length ends at its end; both
    /// count as repaired.
    pub fn c_text(&self, at: usize, capacity: usize, length: Option<u64>) -> CText {
        let buffer = self.bytes(at, capacity);
        let (limit, mut repaired) = match length {
            Some(n) => match usize::try_from(n) {
                Ok(n) if n <= buffer.len() => (n, false),
                _ => (buffer.len(), true),
            },
            None => (buffer.len(), false),
        };
        let bytes = &buffer[..limit];
        let bytes = match memchr::memchr(0, bytes) {
            Some(nul) => &bytes[..nul],
            None => {
                repaired |= length.is_none();
                bytes
            }
        };
        let text = match String::from_utf8_lossy(bytes) {
            Cow::Borrowed(s) => s.to_string(),
            Cow::Owned(s) => {
                repaired = true;
                s
            }
        };
        CText { text, repaired }
    }

    /// A 16-byte UUID as `8-4-4-4-12` lowercase hex (libprovenance's `uuid_to_str`).
    pub fn uuid(&self, at: usize) -> String {
        let b: [u8; 16] = self.array(at);
        let hex = |r: std::ops::Range<usize>| -> String {
            b[r].iter().map(|x| format!("{x:02x}")).collect()
        };
        format!(
            "{}-{}-{}-{}-{}",
            hex(0..4),
            hex(4..6),
            hex(6..8),
            hex(8..10),
            hex(10..16)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_zero_never_a_panic() {
        let r = Record(&[1, 2, 3]);
        assert_eq!(r.u16(0), 0x0201);
        assert_eq!(r.u32(1), 0x0302);
        assert_eq!(r.u64(100), 0);
        assert_eq!(r.identifier(usize::MAX - 3), [0u8; 32]);
        assert_eq!(r.c_text(usize::MAX, 10, Some(u64::MAX)).text, "");
    }

    #[test]
    fn c_strings_are_bounded_by_nul_length_and_buffer() {
        let mut buf = b"abc\0def".to_vec();
        buf.extend_from_slice(&[0xff, b'x']);
        let r = Record(&buf);
        assert_eq!(r.c_text(0, 7, None).text, "abc");
        assert!(!r.c_text(0, 7, None).repaired);
        assert_eq!(r.c_text(0, 7, Some(2)).text, "ab");
        assert_eq!(r.c_text(4, 3, Some(3)).text, "def");
        // No NUL and no length: the buffer's end, repaired.
        let t = r.c_text(4, 3, None);
        assert_eq!((t.text.as_str(), t.repaired), ("def", true));
        // A length larger than the buffer is clamped, repaired.
        let t = r.c_text(4, 3, Some(1 << 40));
        assert_eq!((t.text.as_str(), t.repaired), ("def", true));
        // Invalid UTF-8 is replaced visibly.
        let t = r.c_text(7, 2, Some(2));
        assert_eq!((t.text.as_str(), t.repaired), ("\u{fffd}x", true));
    }

    #[test]
    fn uuids_in_libprovenance_layout() {
        let bytes: Vec<u8> = (0u8..16).collect();
        assert_eq!(
            Record(&bytes).uuid(0),
            "00010203-0405-0607-0809-0a0b0c0d0e0f"
        );
    }
}
