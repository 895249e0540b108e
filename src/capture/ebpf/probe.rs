//! Loading the committed BPF object with aya, attaching its tracepoint programs, and the
//! handles user space keeps: the ring buffer it drains, the filter maps it writes and the
//! counters it reads. Pure Rust at run time: no C toolchain, no libbpf.

mod empty_programs;
mod filter_maps;

pub use filter_maps::{IPV4_RULES_MAX, Ipv4Filter, PROPAGATE, RECORD};

use crate::capture::ebpf::syscalls::{Class, TABLE};
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::BtfTracePoint;
use aya::programs::tp_btf::BtfTracePointLinkId;
use aya::{Btf, Ebpf, EbpfLoader, Pod};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

/// The compiled kernel side (rebuilt by tools/bpf/build.sh, checked in CI).
const OBJECT: &[u8] = include_bytes!("bpf/provscope.bpf.o");

/// The tracepoints and the programs attached to them.
const PROGRAMS: [(&str, &str); 10] = [
    ("handle_sys_exit", "sys_exit"),
    ("handle_fork", "sched_process_fork"),
    ("handle_exec", "sched_process_exec"),
    ("handle_exit", "sched_process_exit"),
    ("handle_xmit", "net_dev_start_xmit"),
    ("handle_tcp_probe", "tcp_probe"),
    ("handle_copy", "skb_copy_datagram_iovec"),
    ("handle_data_ready", "sk_data_ready"),
    ("handle_sock_state", "inet_sock_set_state"),
    ("handle_netif_receive", "netif_receive_skb"),
];

/// Mirrors `struct ps_config`.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct Config {
    flags: u32,
    wake_bytes: u32,
    class_off: u64,
    self_tgid: u32,
    propagate_kinds_off: u32,
    propagate_class_off: u64,
    ipv4_rules: u32,
    pad: u32,
    inode_bloom: u64,
}

// SAFETY: plain old data, #[repr(C)] with no padding (4 + 4 + 8 + 4 + 4 + 8 + 4 + 4 + 8
// = 48 bytes, every field at its natural alignment), matching `struct ps_config`
// (asserted in event.h); aya copies it byte for byte into the map.
unsafe impl Pod for Config {}

/// Mirrors `struct ps_inode_key`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct InodeKey {
    /// Inode number.
    pub ino: u64,
    /// Device, kernel encoding.
    pub dev: u32,
    pad: u32,
}

// SAFETY: #[repr(C)], 16 bytes, the padding is an explicit zeroed field.
unsafe impl Pod for InodeKey {}

impl InodeKey {
    /// The key of an inode.
    pub fn new(dev: u32, ino: u64) -> InodeKey {
        InodeKey { ino, dev, pad: 0 }
    }
}

/// Mirrors `struct ps_inode_mark`: an inode's flags. Marks set from user space name an
/// inode number and carry no generation (the kernel's PS_MARK_GEN bit clear); the kernel
/// adds the generation of the first file it sees with that number, so that the mark goes
/// with that file, as CamFlow's marks go with the inode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct InodeMark {
    pub(crate) flags: u32,
    generation: u32,
}

// SAFETY: #[repr(C)], two u32, 8 bytes, no padding.
unsafe impl Pod for InodeMark {}

impl InodeMark {
    pub(crate) fn from_user_space(flags: u32) -> InodeMark {
        InodeMark {
            flags,
            generation: 0,
        }
    }
}

/// A device number in the kernel's encoding (`MKDEV`), from user space's `st_dev`: how
/// the kernel side's records and inode keys name devices.
pub fn kernel_dev(st_dev: u64) -> u32 {
    (libc::major(st_dev) << 20) | (libc::minor(st_dev) & 0xfffff)
}

/// Process or inode filter flags (`PS_OPAQUE`, `PS_TRACKED`; see also [`PROPAGATE`] and
/// [`RECORD`]).
pub const OPAQUE: u32 = 1;
/// See [`OPAQUE`].
pub const TRACKED: u32 = 2;

const CFG_TRACK_ONLY: u32 = 1;
const CFG_UID_FILTER: u32 = 2;
const CFG_GID_FILTER: u32 = 4;
const CFG_CGROUP_FILTER: u32 = 8;
const CFG_INODE_FILTER: u32 = 16;
const CFG_PAUSED: u32 = 32;
const CFG_COMPRESS: u32 = 64;
const CFG_ENV: u32 = 128;
const CFG_PID_FILTER: u32 = 256;
const CFG_PROPAGATE: u32 = 512;
const CFG_ID_TRACK: u32 = 1024;
const CFG_IPV4: u32 = 2048;
const CFG_TRACKED_INODES: u32 = 4096;
const CFG_CGROUP_TRACK: u32 = 8192;
const CFG_KERNEL_MARKS: u32 = 16384;

/// An inode's bit in the configuration's `inode_bloom`, as event.h's
/// `ps_inode_bloom_bit` computes it: the kernel searches the inode marks only for inodes
/// whose bit is set (while only user space marks inodes).
fn inode_bloom_bit(key: &InodeKey) -> u64 {
    let mixed = (key.ino ^ (u64::from(key.dev) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    1 << (mixed >> 58)
}

/// User and group ids below this are filter bits in an array map (`PS_ID_BITS_MAX`).
const ID_BITS_MAX: u32 = 65536;

/// Counter slots, in `enum ps_counter` order, with their report names. Names starting
/// with "dropped" are losses (the live status bar adds them up).
pub const COUNTER_NAMES: [&str; 22] = [
    "events",
    "dropped: ring buffer full",
    "dropped: damaged",
    "filtered: opaque process",
    "filtered: not tracked",
    "filtered: user",
    "filtered: group",
    "filtered: cgroup",
    "filtered: relation type",
    "filtered: opaque file",
    "failed syscalls (no flow)",
    "filtered: paused",
    "string arguments unreadable",
    "fd without an object",
    "compressed: exact repeats",
    "packets: socket without a file",
    "packets: socket not used in a recorded call",
    "packets: neither IPv4 nor IPv6",
    "dropped: UDP wake-ups with datagrams past the batch",
    "packets: copied again (recorded once)",
    "packets recorded",
    "dropped: tracking not spread (map full)",
];

/// The slot of [`COUNTER_NAMES`] that counts repeats compressed in the kernel (not a loss).
pub const COMPRESSED_SLOT: usize = 14;

/// The slot of [`COUNTER_NAMES`] that counts packet records written (part of "events").
pub const PACKETS_SLOT: usize = 20;

/// Why the capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Not enough privilege.
    #[error(
        "capturing needs root, or the CAP_BPF and CAP_PERFMON capabilities (this process has neither); try: sudo provscope capture ..."
    )]
    Privilege,
    /// The kernel has no BTF.
    #[error("this kernel exposes no BTF (/sys/kernel/btf/vmlinux): {0}")]
    Btf(String),
    /// Loading, verifying or attaching failed.
    #[error("cannot load the capture programs into the kernel: {0}")]
    Load(String),
}

fn load_error(e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Load(e.to_string())
}

/// True when this process may load and attach tracing programs.
pub fn has_privilege() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    // CapEff is a hex mask; CAP_PERFMON = 38, CAP_BPF = 39.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << 38) != 0 && caps & (1 << 39) != 0)
}

/// The loaded, attached kernel side.
pub struct Probe {
    bpf: Ebpf,
    ring: RingBuf<MapData>,
    config: Config,
    /// The programs' attachments while attached, to detach them by.
    links: Vec<(&'static str, BtfTracePointLinkId)>,
    seeds: filter_maps::Seeds,
}

/// Ring buffer size: 64 MiB absorbs a burst of ~100k records while user space writes.
const RING_BYTES: u32 = 1 << 26;

/// Records one [`Probe::drain`] hands over at most: a few milliseconds of building.
pub const DRAIN_BATCH: usize = 4096;

impl Probe {
    /// Loads and attaches everything; the capture runs from here on, with exact repeats
    /// compressed and nothing filtered but this process itself (opaque, so it never
    /// records its own work).
    pub fn start() -> Result<Probe, ProbeError> {
        let mut probe = Probe::load()?;
        probe.attach()?;
        Ok(probe)
    }

    /// Loads (and verifies) the programs and maps without attaching them: filters set now are in place
    /// before the first event is recorded (see [`Probe::attach`]).
    pub fn load() -> Result<Probe, ProbeError> {
        if !has_privilege() {
            return Err(ProbeError::Privilege);
        }
        let btf = Btf::from_sys_fs().map_err(|e| ProbeError::Btf(e.to_string()))?;
        let mut bpf = EbpfLoader::new()
            .btf(Some(&btf))
            .map_max_entries("events", RING_BYTES)
            .load(OBJECT)
            .map_err(load_error)?;
        {
            let mut table: Array<_, u32> =
                Array::try_from(bpf.map_mut("syscalls").ok_or_else(|| missing("syscalls"))?)
                    .map_err(load_error)?;
            for s in TABLE {
                table.set(s.nr, s.encode(), 0).map_err(load_error)?;
            }
        }
        let ring = RingBuf::try_from(bpf.take_map("events").ok_or_else(|| missing("events"))?)
            .map_err(load_error)?;
        for (prog, tracepoint) in PROGRAMS {
            let p: &mut BtfTracePoint = bpf
                .program_mut(prog)
                .ok_or_else(|| missing(prog))?
                .try_into()
                .map_err(load_error)?;
            p.load(tracepoint, &btf)
                .map_err(|e| ProbeError::Load(format!("{prog}: {e}")))?;
        }
        let mut probe = Probe {
            bpf,
            ring,
            links: Vec::new(),
            config: Config {
                flags: CFG_COMPRESS,
                wake_bytes: 1 << 20,
                class_off: 0,
                self_tgid: std::process::id(),
                ..Config::default()
            },
            seeds: filter_maps::Seeds::default(),
        };
        probe.write_config()?;
        probe.set_process(std::process::id(), OPAQUE)?;
        Ok(probe)
    }

    /// Attaches the programs to their tracepoints: recording starts. Does nothing when
    /// they already are attached.
    pub fn attach(&mut self) -> Result<(), ProbeError> {
        self.attach_set(&PROGRAMS)
    }

    /// Attaches `set` (program, tracepoint) in place of whatever is attached, loading any
    /// program of it not loaded yet; does nothing when exactly `set` is attached.
    fn attach_set(&mut self, set: &[(&'static str, &'static str)]) -> Result<(), ProbeError> {
        let attached: Vec<&str> = self.links.iter().map(|(prog, _)| *prog).collect();
        let wanted: Vec<&str> = set.iter().map(|(prog, _)| *prog).collect();
        if attached == wanted {
            return Ok(());
        }
        self.detach()?;
        let mut btf = None;
        for &(prog, tracepoint) in set {
            if self.program(prog)?.fd().is_err() {
                if btf.is_none() {
                    btf = Some(Btf::from_sys_fs().map_err(|e| ProbeError::Btf(e.to_string()))?);
                }
                let btf = btf.as_ref().expect("set just above");
                self.program(prog)?
                    .load(tracepoint, btf)
                    .map_err(|e| ProbeError::Load(format!("{prog}: {e}")))?;
            }
            match self.program(prog)?.attach() {
                Ok(link) => self.links.push((prog, link)),
                Err(e) => {
                    // All or nothing: a half-attached probe would record some kinds
                    // of event and silently miss others.
                    let _ = self.detach();
                    return Err(ProbeError::Load(format!("{prog}: {e}")));
                }
            }
        }
        Ok(())
    }

    /// Detaches every program: the kernel runs none of them (a syscall costs what it
    /// costs with no probe at all) while maps, filters and counters stay as they are,
    /// ready for [`Probe::attach`]. Does nothing when they are not attached.
    pub fn detach(&mut self) -> Result<(), ProbeError> {
        let mut first_error = None;
        for (prog, link) in std::mem::take(&mut self.links) {
            if let Err(e) = self.program(prog).and_then(|p| {
                p.detach(link)
                    .map_err(|e| ProbeError::Load(format!("{prog}: {e}")))
            }) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn program(&mut self, name: &str) -> Result<&mut BtfTracePoint, ProbeError> {
        self.bpf
            .program_mut(name)
            .ok_or_else(|| missing(name))?
            .try_into()
            .map_err(load_error)
    }

    fn write_config(&mut self) -> Result<(), ProbeError> {
        let mut cfg: Array<_, Config> = Array::try_from(
            self.bpf
                .map_mut("config")
                .ok_or_else(|| missing("config"))?,
        )
        .map_err(load_error)?;
        cfg.set(0, self.config, 0).map_err(load_error)
    }

    fn set_config_flag(&mut self, flag: u32, on: bool) {
        if on {
            self.config.flags |= flag;
        } else {
            self.config.flags &= !flag;
        }
    }

    fn set_flag(&mut self, flag: u32, on: bool) -> Result<(), ProbeError> {
        self.set_config_flag(flag, on);
        self.write_config()
    }

    /// Track-only mode: record only tracked processes (and their descendants), and what
    /// touches tracked inodes.
    pub fn set_track_only(&mut self, on: bool) -> Result<(), ProbeError> {
        self.set_flag(CFG_TRACK_ONLY, on)
    }

    /// Pause: record nothing until resumed (filtered records are counted).
    pub fn set_paused(&mut self, on: bool) -> Result<(), ProbeError> {
        self.set_flag(CFG_PAUSED, on)
    }

    /// Turns the kernel's compression of exact repeats (on from the start) on or off.
    /// Off, every read and write is sent, as a throughput measurement needs.
    pub fn set_compression(&mut self, on: bool) -> Result<(), ProbeError> {
        self.set_flag(CFG_COMPRESS, on)
    }

    /// Whether exec records carry the new program's environment (envp). Off unless asked
    /// for: an environment holds secrets (tokens, passwords) that a trace then keeps.
    pub fn set_env(&mut self, on: bool) -> Result<(), ProbeError> {
        self.set_flag(CFG_ENV, on)
    }

    /// Switches a relation class off (not captured) or on.
    pub fn set_class(&mut self, class: Class, captured: bool) -> Result<(), ProbeError> {
        let bit = 1u64 << (class as u8);
        if captured {
            self.config.class_off &= !bit;
        } else {
            self.config.class_off |= bit;
        }
        self.write_config()
    }

    /// Waits up to `timeout` for records, then hands the waiting records to `f`, at most
    /// [`DRAIN_BATCH`] of them. Returns how many were handed over.
    ///
    /// Bounded because a workload can write records faster than the caller turns them
    /// into output: the ring buffer then never empties, and an unbounded drain would
    /// never return, holding everything built from it in memory (a read/write loop took
    /// a capture to 23 GB in 4 s that way) while nothing reached the output.
    pub fn drain(&mut self, timeout: Duration, mut f: impl FnMut(&[u8])) -> usize {
        let n = self.hand_over(&mut f);
        if n > 0 {
            return n;
        }
        let mut pfd = libc::pollfd {
            fd: self.ring.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, for the duration of the call.
        unsafe { libc::poll(&mut pfd, 1, ms) };
        self.hand_over(&mut f)
    }

    /// Hands the records waiting now to `f`, at most [`DRAIN_BATCH`]; how many.
    fn hand_over(&mut self, f: &mut impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while n < DRAIN_BATCH {
            let Some(item) = self.ring.next() else { break };
            f(&item);
            n += 1;
        }
        n
    }

    /// The kernel side's counters, summed over CPUs, in [`COUNTER_NAMES`] order.
    pub fn counters(&self) -> Vec<u64> {
        let Some(map) = self.bpf.map("counters") else {
            return vec![0; COUNTER_NAMES.len()];
        };
        let Ok(arr) = PerCpuArray::<_, u64>::try_from(map) else {
            return vec![0; COUNTER_NAMES.len()];
        };
        (0..COUNTER_NAMES.len() as u32)
            .map(|i| arr.get(&i, 0).map_or(0, |v| v.iter().sum()))
            .collect()
    }
}

fn missing(name: &str) -> ProbeError {
    ProbeError::Load(format!("the BPF object has no '{name}'"))
}
