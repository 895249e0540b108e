//! Reading sources that grow: a file followed as `tail -F` does (appended bytes read as
//! they come, a truncated file read again from its start, a rotated file read to its end
//! and then the new file at the path), and pipes, fifos and stdin read with a timeout.
//! Whenever a source has nothing to give, its `idle` callback runs (the feed flushes
//! what it holds); when that callback answers false, the source ends (reads return 0).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a quiet source waits between looks.
pub const POLL: Duration = Duration::from_millis(50);

/// Called when a source has nothing to give; false ends the source. Runs on the thread
/// that reads the source.
pub type Idle = Box<dyn FnMut() -> bool>;

/// What happened to a followed file, for the status bar.
#[derive(Debug, Default)]
pub struct FollowNews {
    /// Times the file was truncated and read again from its start.
    pub truncations: AtomicU64,
    /// Times the path was found naming a new file (rotation) and that file was opened.
    pub rotations: AtomicU64,
}

/// A growing file, followed by path.
pub struct Follower {
    path: PathBuf,
    file: File,
    identity: (u64, u64),
    pos: u64,
    idle: Idle,
    news: Arc<FollowNews>,
}

fn identity(md: &std::fs::Metadata) -> (u64, u64) {
    (md.dev(), md.ino())
}

impl Follower {
    /// Opens `path` to follow from its start.
    pub fn open(path: &Path, idle: Idle) -> io::Result<Follower> {
        let file = File::open(path)?;
        let identity = identity(&file.metadata()?);
        Ok(Follower {
            path: path.to_path_buf(),
            file,
            identity,
            pos: 0,
            idle,
            news: Arc::default(),
        })
    }

    /// Counters of truncations and rotations, shared with whoever reports them.
    pub fn news(&self) -> Arc<FollowNews> {
        Arc::clone(&self.news)
    }

    /// At the end of the current file: true when there is something new to read.
    fn look(&mut self) -> io::Result<bool> {
        match std::fs::metadata(&self.path) {
            // The path names another file: the old one is read to its end, so move on.
            Ok(md) if identity(&md) != self.identity => match File::open(&self.path) {
                Ok(file) => {
                    self.identity = identity(&file.metadata()?);
                    self.file = file;
                    self.pos = 0;
                    self.news.rotations.fetch_add(1, Ordering::Relaxed);
                    Ok(true)
                }
                // Gone again before we could open it: wait for the next one.
                Err(_) => Ok(false),
            },
            Ok(md) if md.len() < self.pos => {
                self.file.seek(SeekFrom::Start(0))?;
                self.pos = 0;
                self.news.truncations.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Ok(md) => Ok(md.len() > self.pos),
            // Removed (rotation under way): keep the old file and wait.
            Err(_) => Ok(false),
        }
    }
}

impl Read for Follower {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            if n > 0 {
                self.pos += n as u64;
                return Ok(n);
            }
            if self.look()? {
                continue;
            }
            if !(self.idle)() {
                return Ok(0);
            }
            std::thread::sleep(POLL);
        }
    }
}

/// A pipe, fifo, socket or terminal read with a timeout, so that a quiet writer still
/// lets the feed flush; ends at the writer's end of file.
pub struct Polled<R: Read + AsRawFd> {
    inner: R,
    idle: Idle,
}

impl<R: Read + AsRawFd> Polled<R> {
    /// Wraps a readable descriptor.
    pub fn new(inner: R, idle: Idle) -> Polled<R> {
        Polled { inner, idle }
    }
}

/// Waits until `fd` is readable (or hung up), calling `idle` every [`POLL`] while it is
/// not; Ok(false) once `idle` says to stop.
pub fn wait_readable(fd: &impl AsRawFd, idle: &mut Idle) -> io::Result<bool> {
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(POLL.as_millis()).unwrap_or(50);
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if ready > 0 {
            return Ok(true);
        }
        if !idle() {
            return Ok(false);
        }
    }
}

impl<R: Read + AsRawFd> Read for Polled<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !wait_readable(&self.inner, &mut self.idle)? {
            return Ok(0);
        }
        // Readable, or hung up (the read then returns 0: the end).
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idle_times(n: u32) -> Idle {
        let mut left = n;
        Box::new(move || {
            left = left.saturating_sub(1);
            left > 0
        })
    }

    fn read_some(f: &mut Follower) -> String {
        let mut buf = [0u8; 256];
        let n = f.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn follows_appends_truncation_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.log");
        std::fs::write(&path, "one\n").unwrap();
        let mut f = Follower::open(&path, idle_times(1000)).unwrap();
        assert_eq!(read_some(&mut f), "one\n");

        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"two\n").unwrap();
        assert_eq!(read_some(&mut f), "two\n");

        // copytruncate: the same file, shorter than what was read.
        std::fs::write(&path, "3\n").unwrap();
        assert_eq!(read_some(&mut f), "3\n");
        assert_eq!(f.news().truncations.load(Ordering::Relaxed), 1);

        // Rotation: the old file gets a last line, then the path names a new file.
        let mut old = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        old.write_all(b"last\n").unwrap();
        std::fs::rename(&path, dir.path().join("trace.log.1")).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        assert_eq!(
            read_some(&mut f),
            "last\n",
            "the old file is read to its end"
        );
        assert_eq!(read_some(&mut f), "new\n");
        assert_eq!(f.news().rotations.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_quiet_file_ends_when_idle_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quiet.log");
        std::fs::write(&path, "").unwrap();
        let mut f = Follower::open(&path, idle_times(3)).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(f.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn a_pipe_is_read_until_its_writer_closes() {
        let (r, mut w) = std::io::pipe().unwrap();
        let mut p = Polled::new(r, idle_times(1000));
        w.write_all(b"abc").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(p.read(&mut buf).unwrap(), 3);
        drop(w);
        assert_eq!(p.read(&mut buf).unwrap(), 0);
    }
}
