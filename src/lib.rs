//! provscope: whole-system provenance in CamFlow's model, read from CamFlow traces or
//! captured with eBPF, explored in a terminal. See DESIGN.md for the architecture.

pub mod app;
pub mod capture;
pub mod graph;
pub mod large_alloc;
pub mod policy;
pub mod scratch_fs;
pub mod text;
pub mod views;
