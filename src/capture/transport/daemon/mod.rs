//! The capture daemon's socket (`provscope capture --serve PATH`, `attach daemon:PATH`,
//! `provscope filter PATH`): a headless capture that outlives the SSH session, streaming
//! what it records to the terminal UIs attached to it and taking filter commands from
//! them. This module owns the wire protocol; [`server`] and [`client`] its two ends.
//!
//! The stream is camflowd's W3C lines (one JSON document a line, exactly as recorded),
//! with the daemon's own messages between them on lines starting with `#` (which no W3C
//! line does): a [`Message`] as JSON. Clients send [`Command`]s, one JSON object a line.
//! The socket is created owner-only (0600), and the daemon checks every peer's
//! credentials (SO_PEERCRED) before it sends or accepts anything: only root and the
//! daemon's owner are served; anyone else gets one `refused` message and is hung up on.

pub mod client;
pub mod server;

use crate::policy::control::FilterReport;
use serde::{Deserialize, Serialize};
use std::io;
use std::os::fd::AsRawFd;

/// What starts a daemon message line.
pub const MESSAGE_MARK: u8 = b'#';

/// The longest command line a daemon reads (a camflow.ini policy fits many times over);
/// a longer one ends the connection, so a hostile peer cannot make it buffer forever.
pub const MAX_COMMAND: u64 = 1 << 20;

/// From the daemon to a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// The first message on an accepted connection.
    Hello {
        /// The daemon's provscope version.
        version: String,
        /// Its process id.
        pid: u32,
        /// The capture's policy now, as camflow.ini.
        policy: String,
    },
    /// The policy changed (by any client): the new one, as camflow.ini.
    Policy {
        /// camflow.ini text.
        policy: String,
    },
    /// The capture's kernel counters, cumulative, by name.
    Counters(Vec<(String, u64)>),
    /// What the policy let through and dropped so far (cumulative).
    Filters(FilterReport),
    /// Something the user should know.
    Note(String),
    /// The answer to a command.
    Reply {
        /// Whether the command was carried out.
        ok: bool,
        /// What happened, for a person.
        text: String,
    },
    /// The connection is not served (the peer is neither root nor the daemon's owner).
    Refused(String),
}

/// From a client to the daemon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Replace the capture's policy (camflow.ini text).
    SetPolicy(String),
    /// Stop sending the recorded stream to this client (a command-line client only
    /// wants answers).
    Quiet,
}

impl Message {
    /// The message as one line, mark and line end included.
    pub fn line(&self) -> Vec<u8> {
        let mut out = vec![MESSAGE_MARK];
        // Serialising these plain types cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out.push(b'\n');
        out
    }

    /// Reads a message line (without its mark).
    pub fn parse(text: &[u8]) -> Result<Message, String> {
        serde_json::from_slice(text).map_err(|e| format!("a daemon message makes no sense: {e}"))
    }
}

impl Command {
    /// The command as one line.
    pub fn line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Who is at the other end of a unix socket: (pid, uid, gid), from SO_PEERCRED (what
/// the kernel recorded at connect time, which the peer cannot forge).
pub fn peer_credentials(socket: &impl AsRawFd) -> io::Result<(i32, u32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: cred and len are valid for writes of the sizes given.
    let r = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((cred.pid, cred.uid, cred.gid))
}

/// Whether a peer of this uid may use a daemon owned by `owner`.
pub fn may_control(peer_uid: u32, owner: u32) -> bool {
    peer_uid == 0 || peer_uid == owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_commands_round_trip_on_one_line() {
        let m = Message::Filters(FilterReport::default());
        let line = m.line();
        assert_eq!(line[0], MESSAGE_MARK);
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(Message::parse(&line[1..]).unwrap(), m);
        let c = Command::SetPolicy(String::from("[provenance]\nrelation_filter=read\n"));
        let line = c.line();
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(serde_json::from_slice::<Command>(&line).unwrap(), c);
        assert!(Message::parse(b"{\"nonsense\":1}").is_err());
    }

    #[test]
    fn only_root_and_the_owner_may_control() {
        assert!(may_control(0, 1000));
        assert!(may_control(1000, 1000));
        assert!(!may_control(1001, 1000));
        assert!(!may_control(65534, 0));
    }

    #[test]
    fn peer_credentials_are_the_connecting_process() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (pid, uid, _) = peer_credentials(&a).unwrap();
        assert_eq!(pid as u32, std::process::id());
        // SAFETY: geteuid has no preconditions.
        assert_eq!(uid, unsafe { libc::geteuid() });
    }
}
