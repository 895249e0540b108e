//! Names in a policy turned into what kernels filter on: user and group names into ids
//! (the system's user database, through libc so NSS sources count too; a number is
//! taken as an id), and paths into device and inode numbers.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;

/// Runs a `get*nam_r` lookup with a buffer that grows while the libc says ERANGE.
fn lookup(
    name: &str,
    mut call: impl FnMut(&CString, &mut [u8]) -> (libc::c_int, Option<u32>),
) -> Option<u32> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0u8; 1024];
    loop {
        let (rc, id) = call(&cname, &mut buf);
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        return id;
    }
}

/// The uid of a user name (or of a number given as text).
pub fn user_id(name: &str) -> Option<u32> {
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    lookup(name, |cname, buf| {
        // SAFETY: zeroed passwd is a valid out-parameter; the buffer outlives the call
        // and its length is passed; `found` is checked before the struct is read.
        unsafe {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwnam_r(
                cname.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            );
            (rc, (!found.is_null()).then_some(pwd.pw_uid))
        }
    })
}

/// The gid of a group name (or of a number given as text).
pub fn group_id(name: &str) -> Option<u32> {
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    lookup(name, |cname, buf| {
        // SAFETY: as in user_id, for getgrnam_r.
        unsafe {
            let mut grp: libc::group = std::mem::zeroed();
            let mut found: *mut libc::group = std::ptr::null_mut();
            let rc = libc::getgrnam_r(
                cname.as_ptr(),
                &mut grp,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            );
            (rc, (!found.is_null()).then_some(grp.gr_gid))
        }
    })
}

/// Device (user-space `st_dev`) and inode of a path, following symlinks as CamFlow's
/// tools do.
pub fn inode_of(path: &str) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_and_numbers_pass_through() {
        assert_eq!(user_id("root"), Some(0));
        assert_eq!(group_id("root"), Some(0));
        assert_eq!(user_id("4242"), Some(4242));
        assert_eq!(user_id("no-such-user-provscope"), None);
        assert_eq!(user_id("bad\0name"), None);
        assert!(inode_of("/").unwrap().1 > 0);
        assert!(inode_of("/no/such/path").is_err());
    }
}
