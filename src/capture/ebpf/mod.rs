//! Whole-system capture on a stock kernel: tracepoint programs (bpf/provscope.bpf.c,
//! compiled and committed as bpf/provscope.bpf.o) loaded with aya, their records decoded
//! here and handed to the builder, which makes CamFlow's graph of them.

pub mod event;
pub mod flow;
pub mod packet;
pub mod probe;
pub mod syscalls;
