/* What an fd names, read from the current task's file table: the inode's identity and
 * mode and, for a socket, its family, type, ports and addresses. */
#ifndef PROVSCOPE_RESOLVE_H
#define PROVSCOPE_RESOLVE_H

#include "kernel_types.h"
#include "event.h"

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10

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

#endif
