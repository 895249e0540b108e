//! Per-file track / opaque / propagate: not a securityfs file but the file's
//! `security.provenance` xattr, one 256-byte `union prov_elt`. libprovenance reads it
//! with `getxattr`, sets or clears flag bits and writes it back with `setxattr`
//! (`__provenance_set_flags_file`); CamFlow's `inode_setxattr` hook takes the tracked,
//! opaque and propagate bits of the value and refuses any other size (hooks.c
//! `provenance_inode_setxattr`, `-ENOMEM`).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::error::SecurityFsError;
use super::layout::{PROV_ELT_LEN, ProvElt};

/// `XATTR_NAME_PROVENANCE` (camflow-dev `include/uapi/linux/xattr.h`).
const NAME: &[u8] = b"security.provenance\0";

fn c_path(path: &Path) -> Result<CString, SecurityFsError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SecurityFsError::Io {
        path: path.to_path_buf(),
        action: "name the file".into(),
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })
}

/// The file's `prov_elt`.
pub(super) fn read(path: &Path) -> Result<ProvElt, SecurityFsError> {
    let cpath = c_path(path)?;
    let mut elt = [0u8; PROV_ELT_LEN];
    // SAFETY: both names are NUL-terminated and outlive the call; the buffer is
    // PROV_ELT_LEN bytes long and that length is passed.
    let n = unsafe {
        libc::getxattr(
            cpath.as_ptr(),
            NAME.as_ptr().cast(),
            elt.as_mut_ptr().cast(),
            elt.len(),
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENODATA) => SecurityFsError::NotCamFlow {
                path: path.to_path_buf(),
                reason: "no security.provenance xattr".into(),
            },
            Some(libc::ERANGE) => wrong_size(path, "more than 256"),
            _ => SecurityFsError::io(path, "read security.provenance", e),
        });
    }
    if n as usize != PROV_ELT_LEN {
        return Err(wrong_size(path, &n.to_string()));
    }
    Ok(elt)
}

fn wrong_size(path: &Path, size: &str) -> SecurityFsError {
    SecurityFsError::NotCamFlow {
        path: path.to_path_buf(),
        reason: format!("security.provenance holds {size} bytes, not a 256-byte prov_elt"),
    }
}

/// Writes the file's `prov_elt` back.
pub(super) fn write(path: &Path, elt: &ProvElt) -> Result<(), SecurityFsError> {
    let cpath = c_path(path)?;
    // SAFETY: as in `read`; the value is PROV_ELT_LEN bytes and that length is passed.
    let rc = unsafe {
        libc::setxattr(
            cpath.as_ptr(),
            NAME.as_ptr().cast(),
            elt.as_ptr().cast(),
            elt.len(),
            0,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(SecurityFsError::io(path, "write security.provenance", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_or_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let err = read(&file).unwrap_err().to_string();
        assert!(
            err.contains("no security.provenance xattr; is this a CamFlow kernel?")
                || err.contains("read security.provenance"),
            "{err}"
        );
        let mut elt = [0u8; PROV_ELT_LEN];
        elt[0] = 0x42;
        elt[40] = 0x03;
        match write(&file, &elt) {
            // Root on a file system with security.* xattrs (tmpfs, ext4): the real path.
            Ok(()) => assert_eq!(read(&file).unwrap(), elt),
            Err(e) => eprintln!("security.* xattrs not settable here: {e}"),
        }
        assert!(matches!(
            read(&dir.path().join("missing")),
            Err(SecurityFsError::Io { .. })
        ));
    }
}
