//! `provscope filter SOCKET`: changes the filters of a running capture daemon from the
//! command line (`--on`/`--off` one filter at a time, or a whole `--policy` file), then
//! prints the capture's policy as camflow.ini. With no change asked, it only prints it.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::load_policy;
use crate::capture::transport::daemon::Command;
use crate::capture::transport::daemon::client::Session;
use crate::policy::{Filter, ini};
use std::io::IsTerminal;
use std::path::Path;

/// What to change.
#[derive(Clone, Debug, Default)]
pub struct FilterChange {
    /// Filters to turn on.
    pub on: Vec<String>,
    /// Filters to turn off.
    pub off: Vec<String>,
    /// A whole policy to put in place first.
    pub policy: Option<String>,
}

/// Runs the command.
pub fn run(socket: &Path, change: &FilterChange) -> CommandResult {
    let parse = |texts: &[String]| -> Result<Vec<Filter>, Failure> {
        texts
            .iter()
            .map(|t| Filter::parse(t).map_err(|e| Failure::input(anyhow::anyhow!(e))))
            .collect()
    };
    let (on, off) = (parse(&change.on)?, parse(&change.off)?);
    let mut session = Session::open(socket).map_err(|e| Failure::other(anyhow::anyhow!(e)))?;
    let mut policy = match &change.policy {
        Some(path) => load_policy(path)?.policy,
        None => session.policy.clone(),
    };
    for f in on {
        policy.insert(f);
    }
    for f in &off {
        policy.remove(f);
    }
    if policy != session.policy {
        let answer = session
            .request(&Command::SetPolicy(ini::to_string(&policy)))
            .map_err(|e| Failure::other(anyhow::anyhow!("the daemon refused: {e}")))?;
        eprintln!("provscope: {}", crate::text::sanitize(&answer));
    }
    let text = ini::to_string(&policy);
    // Names in a policy are anyone's; a terminal gets them without control characters.
    if std::io::stdout().is_terminal() {
        for line in text.lines() {
            println!("{}", crate::text::sanitize(line));
        }
    } else {
        print!("{text}");
    }
    Ok(())
}
