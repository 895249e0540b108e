/* The record the kernel side hands to user space through the ring buffer, and the maps
 * user space configures. src/capture/ebpf/event.rs decodes the same layout (little
 * endian, natural alignment); change both together and bump PS_ABI_VERSION. */
#ifndef PROVSCOPE_EVENT_H
#define PROVSCOPE_EVENT_H

#include "bpf_defs.h"

#define PS_ABI_VERSION 4
/* exec: bytes of argv and of envp kept, each (CamFlow keeps 4096 per argument). */
#define PS_EXEC_AREA 4096
#define PS_STR_MAX 256
#define PS_NR_MAX 512
#define PS_COUNTERS 32

enum ps_kind {
    PS_SYSCALL = 1, /* a syscall returned */
    PS_FORK = 2,    /* sched_process_fork: a task cloned another (thread or process) */
    PS_EXEC = 3,    /* sched_process_exec: a task started a new program */
    PS_EXIT = 4,    /* sched_process_exit: a task ended */
    PS_PACKET = 5,  /* an IP packet left or reached a recorded socket (struct ps_packet) */
};

/* What an fd referred to when the syscall returned; ino == 0 means "no object". */
struct ps_obj {
    __u64 ino;
    __u32 dev;
    __u16 mode;      /* i_mode: file type and permissions */
    __u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM... for sockets */
    __u16 family;    /* AF_INET, AF_INET6, AF_UNIX... for sockets */
    __u16 sport;     /* local port, host order */
    __u16 dport;     /* remote port, host order */
    __u16 proto;
    __u8 saddr[16];  /* local address (IPv4 in the first 4 bytes) */
    __u8 daddr[16];  /* remote address; AF_UNIX: the peer socket's ino (8 bytes), dev (4) */
};

struct ps_event {
    __u32 kind;
    __u32 nr;        /* syscall number (PS_SYSCALL) */
    __u64 ts;        /* bpf_ktime_get_ns */
    __u32 tgid;      /* process */
    __u32 tid;       /* thread (CamFlow task) */
    __u32 uid;
    __u32 gid;
    __u64 cgroup;
    __s64 ret;       /* syscall return value */
    __u64 args[6];   /* syscall arguments */
    __u32 aux[4];    /* fork: child tid, child tgid; exit: 1 when the process ends; pipe fds;
                      * exec: old pid, bytes of envp, bytes of argv (in exec_area) */
    struct ps_obj obj[2];
    __u16 str_len[2]; /* bytes read into str[i] including the NUL; 0 = absent */
    __u32 flags;      /* PS_EV_* */
    char str[2][PS_STR_MAX];
    /* exec only: argv, then (when PS_CFG_ENV asks for it) envp right after it; sent as
     * long as they are, so no other record grows. */
    char exec_area[2 * PS_EXEC_AREA];
};

/* The offsets src/capture/ebpf/event.rs decodes: a change here fails the build. */
_Static_assert(sizeof(struct ps_obj) == 56, "ps_obj layout");
_Static_assert(__builtin_offsetof(struct ps_event, args) == 48, "ps_event.args");
_Static_assert(__builtin_offsetof(struct ps_event, aux) == 96, "ps_event.aux");
_Static_assert(__builtin_offsetof(struct ps_event, obj) == 112, "ps_event.obj");
_Static_assert(__builtin_offsetof(struct ps_event, str_len) == 224, "ps_event.str_len");
_Static_assert(__builtin_offsetof(struct ps_event, str) == 232, "ps_event.str");
_Static_assert(__builtin_offsetof(struct ps_event, exec_area) == 232 + 2 * PS_STR_MAX,
               "ps_event.exec_area");

/* A packet (PS_PACKET), as CamFlow identifies one: the IP and TCP/UDP header fields are
 * kept in network byte order, as CamFlow's packet identifier keeps them, and the socket
 * by its inode, as fds resolve. 64 bytes: a packet costs a quarter of a syscall record. */
struct ps_packet {
    __u32 kind;
    __u16 flags;     /* PS_PKT_* */
    __u16 sock_mode; /* the socket inode's i_mode */
    __u64 ts;
    __u32 tgid;      /* the current task, whoever it is (softirq runs in any) */
    __u32 tid;
    __u64 sock_ino;
    __u32 sock_dev;
    __u16 ip_id;     /* IPv4: the IP id. IPv6, which has none: a fragment's id (low 16
                      * bits), else a hash (packet_headers.h, ipv6_headers) */
    __u16 tot_len;   /* IPv4: total length; IPv6: payload length + 40 (wire order) */
    __u16 sport;
    __u16 dport;
    __u32 seq;       /* TCP only */
    __u8 protocol;   /* IPv6: the upper layer's, past extension headers */
    __u8 version;    /* 4 or 6 */
    __u8 tcp_flags;  /* TCP: FIN 1, SYN 2, RST 4, PSH 8, ACK 16... */
    __u8 pad[5];
    __u8 saddr[16];  /* IPv4 in the first 4 bytes */
    __u8 daddr[16];
};

_Static_assert(sizeof(struct ps_packet) == 88, "ps_packet layout");
_Static_assert(__builtin_offsetof(struct ps_packet, sock_ino) == 24, "ps_packet.sock_ino");
_Static_assert(__builtin_offsetof(struct ps_packet, ip_id) == 36, "ps_packet.ip_id");
_Static_assert(__builtin_offsetof(struct ps_packet, protocol) == 48, "ps_packet.protocol");
_Static_assert(__builtin_offsetof(struct ps_packet, saddr) == 56, "ps_packet.saddr");

#define PS_PKT_SEND 1       /* left the socket */
#define PS_PKT_RECEIVE 2    /* reached the socket */
#define PS_PKT_OWNER_TASK 4 /* seen in a task of the process that last used the socket */
#define PS_PKT_CONTENT 8    /* a struct ps_packet_content: the socket records its packets */

/* A packet of a socket an IPv4 `record` rule marked (PS_RECORD): the record carries the
 * packet's bytes from its IP header on, as much as the kernel holds in one piece, at
 * most PS_CONTENT_MAX (CamFlow's packet_content also stops at 4096). Sent only as long
 * as the bytes copied. */
#define PS_CONTENT_MAX 4096
struct ps_packet_content {
    struct ps_packet p;
    __u16 length; /* the IP packet's total length, host order */
    __u16 copied; /* bytes of it in data */
    __u32 pad;
    __u8 data[PS_CONTENT_MAX];
};
_Static_assert(__builtin_offsetof(struct ps_packet_content, data) == 96, "ps_packet_content");

#define PS_EV_STR0_CUT 1 /* str[0] filled its buffer: the string may be longer */
#define PS_EV_STR1_CUT 2
#define PS_EV_SCRIPT 4   /* exec: the program was a script; obj[0] is its interpreter */
#define PS_EV_ENV_CUT 8  /* exec: envp filled its buffer: the environment may be longer */
#define PS_EV_OBJ0_PATH 16 /* str[0] is obj[0]'s path, from its dentry (names.h) */
#define PS_EV_OBJ1_PATH 32 /* str[1] is obj[1]'s path, from its dentry */

/* Syscall table entry: which relation class a syscall belongs to, and which arguments
 * name fds, strings, socket addresses and fd pairs. 7 means "none", 6 "the return value". */
#define PS_ARG_NONE 7
#define PS_ARG_RET 6
#define PS_SPEC_CLASS(s) ((s) & 0xff)
#define PS_SPEC_FD_A(s) (((s) >> 8) & 7)
#define PS_SPEC_FD_B(s) (((s) >> 11) & 7)
#define PS_SPEC_STR_A(s) (((s) >> 14) & 7)
#define PS_SPEC_STR_B(s) (((s) >> 17) & 7)
#define PS_SPEC_ADDR(s) (((s) >> 20) & 7)
#define PS_SPEC_FDPAIR(s) (((s) >> 23) & 7)
#define PS_SPEC_KEEP_FAILED (1u << 26)
/* An fd-only flow (read/write family) whose exact repeat the kernel may drop: see
 * "compression" in provscope.bpf.c. */
#define PS_SPEC_COMPRESSIBLE (1u << 27)
/* Changes nothing that another process's events depend on (a read): it does not advance
 * the compression generation. */
#define PS_SPEC_QUIET (1u << 28)
/* The second fd's unix socket: its bound name goes into string slot 0 (accept: the name
 * of the socket it was accepted on). */
#define PS_SPEC_UNIX_NAME (1u << 29)
/* Information flows from obj[0] into the process (read, receive, open, accept, mmap):
 * a propagating object makes the process tracked and propagating. */
#define PS_SPEC_FLOW_IN (1u << 30)
/* Information flows from the process into an object (write, send, connect, bind,
 * setattr...): obj[0], or obj[1] when the call also flows in (transfers). */
#define PS_SPEC_FLOW_OUT (1u << 31)

/* Global switches (map "config", one entry). */
#define PS_CFG_TRACK_ONLY 1     /* only tracked processes (and what they touch) */
#define PS_CFG_UID_FILTER 2     /* consult "uids" */
#define PS_CFG_GID_FILTER 4     /* consult "gids" */
#define PS_CFG_CGROUP_FILTER 8  /* "cgroups" holds opaque cgroups */
#define PS_CFG_INODE_FILTER 16  /* consult "inodes" */
#define PS_CFG_PAUSED 32        /* record nothing (counted as filtered) */
#define PS_CFG_COMPRESS 64      /* drop exact repeats of reads and writes in the kernel */
#define PS_CFG_ENV 128          /* exec records carry envp (off by default: it holds secrets) */
#define PS_CFG_PID_FILTER 256   /* "pids" holds entries besides the capture's own process */
#define PS_CFG_PROPAGATE 512    /* something propagates: spread tracking along flows */
#define PS_CFG_ID_TRACK 1024    /* "uids"/"gids" hold tracked ids */
#define PS_CFG_IPV4 2048        /* "ipv4_rules" holds rules (cfg->ipv4_rules of them) */
#define PS_CFG_TRACKED_INODES 4096 /* "inodes" may hold tracked ones (implies INODE_FILTER) */
#define PS_CFG_CGROUP_TRACK 8192   /* "cgroups" holds tracked cgroups */
#define PS_CFG_KERNEL_MARKS 16384  /* the kernel may have marked inodes: inode_bloom is not all */

struct ps_config {
    __u32 flags;
    __u32 wake_bytes; /* wake the reader once this much data waits */
    __u64 class_off;  /* bit c set: relation class c is not captured */
    __u32 self_tgid;  /* the capture's own process: opaque without a map lookup */
    __u32 propagate_kinds_off; /* bit PS_KIND_*: tracking does not propagate to that kind */
    __u64 propagate_class_off; /* bit c: tracking does not propagate through class c */
    __u32 ipv4_rules;          /* entries of "ipv4_rules" in use */
    __u32 pad;
    __u64 inode_bloom; /* bit ps_inode_bloom_bit(ino, dev) set for every inode user space marked */
};

_Static_assert(sizeof(struct ps_config) == 48, "ps_config layout");

/* An inode's bit in ps_config.inode_bloom (the top 6 bits of a multiplicative hash of
 * number and device); user space computes the same (probe.rs, inode_bloom_bit). */
static __always_inline __u64 ps_inode_bloom_bit(__u64 ino, __u32 dev)
{
    return 1ULL << (((ino ^ ((__u64)dev << 32)) * 0x9E3779B97F4A7C15ULL) >> 58);
}

/* Node kinds for the propagate node filter (bits of propagate_kinds_off). */
#define PS_KIND_FILE 0
#define PS_KIND_DIRECTORY 1
#define PS_KIND_LINK 2
#define PS_KIND_CHAR 3
#define PS_KIND_BLOCK 4
#define PS_KIND_PIPE 5
#define PS_KIND_SOCKET 6
#define PS_KIND_PROCESS 7 /* task and process_memory: a process as a whole */

/* Pseudo-classes beyond the syscall classes, only for propagate_class_off: tracking
 * through clone (parent to child) and exec (program file to process). */
#define PS_CLASS_CLONE 24
#define PS_CLASS_EXEC 25
/* The syscall classes IPv4 rules look at (Class::Connect, Class::Bind). */
#define PS_CLASS_CONNECT 6
#define PS_CLASS_BIND 7
#define PS_CLASS_LISTEN 8
/* Accept: a socket accepted from a recording listener records too. */
#define PS_CLASS_ACCEPT 9

/* An IPv4 rule ([ipv4-egress] on connect, [ipv4-ingress] on bind), CamFlow's
 * prov_ipv4_filter: the first rule whose way, masked address and port (0: any) match
 * gives its flags to the connecting or binding process and to its socket. */
struct ps_ipv4_rule {
    __u32 addr;  /* network order */
    __u32 mask;  /* network order */
    __u16 port;  /* network order; 0 matches any */
    __u8 way;    /* PS_WAY_* */
    __u8 pad;
    __u32 flags; /* PS_TRACKED | PS_PROPAGATE | PS_RECORD */
};
_Static_assert(sizeof(struct ps_ipv4_rule) == 16, "ps_ipv4_rule layout");
#define PS_WAY_INGRESS 1
#define PS_WAY_EGRESS 2
#define PS_IPV4_RULES_MAX 32

/* User and group filters below this id are bits in an array (an inlined lookup); larger
 * ids are keys of a hash map. */
#define PS_ID_BITS_MAX 65536

/* The process that last used an inet socket in a recorded syscall: packets of the
 * socket are that process's (map "socks"), filtered by its flags and credentials. */
struct ps_sock_owner {
    __u32 tgid;
    __u32 uid;
    __u32 gid;
    __u32 pad;
    __u64 cgroup;
};

/* Per-process and per-inode filter flags. */
#define PS_OPAQUE 1    /* never recorded */
#define PS_TRACKED 2   /* recorded in track-only mode; a process's children inherit it */
#define PS_PROPAGATE 4 /* tracking spreads along information flows out of it */
#define PS_RECORD 8    /* a socket whose packets' content is recorded (ipv4 record) */

/* Per process: its last recorded compressible flow and the generation it saw. The object
 * is compared by the kernel's file and inode pointers: that needs two reads where
 * resolving the inode's identity needs several. */
struct ps_last_flow {
    __u64 file;
    __u64 inode;
    __u64 generation;
    __u64 ino; /* the inode's identity, for a packet of that socket (socket_changed) */
    __u32 dev;
    __u32 tid;
    __u32 nr;
    __u32 pad;
};

struct ps_inode_key {
    __u64 ino;
    __u32 dev;
    __u32 pad;
};

/* An inode's flags (map "inodes"). A mark holds the inode's i_generation (PS_MARK_GEN),
 * so that a file made later under the same inode number, after the marked one was
 * deleted, is not taken for it: CamFlow's marks live in the inode itself and go with it.
 * User space sets marks by number alone; the kernel adds the generation of the first
 * file it sees with that number (tracking.h). */
struct ps_inode_mark {
    __u32 flags;
    __u32 gen;
};

#define PS_MARK_GEN (1u << 31)

_Static_assert(sizeof(struct ps_inode_mark) == 8, "ps_inode_mark layout");

/* Counter slots (map "counters", per CPU). */
enum ps_counter {
    PS_C_EVENTS = 0,       /* records written */
    PS_C_DROP_RINGBUF = 1, /* lost: ring buffer full */
    PS_C_DROP_FAULT = 2,   /* lost: event too damaged to send (never yet) */
    PS_C_F_OPAQUE = 3,     /* filtered: opaque process (the capture itself, ...) */
    PS_C_F_TRACK = 4,      /* filtered: not tracked in track-only mode */
    PS_C_F_UID = 5,
    PS_C_F_GID = 6,
    PS_C_F_CGROUP = 7,
    PS_C_F_RELATION = 8,   /* filtered: relation class switched off */
    PS_C_F_INODE = 9,      /* filtered: opaque inode */
    PS_C_FAILED = 10,      /* syscalls that failed: no flow, not recorded */
    PS_C_F_PAUSED = 11,
    PS_C_STR_FAULT = 12,   /* a string argument could not be read (recorded without it) */
    PS_C_UNRESOLVED = 13,  /* the fd named no object (anonymous mmap, closed fd): nothing to record */
    PS_C_COMPRESSED = 14,  /* exact repeats dropped in the kernel (CamFlow's edge compression) */
    PS_C_PKT_NO_FILE = 15, /* packet of a socket without a file (kernel sockets, minisocks) */
    PS_C_PKT_UNSEEN = 16,  /* packet of a socket no recorded syscall used */
    PS_C_PKT_NOT_IP = 17,  /* packet neither IPv4 nor IPv6 */
    PS_C_PKT_MISSED = 18,  /* lost: UDP packets queued past what one wake-up can read */
    PS_C_PKT_REPEAT = 19,  /* a packet copied to user space again (a short read): recorded once */
    PS_C_PACKETS = 20,     /* packet records written */
    PS_C_TRACK_FULL = 21,  /* tracking could not spread: the pids or inodes map is full */
};

/* Relation class of packets (bit in ps_config.class_off), after the syscall classes. */
#define PS_CLASS_PACKET 23

#endif
