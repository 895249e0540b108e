/* What an fd names, read from the current task's file table: the inode's identity and
 * mode and, for a socket, its family, type, ports and addresses; for a unix socket, the
 * socket it is connected to and the name it is bound to. */
#ifndef PROVSCOPE_RESOLVE_H
#define PROVSCOPE_RESOLVE_H

#include "kernel_types.h"
#include "event.h"

/* The inode of open file `f`: number, device, mode (left as they are without one). */
static __always_inline void read_file_inode(struct file *f, __u64 *ino, __u32 *dev,
                                            __u16 *mode)
{
    struct inode *inode = 0;
    struct super_block *sb = 0;
    if (!f)
        return;
    CORE_READ(inode, f->f_inode);
    if (!inode)
        return;
    CORE_READ(*ino, inode->i_ino);
    CORE_READ(*mode, inode->i_mode);
    CORE_READ(sb, inode->i_sb);
    if (sb)
        CORE_READ(*dev, sb->s_dev);
}

/* Inode identity of an open file. */
static __always_inline void file_object(struct file *f, struct ps_obj *o)
{
    read_file_inode(f, &o->ino, &o->dev, &o->mode);
}

/* The inode of the file of socket `sk` (number, device, mode), read with helpers for a
 * pointer the verifier cannot follow; left 0 where the chain ends. */
static __always_inline void read_socket_inode(struct sock *sk, __u64 *ino, __u32 *dev,
                                              __u16 *mode)
{
    struct socket *sock = 0;
    struct file *f = 0;
    CORE_READ(sock, sk->sk_socket);
    if (sock)
        CORE_READ(f, sock->file);
    read_file_inode(f, ino, dev, mode);
}

/* The socket a unix socket is connected to, by inode: its number in the first 8 bytes of
 * o->daddr, its device in the next 4 (unix sockets have no remote address to keep
 * there). Zero when there is none, or when it has no file yet (a connection the server
 * has not accepted). The builder links the two sockets with it, as CamFlow does. */
static __always_inline void fill_unix_peer(struct sock *sk, struct ps_obj *o)
{
    __u64 *ino = (__u64 *)o->daddr;
    __u32 *dev = (__u32 *)(o->daddr + 8);
    struct sock *peer = 0;
    __u16 mode = 0;
    *ino = 0;
    *dev = 0;
    /* A kernel built without unix sockets (or with them as a module) has no unix_sock
     * in its BTF: the branch is then dropped at load instead of failing it. */
    if (!TYPE_EXISTS(struct unix_sock))
        return;
    CORE_READ(peer, ((struct unix_sock *)sk)->peer);
    if (peer)
        read_socket_inode(peer, ino, dev, &mode);
}

/* True when `o` is a unix socket whose peer fill_unix_peer found. */
static __always_inline int has_unix_peer(struct ps_obj *o)
{
    return o->family == AF_UNIX && *(__u64 *)o->daddr != 0;
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
    } else if (o->family == AF_UNIX) {
        fill_unix_peer(sk, o);
    }
}

/* The sock of socket file `f` (0 when it has none): through its struct socket. */
static __always_inline struct sock *file_sock(struct file *f)
{
    struct socket *sock = 0;
    struct sock *sk = 0;
    if (!f)
        return 0;
    CORE_READ(sock, f->private_data);
    if (sock)
        CORE_READ(sk, sock->sk);
    return sk;
}

/* The name the unix socket of `f` is bound to, as a raw sockaddr_un, into `dst`
 * (PS_STR_MAX bytes). An accepted socket carries its listening socket's name: the kernel
 * copies it at connect, while the peer it was accepted from is usually unnamed. Returns
 * the length, 0 for none. */
static __always_inline __u16 unix_name(struct file *f, char *dst)
{
    struct unix_address *ua = 0;
    int len = 0;
    if (!TYPE_EXISTS(struct unix_sock))
        return 0;
    struct sock *sk = file_sock(f);
    if (!sk)
        return 0;
    CORE_READ(ua, ((struct unix_sock *)sk)->addr);
    if (!ua)
        return 0;
    CORE_READ(len, ua->len);
    if (len <= 0)
        return 0;
    __u32 n = (__u32)len;
    if (n > PS_STR_MAX)
        n = PS_STR_MAX;
    if (bpf_probe_read_kernel(dst, n, __builtin_preserve_access_index(&ua->name)) != 0)
        return 0;
    return (__u16)n;
}

/* The open file `fd` names in `task` (the current task, as a BTF pointer from
 * bpf_get_current_task_btf), 0 when none. The walk to the fd array is plain loads
 * through BTF pointers, not probe-read helper calls: this runs on every captured syscall,
 * and each helper call costs more than the load it makes. Only the array slot, indexed
 * by a value the verifier cannot bound against a BTF type, is probe-read. `raw` is the
 * argument's whole register. */
static __always_inline struct file *fd_file(struct task_struct *task, long raw)
{
    struct file *f = 0;
    /* The kernel reads an fd argument as an int: only the register's low half counts. */
    int fd = (int)raw;
    if (fd < 0 || fd > 0xfffff)
        return 0;
    struct files_struct *files = task->files;
    if (!files)
        return 0;
    struct fdtable *fdt = files->fdt;
    if (!fdt)
        return 0;
    if ((unsigned long)fd >= fdt->max_fds)
        return 0;
    struct file **fds = fdt->fd;
    if (!fds)
        return 0;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

/* What the open file `f` is: inode number, device, mode, socket details. */
static __always_inline void describe_file(struct file *f, struct ps_obj *o)
{
    o->ino = 0;
    o->mode = 0;
    o->family = 0;
    if (!f)
        return;
    file_object(f, o);
    if (o->ino && (o->mode & S_IFMT) == S_IFSOCK)
        fill_socket(f, o);
}

/* What fd refers to in the current task. Returns its file (0 when fd names none). */
static __always_inline struct file *resolve_fd(struct task_struct *task, long fd,
                                               struct ps_obj *o)
{
    struct file *f = fd_file(task, fd);
    describe_file(f, o);
    return f;
}

#endif
