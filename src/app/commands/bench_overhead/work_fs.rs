//! The file system the worker's loops run in. LMbench's file rows time the file system as
//! much as the capture, so where they run decides what the percentages mean. By default
//! the benchmark makes a journaled ext4 for the run, in an image in /dev/shm mounted on
//! a loop device: the common configuration of a Linux root file system, with no disk
//! latency or other tenants' write-back in the timings. A file system without a
//! journal is the trap it avoids: ext4 then skips every inode deleted in the last one to
//! six minutes when it allocates one (`recently_deleted`), so a create on this machine's
//! root took 600-750 µs, grew as the run went on, and its drift hid the capture's cost.
//! `--dir` runs the loops in a chosen directory's file system instead.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Size of the image (sparse: only what the run writes takes memory).
const IMAGE_BYTES: u64 = 512 << 20;

/// The worker's directory, and the mount made for it (undone on drop).
pub struct WorkFs {
    /// Where the worker works.
    pub dir: PathBuf,
    /// What it is, for the report: "ext4 (journaled, loop image in /dev/shm)", ...
    pub description: String,
    mount: Option<LoopMount>,
}

/// A loop-mounted image: unmounted and deleted on drop.
struct LoopMount {
    image: PathBuf,
    point: PathBuf,
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        let unmounted = quiet("umount", &[self.point.as_os_str()]).is_ok()
            // Busy (a file still open somewhere): detach it now, it goes once closed.
            || quiet("umount", &["-l".as_ref(), self.point.as_os_str()]).is_ok();
        if unmounted {
            let _ = std::fs::remove_dir(&self.point);
        }
        let _ = std::fs::remove_file(&self.image);
    }
}

/// Runs a system tool, its output kept for the error.
fn quiet(program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
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
        match loop_ext4(scratch) {
            Ok(mount) => {
                let dir = mount.point.join("work");
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

impl Drop for WorkFs {
    fn drop(&mut self) {
        if self.mount.is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // A mount goes with its image (LoopMount's drop).
    }
}

/// Makes, formats and mounts the image. Inode tables and journal are written at mkfs
/// time (not lazily), so no kernel thread initialises them during the timed batches.
fn loop_ext4(scratch: &Path) -> Result<LoopMount, String> {
    let image = PathBuf::from(format!(
        "/dev/shm/provscope-bench-overhead-{}.img",
        std::process::id()
    ));
    let point = scratch.join("fs");
    std::fs::create_dir_all(&point).map_err(|e| format!("{}: {e}", point.display()))?;
    let file = std::fs::File::create(&image).map_err(|e| format!("{}: {e}", image.display()))?;
    file.set_len(IMAGE_BYTES)
        .map_err(|e| format!("{}: {e}", image.display()))?;
    drop(file);
    // From here on the drop cleans up: the image, and the mount once made.
    let mount = LoopMount { image, point };
    quiet(
        "mkfs.ext4",
        &[
            "-q".as_ref(),
            "-F".as_ref(),
            "-E".as_ref(),
            "lazy_itable_init=0,lazy_journal_init=0".as_ref(),
            mount.image.as_os_str(),
        ],
    )?;
    quiet(
        "mount",
        &[
            "-o".as_ref(),
            "loop".as_ref(),
            mount.image.as_os_str(),
            mount.point.as_os_str(),
        ],
    )?;
    Ok(mount)
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
