//! A directory of CamFlow's per-CPU relay channels (reference §5.1): `provenance<cpu>`
//! files of 256-byte `union prov_elt` records and `long_provenance<cpu>` files of
//! 4280-byte `union long_prov_elt` records (CamFlow v0.9.0 headers). Each channel is read
//! as it grows (a kernel relay file is consumed by reading; a test's regular file is
//! appended to), whole records are decoded, a partial record waits for its rest, and new
//! channel files (a CPU coming online) are picked up. A channel's first records are held
//! until they show the channel really holds records of this size; a channel that does not
//! (a byte count that never makes whole records, or first records with no CamFlow type)
//! gets one clear message naming the expected size and header version, and is not read.
//! Damaged records and unknown types are counted and reported in the `LoadReport`.

use crate::capture::builder::host::camflow_date_now;
use crate::capture::camflow::LoadReport;
use crate::capture::relay::decode::decode;
use crate::capture::relay::layout::{HEADER_VERSION, IDENTIFIER, LONG_PROV_ELT, PROV_ELT, Record};
use crate::capture::relay::types::{TypeTable, shape, unknown_name};
use crate::capture::transport::follow::POLL;
use crate::graph::model::RecordSink;
use hashbrown::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many first records of a channel are checked before any is believed.
const PROBATION: usize = 4;
/// At most this many of them may be damaged.
const PROBATION_DAMAGE: usize = 1;

/// Timing of a relay reader.
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// A channel quiet this long is taken as it is: its held records are checked, and
    /// bytes that do not make a whole record mean another record size.
    pub stale_after: Duration,
    /// How often the directory is looked at again for new channel files.
    pub rescan_every: Duration,
    /// At most this many bytes are read from one channel per poll.
    pub max_read: usize,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            stale_after: Duration::from_secs(2),
            rescan_every: Duration::from_secs(1),
            max_read: 4 << 20,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// The first records wait here until the channel proves its record size.
    Probation,
    Reading,
    Stopped,
}

struct Channel {
    name: String,
    cpu: u32,
    long: bool,
    file: File,
    /// Bytes read but not yet taken as records (a partial record, or held records).
    pending: Vec<u8>,
    read: u64,
    taken: u64,
    last_growth: Instant,
    state: State,
}

impl Channel {
    fn size(&self) -> usize {
        if self.long { LONG_PROV_ELT } else { PROV_ELT }
    }

    fn union(&self) -> &'static str {
        if self.long {
            "union long_prov_elt"
        } else {
            "union prov_elt"
        }
    }
}

/// The kind (`true` for long) and CPU of a channel file name.
fn channel_name(name: &str) -> Option<(bool, u32)> {
    let (long, cpu) = match name.strip_prefix("long_provenance") {
        Some(cpu) => (true, cpu),
        None => (false, name.strip_prefix("provenance")?),
    };
    if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((long, cpu.parse().ok()?))
}

/// What the reader found besides elements.
struct Intake {
    types: TypeTable,
    report: LoadReport,
    notes: Vec<String>,
    unknown: HashSet<u64>,
}

impl Intake {
    /// Decodes one record into `sink`, counting what is wrong with it.
    fn record(&mut self, bytes: &[u8], place: &str, sink: &mut dyn RecordSink, date: &str) {
        self.report.lines += 1;
        self.report.bytes += bytes.len() as u64;
        let n = self.report.lines;
        let d = decode(bytes, &mut self.types, date);
        self.report.repaired_lines += u64::from(d.repaired);
        let Some(element) = d.element else {
            let why = d.problem.unwrap_or_default();
            self.report
                .problems
                .line(n, format!("{place}: {why}; record skipped"));
            return;
        };
        if let Some(t) = d.unknown_type {
            if self.unknown.insert(t) {
                let reason = format!(
                    "{place}: type {t:#018x} has no name ({}); kept as {}, later ones counted",
                    self.types.origin(),
                    unknown_name(t)
                );
                self.report.problems.element(n, reason);
            } else {
                self.report.problems.skipped_elements += 1;
            }
        }
        if let Some(lost) = d.problem {
            self.report.problems.element(n, format!("{place}: {lost}"));
        }
        element.deliver(sink);
        self.report.elements += 1;
    }

    /// Stops a channel that is not of this record size, with a message for the user.
    fn refuse(&mut self, ch: &mut Channel, dir: &Path, why: String) {
        let size = ch.size();
        let message = format!(
            "{}/{}: {why}; CamFlow {HEADER_VERSION} headers make {size}-byte {} records \
             ({PROV_ELT} in provenance<cpu>, {LONG_PROV_ELT} in long_provenance<cpu>); this \
             channel was probably written by another CamFlow version, so it is not read",
            dir.display(),
            ch.name,
            ch.union()
        );
        self.report
            .problems
            .line(self.report.lines.max(1), message.clone());
        self.notes.push(message);
        ch.state = State::Stopped;
        ch.pending = Vec::new();
    }
}

/// Reads a directory of relay channels.
pub struct RelayReader {
    dir: PathBuf,
    channels: Vec<Channel>,
    unopened: HashSet<String>,
    intake: Intake,
    opts: RelayOptions,
    last_scan: Instant,
    buf: Vec<u8>,
}

impl RelayReader {
    /// Opens every channel in `dir`; an error when there is none to read.
    pub fn open(dir: &Path, types: TypeTable, opts: RelayOptions) -> Result<RelayReader, String> {
        let mut reader = RelayReader {
            dir: dir.to_path_buf(),
            channels: Vec::new(),
            unopened: HashSet::new(),
            intake: Intake {
                types,
                report: LoadReport::default(),
                notes: Vec::new(),
                unknown: HashSet::new(),
            },
            opts,
            last_scan: Instant::now(),
            buf: vec![0; LONG_PROV_ELT * 16],
        };
        let failures = reader
            .scan()
            .map_err(|e| format!("cannot read the relay directory '{}': {e}", dir.display()))?;
        if reader.channels.is_empty() {
            if !failures.is_empty() {
                return Err(format!(
                    "cannot open the relay channels in '{}': {} (reading relay needs root)",
                    dir.display(),
                    failures.join(", ")
                ));
            }
            return Err(format!(
                "no CamFlow relay channels in '{}': expected provenance<cpu> files of \
                 {PROV_ELT}-byte union prov_elt records and long_provenance<cpu> files of \
                 {LONG_PROV_ELT}-byte union long_prov_elt records (CamFlow {HEADER_VERSION} \
                 headers), which a CamFlow kernel makes at the debugfs root; is debugfs \
                 mounted and is this a CamFlow kernel?",
                dir.display()
            ));
        }
        Ok(reader)
    }

    /// Opens channel files not open yet; returns the ones that failed to open, once each.
    fn scan(&mut self) -> io::Result<Vec<String>> {
        let mut failures = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some((long, cpu)) = channel_name(name) else {
                continue;
            };
            if self.channels.iter().any(|c| c.name == name) || self.unopened.contains(name) {
                continue;
            }
            let opened = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(entry.path());
            match opened {
                Ok(file) => self.channels.push(Channel {
                    name: name.to_string(),
                    cpu,
                    long,
                    file,
                    pending: Vec::new(),
                    read: 0,
                    taken: 0,
                    last_growth: Instant::now(),
                    state: State::Probation,
                }),
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    self.unopened.insert(name.to_string());
                }
            }
        }
        // Long channels first: paths and machines before the relations naming them.
        self.channels.sort_by_key(|c| (!c.long, c.cpu));
        Ok(failures)
    }

    /// The channel files being read.
    pub fn channel_names(&self) -> Vec<&str> {
        self.channels.iter().map(|c| c.name.as_str()).collect()
    }

    /// Everything read so far: records, bytes, skips and their reasons.
    pub fn report(&self) -> &LoadReport {
        &self.intake.report
    }

    /// Where type names come from.
    pub fn type_origin(&self) -> String {
        self.intake.types.origin()
    }

    /// Messages for the user since the last call.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.intake.notes)
    }

    /// Reads what the channels hold now into `sink`; returns how many records were taken
    /// (decoded or skipped).
    pub fn poll(&mut self, sink: &mut dyn RecordSink) -> io::Result<u64> {
        if self.last_scan.elapsed() >= self.opts.rescan_every {
            self.last_scan = Instant::now();
            if let Ok(failures) = self.scan() {
                let dir = self.dir.display();
                let notes = failures
                    .into_iter()
                    .map(|f| format!("cannot open {dir}/{f}"));
                self.intake.notes.extend(notes);
            }
        }
        let date = camflow_date_now();
        let mut taken = 0;
        for ch in &mut self.channels {
            if ch.state == State::Stopped {
                continue;
            }
            fill(ch, &mut self.buf, self.opts.max_read)?;
            taken += take(ch, &mut self.intake, &self.opts, &self.dir, sink, &date);
        }
        Ok(taken)
    }

    /// Reads until something was taken or there is news; while the channels are quiet,
    /// `idle` runs between looks, and the read ends (false) when it answers false.
    pub fn step(
        &mut self,
        sink: &mut dyn RecordSink,
        idle: &mut dyn FnMut() -> bool,
    ) -> io::Result<bool> {
        loop {
            if self.poll(sink)? > 0 || !self.intake.notes.is_empty() {
                return Ok(true);
            }
            if !idle() {
                return Ok(false);
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Reads what a channel has now.
fn fill(ch: &mut Channel, buf: &mut [u8], max_read: usize) -> io::Result<()> {
    let mut got = 0;
    while got < max_read {
        match ch.file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                ch.pending.extend_from_slice(&buf[..n]);
                ch.read += n as u64;
                ch.last_growth = Instant::now();
                got += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", ch.name))),
        }
    }
    Ok(())
}

/// Takes a channel's whole records; returns how many.
fn take(
    ch: &mut Channel,
    intake: &mut Intake,
    opts: &RelayOptions,
    dir: &Path,
    sink: &mut dyn RecordSink,
    date: &str,
) -> u64 {
    let size = ch.size();
    let quiet = ch.last_growth.elapsed() >= opts.stale_after;
    if ch.state == State::Probation {
        let held = ch.pending.len() / size;
        if held < PROBATION && !quiet {
            return 0;
        }
        let checked = held.min(PROBATION);
        let damaged = ch.pending[..checked * size]
            .chunks_exact(size)
            .filter(|r| shape(Record(r).u64(IDENTIFIER)).is_err())
            .count();
        if damaged > PROBATION_DAMAGE {
            let why = format!("{damaged} of its first {checked} records have no CamFlow type");
            intake.refuse(ch, dir, why);
            return 0;
        }
        if held > 0 {
            ch.state = State::Reading;
        }
    }
    let whole = ch.pending.len() / size * size;
    let mut taken = 0;
    for (i, record) in ch.pending[..whole].chunks_exact(size).enumerate() {
        let place = format!("{} @ {}", ch.name, (ch.taken + i as u64) * size as u64);
        intake.record(record, &place, sink, date);
        taken += 1;
    }
    ch.pending.drain(..whole);
    ch.taken += taken;
    if quiet && !ch.pending.is_empty() {
        let why = format!(
            "{} bytes read is not a whole number of {size}-byte records ({} bytes left over)",
            ch.read,
            ch.pending.len()
        );
        intake.refuse(ch, dir, why);
    }
    taken
}
