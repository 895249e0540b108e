//! The client's end of the daemon socket. For the terminal UI, [`Demux`] splits the
//! stream: W3C lines go on to the trace reader, the daemon's messages become feed events,
//! and a policy the filter panel changes goes back to the daemon as a command. For the
//! command line, [`Session`] sends one command and waits for its answer.

use crate::capture::ebpf::probe::COUNTER_NAMES;
use crate::capture::transport::daemon::{Command, MESSAGE_MARK, Message};
use crate::capture::transport::feed::FeedEvent;
use crate::policy::control::PolicyControl;
use crate::policy::{Policy, ini};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;

/// Connects to the daemon at `path`, with errors that say what to do.
pub fn connect(path: &Path) -> Result<UnixStream, String> {
    UnixStream::connect(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => format!(
            "no capture daemon at '{}' (start one with: provscope capture --serve {})",
            path.display(),
            path.display()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "cannot connect to '{}': the daemon's socket is owner-only (connect as its owner or root)",
            path.display()
        ),
        _ => format!("cannot connect to '{}': {e}", path.display()),
    })
}

/// A policy from the daemon's camflow.ini text.
fn policy_of(text: &str) -> Result<Policy, String> {
    ini::parse(text)
        .map(|loaded| loaded.policy)
        .map_err(|e| format!("the daemon's policy makes no sense: {e}"))
}

/// Counter names as this build knows them (a daemon of another version may send others,
/// which are dropped).
fn known_counters(counters: Vec<(String, u64)>) -> Vec<(&'static str, u64)> {
    counters
        .into_iter()
        .filter_map(|(name, n)| COUNTER_NAMES.iter().find(|k| **k == name).map(|k| (*k, n)))
        .collect()
}

/// Keeps the daemon's policy and the filter panel's in step: a change the panel makes is
/// sent as a command, a policy the daemon announces is taken without being sent back.
/// Shared by the stream's reader and the feed's idle callback, so a change leaves at once
/// even while the stream is quiet.
pub struct Forwarder {
    commands: UnixStream,
    control: Arc<PolicyControl>,
    /// The control's generation the daemon has (sent to it, or received from it).
    synced: u64,
}

/// A [`Forwarder`] as the feed thread shares it.
pub type SharedForwarder = std::rc::Rc<std::cell::RefCell<Forwarder>>;

impl Forwarder {
    /// Sends commands on `commands` for changes of `control`.
    pub fn new(commands: UnixStream, control: Arc<PolicyControl>) -> SharedForwarder {
        std::rc::Rc::new(std::cell::RefCell::new(Forwarder {
            commands,
            synced: control.generation(),
            control,
        }))
    }

    /// Sends the panel's policy to the daemon when it changed. One atomic load when not.
    pub fn forward(&mut self) -> io::Result<()> {
        if self.control.generation() == self.synced {
            return Ok(());
        }
        let (generation, policy) = self.control.get();
        self.synced = generation;
        let command = Command::SetPolicy(ini::to_string(&policy));
        self.commands.write_all(&command.line())
    }

    /// A policy the daemon has: taken as the control's own, so that it is not sent back.
    fn adopt(&mut self, policy: Policy) {
        self.control.set(policy);
        self.synced = self.control.generation();
    }
}

/// The trace part of a daemon's stream, for the trace reader; the rest is handled on the
/// way.
pub struct Demux<R: Read> {
    lines: BufReader<R>,
    line: Vec<u8>,
    served: usize,
    forwarder: SharedForwarder,
    send: crate::capture::transport::feed::Send,
}

impl<R: Read> Demux<R> {
    /// Splits `input` (read from the daemon), keeping policies in step through
    /// `forwarder` and sending events with `send`.
    pub fn new(
        input: R,
        forwarder: SharedForwarder,
        send: crate::capture::transport::feed::Send,
    ) -> Self {
        Demux {
            lines: BufReader::with_capacity(1 << 16, input),
            line: Vec::new(),
            served: 0,
            forwarder,
            send,
        }
    }

    fn adopt(&mut self, text: &str) -> io::Result<()> {
        let policy = policy_of(text).map_err(io::Error::other)?;
        self.forwarder.borrow_mut().adopt(policy.clone());
        (self.send)(FeedEvent::Policy(policy));
        Ok(())
    }

    fn on_message(&mut self, text: &[u8]) -> io::Result<()> {
        let event = match Message::parse(text).map_err(io::Error::other)? {
            Message::Hello {
                version, policy, ..
            } => {
                self.adopt(&policy)?;
                let mine = env!("CARGO_PKG_VERSION");
                FeedEvent::Note(if version == mine {
                    String::from("attached to the capture daemon")
                } else {
                    format!("attached to a capture daemon of provscope {version} (this is {mine})")
                })
            }
            Message::Policy { policy } => {
                self.adopt(&policy)?;
                return Ok(());
            }
            Message::Counters(counters) => FeedEvent::Counters(known_counters(counters)),
            Message::Filters(report) => FeedEvent::Filters(report),
            Message::Note(note) => FeedEvent::Note(note),
            Message::Reply { ok, text } => FeedEvent::Note(if ok {
                text
            } else {
                format!("the daemon refused: {text}")
            }),
            Message::Refused(why) => {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
            }
        };
        (self.send)(event);
        Ok(())
    }
}

impl<R: Read> Read for Demux<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.served == self.line.len() {
            self.forwarder.borrow_mut().forward()?;
            self.line.clear();
            self.served = 0;
            if self.lines.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(0);
            }
            if self.line.first() == Some(&MESSAGE_MARK) {
                let line = std::mem::take(&mut self.line);
                let text = line[1..].strip_suffix(b"\n").unwrap_or(&line[1..]);
                self.on_message(text)?;
            }
        }
        let n = buf.len().min(self.line.len() - self.served);
        buf[..n].copy_from_slice(&self.line[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

/// A command-line connection to a daemon.
pub struct Session {
    stream: UnixStream,
    lines: BufReader<UnixStream>,
    /// The daemon's policy when the session started.
    pub policy: Policy,
}

impl Session {
    /// Connects, reads the daemon's hello and asks it not to stream.
    pub fn open(path: &Path) -> Result<Session, String> {
        let stream = connect(path)?;
        let reading = stream
            .try_clone()
            .map_err(|e| format!("cannot use the connection: {e}"))?;
        let mut session = Session {
            stream,
            lines: BufReader::new(reading),
            policy: Policy::default(),
        };
        match session.next_message()? {
            Message::Hello { policy, .. } => session.policy = policy_of(&policy)?,
            other => return Err(format!("the daemon did not greet: {other:?}")),
        }
        session.request(&Command::Quiet)?;
        Ok(session)
    }

    fn next_message(&mut self) -> Result<Message, String> {
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("the daemon's connection broke: {e}"))?;
            if n == 0 {
                return Err(String::from("the daemon hung up"));
            }
            if line.first() == Some(&MESSAGE_MARK) {
                let text = line[1..].strip_suffix(b"\n").unwrap_or(&line[1..]);
                return match Message::parse(text)? {
                    Message::Refused(why) => Err(format!("refused by the daemon: {why}")),
                    m => Ok(m),
                };
            }
        }
    }

    /// Sends `command` and returns the daemon's answer (Err when it refused).
    pub fn request(&mut self, command: &Command) -> Result<String, String> {
        self.stream
            .write_all(&command.line())
            .map_err(|e| format!("cannot send to the daemon: {e}"))?;
        loop {
            match self.next_message()? {
                Message::Reply { ok: true, text } => return Ok(text),
                Message::Reply { ok: false, text } => return Err(text),
                Message::Policy { policy } => self.policy = policy_of(&policy)?,
                _ => {}
            }
        }
    }
}
