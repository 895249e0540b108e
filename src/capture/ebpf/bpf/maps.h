/* The maps the kernel side shares with user space: the ring buffer records leave by, the
 * syscall table and configuration user space writes, the filter sets, the counters it
 * reads. Compression keeps its own two maps in compression.h. */
#ifndef PROVSCOPE_MAPS_H
#define PROVSCOPE_MAPS_H

#include "bpf_defs.h"
#include "event.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 24);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ps_event);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PS_NR_MAX);
    __type(key, __u32);
    __type(value, __u32);
} syscalls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ps_config);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, __u32);
} pids SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u32);
} uids SEC(".maps");

/* Bit (id & 63) of word (id >> 6): ids below PS_ID_BITS_MAX that are filtered. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PS_ID_BITS_MAX / 64);
    __type(key, __u32);
    __type(value, __u64);
} uid_bits SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PS_ID_BITS_MAX / 64);
    __type(key, __u32);
    __type(value, __u64);
} gid_bits SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u32);
} gids SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u64);
    __type(value, __u32);
} cgroups SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct ps_inode_key);
    __type(value, struct ps_inode_mark);
} inodes SEC(".maps");

/* IPv4 rules, in policy order (cfg->ipv4_rules of them). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, PS_IPV4_RULES_MAX);
    __type(key, __u32);
    __type(value, struct ps_ipv4_rule);
} ipv4_rules SEC(".maps");

/* Inet sockets recorded syscalls used, and by whom: a packet of any other socket is not
 * recorded (it could be no one's the capture follows). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct ps_inode_key);
    __type(value, struct ps_sock_owner);
} socks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PS_COUNTERS);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
    __u64 *c = bpf_map_lookup_elem(&counters, &slot);
    if (c)
        *c += 1;
}

static __always_inline struct ps_config *get_config(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&config, &zero);
}

/* Writes a record into the ring buffer; 1 when it was written, 0 when it was lost (and
 * counted). Only a record that takes the waiting data across a multiple of wake_bytes
 * wakes the reader: a wake-up is an interrupt raised on this CPU (an exit to the
 * hypervisor in a VM, some microseconds), and a reader still draining needs none (its
 * poll reports data whenever data waits). Waking on every record past the mark cost a
 * busy file loop 30% of its time. Every multiple, not only the first: should two CPUs
 * both see the data just below the mark, the next one still wakes the reader. A record
 * takes its size plus an 8-byte header, rounded up to 8 bytes. */
static __always_inline int ring_output(struct ps_config *cfg, void *data, __u64 size)
{
    __u64 flags = BPF_RB_NO_WAKEUP;
    __u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    __u64 mark = cfg->wake_bytes ? cfg->wake_bytes : 1;
    if (waiting / mark != (waiting + ((size + 15) & ~7ULL)) / mark)
        flags = BPF_RB_FORCE_WAKEUP;
    if (bpf_ringbuf_output(&events, data, size, flags) < 0) {
        count(PS_C_DROP_RINGBUF);
        return 0;
    }
    count(PS_C_EVENTS);
    return 1;
}

#endif
