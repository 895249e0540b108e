/* Compression (CamFlow's edge compression, done before the ring buffer): a process that
 * reads or writes the same object through the same call again, with nothing recorded in
 * between that could change the task, its process memory or the object, adds no edge:
 * the builder would drop both relations as exact repeats. Here that is decided without
 * sending the record. "Nothing in between" is kept conservatively with one global
 * generation, advanced by every recorded event except reads (a read changes only its own
 * process, whose last flow is the per-process entry itself; not so a read from a unix
 * socket with a known peer, which also links the two sockets), so a repeat is dropped only
 * when no write, open, fork, exec, rename... happened anywhere since. Two threads of one
 * process racing on different CPUs may see each other late; the events were concurrent,
 * so the order in which the repeat came first is as true as the other. */
#ifndef PROVSCOPE_COMPRESSION_H
#define PROVSCOPE_COMPRESSION_H

#include "maps.h"
#include "kernel_types.h"

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct ps_last_flow);
} last_flow SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} generation SEC(".maps");

/* The generation after this event: advanced unless the event is quiet. Advanced even
 * when the record is then lost, which only makes compression more cautious. */
static __always_inline __u64 advance_generation(int quiet)
{
    __u32 zero = 0;
    __u64 *g = bpf_map_lookup_elem(&generation, &zero);
    if (!g)
        return 0;
    if (quiet)
        return *g;
    return __sync_fetch_and_add(g, 1) + 1;
}

/* The kernel's identity of an open file: the file and its inode. Within one generation
 * an fd cannot come to name another file through any recorded call; a pointer the slab
 * gave to a new file after an unrecorded close and an unrecorded new fd would also need
 * its inode to land on the old inode's address. */
struct ps_file_ref {
    __u64 file;
    __u64 inode;
};

static __always_inline void file_ref(struct file *f, struct ps_file_ref *r)
{
    struct inode *inode = 0;
    r->file = (__u64)f;
    r->inode = 0;
    if (!f)
        return;
    CORE_READ(inode, f->f_inode);
    r->inode = (__u64)inode;
}

/* True when this flow (thread `tid` of `tgid`, syscall `nr`, file `r`) repeats its
 * process's last recorded one with nothing recorded in between. */
static __always_inline int is_repeat(__u32 tgid, __u32 tid, __u32 nr, struct ps_file_ref *r)
{
    __u32 zero = 0;
    struct ps_last_flow *last = bpf_map_lookup_elem(&last_flow, &tgid);
    if (!last)
        return 0;
    __u64 *g = bpf_map_lookup_elem(&generation, &zero);
    return g && last->generation == *g && last->tid == tid && last->nr == nr &&
           last->file == r->file && last->inode == r->inode;
}

static __always_inline void remember_flow(struct ps_event *e, struct ps_file_ref *r, __u64 gen)
{
    struct ps_last_flow v = {
        .file = r->file,
        .inode = r->inode,
        .generation = gen,
        .ino = e->obj[0].ino,
        .dev = e->obj[0].dev,
        .tid = e->tid,
        .nr = e->nr,
        .pad = 0,
    };
    bpf_map_update_elem(&last_flow, &e->tgid, &v, BPF_ANY);
}

/* A packet left or reached socket `key`: the next read or write of it by its owner is no
 * repeat (the socket has a new version, or a new outgoing edge, by then). Only the owner's
 * entry is looked at: packets change no other process's last flow, so they leave the
 * generation alone and do not stop compression elsewhere. */
static __always_inline void socket_changed(__u32 owner, struct ps_inode_key *key)
{
    struct ps_last_flow *last = bpf_map_lookup_elem(&last_flow, &owner);
    if (last && last->ino == key->ino && last->dev == key->dev)
        bpf_map_delete_elem(&last_flow, &owner);
}

#endif
