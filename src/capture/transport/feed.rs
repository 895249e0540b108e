//! The live feed: a thread that reads a live source (a followed file, a fifo, stdin, or
//! this machine's capture), parses what arrives with the trace reader, and sends batches
//! of owned records to whoever explores them (DESIGN §2: source thread -> batches of
//! elements over a channel -> graph ingest). A batch leaves when it is big, when it is
//! old, or when the source goes quiet, so a slow trickle still shows at once.

use crate::capture::camflow::{LoadReport, ReaderOptions, TraceReader};
use crate::capture::transport::follow::{FollowNews, Follower, Idle, Polled};
use crate::graph::batch::RecordBatch;
use crate::graph::model::{EdgeRecord, NodeRecord, RecordSink};
use std::cell::RefCell;
use std::io::{BufReader, Read};
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
    },
}

impl LiveSource {
    /// Parses an `attach` argument: `-`, `fifo:PATH`, or a file path. The other source
    /// kinds DESIGN §7 names get a clear refusal until they exist.
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
        for kind in ["unix", "relay", "daemon", "mqtt"] {
            if arg.starts_with(&format!("{kind}:")) {
                return Err(format!(
                    "'{kind}:' sources are not supported yet; attach to a file, fifo:PATH or '-'"
                ));
            }
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
        }
    }
}

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
    /// The source ended (its writer closed); what was received stays.
    Ended(String),
    /// The source broke (an I/O error); what was received stays.
    Broken(String),
}

/// An opened source, and its news when it is a followed file.
type Opened = (Box<dyn Read>, Option<Arc<FollowNews>>);

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
    let opened: Result<Opened, String> = match source {
        LiveSource::File(path) => Follower::open(path, idle)
            .map(|f| {
                let news = f.news();
                (Box::new(f) as Box<dyn Read>, Some(news))
            })
            .map_err(|e| format!("cannot open '{}': {e}", path.display())),
        LiveSource::Fifo(path) => std::fs::File::open(path)
            .map(|f| (Box::new(Polled::new(f, idle)) as Box<dyn Read>, None))
            .map_err(|e| format!("cannot open fifo '{}': {e}", path.display())),
        LiveSource::Stdin => {
            let stdin = std::io::stdin();
            Ok((Box::new(Polled::new(stdin, idle)) as Box<dyn Read>, None))
        }
        LiveSource::Capture { save } => {
            crate::capture::transport::capture_feed::run(save.as_deref(), send);
            return;
        }
    };
    let (input, news) = match opened {
        Ok(x) => x,
        Err(message) => {
            send(FeedEvent::Broken(message));
            return;
        }
    };
    let mut reader = TraceReader::new(
        BufReader::with_capacity(1 << 16, input),
        ReaderOptions::default(),
    );
    let mut sink = OutboxSink(Rc::clone(&outbox));
    let mut told = (0, 0);
    let end = loop {
        let step = reader.step(&mut sink);
        outbox.borrow_mut().report = reader.report().clone();
        if let Some(news) = &news {
            let now = (
                news.truncations.load(Ordering::Relaxed),
                news.rotations.load(Ordering::Relaxed),
            );
            if now.0 > told.0 {
                send(FeedEvent::Note(String::from(
                    "the file was truncated: reading it again from its start",
                )));
            }
            if now.1 > told.1 {
                send(FeedEvent::Note(String::from(
                    "the file was rotated: reading the new file",
                )));
            }
            told = now;
        }
        match step {
            Ok(true) if !stop.load(Ordering::Relaxed) => {}
            Ok(_) => break FeedEvent::Ended(format!("{} ended", source.name())),
            Err(e) => break FeedEvent::Broken(format!("{}: {e}", source.name())),
        }
    };
    outbox.borrow_mut().report = reader.report().clone();
    outbox.borrow_mut().flush();
    if !stop.load(Ordering::Relaxed) {
        send(end);
    }
}
