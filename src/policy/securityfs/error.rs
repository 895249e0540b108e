//! What can go wrong applying a policy to a CamFlow kernel: each error names the file it
//! touched (or the policy filter it could not apply) and what failed.

use std::io;
use std::path::{Path, PathBuf};

/// An error from [`super::SecurityFs`].
#[derive(Debug, thiserror::Error)]
pub enum SecurityFsError {
    /// The directory, or a file's xattr, is not what a CamFlow kernel shows.
    #[error("{}: {reason}; is this a CamFlow kernel?", path.display())]
    NotCamFlow {
        /// The directory or file.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// The kernel or the file system refused for want of privilege.
    #[error(
        "{}: {action}: permission denied (changing CamFlow's capture needs root with CAP_AUDIT_CONTROL)",
        path.display()
    )]
    PermissionDenied {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        action: String,
    },
    /// Any other I/O failure.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        action: String,
        /// Why it failed.
        source: io::Error,
    },
    /// A filter of the policy cannot be applied; nothing was written.
    #[error("{filter}: {reason}")]
    Filter {
        /// The filter in camflow.ini words (`relation_filter=ran_on`, `user track=bob`).
        filter: String,
        /// Why.
        reason: String,
    },
}

impl SecurityFsError {
    /// An I/O error on `path`, EPERM and EACCES reported as the missing privilege.
    pub(super) fn io(path: &Path, action: impl Into<String>, source: io::Error) -> Self {
        let path = path.to_path_buf();
        let action = action.into();
        match source.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => SecurityFsError::PermissionDenied { path, action },
            _ => SecurityFsError::Io {
                path,
                action,
                source,
            },
        }
    }

    /// A filter that cannot be applied.
    pub(super) fn filter(filter: impl ToString, reason: impl Into<String>) -> Self {
        SecurityFsError::Filter {
            filter: filter.to_string(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eperm_names_the_capability() {
        let e = SecurityFsError::io(
            Path::new("/sys/kernel/security/provenance/enable"),
            "write",
            io::Error::from_raw_os_error(libc::EPERM),
        );
        assert_eq!(
            e.to_string(),
            "/sys/kernel/security/provenance/enable: write: permission denied \
             (changing CamFlow's capture needs root with CAP_AUDIT_CONTROL)"
        );
        let e = SecurityFsError::io(
            Path::new("/x/uid"),
            "write",
            io::Error::from_raw_os_error(libc::EIO),
        );
        assert!(e.to_string().starts_with("/x/uid: write: "), "{e}");
    }
}
