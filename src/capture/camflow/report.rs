//! What a load found besides elements: lines skipped and why, elements that could not be
//! used, lines repaired, and which formats were seen. Nothing bad is dropped silently:
//! every skip is counted, and the first ones are kept with their line numbers.

use serde::Serialize;

/// How many problems are kept with their line numbers; the rest are only counted.
pub const KEPT_PROBLEMS: usize = 100;

/// One problem at a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number where the problem starts.
    pub line: u64,
    /// What was wrong, for a person.
    pub reason: String,
}

/// Counted problems, the first [`KEPT_PROBLEMS`] kept in full.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    /// Lines (records) skipped as a whole.
    pub skipped_lines: u64,
    /// Elements skipped inside otherwise good lines.
    pub skipped_elements: u64,
    /// The first problems, in order.
    pub kept: Vec<Problem>,
}

impl Problems {
    fn keep(&mut self, line: u64, reason: String) {
        if self.kept.len() < KEPT_PROBLEMS {
            self.kept.push(Problem { line, reason });
        }
    }

    /// Notes a skipped line.
    pub fn line(&mut self, line: u64, reason: String) {
        self.skipped_lines += 1;
        self.keep(line, reason);
    }

    /// Notes `count` skipped lines starting at `line` (a cut multi-line value).
    pub fn lines(&mut self, line: u64, count: u64, reason: String) {
        self.skipped_lines += count;
        self.keep(line, reason);
    }

    /// Notes an element that could not be used.
    pub fn element(&mut self, line: u64, reason: String) {
        self.skipped_elements += 1;
        self.keep(line, reason);
    }

    /// Total problems counted.
    pub fn total(&self) -> u64 {
        self.skipped_lines + self.skipped_elements
    }
}

/// The outcome of reading one trace.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Lines (records) read.
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// W3C documents read.
    pub w3c_documents: u64,
    /// SPADE elements read.
    pub spade_elements: u64,
    /// Elements handed to the sink.
    pub elements: u64,
    /// Lines read after repairing raw control characters or invalid UTF-8.
    pub repaired_lines: u64,
    /// Skips and bad elements.
    pub problems: Problems,
}

impl LoadReport {
    /// The format seen: `w3c`, `spade`, `mixed`, or `None` when nothing was read.
    pub fn format(&self) -> Option<&'static str> {
        format_of(self.w3c_documents > 0, self.spade_elements > 0)
    }

    /// Adds another trace's report to this one (several traces in one graph).
    pub fn absorb(&mut self, other: &LoadReport) {
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.w3c_documents += other.w3c_documents;
        self.spade_elements += other.spade_elements;
        self.elements += other.elements;
        self.repaired_lines += other.repaired_lines;
        self.problems.skipped_lines += other.problems.skipped_lines;
        self.problems.skipped_elements += other.problems.skipped_elements;
        let room = KEPT_PROBLEMS.saturating_sub(self.problems.kept.len());
        self.problems
            .kept
            .extend(other.problems.kept.iter().take(room).cloned());
    }
}

/// Names the format from which kinds were seen.
pub fn format_of(w3c: bool, spade: bool) -> Option<&'static str> {
    match (w3c, spade) {
        (true, true) => Some("mixed"),
        (true, false) => Some("w3c"),
        (false, true) => Some("spade"),
        (false, false) => None,
    }
}
