//! Running the real binary in a pseudo-terminal: keys go in as the bytes a terminal
//! sends, the output is kept raw (to check what reaches the terminal) and fed to a vt100
//! emulator (to read the screen). Waiting is always for a condition, with a deadline.

#![allow(dead_code)]

use portable_pty::{CommandBuilder, NativePtySystem, PtySize, PtySystem};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any expected screen may take to appear.
const DEADLINE: Duration = Duration::from_secs(20);

/// The binary under test, running in a pty.
pub struct PtyApp {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    raw: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl PtyApp {
    /// Starts `provscope args...` in a `cols`x`rows` terminal.
    pub fn spawn(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> PtyApp {
        PtyApp::spawn_program(env!("CARGO_BIN_EXE_provscope"), args, cols, rows, env)
    }

    /// Starts any program in a `cols`x`rows` terminal.
    pub fn spawn_program(
        program: &str,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> PtyApp {
        let pty = NativePtySystem::default()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let raw = Arc::new(Mutex::new(Vec::new()));
        let sink = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        PtyApp {
            child,
            writer,
            raw,
            _master: pty.master,
        }
    }

    /// Every byte the program wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().expect("lock").clone()
    }

    /// The screen as a terminal shows it now.
    pub fn screen(&self, cols: u16, rows: u16) -> vt100::Parser {
        let nz = |v: u16| std::num::NonZeroU16::new(v.max(1)).expect("non-zero");
        let mut p = vt100::Parser::new(nz(rows), nz(cols), 0);
        p.process(&self.raw());
        p
    }

    /// Sends bytes as typed keys.
    pub fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Waits until the screen contains `text`; panics with the screen if it never does.
    pub fn wait_for(&self, text: &str, cols: u16, rows: u16) -> String {
        let start = Instant::now();
        loop {
            let contents = self.screen(cols, rows).screen().contents();
            if contents.contains(text) {
                return contents;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "'{text}' never appeared; screen:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            assert!(start.elapsed() < DEADLINE, "program did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Key bytes as an xterm sends them.
pub mod keys {
    /// Enter.
    pub const ENTER: &[u8] = b"\r";
    /// Escape.
    pub const ESC: &[u8] = b"\x1b";
    /// Backspace.
    pub const BACKSPACE: &[u8] = b"\x7f";
    /// Tab.
    pub const TAB: &[u8] = b"\t";
    /// Down arrow.
    pub const DOWN: &[u8] = b"\x1b[B";
    /// F1.
    pub const F1: &[u8] = b"\x1bOP";
    /// F2.
    pub const F2: &[u8] = b"\x1bOQ";
    /// F4.
    pub const F4: &[u8] = b"\x1bOS";
    /// F5.
    pub const F5: &[u8] = b"\x1b[15~";
    /// F6.
    pub const F6: &[u8] = b"\x1b[17~";
    /// F8.
    pub const F8: &[u8] = b"\x1b[19~";
    /// F10.
    pub const F10: &[u8] = b"\x1b[21~";
}
