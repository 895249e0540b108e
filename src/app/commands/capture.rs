//! `provscope capture`: headless whole-system capture to a file or stdout, in camflowd's
//! W3C layout (or SPADE). With `-- CMD`, runs the command and stops when it exits;
//! `--track` narrows the capture to that command's process tree and what it touches.
//! The capture is opaque to itself (its process and its output file), so it never records
//! its own work. Ctrl-C and SIGTERM end it cleanly with counts on stderr. With `--serve`,
//! it is a daemon that outlives the terminal (SIGHUP is ignored): terminal UIs attach to
//! its socket, watch the stream and change its policy.

use crate::app::cli::{CommandResult, Failure, OutputFormat};
use crate::app::commands::load_capture_policy;
use crate::capture::CaptureError;
use crate::capture::builder::host::Host;
use crate::capture::builder::type_filter::TypeFilter;
use crate::capture::camflow::reader::{ReaderOptions, read_trace};
use crate::capture::camflow::spade_write;
use crate::capture::ebpf::probe::{COMPRESSED_SLOT, COUNTER_NAMES, PACKETS_SLOT, Probe, TRACKED};
use crate::capture::recorder::{Recorder, RecordingReport, make_opaque};
use crate::capture::transport::daemon::Message;
use crate::capture::transport::daemon::server::{ServeSink, Server};
use crate::graph::ProvGraph;
use crate::policy::control::PolicyControl;
use crate::policy::kernel::Following;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to capture.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// Output file, `-` for stdout; None: stdout, or nothing when serving.
    pub output: Option<String>,
    /// W3C or SPADE.
    pub format: OutputFormat,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Only the command's process tree and what it touches.
    pub track: bool,
    /// A camflow.ini policy file.
    pub policy: Option<String>,
    /// Record exec's environment (envp) too.
    pub env: bool,
    /// A command to run (and stop with).
    pub command: Vec<String>,
    /// Serve the capture on this socket.
    pub serve: Option<PathBuf>,
}

/// How often a daemon tells its clients the counters.
const TELL_EVERY: Duration = Duration::from_secs(1);

/// A daemon keeps running when the terminal that started it goes away.
fn ignore_hangups() {
    // SAFETY: setting a signal's disposition to ignore has no preconditions.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

/// A started command held before exec until the capture is ready for it.
struct Held {
    pid: libc::pid_t,
    release: File,
}

impl Held {
    /// The exit status once the command has ended (reaped), else None.
    fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        use std::os::unix::process::ExitStatusExt;
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid status pointer.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        (r == self.pid).then(|| std::process::ExitStatus::from_raw(status))
    }
}

/// Forks the command and holds it before exec until [`Held::release`] is written, so
/// that tracking is in place before its first instruction. (std's `spawn` cannot do
/// this: it waits for the exec to succeed.)
fn spawn_held(command: &[String]) -> io::Result<Held> {
    use std::ffi::CString;
    let args: Vec<CString> = command
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in the command"))?;
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fork in a process whose other threads hold no locks the child needs: the
    // child only calls read, execvp and _exit, all async-signal-safe, on memory
    // prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; argv is NUL-terminated and outlives the call.
        unsafe {
            let mut byte = 0u8;
            libc::close(fds[1]);
            libc::read(fds[0], (&mut byte as *mut u8).cast(), 1);
            libc::execvp(argv[0], argv.as_ptr());
            libc::_exit(127);
        }
    }
    // SAFETY: both fds are ours; the parent keeps only the write end.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is a fresh fd nothing else owns.
    let release = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
    Ok(Held { pid, release })
}

/// A device number in the kernel's encoding.
/// Runs the command.
pub fn run(opts: &CaptureOptions) -> CommandResult {
    if opts.format == OutputFormat::Dot {
        return Err(Failure::input(anyhow::anyhow!(
            "capture writes w3c or spade; convert the recording with 'provscope convert --to dot'"
        )));
    }
    if opts.serve.is_some() && opts.format == OutputFormat::Spade {
        return Err(Failure::input(anyhow::anyhow!(
            "--serve streams camflowd's W3C layout; convert the recording to SPADE afterwards"
        )));
    }
    let control = PolicyControl::new(load_capture_policy(opts.policy.as_deref())?);
    // Before loading (which takes the verifier a while): a Ctrl-C meanwhile ends the
    // capture as soon as it runs, instead of being lost or killing it half set up.
    super::interrupt::install();
    // Loaded now, attached once the filters are set, so that a tracked capture never
    // records the rest of the machine in its first moments.
    let mut probe = Probe::load().map_err(Failure::other)?;
    let output = match (&opts.output, &opts.serve) {
        (Some(o), _) => Some(o.as_str()),
        (None, None) => Some("-"),
        (None, Some(_)) => None,
    };
    let write_err = |source: io::Error| {
        Failure::other(CaptureError::Write {
            path: output.unwrap_or("-").to_string(),
            source,
        })
    };
    let control = Arc::new(control);
    let server = match &opts.serve {
        Some(path) => {
            let server = Server::start(path, Arc::clone(&control)).map_err(|e| {
                Failure::input(anyhow::anyhow!("cannot serve at '{}': {e}", path.display()))
            })?;
            ignore_hangups();
            eprintln!(
                "provscope: serving the capture at '{}' (owner-only); attach with: provscope attach daemon:{}",
                crate::text::sanitize(&path.display().to_string()),
                crate::text::sanitize(&path.display().to_string())
            );
            Some(server)
        }
        None => None,
    };
    // SPADE output is made from the W3C stream at the end (the graph holds it).
    let mut spade_buffer: Vec<u8> = Vec::new();
    let out: Option<Box<dyn Write>> = if opts.format == OutputFormat::Spade {
        Some(Box::new(&mut spade_buffer))
    } else if let Some(path) = output.filter(|o| *o != "-") {
        let file = File::create(path).map_err(write_err)?;
        make_opaque(&mut probe, &file).map_err(Failure::other)?;
        Some(Box::new(BufWriter::new(file)))
    } else if output.is_some() {
        Some(Box::new(BufWriter::new(io::stdout().lock())))
    } else {
        None
    };
    let mut sink: Box<dyn Write> = match &server {
        Some(server) => Box::new(ServeSink::new(out, server)),
        None => out.unwrap_or_else(|| Box::new(io::sink())),
    };

    let mut held = match opts.command.first() {
        Some(_) => Some(spawn_held(&opts.command).map_err(|e| {
            Failure::input(anyhow::anyhow!("cannot run '{}': {e}", opts.command[0]))
        })?),
        None => None,
    };
    if let Some(h) = &held
        && opts.track
    {
        let pid = u32::try_from(h.pid).unwrap_or_default();
        probe.set_process(pid, TRACKED).map_err(Failure::other)?;
        probe.set_track_only(true).map_err(Failure::other)?;
    }
    probe.set_env(opts.env).map_err(Failure::other)?;
    let mut recorder = Recorder::new(Host::read(), &mut sink);
    let mut following =
        Following::start(&control, &mut probe, recorder.builder_mut()).map_err(Failure::other)?;
    for note in &following.notes {
        eprintln!("provscope: policy: {}", crate::text::sanitize(note));
    }
    if server.is_some() {
        // Clients see each step's elements at once.
        recorder.set_document_every(Duration::ZERO);
    }
    probe.attach().map_err(Failure::other)?;
    if let Some(h) = &mut held {
        h.release.write_all(b"x").map_err(write_err)?;
    }

    let started = Instant::now();
    let mut told = Instant::now();
    let mut child_status = None;
    let mut ending = false;
    loop {
        for note in following
            .sync(&control, &mut probe, recorder.builder_mut())
            .map_err(Failure::other)?
        {
            eprintln!("provscope: policy: {}", crate::text::sanitize(&note));
            if let Some(server) = &server {
                server.tell(&Message::Note(note));
            }
        }
        if let Some(server) = &server
            && told.elapsed() >= TELL_EVERY
        {
            told = Instant::now();
            tell_counters(server, &probe, &following, recorder.filter_mut());
        }
        let drained = recorder
            .pump(&mut probe, Duration::from_millis(50))
            .map_err(write_err)?;
        if ending {
            // Detached: the ring buffer holds all there will be, and is drained to the
            // last record however busy the machine was.
            if drained == 0 {
                break;
            }
            continue;
        }
        let timed_out = opts.duration.is_some_and(|d| started.elapsed() >= d);
        if let Some(h) = &mut held
            && child_status.is_none()
        {
            child_status = h.try_wait();
        }
        if super::interrupt::requested() || timed_out || child_status.is_some() {
            // Nothing is recorded from here on (a detach returns once no program runs
            // any more), so every record the kernel wrote before is in the ring buffer.
            probe.detach().map_err(Failure::other)?;
            ending = true;
        }
    }
    let dropped = recorder.filter_mut().dropped.clone();
    let recording = recorder.finish().map_err(write_err)?;
    drop(sink);
    if let Some(server) = &server {
        server.tell(&Message::Note(String::from("the capture daemon stopped")));
    }
    if opts.format == OutputFormat::Spade {
        write_spade(&spade_buffer, output.unwrap_or("-")).map_err(write_err)?;
    }
    report(&probe, &recording, started.elapsed());
    if !dropped.is_empty() {
        let by: Vec<String> = dropped
            .iter()
            .map(|(f, t)| format!("{f} {}", t.elements))
            .collect();
        eprintln!("provscope: policy dropped: {}", by.join(", "));
    }
    match child_status {
        Some(s) if !s.success() => Err(Failure::other(anyhow::anyhow!(
            "the captured command failed ({s}); its capture was written"
        ))),
        _ => Ok(()),
    }
}

/// Tells the daemon's clients the kernel counters and what the filters did.
fn tell_counters(server: &Server, probe: &Probe, following: &Following, filter: &TypeFilter) {
    let counters = COUNTER_NAMES
        .iter()
        .map(|n| n.to_string())
        .zip(probe.counters())
        .collect();
    server.tell(&Message::Counters(counters));
    server.tell(&Message::Filters(following.report(filter)));
}

fn write_spade(w3c: &[u8], output: &str) -> io::Result<()> {
    let mut graph = ProvGraph::new();
    read_trace(io::Cursor::new(w3c), &ReaderOptions::default(), &mut graph)?;
    let mut out: Box<dyn Write> = if output == "-" {
        Box::new(BufWriter::new(io::stdout().lock()))
    } else {
        Box::new(BufWriter::new(File::create(output)?))
    };
    spade_write::write_spade(&graph, &mut out)?;
    out.flush()
}

fn report(probe: &Probe, recording: &RecordingReport, elapsed: Duration) {
    let (builder, written) = (&recording.builder, &recording.written);
    let counters = probe.counters();
    let secs = elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "provscope: captured {} record(s) in {:.1}s ({:.0}/s): wrote {} node(s) and {} relation(s); {} repeat relation(s) compressed, {} repeated call(s) compressed in the kernel",
        builder.records,
        secs,
        builder.records as f64 / secs,
        written.nodes,
        written.edges,
        builder.compressed,
        counters.get(COMPRESSED_SLOT).copied().unwrap_or(0)
    );
    let drops: Vec<String> = COUNTER_NAMES
        .iter()
        .zip(&counters)
        .enumerate()
        .filter(|(slot, (_, n))| ![0, COMPRESSED_SLOT, PACKETS_SLOT].contains(slot) && **n > 0)
        .map(|(_, pair)| pair)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    eprintln!(
        "provscope: kernel: {} record(s) sent ({} packet(s)); {}",
        counters.first().copied().unwrap_or(0),
        counters.get(PACKETS_SLOT).copied().unwrap_or(0),
        if drops.is_empty() {
            String::from("nothing dropped or filtered")
        } else {
            drops.join(", ")
        }
    );
    if recording.stale_refs > 0 {
        eprintln!(
            "provscope: {} record(s) named an object the builder had already forgotten",
            recording.stale_refs
        );
    }
    if recording.decode_errors > 0 {
        eprintln!(
            "provscope: {} record(s) could not be decoded",
            recording.decode_errors
        );
    }
}
