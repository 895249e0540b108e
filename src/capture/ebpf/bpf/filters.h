/* The filters decided in the kernel, so that filtered-out activity costs no record:
 * process-level ones (opaque and tracked processes, users, groups, cgroups; pause) and
 * object-level ones (opaque and tracked inodes, with tracking spreading as CamFlow's
 * propagate does). Each refusal is counted by cause. */
#ifndef PROVSCOPE_FILTERS_H
#define PROVSCOPE_FILTERS_H

#include "maps.h"
#include "tracking.h"
#include "names.h"

/* True when user or group `id` is filtered: a bit for small ids, a hash key otherwise. */
static __always_inline int id_filtered(void *bits, void *hash, __u32 id)
{
    if (id < PS_ID_BITS_MAX) {
        __u32 word = id >> 6;
        __u64 *w = bpf_map_lookup_elem(bits, &word);
        return w && (*w & (1ULL << (id & 63)));
    }
    __u32 *fl = bpf_map_lookup_elem(hash, &id);
    return fl && (*fl & PS_OPAQUE);
}

/* Tracking flags user or group `id` gives a process (0 when none): the hash maps hold
 * every listed id with its flags, the bit arrays only the opaque ones. */
static __always_inline __u32 id_tracking(void *hash, __u32 id)
{
    __u32 *fl = bpf_map_lookup_elem(hash, &id);
    return fl ? (*fl & (PS_TRACKED | PS_PROPAGATE)) : 0;
}

/* Process-level filters, cheapest first: what needs no map or only an inlined array
 * lookup comes before any hash lookup, since these run on every captured syscall.
 * Returns 0 when the event must not be recorded (and counts why); *pf gets the
 * process's flags (tracked, propagating) whatever the answer, so that a fork can pass
 * them on before any filter decides about its own record. */
static __always_inline int process_passes(struct ps_config *cfg, __u32 tgid, __u64 uid_gid,
                                          __u32 *pf_out)
{
    *pf_out = 0;
    if (tgid == cfg->self_tgid) {
        count(PS_C_F_OPAQUE);
        return 0;
    }
    __u32 uid = (__u32)uid_gid, gid = (__u32)(uid_gid >> 32);
    if ((cfg->flags & PS_CFG_UID_FILTER) && id_filtered(&uid_bits, &uids, uid)) {
        count(PS_C_F_UID);
        return 0;
    }
    if ((cfg->flags & PS_CFG_GID_FILTER) && id_filtered(&gid_bits, &gids, gid)) {
        count(PS_C_F_GID);
        return 0;
    }
    __u32 pf = 0;
    if (cfg->flags &
        (PS_CFG_PID_FILTER | PS_CFG_TRACK_ONLY | PS_CFG_PROPAGATE | PS_CFG_ID_TRACK | PS_CFG_CGROUP_TRACK))
        pf = pid_flags(tgid);
    if (pf & PS_OPAQUE) {
        count(PS_C_F_OPAQUE);
        return 0;
    }
    /* A process running as a tracked user or group is tracked from its next event on,
     * as CamFlow checks the credentials at every hook; it stays so after a setuid. */
    if ((cfg->flags & PS_CFG_ID_TRACK) && !(pf & PS_TRACKED)) {
        __u32 idf = id_tracking(&uids, uid) | id_tracking(&gids, gid);
        if (idf & PS_TRACKED) {
            pf |= idf;
            mark_process(tgid, pf);
        }
    }
    /* A cgroup is opaque, or tracks the processes in it as a user does. */
    if (cfg->flags & (PS_CFG_CGROUP_FILTER | PS_CFG_CGROUP_TRACK)) {
        __u64 cg = bpf_get_current_cgroup_id();
        __u32 *cf = bpf_map_lookup_elem(&cgroups, &cg);
        __u32 c = cf ? *cf : 0;
        if (c & PS_OPAQUE) {
            count(PS_C_F_CGROUP);
            return 0;
        }
        if ((c & PS_TRACKED) && !(pf & PS_TRACKED)) {
            pf |= c & (PS_TRACKED | PS_PROPAGATE);
            mark_process(tgid, pf);
        }
    }
    *pf_out = pf;
    if (cfg->flags & PS_CFG_PAUSED) {
        count(PS_C_F_PAUSED);
        return 0;
    }
    /* An untracked process can only be recorded through a tracked object: without any,
     * it is filtered here, before its fds are resolved. */
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED) &&
        !(cfg->flags & PS_CFG_TRACKED_INODES)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    return 1;
}

/* Object filters, once the syscall's objects are known: an opaque inode hides the
 * event; tracking spreads along the call's information flow (tracking.h); in track-only
 * mode the event is recorded when its process or one of its objects is tracked.
 * User space sets the inode filter whenever inodes may be tracked or propagation is on,
 * so without it an untracked process in track-only mode never got this far. */
static __always_inline int objects_decide(struct ps_config *cfg, struct ps_event *e, __u32 pf,
                                          __u32 spec, struct ps_gen g0, struct ps_gen g1,
                                          __u64 file0, __u64 file1)
{
    if (!(cfg->flags & PS_CFG_INODE_FILTER))
        return 1;
    __u32 f0 = inode_flags_of(&e->obj[0], &g0, file0);
    __u32 f1 = inode_flags_of(&e->obj[1], &g1, file1);
    if ((f0 | f1) & PS_OPAQUE) {
        count(PS_C_F_INODE);
        return 0;
    }
    if (cfg->flags & PS_CFG_PROPAGATE)
        pf = propagate(cfg, e, e->tgid, pf, f0, f1, g0, g1, spec);
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED) && !((f0 | f1) & PS_TRACKED)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    return 1;
}

/* objects_decide, then, for a recorded event in track-only mode, the names of the files
 * that came by fd (`file0`, `file1`: their struct file *) with no recorded open to name
 * them (names.h), each into the string slot the call leaves unused. A global function:
 * the verifier checks it once, not again for every path of the syscall program that
 * reaches it (inlined, it made loading ten times slower). */
__attribute__((noinline)) int objects_pass(struct ps_event *e, __u32 pf, __u32 spec,
                                           __u64 file0, __u64 file1)
{
    struct ps_config *cfg = get_config();
    if (!e || !cfg)
        return 0;
    /* Spreading tracking marks the objects, and track-only mode names them: both need
     * the generations whatever the marks; the inode filter alone reads one only when
     * the inode has a mark. */
    struct ps_gen g0 = {}, g1 = {};
    if (cfg->flags & (PS_CFG_PROPAGATE | PS_CFG_TRACK_ONLY)) {
        g0 = file_gen(file0);
        g1 = file_gen(file1);
    }
    if (!objects_decide(cfg, e, pf, spec, g0, g1, file0, file1))
        return 0;
    if (!(cfg->flags & PS_CFG_TRACK_ONLY))
        return 1;
    if (PS_SPEC_STR_A(spec) >= 6 && file0 && needs_name(&e->obj[0], g0)) {
        int n = file_path(file0, (struct ps_str *)e->str[0]);
        if (n > 0) {
            e->str_len[0] = (__u16)n;
            e->flags |= PS_EV_OBJ0_PATH;
        }
    }
    if (PS_SPEC_STR_B(spec) >= 6 && PS_SPEC_ADDR(spec) >= 5 && file1 && needs_name(&e->obj[1], g1)) {
        int n = file_path(file1, (struct ps_str *)e->str[1]);
        if (n > 0) {
            e->str_len[1] = (__u16)n;
            e->flags |= PS_EV_OBJ1_PATH;
        }
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
    if (cfg->flags & PS_CFG_CGROUP_FILTER) {
        __u32 *cf = bpf_map_lookup_elem(&cgroups, &o->cgroup);
        if (cf && (*cf & PS_OPAQUE)) {
            count(PS_C_F_CGROUP);
            return 0;
        }
    }
    if (cfg->class_off & (1ULL << PS_CLASS_PACKET)) {
        count(PS_C_F_RELATION);
        return 0;
    }
    if (cfg->flags & PS_CFG_INODE_FILTER) {
        /* A socket's inode number comes from a counter, not reused: its generation
         * need not be checked. */
        struct ps_inode_mark *m = bpf_map_lookup_elem(&inodes, key);
        if (m && (m->flags & PS_OPAQUE)) {
            count(PS_C_F_INODE);
            return 0;
        }
    }
    return 1;
}

#endif
