/* IP packets, recorded as CamFlow records IPv4 ones (a `packet` entity named by its IP id,
 * addresses, ports, protocol and TCP sequence number, sent by one socket and received by
 * another; IPv6 ones too, which CamFlow does not record, see ipv6_headers), from the tracepoints this kernel offers in place of CamFlow's socket hooks:
 *
 *   sent      net_dev_start_xmit: every packet handed to a device, loopback included,
 *             still owned by its socket (skb->sk);
 *   received  TCP: tcp_probe, every segment an established socket receives (pure ACKs
 *             and segments later merged into an earlier one included), where CamFlow's
 *             socket_sock_rcv_skb sees it; and skb_copy_datagram_iovec, in the reading
 *             task, when the data of a segment tcp_probe did not record is copied to user
 *             space (a connection the server had not accepted yet had no file to name it
 *             by; a segment received in another state: a half-closed connection's);
 *             UDP: sk_data_ready, when datagrams are queued on the socket (UDP copies a
 *             linear datagram without the copy tracepoint): the new ones are read off the
 *             tail of its receive queue.
 *             TCP handshake segments, which reach no established socket: handshake.h.
 *
 * A packet is recorded only for a socket a recorded syscall used ("socks", filled at
 * sys_exit), charged to that socket's process whatever task it is seen in, and filtered as
 * that process (owner_passes). Every packet that is not recorded is counted by cause,
 * except those without a socket at all (forwarded, kernel-made): the programs return at
 * once for them. */
#ifndef PROVSCOPE_PACKETS_H
#define PROVSCOPE_PACKETS_H

#include "kernel_types.h"
#include "event.h"
#include "maps.h"
#include "compression.h"
#include "filters.h"
#include "resolve.h"
#include "packet_headers.h"

#define TCP_TIME_WAIT 6
#define TCP_NEW_SYN_RECV 12
/* UDP datagrams read off the receive queue at one wake-up, at most. */
#define PS_UDP_BATCH 8

/* What a socket last had recorded as received: its sk_buff, and its mark (packet_mark),
 * since a freed sk_buff's memory soon holds the socket's next packet. */
struct ps_last_packet {
    __u64 skb;
    __u32 mark;
    __u32 pad;
};

/* Per socket (struct sock address), the last packet recorded as received: a TCP packet
 * copied out by several short reads is recorded once, and a UDP wake-up reads the queue
 * back only to the last datagram recorded. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct ps_last_packet);
} pkt_last SEC(".maps");

/* TCP segments recorded where they arrived (tcp_probe), by sk_buff and IP mark: the copy
 * tracepoint leaves them alone when their data is read (as often as it is: a short read
 * copies one segment several times). */
struct ps_skb_key {
    __u64 skb;
    __u32 mark;
    __u32 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct ps_skb_key);
    __type(value, __u8);
} pkt_probed SEC(".maps");

/* Room for one packet record with its content (too large for the stack). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ps_packet_content);
} pkt_content SEC(".maps");

/* Inet sockets a recorded syscall used become known, as the caller's: their packets are
 * recorded from now on. Called only for records that are being sent. */
static __always_inline void remember_socket(struct ps_obj *o, struct ps_event *e)
{
    if (!o->ino || (o->family != AF_INET && o->family != AF_INET6))
        return;
    struct ps_inode_key key = {.ino = o->ino, .dev = o->dev};
    struct ps_sock_owner *cur = bpf_map_lookup_elem(&socks, &key);
    if (cur && cur->tgid == e->tgid && cur->uid == e->uid && cur->gid == e->gid &&
        cur->cgroup == e->cgroup)
        return;
    struct ps_sock_owner v = {
        .tgid = e->tgid, .uid = e->uid, .gid = e->gid, .pad = 0, .cgroup = e->cgroup};
    bpf_map_update_elem(&socks, &key, &v, BPF_ANY);
}

/* The inode of the listener of a TCP request minisock (a connection in its handshake):
 * the SYN-ACK it sends is the listener's. With helpers: the verifier does not follow the
 * union skc_listener sits in, so the pointer is a plain number. */
static __always_inline int listener_inode(struct sock *req, struct ps_inode_key *key,
                                          __u16 *mode)
{
    struct sock *listener = 0;
    CORE_READ(listener, req->__sk_common.skc_listener);
    if (listener)
        read_socket_inode(listener, &key->ino, &key->dev, mode);
    return key->ino != 0;
}

/* The inode that names `sk` (as an fd of it resolves), or 0 when it has none: a kernel
 * socket, a connection not accepted yet, or a time-wait minisock, which is not a full
 * struct sock and whose sk_socket must not be read (a request minisock is its
 * listener's). Direct loads through
 * the tracepoint's BTF-typed pointers (faults read as 0): a helper call per field would
 * cost more than the rest of a filtered packet. */
static __always_inline int socket_inode(struct sock *sk, struct ps_inode_key *key, __u16 *mode)
{
    unsigned char state = sk->__sk_common.skc_state;
    if (state == TCP_TIME_WAIT)
        return 0;
    if (state == TCP_NEW_SYN_RECV)
        return listener_inode(sk, key, mode);
    struct socket *sock = sk->sk_socket;
    if (!sock)
        return 0;
    struct file *f = sock->file;
    if (!f)
        return 0;
    struct inode *inode = f->f_inode;
    if (!inode)
        return 0;
    key->ino = inode->i_ino;
    *mode = inode->i_mode;
    struct super_block *sb = inode->i_sb;
    if (sb)
        key->dev = sb->s_dev;
    return key->ino != 0;
}

/* Starts the record of a packet of the socket with inode `key`: which socket, which way,
 * the task it is seen in. Returns 0 (counted) when the socket is not one to record
 * packets of: never used by a recorded syscall, or its process filtered. */
static __always_inline int packet_start_key(struct ps_config *cfg, struct ps_inode_key *key,
                                            __u16 mode, struct ps_packet *p, __u16 way)
{
    struct ps_sock_owner *owner = bpf_map_lookup_elem(&socks, key);
    if (!owner) {
        count(PS_C_PKT_UNSEEN);
        return 0;
    }
    if (!owner_passes(cfg, owner, key))
        return 0;
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    p->kind = PS_PACKET;
    p->flags = way;
    if ((__u32)(pid_tgid >> 32) == owner->tgid)
        p->flags |= PS_PKT_OWNER_TASK;
    p->sock_mode = mode;
    p->tgid = (__u32)(pid_tgid >> 32);
    p->tid = (__u32)pid_tgid;
    p->sock_ino = key->ino;
    p->sock_dev = key->dev;
    socket_changed(owner->tgid, key);
    if (cfg->flags & PS_CFG_IPV4) {
        struct ps_inode_mark *m = bpf_map_lookup_elem(&inodes, key);
        if (m && (m->flags & PS_RECORD))
            p->flags |= PS_PKT_CONTENT;
    }
    return 1;
}

/* The same for a packet of `sk`, also 0 (counted) when it has no file. */
static __always_inline int packet_start(struct ps_config *cfg, struct sock *sk,
                                        struct ps_packet *p, __u16 way)
{
    struct ps_inode_key key = {};
    __u16 mode = 0;
    if (!socket_inode(sk, &key, &mode)) {
        count(PS_C_PKT_NO_FILE);
        return 0;
    }
    return packet_start_key(cfg, &key, mode, p, way);
}

/* Writes `p` with the packet's bytes from its IP header (at `ip_at`) on (PS_PKT_CONTENT):
 * what is in the linear part of `skb`, up to its IP total length and PS_CONTENT_MAX. */
static __always_inline int packet_content_write(struct ps_config *cfg, struct sk_buff *skb,
                                                unsigned char *ip_at, struct ps_packet *p,
                                                __u16 tot_len)
{
    __u32 zero = 0;
    struct ps_packet_content *c = bpf_map_lookup_elem(&pkt_content, &zero);
    if (!c)
        return 0;
    __builtin_memcpy(&c->p, p, sizeof(*p));
    unsigned char *end = skb->head + skb->tail;
    __u64 n = end > ip_at ? (__u64)(end - ip_at) : 0;
    if (n > tot_len)
        n = tot_len;
    if (n > PS_CONTENT_MAX)
        n = PS_CONTENT_MAX;
    c->length = tot_len;
    c->copied = 0;
    c->pad = 0;
    if (n > 0 && bpf_probe_read_kernel(c->data, n, ip_at) == 0)
        c->copied = (__u16)n;
    __u64 size = __builtin_offsetof(struct ps_packet_content, data) + (c->copied & 0x1fff);
    if (size > sizeof(*c))
        size = sizeof(*c);
    return ring_output(cfg, c, size);
}

static __always_inline int is_last(struct ps_last_packet *last, struct sk_buff *skb, __u32 mark)
{
    return last && last->skb == (__u64)skb && last->mark == mark;
}

static __always_inline void set_last(__u64 sk, struct sk_buff *skb, __u32 mark)
{
    struct ps_last_packet v = {.skb = (__u64)skb, .mark = mark, .pad = 0};
    bpf_map_update_elem(&pkt_last, &sk, &v, BPF_ANY);
}

/* Counts a packet whose headers could not be taken (read_headers said `r`); true when
 * they were. */
static __always_inline int headers_read(int r)
{
    if (r != 1)
        count(r == 0 ? PS_C_PKT_NOT_IP : PS_C_DROP_FAULT);
    return r == 1;
}

/* Reads the headers of `skb` into `p`, counting a packet whose headers it cannot take. */
static __always_inline int headers_or_count(struct sk_buff *skb, struct ps_packet *p)
{
    return headers_read(read_headers(skb, p));
}

/* Writes the record `p`, its headers read (headers_or_count) from `ip_at`. Returns 1
 * when written. */
static __always_inline int packet_write_at(struct ps_config *cfg, struct sk_buff *skb,
                                           unsigned char *ip_at, struct ps_packet *p)
{
    p->ts = bpf_ktime_get_ns();
    for (int i = 0; i < 5; i++)
        p->pad[i] = 0;
    int sent;
    if (p->flags & PS_PKT_CONTENT)
        sent = packet_content_write(cfg, skb, ip_at, p, swap16(p->tot_len));
    else
        sent = ring_output(cfg, p, sizeof(*p));
    if (!sent)
        return 0;
    count(PS_C_PACKETS);
    return 1;
}

/* The same, for an sk_buff whose network header offset is set. */
static __always_inline int packet_write(struct ps_config *cfg, struct sk_buff *skb,
                                        struct ps_packet *p)
{
    return packet_write_at(cfg, skb, skb->head + skb->network_header, p);
}

/* A SYN was sent: handshake.h then awaits its SYN-ACK. */
static __always_inline void handshake_sent(struct sock *sk, struct ps_packet *p);

/* net_dev_start_xmit(struct sk_buff *skb, struct net_device *dev) */
SEC("tp_btf/net_dev_start_xmit")
int handle_xmit(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    struct sock *sk = skb->sk;
    if (!sk)
        return 0;
    struct ps_config *cfg = get_config();
    struct ps_packet p = {};
    if (!cfg || !packet_start(cfg, sk, &p, PS_PKT_SEND) || !headers_or_count(skb, &p))
        return 0;
    if (packet_write(cfg, skb, &p))
        handshake_sent(sk, &p);
    return 0;
}

/* tcp_probe(struct sock *sk, const struct sk_buff *skb), at the top of
 * tcp_rcv_established: a segment an established socket receives, before it is queued,
 * merged or dropped. A socket with no file yet is left to handle_copy, uncounted here
 * (the copy records or counts it). */
SEC("tp_btf/tcp_probe")
int handle_tcp_probe(unsigned long long *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    struct sk_buff *skb = (struct sk_buff *)ctx[1];
    struct ps_inode_key key = {};
    __u16 mode = 0;
    if (!sk || !skb || sk->sk_protocol != IPPROTO_TCP || !socket_inode(sk, &key, &mode))
        return 0;
    struct ps_config *cfg = get_config();
    struct ps_packet p = {};
    if (!cfg || !packet_start(cfg, sk, &p, PS_PKT_RECEIVE) || !headers_or_count(skb, &p))
        return 0;
    struct ps_skb_key k = {.skb = (__u64)skb, .mark = packet_mark(&p), .pad = 0};
    if (packet_write(cfg, skb, &p)) {
        __u8 one = 1;
        bpf_map_update_elem(&pkt_probed, &k, &one, BPF_ANY);
    }
    return 0;
}

/* skb_copy_datagram_iovec(const struct sk_buff *skb, int len): TCP only (UDP is taken
 * where it is queued, see handle_data_ready), for segments tcp_probe did not record. */
SEC("tp_btf/skb_copy_datagram_iovec")
int handle_copy(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    struct sock *sk = skb->sk;
    if (!sk || sk->sk_protocol != IPPROTO_TCP)
        return 0;
    struct ps_packet p = {};
    int headers = read_headers(skb, &p);
    __u32 mark = headers == 1 ? packet_mark(&p) : 0;
    struct ps_skb_key probed = {.skb = (__u64)skb, .mark = mark, .pad = 0};
    if (bpf_map_lookup_elem(&pkt_probed, &probed)) {
        count(PS_C_PKT_REPEAT);
        return 0;
    }
    __u64 skp = (__u64)sk;
    if (is_last(bpf_map_lookup_elem(&pkt_last, &skp), skb, mark)) {
        count(PS_C_PKT_REPEAT);
        return 0;
    }
    struct ps_config *cfg = get_config();
    if (!cfg || !packet_start(cfg, sk, &p, PS_PKT_RECEIVE))
        return 0;
    if (!headers_read(headers))
        return 0;
    if (packet_write(cfg, skb, &p))
        set_last(skp, skb, mark);
    return 0;
}

/* sk_data_ready(const struct sock *sk): for UDP, the datagrams queued since the last
 * recorded one are at the tail of the receive queue (a wake-up may follow a batch of
 * them, and UDP wakes once per datagram after the batch is queued). They are read back
 * from the tail to that one, at most PS_UDP_BATCH, and recorded oldest first; a wake-up
 * with more than that is counted as a loss. */
SEC("tp_btf/sk_data_ready")
int handle_data_ready(unsigned long long *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    if (sk->sk_protocol != IPPROTO_UDP)
        return 0;
    struct ps_config *cfg = get_config();
    struct ps_packet p = {};
    if (!cfg || !packet_start(cfg, sk, &p, PS_PKT_RECEIVE))
        return 0;
    __u64 skp = (__u64)sk;
    struct ps_last_packet *last = bpf_map_lookup_elem(&pkt_last, &skp);
    /* The queue head is linked into the ring: reaching it means the queue is read back. */
    __u64 queue = (__u64)__builtin_preserve_access_index(&sk->sk_receive_queue);
    struct sk_buff *found[PS_UDP_BATCH] = {};
    __u32 newest = 0;
    struct sk_buff *skb = sk->sk_receive_queue.prev;
    int n = 0, more = 0;
    for (int i = 0; i <= PS_UDP_BATCH; i++) {
        if (!skb || (__u64)skb == queue)
            break;
        __u32 mark = skb_mark(skb);
        if (is_last(last, skb, mark))
            break;
        if (i == PS_UDP_BATCH) {
            more = 1;
            break;
        }
        if (i == 0)
            newest = mark;
        found[n++] = skb;
        skb = skb->prev;
    }
    if (more)
        count(PS_C_PKT_MISSED);
    if (n == 0) {
        /* The newest datagram looks like the last one recorded: the same sk_buff memory
         * and mark, so the same identifier too (an IPv6 datagram repeating the last one
         * byte for byte): its vertex is recorded, this receive of it is counted. */
        count(PS_C_PKT_REPEAT);
        return 0;
    }
    set_last(skp, found[0], newest);
    for (int i = PS_UDP_BATCH - 1; i >= 0; i--) {
        if (i < n && found[i] && headers_or_count(found[i], &p))
            packet_write(cfg, found[i], &p);
    }
    return 0;
}

#endif
