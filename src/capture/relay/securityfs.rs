//! The two CamFlow securityfs pseudo-files a relay reader uses (reference §5.2): `type`,
//! the running kernel's own map from type numbers to names, and `self`, through which the
//! reader marks itself opaque so that its own reading is not recorded (as camflowd does,
//! reference §5.1). Both take the securityfs directory as a parameter, so tests use a
//! directory of their own and never the machine's. The byte layouts are the policy
//! writer's (`policy::securityfs::layout`), defined once.

use crate::policy::securityfs::layout::{
    OPAQUE_BIT, PROV_ELT_LEN, PROV_SET_OPAQUE, prov_process_config, prov_type_id, prov_type_name,
    prov_type_of_id, with_elt_flags,
};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Where a CamFlow kernel mounts its control files.
pub const DEFAULT_ROOT: &str = "/sys/kernel/security/provenance";

/// The end of `str` in a `prov_type`: an answer shorter than this holds no name.
const TYPE_IS_RELATION: usize = 264;

/// The kernel's `type` file, opened once.
#[derive(Debug)]
pub struct TypeFile {
    file: File,
    path: PathBuf,
}

impl TypeFile {
    /// Opens `<root>/type`.
    pub fn open(root: &Path) -> io::Result<TypeFile> {
        let path = root.join("type");
        let file = File::open(&path)?;
        Ok(TypeFile { file, path })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kernel's name for a type number. As libprovenance does
    /// (`provenance_type_id_to_str`), the request (`id`, `is_relation`) goes in the very
    /// buffer `read` fills, and the kernel answers with the name in `str`. `None` when the
    /// answer is not about this id (not a CamFlow `type` file) or names nothing (empty,
    /// or the kernel's `unknown`).
    pub fn lookup(&self, id: u64, is_relation: bool) -> io::Result<Option<String>> {
        let mut buf = prov_type_of_id(id, is_relation);
        let n = self.file.read_at(&mut buf, 0)?;
        if n < TYPE_IS_RELATION || prov_type_id(&buf) != id {
            return Ok(None);
        }
        let name = String::from_utf8_lossy(prov_type_name(&buf)).into_owned();
        Ok((!name.is_empty() && name != "unknown").then_some(name))
    }
}

/// Marks the calling process opaque through `<root>/self`, as libprovenance's
/// `provenance_set_opaque(true)` does: a `prov_process_config` with the opaque flag set
/// and `op = PROV_SET_OPAQUE`.
pub fn mark_self_opaque(root: &Path) -> io::Result<()> {
    let opaque = with_elt_flags(&[0u8; PROV_ELT_LEN], OPAQUE_BIT, 0);
    let config = prov_process_config(&opaque, PROV_SET_OPAQUE, 0);
    let mut file = OpenOptions::new().write(true).open(root.join("self"))?;
    file.write_all(&config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `type` file as a regular file: it answers every read with the one struct it holds.
    fn type_file(dir: &Path, id: u64, name: &str) {
        let mut buf = [0u8; 272];
        buf[..8].copy_from_slice(&id.to_le_bytes());
        buf[8..8 + name.len()].copy_from_slice(name.as_bytes());
        std::fs::write(dir.join("type"), buf).unwrap();
    }

    #[test]
    fn a_type_answer_counts_only_for_the_id_asked() {
        let dir = tempfile::tempdir().unwrap();
        type_file(dir.path(), 0x8020_0000_0000_0001, "read");
        let types = TypeFile::open(dir.path()).unwrap();
        assert_eq!(
            types
                .lookup(0x8020_0000_0000_0001, true)
                .unwrap()
                .as_deref(),
            Some("read")
        );
        assert_eq!(types.lookup(0x2000_0000_0000_0100, false).unwrap(), None);
        // The kernel's fallback name is no name.
        type_file(dir.path(), 7, "unknown");
        assert_eq!(
            TypeFile::open(dir.path())
                .unwrap()
                .lookup(7, false)
                .unwrap(),
            None
        );
    }

    #[test]
    fn no_type_file_is_an_error_the_caller_sees() {
        let dir = tempfile::tempdir().unwrap();
        assert!(TypeFile::open(dir.path()).is_err());
    }

    #[test]
    fn marking_self_opaque_writes_libprovenance_s_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("self"), b"").unwrap();
        mark_self_opaque(dir.path()).unwrap();
        let written = std::fs::read(dir.path().join("self")).unwrap();
        assert_eq!(written.len(), 264, "sizeof(struct prov_process_config)");
        assert_eq!(written[256], 0x02, "op = PROV_SET_OPAQUE");
        assert_eq!(written[40], 0b10, "internal_flag: opaque");
        // Never creates the file: no securityfs, no write.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(mark_self_opaque(elsewhere.path()).is_err());
        assert!(!elsewhere.path().join("self").exists());
    }
}
