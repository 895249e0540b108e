//! Applying a [`Policy`] to a CamFlow kernel through its securityfs control files
//! (reference §5.2; binary layouts for x86_64 and CamFlow v0.9.0 in [`layout`]).
//!
//! [`SecurityFs::apply`] writes a whole policy in camconfd's order (`relay_conf`, then the
//! file, type filter, user, group, IPv4 and secctx lists, then the switches);
//! [`SecurityFs::change`] writes only what differs between two policies, taking filters
//! that went away back out (`add=0`, `PROV_SET_DELETE`), so that the TUI can toggle one
//! filter at a time. Every name is checked, and every type id and file xattr read, before
//! the first write, so a policy naming something unknown leaves the kernel as it was (a
//! write the kernel refuses stops the run there, and the error names its file).
//!
//! The root directory is a parameter ([`DEFAULT_ROOT`] on a CamFlow kernel): a plain
//! directory of regular files stands in for it in tests. Control files are opened
//! `O_APPEND`: CamFlow's handlers ignore the file position, and a plain directory then
//! keeps every record written, in order.

pub mod layout;

mod error;
mod plan;
mod state;
#[cfg(test)]
mod tests;
mod types;
mod xattr;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::policy::{Policy, RelayConf};

pub use error::SecurityFsError;
pub use types::TypeTable;

use layout::{ProvElt, SUBTYPE_MASK, TYPE_MASK, prov_filter, relay_conf, with_elt_flags};
use plan::{Step, flag_change, plan};
use state::KernelState;
use types::Resolver;

/// Where a CamFlow kernel mounts its control files.
pub const DEFAULT_ROOT: &str = "/sys/kernel/security/provenance";

/// The ids `relay_conf` stamps into every identifier, as camconfd supplies them at boot
/// (a machine id kept in `/etc/camflow-machine_id`, a boot counter in
/// `/etc/camflow-boot_id`); provscope manages neither file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayIds {
    /// The boot id.
    pub boot_id: u32,
    /// The machine id.
    pub machine_id: u32,
}

/// One write made to the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The control file written, or the file whose `security.provenance` was set.
    pub path: PathBuf,
    /// What the write did: `add read (0x8020000000000001)`, `track root (uid 0)`.
    pub what: String,
}

/// What [`SecurityFs::apply`] or [`SecurityFs::change`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Every write, in order.
    pub written: Vec<Written>,
    /// Parts of the policy left as they were, and why.
    pub notes: Vec<String>,
}

/// A write ready to be made: every id resolved and every xattr read.
enum Ready {
    Control {
        file: &'static str,
        bytes: Vec<u8>,
        what: String,
    },
    Xattr {
        path: PathBuf,
        elt: Box<ProvElt>,
        what: String,
    },
}

/// A CamFlow kernel's securityfs directory.
#[derive(Clone, Debug)]
pub struct SecurityFs {
    root: PathBuf,
    types: Option<TypeTable>,
    relay_ids: Option<RelayIds>,
}

impl SecurityFs {
    /// Opens a directory that looks like CamFlow's (it has `enable` and `type`).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, SecurityFsError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(SecurityFsError::NotCamFlow {
                path: root,
                reason: "no such directory".into(),
            });
        }
        for name in ["enable", "type"] {
            if !root.join(name).exists() {
                return Err(SecurityFsError::NotCamFlow {
                    path: root,
                    reason: format!("no control file `{name}`"),
                });
            }
        }
        Ok(SecurityFs {
            root,
            types: None,
            relay_ids: None,
        })
    }

    /// Opens [`DEFAULT_ROOT`].
    pub fn open_default() -> Result<Self, SecurityFsError> {
        Self::open(DEFAULT_ROOT)
    }

    /// Resolves type names from `table` instead of the kernel's `type` file (which only a
    /// CamFlow kernel can answer).
    pub fn with_type_table(mut self, table: TypeTable) -> Self {
        self.types = Some(table);
        self
    }

    /// The ids to write into `relay_conf` when the relay is not configured yet.
    pub fn with_relay_ids(mut self, ids: RelayIds) -> Self {
        self.relay_ids = Some(ids);
        self
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The 64-bit id of a node or relation type name, None when the kernel does not know
    /// it.
    pub fn type_id(&self, name: &str, relation: bool) -> Result<Option<u64>, SecurityFsError> {
        Resolver::new(&self.root, self.types.as_ref()).id(name, relation)
    }

    /// Writes a whole policy.
    pub fn apply(&self, policy: &Policy) -> Result<Applied, SecurityFsError> {
        let state = KernelState::of(policy)?;
        let mut applied = Applied::default();
        let mut ready = Vec::new();
        if let Some(relay) = state.relay {
            ready.extend(self.relay(relay, state.machine_id, &mut applied.notes)?);
        }
        ready.extend(self.prepare(plan(&KernelState::default(), &state))?);
        self.run(ready, &mut applied)?;
        Ok(applied)
    }

    /// Writes only what differs from `before` (a policy applied earlier) to `after`.
    pub fn change(&self, before: &Policy, after: &Policy) -> Result<Applied, SecurityFsError> {
        let (old, new) = (KernelState::of(before)?, KernelState::of(after)?);
        let mut applied = Applied::default();
        if old.relay != new.relay || old.machine_id != new.machine_id {
            applied.notes.push(
                "[relay] and machine_id are written once, at boot (relay_conf): \
                 the change takes effect at the next boot"
                    .into(),
            );
        }
        let ready = self.prepare(plan(&old, &new))?;
        self.run(ready, &mut applied)?;
        Ok(applied)
    }

    /// The `relay_conf` write, or a note saying why there is none: the kernel takes it
    /// once, and a kernel that shows a boot or machine id has had it.
    fn relay(
        &self,
        relay: RelayConf,
        machine_id: Option<u32>,
        notes: &mut Vec<String>,
    ) -> Result<Option<Ready>, SecurityFsError> {
        let (boot, machine) = (self.read_id("boot_id")?, self.read_id("machine_id")?);
        if boot != 0 || machine != 0 {
            notes.push(format!(
                "relay_conf not written: the relay is already configured \
                 (boot_id {boot}, machine_id {machine}); [relay] takes effect at the next boot"
            ));
            if let Some(wanted) = machine_id.filter(|m| *m != 0 && *m != machine) {
                notes.push(format!(
                    "machine_id={wanted} not applied: the kernel's is {machine} until the next boot"
                ));
            }
            return Ok(None);
        }
        let Some(ids) = self.relay_ids else {
            notes.push(
                "relay_conf not written: the relay is not configured and no boot and \
                 machine ids were given"
                    .into(),
            );
            return Ok(None);
        };
        Ok(Some(Ready::Control {
            file: "relay_conf",
            bytes: relay_conf(ids.boot_id, ids.machine_id, relay.buff_exp, relay.subuf_nb).to_vec(),
            what: format!(
                "boot_id={} machine_id={} buff_exp={} subuf_nb={}",
                ids.boot_id, ids.machine_id, relay.buff_exp, relay.subuf_nb
            ),
        }))
    }

    /// A binary u32 id file (`boot_id`, `machine_id`), 0 when absent or empty. One
    /// `read`: the kernel's handler answers every read with the buffer's length.
    fn read_id(&self, name: &str) -> Result<u32, SecurityFsError> {
        let path = self.root.join(name);
        let Ok(mut file) = File::open(&path) else {
            return Ok(0);
        };
        let mut id = [0u8; 4];
        let n = file
            .read(&mut id)
            .map_err(|e| SecurityFsError::io(&path, "read", e))?;
        Ok(if n == 4 { u32::from_le_bytes(id) } else { 0 })
    }

    /// Resolves every type id and reads every xattr the plan needs, before any write.
    fn prepare(&self, steps: Vec<Step>) -> Result<Vec<Ready>, SecurityFsError> {
        let mut resolver = Resolver::new(&self.root, self.types.as_ref());
        let mut ready = Vec::with_capacity(steps.len());
        for step in steps {
            ready.push(match step {
                Step::Write { file, bytes, what } => Ready::Control { file, bytes, what },
                Step::TypeFilter {
                    file,
                    filter,
                    name,
                    add,
                } => {
                    let relation = file.category.is_some();
                    let kind = if relation { "relation" } else { "node" };
                    let id = resolver.id(&name, relation)?.ok_or_else(|| {
                        SecurityFsError::filter(
                            &filter,
                            format!("the kernel knows no {kind} type named '{name}'"),
                        )
                    })?;
                    if let Some(category) = file.category.filter(|c| id & TYPE_MASK != *c) {
                        return Err(SecurityFsError::filter(
                            &filter,
                            format!(
                                "the kernel's id {id:#018x} for '{name}' is not in {}'s \
                                 category ({category:#018x})",
                                file.name
                            ),
                        ));
                    }
                    let verb = if add { "add" } else { "remove" };
                    Ready::Control {
                        file: file.name,
                        bytes: prov_filter(id, SUBTYPE_MASK, add).to_vec(),
                        what: format!("{verb} {name} ({id:#018x})"),
                    }
                }
                Step::Xattr { path, set, clear } => {
                    let path = PathBuf::from(path);
                    let elt = Box::new(with_elt_flags(&xattr::read(&path)?, set, clear));
                    let what = flag_change(set, clear);
                    Ready::Xattr { path, elt, what }
                }
            });
        }
        Ok(ready)
    }

    fn run(&self, ready: Vec<Ready>, applied: &mut Applied) -> Result<(), SecurityFsError> {
        for step in ready {
            let (path, what) = match step {
                Ready::Control { file, bytes, what } => (self.write_control(file, &bytes)?, what),
                Ready::Xattr { path, elt, what } => {
                    xattr::write(&path, &elt)?;
                    (path, what)
                }
            };
            applied.written.push(Written { path, what });
        }
        Ok(())
    }

    /// One `write(2)` of one struct, as libprovenance does: the kernel takes a whole
    /// struct per call and answers 0 (the switches) or more than was written (`uid`,
    /// `gid`, `ns` and `secctx_filter` return the size of their list node), which
    /// `write_all` would take for a failure or panic on.
    fn write_control(&self, file: &str, bytes: &[u8]) -> Result<PathBuf, SecurityFsError> {
        let path = self.root.join(file);
        let mut handle = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| SecurityFsError::io(&path, "open for writing", e))?;
        handle
            .write(bytes)
            .map_err(|e| SecurityFsError::io(&path, format!("write {} bytes", bytes.len()), e))?;
        Ok(path)
    }
}
