//! Edge families: the groups of CamFlow relation types the UI names and follows as one
//! (DESIGN §3). shared_read and shared_write are first-class: they are the flows between
//! a task and the shared state of its process (process_memory, SysV shared memory), under
//! every name CamFlow has used for them across releases.

/// A group of relation types with one meaning for an investigator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Data flows into a task from a file or other object (read-like).
    DataIn,
    /// Data flows out of a task into an object (write-like).
    DataOut,
    /// A task reads the shared state of its process (`memory_read`, `sh_read`, ...).
    SharedRead,
    /// A task writes the shared state of its process (`memory_write`, `clone_mem`, ...).
    SharedWrite,
    /// Process life: clone, exec, terminate, ptrace, exec arguments.
    Process,
    /// Sockets, packets, messages: connect, accept, send, receive, ...
    Network,
    /// A path names an object (`named`).
    Naming,
    /// One version of an object follows another.
    Versioning,
    /// Anything else, including types this build does not know.
    Other,
}

impl Family {
    /// Every family, in display order.
    pub const ALL: [Family; 9] = [
        Family::DataIn,
        Family::DataOut,
        Family::SharedRead,
        Family::SharedWrite,
        Family::Process,
        Family::Network,
        Family::Naming,
        Family::Versioning,
        Family::Other,
    ];

    /// The name shown to users and used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Family::DataIn => "data_in",
            Family::DataOut => "data_out",
            Family::SharedRead => "shared_read",
            Family::SharedWrite => "shared_write",
            Family::Process => "process",
            Family::Network => "network",
            Family::Naming => "naming",
            Family::Versioning => "versioning",
            Family::Other => "other",
        }
    }

    /// The family of a CamFlow relation type string (any release's spelling).
    pub fn of(kind: &str) -> Family {
        match kind {
            "memory_read" | "sh_read" | "proc_read" | "sh_attach_read" | "sh_create_read" => {
                Family::SharedRead
            }
            "memory_write" | "sh_write" | "clone_mem" | "proc_write" | "sh_attach_write"
            | "sh_create_write" | "sh_attach" | "sh_create" | "shmdt" => Family::SharedWrite,
            "read" | "read_ioctl" | "open" | "file_rcv" | "file_sigio" | "search" | "getattr"
            | "read_link" | "readlink" | "getxattr" | "getxattr_inode" | "listxattr"
            | "perm_check" | "perm_read" | "perm_write" | "perm_exec" | "perm_append" | "mmap"
            | "mmap_private" | "mmap_read" | "mmap_exec" | "mmap_read_private"
            | "mmap_exec_private" | "load_file" | "ptrace_read" | "getpgid" | "log"
            | "splice_in" => Family::DataIn,
            "write" | "write_ioctl" | "inode_create" | "create" | "change" | "link"
            | "link_inode" | "rename" | "unlink" | "symlink" | "setattr" | "setattr_inode"
            | "setxattr" | "setxattr_inode" | "removexattr" | "removexattr_inode" | "file_lock"
            | "splice_out" | "mmap_write" | "mmap_write_private" | "munmap" | "setuid"
            | "setgid" | "setpgid" | "free" | "dup" | "mknod" => Family::DataOut,
            "clone" | "exec" | "exec_task" | "exec_process" | "terminate_task"
            | "terminate_proc" | "terminate" | "closed" | "ptrace_attach"
            | "ptrace_attach_task" | "ptrace_read_task" | "ptrace_traceme" | "arg" | "env" => {
                Family::Process
            }
            "connect"
            | "connect_unix_stream"
            | "accept"
            | "accept_socket"
            | "bind"
            | "listen"
            | "send"
            | "send_msg"
            | "send_msg_queue"
            | "receive"
            | "receive_msg"
            | "receive_msg_queue"
            | "send_packet"
            | "receive_packet"
            | "send_unix"
            | "receive_unix"
            | "socket_create"
            | "socket_pair_create"
            | "addressed"
            | "packet_content"
            | "msg_create"
            | "pipe" => Family::Network,
            "named" | "named_process" => Family::Naming,
            "version_entity" | "version_activity" | "version" => Family::Versioning,
            _ => Family::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_state_names_of_every_release_are_first_class() {
        for k in ["memory_read", "sh_read", "proc_read"] {
            assert_eq!(Family::of(k), Family::SharedRead, "{k}");
        }
        for k in ["memory_write", "sh_write", "clone_mem", "proc_write"] {
            assert_eq!(Family::of(k), Family::SharedWrite, "{k}");
        }
    }

    #[test]
    fn unknown_types_land_in_other() {
        assert_eq!(Family::of("no_such_relation"), Family::Other);
        assert_eq!(Family::of("version_entity"), Family::Versioning);
        assert_eq!(Family::of("named"), Family::Naming);
    }
}
