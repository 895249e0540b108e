//! The syscalls the capture records (x86_64 numbers), the relation class each belongs to,
//! and which of its arguments name fds, path strings, socket addresses or fd pairs. The
//! kernel side reads this table from the `syscalls` map, so it is the one place that says
//! what is captured.

/// Relation classes: the unit of the in-kernel relation filter (one bit each in
/// `ps_config.class_off`) and what the builder turns into CamFlow relations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Class {
    /// read, pread64, readv, preadv(2): CamFlow `read` (or `receive` on a socket).
    Read = 1,
    /// write, pwrite64, writev, pwritev(2): CamFlow `write` (or `send` on a socket).
    Write = 2,
    /// recvfrom, recvmsg, recvmmsg: CamFlow `receive`.
    Receive = 3,
    /// sendto, sendmsg, sendmmsg: CamFlow `send`.
    Send = 4,
    /// open, openat, openat2, creat: CamFlow `open` (and `inode_create`).
    Open = 5,
    /// connect: CamFlow `connect`.
    Connect = 6,
    /// bind: CamFlow `bind`.
    Bind = 7,
    /// listen: CamFlow `listen`.
    Listen = 8,
    /// accept, accept4: CamFlow `accept`.
    Accept = 9,
    /// socket, socketpair: CamFlow `socket_create` / `socket_pair_create`.
    Socket = 10,
    /// pipe, pipe2 (CamFlow misses these; recorded as `inode_create` of a pipe).
    Pipe = 11,
    /// dup, dup2, dup3 (CamFlow misses these).
    Dup = 12,
    /// unlink, unlinkat, rmdir: CamFlow `unlink`.
    Unlink = 13,
    /// rename, renameat, renameat2: CamFlow `rename`.
    Rename = 14,
    /// link, linkat: CamFlow `link`.
    Link = 15,
    /// symlink, symlinkat (CamFlow misses these): `symlink`.
    Symlink = 16,
    /// mknod, mknodat, mkdir, mkdirat (mknod is missed by CamFlow): `inode_create`.
    Create = 17,
    /// chmod, chown, truncate and their fd / at variants: CamFlow `setattr`.
    Setattr = 18,
    /// setuid, setgid and friends: CamFlow `setuid` / `setgid`.
    Setid = 19,
    /// mmap of a file: CamFlow `mmap` (read) or `mmap_write`.
    Mmap = 20,
    /// sendfile, splice, copy_file_range, tee: a read of one fd and a write of another.
    Transfer = 21,
    /// chdir, fchdir: not a relation; keeps relative paths resolvable.
    Chdir = 22,
    /// No syscall: IP packets sent and received (`send_packet`, `receive_packet`), so
    /// that they can be switched off in the kernel like any class (`PS_CLASS_PACKET`).
    Packet = 23,
}

impl Class {
    /// Every class, for filters and reports.
    pub const ALL: [Class; 23] = [
        Class::Read,
        Class::Write,
        Class::Receive,
        Class::Send,
        Class::Open,
        Class::Connect,
        Class::Bind,
        Class::Listen,
        Class::Accept,
        Class::Socket,
        Class::Pipe,
        Class::Dup,
        Class::Unlink,
        Class::Rename,
        Class::Link,
        Class::Symlink,
        Class::Create,
        Class::Setattr,
        Class::Setid,
        Class::Mmap,
        Class::Transfer,
        Class::Chdir,
        Class::Packet,
    ];

    /// The class with this number.
    pub fn from_u8(n: u8) -> Option<Class> {
        Class::ALL.iter().copied().find(|c| *c as u8 == n)
    }

    /// Its name in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Receive => "receive",
            Class::Send => "send",
            Class::Open => "open",
            Class::Connect => "connect",
            Class::Bind => "bind",
            Class::Listen => "listen",
            Class::Accept => "accept",
            Class::Socket => "socket",
            Class::Pipe => "pipe",
            Class::Dup => "dup",
            Class::Unlink => "unlink",
            Class::Rename => "rename",
            Class::Link => "link",
            Class::Symlink => "symlink",
            Class::Create => "create",
            Class::Setattr => "setattr",
            Class::Setid => "setid",
            Class::Mmap => "mmap",
            Class::Transfer => "transfer",
            Class::Chdir => "chdir",
            Class::Packet => "packet",
        }
    }
}

/// Where a syscall's interesting values are: argument index 0-5, or the return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Argument `n` (0-based).
    N(u8),
    /// The return value.
    Ret,
}

/// One syscall's table entry.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Syscall number (x86_64).
    pub nr: u32,
    /// Its name.
    pub name: &'static str,
    /// Relation class.
    pub class: Class,
    /// First fd to resolve to an object.
    pub fd_a: Option<Arg>,
    /// Second fd to resolve.
    pub fd_b: Option<Arg>,
    /// First path string.
    pub str_a: Option<u8>,
    /// Second path string.
    pub str_b: Option<u8>,
    /// A `struct sockaddr *` argument (its length is the next argument).
    pub addr: Option<u8>,
    /// An `int[2]` of fds written by the call (pipe, socketpair).
    pub fd_pair: Option<u8>,
    /// The second fd's unix socket name goes into the first string (accept: the name
    /// of the listening socket).
    pub unix_name: bool,
}

const fn spec(nr: u32, name: &'static str, class: Class) -> Spec {
    Spec {
        nr,
        name,
        class,
        fd_a: None,
        fd_b: None,
        str_a: None,
        str_b: None,
        addr: None,
        fd_pair: None,
        unix_name: false,
    }
}

const fn fd(mut s: Spec, a: Arg) -> Spec {
    s.fd_a = Some(a);
    s
}

const fn fd2(mut s: Spec, a: Arg, b: Arg) -> Spec {
    s.fd_a = Some(a);
    s.fd_b = Some(b);
    s
}

const fn path(mut s: Spec, a: u8) -> Spec {
    s.str_a = Some(a);
    s
}

const fn paths(mut s: Spec, a: u8, b: u8) -> Spec {
    s.str_a = Some(a);
    s.str_b = Some(b);
    s
}

/// The directory fd of an `*at` call, resolved like any fd (into the second slot) so that
/// relative names resolve even after the process has gone.
const fn dirfd(mut s: Spec, a: u8) -> Spec {
    s.fd_b = Some(Arg::N(a));
    s
}

const fn addr(mut s: Spec, a: u8) -> Spec {
    s.addr = Some(a);
    s
}

const fn pair(mut s: Spec, a: u8) -> Spec {
    s.fd_pair = Some(a);
    s
}

const fn unix_name(mut s: Spec) -> Spec {
    s.unix_name = true;
    s
}

use Arg::{N, Ret};
use Class as C;

/// The x86_64 syscall table of the capture.
pub const TABLE: &[Spec] = &[
    fd(spec(0, "read", C::Read), N(0)),
    fd(spec(17, "pread64", C::Read), N(0)),
    fd(spec(19, "readv", C::Read), N(0)),
    fd(spec(295, "preadv", C::Read), N(0)),
    fd(spec(327, "preadv2", C::Read), N(0)),
    fd(spec(1, "write", C::Write), N(0)),
    fd(spec(18, "pwrite64", C::Write), N(0)),
    fd(spec(20, "writev", C::Write), N(0)),
    fd(spec(296, "pwritev", C::Write), N(0)),
    fd(spec(328, "pwritev2", C::Write), N(0)),
    fd(spec(45, "recvfrom", C::Receive), N(0)),
    fd(spec(47, "recvmsg", C::Receive), N(0)),
    fd(spec(299, "recvmmsg", C::Receive), N(0)),
    addr(fd(spec(44, "sendto", C::Send), N(0)), 4),
    fd(spec(46, "sendmsg", C::Send), N(0)),
    fd(spec(307, "sendmmsg", C::Send), N(0)),
    path(fd(spec(2, "open", C::Open), Ret), 0),
    path(fd(spec(85, "creat", C::Open), Ret), 0),
    dirfd(path(fd(spec(257, "openat", C::Open), Ret), 1), 0),
    dirfd(path(fd(spec(437, "openat2", C::Open), Ret), 1), 0),
    addr(fd(spec(42, "connect", C::Connect), N(0)), 1),
    addr(fd(spec(49, "bind", C::Bind), N(0)), 1),
    fd(spec(50, "listen", C::Listen), N(0)),
    unix_name(fd2(spec(43, "accept", C::Accept), N(0), Ret)),
    unix_name(fd2(spec(288, "accept4", C::Accept), N(0), Ret)),
    fd(spec(41, "socket", C::Socket), Ret),
    pair(spec(53, "socketpair", C::Socket), 3),
    pair(spec(22, "pipe", C::Pipe), 0),
    pair(spec(293, "pipe2", C::Pipe), 0),
    fd(spec(32, "dup", C::Dup), N(0)),
    fd(spec(33, "dup2", C::Dup), N(0)),
    fd(spec(292, "dup3", C::Dup), N(0)),
    path(spec(87, "unlink", C::Unlink), 0),
    dirfd(path(spec(263, "unlinkat", C::Unlink), 1), 0),
    path(spec(84, "rmdir", C::Unlink), 0),
    paths(spec(82, "rename", C::Rename), 0, 1),
    dirfd(paths(spec(264, "renameat", C::Rename), 1, 3), 0),
    dirfd(paths(spec(316, "renameat2", C::Rename), 1, 3), 0),
    paths(spec(86, "link", C::Link), 0, 1),
    dirfd(paths(spec(265, "linkat", C::Link), 1, 3), 0),
    paths(spec(88, "symlink", C::Symlink), 0, 1),
    dirfd(paths(spec(266, "symlinkat", C::Symlink), 0, 2), 1),
    path(spec(133, "mknod", C::Create), 0),
    dirfd(path(spec(259, "mknodat", C::Create), 1), 0),
    path(spec(83, "mkdir", C::Create), 0),
    dirfd(path(spec(258, "mkdirat", C::Create), 1), 0),
    path(spec(90, "chmod", C::Setattr), 0),
    fd(spec(91, "fchmod", C::Setattr), N(0)),
    dirfd(path(spec(268, "fchmodat", C::Setattr), 1), 0),
    dirfd(path(spec(452, "fchmodat2", C::Setattr), 1), 0),
    path(spec(92, "chown", C::Setattr), 0),
    fd(spec(93, "fchown", C::Setattr), N(0)),
    path(spec(94, "lchown", C::Setattr), 0),
    dirfd(path(spec(260, "fchownat", C::Setattr), 1), 0),
    path(spec(76, "truncate", C::Setattr), 0),
    fd(spec(77, "ftruncate", C::Setattr), N(0)),
    spec(105, "setuid", C::Setid),
    spec(106, "setgid", C::Setid),
    spec(113, "setreuid", C::Setid),
    spec(114, "setregid", C::Setid),
    spec(117, "setresuid", C::Setid),
    spec(119, "setresgid", C::Setid),
    fd(spec(9, "mmap", C::Mmap), N(4)),
    fd2(spec(40, "sendfile", C::Transfer), N(1), N(0)),
    fd2(spec(275, "splice", C::Transfer), N(0), N(2)),
    fd2(spec(326, "copy_file_range", C::Transfer), N(0), N(2)),
    fd2(spec(276, "tee", C::Transfer), N(0), N(1)),
    path(spec(80, "chdir", C::Chdir), 0),
    fd(spec(81, "fchdir", C::Chdir), N(0)),
];

/// Looks a syscall up by number.
pub fn by_nr(nr: u32) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.nr == nr)
}

const NONE: u32 = 7;
const RET: u32 = 6;
/// `PS_SPEC_UNIX_NAME`.
const UNIX_NAME: u32 = 1 << 29;

fn arg_bits(a: Option<Arg>) -> u32 {
    match a {
        None => NONE,
        Some(Arg::Ret) => RET,
        Some(Arg::N(n)) => u32::from(n),
    }
}

fn index_bits(a: Option<u8>) -> u32 {
    a.map_or(NONE, u32::from)
}

impl Spec {
    /// The packed value the kernel side reads (`PS_SPEC_*` in event.h).
    pub fn encode(&self) -> u32 {
        u32::from(self.class as u8)
            | arg_bits(self.fd_a) << 8
            | arg_bits(self.fd_b) << 11
            | index_bits(self.str_a) << 14
            | index_bits(self.str_b) << 17
            | index_bits(self.addr) << 20
            | index_bits(self.fd_pair) << 23
            | self.compression_bits()
            | self.class.flow_bits()
            | if self.unix_name { UNIX_NAME } else { 0 }
    }

    /// `PS_SPEC_COMPRESSIBLE` for the fd-only flows whose exact repeats the kernel may
    /// drop (reads and writes), and `PS_SPEC_QUIET` for those that change nothing other
    /// processes' events depend on (reads).
    fn compression_bits(&self) -> u32 {
        const COMPRESSIBLE: u32 = 1 << 27;
        const QUIET: u32 = 1 << 28;
        match self.class {
            Class::Read => COMPRESSIBLE | QUIET,
            Class::Write => COMPRESSIBLE,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_fit_the_kernel_table() {
        let mut seen = std::collections::HashSet::new();
        for s in TABLE {
            assert!(seen.insert(s.nr), "{} listed twice", s.name);
            assert!(s.nr < 512, "{} beyond PS_NR_MAX", s.name);
        }
    }

    #[test]
    fn encoding_matches_the_c_macros() {
        // renameat: class 14, its directory fd (arg 0), strings from args 1 and 3.
        let s = by_nr(264).unwrap().encode();
        assert_eq!(s & 0xff, 14);
        assert_eq!(((s >> 8) & 7, (s >> 11) & 7), (7, 0));
        assert_eq!((s >> 14) & 7, 1);
        assert_eq!((s >> 17) & 7, 3);
        // accept4: fd from arg 0 and from the return value, the new socket's unix name.
        let a = by_nr(288).unwrap().encode();
        assert_eq!(((a >> 8) & 7, (a >> 11) & 7), (0, 6));
        assert_ne!(a & 1 << 29, 0);
        assert_eq!(by_nr(42).unwrap().encode() & 1 << 29, 0, "connect has none");
    }

    #[test]
    fn numbers_match_the_system_headers() {
        // An independent source: the kernel's own x86_64 table as installed by
        // linux-libc-dev (a dependency of the C toolchain on Debian).
        let header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
        let text = std::fs::read_to_string(header).expect("linux-libc-dev is installed");
        let defined: Vec<(&str, u32)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("#define __NR_"))
            .filter_map(|l| l.split_once(' '))
            .filter_map(|(name, nr)| Some((name, nr.trim().parse().ok()?)))
            .collect();
        let newest = defined.iter().map(|&(_, nr)| nr).max().unwrap();
        for s in TABLE {
            match defined.iter().find(|&&(name, _)| name == s.name) {
                Some(&(_, nr)) => assert_eq!(nr, s.nr, "{}", s.name),
                // Newer than the installed headers (fchmodat2 came with Linux 6.6).
                None => assert!(s.nr > newest, "{} is not in {header}", s.name),
            }
        }
    }

    #[test]
    fn well_known_numbers() {
        // A typo here would silently capture the wrong syscall.
        for (nr, name) in [(0, "read"), (1, "write"), (257, "openat"), (42, "connect")] {
            assert_eq!(by_nr(nr).unwrap().name, name);
        }
    }
}
