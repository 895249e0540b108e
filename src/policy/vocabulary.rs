//! CamFlow's type vocabulary as policies name it (v0.9.0, reference §1.2 and §1.3): the
//! node types a `node_filter` may list and the relation types a `relation_filter` may
//! list, each with its PROV category. The category routes a relation filter to the
//! kernel file that holds it (`used_filter`, `generated_filter`, ...), as camconfd does.

use crate::graph::model::Category;

/// Node types a policy may filter.
pub const NODE_TYPES: [&str; 30] = [
    "task",
    "disc_activity",
    "machine",
    "disc_agent",
    "process_memory",
    "file",
    "directory",
    "link",
    "char",
    "block",
    "pipe",
    "socket",
    "inode_unknown",
    "msg",
    "shm",
    "sb",
    "packet",
    "iattr",
    "string",
    "address",
    "path",
    "xattr",
    "packet_content",
    "argv",
    "envp",
    "disc_entity",
    // Older spellings still met in policies written for v0.4-v0.7 kernels.
    "mmaped_file",
    "fifo",
    "file_name",
    "process",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const USED: [&str; 23] = [
    "read",
    "read_ioctl",
    "memory_read",
    "accept",
    "receive",
    "receive_msg",
    "receive_msg_queue",
    "open",
    "file_rcv",
    "file_sigio",
    "search",
    "getattr",
    "read_link",
    "getxattr",
    "listxattr",
    "log",
    "perm_check",
    "getpgid",
    "mmap",
    "mmap_private",
    "load_file",
    "ptrace_read",
    "used_disc",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const GENERATED: [&str; 31] = [
    "clone_mem",
    "msg_create",
    "socket_create",
    "socket_pair_create",
    "inode_create",
    "write",
    "write_ioctl",
    "memory_write",
    "connect",
    "connect_unix_stream",
    "listen",
    "bind",
    "send",
    "send_msg",
    "send_msg_queue",
    "link",
    "rename",
    "unlink",
    "symlink",
    "setattr",
    "setxattr",
    "removexattr",
    "setuid",
    "setpgid",
    "sh_attach",
    "sh_create",
    "file_lock",
    "splice_out",
    "exec_task",
    "ptrace_attach",
    "generated_disc",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const DERIVED: [&str; 21] = [
    "named",
    "version_entity",
    "send_packet",
    "send_unix",
    "receive_packet",
    "receive_unix",
    "free",
    "setattr_inode",
    "accept_socket",
    "getxattr_inode",
    "setxattr_inode",
    "removexattr_inode",
    "exec",
    "terminate_proc",
    "arg",
    "env",
    "sh_read",
    "sh_write",
    "packet_content",
    "addressed",
    "derived_disc",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const INFORMED: [&str; 7] = [
    "clone",
    "version_activity",
    "terminate_task",
    "ptrace_attach_task",
    "ptrace_read_task",
    "ptrace_traceme",
    "informed_disc",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const INFLUENCED: [&str; 9] = [
    "load_unknown",
    "load_firmware",
    "load_module",
    "load_kexec_image",
    "load_kexec_initramfs",
    "load_policy",
    "load_certificate",
    "load_undefined",
    "influenced_disc",
];

/// The v0.9.0 relation types of one category, in `type.c` order (one subtype bit each).
pub const ASSOCIATED: [&str; 2] = ["ran_on", "associated_disc"];

/// Relation types provscope's capture writes that CamFlow has no name for (it misses
/// the syscalls): filterable like the others.
const PROVSCOPE_EXTRA: [(&str, Category); 2] = [
    ("dup", Category::WasGeneratedBy),
    ("mknod", Category::WasGeneratedBy),
];

/// The PROV category of a relation type a policy names, or None for a name CamFlow
/// does not have.
pub fn relation_category(name: &str) -> Option<Category> {
    let lists: [(&[&str], Category); 6] = [
        (&USED, Category::Used),
        (&GENERATED, Category::WasGeneratedBy),
        (&DERIVED, Category::WasDerivedFrom),
        (&INFORMED, Category::WasInformedBy),
        (&INFLUENCED, Category::WasInfluencedBy),
        (&ASSOCIATED, Category::WasAssociatedWith),
    ];
    lists
        .iter()
        .find(|(names, _)| names.contains(&name))
        .map(|(_, c)| *c)
        .or_else(|| {
            PROVSCOPE_EXTRA
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| *c)
        })
}

/// True for a node type name a policy may filter.
pub fn is_node_type(name: &str) -> bool {
    NODE_TYPES.contains(&name)
}

/// Every relation type name, for completion and the filter panel.
pub fn relation_types() -> impl Iterator<Item = &'static str> {
    USED.iter()
        .chain(GENERATED.iter())
        .chain(DERIVED.iter())
        .chain(INFORMED.iter())
        .chain(INFLUENCED.iter())
        .chain(ASSOCIATED.iter())
        .copied()
        .chain(PROVSCOPE_EXTRA.iter().map(|(n, _)| *n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_reference() {
        assert_eq!(relation_category("read"), Some(Category::Used));
        assert_eq!(relation_category("write"), Some(Category::WasGeneratedBy));
        assert_eq!(relation_category("named"), Some(Category::WasDerivedFrom));
        assert_eq!(relation_category("clone"), Some(Category::WasInformedBy));
        assert_eq!(
            relation_category("ran_on"),
            Some(Category::WasAssociatedWith)
        );
        assert_eq!(relation_category("no_such_relation"), None);
    }

    #[test]
    fn names_are_unique() {
        let mut all: Vec<_> = relation_types().collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert!(is_node_type("envp") && !is_node_type("read"));
    }
}
