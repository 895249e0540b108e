/* The filters decided in the kernel, so that filtered-out activity costs no record:
 * process-level ones (opaque and tracked processes, users, groups, cgroups, pause) and
 * inode-level ones (opaque and tracked files). Each refusal is counted by cause. */
#ifndef PROVSCOPE_FILTERS_H
#define PROVSCOPE_FILTERS_H

#include "maps.h"

/* True when user or group `id` is filtered: a bit for small ids, a hash key otherwise. */
static __always_inline int id_filtered(void *bits, void *hash, __u32 id)
{
    if (id < PS_ID_BITS_MAX) {
        __u32 word = id >> 6;
        __u64 *w = bpf_map_lookup_elem(bits, &word);
        return w && (*w & (1ULL << (id & 63)));
    }
    return bpf_map_lookup_elem(hash, &id) != 0;
}

/* Process-level filters, cheapest first: what needs no map or only an inlined array
 * lookup comes before any hash lookup, since these run on every captured syscall.
 * Returns 0 when the event must not be recorded (and counts why). */
static __always_inline int process_passes(struct ps_config *cfg, __u32 tgid, __u64 uid_gid)
{
    if (tgid == cfg->self_tgid) {
        count(PS_C_F_OPAQUE);
        return 0;
    }
    if (cfg->flags & PS_CFG_PAUSED) {
        count(PS_C_F_PAUSED);
        return 0;
    }
    if ((cfg->flags & PS_CFG_UID_FILTER) && id_filtered(&uid_bits, &uids, (__u32)uid_gid)) {
        count(PS_C_F_UID);
        return 0;
    }
    if ((cfg->flags & PS_CFG_GID_FILTER) &&
        id_filtered(&gid_bits, &gids, (__u32)(uid_gid >> 32))) {
        count(PS_C_F_GID);
        return 0;
    }
    __u32 pf = 0;
    if (cfg->flags & (PS_CFG_PID_FILTER | PS_CFG_TRACK_ONLY)) {
        __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
        pf = pflags ? *pflags : 0;
    }
    if (pf & PS_OPAQUE) {
        count(PS_C_F_OPAQUE);
        return 0;
    }
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED) &&
        !(cfg->flags & PS_CFG_INODE_FILTER)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    if (cfg->flags & PS_CFG_CGROUP_FILTER) {
        __u64 cg = bpf_get_current_cgroup_id();
        if (bpf_map_lookup_elem(&cgroups, &cg)) {
            count(PS_C_F_CGROUP);
            return 0;
        }
    }
    return 1;
}

/* Inode filters: an opaque inode hides the event; a tracked one lets it through in
 * track-only mode and, as CamFlow's propagate does, makes the process tracked. */
static __always_inline int inode_passes(struct ps_config *cfg, struct ps_event *e, __u32 tgid)
{
    int tracked = 0;
    if (!(cfg->flags & PS_CFG_INODE_FILTER))
        return 1;
    for (int i = 0; i < 2; i++) {
        struct ps_inode_key key = {.ino = e->obj[i].ino, .dev = e->obj[i].dev};
        if (!key.ino)
            continue;
        __u32 *fl = bpf_map_lookup_elem(&inodes, &key);
        if (!fl)
            continue;
        if (*fl & PS_OPAQUE) {
            count(PS_C_F_INODE);
            return 0;
        }
        if (*fl & PS_TRACKED)
            tracked = 1;
    }
    if (cfg->flags & PS_CFG_TRACK_ONLY) {
        __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
        if (pflags && (*pflags & PS_TRACKED))
            return 1;
        if (!tracked) {
            count(PS_C_F_TRACK);
            return 0;
        }
        __u32 fl = PS_TRACKED;
        bpf_map_update_elem(&pids, &tgid, &fl, BPF_ANY);
    }
    return 1;
}

/* The filters of the process a packet is charged to: its socket's owner, whatever task
 * the packet is seen in (softirq runs in whichever one it interrupted), with the
 * credentials that process last used the socket with; and the socket inode's own flags
 * and the packet relation class. */
static __always_inline int owner_passes(struct ps_config *cfg, struct ps_sock_owner *o,
                                        struct ps_inode_key *key)
{
    __u32 tgid = o->tgid;
    __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
    __u32 pf = pflags ? *pflags : 0;
    if (pf & PS_OPAQUE) {
        count(PS_C_F_OPAQUE);
        return 0;
    }
    if (cfg->flags & PS_CFG_PAUSED) {
        count(PS_C_F_PAUSED);
        return 0;
    }
    /* In track-only mode every recorded syscall's process is tracked by then (an untracked
     * one touching a tracked file became tracked): the socket's owner must still be. */
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    if ((cfg->flags & PS_CFG_UID_FILTER) && id_filtered(&uid_bits, &uids, o->uid)) {
        count(PS_C_F_UID);
        return 0;
    }
    if ((cfg->flags & PS_CFG_GID_FILTER) && id_filtered(&gid_bits, &gids, o->gid)) {
        count(PS_C_F_GID);
        return 0;
    }
    if ((cfg->flags & PS_CFG_CGROUP_FILTER) && bpf_map_lookup_elem(&cgroups, &o->cgroup)) {
        count(PS_C_F_CGROUP);
        return 0;
    }
    if (cfg->class_off & (1ULL << PS_CLASS_PACKET)) {
        count(PS_C_F_RELATION);
        return 0;
    }
    if (cfg->flags & PS_CFG_INODE_FILTER) {
        __u32 *fl = bpf_map_lookup_elem(&inodes, key);
        if (fl && (*fl & PS_OPAQUE)) {
            count(PS_C_F_INODE);
            return 0;
        }
    }
    return 1;
}

#endif
