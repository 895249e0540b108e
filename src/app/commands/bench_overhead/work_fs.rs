//! The file system the worker's loops run in. LMbench's file rows time the file system as
//! much as the capture, so where they run decides what the percentages mean. By default
//! the benchmark makes a journaled ext4 for the run, in an image in /dev/shm mounted on
//! a loop device: the common configuration of a Linux root file system, with no disk
//! latency or other tenants' write-back in the timings. A file system without a
//! journal is the trap it avoids: ext4 then skips every inode deleted in the last one to
//! six minutes when it allocates one (`recently_deleted`), so a create on this machine's
//! root took 600-750 µs, grew as the run went on, and its drift hid the capture's cost.
//! `--dir` runs the loops in a chosen directory's file system instead.

use crate::scratch_fs::LoopExt4;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The worker's directory, and the mount made for it (undone on drop).
pub struct WorkFs {
    /// Where the worker works.
    pub dir: PathBuf,
    /// What it is, for the report: "ext4 (journaled, loop image in /dev/shm)", ...
    pub description: String,
    mount: Option<LoopExt4>,
}

impl WorkFs {
    /// A directory in `chosen`'s file system, or (without one) on a journaled ext4 made
    /// for the run under `scratch`; when that cannot be made (no mkfs.ext4, no loop
    /// device), `scratch` itself, with a warning that says why.
    pub fn prepare(scratch: &Path, chosen: Option<&Path>) -> std::io::Result<WorkFs> {
        if let Some(base) = chosen {
            let dir = base.join(format!("provscope-bench-overhead-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            return Ok(WorkFs {
                description: format!("{} at {}", fs_type(&dir), base.display()),
                dir,
                mount: None,
            });
        }
        match LoopExt4::mount(&scratch.join("fs")) {
            Ok(mount) => {
                let dir = mount.dir().join("work");
                std::fs::create_dir_all(&dir)?;
                Ok(WorkFs {
                    dir,
                    description: String::from("ext4 (journaled), a loop image in /dev/shm"),
                    mount: Some(mount),
                })
            }
            Err(why) => {
                let dir = scratch.join("work");
                std::fs::create_dir_all(&dir)?;
                let description = format!("{} at {}", fs_type(&dir), scratch.display());
                eprintln!(
                    "provscope: warning: the file rows run on {description}: no journaled ext4 could be made for them ({why})"
                );
                Ok(WorkFs {
                    dir,
                    description,
                    mount: None,
                })
            }
        }
    }
}

/// Gives this process (and the worker it forks) its own mount namespace, private from the
/// machine's, so that the file system made for the run and its loop device go with the
/// process however it ends (killed included). Must run before any thread starts. When
/// the kernel refuses, the run goes on: its own clean-up still unmounts on every exit it
/// sees.
pub fn private_mounts() {
    // SAFETY: plain syscalls with valid NUL-terminated strings and null data.
    let ok = unsafe {
        libc::unshare(libc::CLONE_NEWNS) == 0
            && libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) == 0
    };
    if !ok {
        eprintln!(
            "provscope: warning: no private mount namespace ({}): a killed run leaves its loop mount behind",
            std::io::Error::last_os_error()
        );
    }
}

impl Drop for WorkFs {
    fn drop(&mut self) {
        if self.mount.is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // A mount goes with its image (LoopExt4's drop).
    }
}

/// The file system type of `dir`, by its statfs magic number.
fn fs_type(dir: &Path) -> &'static str {
    let Ok(path) = CString::new(dir.as_os_str().as_bytes()) else {
        return "unknown file system";
    };
    // SAFETY: plain data, filled by statfs.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a writable statfs buffer.
    if unsafe { libc::statfs(path.as_ptr(), &mut st) } != 0 {
        return "unknown file system";
    }
    match st.f_type {
        0xEF53 => "ext4",
        0x0102_1994 => "tmpfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x2FC1_2FC1 => "zfs",
        0x794C_7630 => "overlayfs",
        _ => "another file system",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_directory_is_used_and_named_by_its_file_system() {
        let base = std::env::temp_dir().join(format!("ps-workfs-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let fs = WorkFs::prepare(Path::new("/nonexistent"), Some(&base)).unwrap();
        assert!(fs.dir.starts_with(&base) && fs.dir.is_dir());
        assert!(fs.mount.is_none());
        assert!(
            fs.description.ends_with(&format!(" at {}", base.display())),
            "{}",
            fs.description
        );
        let dir = fs.dir.clone();
        drop(fs);
        assert!(!dir.exists(), "the worker's directory is removed");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn tmpfs_is_recognised() {
        assert_eq!(fs_type(Path::new("/dev/shm")), "tmpfs");
    }
}
