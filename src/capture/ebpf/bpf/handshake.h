/* TCP handshake segments, received where CamFlow's socket_sock_rcv_skb sees them: the
 * SYN and the final ACK by the listener, the SYN-ACK by the connecting socket. None of
 * them reaches an established socket, so tcp_probe never sees them, and no data of
 * theirs is ever copied to user space. They are taken as they arrive (netif_receive_skb),
 * before the kernel looks their socket up (the hook that would give the socket,
 * security_sock_rcv_skb, needs fentry or BPF LSM, refused here), so this side keeps the
 * sockets a handshake can be for:
 *
 *   "pkt_listeners"  by port, family and network namespace, while a socket listens (from inet_sock_set_state,
 *                    and from listen()'s exit for a listener the kernel gave a port
 *                    only then); one that started listening on a port another still
 *                    holds (SO_REUSEPORT, a listen() about to fail) keeps the earlier one
 *                    to fall back to when it closes;
 *   "pkt_handshake"  by local and remote port and namespace: a connecting socket from its SYN's send
 *                    until the SYN-ACK (or a reset) arrives, a listener's connection from
 *                    the SYN's arrival until the final ACK (or a reset).
 *
 * A segment is looked up in the namespace of the device it arrives on, a socket in its
 * own: a packet a veth or bridge passes into a container's namespace is received there
 * once, not also by a host listener on the same port; a frame for another machine's
 * address, let in by a promiscuous device, is left alone. An IPv4 segment for a port with
 * no IPv4 listener goes to an IPv6 one (dual-stack). Limits, all of them in the
 * port-keyed lookup: listeners on one port bound to two addresses are one; so are a
 * local listener and a connection the machine forwards to another one on its port; of
 * several SO_REUSEPORT listeners the newest receives every SYN; a listener that was listening before the capture started is
 * not known, and its handshakes go unrecorded (the connection's data is recorded all the
 * same). */
#ifndef PROVSCOPE_HANDSHAKE_H
#define PROVSCOPE_HANDSHAKE_H

#include "packets.h"

#define TCP_LISTEN 10
#define TCP_CLOSE 7
#define TCP_RST 0x04
#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_ECN_BITS 0xc0 /* ECE, CWR */
#define PACKET_HOST 0

struct ps_listener_key {
    __u16 port; /* as on the wire */
    __u16 family;
    __u32 netns; /* the listener's network namespace (inode number) */
};

struct ps_listener {
    struct ps_inode_key key;
    struct ps_inode_key prev; /* the one listening on the port before, ino 0: none */
    __u16 mode;
    __u16 prev_mode;
    __u32 pad;
};

/* A plain hash: a flood of handshakes must not evict a listener. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct ps_listener_key);
    __type(value, struct ps_listener);
} pkt_listeners SEC(".maps");

enum ps_handshake_stage {
    PS_HS_CONNECTING = 1,
    PS_HS_ACCEPTING = 2,
};

/* Ports as on the wire, and the IP version. */
struct ps_hs_key {
    __u16 local;
    __u16 remote;
    __u32 version;
    __u32 netns; /* the local socket's network namespace (inode number) */
};

struct ps_hs_sock {
    struct ps_inode_key key;
    __u16 mode;
    __u8 stage; /* enum ps_handshake_stage */
    __u8 pad[5];
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, struct ps_hs_key);
    __type(value, struct ps_hs_sock);
} pkt_handshake SEC(".maps");

static __always_inline int same_inode(struct ps_inode_key *a, struct ps_inode_key *b)
{
    return a->ino == b->ino && a->dev == b->dev;
}

/* The network namespace of socket `sk` (a pointer the verifier knows as one). */
static __always_inline __u32 sock_netns(struct sock *sk)
{
    struct net *net = sk->__sk_common.skc_net.net;
    return net ? net->ns.inum : 0;
}

/* The socket with inode `key` listens on `port` (wire order) in namespace `netns`. */
static __always_inline void listener_add(__u16 port, __u16 family, __u32 netns,
                                         struct ps_inode_key *key, __u16 mode)
{
    struct ps_listener_key k = {.port = port, .family = family, .netns = netns};
    if (!port || !key->ino)
        return;
    struct ps_listener v = {.key = *key, .mode = mode};
    struct ps_listener *cur = bpf_map_lookup_elem(&pkt_listeners, &k);
    if (cur) {
        if (same_inode(&cur->key, key))
            return;
        v.prev = cur->key;
        v.prev_mode = cur->mode;
    }
    bpf_map_update_elem(&pkt_listeners, &k, &v, BPF_ANY);
}

/* The socket with inode `key` no longer listens on `port`: the one before it, if still
 * there, takes its place. */
static __always_inline void listener_remove(__u16 port, __u16 family, __u32 netns,
                                            struct ps_inode_key *key)
{
    struct ps_listener_key k = {.port = port, .family = family, .netns = netns};
    struct ps_listener *cur = bpf_map_lookup_elem(&pkt_listeners, &k);
    if (!cur)
        return;
    struct ps_listener v = *cur;
    if (same_inode(&v.prev, key)) {
        v.prev.ino = 0;
    } else if (!same_inode(&v.key, key)) {
        return;
    } else if (v.prev.ino) {
        v.key = v.prev;
        v.mode = v.prev_mode;
        v.prev.ino = 0;
    } else {
        bpf_map_delete_elem(&pkt_listeners, &k);
        return;
    }
    bpf_map_update_elem(&pkt_listeners, &k, &v, BPF_ANY);
}

/* listen() returned on the inet socket `o`, open file `f` (its port is known by now,
 * even when the kernel chose it in listen itself). */
static __always_inline void listen_returned(struct ps_obj *o, struct file *f)
{
    if (o->proto != IPPROTO_TCP || (o->family != AF_INET && o->family != AF_INET6) || !f)
        return;
    struct sock *sk = file_sock(f);
    struct net *net = 0;
    __u32 netns = 0;
    if (sk)
        CORE_READ(net, sk->__sk_common.skc_net.net);
    if (net)
        CORE_READ(netns, net->ns.inum);
    struct ps_inode_key key = {.ino = o->ino, .dev = o->dev};
    listener_add(swap16(o->sport), o->family, netns, &key, o->mode);
}

/* A recorded socket `sk` sent a SYN (`p`, its headers read): its SYN-ACK is awaited. */
static __always_inline void handshake_sent(struct sock *sk, struct ps_packet *p)
{
    if (p->protocol != IPPROTO_TCP || (p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return;
    struct ps_hs_key k = {
        .local = p->sport, .remote = p->dport, .version = p->version, .netns = sock_netns(sk)};
    struct ps_hs_sock v = {.mode = p->sock_mode, .stage = PS_HS_CONNECTING};
    v.key.ino = p->sock_ino;
    v.key.dev = p->sock_dev;
    bpf_map_update_elem(&pkt_handshake, &k, &v, BPF_ANY);
}

/* inet_sock_set_state(const struct sock *sk, int oldstate, int newstate): a socket
 * starts or stops listening. The connection a listener accepts is made as a copy of it,
 * so it too leaves LISTEN (for SYN_RECV), but it has no file: only a listener's own
 * close (to CLOSE) is taken, and only for the socket the entry names. */
SEC("tp_btf/inet_sock_set_state")
int handle_sock_state(unsigned long long *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    int oldstate = (int)ctx[1], newstate = (int)ctx[2];
    int starts = newstate == TCP_LISTEN, stops = oldstate == TCP_LISTEN && newstate == TCP_CLOSE;
    if ((!starts && !stops) || sk->sk_protocol != IPPROTO_TCP)
        return 0;
    __u16 port = swap16(sk->__sk_common.skc_num);
    __u16 family = sk->__sk_common.skc_family;
    struct ps_inode_key key = {};
    __u16 mode = 0;
    if (!port || !socket_inode(sk, &key, &mode))
        return 0;
    __u32 netns = sock_netns(sk);
    if (starts)
        listener_add(port, family, netns, &key, mode);
    else
        listener_remove(port, family, netns, &key);
    return 0;
}

/* The ports (as a key: local is the destination's) and flags of a TCP segment whose IP
 * header is at `ip_at`; 0 when it is not TCP, or a fragment past the first, or past an
 * IPv6 extension header (no handshake is looked for there). Two small reads: this runs
 * for every packet the machine receives. */
static __always_inline int tcp_ports(struct sk_buff *skb, unsigned char *ip_at,
                                     struct ps_hs_key *k, __u8 *flags)
{
    k->version = skb->protocol == ETH_P_IP_BE ? 4 : 6;
    unsigned char *l4 = 0;
    if (skb->protocol == ETH_P_IP_BE) {
        struct ps_iphdr ip = {};
        if (bpf_probe_read_kernel(&ip, sizeof(ip), ip_at) != 0 || ip.protocol != IPPROTO_TCP ||
            (swap16(ip.frag_off) & IP_FRAG_OFFSET) || (ip.version_ihl & 0xf) < 5)
            return 0;
        l4 = ip_at + (ip.version_ihl & 0xf) * 4;
    } else if (skb->protocol == ETH_P_IPV6_BE) {
        struct ps_ipv6hdr ip = {};
        if (bpf_probe_read_kernel(&ip, sizeof(ip), ip_at) != 0 || ip.nexthdr != IPPROTO_TCP)
            return 0;
        l4 = ip_at + 40;
    } else {
        return 0;
    }
    __u16 th[7] = {};
    if (bpf_probe_read_kernel(th, sizeof(th), l4) != 0)
        return 0;
    k->local = th[1];
    k->remote = th[0];
    *flags = (__u8)(th[6] >> 8);
    return 1;
}

/* The listener an arriving SYN for `k` is for: IPv4 falls back to an IPv6 listener. */
static __always_inline struct ps_listener *listener_of(struct ps_hs_key *k)
{
    struct ps_listener_key lk = {
        .port = k->local, .family = k->version == 4 ? AF_INET : AF_INET6, .netns = k->netns};
    struct ps_listener *l = bpf_map_lookup_elem(&pkt_listeners, &lk);
    if (!l && k->version == 4) {
        lk.family = AF_INET6;
        l = bpf_map_lookup_elem(&pkt_listeners, &lk);
    }
    return l;
}

/* netif_receive_skb(struct sk_buff *skb): every packet the machine receives, loopback
 * included, its IP header at skb->data. A handshake segment of a known socket is
 * recorded as received by it. Only a SYN, a bare ACK (the final one) or a reset is
 * looked up: data segments cost two small reads. */
SEC("tp_btf/netif_receive_skb")
int handle_netif_receive(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    /* A frame for another machine's address, seen because the device is promiscuous
     * (tcpdump makes it so), is no socket's here. */
    if (CORE_READ_BITFIELD(skb, pkt_type) != PACKET_HOST)
        return 0;
    unsigned char *ip_at = skb->data;
    struct ps_hs_key k = {};
    __u8 flags = 0;
    if (!tcp_ports(skb, ip_at, &k, &flags))
        return 0;
    /* Keyed by the namespace of the device it came in on: the listener's own, for a
     * socket in that namespace; a packet a bridge or veth passes on to another
     * namespace is looked up there, by the device it arrives on next. */
    struct net_device *dev = skb->dev;
    struct net *net = dev ? dev->nd_net.net : 0;
    k.netns = net ? net->ns.inum : 0;
    if (flags & TCP_RST) {
        bpf_map_delete_elem(&pkt_handshake, &k);
        return 0;
    }
    /* ECN's bits (a SYN-ACK agreeing to it carries ECE) tell nothing of the stage. */
    flags &= ~TCP_ECN_BITS;
    struct ps_hs_sock s = {};
    if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        struct ps_listener *l = listener_of(&k);
        if (!l)
            return 0;
        s.key = l->key;
        s.mode = l->mode;
        s.stage = PS_HS_ACCEPTING;
        bpf_map_update_elem(&pkt_handshake, &k, &s, BPF_ANY);
    } else if (flags == (TCP_SYN | TCP_ACK) || flags == TCP_ACK) {
        struct ps_hs_sock *found = bpf_map_lookup_elem(&pkt_handshake, &k);
        __u8 want = flags == TCP_ACK ? PS_HS_ACCEPTING : PS_HS_CONNECTING;
        if (!found || found->stage != want)
            return 0;
        s = *found;
        bpf_map_delete_elem(&pkt_handshake, &k);
    } else {
        return 0;
    }
    struct ps_config *cfg = get_config();
    struct ps_packet p = {};
    if (!cfg || !packet_start_key(cfg, &s.key, s.mode, &p, PS_PKT_RECEIVE))
        return 0;
    if (headers_read(read_headers_at(skb, ip_at, &p)))
        packet_write_at(cfg, skb, ip_at, &p);
    return 0;
}

#endif
