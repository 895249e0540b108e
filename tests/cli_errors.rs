//! Bad input through the real binary: never a panic, one clear error and exit status 2
//! for input that holds no trace, counted and reported skips for bad lines in a trace.

mod common;
use common::*;
use std::io::Write;

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(bytes).expect("write");
    f
}

fn stats_of(bytes: &[u8]) -> std::process::Output {
    let f = write_temp(bytes);
    provscope(&["stats", "--json", &f.path().to_string_lossy()], None)
}

fn assert_no_trace(out: &std::process::Output, expect: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(err.contains("holds no CamFlow provenance"), "{err}");
    assert!(err.contains(expect), "{err}");
    assert!(
        !out.stderr.contains(&0x1b),
        "raw ESC reached the terminal: {err}"
    );
}

#[test]
fn an_empty_file_is_one_clear_error() {
    assert_no_trace(&stats_of(b""), "empty");
}

#[test]
fn binary_junk_is_one_clear_error_without_escape_sequences() {
    let mut junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    junk.extend_from_slice(b"\x1b]0;owned\x07\x1b[2J\n");
    let out = stats_of(&junk);
    assert_no_trace(&out, "none of them W3C PROV-JSON or SPADE JSON");
}

#[test]
fn json_that_is_not_provenance_is_one_clear_error() {
    assert_no_trace(
        &stats_of(b"{\"name\":\"x\"}\n[1,2,3]\n"),
        "neither a W3C PROV document nor a SPADE element",
    );
}

#[test]
fn a_missing_file_exits_2() {
    let out = provscope(&["stats", "/no/such/trace.log"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/trace.log"), "{err}");
    // The reason is said once, not repeated by the error chain.
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn bad_lines_inside_a_trace_are_skipped_counted_and_reported_by_line() {
    let good = std::fs::read_to_string(sample(V050)).expect("sample");
    let mut lines: Vec<&str> = good.lines().collect();
    let cut = &lines[3][..lines[3].len() / 2].to_string();
    lines.insert(5, "this is not JSON \u{1b}[31m");
    lines.insert(8, cut);
    let text = lines.join("\n");
    let out = stats_of(text.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["skipped_lines"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 6: not JSON"), "{err}");
    assert!(err.contains("line 9:"), "{err}");
    assert!(!out.stderr.contains(&0x1b), "raw ESC in warnings: {err}");
}

#[test]
fn stdin_gzip_and_zstd_read_like_the_plain_file() {
    let path = sample(V050);
    let plain = stats_json(&[&path]);
    let bytes = std::fs::read(&path).expect("sample");

    let out = provscope(&["stats", "--json", "-"], Some(&bytes));
    assert!(out.status.success());
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(from_stdin, plain);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).expect("gz");
    let gz = write_temp(&gz.finish().expect("gz"));
    assert_eq!(stats_json(&[&gz.path().to_string_lossy()]), plain);

    let zs = write_temp(&zstd::encode_all(bytes.as_slice(), 3).expect("zstd"));
    assert_eq!(stats_json(&[&zs.path().to_string_lossy()]), plain);
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let out = provscope(&["stats"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = provscope(&["convert", "x", "--to", "xml", "-o", "-"], None);
    assert_eq!(out.status.code(), Some(2));
}
