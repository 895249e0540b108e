//! The timed loops of `bench overhead`'s worker process, and what they need prepared
//! outside the timed batches (files, programs to exec, an unprivileged user). They call
//! libc directly so that they time the system calls, not std's wrappers.

use super::worker::Workload;
use std::ffi::CString;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A loop's result: a failure is the reason, sent to the parent as text.
pub(super) type Res<T> = Result<T, String>;

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
pub(super) struct Loops {
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
    pub(super) fn new(dir: &Path, drop_to: Option<(u32, u32)>) -> Res<Loops> {
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

    /// `batches` timed batches, after one that is not kept when `warm_up` (it warms
    /// caches, the dentry cache and the allocator).
    pub(super) fn run(
        &mut self,
        workload: Workload,
        ops: u64,
        batches: u32,
        warm_up: bool,
    ) -> Res<Vec<Vec<f64>>> {
        let mut out = vec![Vec::new(); workload.rows().len()];
        for batch in u32::from(!warm_up)..=batches {
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

    /// 1-byte reads of /dev/zero for `duration`, each followed by a 1-byte write to
    /// /dev/null when `copy` (a copy loop: every call then changes what the next one
    /// relates, so none folds into a repeat); looks at the clock every 1024 calls.
    /// Returns the calls made and the seconds taken.
    pub(super) fn spin(&self, duration: Duration, copy: bool) -> Res<(u64, f64)> {
        let fd = Fd::open(&self.dev_zero, libc::O_RDONLY)?;
        let out = Fd::open(&self.dev_null, libc::O_WRONLY)?;
        let mut byte = 0u8;
        let started = Instant::now();
        let mut ops = 0u64;
        while started.elapsed() < duration {
            for i in 0..1024 {
                if copy && i % 2 == 1 {
                    // SAFETY: one readable byte.
                    if unsafe { libc::write(out.0, (&raw const byte).cast(), 1) } != 1 {
                        return Err(os_error("write /dev/null"));
                    }
                // SAFETY: one writable byte.
                } else if unsafe { libc::read(fd.0, (&raw mut byte).cast(), 1) } != 1 {
                    return Err(os_error("read /dev/zero"));
                }
            }
            ops += 1024;
        }
        Ok((ops, started.elapsed().as_secs_f64()))
    }
}
