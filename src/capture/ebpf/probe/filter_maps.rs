//! The kernel side's filter maps as user space writes them: opaque and tracked processes
//! and inodes; users and groups (opaque ones also as bits, tracked ones in the hash maps
//! only); opaque and tracked cgroups; IPv4 rules; the propagate filters. And the configuration flags that
//! tell the kernel which maps it must consult, kept in step with what user space put in
//! them, so that an unused filter costs the kernel nothing.

use super::{
    CFG_CGROUP_FILTER, CFG_CGROUP_TRACK, CFG_GID_FILTER, CFG_ID_TRACK, CFG_INODE_FILTER, CFG_IPV4,
    CFG_KERNEL_MARKS, CFG_PID_FILTER, CFG_PROPAGATE, CFG_TRACKED_INODES, CFG_UID_FILTER,
    ID_BITS_MAX, InodeKey, InodeMark, OPAQUE, Probe, ProbeError, TRACKED, inode_bloom_bit,
    load_error, missing,
};
use aya::Pod;
use aya::maps::{Array, HashMap};
use hashbrown::HashSet;
use std::net::Ipv4Addr;

/// Tracking spreads from it along information flows (`PS_PROPAGATE`).
pub const PROPAGATE: u32 = 4;
/// A socket whose packets' content is recorded (`PS_RECORD`, IPv4 `record` rules).
pub const RECORD: u32 = 8;
/// How many IPv4 rules the kernel side holds (`PS_IPV4_RULES_MAX`).
pub const IPV4_RULES_MAX: usize = 32;

/// An IPv4 rule for the kernel: a connect (egress) or bind (ingress) to a matching
/// address gives `flags` ([`TRACKED`], [`PROPAGATE`], [`RECORD`]) to the process and
/// its socket. The first matching rule applies, as in CamFlow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Filter {
    /// Connect (true) or bind (false).
    pub egress: bool,
    /// Network address.
    pub addr: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix: u8,
    /// Port, host order; 0 for any.
    pub port: u16,
    /// What a match does.
    pub flags: u32,
}

/// Mirrors `struct ps_ipv4_rule`: addresses and port in network byte order.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct RawIpv4Rule {
    addr: u32,
    mask: u32,
    port: u16,
    way: u8,
    pad: u8,
    flags: u32,
}

// SAFETY: #[repr(C)], 4 + 4 + 2 + 1 + 1 + 4 = 16 bytes with no implicit padding,
// matching `struct ps_ipv4_rule` (asserted in event.h).
unsafe impl Pod for RawIpv4Rule {}

impl Ipv4Filter {
    fn raw(&self) -> RawIpv4Rule {
        let mask = match self.prefix.min(32) {
            0 => 0,
            p => u32::MAX << (32 - u32::from(p)),
        };
        // Memory order as the kernel compares it: the bytes of the address as sent.
        RawIpv4Rule {
            addr: u32::from_ne_bytes(self.addr.octets()),
            mask: u32::from_ne_bytes(mask.to_be_bytes()),
            port: u16::from_ne_bytes(self.port.to_be_bytes()),
            way: if self.egress { 2 } else { 1 },
            pad: 0,
            flags: self.flags,
        }
    }
}

/// Who user space made propagate: while any is left, the kernel spreads tracking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Seed {
    Process(u32),
    Inode(InodeKey),
    User(u32),
    Group(u32),
    Cgroup(u64),
    Ipv4,
}

/// What user space put into the filter maps (the kernel adds tracked processes and
/// inodes of its own as tracking spreads).
#[derive(Debug, Default)]
pub(super) struct Seeds {
    propagating: HashSet<Seed>,
    tracked_inodes: HashSet<InodeKey>,
    /// (is a group, id) for opaque and for tracked ids.
    opaque_ids: HashSet<(bool, u32)>,
    tracked_ids: HashSet<(bool, u32)>,
    opaque_cgroups: HashSet<u64>,
    tracked_cgroups: HashSet<u64>,
    any_inode: bool,
    /// Once tracking has spread, inodes the kernel marked may be tracked for good.
    ever_propagated: bool,
    /// Once IPv4 rules were set, the kernel may have marked sockets by them.
    ever_ipv4: bool,
}

/// Puts `key` in `set` when `on`, takes it out otherwise.
fn keep<T: std::hash::Hash + Eq>(set: &mut HashSet<T>, key: T, on: bool) {
    if on {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

impl Seeds {
    fn set_propagating(&mut self, seed: Seed, on: bool) {
        keep(&mut self.propagating, seed, on);
    }
}

impl Probe {
    /// Sets or clears a process's flags ([`OPAQUE`], [`TRACKED`], [`PROPAGATE`]); 0
    /// clears.
    pub fn set_process(&mut self, tgid: u32, flags: u32) -> Result<(), ProbeError> {
        let own = self.config.self_tgid;
        let others = {
            let mut pids: HashMap<_, u32, u32> =
                HashMap::try_from(self.bpf.map_mut("pids").ok_or_else(|| missing("pids"))?)
                    .map_err(load_error)?;
            if flags == 0 {
                // Removing an absent key is not an error worth reporting.
                let _ = pids.remove(&tgid);
            } else {
                pids.insert(tgid, flags, 0).map_err(load_error)?;
            }
            pids.keys().filter_map(Result::ok).any(|k| k != own)
        };
        self.seeds
            .set_propagating(Seed::Process(tgid), flags & PROPAGATE != 0);
        // The kernel checks its own process without the map; it looks a process up only
        // while some other one has flags (or track-only mode fills the map itself).
        self.set_config_flag(CFG_PID_FILTER, others);
        self.sync_filter_flags()
    }

    /// Sets or clears an inode's flags; any inode flag turns the inode filter on.
    pub fn set_inode(&mut self, key: InodeKey, flags: u32) -> Result<(), ProbeError> {
        {
            let mut inodes: HashMap<_, InodeKey, InodeMark> = HashMap::try_from(
                self.bpf
                    .map_mut("inodes")
                    .ok_or_else(|| missing("inodes"))?,
            )
            .map_err(load_error)?;
            if flags == 0 {
                let _ = inodes.remove(&key);
            } else {
                inodes
                    .insert(key, InodeMark::from_user_space(flags), 0)
                    .map_err(load_error)?;
            }
        }
        if flags != 0 {
            // A bit cleared again could hide another inode's mark: bits only accumulate.
            self.config.inode_bloom |= inode_bloom_bit(&key);
        }
        let seeds = &mut self.seeds;
        seeds.any_inode |= flags != 0;
        keep(&mut seeds.tracked_inodes, key, flags & TRACKED != 0);
        seeds.set_propagating(Seed::Inode(key), flags & PROPAGATE != 0);
        self.sync_filter_flags()
    }

    /// Ignores (or stops ignoring) a user id.
    pub fn set_uid_filtered(&mut self, uid: u32, filtered: bool) -> Result<(), ProbeError> {
        self.update_id(false, uid, OPAQUE, filtered)
    }

    /// Ignores (or stops ignoring) a group id.
    pub fn set_gid_filtered(&mut self, gid: u32, filtered: bool) -> Result<(), ProbeError> {
        self.update_id(true, gid, OPAQUE, filtered)
    }

    /// Tracks the processes of a user: `flags` is [`TRACKED`], `TRACKED | PROPAGATE`, or
    /// 0 to stop. A process becomes tracked at its first event under that user.
    pub fn set_uid_tracking(&mut self, uid: u32, flags: u32) -> Result<(), ProbeError> {
        self.update_id(false, uid, TRACKED | PROPAGATE, false)?;
        self.update_id(false, uid, flags & (TRACKED | PROPAGATE), true)
    }

    /// Tracks the processes of a group, as [`Probe::set_uid_tracking`].
    pub fn set_gid_tracking(&mut self, gid: u32, flags: u32) -> Result<(), ProbeError> {
        self.update_id(true, gid, TRACKED | PROPAGATE, false)?;
        self.update_id(true, gid, flags & (TRACKED | PROPAGATE), true)
    }

    /// Sets (`on`) or clears the `bits` of an id's flags. The hash map holds every id
    /// with flags (the set of record); a small opaque id is also a bit in the array the
    /// kernel reads instead of the hash.
    fn update_id(&mut self, group: bool, id: u32, bits: u32, on: bool) -> Result<(), ProbeError> {
        let (map, bits_map) = if group {
            ("gids", "gid_bits")
        } else {
            ("uids", "uid_bits")
        };
        let flags = self.update_flags(map, id, bits, on)?;
        if id < ID_BITS_MAX {
            let mut words: Array<_, u64> = Array::try_from(
                self.bpf
                    .map_mut(bits_map)
                    .ok_or_else(|| missing(bits_map))?,
            )
            .map_err(load_error)?;
            let word = id / 64;
            let mut w = words.get(&word, 0).map_err(load_error)?;
            if flags & OPAQUE != 0 {
                w |= 1 << (id % 64);
            } else {
                w &= !(1 << (id % 64));
            }
            words.set(word, w, 0).map_err(load_error)?;
        }
        let seeds = &mut self.seeds;
        keep(&mut seeds.opaque_ids, (group, id), flags & OPAQUE != 0);
        keep(&mut seeds.tracked_ids, (group, id), flags & TRACKED != 0);
        let seed = if group {
            Seed::Group(id)
        } else {
            Seed::User(id)
        };
        seeds.set_propagating(seed, flags & PROPAGATE != 0);
        self.sync_filter_flags()
    }

    /// Ignores (or stops ignoring) a cgroup by id.
    pub fn set_cgroup_filtered(&mut self, cgroup: u64, filtered: bool) -> Result<(), ProbeError> {
        self.update_cgroup(cgroup, OPAQUE, filtered)
    }

    /// Tracks the processes in a cgroup: `flags` is [`TRACKED`], `TRACKED | PROPAGATE`,
    /// or 0 to stop.
    pub fn set_cgroup_tracking(&mut self, cgroup: u64, flags: u32) -> Result<(), ProbeError> {
        self.update_cgroup(cgroup, TRACKED | PROPAGATE, false)?;
        self.update_cgroup(cgroup, flags & (TRACKED | PROPAGATE), true)
    }

    fn update_cgroup(&mut self, cgroup: u64, bits: u32, on: bool) -> Result<(), ProbeError> {
        let flags = self.update_flags("cgroups", cgroup, bits, on)?;
        let seeds = &mut self.seeds;
        keep(&mut seeds.opaque_cgroups, cgroup, flags & OPAQUE != 0);
        keep(&mut seeds.tracked_cgroups, cgroup, flags & TRACKED != 0);
        seeds.set_propagating(Seed::Cgroup(cgroup), flags & PROPAGATE != 0);
        self.sync_filter_flags()
    }

    /// Sets (`on`) or clears the `bits` of `key`'s flags in the hash map `name`, removing
    /// an entry left with none; returns the flags it has now.
    fn update_flags<K: Pod>(
        &mut self,
        name: &str,
        key: K,
        bits: u32,
        on: bool,
    ) -> Result<u32, ProbeError> {
        let mut map: HashMap<_, K, u32> =
            HashMap::try_from(self.bpf.map_mut(name).ok_or_else(|| missing(name))?)
                .map_err(load_error)?;
        let old = map.get(&key, 0).unwrap_or(0);
        let new = if on { old | bits } else { old & !bits };
        if new == 0 {
            // Removing an absent key is not an error worth reporting.
            let _ = map.remove(&key);
        } else {
            map.insert(key, new, 0).map_err(load_error)?;
        }
        Ok(new)
    }

    /// Replaces the IPv4 rules (at most [`IPV4_RULES_MAX`]; they apply to connections
    /// made from now on).
    pub fn set_ipv4_rules(&mut self, rules: &[Ipv4Filter]) -> Result<(), ProbeError> {
        if rules.len() > IPV4_RULES_MAX {
            return Err(ProbeError::Load(format!(
                "{} IPv4 rules: the capture holds at most {IPV4_RULES_MAX}",
                rules.len()
            )));
        }
        {
            let mut map: Array<_, RawIpv4Rule> = Array::try_from(
                self.bpf
                    .map_mut("ipv4_rules")
                    .ok_or_else(|| missing("ipv4_rules"))?,
            )
            .map_err(load_error)?;
            for (i, rule) in rules.iter().enumerate() {
                map.set(i as u32, rule.raw(), 0).map_err(load_error)?;
            }
        }
        self.config.ipv4_rules = rules.len() as u32;
        self.seeds.ever_ipv4 |= !rules.is_empty();
        self.set_config_flag(CFG_IPV4, !rules.is_empty());
        let propagates = rules.iter().any(|r| r.flags & PROPAGATE != 0);
        self.seeds.set_propagating(Seed::Ipv4, propagates);
        self.sync_filter_flags()
    }

    /// The propagate filters: node kinds (`flow::propagate_kind_bit`) tracking does not
    /// spread into, and relation classes (`flow::propagate_class_mask`) it does not
    /// spread through.
    pub fn set_propagate_filters(
        &mut self,
        kinds_off: u32,
        classes_off: u64,
    ) -> Result<(), ProbeError> {
        self.config.propagate_kinds_off = kinds_off;
        self.config.propagate_class_off = classes_off;
        self.write_config()
    }

    /// Derives the "consult this map" flags from what the maps hold, and writes the
    /// configuration.
    fn sync_filter_flags(&mut self) -> Result<(), ProbeError> {
        let s = &mut self.seeds;
        let propagating = !s.propagating.is_empty();
        s.ever_propagated |= propagating;
        let tracked_inodes = !s.tracked_inodes.is_empty() || s.ever_propagated;
        let inode_filter = s.any_inode || tracked_inodes;
        let uid = s.opaque_ids.iter().any(|&(g, _)| !g);
        let gid = s.opaque_ids.iter().any(|&(g, _)| g);
        let id_track = !s.tracked_ids.is_empty();
        let cgroup = !s.opaque_cgroups.is_empty();
        let cgroup_track = !s.tracked_cgroups.is_empty();
        let kernel_marks = s.ever_propagated || s.ever_ipv4;
        for (flag, on) in [
            (CFG_KERNEL_MARKS, kernel_marks),
            (CFG_PROPAGATE, propagating),
            (CFG_TRACKED_INODES, tracked_inodes),
            (CFG_INODE_FILTER, inode_filter),
            (CFG_UID_FILTER, uid),
            (CFG_GID_FILTER, gid),
            (CFG_ID_TRACK, id_track),
            (CFG_CGROUP_FILTER, cgroup),
            (CFG_CGROUP_TRACK, cgroup_track),
        ] {
            self.set_config_flag(flag, on);
        }
        self.write_config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_rules_are_laid_out_in_network_order() {
        let raw = Ipv4Filter {
            egress: true,
            addr: Ipv4Addr::new(10, 1, 2, 3),
            prefix: 8,
            port: 443,
            flags: TRACKED | PROPAGATE,
        }
        .raw();
        assert_eq!(raw.addr.to_ne_bytes(), [10, 1, 2, 3]);
        assert_eq!(raw.mask.to_ne_bytes(), [255, 0, 0, 0]);
        assert_eq!(raw.port.to_ne_bytes(), [0x01, 0xbb]);
        assert_eq!((raw.way, raw.flags), (2, 6));
        let any = Ipv4Filter {
            egress: false,
            addr: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            port: 0,
            flags: TRACKED,
        }
        .raw();
        assert_eq!((any.mask, any.port, any.way), (0, 0, 1));
        assert_eq!(std::mem::size_of::<RawIpv4Rule>(), 16);
    }

    #[test]
    fn a_mark_from_user_space_carries_no_generation() {
        // Mirrors struct ps_inode_mark (8 bytes, asserted in event.h); the kernel's
        // generation bit (1 << 31) is never set from here.
        assert_eq!(std::mem::size_of::<InodeMark>(), 8);
        let m = InodeMark::from_user_space(TRACKED | PROPAGATE);
        assert_eq!(m.flags & (1 << 31), 0);
    }

    #[test]
    fn an_inode_bloom_bit_is_the_top_six_bits_of_the_kernels_hash() {
        // Values from event.h's ps_inode_bloom_bit, worked out by hand.
        assert_eq!(
            inode_bloom_bit(&InodeKey::new((8 << 20) | 1, 12345)),
            1 << 10
        );
        assert_eq!(inode_bloom_bit(&InodeKey::new(0, 2)), 1 << 15);
        // One bit, whatever the key.
        for ino in [0, 1, u64::MAX, 1 << 40] {
            assert_eq!(
                inode_bloom_bit(&InodeKey::new(u32::MAX, ino)).count_ones(),
                1
            );
        }
    }
}
