/* Tracking as CamFlow spreads it: a process or inode marked "propagate" passes tracking
 * (and propagation) along every information flow out of it: a propagating process to
 * the objects it writes, sends to, connects or binds; a propagating object to the
 * processes that read, receive, open, accept, map or execute it; a parent to the
 * children it clones. The propagate filters stop it through some relation classes or
 * into some node kinds. IPv4 rules seed it at connect and bind. Each mark is one map
 * update; a full map is counted, never silent. */
#ifndef PROVSCOPE_TRACKING_H
#define PROVSCOPE_TRACKING_H

#include "maps.h"

static __always_inline __u32 pid_flags(__u32 tgid)
{
    __u32 *fl = bpf_map_lookup_elem(&pids, &tgid);
    return fl ? *fl : 0;
}

/* Which inode an object is, beyond its number: its i_generation, read from the open
 * file `f` (0 when there is no file to read it from). */
struct ps_gen {
    __u32 gen;
    __u32 known;
};

static __always_inline struct ps_gen file_gen(__u64 f)
{
    struct ps_gen g = {};
    struct file *file = (struct file *)f;
    struct inode *inode = 0;
    if (!file)
        return g;
    CORE_READ(inode, file->f_inode);
    if (!inode)
        return g;
    CORE_READ(g.gen, inode->i_generation);
    g.known = 1;
    return g;
}

/* The flags of object `o` (generation `*g`, read from the open file `file` when not known
 * yet and a mark is found: reading it costs two kernel reads, and most objects have no
 * mark). A mark made for another generation belongs to a deleted file whose number came
 * back: it reads as none (and is overwritten by the next mark; deleting it here could
 * delete one another CPU just made). A policy's mark, set by inode number, takes the
 * generation of the first file seen with that number: the file the policy named, which
 * had the number when the policy was set. While only user space marks inodes, an inode
 * whose bit is clear in the configuration's bloom has no mark, and the map is not
 * searched: the capture marks its own output file, so otherwise every recorded call
 * with a file would pay a hash lookup for it. */
static __always_inline __u32 inode_flags_of(struct ps_obj *o, struct ps_gen *g, __u64 file)
{
    if (!o->ino)
        return 0;
    struct ps_config *cfg = get_config();
    if (cfg && !(cfg->flags & PS_CFG_KERNEL_MARKS) &&
        !(cfg->inode_bloom & ps_inode_bloom_bit(o->ino, o->dev)))
        return 0;
    struct ps_inode_key key = {.ino = o->ino, .dev = o->dev};
    struct ps_inode_mark *m = bpf_map_lookup_elem(&inodes, &key);
    if (!m)
        return 0;
    if (!g->known && file)
        *g = file_gen(file);
    if (!g->known)
        return m->flags & ~PS_MARK_GEN;
    if (!(m->flags & PS_MARK_GEN)) {
        m->gen = g->gen;
        m->flags |= PS_MARK_GEN;
    } else if (m->gen != g->gen) {
        return 0;
    }
    return m->flags & ~PS_MARK_GEN;
}

/* inode_flags_of with the generation already read (or unknown). */
static __always_inline __u32 inode_flags(struct ps_obj *o, struct ps_gen g)
{
    return inode_flags_of(o, &g, 0);
}

static __always_inline void mark_process(__u32 tgid, __u32 flags)
{
    if (bpf_map_update_elem(&pids, &tgid, &flags, BPF_ANY) < 0)
        count(PS_C_TRACK_FULL);
}

static __always_inline void mark_inode(struct ps_obj *o, struct ps_gen g, __u32 flags)
{
    struct ps_inode_key key = {.ino = o->ino, .dev = o->dev};
    struct ps_inode_mark m = {.flags = flags & ~PS_MARK_GEN, .gen = g.gen};
    if (g.known)
        m.flags |= PS_MARK_GEN;
    if (bpf_map_update_elem(&inodes, &key, &m, BPF_ANY) < 0)
        count(PS_C_TRACK_FULL);
}

/* The propagate node filter's kind of an inode, by its file type. */
static __always_inline __u32 kind_bit(__u16 mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return 1u << PS_KIND_FILE;
    case S_IFDIR: return 1u << PS_KIND_DIRECTORY;
    case S_IFLNK: return 1u << PS_KIND_LINK;
    case S_IFCHR: return 1u << PS_KIND_CHAR;
    case S_IFBLK: return 1u << PS_KIND_BLOCK;
    case S_IFIFO: return 1u << PS_KIND_PIPE;
    case S_IFSOCK: return 1u << PS_KIND_SOCKET;
    default: return 0;
    }
}

/* Whether tracking may pass into a process through `class`. */
static __always_inline int propagates_into_process(struct ps_config *cfg, __u32 class)
{
    return !(cfg->propagate_kinds_off & (1u << PS_KIND_PROCESS)) &&
           !(class < 64 && (cfg->propagate_class_off & (1ULL << class)));
}

/* Spreads tracking along a syscall's flow (PS_SPEC_FLOW_*); returns the process's flags
 * after it. f0 and f1 are the objects' inode flags, g0 and g1 their generations. */
static __always_inline __u32 propagate(struct ps_config *cfg, struct ps_event *e, __u32 tgid,
                                       __u32 pf, __u32 f0, __u32 f1, struct ps_gen g0,
                                       struct ps_gen g1, __u32 spec)
{
    __u32 class = PS_SPEC_CLASS(spec);
    if (class < 64 && (cfg->propagate_class_off & (1ULL << class)))
        return pf;
    if ((spec & PS_SPEC_FLOW_IN) && (f0 & PS_PROPAGATE) && !(pf & PS_PROPAGATE) &&
        !(cfg->propagate_kinds_off & (1u << PS_KIND_PROCESS))) {
        pf |= PS_TRACKED | PS_PROPAGATE;
        mark_process(tgid, pf);
    }
    if (!(spec & PS_SPEC_FLOW_OUT) || !(pf & PS_PROPAGATE))
        return pf;
    /* A transfer reads obj[0] and writes obj[1]; every other call writes obj[0]. */
    int second = (spec & PS_SPEC_FLOW_IN) != 0;
    struct ps_obj *o = second ? &e->obj[1] : &e->obj[0];
    __u32 fo = second ? f1 : f0;
    if (o->ino && !(fo & PS_PROPAGATE) && !(cfg->propagate_kinds_off & kind_bit(o->mode)))
        mark_inode(o, second ? g1 : g0, fo | PS_TRACKED | PS_PROPAGATE);
    return pf;
}

/* The first IPv4 rule for a connect (egress) or bind (ingress) to the address at
 * `uaddr` (user memory, `len` bytes); returns its flags, 0 when none matches or the
 * address is not IPv4. */
static __always_inline __u32 ipv4_rule_flags(struct ps_config *cfg, __u32 class, __u64 uaddr,
                                             __u64 len)
{
    struct {
        __u16 family;
        __u16 port; /* network order */
        __u32 addr; /* network order */
    } sa = {};
    if (len < sizeof(sa) || bpf_probe_read_user(&sa, sizeof(sa), (const void *)uaddr) != 0)
        return 0;
    if (sa.family != AF_INET)
        return 0;
    __u8 way = class == PS_CLASS_CONNECT ? PS_WAY_EGRESS : PS_WAY_INGRESS;
    for (__u32 i = 0; i < PS_IPV4_RULES_MAX; i++) {
        if (i >= cfg->ipv4_rules)
            break;
        __u32 k = i;
        struct ps_ipv4_rule *r = bpf_map_lookup_elem(&ipv4_rules, &k);
        if (!r)
            break;
        if (r->way == way && (sa.addr & r->mask) == (r->addr & r->mask) &&
            (!r->port || r->port == sa.port))
            return r->flags;
    }
    return 0;
}

#endif
