//! Decoding the kernel side's ring-buffer records (`struct ps_event` in bpf/event.h) into
//! plain Rust values; packet records (`struct ps_packet`) are decoded in `packet`. Offsets
//! are fixed by `_Static_assert`s in event.h; a record that is too short or of an unknown
//! kind is refused, never guessed at.

use super::packet::{self, PacketEvent};
use std::fmt;

/// Offset of the string area; records without strings end here.
pub const HEADER_LEN: usize = 232;
const STR_MAX: usize = 256;
/// Where exec's argv starts (after the two string slots), envp right after it.
const EXEC_AT: usize = HEADER_LEN + 2 * STR_MAX;
const OBJ_LEN: usize = 56;

/// What an fd referred to when the syscall returned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdObject {
    /// Inode number (never 0 for a real object).
    pub ino: u64,
    /// Device, in the kernel's encoding (major << 20 | minor).
    pub dev: u32,
    /// `i_mode`: file type and permission bits.
    pub mode: u16,
    /// Socket type (SOCK_STREAM = 1, SOCK_DGRAM = 2...), sockets only.
    pub sock_type: u16,
    /// Address family (AF_INET = 2, AF_INET6 = 10, AF_UNIX = 1), sockets only.
    pub family: u16,
    /// Local port.
    pub sport: u16,
    /// Remote port.
    pub dport: u16,
    /// Protocol number.
    pub proto: u16,
    /// Local address (IPv4 in the first four bytes).
    pub saddr: [u8; 16],
    /// Remote address; for a unix socket, its peer's inode (see [`FdObject::unix_peer`]).
    pub daddr: [u8; 16],
}

/// The kinds of file an inode mode names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InodeKind {
    /// Regular file.
    File,
    /// Directory.
    Directory,
    /// Symbolic link.
    Link,
    /// Character device.
    Char,
    /// Block device.
    Block,
    /// Pipe or FIFO.
    Pipe,
    /// Socket.
    Socket,
    /// Anything else.
    Unknown,
}

impl InodeKind {
    /// From `i_mode`.
    pub fn from_mode(mode: u16) -> InodeKind {
        match u32::from(mode) & 0o170000 {
            0o100000 => InodeKind::File,
            0o040000 => InodeKind::Directory,
            0o120000 => InodeKind::Link,
            0o020000 => InodeKind::Char,
            0o060000 => InodeKind::Block,
            0o010000 => InodeKind::Pipe,
            0o140000 => InodeKind::Socket,
            _ => InodeKind::Unknown,
        }
    }

    /// CamFlow's type name for it.
    pub fn camflow_name(self) -> &'static str {
        match self {
            InodeKind::File => "file",
            InodeKind::Directory => "directory",
            InodeKind::Link => "link",
            InodeKind::Char => "char",
            InodeKind::Block => "block",
            InodeKind::Pipe => "pipe",
            InodeKind::Socket => "socket",
            InodeKind::Unknown => "inode_unknown",
        }
    }
}

impl FdObject {
    /// Its file type.
    pub fn kind(&self) -> InodeKind {
        InodeKind::from_mode(self.mode)
    }

    /// For a unix socket, the socket it is connected to (device, inode), when the kernel
    /// side found one: it keeps them where an inet socket's remote address is.
    pub fn unix_peer(&self) -> Option<(u32, u64)> {
        const AF_UNIX: u16 = 1;
        let [i0, i1, i2, i3, i4, i5, i6, i7, d0, d1, d2, d3, ..] = self.daddr;
        let ino = u64::from_le_bytes([i0, i1, i2, i3, i4, i5, i6, i7]);
        (self.family == AF_UNIX && ino != 0).then(|| (u32::from_le_bytes([d0, d1, d2, d3]), ino))
    }
}

/// Who did something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// Kernel time of the record (ns since boot, CLOCK_MONOTONIC).
    pub ts: u64,
    /// Process id (thread group).
    pub tgid: u32,
    /// Thread id: the CamFlow task.
    pub tid: u32,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// cgroup id.
    pub cgroup: u64,
}

/// One record from the kernel side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A syscall returned.
    Syscall(SyscallEvent),
    /// A task cloned another: a thread (same tgid) or a process.
    Fork {
        /// The cloning task.
        actor: Actor,
        /// The new task's id.
        child_tid: u32,
        /// The new task's process.
        child_tgid: u32,
    },
    /// A task started a new program.
    Exec(ExecEvent),
    /// A task ended.
    Exit {
        /// The task.
        actor: Actor,
        /// True when it was the last task of its process.
        process_ended: bool,
    },
    /// An IP packet a recorded socket sent or received.
    Packet(PacketEvent),
}

/// A task that started a new program, and what it started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecEvent {
    /// The task (after exec).
    pub actor: Actor,
    /// The task id before exec (differs when a non-leader thread exec'd).
    pub old_tid: u32,
    /// The program's path as given to exec.
    pub filename: Vec<u8>,
    /// The program file (for a script, its interpreter).
    pub file: FdObject,
    /// True when `filename` is a script run by the interpreter in `file`.
    pub script: bool,
    /// argv, NUL separated (possibly cut).
    pub argv: Vec<u8>,
    /// True when argv did not fit.
    pub argv_cut: bool,
    /// envp, NUL separated (possibly cut); empty unless the capture asked for it.
    pub envp: Vec<u8>,
    /// True when envp did not fit.
    pub envp_cut: bool,
}

/// A returned syscall with what the kernel side resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallEvent {
    /// The calling task.
    pub actor: Actor,
    /// Syscall number.
    pub nr: u32,
    /// Return value.
    pub ret: i64,
    /// Arguments.
    pub args: [u64; 6],
    /// fds written by pipe/socketpair.
    pub fd_pair: [i32; 2],
    /// Objects of the fds the table names (ino 0 = none).
    pub objects: [FdObject; 2],
    /// Path strings (or, in slot 1, a raw sockaddr).
    pub strings: [Option<Vec<u8>>; 2],
    /// Which strings were cut at 255 bytes.
    pub cut: [bool; 2],
    /// `strings[i]` is no argument but the path of `objects[i]`, read from its dentry: a
    /// file that came by fd with no recorded open to name it (track-only mode).
    pub object_path: [bool; 2],
}

/// Why a record could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its header says.
    Short(usize),
    /// A kind this build does not know.
    UnknownKind(u32),
    /// Fields that contradict each other.
    Damaged(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Short(n) => write!(f, "record of {n} bytes is too short"),
            DecodeError::UnknownKind(k) => write!(f, "unknown record kind {k}"),
            DecodeError::Damaged(why) => write!(f, "damaged record: {why}"),
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn object_at(b: &[u8], at: usize) -> FdObject {
    let mut saddr = [0u8; 16];
    let mut daddr = [0u8; 16];
    saddr.copy_from_slice(&b[at + 24..at + 40]);
    daddr.copy_from_slice(&b[at + 40..at + 56]);
    FdObject {
        ino: u64_at(b, at),
        dev: u32_at(b, at + 8),
        mode: u16_at(b, at + 12),
        sock_type: u16_at(b, at + 14),
        family: u16_at(b, at + 16),
        sport: u16_at(b, at + 18),
        dport: u16_at(b, at + 20),
        proto: u16_at(b, at + 22),
        saddr,
        daddr,
    }
}

/// String slot `i`: `len` counts the terminating NUL for C strings; raw byte slots
/// (argv, sockaddr) have no NUL to drop, so trailing NULs are trimmed only once.
fn string_at(b: &[u8], slot: usize, len: usize) -> Option<Vec<u8>> {
    bytes_at(b, HEADER_LEN + slot * STR_MAX, len.min(STR_MAX))
}

/// The `len` bytes (at most one slot) of a string area at `start`, one trailing NUL
/// dropped.
fn bytes_at(b: &[u8], start: usize, len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return None;
    }
    let bytes = b.get(start..start + len)?;
    let mut v = bytes.to_vec();
    if v.last() == Some(&0) {
        v.pop();
    }
    Some(v)
}

/// Decodes one record.
pub fn decode(b: &[u8]) -> Result<Event, DecodeError> {
    // A packet record is shorter than the others' header.
    if b.len() >= 4 && u32_at(b, 0) == packet::KIND {
        return packet::decode(b).map(Event::Packet);
    }
    if b.len() < HEADER_LEN {
        return Err(DecodeError::Short(b.len()));
    }
    let actor = Actor {
        ts: u64_at(b, 8),
        tgid: u32_at(b, 16),
        tid: u32_at(b, 20),
        uid: u32_at(b, 24),
        gid: u32_at(b, 28),
        cgroup: u64_at(b, 32),
    };
    let aux = [
        u32_at(b, 96),
        u32_at(b, 100),
        u32_at(b, 104),
        u32_at(b, 108),
    ];
    let str_len = [usize::from(u16_at(b, 224)), usize::from(u16_at(b, 226))];
    let flags = u32_at(b, 228);
    let needed = match (str_len[0] > 0, str_len[1] > 0) {
        (_, true) => HEADER_LEN + 2 * STR_MAX,
        (true, false) => HEADER_LEN + STR_MAX,
        _ => HEADER_LEN,
    };
    if b.len() < needed {
        return Err(DecodeError::Short(b.len()));
    }
    let cut = [flags & 1 != 0, flags & 2 != 0];
    match u32_at(b, 0) {
        1 => {
            let mut args = [0u64; 6];
            for (i, a) in args.iter_mut().enumerate() {
                *a = u64_at(b, 48 + 8 * i);
            }
            Ok(Event::Syscall(SyscallEvent {
                actor,
                nr: u32_at(b, 4),
                ret: u64_at(b, 40) as i64,
                args,
                fd_pair: [aux[0] as i32, aux[1] as i32],
                objects: [object_at(b, 112), object_at(b, 112 + OBJ_LEN)],
                strings: [string_at(b, 0, str_len[0]), string_at(b, 1, str_len[1])],
                cut,
                object_path: [flags & 16 != 0, flags & 32 != 0],
            }))
        }
        2 => Ok(Event::Fork {
            actor,
            child_tid: aux[0],
            child_tgid: aux[1],
        }),
        3 => {
            let (argv_len, env_len) = (aux[2] as usize, aux[1] as usize);
            let env_at = EXEC_AT + argv_len;
            if b.len() < env_at + env_len {
                return Err(DecodeError::Short(b.len()));
            }
            Ok(Event::Exec(ExecEvent {
                actor,
                old_tid: aux[0],
                filename: string_at(b, 0, str_len[0]).unwrap_or_default(),
                file: object_at(b, 112),
                script: flags & 4 != 0,
                argv: bytes_at(b, EXEC_AT, argv_len).unwrap_or_default(),
                argv_cut: cut[1],
                envp: bytes_at(b, env_at, env_len).unwrap_or_default(),
                envp_cut: flags & 8 != 0,
            }))
        }
        4 => Ok(Event::Exit {
            actor,
            process_ended: aux[0] != 0,
        }),
        k => Err(DecodeError::UnknownKind(k)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32, strings: &[&[u8]]) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN + STR_MAX * strings.len()];
        b[0..4].copy_from_slice(&kind.to_le_bytes());
        b[16..20].copy_from_slice(&77u32.to_le_bytes());
        b[20..24].copy_from_slice(&78u32.to_le_bytes());
        for (i, s) in strings.iter().enumerate() {
            let at = HEADER_LEN + i * STR_MAX;
            b[at..at + s.len()].copy_from_slice(s);
            b[224 + 2 * i..226 + 2 * i].copy_from_slice(&(s.len() as u16 + 1).to_le_bytes());
        }
        b
    }

    #[test]
    fn a_syscall_with_a_path_decodes() {
        let mut b = record(1, &[b"/etc/passwd"]);
        b[4..8].copy_from_slice(&257u32.to_le_bytes());
        b[40..48].copy_from_slice(&3i64.to_le_bytes());
        b[112..120].copy_from_slice(&4242u64.to_le_bytes());
        b[124..126].copy_from_slice(&0o100644u16.to_le_bytes());
        let Event::Syscall(e) = decode(&b).unwrap() else {
            panic!("not a syscall")
        };
        assert_eq!((e.nr, e.ret, e.actor.tgid, e.actor.tid), (257, 3, 77, 78));
        assert_eq!(e.strings[0].as_deref(), Some(&b"/etc/passwd"[..]));
        assert_eq!(e.objects[0].ino, 4242);
        assert_eq!(e.objects[0].kind(), InodeKind::File);
        assert!(e.strings[1].is_none());
    }

    /// An exec record as the kernel side writes it: the filename in slot 0, then argv
    /// and envp in the exec area, their lengths in aux[2] and aux[1].
    fn exec_record(filename: &[u8], argv: &[u8], envp: &[u8]) -> Vec<u8> {
        let mut b = record(3, &[filename]);
        b.resize(EXEC_AT, 0);
        b.extend_from_slice(argv);
        b.extend_from_slice(envp);
        b[100..104].copy_from_slice(&(envp.len() as u32).to_le_bytes());
        b[104..108].copy_from_slice(&(argv.len() as u32).to_le_bytes());
        b
    }

    #[test]
    fn an_exec_with_its_environment_decodes() {
        let mut b = exec_record(b"/usr/bin/env", b"env\0-i\0", b"SECRET=1\0PATH=/bin\0");
        b[228..232].copy_from_slice(&8u32.to_le_bytes());
        let Event::Exec(e) = decode(&b).unwrap() else {
            panic!("not an exec")
        };
        assert_eq!(e.filename, b"/usr/bin/env");
        assert_eq!(e.argv, b"env\0-i");
        assert_eq!(e.envp, b"SECRET=1\0PATH=/bin");
        assert!(e.envp_cut && !e.argv_cut);
        // Without envp the record ends after argv, and promising bytes it lacks is refused.
        let plain = exec_record(b"/bin/true", b"true\0", b"");
        let Event::Exec(e) = decode(&plain).unwrap() else {
            panic!("not an exec")
        };
        assert!(e.envp.is_empty());
        let mut short = plain;
        short[100] = 4;
        assert!(matches!(decode(&short), Err(DecodeError::Short(_))));
    }

    #[test]
    fn an_exec_keeps_arguments_longer_than_a_string_slot() {
        let argv: Vec<u8> = (0..60)
            .flat_map(|i| format!("argument-{i:03}\0").into_bytes())
            .collect();
        assert!(argv.len() > STR_MAX);
        let Event::Exec(e) = decode(&exec_record(b"/bin/echo", &argv, b"")).unwrap() else {
            panic!("not an exec")
        };
        assert_eq!(e.argv.len(), argv.len() - 1, "all of argv but its last NUL");
    }

    #[test]
    fn short_and_unknown_records_are_refused() {
        assert_eq!(decode(&[0u8; 10]), Err(DecodeError::Short(10)));
        let b = record(9, &[]);
        assert_eq!(decode(&b), Err(DecodeError::UnknownKind(9)));
        // A header that promises a string the record does not carry.
        let mut b = record(1, &[]);
        b[224] = 5;
        assert_eq!(decode(&b), Err(DecodeError::Short(HEADER_LEN)));
    }
}
