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
#include "maps.h"
#include "compression.h"
#include "filters.h"
#include "resolve.h"
#include "packets.h"
#include "handshake.h"
#include "empty_programs.h"

char LICENSE[] SEC("license") = "GPL";

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

/* Bytes [start, end) of the current task's memory into `dst` (room for `max` bytes, at
 * most PS_EXEC_AREA), cut to fit (then *cut is set, also when they fill it exactly).
 * Returns how many were read; 0 when there were none or they could not be read. */
static __always_inline __u32 read_user_area(char *dst, unsigned long start, unsigned long end,
                                            unsigned long max, int *cut)
{
    if (end <= start)
        return 0;
    unsigned long len = end - start;
    if (max > PS_EXEC_AREA)
        max = PS_EXEC_AREA;
    if (len >= max) {
        len = max;
        *cut = 1;
    }
    if (bpf_probe_read_user(dst, len, (const void *)start) != 0)
        return 0;
    return (__u32)len;
}

/* Writes the record; 1 when it was written, 0 when it was lost (and counted). */
static __always_inline int send(struct ps_config *cfg, struct ps_event *e)
{
    __u64 size = __builtin_offsetof(struct ps_event, str);
    if (e->kind == PS_EXEC) {
        __u32 area = (e->aux[1] & (2 * PS_EXEC_AREA - 1)) + (e->aux[2] & (2 * PS_EXEC_AREA - 1));
        size = __builtin_offsetof(struct ps_event, exec_area) + area;
        if (size > sizeof(struct ps_event))
            size = sizeof(struct ps_event);
    } else if (e->str_len[1])
        size += 2 * PS_STR_MAX;
    else if (e->str_len[0])
        size += PS_STR_MAX;
    return ring_output(cfg, e, size);
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
    __u32 class = PS_SPEC_CLASS(spec);
    /* A non-blocking connect returns -EINPROGRESS and connects all the same. */
    if (ret < 0 && !(spec & PS_SPEC_KEEP_FAILED) &&
        !(ret == -EINPROGRESS && class == PS_CLASS_CONNECT)) {
        count(PS_C_FAILED);
        return 0;
    }
    struct ps_config *cfg = get_config();
    if (!cfg)
        return 0;
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();
    __u32 tgid = (__u32)(pid_tgid >> 32);
    /* An IPv4 rule tracks the process before the filters look at it (the socket is
     * marked once it is resolved, below). */
    __u32 rule_flags = 0;
    if ((cfg->flags & PS_CFG_IPV4) && (class == PS_CLASS_CONNECT || class == PS_CLASS_BIND) &&
        tgid != cfg->self_tgid) {
        rule_flags = ipv4_rule_flags(cfg, class, regs->si, regs->dx);
        __u32 pf = pid_flags(tgid);
        if (rule_flags && !(pf & PS_OPAQUE) &&
            (pf | (rule_flags & (PS_TRACKED | PS_PROPAGATE))) != pf)
            mark_process(tgid, pf | (rule_flags & (PS_TRACKED | PS_PROPAGATE)));
    }
    __u32 pf = 0;
    if (!process_passes(cfg, tgid, uid_gid, &pf))
        return 0;
    if (class < 64 && (cfg->class_off & (1ULL << class))) {
        count(PS_C_F_RELATION);
        return 0;
    }

    struct task_struct *task = bpf_get_current_task_btf();
    /* A compressible flow is checked first, by the file's kernel identity alone, so that
     * a repeat costs neither resolving the inode nor any record setup. */
    int compressible = (spec & PS_SPEC_COMPRESSIBLE) && (cfg->flags & PS_CFG_COMPRESS) &&
                       ret > 0;
    struct file *first = 0;
    struct ps_file_ref ref = {};
    if (compressible) {
        first = fd_file(task, (long)arg_value_regs(regs, PS_SPEC_FD_A(spec)));
        file_ref(first, &ref);
        if (ref.inode && is_repeat(tgid, (__u32)pid_tgid, (__u32)nr, &ref)) {
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
        describe_file(first, &e->obj[0]);
    else if (which != PS_ARG_NONE)
        first = resolve_fd(task, (long)arg_value(e, which), &e->obj[0]);
    which = PS_SPEC_FD_B(spec);
    struct file *second = 0;
    if (which != PS_ARG_NONE)
        second = resolve_fd(task, (long)arg_value(e, which), &e->obj[1]);
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
    if (!objects_pass(e, pf, spec, (__u64)first, (__u64)second))
        return 0;
    if (rule_flags && e->obj[0].ino) {
        struct ps_gen g = file_gen((__u64)first);
        mark_inode(&e->obj[0], g, inode_flags(&e->obj[0], g) | rule_flags);
    }
    /* A connection accepted from a listener an ingress rule marked is marked alike. */
    if ((cfg->flags & PS_CFG_IPV4) && class == PS_CLASS_ACCEPT && e->obj[1].ino) {
        __u32 lf = inode_flags(&e->obj[0], file_gen((__u64)first)) &
                   (PS_TRACKED | PS_PROPAGATE | PS_RECORD);
        struct ps_gen g = file_gen((__u64)second);
        if (lf)
            mark_inode(&e->obj[1], g, inode_flags(&e->obj[1], g) | lf);
    }
    remember_socket(&e->obj[0], e);
    remember_socket(&e->obj[1], e);
    if (class == PS_CLASS_LISTEN)
        listen_returned(&e->obj[0], first);
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
    if ((spec & PS_SPEC_UNIX_NAME) && e->obj[1].family == AF_UNIX && !e->str_len[0])
        e->str_len[0] = unix_name(second, e->str[0]);
    /* A read from a unix socket with a known peer also links the two sockets
     * (send_unix), changing more than its own process: not quiet. */
    int quiet = (spec & PS_SPEC_QUIET) && !has_unix_peer(&e->obj[0]);
    __u64 gen = advance_generation(quiet);
    int sent = send(cfg, e);
    if (compressible && sent)
        remember_flow(e, &ref, gen);
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

    struct ps_config *cfg = get_config();
    if (!cfg)
        return 0;
    /* Tracking passes to children before any filter decides about this event: a tracked
     * process's children are tracked (its process tree), a propagating one's propagate
     * unless a propagate filter stops it at clone. */
    __u32 pf = 0;
    int passes = process_passes(cfg, tgid, uid_gid, &pf);
    __u32 inherit = pf & PS_TRACKED;
    if ((pf & PS_PROPAGATE) && propagates_into_process(cfg, PS_CLASS_CLONE))
        inherit |= PS_PROPAGATE;
    if (inherit && (__u32)child_tgid != tgid)
        mark_process((__u32)child_tgid, inherit);
    if (!passes)
        return 0;
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED)) {
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
    __u32 pf = 0;
    if (!cfg || !process_passes(cfg, tgid, uid_gid, &pf))
        return 0;
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
    /* Executing a propagating file propagates into the process; in track-only mode the
     * exec is recorded when the process or the program file is tracked. */
    __u32 ff = (cfg->flags & PS_CFG_INODE_FILTER) ? inode_flags(&e->obj[0], file_gen((__u64)file))
                                                  : 0;
    if ((cfg->flags & PS_CFG_PROPAGATE) && (ff & PS_PROPAGATE) && !(pf & PS_PROPAGATE) &&
        propagates_into_process(cfg, PS_CLASS_EXEC)) {
        pf |= PS_TRACKED | PS_PROPAGATE;
        mark_process(tgid, pf);
    }
    if ((cfg->flags & PS_CFG_TRACK_ONLY) && !(pf & PS_TRACKED) && !(ff & PS_TRACKED)) {
        count(PS_C_F_TRACK);
        return 0;
    }
    /* argv and, when asked, envp: the new program's arguments and environment, NUL
     * separated, from its own memory, each cut at PS_EXEC_AREA bytes. */
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct mm_struct *mm = 0;
    unsigned long start = 0, end = 0;
    CORE_READ(mm, task->mm);
    if (mm) {
        CORE_READ(start, mm->arg_start);
        CORE_READ(end, mm->arg_end);
    }
    int cut = 0;
    __u32 argv = read_user_area(e->exec_area, start, end, PS_EXEC_AREA, &cut);
    e->aux[2] = argv;
    if (cut)
        e->flags |= PS_EV_STR1_CUT;
    if (mm && (cfg->flags & PS_CFG_ENV) && argv <= PS_EXEC_AREA) {
        start = end = 0;
        CORE_READ(start, mm->env_start);
        CORE_READ(end, mm->env_end);
        cut = 0;
        e->aux[1] = read_user_area(e->exec_area + argv, start, end, PS_EXEC_AREA, &cut);
        if (cut)
            e->flags |= PS_EV_ENV_CUT;
    }
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
    __u32 pf = 0;
    int tracked = pid_flags(tgid) & PS_TRACKED;
    if (!cfg || !process_passes(cfg, tgid, uid_gid, &pf) ||
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
