//! The capture pipeline every capturing command shares: the probe's records decoded, built
//! into CamFlow elements and written in camflowd's W3C layout (one document about every
//! second, as camflowd flushes), handed to a live view as records, or both; plus the
//! output-file opacity that keeps a capture from recording its own writes.

use crate::capture::builder::host::Host;
use crate::capture::builder::{Builder, BuilderStats};
use crate::capture::camflow::w3c_write::{DocumentBuilder, WriteCounts};
use crate::capture::ebpf::event::decode;
use crate::capture::ebpf::probe::{InodeKey, OPAQUE, Probe, ProbeError, kernel_dev};
use crate::graph::batch::RecordBatch;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// How often a W3C document is closed and written.
const DOCUMENT_EVERY: Duration = Duration::from_secs(1);

/// Marks `file` opaque to the probe, so writing the capture into it is never captured (no
/// feedback loop through the output).
pub fn make_opaque(probe: &mut Probe, file: &File) -> Result<(), ProbeError> {
    let md = file
        .metadata()
        .map_err(|e| ProbeError::Load(format!("cannot stat the output: {e}")))?;
    probe.set_inode(InodeKey::new(kernel_dev(md.dev()), md.ino()), OPAQUE)
}

/// What a recording did, once it is finished.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordingReport {
    /// What the builder did.
    pub builder: BuilderStats,
    /// Vertices and relations written.
    pub written: WriteCounts,
    /// Records that could not be decoded.
    pub decode_errors: u64,
    /// Times the builder was asked about an object it had forgotten (0 unless a bug).
    pub stale_refs: u64,
}

/// What one pump did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pumped {
    /// Kernel records drained.
    pub records: usize,
    /// Elements built from them.
    pub elements: u64,
    /// Their size as W3C text.
    pub bytes: u64,
}

/// Records from a probe into a W3C sink, record batches, or both.
pub struct Recorder<'w, W: Write> {
    builder: Builder,
    /// None: no W3C is written (a live view that saves nothing).
    doc: Option<DocumentBuilder<'w, W>>,
    decode_errors: u64,
    last_document: Instant,
    document_every: Duration,
}

impl<'w, W: Write> Recorder<'w, W> {
    /// A recorder for this machine (`host`) writing into `out`.
    pub fn new(host: Host, out: &'w mut W) -> Self {
        Self::with_output(host, Some(out))
    }

    /// A recorder writing W3C into `out` when there is one.
    pub fn with_output(host: Host, out: Option<&'w mut W>) -> Self {
        Recorder {
            builder: Builder::new(host),
            doc: out.map(DocumentBuilder::new),
            decode_errors: 0,
            last_document: Instant::now(),
            document_every: DOCUMENT_EVERY,
        }
    }

    /// How often a document is closed and written (camflowd's second by default; zero
    /// writes every step's elements at once, as a live view wants).
    pub fn set_document_every(&mut self, every: Duration) {
        self.document_every = every;
    }

    /// Drains what the kernel side has (waiting up to `timeout` for the first record),
    /// builds it and writes it; returns how many records were drained.
    pub fn pump(&mut self, probe: &mut Probe, timeout: Duration) -> io::Result<usize> {
        Ok(self.pump_into(probe, timeout, None)?.records)
    }

    /// As [`Recorder::pump`], also appending every element to `batch` as a record: the
    /// live view's way in, with no W3C written and parsed again on the way.
    pub fn pump_into(
        &mut self,
        probe: &mut Probe,
        timeout: Duration,
        batch: Option<&mut RecordBatch>,
    ) -> io::Result<Pumped> {
        let mut pumped = Pumped::default();
        let builder = &mut self.builder;
        let decode_errors = &mut self.decode_errors;
        let drained = probe.drain(timeout, |bytes| match decode(bytes) {
            Ok(event) => builder.handle(&event),
            Err(_) => *decode_errors += 1,
        });
        pumped.records = drained;
        self.write_output(batch, &mut pumped)?;
        if self.last_document.elapsed() >= self.document_every {
            if let Some(doc) = self.doc.as_mut() {
                doc.flush_document()?;
            }
            self.last_document = Instant::now();
        }
        Ok(pumped)
    }

    /// The builder's type filters and their counts.
    pub fn filter_mut(&mut self) -> &mut crate::capture::builder::type_filter::TypeFilter {
        &mut self.builder.filter
    }

    /// The builder, for a policy to set its filters and versioning switches.
    pub fn builder_mut(&mut self) -> &mut Builder {
        &mut self.builder
    }

    /// The builder's counts so far.
    pub fn builder_stats(&self) -> BuilderStats {
        self.builder.stats
    }

    /// Moves the builder's elements to the W3C output and, as records, to `batch`.
    fn write_output(
        &mut self,
        mut batch: Option<&mut RecordBatch>,
        pumped: &mut Pumped,
    ) -> io::Result<()> {
        for el in self.builder.take_output() {
            pumped.elements += 1;
            pumped.bytes += el.text_len() as u64;
            if let Some(doc) = self.doc.as_mut() {
                doc.push_with(el.section, el.is_node(), |buf| el.write_text(buf))?;
            }
            if let Some(batch) = batch.as_deref_mut()
                && let Some(record) = el.into_record()
            {
                batch.records.push_back(record);
            }
        }
        Ok(())
    }

    /// Records so far that could not be decoded.
    pub fn decode_errors(&self) -> u64 {
        self.decode_errors
    }

    /// Writes what the builder still holds (packets waiting for their syscall) and the
    /// last document, and reports.
    pub fn finish(mut self) -> io::Result<RecordingReport> {
        self.builder.release_all_packets();
        self.write_output(None, &mut Pumped::default())?;
        if let Some(doc) = self.doc.as_mut() {
            doc.flush_document()?;
        }
        Ok(RecordingReport {
            builder: self.builder.stats,
            written: self
                .doc
                .as_ref()
                .map(DocumentBuilder::counts)
                .unwrap_or_default(),
            decode_errors: self.decode_errors,
            stale_refs: self.builder.stale_refs(),
        })
    }
}
