//! The live feed: a thread that reads a live source (a followed file, a fifo, stdin,
//! camflowd's unix socket, a capture daemon, CamFlow's relay channels, or this machine's
//! capture), parses what arrives with the trace reader (the relay reader for relay
//! channels), and sends batches of owned records
//! to whoever explores them (DESIGN §2: source thread -> batches of elements over a
//! channel -> graph ingest). A batch leaves when it is big, when it is old, or when the
//! source goes quiet, so a slow trickle still shows at once.

use crate::capture::camflow::{LoadReport, ReaderOptions, TraceReader};
use crate::capture::relay::{self, RelayReader};
use crate::capture::transport::daemon::client::{Demux, Forwarder, connect};
use crate::capture::transport::datagram::{DatagramSource, Truncated};
use crate::capture::transport::follow::{FollowNews, Follower, Idle, Polled};
use crate::graph::batch::RecordBatch;
use crate::graph::model::{EdgeRecord, NodeRecord, RecordSink};
use crate::policy::Policy;
use crate::policy::control::{FilterReport, PolicyControl};
use std::cell::RefCell;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A batch leaves once it holds this many records...
const BATCH_RECORDS: usize = 4096;
/// ...or once its oldest record waited this long.
const BATCH_AGE: Duration = Duration::from_millis(100);

/// Where live provenance comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveSource {
    /// A growing file, followed.
    File(PathBuf),
    /// A named pipe.
    Fifo(PathBuf),
    /// Standard input.
    Stdin,
    /// This machine's capture (root), saved to a file as it goes when one is given.
    Capture {
        /// Where to save what is captured.
        save: Option<PathBuf>,
        /// The capture policy, which the filter panel changes while it runs.
        control: ControlHandle,
        /// Record exec's environment (envp) too (`live --env`).
        env: bool,
    },
    /// A directory of CamFlow's relay channel files (`provenance<cpu>`,
    /// `long_provenance<cpu>`).
    Relay(PathBuf),
    /// camflowd's `unix` output: a datagram socket bound here, a batch a datagram.
    Unix(PathBuf),
    /// A provscope capture daemon (`capture --serve PATH`).
    Daemon {
        /// Its socket.
        path: PathBuf,
        /// The policy the filter panel shapes, sent to the daemon when it changes.
        control: ControlHandle,
    },
}

impl LiveSource {
    /// Parses an `attach` argument: `-`, `fifo:PATH`, `unix:PATH`, `daemon:PATH`,
    /// `relay:DIR` (`relay:` alone is the debugfs root), or a file path. `mqtt:` gets a
    /// clear refusal.
    pub fn parse(arg: &str) -> Result<LiveSource, String> {
        if arg == "-" {
            return Ok(LiveSource::Stdin);
        }
        if let Some(path) = arg.strip_prefix("fifo:") {
            return Ok(LiveSource::Fifo(PathBuf::from(path)));
        }
        if let Some(path) = arg.strip_prefix("file:") {
            return Ok(LiveSource::File(PathBuf::from(path)));
        }
        if let Some(dir) = arg.strip_prefix("relay:") {
            let dir = if dir.is_empty() {
                relay::DEFAULT_DIR
            } else {
                dir
            };
            return Ok(LiveSource::Relay(PathBuf::from(dir)));
        }
        if let Some(path) = arg.strip_prefix("unix:") {
            return Ok(LiveSource::Unix(PathBuf::from(path)));
        }
        if let Some(path) = arg.strip_prefix("daemon:") {
            return Ok(LiveSource::Daemon {
                path: PathBuf::from(path),
                control: ControlHandle::default(),
            });
        }
        if arg.starts_with("mqtt:") {
            return Err(String::from(
                "'mqtt:' sources are not supported yet; attach to a file, fifo:PATH, \
                 unix:PATH, daemon:PATH, relay:DIR or '-'",
            ));
        }
        Ok(LiveSource::File(PathBuf::from(arg)))
    }

    /// The name shown in the status bar.
    pub fn name(&self) -> String {
        match self {
            LiveSource::File(p) => p.display().to_string(),
            LiveSource::Fifo(p) => format!("fifo:{}", p.display()),
            LiveSource::Stdin => String::from("stdin"),
            LiveSource::Capture { .. } => String::from("this machine"),
            LiveSource::Relay(p) => format!("relay:{}", p.display()),
            LiveSource::Unix(p) => format!("unix:{}", p.display()),
            LiveSource::Daemon { path, .. } => format!("daemon:{}", path.display()),
        }
    }
}

/// A running capture's policy, shared with whoever changes it. Two handles are equal
/// when they are the same policy.
#[derive(Clone, Debug, Default)]
pub struct ControlHandle(pub Arc<PolicyControl>);

impl PartialEq for ControlHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ControlHandle {}

/// News from the feed.
#[derive(Debug)]
pub enum FeedEvent {
    /// Records read since the last batch, and the reader's report so far.
    Batch {
        /// The records.
        batch: RecordBatch,
        /// Everything read so far: lines, bytes, skips and their reasons.
        report: Box<LoadReport>,
    },
    /// Something the user should know about the source (rotation, truncation).
    Note(String),
    /// The capture's kernel counters by name (records sent, drops and filters by cause).
    Counters(Vec<(&'static str, u64)>),
    /// What the capture's policy let through and dropped so far, by filter.
    Filters(FilterReport),
    /// The capture's policy, as its daemon has it now.
    Policy(Policy),
    /// The source ended (its writer closed); what was received stays.
    Ended(String),
    /// The source broke (an I/O error); what was received stays.
    Broken(String),
}

/// What a source has to tell about itself since it was last asked.
enum News {
    /// Nothing.
    None,
    /// A followed file's truncations and rotations, and how many of each were told.
    Follow(Arc<FollowNews>, (u64, u64)),
    /// Datagrams cut, and how many were told.
    Datagrams(Truncated, u64),
}

impl News {
    fn take(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            News::None => {}
            News::Follow(news, told) => {
                let now = (
                    news.truncations.load(Ordering::Relaxed),
                    news.rotations.load(Ordering::Relaxed),
                );
                if now.0 > told.0 {
                    out.push(String::from(
                        "the file was truncated: reading it again from its start",
                    ));
                }
                if now.1 > told.1 {
                    out.push(String::from("the file was rotated: reading the new file"));
                }
                *told = now;
            }
            News::Datagrams(cut, told) => {
                let now = cut.load(Ordering::Relaxed);
                if now > *told {
                    out.push(format!(
                        "{now} datagram(s) too large to read whole were dropped"
                    ));
                    *told = now;
                }
            }
        }
        out
    }
}

/// An opened source and the reader that parses it.
enum Reading {
    /// Trace text, and what its source has to tell.
    Trace(TraceReader<BufReader<Box<dyn Read>>>, News),
    /// Relay channels, and what to do while they are quiet.
    Relay(RelayReader, Idle),
}

impl Reading {
    fn trace(input: Box<dyn Read>, news: News) -> Reading {
        let input = BufReader::with_capacity(1 << 16, input);
        Reading::Trace(TraceReader::new(input, ReaderOptions::default()), news)
    }

    fn step(&mut self, sink: &mut dyn RecordSink) -> io::Result<bool> {
        match self {
            Reading::Trace(reader, _) => reader.step(sink),
            Reading::Relay(reader, idle) => reader.step(sink, idle.as_mut()),
        }
    }

    fn report(&self) -> &LoadReport {
        match self {
            Reading::Trace(reader, _) => reader.report(),
            Reading::Relay(reader, _) => reader.report(),
        }
    }

    /// What the user should hear about since the last call.
    fn news(&mut self) -> Vec<String> {
        match self {
            Reading::Trace(_, news) => news.take(),
            Reading::Relay(reader, _) => reader.take_notes(),
        }
    }
}

/// Sends events; false once nobody listens.
pub type Send = Arc<dyn Fn(FeedEvent) -> bool + Sync + std::marker::Send>;

/// Records waiting to leave, shared by the reader's sink and the source's idle callback
/// (both run on the feed thread, never at the same time).
struct Outbox {
    batch: RecordBatch,
    since: Option<Instant>,
    report: LoadReport,
    send: Send,
    stop: Arc<AtomicBool>,
}

impl Outbox {
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.since = None;
        let batch = std::mem::take(&mut self.batch);
        let report = Box::new(self.report.clone());
        if !(self.send)(FeedEvent::Batch { batch, report }) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn pushed(&mut self) {
        let since = *self.since.get_or_insert_with(Instant::now);
        if self.batch.len() >= BATCH_RECORDS || since.elapsed() >= BATCH_AGE {
            self.flush();
        }
    }
}

struct OutboxSink(Rc<RefCell<Outbox>>);

impl RecordSink for OutboxSink {
    fn node(&mut self, rec: NodeRecord<'_>) {
        let mut out = self.0.borrow_mut();
        out.batch.node(rec);
        out.pushed();
    }
    fn edge(&mut self, rec: EdgeRecord<'_>) {
        let mut out = self.0.borrow_mut();
        out.batch.edge(rec);
        out.pushed();
    }
}

/// Reads `source` until it ends, breaks, or nobody listens; runs on the calling thread.
pub fn run(source: &LiveSource, send: Send) {
    let stop = Arc::new(AtomicBool::new(false));
    let outbox = Rc::new(RefCell::new(Outbox {
        batch: RecordBatch::default(),
        since: None,
        report: LoadReport::default(),
        send: Arc::clone(&send),
        stop: Arc::clone(&stop),
    }));
    // While the source is quiet, what was read leaves at once. (The reader's sink only
    // borrows the outbox inside its calls, never during a read, where this runs.)
    let idle: Idle = {
        let outbox = Rc::clone(&outbox);
        let stop = Arc::clone(&stop);
        Box::new(move || {
            outbox.borrow_mut().flush();
            !stop.load(Ordering::Relaxed)
        })
    };
    let opened: Result<Reading, String> = match source {
        LiveSource::File(path) => Follower::open(path, idle)
            .map(|f| {
                let news = News::Follow(f.news(), (0, 0));
                Reading::trace(Box::new(f), news)
            })
            .map_err(|e| format!("cannot open '{}': {e}", path.display())),
        LiveSource::Fifo(path) => std::fs::File::open(path)
            .map(|f| Reading::trace(Box::new(Polled::new(f, idle)), News::None))
            .map_err(|e| format!("cannot open fifo '{}': {e}", path.display())),
        LiveSource::Stdin => {
            let stdin = std::io::stdin();
            Ok(Reading::trace(
                Box::new(Polled::new(stdin, idle)),
                News::None,
            ))
        }
        LiveSource::Unix(path) => DatagramSource::bind(path, idle)
            .map(|(socket, notes)| {
                for note in notes {
                    send(FeedEvent::Note(note));
                }
                let news = News::Datagrams(socket.truncated(), 0);
                Reading::trace(Box::new(socket), news)
            })
            .map_err(|e| format!("cannot bind '{}': {e}", path.display())),
        LiveSource::Daemon { path, control } => connect(path).and_then(|stream| {
            let commands = stream
                .try_clone()
                .map_err(|e| format!("cannot use the connection: {e}"))?;
            let forwarder = Forwarder::new(commands, Arc::clone(&control.0));
            // While the stream is quiet, a change the panel made still leaves at once.
            let mut idle = idle;
            let quiet_forwarder = Rc::clone(&forwarder);
            let idle: Idle = Box::new(move || {
                let sent = quiet_forwarder.borrow_mut().forward().is_ok();
                idle() && sent
            });
            let input = Polled::new(stream, idle);
            let demux = Demux::new(input, forwarder, Arc::clone(&send));
            Ok(Reading::trace(Box::new(demux), News::None))
        }),
        LiveSource::Relay(dir) => relay::open_here(dir).map(|(reader, notes)| {
            for note in notes {
                send(FeedEvent::Note(note));
            }
            Reading::Relay(reader, idle)
        }),
        LiveSource::Capture { save, control, env } => {
            let with = crate::capture::transport::capture_feed::With {
                save: save.as_deref(),
                env: *env,
            };
            crate::capture::transport::capture_feed::run(with, &control.0, send);
            return;
        }
    };
    let mut reading = match opened {
        Ok(x) => x,
        Err(message) => {
            send(FeedEvent::Broken(message));
            return;
        }
    };
    let mut sink = OutboxSink(Rc::clone(&outbox));
    let end = loop {
        let step = reading.step(&mut sink);
        outbox.borrow_mut().report = reading.report().clone();
        for note in reading.news() {
            send(FeedEvent::Note(note));
        }
        match step {
            Ok(true) if !stop.load(Ordering::Relaxed) => {}
            Ok(_) => break FeedEvent::Ended(format!("{} ended", source.name())),
            Err(e) => break FeedEvent::Broken(format!("{}: {e}", source.name())),
        }
    };
    outbox.borrow_mut().report = reading.report().clone();
    outbox.borrow_mut().flush();
    if !stop.load(Ordering::Relaxed) {
        send(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_sources_parse_with_the_debugfs_root_as_default() {
        assert_eq!(
            LiveSource::parse("relay:"),
            Ok(LiveSource::Relay(PathBuf::from("/sys/kernel/debug")))
        );
        let dir = LiveSource::parse("relay:/tmp/channels").unwrap();
        assert_eq!(dir, LiveSource::Relay(PathBuf::from("/tmp/channels")));
        assert_eq!(dir.name(), "relay:/tmp/channels");
        let err = LiveSource::parse("mqtt:host").unwrap_err();
        assert!(err.contains("not supported yet"), "{err}");
        let unix = LiveSource::parse("unix:/tmp/camflowd.sock").unwrap();
        assert_eq!(unix, LiveSource::Unix(PathBuf::from("/tmp/camflowd.sock")));
        let daemon = LiveSource::parse("daemon:/run/p.sock").unwrap();
        assert_eq!(daemon.name(), "daemon:/run/p.sock");
    }

    #[test]
    fn a_relay_feed_sends_batches_then_ends_when_nobody_listens() {
        let dir = tempfile::tempdir().unwrap();
        let mut task = vec![0u8; 256];
        task[..8].copy_from_slice(&0x4000_0000_0000_0001u64.to_le_bytes());
        std::fs::write(dir.path().join("provenance0"), task).unwrap();
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let send: Send = Arc::new(move |e: FeedEvent| {
            let mut seen = seen.lock().unwrap();
            seen.push(e);
            // Listen until the first batch has come.
            !seen.iter().any(|e| matches!(e, FeedEvent::Batch { .. }))
        });
        run(&LiveSource::Relay(dir.path().to_path_buf()), send);
        let events = events.lock().unwrap();
        let Some(FeedEvent::Batch { batch, report }) = events.last() else {
            panic!("{events:?}");
        };
        assert_eq!((batch.len(), report.lines), (1, 1));

        let empty = tempfile::tempdir().unwrap();
        let said = Arc::new(std::sync::Mutex::new(String::new()));
        let told = Arc::clone(&said);
        let send: Send = Arc::new(move |e: FeedEvent| {
            if let FeedEvent::Broken(why) = e {
                *told.lock().unwrap() = why;
            }
            true
        });
        run(&LiveSource::Relay(empty.path().to_path_buf()), send);
        assert!(said.lock().unwrap().contains("no CamFlow relay channels"));
    }
}
