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
//! timed batches, never inside them. The loops call libc directly so that they time the
//! system calls, not std's wrappers.

use super::summary::Row;
use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the worker runs on request; each workload measures one or two rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Workload {
    /// [`Row::NullRead`].
    NullRead,
    /// [`Row::NullWrite`].
    NullWrite,
    /// [`Row::Stat`].
    Stat,
    /// [`Row::OpenClose`].
    OpenClose,
    /// [`Row::ForkExit`].
    ForkExit,
    /// [`Row::ForkExec`].
    ForkExec,
    /// [`Row::ForkSh`].
    ForkSh,
    /// [`Row::Create0k`] then [`Row::Delete0k`] on the same files, as LMbench's lat_fs.
    Files0k,
    /// [`Row::Create10k`] then [`Row::Delete10k`].
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
    /// A warm-up batch, then `batches` timed batches of `ops` operations.
    Run {
        workload: Workload,
        ops: u64,
        batches: u32,
    },
    /// 1-byte reads of /dev/zero as fast as possible for this long.
    Spin { millis: u64 },
}

#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    /// Set up, running as this user.
    Ready { uid: u32 },
    /// µs/op of each timed batch, one list per row of the workload.
    Batches(Vec<Vec<f64>>),
    /// Reads done in that many seconds.
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

    /// Runs a warm-up batch and `batches` timed batches of `ops` operations; returns
    /// µs/op per timed batch, one list per row of the workload.
    pub fn run(
        &mut self,
        workload: Workload,
        ops: u64,
        batches: u32,
    ) -> anyhow::Result<Vec<Vec<f64>>> {
        match self.ask(&Request::Run {
            workload,
            ops,
            batches,
        })? {
            Reply::Batches(b) if b.len() == workload.rows().len() => Ok(b),
            other => bail!("the benchmark worker answered {other:?}"),
        }
    }

    /// 1-byte reads of /dev/zero for `duration`: (reads, seconds).
    pub fn spin(&mut self, duration: Duration) -> anyhow::Result<(u64, f64)> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        match self.ask(&Request::Spin { millis })? {
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
            }) => loops
                .run(workload, ops, batches)
                .map_or_else(Reply::Failed, Reply::Batches),
            Ok(Request::Spin { millis }) => loops
                .spin(Duration::from_millis(millis))
                .map_or_else(Reply::Failed, |(ops, seconds)| Reply::Spun { ops, seconds }),
            Err(e) => Reply::Failed(format!("bad request: {e}")),
        };
        if !send(reply) {
            return;
        }
    }
}

type Res<T> = Result<T, String>;

fn os_error(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn cstring(bytes: &[u8]) -> CString {
    // The paths are ours and never hold a NUL; an empty string is a safe fallback that
    // makes the call fail loudly instead of panicking.
    CString::new(bytes).unwrap_or_default()
}

/// An fd closed on drop (raw, so the loops call libc on it directly).
struct Fd(RawFd);

impl Fd {
    fn open(path: &CString, flags: libc::c_int) -> Res<Fd> {
        // SAFETY: a NUL-terminated path.
        let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(os_error(&format!("open {}", path.to_string_lossy())));
        }
        Ok(Fd(fd))
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: our own fd, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// Times `ops` calls of `op` (given the operation's index): µs per operation.
fn timed(ops: u64, mut op: impl FnMut(usize) -> Res<()>) -> Res<f64> {
    let started = Instant::now();
    for i in 0..ops {
        op(i as usize)?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / ops.max(1) as f64)
}

/// fork, run `child` in the child (which must exec or exit), wait for it; a child that
/// does not exit with status 0 is an error.
fn fork_wait(child: impl Fn()) -> Res<()> {
    // SAFETY: the worker has a single thread (it was forked from a single-threaded
    // provscope and starts none), so its child may run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_error("fork"));
    }
    if pid == 0 {
        child();
        // SAFETY: leave the child without running the worker's destructors.
        unsafe { libc::_exit(127) };
    }
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(os_error("waitpid"));
        }
    }
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else {
        Err(format!("a child ended with wait status {status:#x}"))
    }
}

/// A program to exec: argv and an empty environment, as C pointers made once.
struct Program {
    _args: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: [*const libc::c_char; 1],
}

impl Program {
    fn new(args: &[&str]) -> Program {
        let args: Vec<CString> = args.iter().map(|a| cstring(a.as_bytes())).collect();
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        Program {
            _args: args,
            argv,
            envp: [std::ptr::null()],
        }
    }

    /// exec it (in a forked child); returns only if exec failed.
    fn exec(&self) {
        // SAFETY: argv and envp are NULL-terminated arrays of NUL-terminated strings
        // that `_args` keeps alive.
        unsafe { libc::execve(self.argv[0], self.argv.as_ptr(), self.envp.as_ptr()) };
    }
}

/// The worker's loops and what they need, prepared outside the timed batches.
struct Loops {
    dir: PathBuf,
    target: CString,
    dev_zero: CString,
    dev_null: CString,
    true_prog: Program,
    sh_prog: Program,
    names: Vec<CString>,
    payload: Vec<u8>,
}

impl Loops {
    fn new(dir: &Path, drop_to: Option<(u32, u32)>) -> Res<Loops> {
        if let Some((uid, gid)) = drop_to {
            // SAFETY: plain syscalls; groups first, then gid, then uid, as each needs the
            // privilege the next one gives up.
            unsafe {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(os_error(&format!("becoming uid {uid}")));
                }
            }
        }
        let target = dir.join("stat-target");
        std::fs::write(&target, b"provscope bench overhead\n")
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        for prog in ["/bin/true", "/bin/sh"] {
            let c = cstring(prog.as_bytes());
            // SAFETY: a NUL-terminated path.
            if unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0 {
                return Err(os_error(prog));
            }
        }
        Ok(Loops {
            dir: dir.to_path_buf(),
            target: cstring(target.as_os_str().as_bytes()),
            dev_zero: cstring(b"/dev/zero"),
            dev_null: cstring(b"/dev/null"),
            true_prog: Program::new(&["/bin/true"]),
            sh_prog: Program::new(&["/bin/sh", "-c", "true"]),
            names: Vec::new(),
            payload: vec![b'p'; 10 * 1024],
        })
    }

    fn run(&mut self, workload: Workload, ops: u64, batches: u32) -> Res<Vec<Vec<f64>>> {
        let mut out = vec![Vec::new(); workload.rows().len()];
        // Batch 0 warms caches, the dentry cache and the allocator, and is not kept.
        for batch in 0..=batches {
            let values = self.batch(workload, ops)?;
            if batch > 0 {
                for (list, v) in out.iter_mut().zip(values) {
                    list.push(v);
                }
            }
        }
        Ok(out)
    }

    fn batch(&mut self, workload: Workload, ops: u64) -> Res<Vec<f64>> {
        let mut byte = 0u8;
        let byte_ptr: *mut libc::c_void = (&raw mut byte).cast();
        Ok(match workload {
            Workload::NullRead => {
                let fd = Fd::open(&self.dev_zero, libc::O_RDONLY)?;
                vec![timed(ops, |_| {
                    // SAFETY: one writable byte.
                    match unsafe { libc::read(fd.0, byte_ptr, 1) } {
                        1 => Ok(()),
                        _ => Err(os_error("read /dev/zero")),
                    }
                })?]
            }
            Workload::NullWrite => {
                let fd = Fd::open(&self.dev_null, libc::O_WRONLY)?;
                vec![timed(ops, |_| {
                    // SAFETY: one readable byte.
                    match unsafe { libc::write(fd.0, byte_ptr, 1) } {
                        1 => Ok(()),
                        _ => Err(os_error("write /dev/null")),
                    }
                })?]
            }
            Workload::Stat => {
                // SAFETY: plain data, filled by stat.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                let path = self.target.as_ptr();
                vec![timed(ops, |_| {
                    // SAFETY: a NUL-terminated path and a writable stat buffer.
                    match unsafe { libc::stat(path, &mut st) } {
                        0 => Ok(()),
                        _ => Err(os_error("stat")),
                    }
                })?]
            }
            Workload::OpenClose => {
                let path = self.target.as_ptr();
                vec![timed(ops, |_| {
                    // SAFETY: a NUL-terminated path; the fd is closed at once.
                    unsafe {
                        let fd = libc::open(path, libc::O_RDONLY | libc::O_CLOEXEC);
                        if fd < 0 {
                            return Err(os_error("open"));
                        }
                        libc::close(fd);
                    }
                    Ok(())
                })?]
            }
            Workload::ForkExit => vec![timed(ops, |_| {
                fork_wait(|| {
                    // SAFETY: the child leaves at once, as LMbench's lat_proc fork.
                    unsafe { libc::_exit(0) }
                })
            })?],
            Workload::ForkExec => {
                let prog = &self.true_prog;
                vec![timed(ops, |_| fork_wait(|| prog.exec()))?]
            }
            Workload::ForkSh => {
                let prog = &self.sh_prog;
                vec![timed(ops, |_| fork_wait(|| prog.exec()))?]
            }
            Workload::Files0k => self.files(ops, 0)?,
            Workload::Files10k => self.files(ops, 10 * 1024)?,
        })
    }

    /// LMbench's lat_fs: create `ops` files of `size` bytes (open O_CREAT, write,
    /// close), then delete them (unlink); µs per file for each half.
    fn files(&mut self, ops: u64, size: usize) -> Res<Vec<f64>> {
        let n = usize::try_from(ops).map_err(|e| e.to_string())?;
        while self.names.len() < n {
            let name = self.dir.join(format!("f{:06}", self.names.len()));
            self.names.push(cstring(name.as_os_str().as_bytes()));
        }
        let names = &self.names[..n];
        let payload = self.payload.as_ptr().cast::<libc::c_void>();
        let create = timed(ops, |i| {
            // SAFETY: a NUL-terminated path; `size` bytes of the payload are readable;
            // the fd is closed at once.
            unsafe {
                let fd = libc::open(
                    names[i].as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC | libc::O_CLOEXEC,
                    0o644,
                );
                if fd < 0 {
                    return Err(os_error("create"));
                }
                let wrote = if size > 0 {
                    libc::write(fd, payload, size)
                } else {
                    0
                };
                libc::close(fd);
                if wrote != size as isize {
                    return Err(os_error("write"));
                }
            }
            Ok(())
        })?;
        let delete = timed(ops, |i| {
            // SAFETY: a NUL-terminated path.
            match unsafe { libc::unlink(names[i].as_ptr()) } {
                0 => Ok(()),
                _ => Err(os_error("unlink")),
            }
        })?;
        Ok(vec![create, delete])
    }

    /// 1-byte reads of /dev/zero for `duration`, looking at the clock every 1024 reads.
    fn spin(&self, duration: Duration) -> Res<(u64, f64)> {
        let fd = Fd::open(&self.dev_zero, libc::O_RDONLY)?;
        let mut byte = 0u8;
        let started = Instant::now();
        let mut ops = 0u64;
        while started.elapsed() < duration {
            for _ in 0..1024 {
                // SAFETY: one writable byte.
                if unsafe { libc::read(fd.0, (&raw mut byte).cast(), 1) } != 1 {
                    return Err(os_error("read /dev/zero"));
                }
            }
            ops += 1024;
        }
        Ok((ops, started.elapsed().as_secs_f64()))
    }
}
