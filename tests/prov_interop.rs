//! Python's `prov` package reads provscope's W3C output as well as it reads camflowd's
//! own: every line passes except lines holding camflowd's nested `cf:address` objects,
//! which prov rejects in camflowd's output too (tools/prov/prov_check.py tolerates exactly
//! those). Needs `PROVSCOPE_PROV_PYTHON` (set by tools/test.sh); fails rather than
//! skips when `PROVSCOPE_REQUIRE_PROV` is set.

mod common;
use common::*;
use std::process::Command;

fn prov_python() -> Option<String> {
    match std::env::var("PROVSCOPE_PROV_PYTHON") {
        Ok(p) => Some(p),
        Err(_) => {
            assert!(
                std::env::var_os("PROVSCOPE_REQUIRE_PROV").is_none(),
                "PROVSCOPE_REQUIRE_PROV is set but PROVSCOPE_PROV_PYTHON is not"
            );
            eprintln!("NOTE: python prov check not run: use tools/test.sh");
            None
        }
    }
}

#[test]
fn python_prov_reads_converted_samples() {
    let Some(python) = prov_python() else { return };
    let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/prov/prov_check.py");
    for name in [V017, V050, V080] {
        let out = tempfile::NamedTempFile::new().expect("temp");
        let path = out.path().to_string_lossy().into_owned();
        let run = provscope(
            &["convert", &sample(name), "--to", "w3c", "-o", &path],
            None,
        );
        assert!(run.status.success());
        let check = Command::new(&python)
            .arg(checker)
            .arg(&path)
            .output()
            .expect("run checker");
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success(),
            "{name}: python prov rejected provscope's output:\n{report}\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(report.contains("0 real failures"), "{name}: {report}");
    }
}

#[test]
fn python_prov_reads_the_bundled_capture() {
    // A real capture (assets/demo-capture.w3c.log, written by `provscope capture`): prov
    // reads it as it reads camflowd's output. Keys must carry `cf:` for that.
    let Some(python) = prov_python() else { return };
    let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/prov/prov_check.py");
    let check = Command::new(&python)
        .arg(checker)
        .arg(demo_trace())
        .output()
        .expect("run checker");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}");
    assert!(report.contains("0 real failures"), "{report}");
    assert!(!report.contains(" 0 passed"), "{report}");
}
