//! Errors of the capture layer, typed, with the offending path or value quoted.

use std::io;

/// What can go wrong reading or writing provenance.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A trace could not be opened.
    #[error("cannot open '{path}': {source}")]
    Open {
        /// The path given.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// Reading a trace failed part way.
    #[error("cannot read '{path}': {source}")]
    Read {
        /// The path given.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The input holds no provenance at all.
    #[error("'{path}' holds no CamFlow provenance ({detail})")]
    NoTrace {
        /// The path given.
        path: String,
        /// What was found instead.
        detail: String,
    },
    /// Writing output failed.
    #[error("cannot write '{path}': {source}")]
    Write {
        /// The output path.
        path: String,
        /// Why.
        source: io::Error,
    },
}
