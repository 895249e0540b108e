/* TCP handshake segments, received where CamFlow's socket_sock_rcv_skb sees them: the
 * SYN and the final ACK by the listener, the SYN-ACK by the connecting socket. None of
 * them reaches an established socket, so tcp_probe never sees them, and no data of
 * theirs is ever copied to user space. They are taken as they arrive (netif_receive_skb),
 * before the kernel looks their socket up, so this side keeps the few sockets a handshake
 * can be for in "pkt_handshake", by local and remote port:
 *
 *   listener     (port, 0), while a socket listens (inet_sock_set_state);
 *   connecting   (local, remote), from its SYN's send until the SYN-ACK arrives;
 *   accepting    (local, remote) of a listener, from a SYN's arrival until the final ACK.
 *
 * Addresses are not part of the key: two connections in their handshake from one source
 * port to one listening port at the same time, from two hosts, would mix. A listener that
 * was listening before the capture started is not known, and its handshakes go
 * unrecorded (the connection's data is recorded all the same). */
#ifndef PROVSCOPE_HANDSHAKE_H
#define PROVSCOPE_HANDSHAKE_H

#include "packets.h"

#define TCP_LISTEN 10
#define TCP_SYN 0x02
#define TCP_ACK 0x10

enum ps_handshake_stage {
    PS_HS_LISTENER = 1,
    PS_HS_CONNECTING = 2,
    PS_HS_ACCEPTING = 3,
};

/* Ports as on the wire; a listener's remote port is 0. */
struct ps_hs_key {
    __u16 local;
    __u16 remote;
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

/* A recorded socket sent a SYN (`p`, its headers read): its SYN-ACK is awaited. */
static __always_inline void handshake_sent(struct ps_packet *p)
{
    if (p->protocol != IPPROTO_TCP || (p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return;
    struct ps_hs_key k = {.local = p->sport, .remote = p->dport};
    struct ps_hs_sock v = {.mode = p->sock_mode, .stage = PS_HS_CONNECTING};
    v.key.ino = p->sock_ino;
    v.key.dev = p->sock_dev;
    bpf_map_update_elem(&pkt_handshake, &k, &v, BPF_ANY);
}

/* inet_sock_set_state(const struct sock *sk, int oldstate, int newstate): listeners,
 * known from listen() until they close. */
SEC("tp_btf/inet_sock_set_state")
int handle_sock_state(unsigned long long *ctx)
{
    struct sock *sk = (struct sock *)ctx[0];
    int oldstate = (int)ctx[1], newstate = (int)ctx[2];
    if ((newstate != TCP_LISTEN && oldstate != TCP_LISTEN) || sk->sk_protocol != IPPROTO_TCP)
        return 0;
    struct ps_hs_key k = {.local = swap16(sk->__sk_common.skc_num), .remote = 0};
    if (!k.local)
        return 0;
    if (newstate != TCP_LISTEN) {
        bpf_map_delete_elem(&pkt_handshake, &k);
        return 0;
    }
    struct ps_hs_sock v = {.stage = PS_HS_LISTENER};
    if (socket_inode(sk, &v.key, &v.mode))
        bpf_map_update_elem(&pkt_handshake, &k, &v, BPF_ANY);
    return 0;
}

/* The ports (as a key: local is the destination's) and flags of a TCP segment whose IP
 * header is at `ip_at`; 0 when it is not TCP, or a fragment past the first, or past an
 * IPv6 extension header (no handshake is looked for there). Two small reads: this runs
 * for every packet the machine receives. */
static __always_inline int tcp_ports(struct sk_buff *skb, unsigned char *ip_at,
                                     struct ps_hs_key *k, __u8 *flags)
{
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

/* netif_receive_skb(struct sk_buff *skb): every packet the machine receives, loopback
 * included, its IP header at skb->data. A handshake segment of a known socket is
 * recorded as received by it. */
SEC("tp_btf/netif_receive_skb")
int handle_netif_receive(unsigned long long *ctx)
{
    struct sk_buff *skb = (struct sk_buff *)ctx[0];
    unsigned char *ip_at = skb->data;
    struct ps_hs_key k = {};
    __u8 flags = 0;
    if (!tcp_ports(skb, ip_at, &k, &flags) || !(flags & (TCP_SYN | TCP_ACK)))
        return 0;
    __u8 want = PS_HS_ACCEPTING;
    struct ps_hs_key at = k;
    if (flags & TCP_SYN) {
        want = (flags & TCP_ACK) ? PS_HS_CONNECTING : PS_HS_LISTENER;
        if (want == PS_HS_LISTENER)
            at.remote = 0;
    }
    struct ps_hs_sock *found = bpf_map_lookup_elem(&pkt_handshake, &at);
    if (!found || found->stage != want)
        return 0;
    struct ps_hs_sock s = *found;
    if (want == PS_HS_LISTENER) {
        struct ps_hs_sock pending = s;
        pending.stage = PS_HS_ACCEPTING;
        bpf_map_update_elem(&pkt_handshake, &k, &pending, BPF_ANY);
    } else {
        bpf_map_delete_elem(&pkt_handshake, &k);
    }
    struct ps_config *cfg = get_config();
    struct ps_packet p = {};
    if (!cfg || !packet_start_key(cfg, &s.key, s.mode, &p, PS_PKT_RECEIVE))
        return 0;
    int r = read_headers_at(skb, ip_at, &p);
    if (r != 1) {
        count(r == 0 ? PS_C_PKT_NOT_IP : PS_C_DROP_FAULT);
        return 0;
    }
    packet_write(cfg, skb, &p);
    return 0;
}

#endif
