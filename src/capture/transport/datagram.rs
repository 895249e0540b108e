//! `attach unix:PATH`: the consumer end of camflowd's `unix` output (reference §5.5).
//! camflowd sends each batch as one SOCK_DGRAM datagram, trailing NUL included, to a
//! socket that must already be bound at its `[unix] address` when it starts; so this
//! binds a datagram socket at PATH and reads datagrams as trace text, one batch a line.
//! A datagram larger than the receive buffer is cut by the kernel: it is counted and
//! told, never passed on as if whole.

use crate::capture::transport::follow::{Idle, wait_readable};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The largest datagram kept whole. camflowd's batches are far smaller; a unix datagram
/// cannot be larger than the sender's socket buffer (a few hundred KiB by default).
const MAX_DATAGRAM: usize = 8 << 20;

/// A bound camflowd consumer socket, read as a stream of trace lines.
pub struct DatagramSource {
    socket: UnixDatagram,
    path: PathBuf,
    buffer: Vec<u8>,
    /// The unread part of the last datagram.
    pending: std::ops::Range<usize>,
    idle: Idle,
    truncated: Arc<AtomicU64>,
}

/// Datagrams cut because they were larger than [`MAX_DATAGRAM`].
pub type Truncated = Arc<AtomicU64>;

impl DatagramSource {
    /// Binds at `path`. A socket file left there by an earlier reader is replaced (a
    /// datagram socket cannot tell whether someone still reads it, and camflowd can only
    /// send to the newest binding anyway); any other file is left alone and refused.
    pub fn bind(path: &Path, idle: Idle) -> io::Result<(DatagramSource, Vec<String>)> {
        DatagramSource::bind_sized(path, idle, MAX_DATAGRAM)
    }

    /// [`DatagramSource::bind`], keeping datagrams of up to `max` bytes whole.
    fn bind_sized(
        path: &Path,
        idle: Idle,
        max: usize,
    ) -> io::Result<(DatagramSource, Vec<String>)> {
        let mut notes = Vec::new();
        if let Ok(md) = std::fs::symlink_metadata(path) {
            if !md.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a file that is not a socket is in the way",
                ));
            }
            std::fs::remove_file(path)?;
            notes.push(format!(
                "replaced the socket left at '{}' by an earlier reader",
                path.display()
            ));
        }
        let socket = UnixDatagram::bind(path)?;
        notes.push(String::from(
            "waiting for camflowd ([general] output=unix, [unix] address=this path)",
        ));
        let source = DatagramSource {
            socket,
            path: path.to_path_buf(),
            buffer: vec![0; max + 1],
            pending: 0..0,
            idle,
            truncated: Arc::default(),
        };
        Ok((source, notes))
    }

    /// How many datagrams were cut so far.
    pub fn truncated(&self) -> Truncated {
        Arc::clone(&self.truncated)
    }

    /// Waits for one datagram; Ok(false) when idle says to stop.
    fn receive(&mut self) -> io::Result<bool> {
        loop {
            if !wait_readable(&self.socket, &mut self.idle)? {
                return Ok(false);
            }
            // MSG_TRUNC makes recv return the datagram's real length, so a cut one shows.
            // SAFETY: the buffer is valid for its length for the duration of the call.
            let n = unsafe {
                libc::recv(
                    self.socket.as_raw_fd(),
                    self.buffer.as_mut_ptr().cast(),
                    self.buffer.len() - 1,
                    libc::MSG_TRUNC,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let n = n as usize;
            if n > self.buffer.len() - 1 {
                self.truncated.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            // camflowd sends the batch's NUL; a line end keeps batches apart.
            let mut end = n;
            while end > 0 && self.buffer[end - 1] == 0 {
                end -= 1;
            }
            self.buffer[end] = b'\n';
            self.pending = 0..end + 1;
            return Ok(true);
        }
    }
}

impl Read for DatagramSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() && !self.receive()? {
            return Ok(0);
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.buffer[self.pending.start..self.pending.start + n]);
        self.pending.start += n;
        Ok(n)
    }
}

impl Drop for DatagramSource {
    fn drop(&mut self) {
        // The binding is ours; leaving it would only make the next reader replace it.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_become_lines_and_a_cut_one_is_counted_not_passed_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("camflowd.sock");
        let mut quiet = 0;
        let idle: Idle = Box::new(move || {
            quiet += 1;
            quiet < 3
        });
        let (mut source, notes) = DatagramSource::bind_sized(&path, idle, 64).unwrap();
        assert!(notes.iter().any(|n| n.contains("waiting for camflowd")));
        let camflowd = UnixDatagram::unbound().unwrap();
        camflowd.connect(&path).unwrap();
        camflowd.send(b"{\"a\":1}\0").unwrap();
        camflowd.send(&[b'x'; 100]).unwrap();
        camflowd.send(b"{\"b\":2}\0").unwrap();
        let mut text = String::new();
        source.read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(source.truncated().load(Ordering::Relaxed), 1);
        drop(source);
        assert!(!path.exists(), "the binding is removed at the end");
    }

    #[test]
    fn a_stale_socket_is_replaced_but_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let stale = UnixDatagram::bind(&path).unwrap();
        drop(stale);
        let (_source, notes) = DatagramSource::bind(&path, Box::new(|| false)).unwrap();
        assert!(notes[0].contains("replaced"), "{notes:?}");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let err = DatagramSource::bind(&plain, Box::new(|| false))
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a socket"), "{err}");
        assert_eq!(std::fs::read(&plain).unwrap(), b"x");
    }
}
