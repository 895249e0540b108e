//! The live view takes the capture's elements as records directly, without their W3C
//! text being parsed. On a real capture of varied activity (files, pipes, sockets, exec
//! with arguments, renames, symlinks, attribute changes, packets), every direct record must be the
//! record the W3C reader makes of the same element's written text. Needs root; with
//! PROVSCOPE_REQUIRE_BPF=1 it fails instead of skipping.

mod common;

use provscope::capture::builder::host::Host;
use provscope::capture::camflow::{ReaderOptions, read_trace};
use provscope::capture::ebpf::probe::Probe;
use provscope::capture::recorder::Recorder;
use provscope::graph::batch::RecordBatch;
use std::process::Command;
use std::time::{Duration, Instant};

const WORKLOAD: &str = r#"
set -e
cd "$1"
printf 'secret data\n' > a.txt
cp a.txt b.txt
cat b.txt | tr a-z A-Z > c.txt
mv c.txt d.txt
ln -s d.txt e.txt
chmod 600 d.txt
python3 - <<'EOF'
import socket, os
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind("sock")
srv.listen(1)
# Each side waits for the other, so both sockets are open and accepted whenever one
# reads: the reads then link the two (send_unix).
if os.fork() == 0:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect("sock")
    c.recv(2)
    c.sendall(open("d.txt", "rb").read())
    c.recv(2)
    os._exit(0)
conn, _ = srv.accept()
conn.sendall(b"go")
open("f.txt", "wb").write(conn.recv(100))
conn.sendall(b"ok")
os.wait()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", ("127.0.0.1", 9))
EOF
rm b.txt
"#;

fn sorted(batch: &RecordBatch) -> Vec<String> {
    let mut v: Vec<String> = batch.records.iter().map(|r| format!("{r:?}")).collect();
    v.sort();
    v
}

#[test]
fn direct_records_equal_the_records_read_back_from_the_written_text() {
    if !common::can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut probe = Probe::start().expect("the capture programs load and attach");
    let mut text = Vec::new();
    let mut direct = RecordBatch::default();
    {
        let mut recorder = Recorder::with_output(Host::read(), Some(&mut text));
        let status = Command::new("sh")
            .args(["-c", WORKLOAD, "workload"])
            .arg(dir.path())
            .status()
            .expect("sh runs");
        assert!(status.success(), "the workload ran");
        let quiet_after = Instant::now() + Duration::from_millis(500);
        while Instant::now() < quiet_after {
            recorder
                .pump_into(&mut probe, Duration::from_millis(50), Some(&mut direct))
                .unwrap();
        }
        recorder.finish().unwrap();
    }
    let mut parsed = RecordBatch::default();
    let report = read_trace(&text[..], &ReaderOptions::default(), &mut parsed).unwrap();
    assert_eq!(report.problems.skipped_lines, 0);
    assert!(
        direct.len() > 100,
        "a varied capture: {} records",
        direct.len()
    );
    // The workload's own kinds are all there, so the comparison covers them.
    let all = format!("{:?}", direct.records);
    for kind in [
        "\"rename\"",
        "\"symlink\"",
        "\"setattr\"",
        "\"argv\"",
        "\"address\"",
        "\"send_unix\"",
        "\"pipe\"",
        "\"packet\"",
        "\"send_packet\"",
    ] {
        assert!(all.contains(kind), "the capture has {kind}");
    }
    assert_eq!(sorted(&direct), sorted(&parsed));
}
