/* Names for files the capture meets by fd only. CamFlow names an inode from its dentry
 * the first time it records it; a tracepoint cannot call bpf_d_path, so the path is
 * walked here: dentry to dentry up to the mount's root, then on from the mount point in
 * the parent mount, until the root of all mounts. Only in track-only mode, where a file
 * can reach the capture by a tracked process's fd without any recorded open naming it
 * (a shell's redirection opened it before tracking began), and once per inode (an LRU
 * of the inodes named so far). */
#ifndef PROVSCOPE_NAMES_H
#define PROVSCOPE_NAMES_H

#include "kernel_types.h"
#include "event.h"
#include "maps.h"
#include "tracking.h" /* struct ps_gen */

/* Path components walked at most (a deeper path is sent cut, marked so). */
#define PS_PATH_DEPTH 24

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct ps_inode_key);
    __type(value, __u32); /* the inode's generation when it was named */
} named_inodes SEC(".maps");

/* A string slot of a record, as a global function's argument must be typed: by the
 * size of what it points to. */
struct ps_str {
    char s[PS_STR_MAX];
};

/* The path is built backwards in here, then copied to the record. */
struct ps_path_buf {
    char b[2 * PS_STR_MAX];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ps_path_buf);
} path_buf SEC(".maps");

/* The walk's state, shared with each step (bpf_loop's callback). */
struct ps_walk {
    struct dentry *d;
    struct vfsmount *vfs;
    struct mount *m;
    struct ps_path_buf *buf;
    __u32 pos;  /* where the path built so far starts in buf */
    __u32 done; /* reached the root of all mounts */
};

static __always_inline struct vfsmount *mount_vfs(struct mount *m)
{
    return (struct vfsmount *)((char *)m +
                               __builtin_preserve_field_info(((struct mount *)0)->mnt, 0));
}

/* One step up: out of a mount at its root, else one component prepended. Returns 1 to
 * stop the loop. */
static long walk_step(__u64 index, void *ctx)
{
    struct ps_walk *w = ctx;
    /* Locals: a CO-RE read must start from a kernel type, not from the walk's state. */
    struct dentry *d = w->d, *root = 0, *parent = 0;
    struct vfsmount *vfs = w->vfs;
    struct mount *m = w->m;
    CORE_READ(root, vfs->mnt_root);
    if (d == root) {
        struct mount *up = 0;
        struct dentry *point = 0;
        CORE_READ(up, m->mnt_parent);
        if (!up || up == m) {
            w->done = 1;
            return 1;
        }
        CORE_READ(point, m->mnt_mountpoint);
        w->d = point;
        w->m = up;
        w->vfs = mount_vfs(up);
        return 0;
    }
    CORE_READ(parent, d->d_parent);
    if (!parent || parent == d) {
        w->done = 1;
        return 1;
    }
    __u32 len = 0;
    const unsigned char *name = 0;
    CORE_READ(len, d->d_name.len);
    CORE_READ(name, d->d_name.name);
    __u32 pos = w->pos;
    if (len == 0 || len + 1 > pos || pos > PS_STR_MAX - 1)
        return 1;
    pos -= len;
    bpf_probe_read_kernel(&w->buf->b[pos & (PS_STR_MAX - 1)], len & (PS_STR_MAX - 1), name);
    pos -= 1;
    w->buf->b[pos & (PS_STR_MAX - 1)] = '/';
    w->pos = pos;
    w->d = parent;
    return 0;
}

/* The absolute path of the open file at `file` (a struct file *) into `out`
 * (NUL-terminated); returns its length with the NUL, or 0 when it could not be read
 * whole (deeper than PS_PATH_DEPTH or longer than a string slot: a path cut at the front
 * would name another file). A global function, and the walk a bpf_loop callback, so the
 * verifier checks each once. */
__attribute__((noinline)) int file_path(__u64 file, struct ps_str *out)
{
    __u32 zero = 0;
    struct ps_path_buf *buf = bpf_map_lookup_elem(&path_buf, &zero);
    if (!buf || !out || !file)
        return 0;
    struct file *f = (struct file *)file;
    struct dentry *d = 0;
    struct vfsmount *vfs = 0;
    CORE_READ(d, f->f_path.dentry);
    CORE_READ(vfs, f->f_path.mnt);
    if (!d || !vfs)
        return 0;
    struct ps_walk w = {.d = d, .vfs = vfs, .buf = buf, .pos = PS_STR_MAX - 1, .done = 0};
    w.m = (struct mount *)((char *)vfs -
                           __builtin_preserve_field_info(((struct mount *)0)->mnt, 0));
    buf->b[PS_STR_MAX - 1] = 0;
    bpf_loop(PS_PATH_DEPTH, walk_step, &w, 0);
    __u32 pos = w.pos;
    if (!w.done || pos > PS_STR_MAX - 1)
        return 0;
    if (pos == PS_STR_MAX - 1) {
        /* The root itself. */
        pos -= 1;
        buf->b[pos] = '/';
    }
    __u32 n = (PS_STR_MAX - pos) & (PS_STR_MAX - 1);
    if (n == 0 || bpf_probe_read_kernel(out->s, n, &buf->b[pos & (PS_STR_MAX - 1)]) != 0)
        return 0;
    return (int)n;
}

/* Whether the capture should name `o` (generation `g`) now: a file, directory or device
 * not named yet since the LRU last forgot it, or a new file under a deleted one's number
 * (marks it named). Sockets and pipes have no path. */
static __always_inline int needs_name(struct ps_obj *o, struct ps_gen g)
{
    __u16 type = o->mode & S_IFMT;
    if (!o->ino || (type != S_IFREG && type != S_IFDIR && type != S_IFCHR && type != S_IFBLK))
        return 0;
    struct ps_inode_key key = {.ino = o->ino, .dev = o->dev};
    __u32 *named = bpf_map_lookup_elem(&named_inodes, &key);
    if (named && (!g.known || *named == g.gen))
        return 0;
    bpf_map_update_elem(&named_inodes, &key, &g.gen, BPF_ANY);
    return 1;
}

#endif
