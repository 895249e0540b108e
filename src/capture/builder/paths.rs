//! Making the path names syscalls pass absolute: relative names resolve against the
//! process's working directory (followed through chdir, read from /proc when a process
//! is first seen) or the directory fd of an `*at` call.

use super::Builder;
use crate::capture::ebpf::event::FdObject;

/// The `dirfd` that means "the working directory".
const AT_FDCWD: i64 = -100;

impl Builder {
    /// The absolute form of `raw` as process `tgid` named it. `dir` is the directory the
    /// kernel side resolved the call's directory fd to (ino 0 when there was none).
    pub(super) fn resolve(
        &mut self,
        tgid: u32,
        dirfd: Option<i64>,
        dir: Option<&FdObject>,
        raw: &[u8],
    ) -> Vec<u8> {
        if raw.is_empty() || raw.starts_with(b"/") {
            return normalize(raw);
        }
        let base = match dirfd {
            Some(fd) if fd != AT_FDCWD => dir
                .filter(|d| d.ino != 0)
                .and_then(|d| self.inodes.get(&(d.dev, d.ino)))
                .and_then(|o| self.path_of.get(o).cloned())
                .or_else(|| {
                    std::fs::read_link(format!("/proc/{tgid}/fd/{fd}"))
                        .ok()
                        .map(|p| p.into_os_string().into_encoded_bytes())
                }),
            _ => self.cwd(tgid),
        };
        match base {
            Some(mut b) => {
                b.push(b'/');
                b.extend_from_slice(raw);
                normalize(&b)
            }
            None => raw.to_vec(),
        }
    }

    fn cwd(&mut self, tgid: u32) -> Option<Vec<u8>> {
        if let Some(p) = self.procs.get(&tgid)
            && p.cwd.is_some()
        {
            return p.cwd.clone();
        }
        let cwd = std::fs::read_link(format!("/proc/{tgid}/cwd"))
            .ok()
            .map(|p| p.into_os_string().into_encoded_bytes());
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.cwd.clone_from(&cwd);
        }
        cwd
    }

    /// Follows a chdir.
    pub(super) fn set_cwd(&mut self, tgid: u32, dir: Vec<u8>) {
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.cwd = Some(dir);
        }
    }
}

/// Drops empty and `.` components; keeps `..` (a symlink may make it mean elsewhere).
pub fn normalize(path: &[u8]) -> Vec<u8> {
    let absolute = path.starts_with(b"/");
    let parts: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .collect();
    let mut out = Vec::with_capacity(path.len());
    for p in parts {
        if absolute || !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(p);
    }
    if out.is_empty() && absolute {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalizes_like_the_kernel_would_name_it() {
        assert_eq!(normalize(b"/tmp//./x"), b"/tmp/x");
        assert_eq!(normalize(b"/"), b"/");
        assert_eq!(normalize(b"a/./b"), b"a/b");
        assert_eq!(normalize(b"/a/../b"), b"/a/../b");
    }
}
