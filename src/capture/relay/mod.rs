//! Reading CamFlow's own kernel relay channels (`provscope attach relay:DIR`, reference
//! §5.1): the per-CPU binary files a CamFlow kernel writes at the debugfs root, decoded
//! record by record into the same records the trace readers make, with the attributes
//! camflowd's W3C writer would give them. Limits, as for any relay reader: reading
//! consumes the records (camflowd, if it runs, no longer sees them), there is no order
//! across CPUs or between the two channels, and the record sizes must match the kernel's
//! headers (v0.9.0: 256 and 4280 bytes). Never draws.

pub mod channels;
pub mod decode;
pub mod layout;
pub mod securityfs;
pub mod sockaddr;
pub mod types;

#[cfg(test)]
mod testing;

pub use channels::{RelayOptions, RelayReader};
pub use types::TypeTable;

use std::path::Path;

/// Where a CamFlow kernel's relay channels are: the debugfs root.
pub const DEFAULT_DIR: &str = "/sys/kernel/debug";

/// Opens the relay channels in `dir` on this machine: type names from the running
/// kernel when it has CamFlow's securityfs, and provscope made opaque to CamFlow (as
/// camflowd makes itself), so that its own reading is not recorded. Also returns what the
/// user should know.
pub fn open_here(dir: &Path) -> Result<(RelayReader, Vec<String>), String> {
    let root = Path::new(securityfs::DEFAULT_ROOT);
    let reader = RelayReader::open(dir, TypeTable::open(root), RelayOptions::default())?;
    let mut notes = Vec::new();
    if root.join("self").exists()
        && let Err(e) = securityfs::mark_self_opaque(root)
    {
        notes.push(format!(
            "could not make provscope opaque to CamFlow ({e}): its own reading may be recorded"
        ));
    }
    Ok((reader, notes))
}

#[cfg(test)]
mod tests {
    use super::channels::*;
    use super::testing::*;
    use super::*;
    use crate::capture::camflow::LoadReport;
    use crate::graph::batch::{OwnedRecord, RecordBatch};
    use std::io::Write;
    use std::time::Duration;

    fn options() -> RelayOptions {
        RelayOptions {
            stale_after: Duration::ZERO,
            ..RelayOptions::default()
        }
    }

    fn append(path: &std::path::Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    fn kinds(batch: &RecordBatch) -> Vec<String> {
        batch
            .records
            .iter()
            .map(|r| match r {
                OwnedRecord::Node(n) => n.kind.to_string(),
                OwnedRecord::Edge(e) => e.kind.to_string(),
            })
            .collect()
    }

    #[test]
    fn two_cpus_both_channels_and_a_record_split_across_appends() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let task_id = node_id(TASK, 1, 0);
        let file_id = node_id(FILE, 2, 0);
        append(&d.join("provenance0"), &task(1, 0, 100));
        append(&d.join("provenance1"), &file(2, 0, 0o100644, 5));
        append(&d.join("long_provenance0"), &machine("host", [0, 9, 0]));
        append(&d.join("long_provenance1"), &path(3, "/etc/passwd"));
        std::fs::write(d.join("unrelated"), b"ignored").unwrap();
        let opts = RelayOptions {
            stale_after: Duration::from_millis(100),
            ..RelayOptions::default()
        };
        let mut reader = RelayReader::open(d, TypeTable::builtin(), opts).unwrap();
        assert_eq!(reader.channel_names().len(), 4);
        let mut batch = RecordBatch::default();
        assert_eq!(reader.poll(&mut batch).unwrap(), 0, "held until quiet");
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(reader.poll(&mut batch).unwrap(), 4);
        let mut got = kinds(&batch);
        got.sort();
        assert_eq!(got, ["file", "machine", "path", "task"]);

        // Half a relation, then the rest: nothing until it is whole.
        let read = relation(READ, 10, file_id, task_id).0;
        append(&d.join("provenance1"), &read[..100]);
        let mut more = RecordBatch::default();
        assert_eq!(reader.poll(&mut more).unwrap(), 0);
        append(&d.join("provenance1"), &read[100..]);
        assert_eq!(reader.poll(&mut more).unwrap(), 1);
        assert_eq!(kinds(&more), ["read"]);
        let r = reader.report();
        assert_eq!((r.lines, r.elements, r.problems.total()), (5, 5, 0));
        assert_eq!(r.bytes, 3 * 256 + 2 * 4280);
    }

    #[test]
    fn a_new_cpu_is_picked_up_and_skips_are_counted_never_silent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        append(&d.join("provenance0"), &task(1, 0, 100));
        let opts = RelayOptions {
            rescan_every: Duration::ZERO,
            ..options()
        };
        let mut reader = RelayReader::open(d, TypeTable::builtin(), opts).unwrap();
        let mut batch = RecordBatch::default();
        reader.poll(&mut batch).unwrap();
        // CPU 2 comes online with a damaged record and two of an unknown type.
        let mut bytes = task(2, 0, 200);
        bytes.extend_from_slice(&[0u8; 256]);
        bytes.extend_from_slice(&Rec::short(0x2000_4000_0000_0000, 7, 0).0);
        bytes.extend_from_slice(&Rec::short(0x2000_4000_0000_0000, 8, 0).0);
        append(&d.join("provenance2"), &bytes);
        assert_eq!(reader.poll(&mut batch).unwrap(), 4);
        assert_eq!(batch.len(), 4, "the unknown ones are kept");
        let r = reader.report();
        assert_eq!(r.problems.skipped_lines, 1);
        assert_eq!(r.problems.skipped_elements, 2);
        let reasons: Vec<&str> = r.problems.kept.iter().map(|p| p.reason.as_str()).collect();
        assert!(reasons[0].contains("provenance2 @ 256") && reasons[0].contains("empty record"));
        assert!(
            reasons[1].contains("unknown_0x2000400000000000"),
            "{reasons:?}"
        );
    }

    /// One channel file holding `bytes`, polled once: what came out, what was said.
    fn read_once(channel: &str, bytes: &[u8]) -> (RecordBatch, Vec<String>, LoadReport) {
        let dir = tempfile::tempdir().unwrap();
        append(&dir.path().join(channel), bytes);
        let mut reader = RelayReader::open(dir.path(), TypeTable::builtin(), options()).unwrap();
        let mut batch = RecordBatch::default();
        reader.poll(&mut batch).unwrap();
        (batch, reader.take_notes(), reader.report().clone())
    }

    #[test]
    fn a_wrong_record_size_gets_a_clear_message_not_garbage() {
        // Records of 248 bytes, as another header version might make them.
        let bytes: Vec<u8> = (0..5)
            .flat_map(|i| task(i, 0, 100)[..248].to_vec())
            .collect();
        let (batch, notes, report) = read_once("provenance0", &bytes);
        assert!(
            batch.is_empty(),
            "no element from a channel of another size"
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        for needle in ["provenance0", "256-byte", "union prov_elt", "v0.9.0"] {
            assert!(notes[0].contains(needle), "{needle}: {}", notes[0]);
        }
        assert_eq!(report.problems.skipped_lines, 1);

        // A byte count that is no whole number of records, once the writer is done.
        let mut bytes = task(1, 0, 100);
        bytes.extend_from_slice(&[1u8; 44]);
        let (_, notes, _) = read_once("provenance3", &bytes);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("300 bytes read is not a whole number of 256-byte records"));
        assert!(notes[0].contains("v0.9.0"));

        // Long channels name their own size.
        let (_, notes, _) = read_once("long_provenance0", &[7u8; 5000]);
        assert!(
            notes[0].contains("4280-byte union long_prov_elt"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_directory_without_channels_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("provenance"), b"").unwrap();
        std::fs::write(dir.path().join("provenance+1"), b"").unwrap();
        let err = RelayReader::open(dir.path(), TypeTable::builtin(), options())
            .err()
            .unwrap();
        for needle in [
            "no CamFlow relay channels",
            "256-byte",
            "4280-byte",
            "v0.9.0",
        ] {
            assert!(err.contains(needle), "{needle}: {err}");
        }
        let missing = dir.path().join("nowhere");
        let err = RelayReader::open(&missing, TypeTable::builtin(), options())
            .err()
            .unwrap();
        assert!(err.contains("cannot read the relay directory"), "{err}");
    }

    #[test]
    fn the_first_records_wait_until_the_channel_is_quiet_or_proven() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        append(&d.join("provenance0"), &task(1, 0, 100));
        let opts = RelayOptions {
            stale_after: Duration::from_secs(3600),
            ..RelayOptions::default()
        };
        let mut reader = RelayReader::open(d, TypeTable::builtin(), opts).unwrap();
        let mut batch = RecordBatch::default();
        assert_eq!(
            reader.poll(&mut batch).unwrap(),
            0,
            "held: one record proves nothing"
        );
        let mut rest = Vec::new();
        for i in 2..5 {
            rest.extend_from_slice(&task(i, 0, 100));
        }
        append(&d.join("provenance0"), &rest);
        assert_eq!(
            reader.poll(&mut batch).unwrap(),
            4,
            "four good records: believed"
        );
        append(&d.join("provenance0"), &task(9, 0, 100));
        assert_eq!(
            reader.poll(&mut batch).unwrap(),
            1,
            "then records flow at once"
        );
    }

    #[test]
    fn step_waits_while_quiet_and_ends_when_idle_says_so() {
        let dir = tempfile::tempdir().unwrap();
        append(&dir.path().join("provenance0"), b"");
        let mut reader = RelayReader::open(dir.path(), TypeTable::builtin(), options()).unwrap();
        let mut calls = 0;
        let mut idle = || {
            calls += 1;
            calls < 3
        };
        let more = reader.step(&mut RecordBatch::default(), &mut idle).unwrap();
        assert!(!more);
        assert_eq!(calls, 3);
    }
}
