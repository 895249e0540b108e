//! The trace reader: streams records out of any CamFlow output and hands its elements to
//! a sink, detecting the format of each value on its own (W3C document, SPADE element,
//! legacy SPADE array). One value at a time is held in memory: a JSON Lines file costs one
//! line; a document spread over many lines (v0.1's single document) is gathered until its
//! brackets close. Bad input is skipped, counted and reported, never fatal.

use crate::capture::camflow::json::{TopObject, TopValue, parse_top};
use crate::capture::camflow::lines::{Piece, RecordSplitter};
use crate::capture::camflow::report::{LoadReport, Problems};
use crate::capture::camflow::scan::{DepthScanner, escape_controls_in_strings};
use crate::capture::camflow::{spade_read, w3c_read};
use crate::graph::model::RecordSink;
use std::borrow::Cow;
use std::io::{self, BufRead};

/// Limits for reading.
#[derive(Clone, Debug)]
pub struct ReaderOptions {
    /// Longest line, or multi-line value, accepted; longer ones are skipped and counted.
    pub max_record: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            max_record: 256 << 20,
        }
    }
}

/// A JSON value gathered across lines.
struct Pending {
    buf: Vec<u8>,
    start: u64,
    lines: u64,
    scan: DepthScanner,
}

enum Outcome {
    Done,
    Incomplete,
}

/// Reads a whole trace from `input` into `sink`.
pub fn read_trace<R: BufRead>(
    input: R,
    opts: &ReaderOptions,
    sink: &mut dyn RecordSink,
) -> io::Result<LoadReport> {
    let mut reader = TraceReader::new(input, opts.clone());
    while reader.step(sink)? {}
    Ok(reader.finish())
}

/// Incremental reader: `step` handles one record, so callers can report progress or
/// stop between records.
pub struct TraceReader<R> {
    splitter: RecordSplitter<R>,
    opts: ReaderOptions,
    line: Vec<u8>,
    pending: Option<Pending>,
    report: LoadReport,
}

impl<R: BufRead> TraceReader<R> {
    /// A reader over `input`.
    pub fn new(input: R, opts: ReaderOptions) -> Self {
        TraceReader {
            splitter: RecordSplitter::new(input, opts.max_record),
            opts,
            line: Vec::with_capacity(1 << 16),
            pending: None,
            report: LoadReport::default(),
        }
    }

    /// The report so far.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// Handles the next record; returns false at the end of the input.
    pub fn step(&mut self, sink: &mut dyn RecordSink) -> io::Result<bool> {
        let mut line = std::mem::take(&mut self.line);
        let piece = self.splitter.next_into(&mut line)?;
        let more = match piece {
            None => false,
            Some(Piece::TooLong { line: n, len }) => {
                self.report.lines += 1;
                self.report.bytes += len + 1;
                self.abandon_pending(n);
                let limit = self.opts.max_record;
                self.report.problems.line(
                    n,
                    format!("line of {len} bytes is longer than the {limit}-byte limit"),
                );
                true
            }
            Some(Piece::Record { line: n }) => {
                self.report.lines += 1;
                self.report.bytes += line.len() as u64 + 1;
                self.record(&line, n, sink);
                true
            }
        };
        self.line = line;
        Ok(more)
    }

    /// Ends the read: a value still open is reported as cut short.
    pub fn finish(mut self) -> LoadReport {
        if let Some(p) = self.pending.take() {
            self.report.problems.lines(
                p.start,
                p.lines,
                format!(
                    "JSON value starting at line {} is cut short by the end of the input",
                    p.start
                ),
            );
        }
        self.report
    }

    fn abandon_pending(&mut self, at: u64) {
        if let Some(p) = self.pending.take() {
            self.report.problems.lines(
                p.start,
                p.lines,
                format!(
                    "JSON value starting at line {} is cut short before line {at}",
                    p.start
                ),
            );
        }
    }

    fn record(&mut self, raw: &[u8], n: u64, sink: &mut dyn RecordSink) {
        let text = trim(raw);
        if let Some(p) = self.pending.as_mut() {
            let restarts = starts_element(text) && !p.scan.directly_in_array();
            if !restarts {
                p.buf.push(b'\n');
                p.buf.extend_from_slice(raw);
                p.lines += 1;
                if p.buf.len() > self.opts.max_record {
                    let limit = self.opts.max_record;
                    let p = self.pending.take();
                    if let Some(p) = p {
                        self.report.problems.lines(
                            p.start,
                            p.lines,
                            format!(
                                "JSON value starting at line {} exceeds the {limit}-byte limit",
                                p.start
                            ),
                        );
                    }
                } else if p.scan.feed(raw)
                    && let Some(p) = self.pending.take()
                {
                    let body = trim(&p.buf).to_vec();
                    if let Outcome::Incomplete = self.value(&body, p.start, sink) {
                        self.report.problems.lines(
                            p.start,
                            p.lines,
                            format!("JSON value starting at line {} does not parse", p.start),
                        );
                    }
                }
                return;
            }
            self.abandon_pending(n);
        }
        if text.is_empty() {
            return;
        }
        if text[0] != b'{' && text[0] != b'[' {
            self.report
                .problems
                .line(n, format!("not JSON: {}", preview(text)));
            return;
        }
        if let Outcome::Incomplete = self.value(text, n, sink) {
            let mut scan = DepthScanner::default();
            scan.feed(text);
            self.pending = Some(Pending {
                buf: text.to_vec(),
                start: n,
                lines: 1,
                scan,
            });
        }
    }

    /// Parses one JSON value and dispatches it. `Incomplete` means the value ended early
    /// and may continue on the next lines.
    fn value(&mut self, bytes: &[u8], n: u64, sink: &mut dyn RecordSink) -> Outcome {
        let text: Cow<'_, str> = match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.report.repaired_lines += 1;
                String::from_utf8_lossy(bytes)
            }
        };
        let err = match parse_top(&text) {
            Ok(v) => {
                self.dispatch(v, n, sink);
                return Outcome::Done;
            }
            Err(e) if e.is_eof() => return Outcome::Incomplete,
            Err(e) => e,
        };
        if let Some(fixed) = escape_controls_in_strings(&text)
            && let Ok(v) = parse_top(&fixed)
        {
            self.report.repaired_lines += 1;
            self.dispatch(v, n, sink);
            return Outcome::Done;
        }
        self.report
            .problems
            .line(n, format!("invalid JSON ({err})"));
        Outcome::Done
    }

    fn dispatch(&mut self, v: TopValue<'_>, n: u64, sink: &mut dyn RecordSink) {
        match v {
            TopValue::Object(obj) => {
                if !self.object(obj, n, sink) {
                    self.report.problems.line(
                        n,
                        "JSON object is neither a W3C PROV document nor a SPADE element".into(),
                    );
                }
            }
            TopValue::Array(items) => {
                let mut any = false;
                for obj in items {
                    any |= self.object(obj, n, sink);
                }
                if !any {
                    self.report.problems.line(
                        n,
                        "JSON array holds no W3C PROV document or SPADE element".into(),
                    );
                }
            }
            TopValue::Other => self
                .report
                .problems
                .line(n, "JSON value is not an object or array".into()),
        }
    }

    /// Dispatches one object; false when it is not provenance at all.
    fn object(&mut self, obj: TopObject<'_>, n: u64, sink: &mut dyn RecordSink) -> bool {
        let problems: &mut Problems = &mut self.report.problems;
        if obj.has_prefix || !obj.sections.is_empty() {
            self.report.w3c_documents += 1;
            self.report.elements += w3c_read::emit_document(obj.sections, n, sink, problems);
            return true;
        }
        if obj.kind.as_deref().is_some_and(spade_read::is_spade_type) {
            self.report.spade_elements += 1;
            if spade_read::emit_element(obj, n, sink, problems) {
                self.report.elements += 1;
            }
            return true;
        }
        false
    }
}

/// A record without surrounding whitespace, NUL padding and byte-order marks.
fn trim(mut b: &[u8]) -> &[u8] {
    loop {
        let before = b.len();
        b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
        while let [first, rest @ ..] = b {
            if matches!(first, b' ' | b'\t' | b'\r' | b'\n' | 0) {
                b = rest;
            } else {
                break;
            }
        }
        if b.len() == before {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if matches!(last, b' ' | b'\t' | b'\r' | b'\n' | 0) {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// True for a line that starts a fresh top-level element of either format.
fn starts_element(t: &[u8]) -> bool {
    t.starts_with(b"{\"prefix\"") || t.starts_with(b"{\"type\"")
}

/// The start of a line, made safe to print: control characters escaped, length capped.
fn preview(t: &[u8]) -> String {
    let s = String::from_utf8_lossy(&t[..t.len().min(60)]);
    let shown: String = s.chars().flat_map(char::escape_debug).collect();
    if t.len() > 60 {
        format!("'{shown}…'")
    } else {
        format!("'{shown}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ProvGraph;

    fn load(text: &str) -> (ProvGraph, LoadReport) {
        let mut g = ProvGraph::new();
        let r = read_trace(text.as_bytes(), &ReaderOptions::default(), &mut g).expect("read");
        (g, r)
    }

    const DOC: &str = r#"{"prefix":{"prov" : "x"}, "activity":{"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=":{"cf:id":"138691","prov:type":"task","cf:version":2}}, "used":{"cf:AQAAAAAAIIAMCgAAAAAAAAEAAABTTLt0AAAAAAAAAAA=":{"cf:id":"2572","prov:type":"read","prov:entity":"cf:AAIAAAAAACBw8gEAAAAAAAEAAABTTLt0AAAAAAAAAAA=","prov:activity":"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA="}}}"#;

    #[test]
    fn daemon_lines_between_documents_are_skipped_and_counted() {
        let (g, r) = load(&format!("Starting audit service...\n{DOC}\n\n"));
        assert_eq!(g.counts().nodes, 1);
        assert_eq!(g.counts().edges, 1);
        assert_eq!(g.counts().dangling_edges, 1);
        assert_eq!(r.problems.skipped_lines, 1);
        assert_eq!(r.problems.kept[0].line, 1);
        assert!(r.problems.kept[0].reason.contains("Starting audit"));
        assert_eq!(r.format(), Some("w3c"));
    }

    #[test]
    fn a_document_over_many_lines_with_bom_is_read() {
        let pretty = format!("\u{feff}{}", DOC.replace(", ", ",\n  "));
        let (g, r) = load(&pretty);
        assert_eq!(g.counts().nodes, 1);
        assert_eq!(r.problems.total(), 0, "{:?}", r.problems.kept);
    }

    #[test]
    fn a_cut_line_does_not_swallow_the_next_one() {
        let cut = &DOC[..DOC.len() / 2];
        let (g, r) = load(&format!("{cut}\n{DOC}\n"));
        assert_eq!(g.counts().nodes, 1);
        assert_eq!(r.problems.skipped_lines, 1);
        assert!(
            r.problems.kept[0].reason.contains("cut short"),
            "{:?}",
            r.problems.kept
        );
    }

    #[test]
    fn nul_framed_batches_are_split() {
        let (g, _) = load(&format!("{DOC}\0{DOC}\0"));
        assert_eq!(g.counts().nodes, 1);
        assert_eq!(g.merged_nodes(), 1);
    }

    #[test]
    fn raw_control_characters_in_strings_are_repaired() {
        let doc = DOC.replace("\"task\"", "\"ta\x1bsk\"");
        let (g, r) = load(&doc);
        assert_eq!(r.repaired_lines, 1);
        assert_eq!(g.counts().nodes, 1);
    }

    #[test]
    fn json_that_is_not_provenance_is_reported() {
        let (g, r) = load("{\"foo\":1}\n[1,2]\n42\n");
        assert_eq!(g.counts().nodes, 0);
        assert_eq!(r.problems.skipped_lines, 3);
        assert_eq!(r.format(), None);
    }

    #[test]
    fn legacy_spade_arrays_over_many_lines() {
        let text = "[\n{\"type\":\"Entity\",\"id\":\"A\",\"annotations\":{\"object_type\":\"file\"}},\n{\"type\":\"Activity\",\"id\":\"B\",\"annotations\":{\"object_type\":\"task\"}}\n]\n";
        let (g, r) = load(text);
        assert_eq!(g.counts().nodes, 2, "{:?}", r.problems.kept);
        assert_eq!(r.format(), Some("spade"));
    }
}
