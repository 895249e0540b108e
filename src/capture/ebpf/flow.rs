//! Which way information flows in each relation class, and which CamFlow relations carry
//! it: what the kernel side's tracking follows when a process or object propagates
//! (`PS_SPEC_FLOW_*` in bpf/event.h), and what a propagate relation filter has to name
//! to stop it.

use crate::capture::ebpf::syscalls::Class;

/// `PS_SPEC_FLOW_IN`: information flows from the first object into the process.
pub const FLOW_IN: u32 = 1 << 30;
/// `PS_SPEC_FLOW_OUT`: information flows from the process into an object (the second
/// one when the class also flows in: a transfer reads one fd and writes another).
pub const FLOW_OUT: u32 = 1 << 31;

/// Tracking through clone, parent to child (`PS_CLASS_CLONE`, a bit of the propagate
/// class mask only).
pub const CLASS_CLONE: u32 = 24;
/// Tracking through exec, program file to process (`PS_CLASS_EXEC`).
pub const CLASS_EXEC: u32 = 25;

impl Class {
    /// The flow bits of the class's syscalls.
    pub fn flow_bits(self) -> u32 {
        match self {
            Class::Read | Class::Receive | Class::Open | Class::Accept | Class::Mmap => FLOW_IN,
            Class::Write
            | Class::Send
            | Class::Connect
            | Class::Bind
            | Class::Listen
            | Class::Socket
            | Class::Setattr => FLOW_OUT,
            Class::Transfer => FLOW_IN | FLOW_OUT,
            // Pipes and socket pairs carry data only once written; the rest change names
            // and ids, not data the process holds.
            _ => 0,
        }
    }

    /// The relations the builder records along the class's flow: tracking does not
    /// propagate through the class when a propagate relation filter names one of them
    /// (the kernel follows a whole process, task and process_memory together).
    pub fn flow_relations(self) -> &'static [&'static str] {
        match self {
            Class::Read => &["read", "receive", "memory_write"],
            Class::Receive => &["receive", "receive_msg", "memory_write"],
            Class::Open => &["open"],
            Class::Accept => &["accept", "accept_socket"],
            Class::Mmap => &["mmap", "mmap_write"],
            Class::Write => &["write", "send", "memory_read"],
            Class::Send => &["send", "send_msg", "memory_read"],
            Class::Connect => &["connect"],
            Class::Bind => &["bind"],
            Class::Listen => &["listen"],
            Class::Socket => &["socket_create", "socket_pair_create"],
            Class::Setattr => &["setattr", "setattr_inode"],
            Class::Transfer => &["read", "write", "memory_write", "memory_read"],
            _ => &[],
        }
    }
}

/// The propagate class mask (`ps_config.propagate_class_off`) for a propagate relation
/// filter: bit c when tracking must not pass through class c (and the clone and exec
/// pseudo-classes).
pub fn propagate_class_mask(filtered: impl Fn(&str) -> bool) -> u64 {
    let mut mask = 0u64;
    for class in Class::ALL {
        if class.flow_relations().iter().any(|r| filtered(r)) {
            mask |= 1 << (class as u8);
        }
    }
    if ["clone", "clone_mem"].iter().any(|r| filtered(r)) {
        mask |= 1 << CLASS_CLONE;
    }
    if filtered("exec") {
        mask |= 1 << CLASS_EXEC;
    }
    mask
}

/// The kernel's node kind bit (`PS_KIND_*`) of a CamFlow node type, for the propagate
/// node filter; None for types the kernel side never propagates into (paths, packets,
/// addresses, argv...: they carry no data onward).
pub fn propagate_kind_bit(node_type: &str) -> Option<u32> {
    let kind = match node_type {
        "file" | "mmaped_file" => 0,
        "directory" => 1,
        "link" => 2,
        "char" => 3,
        "block" => 4,
        "pipe" | "fifo" => 5,
        "socket" => 6,
        "task" | "process_memory" | "process" => 7,
        _ => return None,
    };
    Some(1 << kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flowing_class_names_the_relations_that_carry_it() {
        for class in Class::ALL {
            assert_eq!(
                class.flow_bits() != 0,
                !class.flow_relations().is_empty(),
                "{}",
                class.name()
            );
        }
    }

    #[test]
    fn a_propagate_relation_filter_stops_the_classes_that_record_it() {
        let mask = propagate_class_mask(|r| r == "memory_write");
        for class in [Class::Read, Class::Receive, Class::Transfer] {
            assert_ne!(mask & 1 << (class as u8), 0, "{}", class.name());
        }
        assert_eq!(mask & 1 << (Class::Write as u8), 0);
        assert_eq!(propagate_class_mask(|r| r == "clone"), 1 << CLASS_CLONE);
        assert_eq!(propagate_class_mask(|_| false), 0);
    }

    #[test]
    fn constants_match_the_kernel_side() {
        let header = include_str!("bpf/event.h");
        let define = |name: &str| -> u64 {
            let line = header
                .lines()
                .find(|l| l.starts_with(&format!("#define {name} ")))
                .unwrap_or_else(|| panic!("{name} is defined in event.h"));
            let value = line.split_whitespace().nth(2).unwrap();
            let value = value.trim_start_matches('(').trim_end_matches("u");
            value.parse().unwrap()
        };
        assert_eq!(define("PS_CLASS_CLONE"), u64::from(CLASS_CLONE));
        assert_eq!(define("PS_CLASS_EXEC"), u64::from(CLASS_EXEC));
        assert_eq!(define("PS_CLASS_CONNECT"), Class::Connect as u64);
        assert_eq!(define("PS_CLASS_BIND"), Class::Bind as u64);
        assert_eq!(define("PS_CLASS_PACKET"), Class::Packet as u64);
        assert_eq!(
            propagate_kind_bit("socket"),
            Some(1 << define("PS_KIND_SOCKET"))
        );
        assert_eq!(
            propagate_kind_bit("task"),
            Some(1 << define("PS_KIND_PROCESS"))
        );
        assert!(header.contains("#define PS_SPEC_FLOW_IN (1u << 30)"));
        assert!(header.contains("#define PS_SPEC_FLOW_OUT (1u << 31)"));
    }
}
