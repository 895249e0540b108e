/* Empty programs, one on each tracepoint the capture uses: `bench overhead` attaches
 * them in place of the real ones to measure what any program there costs before it does
 * anything (the kernel's dispatch, and on sys_exit the slow syscall exit every task then
 * takes). That floor tells which overhead targets no tracepoint capture could meet on
 * the machine at hand. Never attached by a capture. */
#ifndef PROVSCOPE_EMPTY_PROGRAMS_H
#define PROVSCOPE_EMPTY_PROGRAMS_H

#define PS_EMPTY_PROGRAM(tracepoint)                                                       \
    SEC("tp_btf/" #tracepoint)                                                             \
    int empty_##tracepoint(unsigned long long *ctx)                                        \
    {                                                                                      \
        return 0;                                                                          \
    }

PS_EMPTY_PROGRAM(sys_exit)
PS_EMPTY_PROGRAM(sched_process_fork)
PS_EMPTY_PROGRAM(sched_process_exec)
PS_EMPTY_PROGRAM(sched_process_exit)
PS_EMPTY_PROGRAM(net_dev_start_xmit)
PS_EMPTY_PROGRAM(tcp_probe)
PS_EMPTY_PROGRAM(skb_copy_datagram_iovec)
PS_EMPTY_PROGRAM(sk_data_ready)
PS_EMPTY_PROGRAM(inet_sock_set_state)
PS_EMPTY_PROGRAM(netif_receive_skb)

#endif
