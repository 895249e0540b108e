/* The headers of an IP packet in an sk_buff, read into a packet record (struct ps_packet):
 * IPv4 as CamFlow names a packet, and IPv6, which CamFlow does not record, in the same
 * fields. Only reads kernel memory: what to record and where is packets.h's. */
#ifndef PROVSCOPE_PACKET_HEADERS_H
#define PROVSCOPE_PACKET_HEADERS_H

#include "kernel_types.h"
#include "event.h"

#define ETH_P_IP_BE 0x0008   /* htons(ETH_P_IP) */
#define ETH_P_IPV6_BE 0xdd86 /* htons(ETH_P_IPV6) */
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPV6_HOPOPTS 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_DSTOPTS 60
/* IPv6 extension headers walked to the transport header, at most. */
#define PS_IPV6_EXT 4
/* Bytes of an IPv6 packet's payload hashed into its identifier. */
#define PS_HASHED 64
#define IP_FRAG_OFFSET 0x1fff

struct ps_iphdr {
    __u8 version_ihl;
    __u8 tos;
    __u16 tot_len;
    __u16 id;
    __u16 frag_off;
    __u8 ttl;
    __u8 protocol;
    __u16 check;
    __u32 saddr;
    __u32 daddr;
};

/* The IPv6 header up to its addresses, which are read straight into the record. */
struct ps_ipv6hdr {
    __u32 version_class_flow;
    __u16 payload_len;
    __u8 nexthdr;
    __u8 hop_limit;
};

struct ps_frag6hdr {
    __u8 nexthdr;
    __u8 reserved;
    __u16 frag_off; /* offset in 8-byte units << 3, then flags */
    __u32 id;
};

static __always_inline __u16 swap16(__u16 x)
{
    return (__u16)((x >> 8) | (x << 8));
}

/* Ports and TCP sequence number from the transport header at `l4` into `p`, as on the
 * wire, and its first 20 bytes into `l4h` (a TCP header without options; UDP's 8).
 * Returns 1 when the header was read. */
static __always_inline int transport_header(struct ps_packet *p, unsigned char *l4,
                                            __u16 l4h[10])
{
    if (p->protocol == IPPROTO_TCP) {
        if (bpf_probe_read_kernel(l4h, 20, l4) != 0)
            return 0;
        p->seq = (__u32)l4h[2] | (__u32)l4h[3] << 16;
        p->tcp_flags = (__u8)(l4h[6] >> 8);
    } else if (p->protocol == IPPROTO_UDP) {
        if (bpf_probe_read_kernel(l4h, 8, l4) != 0)
            return 0;
    } else {
        return 0;
    }
    p->sport = l4h[0];
    p->dport = l4h[1];
    return 1;
}

/* IPv4: the fields CamFlow names a packet by. Ports and sequence number stay 0 for a
 * fragment past the first and for other protocols, as CamFlow leaves them. */
static __always_inline int ipv4_headers(unsigned char *ip_at, struct ps_packet *p)
{
    struct ps_iphdr ip = {};
    if (bpf_probe_read_kernel(&ip, sizeof(ip), ip_at) != 0 || (ip.version_ihl >> 4) != 4 ||
        (ip.version_ihl & 0xf) < 5)
        return -1;
    p->version = 4;
    p->ip_id = ip.id;
    p->tot_len = ip.tot_len;
    __builtin_memcpy(p->saddr, &ip.saddr, 4);
    __builtin_memcpy(p->daddr, &ip.daddr, 4);
    p->protocol = ip.protocol;
    __u16 l4h[10] = {};
    if (!(swap16(ip.frag_off) & IP_FRAG_OFFSET))
        transport_header(p, ip_at + (ip.version_ihl & 0xf) * 4, l4h);
    return 1;
}

static __always_inline __u32 fnv1a(__u32 h, __u32 word)
{
    for (int i = 0; i < 4; i++)
        h = (h ^ ((word >> (8 * i)) & 0xff)) * 16777619u;
    return h;
}

/* FNV-1a from `h` over the first PS_HASHED bytes at `data`, as far as they are in the
 * linear part of the packet, which ends at `end`. */
static __always_inline __u32 payload_hash(__u32 h, unsigned char *data, unsigned char *end)
{
    __u8 buf[PS_HASHED] = {};
    __u64 n = end > data ? (__u64)(end - data) : 0;
    if (n > PS_HASHED)
        n = PS_HASHED;
    if (n == 0 || bpf_probe_read_kernel(buf, n, data) != 0)
        return h;
    for (int i = 0; i < PS_HASHED; i++) {
        if (i >= n)
            break;
        h = (h ^ buf[i]) * 16777619u;
    }
    return h;
}

/* IPv6, named the way CamFlow names an IPv4 packet (its identifier has room for IPv4
 * addresses only; user space folds these): the upper layer's protocol, ports and
 * sequence number past up to PS_IPV6_EXT extension headers. For the IP id, which IPv6
 * lacks: a fragment's id, else a hash of what tells one packet of a flow from the next:
 * the length, the first bytes past the transport header, for TCP its acknowledgement
 * number, flags and window (a pure ACK has no data and repeats the sequence number), and
 * where the sk_buff keeps its bytes (memory_hash). A packet delivered on this machine
 * (loopback, veth) is the same sk_buff at both ends, so that tells apart datagrams whose
 * bytes are in page fragments (not hashed) or repeat byte for byte; addresses only ever
 * enter the hash. (A TCP retransmission shares its buffer with the original: one vertex, as for
 * any repeat of the same bytes.) The transport checksum cannot serve: sent over loopback or to an
 * offloading device it holds only the pseudo-header's sum. A UDP datagram, which has no
 * sequence number, carries the whole hash in its place: 16 bits alone would give two
 * datagrams of a burst one vertex within a few hundred. */
static __always_inline int ipv6_headers(unsigned char *ip_at, unsigned char *end,
                                        struct ps_packet *p, __u32 memory)
{
    struct ps_ipv6hdr ip = {};
    if (bpf_probe_read_kernel(&ip, sizeof(ip), ip_at) != 0 ||
        (ip.version_class_flow & 0xf0) != 0x60 ||
        bpf_probe_read_kernel(p->saddr, 32, ip_at + sizeof(ip)) != 0)
        return -1;
    p->version = 6;
    __u32 payload_len = swap16(ip.payload_len);
    __u32 total = payload_len + 40;
    p->tot_len = swap16(total > 0xffff ? 0xffff : (__u16)total);
    /* Bytes past the payload (tailroom a later segment was merged into) are no part of
     * this packet. */
    if (ip_at + total < end)
        end = ip_at + total;
    unsigned char *at = ip_at + 40;
    __u8 next = ip.nexthdr;
    int fragment = 0, later_fragment = 0;
    for (int i = 0; i < PS_IPV6_EXT; i++) {
        if (next == IPV6_HOPOPTS || next == IPV6_ROUTING || next == IPV6_DSTOPTS) {
            __u8 ext[2] = {};
            if (bpf_probe_read_kernel(ext, 2, at) != 0)
                return -1;
            next = ext[0];
            at += ((__u32)ext[1] + 1) * 8;
        } else if (next == IPV6_FRAGMENT) {
            struct ps_frag6hdr f = {};
            if (bpf_probe_read_kernel(&f, sizeof(f), at) != 0)
                return -1;
            next = f.nexthdr;
            fragment = 1;
            later_fragment = (swap16(f.frag_off) & 0xfff8) != 0;
            p->ip_id = (__u16)(f.id >> 16); /* the low-order bytes, as on the wire */
            at += sizeof(f);
        } else {
            break;
        }
    }
    p->protocol = next;
    if (later_fragment)
        return 1;
    __u16 l4h[10] = {};
    int l4 = transport_header(p, at, l4h);
    if (fragment)
        return 1;
    __u32 h = fnv1a(2166136261u, payload_len << 8 | next);
    h = fnv1a(h, memory);
    unsigned char *data = at;
    if (l4 && next == IPPROTO_TCP) {
        h = fnv1a(h, (__u32)l4h[4] | (__u32)l4h[5] << 16); /* acknowledgement number */
        h = fnv1a(h, (__u32)l4h[6] | (__u32)l4h[7] << 16); /* offset, flags, window */
        data = at + ((l4h[6] >> 4) & 0xf) * 4;
    } else if (l4) {
        data = at + 8;
    }
    h = payload_hash(h, data, end);
    p->ip_id = (__u16)(h ^ (h >> 16));
    if (next == IPPROTO_UDP)
        p->seq = h;
    return 1;
}

/* A hash of where `skb` keeps its bytes: its buffer, and the page and offset of its
 * first page fragment. Read with helpers, which give the addresses as numbers: the
 * verifier lets no pointer be mixed. */
static __always_inline __u32 memory_hash(struct sk_buff *skb)
{
    __u64 head = 0;
    unsigned int end = 0;
    CORE_READ(head, skb->head);
    CORE_READ(end, skb->end);
    __u32 h = fnv1a(2166136261u, (__u32)head ^ (__u32)(head >> 32));
    struct skb_shared_info *shared = (struct skb_shared_info *)(head + end);
    __u8 frags = 0;
    CORE_READ(frags, shared->nr_frags);
    if (frags) {
        struct skb_frag f = {};
        CORE_READ(f, shared->frags[0]);
        h = fnv1a(h, (__u32)f.netmem ^ (__u32)(f.netmem >> 32));
        h = fnv1a(h, f.offset);
    }
    return h;
}

/* The headers of `skb`, whose IP header is at `ip_at`, into `p` (IP version, addresses,
 * protocol, ports, sequence number, TCP flags, id, length): 1 when read, 0 for a packet
 * that is not IP, -1 when its headers cannot be read. */
static __always_inline int read_headers_at(struct sk_buff *skb, unsigned char *ip_at,
                                           struct ps_packet *p)
{
    unsigned char *head = skb->head;
    if (!head || !ip_at)
        return -1;
    p->ip_id = 0;
    p->sport = 0;
    p->dport = 0;
    p->seq = 0;
    p->tcp_flags = 0;
    if (skb->protocol == ETH_P_IP_BE)
        return ipv4_headers(ip_at, p);
    if (skb->protocol == ETH_P_IPV6_BE)
        return ipv6_headers(ip_at, head + skb->tail, p, memory_hash(skb));
    return 0;
}

/* The same, for an sk_buff whose network header offset is set (sent, or queued on a
 * socket). */
static __always_inline int read_headers(struct sk_buff *skb, struct ps_packet *p)
{
    unsigned char *head = skb->head;
    return read_headers_at(skb, head ? head + skb->network_header : 0, p);
}

/* Tells one packet from the next one in the same memory: id and length, and TCP's
 * sequence number; an IPv6 datagram's hash (in place of its sequence number). */
static __always_inline __u32 packet_mark(struct ps_packet *p)
{
    if (p->version == 6 && p->protocol == IPPROTO_UDP)
        return p->seq;
    __u32 mark = (__u32)p->ip_id | (__u32)p->tot_len << 16;
    return p->protocol == IPPROTO_TCP ? mark ^ p->seq : mark;
}

/* The mark of `skb`, or 0 when its headers cannot be read. */
static __always_inline __u32 skb_mark(struct sk_buff *skb)
{
    struct ps_packet h = {};
    return read_headers(skb, &h) == 1 ? packet_mark(&h) : 0;
}

#endif
