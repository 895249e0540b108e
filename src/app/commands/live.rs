//! `provscope attach SOURCE` and `provscope live`: the terminal UI on a live source, the
//! graph growing while the user explores it. `attach` follows a growing file, a fifo,
//! stdin, camflowd's unix socket, a capture daemon or CamFlow's relay channels; `live`
//! captures this machine (root) and can save what it captures.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::load_capture_policy;
use crate::app::commands::open::require_terminal;
use crate::app::run::{TraceSource, run_tui};
use crate::capture::ebpf::probe::{ProbeError, has_privilege};
use crate::capture::transport::feed::{ControlHandle, LiveSource};
use crate::policy::control::PolicyControl;
use std::path::PathBuf;
use std::sync::Arc;

/// Attaches to a live source.
pub fn attach(arg: &str) -> CommandResult {
    let source = LiveSource::parse(arg).map_err(|e| Failure::input(anyhow::anyhow!(e)))?;
    match &source {
        LiveSource::File(p) | LiveSource::Fifo(p) if !p.exists() => {
            return Err(Failure::input(anyhow::anyhow!(
                "cannot attach to '{}': no such file",
                p.display()
            )));
        }
        LiveSource::Daemon { path, .. } if !path.exists() => {
            return Err(Failure::input(anyhow::anyhow!(
                "no capture daemon at '{}' (start one with: provscope capture --serve {})",
                path.display(),
                path.display()
            )));
        }
        _ => {}
    }
    require_terminal()?;
    let bound = match &source {
        LiveSource::Unix(path) => Some(path.clone()),
        _ => None,
    };
    let result = run_tui(TraceSource::Live(source)).map_err(Failure::other);
    // The feed thread may still be waiting on the socket when the process ends: the
    // binding it made is removed here, so the next reader finds the path free.
    if let Some(path) = bound {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Captures this machine and explores it live, under `policy` (camflow.ini) if given,
/// with exec's environment when `env` asks for it.
pub fn live(save: Option<String>, policy: Option<String>, env: bool) -> CommandResult {
    // Said before the screen changes, so the reason stays readable.
    if !has_privilege() {
        return Err(Failure::other(ProbeError::Privilege));
    }
    let policy = load_capture_policy(policy.as_deref())?;
    require_terminal()?;
    let source = LiveSource::Capture {
        save: save.map(PathBuf::from),
        control: ControlHandle(Arc::new(PolicyControl::new(policy))),
        env,
    };
    run_tui(TraceSource::Live(source)).map_err(Failure::other)
}
