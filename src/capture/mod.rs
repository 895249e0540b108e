//! Where provenance comes from and goes to: CamFlow trace readers and writers (and, in
//! time, eBPF capture and live transports). Never draws: no ratatui, no crossterm.

pub mod builder;
pub mod camflow;
pub mod dot;
pub mod ebpf;
pub mod error;
pub mod recorder;
pub mod relay;
pub mod transport;

pub use error::CaptureError;
