//! The empty programs (bpf/empty_programs.h): one on each of the capture's tracepoints,
//! doing nothing. `bench overhead` attaches them in place of the capture's programs to
//! measure the floor any tracepoint capture pays on this kernel before its programs do
//! any work.

use super::{PROGRAMS, Probe, ProbeError};

/// Each empty program and its tracepoint, in [`PROGRAMS`] order.
const EMPTY_PROGRAMS: [(&str, &str); PROGRAMS.len()] = [
    ("empty_sys_exit", "sys_exit"),
    ("empty_sched_process_fork", "sched_process_fork"),
    ("empty_sched_process_exec", "sched_process_exec"),
    ("empty_sched_process_exit", "sched_process_exit"),
    ("empty_net_dev_start_xmit", "net_dev_start_xmit"),
    ("empty_tcp_probe", "tcp_probe"),
    ("empty_skb_copy_datagram_iovec", "skb_copy_datagram_iovec"),
    ("empty_sk_data_ready", "sk_data_ready"),
    ("empty_inet_sock_set_state", "inet_sock_set_state"),
    ("empty_netif_receive_skb", "netif_receive_skb"),
];

impl Probe {
    /// Attaches the empty programs in place of the capture's (detached first): nothing is
    /// recorded while they are, and [`Probe::attach`] puts the capture's back.
    pub fn attach_empty_programs(&mut self) -> Result<(), ProbeError> {
        self.attach_set(&EMPTY_PROGRAMS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capture_tracepoint_has_its_empty_program() {
        for ((_, capture), (empty, floor)) in PROGRAMS.iter().zip(EMPTY_PROGRAMS) {
            assert_eq!(capture, &floor);
            assert_eq!(empty, format!("empty_{floor}"));
        }
    }
}
