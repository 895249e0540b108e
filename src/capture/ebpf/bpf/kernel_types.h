/* The few kernel structures the capture reads, with only the fields it uses. Thanks to
 * preserve_access_index, fields are matched by name against the running kernel's BTF at
 * load time (CO-RE), so member order and sizes here need not match any one kernel. */
#ifndef PROVSCOPE_KERNEL_TYPES_H
#define PROVSCOPE_KERNEL_TYPES_H

#include "bpf_defs.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
    unsigned long di, si, dx, r10, r8, r9, orig_ax, ax;
};

typedef struct { int counter; } atomic_t;

struct super_block {
    dev_t s_dev;
};

struct inode {
    umode_t i_mode;
    unsigned long i_ino;
    __u32 i_generation;
    struct super_block *i_sb;
};

struct in6_addr {
    __u8 u6_addr8[16];
};

/* A network namespace, known by its inode number (as /proc/PID/ns/net shows it). */
struct ns_common {
    unsigned int inum;
};

struct net {
    struct ns_common ns;
};

typedef struct {
    struct net *net;
} possible_net_t;

struct net_device {
    possible_net_t nd_net;
};

struct sock_common {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    __u16 skc_num;
    unsigned short skc_family;
    unsigned char skc_state;
    struct sock *skc_listener; /* a request minisock's listener */
    possible_net_t skc_net;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
};

struct socket;
struct sk_buff;

/* A queue of packets: its head is linked into the ring of its sk_buffs. */
struct sk_buff_head {
    struct sk_buff *next;
    struct sk_buff *prev;
};

struct sock {
    struct sock_common __sk_common;
    __u16 sk_protocol;
    __u16 sk_type;
    struct socket *sk_socket;
    struct sk_buff_head sk_receive_queue;
};

/* A packet: headers at head + network_header, head + transport_header. */
struct sk_buff {
    struct sk_buff *next;
    struct sk_buff *prev;
    struct sock *sk;
    struct net_device *dev; /* on arrival: the device it came in on */
    __u8 pkt_type : 3;      /* on arrival: PACKET_HOST when addressed to this machine */
    __be16 protocol;
    __u16 transport_header;
    __u16 network_header;
    unsigned int tail; /* sk_buff_data_t: an offset from head on 64-bit kernels */
    unsigned char *head;
    unsigned char *data; /* on arrival (netif_receive_skb): the network header */
    unsigned int end;    /* where struct skb_shared_info starts, from head */
};

/* A piece of a packet's data held in a page (its page by address, with netmem). */
struct skb_frag {
    unsigned long netmem;
    unsigned int len;
    unsigned int offset;
};

struct skb_shared_info {
    __u8 nr_frags;
    struct skb_frag frags[1];
};

struct file;

struct socket {
    short type;
    struct sock *sk;
    struct file *file;
};

struct sockaddr_un {
    unsigned short sun_family;
    char sun_path[108];
};

/* A unix socket's bound name (net/af_unix.h): `len` bytes of `name`. */
struct unix_address {
    int len;
    struct sockaddr_un name[];
};

/* Cast from its first member, the struct sock. */
struct unix_sock {
    struct unix_address *addr;
    struct sock *peer;
};

/* A name: its length (beside the hash) and bytes. */
struct qstr {
    union {
        struct {
            __u32 hash;
            __u32 len;
        };
        __u64 hash_len;
    };
    const unsigned char *name;
};

struct dentry {
    struct dentry *d_parent;
    struct qstr d_name;
};

struct vfsmount {
    struct dentry *mnt_root;
};

/* A mount: the vfsmount is embedded; mnt_mountpoint is where it is mounted on its
 * parent. */
struct mount {
    struct mount *mnt_parent;
    struct dentry *mnt_mountpoint;
    struct vfsmount mnt;
};

struct path {
    struct vfsmount *mnt;
    struct dentry *dentry;
};

struct file {
    struct inode *f_inode;
    void *private_data;
    struct path f_path;
};

struct fdtable {
    unsigned int max_fds;
    struct file **fd;
};

struct files_struct {
    struct fdtable *fdt;
};

struct mm_struct {
    unsigned long arg_start;
    unsigned long arg_end;
    unsigned long env_start;
    unsigned long env_end;
};

struct signal_struct {
    atomic_t live;
};

struct task_struct {
    int pid;
    int tgid;
    struct files_struct *files;
    struct mm_struct *mm;
    struct signal_struct *signal;
};

struct linux_binprm {
    struct file *file;
    const char *interp;
    const char *filename;
};

#pragma clang attribute pop

#endif
