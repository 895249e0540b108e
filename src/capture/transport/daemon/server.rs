//! The daemon's end of the socket: binds it owner-only, checks each peer's credentials,
//! then streams the recording to the peer and carries out its commands. Each client has
//! a writer thread fed by a bounded queue, so a slow or stuck client never slows the
//! capture: when its queue is full, the stream's lines are skipped *for that client*
//! (the recording itself loses nothing), counted, and the client is told how many.

use crate::capture::transport::daemon::{
    Command, MAX_COMMAND, Message, may_control, peer_credentials,
};
use crate::policy::control::PolicyControl;
use crate::policy::ini;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};

/// Chunks a client may fall behind by before its stream is skipped.
const QUEUE: usize = 1024;

struct Client {
    id: u64,
    queue: SyncSender<Arc<[u8]>>,
    /// Wants the recorded stream (a command-line client does not).
    streams: bool,
    /// Stream chunks skipped since it was last told.
    skipped: u64,
}

struct Shared {
    clients: Mutex<Vec<Client>>,
    control: Arc<PolicyControl>,
    owner: u32,
    next_id: Mutex<u64>,
}

impl Shared {
    fn clients(&self) -> MutexGuard<'_, Vec<Client>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `chunk` to every client (only streaming ones when `stream`); forgets the
    /// ones that hung up.
    fn send(&self, chunk: Arc<[u8]>, stream: bool) {
        self.clients().retain_mut(|c| {
            if stream && !c.streams {
                return true;
            }
            if stream && c.skipped > 0 {
                let note = Message::Note(format!(
                    "{} batch(es) of the stream were skipped: this view read too slowly (the recording has them)",
                    c.skipped
                ));
                match c.queue.try_send(note.line().into()) {
                    Ok(()) => c.skipped = 0,
                    Err(TrySendError::Full(_)) => {
                        c.skipped += 1;
                        return true;
                    }
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            match c.queue.try_send(Arc::clone(&chunk)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    if stream {
                        c.skipped += 1;
                    }
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    fn send_to(&self, id: u64, message: &Message) {
        if let Some(c) = self.clients().iter().find(|c| c.id == id) {
            let _ = c.queue.try_send(message.line().into());
        }
    }
}

/// A serving daemon socket; removed from the file system when dropped.
pub struct Server {
    shared: Arc<Shared>,
    path: PathBuf,
}

/// Binds `path` so that only its owner can connect, even for a moment.
fn bind_owner_only(path: &Path) -> io::Result<UnixListener> {
    if let Ok(md) = std::fs::symlink_metadata(path) {
        if !md.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("'{}' exists and is not a socket", path.display()),
            ));
        }
        if UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("a daemon already serves '{}'", path.display()),
            ));
        }
        // Left by a daemon that is gone.
        std::fs::remove_file(path)?;
    }
    // SAFETY: umask has no preconditions. The mask is process-wide; this runs before the
    // capture starts other threads that create files.
    let old = unsafe { libc::umask(0o177) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    let listener = bound?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

impl Server {
    /// Serves at `path`, applying clients' policy changes to `control`.
    pub fn start(path: &Path, control: Arc<PolicyControl>) -> io::Result<Server> {
        let listener = bind_owner_only(path)?;
        let shared = Arc::new(Shared {
            clients: Mutex::new(Vec::new()),
            control,
            // SAFETY: geteuid has no preconditions.
            owner: unsafe { libc::geteuid() },
            next_id: Mutex::new(0),
        });
        let accepting = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(String::from("daemon-accept"))
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    accept(&accepting, stream);
                }
            })?;
        Ok(Server {
            shared,
            path: path.to_path_buf(),
        })
    }

    /// Sends recorded lines (whole lines only) to every streaming client.
    pub fn stream(&self, lines: &[u8]) {
        if !lines.is_empty() {
            self.shared.send(lines.into(), true);
        }
    }

    /// Sends a message to every client.
    pub fn tell(&self, message: &Message) {
        self.shared.send(message.line().into(), false);
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.shared.clients().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept(shared: &Arc<Shared>, mut stream: UnixStream) {
    let uid = match peer_credentials(&stream) {
        Ok((_, uid, _)) => uid,
        Err(_) => return,
    };
    if !may_control(uid, shared.owner) {
        let refusal = Message::Refused(format!(
            "uid {uid} may not use this capture: only root and its owner (uid {}) may",
            shared.owner
        ));
        let _ = stream.write_all(&refusal.line());
        return;
    }
    let (queue, pending) = sync_channel::<Arc<[u8]>>(QUEUE);
    let id = {
        let mut next = shared.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    };
    let hello = Message::Hello {
        version: String::from(env!("CARGO_PKG_VERSION")),
        pid: std::process::id(),
        policy: ini::to_string(&shared.control.get().1),
    };
    {
        // The hello is queued before the client joins, so it comes first.
        let mut clients = shared.clients();
        let _ = queue.try_send(hello.line().into());
        clients.push(Client {
            id,
            queue,
            streams: true,
            skipped: 0,
        });
    }
    let Ok(reading) = stream.try_clone() else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name(format!("daemon-client-{id}"))
        .spawn(move || write_queue(stream, pending));
    let shared = Arc::clone(shared);
    let _ = std::thread::Builder::new()
        .name(format!("daemon-commands-{id}"))
        .spawn(move || read_commands(&shared, id, reading));
}

fn write_queue(mut stream: UnixStream, pending: Receiver<Arc<[u8]>>) {
    for chunk in pending {
        if stream.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn read_commands(shared: &Shared, id: u64, stream: UnixStream) {
    let mut lines = BufReader::new(stream.take(MAX_COMMAND));
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') {
            shared.send_to(
                id,
                &Message::Reply {
                    ok: false,
                    text: String::from("command too long: hung up"),
                },
            );
            break;
        }
        // Each command gets a fresh allowance.
        lines.get_mut().set_limit(MAX_COMMAND);
        carry_out(shared, id, &line);
    }
    shared.clients().retain(|c| c.id != id);
}

fn carry_out(shared: &Shared, id: u64, line: &[u8]) {
    let reply = |ok: bool, text: String| shared.send_to(id, &Message::Reply { ok, text });
    match serde_json::from_slice::<Command>(line) {
        Err(e) => reply(false, format!("not a command: {e}")),
        Ok(Command::Quiet) => {
            if let Some(c) = shared.clients().iter_mut().find(|c| c.id == id) {
                c.streams = false;
            }
            reply(true, String::from("the stream is off for this connection"));
        }
        Ok(Command::SetPolicy(text)) => match ini::parse(&text) {
            Err(e) => reply(false, format!("policy not applied: {e}")),
            Ok(loaded) => {
                let fingerprint = loaded.policy.fingerprint();
                shared.control.set(loaded.policy.clone());
                let mut text = format!("policy {fingerprint} applied to the capture");
                for w in &loaded.warnings {
                    text.push_str(&format!("; {w}"));
                }
                reply(true, text);
                let policy = ini::to_string(&loaded.policy);
                shared.send(Message::Policy { policy }.line().into(), false);
            }
        },
    }
}

/// A writer that passes whole lines to the daemon's clients and everything to `out`:
/// the capture's sink while it serves.
pub struct ServeSink<'s, W: Write> {
    out: Option<W>,
    server: &'s Server,
    partial: Vec<u8>,
}

impl<'s, W: Write> ServeSink<'s, W> {
    /// Tees into `out` (if any) and `server`.
    pub fn new(out: Option<W>, server: &'s Server) -> Self {
        ServeSink {
            out,
            server,
            partial: Vec::new(),
        }
    }
}

impl<W: Write> Write for ServeSink<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(out) = self.out.as_mut() {
            out.write_all(buf)?;
        }
        self.partial.extend_from_slice(buf);
        // Lines go out whole, so a message never lands inside one.
        if let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') {
            self.server.stream(&self.partial[..=end]);
            self.partial.drain(..=end);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::transport::daemon::MESSAGE_MARK;

    fn read_message(lines: &mut impl BufRead) -> Message {
        loop {
            let mut line = Vec::new();
            assert!(lines.read_until(b'\n', &mut line).unwrap() > 0, "hung up");
            if line[0] == MESSAGE_MARK {
                return Message::parse(&line[1..line.len() - 1]).unwrap();
            }
        }
    }

    #[test]
    fn the_socket_is_owner_only_and_a_live_one_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.sock");
        let server = Server::start(&path, Arc::default()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Server::start(&path, Arc::default()).err().unwrap();
        assert!(again.to_string().contains("already serves"), "{again}");
        drop(server);
        assert!(!path.exists());
    }

    #[test]
    fn a_client_gets_hello_stream_lines_whole_and_sets_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.sock");
        let control = Arc::new(PolicyControl::default());
        let server = Server::start(&path, Arc::clone(&control)).unwrap();
        let stream = UnixStream::connect(&path).unwrap();
        let mut lines = BufReader::new(stream.try_clone().unwrap());
        assert!(matches!(read_message(&mut lines), Message::Hello { .. }));
        while server.clients() == 0 {
            std::thread::yield_now();
        }
        let mut sink = ServeSink::new(None::<Vec<u8>>, &server);
        sink.write_all(b"{\"prefix\":").unwrap();
        server.tell(&Message::Note(String::from("between")));
        sink.write_all(b"{}}\n").unwrap();
        // The note was sent while the line was half written: it comes before it, whole.
        assert_eq!(
            read_message(&mut lines),
            Message::Note(String::from("between"))
        );
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert_eq!(line, "{\"prefix\":{}}\n");

        let generation = control.generation();
        let set = Command::SetPolicy(String::from("[provenance]\nrelation_filter=read\n"));
        (&stream).write_all(&set.line()).unwrap();
        let Message::Reply { ok: true, text } = read_message(&mut lines) else {
            panic!("no reply");
        };
        assert!(text.contains("applied"), "{text}");
        assert!(matches!(read_message(&mut lines), Message::Policy { .. }));
        assert_eq!(control.generation(), generation + 1);
        assert!(control.get().1.relation_filter.contains("read"));

        (&stream)
            .write_all(b"{\"set_policy\":\"[nonsense\"}\n")
            .unwrap();
        let Message::Reply { ok: false, text } = read_message(&mut lines) else {
            panic!("no refusal");
        };
        assert!(text.contains("not applied"), "{text}");
        assert_eq!(control.generation(), generation + 1);
    }
}
