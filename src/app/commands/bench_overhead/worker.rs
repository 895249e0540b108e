//! The measured side of `bench overhead`: a worker process that runs the timed loops.
//!
//! It is forked while provscope still has a single thread, for two reasons: the probe
//! marks provscope's own process opaque, so loops run there would never be recorded; and
//! a single-threaded worker can fork and exec freely (a fork of a multi-threaded process
//! may only call async-signal-safe functions). It drops to an unprivileged user of its
//! own, which is what the filtered-out mode filters on in the kernel: a user filter
//! covers the worker's children too (forks, execs), where a process filter would not.
//!
//! Requests and replies are JSON lines over two pipes; all of that happens between the
//! timed batches, never inside them. The loops themselves are in `loops.rs`.

use super::loops::Loops;
use super::summary::Row;
use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

/// What the worker runs on request; each workload measures one or two rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Workload {
    /// 1-byte reads of /dev/zero.
    NullRead,
    /// 1-byte writes to /dev/null.
    NullWrite,
    /// stat of a file.
    Stat,
    /// open and close of a file.
    OpenClose,
    /// fork, and the child exits.
    ForkExit,
    /// fork, and the child execs a program.
    ForkExec,
    /// fork, and the child runs /bin/sh -c.
    ForkSh,
    /// Create empty files, then delete them (LMbench's lat_fs 0k).
    Files0k,
    /// Create 10 KB files, then delete them (lat_fs 10k).
    Files10k,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 9] = [
        Workload::NullRead,
        Workload::NullWrite,
        Workload::Stat,
        Workload::OpenClose,
        Workload::ForkExit,
        Workload::ForkExec,
        Workload::ForkSh,
        Workload::Files0k,
        Workload::Files10k,
    ];

    /// The rows it measures, in the order of the values it returns per batch.
    pub fn rows(self) -> &'static [Row] {
        match self {
            Workload::NullRead => &[Row::NullRead],
            Workload::NullWrite => &[Row::NullWrite],
            Workload::Stat => &[Row::Stat],
            Workload::OpenClose => &[Row::OpenClose],
            Workload::ForkExit => &[Row::ForkExit],
            Workload::ForkExec => &[Row::ForkExec],
            Workload::ForkSh => &[Row::ForkSh],
            Workload::Files0k => &[Row::Create0k, Row::Delete0k],
            Workload::Files10k => &[Row::Create10k, Row::Delete10k],
        }
    }

    /// Operations per timed batch when the null I/O rows run `iterations`: the costlier
    /// rows run proportionally fewer, so that every batch lasts roughly as long (the
    /// divisors are their cost relative to a null read, rounded).
    pub fn batch_ops(self, iterations: u64) -> u64 {
        let cost = match self {
            Workload::NullRead | Workload::NullWrite => 1,
            Workload::Stat => 2,
            Workload::OpenClose => 5,
            Workload::ForkExit => 400,
            Workload::ForkExec => 2000,
            Workload::ForkSh => 4000,
            Workload::Files0k | Workload::Files10k => 40,
        };
        (iterations / cost).max(1)
    }
}

#[derive(Debug, Serialize, Deserialize)]
enum Request {
    /// A warm-up batch (when `warm_up`), then `batches` timed batches of `ops`
    /// operations.
    Run {
        workload: Workload,
        ops: u64,
        batches: u32,
        warm_up: bool,
    },
    /// 1-byte reads of /dev/zero as fast as possible for this long, each followed by a
    /// 1-byte write to /dev/null when `copy`.
    Spin { millis: u64, copy: bool },
}

#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    /// Set up, running as this user.
    Ready { uid: u32 },
    /// µs/op of each timed batch, one list per row of the workload.
    Batches(Vec<Vec<f64>>),
    /// System calls made in that many seconds.
    Spun { ops: u64, seconds: f64 },
    /// Why the request failed.
    Failed(String),
}

/// The parent's handle on the worker process.
pub struct Worker {
    pid: libc::pid_t,
    requests: Option<File>,
    replies: BufReader<File>,
    /// The worker's user id (what the filtered-out mode filters on).
    pub uid: u32,
}

fn pipe() -> anyhow::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid array of two ints. O_CLOEXEC keeps the pipes out of the
    // programs the worker's children exec.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("pipe2");
    }
    // SAFETY: both fds are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

impl Worker {
    /// Forks the worker, which works in `dir` and drops to `drop_to` (uid, gid) when
    /// given. Refuses when this process already has a second thread (see the module doc).
    pub fn spawn(dir: &Path, drop_to: Option<(u32, u32)>) -> anyhow::Result<Worker> {
        let threads = thread_count();
        if threads != 1 {
            bail!(
                "the benchmark worker must be forked before any thread starts ({threads} running)"
            );
        }
        let (req_read, req_write) = pipe()?;
        let (rep_read, rep_write) = pipe()?;
        // SAFETY: getpid cannot fail.
        let parent = unsafe { libc::getpid() };
        // SAFETY: this process has a single thread (checked above), so the child is a
        // complete copy in which any code may run.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error()).context("fork");
        }
        if pid == 0 {
            drop(req_write);
            drop(rep_read);
            child_main(req_read, rep_write, dir, drop_to, parent);
        }
        drop(req_read);
        drop(rep_write);
        let mut worker = Worker {
            pid,
            requests: Some(File::from(req_write)),
            replies: BufReader::new(File::from(rep_read)),
            uid: 0,
        };
        match worker.receive()? {
            Reply::Ready { uid } => worker.uid = uid,
            Reply::Failed(e) => bail!("the benchmark worker could not start: {e}"),
            other => bail!("the benchmark worker answered {other:?}"),
        }
        Ok(worker)
    }

    fn receive(&mut self) -> anyhow::Result<Reply> {
        let mut line = String::new();
        if self.replies.read_line(&mut line)? == 0 {
            bail!("the benchmark worker ended unexpectedly");
        }
        Ok(serde_json::from_str(&line)?)
    }

    fn ask(&mut self, request: &Request) -> anyhow::Result<Reply> {
        let requests = self
            .requests
            .as_mut()
            .ok_or_else(|| anyhow!("the worker is closed"))?;
        let mut line = serde_json::to_string(request)?;
        line.push('\n');
        requests.write_all(line.as_bytes())?;
        match self.receive()? {
            Reply::Failed(e) => bail!("benchmark worker: {e}"),
            reply => Ok(reply),
        }
    }

    /// Runs a warm-up batch (when `warm_up`) and `batches` timed batches of `ops`
    /// operations; returns µs/op per timed batch, one list per row of the workload.
    pub fn run(
        &mut self,
        workload: Workload,
        ops: u64,
        batches: u32,
        warm_up: bool,
    ) -> anyhow::Result<Vec<Vec<f64>>> {
        match self.ask(&Request::Run {
            workload,
            ops,
            batches,
            warm_up,
        })? {
            Reply::Batches(b) if b.len() == workload.rows().len() => Ok(b),
            other => bail!("the benchmark worker answered {other:?}"),
        }
    }

    /// 1-byte reads of /dev/zero for `duration` (each followed by a 1-byte write to
    /// /dev/null when `copy`): (system calls made, seconds).
    pub fn spin(&mut self, duration: Duration, copy: bool) -> anyhow::Result<(u64, f64)> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        match self.ask(&Request::Spin { millis, copy })? {
            Reply::Spun { ops, seconds } => Ok((ops, seconds)),
            other => bail!("the benchmark worker answered {other:?}"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // End of input tells the worker to exit; then reap it.
        drop(self.requests.take());
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
    }
}

/// The worker's life: never returns into the parent's code.
fn child_main(
    requests: OwnedFd,
    replies: OwnedFd,
    dir: &Path,
    drop_to: Option<(u32, u32)>,
    parent: libc::pid_t,
) -> ! {
    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        serve(requests, replies, dir, drop_to, parent)
    }));
    // SAFETY: _exit ends this process at once, without running the parent's atexit
    // handlers or destructors a second time.
    unsafe { libc::_exit(i32::from(served.is_err())) }
}

fn serve(
    requests: OwnedFd,
    replies: OwnedFd,
    dir: &Path,
    drop_to: Option<(u32, u32)>,
    parent: libc::pid_t,
) {
    // SAFETY: plain prctl and getppid calls. The worker must not outlive provscope if it
    // is killed mid-run; the getppid check closes the race with a parent that died
    // before the prctl.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            return;
        }
    }
    let mut out = File::from(replies);
    let mut send = |reply: Reply| -> bool {
        let Ok(mut line) = serde_json::to_string(&reply) else {
            return false;
        };
        line.push('\n');
        out.write_all(line.as_bytes()).is_ok()
    };
    let mut loops = match Loops::new(dir, drop_to) {
        Ok(l) => l,
        Err(e) => {
            send(Reply::Failed(e));
            return;
        }
    };
    // SAFETY: getuid cannot fail.
    if !send(Reply::Ready {
        uid: unsafe { libc::getuid() },
    }) {
        return;
    }
    for line in BufReader::new(File::from(requests)).lines() {
        let Ok(line) = line else { return };
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Run {
                workload,
                ops,
                batches,
                warm_up,
            }) => loops
                .run(workload, ops, batches, warm_up)
                .map_or_else(Reply::Failed, Reply::Batches),
            Ok(Request::Spin { millis, copy }) => loops
                .spin(Duration::from_millis(millis), copy)
                .map_or_else(Reply::Failed, |(ops, seconds)| Reply::Spun { ops, seconds }),
            Err(e) => Reply::Failed(format!("bad request: {e}")),
        };
        if !send(reply) {
            return;
        }
    }
}
