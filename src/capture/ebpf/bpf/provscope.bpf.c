// SPDX-License-Identifier: GPL-2.0
/* provscope's kernel side: tracepoint programs that turn syscalls, forks, execs and exits
 * into records for user space, where the builder (src/capture/builder) makes CamFlow's
 * graph of them. Only tracepoints (tp_btf): they load on a stock kernel, unlike the BPF
 * LSM or fentry programs some kernels refuse.
 *
 * Cost comes first: a syscall the capture does not care about is one array lookup; a
 * filtered-out one (process, user, group, cgroup, relation class) never touches the ring
 * buffer. Every record that cannot be written is counted by cause.
 *
 * Rebuild with tools/bpf/build.sh (pinned clang); CI fails if provscope.bpf.o is stale. */

#include "bpf_defs.h"
#include "kernel_types.h"
#include "event.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10

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
    __type(value, __u32);
} inodes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PS_COUNTERS);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

/* Compression (CamFlow's edge compression, done before the ring buffer): a process that
 * reads or writes the same object through the same call again, with nothing recorded in
 * between that could change the task, its process memory or the object, adds no edge:
 * the builder would drop both relations as exact repeats. Here that is decided without
 * sending the record. "Nothing in between" is kept conservatively with one global
 * generation, advanced by every recorded event except reads (a read changes only its own
 * process, whose last flow is the per-process entry itself), so a repeat is dropped only
 * when no write, open, fork, exec, rename... happened anywhere since. Two threads of one
 * process racing on different CPUs may see each other late; the events were concurrent,
 * so the order in which the repeat came first is as true as the other. */
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

/* Process-level filters, cheapest first. Returns 0 when the event must not be recorded
 * (and counts why). */
static __always_inline int process_passes(struct ps_config *cfg, __u32 tgid, __u64 uid_gid)
{
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
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED) &&
        !(cfg->flags & PS_CFG_INODE_FILTER)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    if (cfg->flags & PS_CFG_UID_FILTER) {
        __u32 uid = (__u32)uid_gid;
        if (bpf_map_lookup_elem(&uids, &uid)) {
            count(PS_C_F_UID);
            return 0;
        }
    }
    if (cfg->flags & PS_CFG_GID_FILTER) {
        __u32 gid = (__u32)(uid_gid >> 32);
        if (bpf_map_lookup_elem(&gids, &gid)) {
            count(PS_C_F_GID);
            return 0;
        }
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

static __always_inline void fill_socket(struct file *f, struct ps_obj *o)
{
    struct socket *sock = 0;
    struct sock *sk = 0;
    short type = 0;
    __be16 dport = 0;
    CORE_READ(sock, f->private_data);
    if (!sock)
        return;
    CORE_READ(type, sock->type);
    o->sock_type = (__u16)type;
    CORE_READ(sk, sock->sk);
    if (!sk)
        return;
    CORE_READ(o->family, sk->__sk_common.skc_family);
    CORE_READ(o->sport, sk->__sk_common.skc_num);
    CORE_READ(dport, sk->__sk_common.skc_dport);
    o->dport = (__u16)((dport >> 8) | (dport << 8));
    CORE_READ(o->proto, sk->sk_protocol);
    if (o->family == AF_INET) {
        CORE_READ(*(__u32 *)o->saddr, sk->__sk_common.skc_rcv_saddr);
        CORE_READ(*(__u32 *)o->daddr, sk->__sk_common.skc_daddr);
    } else if (o->family == AF_INET6) {
        CORE_READ(o->saddr, sk->__sk_common.skc_v6_rcv_saddr);
        CORE_READ(o->daddr, sk->__sk_common.skc_v6_daddr);
    }
}

/* Inode identity of an open file. */
static __always_inline void file_object(struct file *f, struct ps_obj *o)
{
    struct inode *inode = 0;
    struct super_block *sb = 0;
    if (!f)
        return;
    CORE_READ(inode, f->f_inode);
    if (!inode)
        return;
    CORE_READ(o->ino, inode->i_ino);
    CORE_READ(o->mode, inode->i_mode);
    CORE_READ(sb, inode->i_sb);
    if (sb)
        CORE_READ(o->dev, sb->s_dev);
}

/* What fd refers to in the current task: inode number, device, mode, socket details. */
static __always_inline void resolve_fd(struct task_struct *task, long fd, struct ps_obj *o)
{
    struct files_struct *files = 0;
    struct fdtable *fdt = 0;
    struct file **fds = 0;
    struct file *f = 0;
    unsigned int max_fds = 0;

    o->ino = 0;
    o->mode = 0;
    o->family = 0;
    if (fd < 0 || fd > 0xfffff)
        return;
    CORE_READ(files, task->files);
    if (!files)
        return;
    CORE_READ(fdt, files->fdt);
    if (!fdt)
        return;
    CORE_READ(max_fds, fdt->max_fds);
    if ((unsigned long)fd >= max_fds)
        return;
    CORE_READ(fds, fdt->fd);
    if (!fds)
        return;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    if (!f)
        return;
    file_object(f, o);
    if (o->ino && (o->mode & S_IFMT) == S_IFSOCK)
        fill_socket(f, o);
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

/* Argument `which` straight from the registers (before a record exists). */
static __always_inline __u64 arg_value_regs(struct pt_regs *regs, __u32 which)
{
    switch (which) {
    case 0: return regs->di;
    case 1: return regs->si;
    case 2: return regs->dx;
    case 3: return regs->r10;
    case 4: return regs->r8;
    case 5: return regs->r9;
    default: return ~0ULL;
    }
}

static __always_inline __u64 arg_value(struct ps_event *e, __u32 which)
{
    if (which == PS_ARG_RET)
        return (__u64)e->ret;
    if (which < 6)
        return e->args[which];
    return 0;
}

static __always_inline void read_string(struct ps_event *e, int slot, __u64 ptr)
{
    long n;
    if (!ptr)
        return;
    if (slot == 0)
        n = bpf_probe_read_user_str(e->str[0], PS_STR_MAX, (const void *)ptr);
    else
        n = bpf_probe_read_user_str(e->str[1], PS_STR_MAX, (const void *)ptr);
    if (n < 0) {
        count(PS_C_STR_FAULT);
        return;
    }
    e->str_len[slot & 1] = (__u16)n;
    if (n == PS_STR_MAX)
        e->flags |= slot ? PS_EV_STR1_CUT : PS_EV_STR0_CUT;
}

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

/* True when this flow (thread `tid` of `tgid`, syscall `nr`, object `o`) repeats its
 * process's last recorded one with nothing recorded in between. */
static __always_inline int is_repeat(__u32 tgid, __u32 tid, __u32 nr, struct ps_obj *o)
{
    __u32 zero = 0;
    struct ps_last_flow *last = bpf_map_lookup_elem(&last_flow, &tgid);
    if (!last)
        return 0;
    __u64 *g = bpf_map_lookup_elem(&generation, &zero);
    return g && last->generation == *g && last->tid == tid && last->nr == nr &&
           last->ino == o->ino && last->dev == o->dev;
}

static __always_inline void remember_flow(struct ps_event *e, __u64 gen)
{
    struct ps_last_flow v = {
        .ino = e->obj[0].ino,
        .generation = gen,
        .dev = e->obj[0].dev,
        .tid = e->tid,
        .nr = e->nr,
        .pad = 0,
    };
    bpf_map_update_elem(&last_flow, &e->tgid, &v, BPF_ANY);
}

/* Writes the record; 1 when it was written, 0 when it was lost (and counted). */
static __always_inline int send(struct ps_config *cfg, struct ps_event *e)
{
    __u64 size = __builtin_offsetof(struct ps_event, str);
    if (e->str_len[1])
        size += 2 * PS_STR_MAX;
    else if (e->str_len[0])
        size += PS_STR_MAX;
    __u64 flags = BPF_RB_NO_WAKEUP;
    if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg->wake_bytes)
        flags = BPF_RB_FORCE_WAKEUP;
    if (bpf_ringbuf_output(&events, e, size, flags) < 0) {
        count(PS_C_DROP_RINGBUF);
        return 0;
    }
    count(PS_C_EVENTS);
    return 1;
}

static __always_inline struct ps_event *start_event(__u32 kind, __u64 pid_tgid, __u64 uid_gid)
{
    __u32 zero = 0;
    struct ps_event *e = bpf_map_lookup_elem(&scratch, &zero);
    if (!e)
        return 0;
    e->kind = kind;
    e->nr = 0;
    e->ts = bpf_ktime_get_ns();
    e->tgid = (__u32)(pid_tgid >> 32);
    e->tid = (__u32)pid_tgid;
    e->uid = (__u32)uid_gid;
    e->gid = (__u32)(uid_gid >> 32);
    e->cgroup = bpf_get_current_cgroup_id();
    e->ret = 0;
    e->flags = 0;
    e->str_len[0] = 0;
    e->str_len[1] = 0;
    e->obj[0].ino = 0;
    e->obj[1].ino = 0;
    for (int i = 0; i < 4; i++)
        e->aux[i] = 0;
    return e;
}

SEC("tp_btf/sys_exit")
int handle_sys_exit(unsigned long long *ctx)
{
    struct pt_regs *regs = (struct pt_regs *)ctx[0];
    long ret = (long)ctx[1];
    unsigned long nr = regs->orig_ax;
    __u32 key = (__u32)nr;

    if (nr >= PS_NR_MAX)
        return 0;
    __u32 *specp = bpf_map_lookup_elem(&syscalls, &key);
    if (!specp || !*specp)
        return 0;
    __u32 spec = *specp;
    if (ret < 0 && !(spec & PS_SPEC_KEEP_FAILED)) {
        count(PS_C_FAILED);
        return 0;
    }
    struct ps_config *cfg = get_config();
    if (!cfg)
        return 0;
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();
    __u32 tgid = (__u32)(pid_tgid >> 32);
    if (!process_passes(cfg, tgid, uid_gid))
        return 0;
    __u32 class = PS_SPEC_CLASS(spec);
    if (class < 64 && (cfg->class_off & (1ULL << class))) {
        count(PS_C_F_RELATION);
        return 0;
    }

    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    /* A compressible flow is resolved first, so that a repeat costs no record setup. */
    int compressible = (spec & PS_SPEC_COMPRESSIBLE) && (cfg->flags & PS_CFG_COMPRESS) &&
                       ret > 0;
    struct ps_obj first = {};
    if (compressible) {
        resolve_fd(task, (long)arg_value_regs(regs, PS_SPEC_FD_A(spec)), &first);
        if (first.ino && is_repeat(tgid, (__u32)pid_tgid, (__u32)nr, &first)) {
            count(PS_C_COMPRESSED);
            return 0;
        }
    }

    struct ps_event *e = start_event(PS_SYSCALL, pid_tgid, uid_gid);
    if (!e)
        return 0;
    e->nr = (__u32)nr;
    e->ret = ret;
    e->args[0] = regs->di;
    e->args[1] = regs->si;
    e->args[2] = regs->dx;
    e->args[3] = regs->r10;
    e->args[4] = regs->r8;
    e->args[5] = regs->r9;

    __u32 which = PS_SPEC_FD_A(spec);
    if (compressible)
        e->obj[0] = first;
    else if (which != PS_ARG_NONE)
        resolve_fd(task, (long)arg_value(e, which), &e->obj[0]);
    which = PS_SPEC_FD_B(spec);
    if (which != PS_ARG_NONE)
        resolve_fd(task, (long)arg_value(e, which), &e->obj[1]);
    which = PS_SPEC_FDPAIR(spec);
    if (which < 6) {
        int pair[2] = {-1, -1};
        if (bpf_probe_read_user(pair, sizeof(pair), (const void *)e->args[which]) == 0) {
            e->aux[0] = (__u32)pair[0];
            e->aux[1] = (__u32)pair[1];
            resolve_fd(task, pair[0], &e->obj[0]);
            resolve_fd(task, pair[1], &e->obj[1]);
        }
    }
    /* An fd-based call whose fd names no object (an anonymous mmap) has no flow. */
    if (PS_SPEC_FD_A(spec) != PS_ARG_NONE && !e->obj[0].ino) {
        count(PS_C_UNRESOLVED);
        return 0;
    }
    if (!inode_passes(cfg, e, tgid))
        return 0;
    which = PS_SPEC_STR_A(spec);
    if (which < 6)
        read_string(e, 0, e->args[which]);
    which = PS_SPEC_STR_B(spec);
    if (which < 6)
        read_string(e, 1, e->args[which]);
    which = PS_SPEC_ADDR(spec);
    if (which < 5 && e->args[which]) {
        /* A sockaddr goes into string slot 1 as raw bytes; its length is the next
         * argument, capped. */
        __u64 len = e->args[which + 1];
        if (len > PS_STR_MAX)
            len = PS_STR_MAX;
        if (len > 0 && bpf_probe_read_user(e->str[1], len,
                                           (const void *)e->args[which]) == 0)
            e->str_len[1] = (__u16)len;
    }
    __u64 gen = advance_generation(spec & PS_SPEC_QUIET);
    int sent = send(cfg, e);
    if (compressible && sent)
        remember_flow(e, gen);
    return 0;
}

/* sched_process_fork(struct task_struct *parent, struct task_struct *child) */
SEC("tp_btf/sched_process_fork")
int handle_fork(unsigned long long *ctx)
{
    struct task_struct *parent = (struct task_struct *)ctx[0];
    struct task_struct *child = (struct task_struct *)ctx[1];
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();
    __u32 tgid = (__u32)(pid_tgid >> 32);
    int child_pid = 0, child_tgid = 0;
    CORE_READ(child_pid, child->pid);
    CORE_READ(child_tgid, child->tgid);

    /* Tracking propagates to children before any filter decides about this event. */
    __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
    if (pflags && (*pflags & PS_TRACKED) && (__u32)child_tgid != tgid) {
        __u32 fl = PS_TRACKED;
        __u32 ct = (__u32)child_tgid;
        bpf_map_update_elem(&pids, &ct, &fl, BPF_ANY);
    }
    struct ps_config *cfg = get_config();
    if (!cfg || !process_passes(cfg, tgid, uid_gid))
        return 0;
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pflags && (*pflags & PS_TRACKED))) {
        count(PS_C_F_TRACK);
        return 0;
    }
    struct ps_event *e = start_event(PS_FORK, pid_tgid, uid_gid);
    if (!e)
        return 0;
    int ppid = 0;
    CORE_READ(ppid, parent->pid);
    e->aux[0] = (__u32)child_pid;
    e->aux[1] = (__u32)child_tgid;
    e->aux[2] = (__u32)ppid;
    advance_generation(0);
    send(cfg, e);
    return 0;
}

/* sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
SEC("tp_btf/sched_process_exec")
int handle_exec(unsigned long long *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();
    __u32 tgid = (__u32)(pid_tgid >> 32);
    struct ps_config *cfg = get_config();
    if (!cfg || !process_passes(cfg, tgid, uid_gid))
        return 0;
    if (cfg->flags & PS_CFG_TRACK_ONLY) {
        __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
        if (!(pflags && (*pflags & PS_TRACKED))) {
            count(PS_C_F_TRACK);
            return 0;
        }
    }
    struct ps_event *e = start_event(PS_EXEC, pid_tgid, uid_gid);
    if (!e)
        return 0;
    e->aux[0] = (__u32)ctx[1]; /* old pid: a non-leader thread's exec changes its tid */

    const char *filename = 0;
    struct file *file = 0;
    CORE_READ(filename, bprm->filename);
    CORE_READ(file, bprm->file);
    if (filename) {
        long n = bpf_probe_read_kernel_str(e->str[0], PS_STR_MAX, filename);
        if (n > 0) {
            e->str_len[0] = (__u16)n;
            if (n == PS_STR_MAX)
                e->flags |= PS_EV_STR0_CUT;
        }
    }
    /* For a script, bprm->file is the interpreter by now and the script's file is
     * already released; bprm->interp then points to a copy of the interpreter's name
     * instead of to filename. User space finds the script by its name. */
    const char *interp = 0;
    CORE_READ(interp, bprm->interp);
    if (interp && interp != filename)
        e->flags |= PS_EV_SCRIPT;
    file_object(file, &e->obj[0]);
    /* argv: the new program's arguments, NUL separated, from its own memory. */
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct mm_struct *mm = 0;
    unsigned long start = 0, end = 0;
    CORE_READ(mm, task->mm);
    if (mm) {
        CORE_READ(start, mm->arg_start);
        CORE_READ(end, mm->arg_end);
    }
    if (end > start) {
        unsigned long len = end - start;
        if (len >= PS_STR_MAX) {
            len = PS_STR_MAX;
            e->flags |= PS_EV_STR1_CUT;
        }
        if (bpf_probe_read_user(e->str[1], len,
                                (const void *)start) == 0)
            e->str_len[1] = (__u16)len;
    }
    if (!e->str_len[1] && e->str_len[0])
        e->str_len[1] = 1; /* keep the layout: slot 1 present but empty */
    advance_generation(0);
    send(cfg, e);
    return 0;
}

/* sched_process_exit(struct task_struct *p, ...) */
SEC("tp_btf/sched_process_exit")
int handle_exit(unsigned long long *ctx)
{
    struct task_struct *p = (struct task_struct *)ctx[0];
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();
    __u32 tgid = (__u32)(pid_tgid >> 32);
    struct ps_config *cfg = get_config();
    struct signal_struct *signal = 0;
    int live = 1;
    CORE_READ(signal, p->signal);
    if (signal)
        CORE_READ(live, signal->live.counter);
    __u32 *pflags = bpf_map_lookup_elem(&pids, &tgid);
    int tracked = pflags && (*pflags & PS_TRACKED);
    if (!cfg || !process_passes(cfg, tgid, uid_gid) ||
        ((cfg->flags & PS_CFG_TRACK_ONLY) && !tracked)) {
        if (live == 0 && tracked)
            bpf_map_delete_elem(&pids, &tgid);
        return 0;
    }
    struct ps_event *e = start_event(PS_EXIT, pid_tgid, uid_gid);
    if (!e)
        return 0;
    e->aux[0] = live == 0;
    /* Forget tracking of a finished process so a recycled pid starts clean. */
    if (live == 0 && tracked)
        bpf_map_delete_elem(&pids, &tgid);
    advance_generation(0);
    send(cfg, e);
    return 0;
}
