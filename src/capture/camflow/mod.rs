//! CamFlow's formats: readers for W3C PROV-JSON and SPADE JSON of every release (format
//! detected per value, plain/gzip/zstd, stdin) and writers that reproduce camflowd's
//! layout. See `reference/camflow-formats.md` §2–4.

pub mod input;
pub mod json;
pub mod lines;
pub mod load;
pub mod reader;
pub mod report;
pub mod scan;
pub mod spade_read;
pub mod spade_write;
pub mod types;
pub mod w3c_read;
pub mod w3c_write;

pub use load::load_traces;
pub use reader::{ReaderOptions, TraceReader, read_trace};
pub use report::{LoadReport, Problem};
