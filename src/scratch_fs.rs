//! A journaled ext4 made for a while: a sparse image in /dev/shm, formatted and mounted on
//! a loop device, unmounted and deleted when dropped (root only). The overhead benchmark
//! runs its loops on one (the common root file system, without a disk's latency), and the
//! capture tests use one where they need ext4's behaviour: a deleted inode's number is
//! given to the next file at once, which this machine's journal-less root never does.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Size of the image (sparse: only what is written takes memory).
const IMAGE_BYTES: u64 = 512 << 20;

/// Images made by this process so far, to name the next one.
static MADE: AtomicU32 = AtomicU32::new(0);

/// The mounted file system.
pub struct LoopExt4 {
    image: PathBuf,
    point: PathBuf,
}

impl LoopExt4 {
    /// Makes the image and mounts it at `point` (created if missing). Inode tables and
    /// journal are written now, not lazily, so that no kernel thread initialises them
    /// later, under a measurement. The error says which step failed and why.
    pub fn mount(point: &Path) -> Result<LoopExt4, String> {
        let image = PathBuf::from(format!(
            "/dev/shm/provscope-scratch-{}-{}.img",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(point).map_err(|e| format!("{}: {e}", point.display()))?;
        let file =
            std::fs::File::create(&image).map_err(|e| format!("{}: {e}", image.display()))?;
        file.set_len(IMAGE_BYTES)
            .map_err(|e| format!("{}: {e}", image.display()))?;
        drop(file);
        // From here on the drop cleans up: the image, and the mount once made.
        let fs = LoopExt4 {
            image,
            point: point.to_path_buf(),
        };
        run(
            "mkfs.ext4",
            &[
                "-q".as_ref(),
                "-F".as_ref(),
                "-E".as_ref(),
                "lazy_itable_init=0,lazy_journal_init=0".as_ref(),
                fs.image.as_os_str(),
            ],
        )?;
        run(
            "mount",
            &[
                "-o".as_ref(),
                "loop".as_ref(),
                fs.image.as_os_str(),
                fs.point.as_os_str(),
            ],
        )?;
        // The loop device holds the image open (and lets it go when unmounted): unlinked
        // now, it cannot outlive the mount, whatever happens to this process.
        let _ = std::fs::remove_file(&fs.image);
        Ok(fs)
    }

    /// Where it is mounted.
    pub fn dir(&self) -> &Path {
        &self.point
    }
}

impl Drop for LoopExt4 {
    fn drop(&mut self) {
        let unmounted = run("umount", &[self.point.as_os_str()]).is_ok()
            // Busy (a file still open somewhere): detach it now, it goes once closed.
            || run("umount", &["-l".as_ref(), self.point.as_os_str()]).is_ok();
        if unmounted {
            let _ = std::fs::remove_dir(&self.point);
        }
        let _ = std::fs::remove_file(&self.image);
    }
}

/// Runs a system tool; a failure carries what it printed on stderr.
fn run(program: &str, args: &[&OsStr]) -> Result<(), String> {
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
