//! Type names to 64-bit type ids. The running kernel's `type` file is the authority (the
//! subtype bits moved between releases, reference §1.1): provscope opens it once per
//! apply and, for each name, reads a `prov_type` whose `str` it filled in; the kernel
//! copies the buffer in, fills `id` and copies it back (fs.c `prov_read_prov_type`,
//! libprovenance `provenance_type_str_to_id`). The file is 0444 and answers `read`, not
//! `write`. Without a kernel (tests, a dry run into a plain directory) a [`TypeTable`]
//! given to [`super::SecurityFs::with_type_table`] answers instead; there is no built-in
//! table, since ids guessed for one release would silently filter other types on another.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::SecurityFsError;
use super::layout::{PROV_TYPE_LEN, prov_type, prov_type_id};

/// Type ids by name, standing in for the kernel's `type` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeTable {
    nodes: HashMap<String, u64>,
    relations: HashMap<String, u64>,
}

impl TypeTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The table with a node type added.
    pub fn node(mut self, name: &str, id: u64) -> Self {
        self.nodes.insert(name.to_owned(), id);
        self
    }

    /// The table with a relation type added.
    pub fn relation(mut self, name: &str, id: u64) -> Self {
        self.relations.insert(name.to_owned(), id);
        self
    }

    fn get(&self, name: &str, relation: bool) -> Option<u64> {
        let map = if relation {
            &self.relations
        } else {
            &self.nodes
        };
        map.get(name).copied()
    }
}

/// Resolves names for one apply or change: from the table, or from the kernel's `type`
/// file, opened on the first question and kept open.
pub(super) struct Resolver<'a> {
    table: Option<&'a TypeTable>,
    path: PathBuf,
    file: Option<File>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(root: &Path, table: Option<&'a TypeTable>) -> Self {
        Resolver {
            table,
            path: root.join("type"),
            file: None,
        }
    }

    /// The id of a node or relation type name; None when the kernel (or table) does not
    /// know it.
    pub(super) fn id(
        &mut self,
        name: &str,
        relation: bool,
    ) -> Result<Option<u64>, SecurityFsError> {
        if let Some(table) = self.table {
            return Ok(table.get(name, relation));
        }
        let Some(mut question) = prov_type(name, relation) else {
            return Ok(None);
        };
        let file = match self.file.take() {
            Some(file) => file,
            None => File::open(&self.path)
                .map_err(|e| SecurityFsError::io(&self.path, "open for type lookups", e))?,
        };
        let file = &*self.file.insert(file);
        let n = (&*file)
            .read(&mut question)
            .map_err(|e| SecurityFsError::io(&self.path, format!("look up type '{name}'"), e))?;
        if n != PROV_TYPE_LEN {
            return Err(SecurityFsError::NotCamFlow {
                path: self.path.clone(),
                reason: format!(
                    "asked for the id of '{name}', the type file answered {n} bytes \
                     instead of a {PROV_TYPE_LEN}-byte prov_type"
                ),
            });
        }
        Ok(Some(prov_type_id(&question)).filter(|id| *id != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_answers_by_kind() {
        let table = TypeTable::new()
            .node("file", 0x2000_0000_0000_0100)
            .relation("read", 0x8020_0000_0000_0001);
        let mut r = Resolver::new(Path::new("/nonexistent"), Some(&table));
        assert_eq!(r.id("file", false).unwrap(), Some(0x2000_0000_0000_0100));
        assert_eq!(r.id("file", true).unwrap(), None);
        assert_eq!(r.id("read", true).unwrap(), Some(0x8020_0000_0000_0001));
    }

    #[test]
    fn a_plain_file_is_not_a_type_oracle() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("type"), b"").unwrap();
        let mut r = Resolver::new(dir.path(), None);
        let err = r.id("file", false).unwrap_err();
        assert!(
            err.to_string()
                .contains("answered 0 bytes instead of a 272-byte prov_type"),
            "{err}"
        );
        let mut missing = Resolver::new(&dir.path().join("nope"), None);
        assert!(matches!(
            missing.id("file", false),
            Err(SecurityFsError::Io { .. })
        ));
    }
}
