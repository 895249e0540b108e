//! Names that are not UTF-8, in a real capture: a file name holding the byte 0xFF shows as
//! `\xFF` (see `capture::builder::name_bytes`), two names that differ only in an invalid
//! byte are two path entities, a valid name that merely looks like an escape stays apart
//! from both, and argv keeps its invalid bytes the same way. Root, and
//! PROVSCOPE_REQUIRE_BPF=1 turns a missing privilege into a failure.

mod common;

use common::can_capture;
use common::capture::capture;
use common::walk::{by_path, with_attr};
use provscope::capture::builder::name_bytes::unescape;
use provscope::graph::store::NodeId;
use std::collections::HashSet;

/// Writes `raw-\xFE`, `raw-\xFF` and the valid `raw-\x5CxFF` (backslash, `xFF`) in the
/// directory given, then runs `true` with an argument holding 0xFF.
const WORKLOAD: &str = r#"
import os, sys
d = os.fsencode(sys.argv[1])
for name in (b"raw-\xfe", b"raw-\xff", b"raw-\\xFF"):
    with open(d + b"/" + name, "wb") as f:
        f.write(b"written")
os.spawnv(os.P_WAIT, "/bin/true", [b"true", b"arg-\xff"])
"#;

#[test]
fn a_name_with_an_invalid_byte_is_kept_escaped_and_distinct() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let g = capture(dir.path(), &["python3", "-c", WORKLOAD, &d]);

    // What the trace says, and what it stands for.
    let names = [
        (format!("{d}/raw-\\xFE"), [&b"raw-"[..], b"\xfe"].concat()),
        (format!("{d}/raw-\\xFF"), [&b"raw-"[..], b"\xff"].concat()),
        (format!("{d}/raw-\\\\xFF"), b"raw-\\xFF".to_vec()),
    ];
    let mut files = HashSet::new();
    let mut paths = HashSet::new();
    for (text, raw) in &names {
        let entities = with_attr(&g, "path", "cf:pathname", text);
        assert_eq!(entities.len(), 1, "one path entity named {text}");
        assert_eq!(
            g.node_attr_text(entities[0], "prov:label").as_deref(),
            Some(format!("[path] {text}").as_str())
        );
        paths.insert(g.node(entities[0]).object);
        assert_eq!(
            unescape(text),
            [dir.path().as_os_str().as_encoded_bytes(), b"/", raw].concat(),
            "{text} reads back as the real name"
        );
        let written: Vec<NodeId> = by_path(&g, text, "file");
        assert!(
            g.edge_ids()
                .any(|e| g.edge_kind(e) == "write" && written.contains(&g.endpoints(e).1)),
            "the write to {text} was recorded on its file"
        );
        files.extend(written.iter().map(|&n| g.node(n).object));
    }
    assert_eq!(paths.len(), 3, "three names, three path entities");
    assert_eq!(files.len(), 3, "three files");
    // Nothing was replaced by U+FFFD on the way.
    assert!(
        g.defined_nodes().all(|n| {
            g.node_attr_text(n, "cf:pathname")
                .is_none_or(|p| !p.contains('\u{fffd}'))
        }),
        "no name lost its bytes"
    );
    // argv: the same rule.
    assert_eq!(
        with_attr(&g, "argv", "cf:value", "arg-\\xFF").len(),
        1,
        "the argument keeps its 0xFF as \\xFF"
    );
}
