//! `convert` through the real binary: output in camflowd's layout that provscope reads
//! back with every `stats --json` count unchanged, W3C → SPADE → W3C included.

mod common;
use common::*;

fn convert(input: &str, to: &str) -> tempfile::NamedTempFile {
    let out = tempfile::NamedTempFile::new().expect("temp");
    let path = out.path().to_string_lossy().into_owned();
    let run = provscope(&["convert", input, "--to", to, "-o", &path], None);
    assert!(
        run.status.success(),
        "convert failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

fn without_format(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().expect("object").remove("format");
    v
}

#[test]
fn every_sample_survives_w3c_to_spade_to_w3c_with_equal_counts() {
    for name in [V017, V050, V080] {
        let original = stats_json(&[&sample(name)]);
        let spade = convert(&sample(name), "spade");
        let spade_path = spade.path().to_string_lossy().into_owned();
        let via_spade = stats_json(&[&spade_path]);
        assert_eq!(via_spade["format"], "spade", "{name}");
        assert_eq!(
            without_format(via_spade),
            without_format(original.clone()),
            "{name} → spade"
        );
        let back = convert(&spade_path, "w3c");
        let back_stats = stats_json(&[&back.path().to_string_lossy()]);
        assert_eq!(back_stats["format"], "w3c", "{name}");
        assert_eq!(
            without_format(back_stats),
            without_format(original.clone()),
            "{name} → spade → w3c"
        );
        let direct = convert(&sample(name), "w3c");
        assert_eq!(
            without_format(stats_json(&[&direct.path().to_string_lossy()])),
            without_format(original),
            "{name} → w3c"
        );
    }
}

#[test]
fn w3c_output_is_one_camflowd_document_per_line() {
    let out = convert(&sample(V050), "w3c");
    let text = std::fs::read_to_string(out.path()).expect("output");
    assert!(text.ends_with('\n'));
    for (i, line) in text.lines().enumerate() {
        assert!(
            line.starts_with(r#"{"prefix":{"prov" : "http://www.w3.org/ns/prov", "cf":"http://www.camflow.org"}, ""#),
            "line {} lacks camflowd's prefix",
            i + 1
        );
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v.as_object().expect("object").len() >= 2);
    }
    // camflowd's nested address objects are written as camflowd writes them.
    assert!(
        text.contains(r#""cf:address":{"type":"AF_INET""#),
        "nested address kept"
    );
}

#[test]
fn spade_output_points_edges_from_effect_to_cause() {
    let out = convert(&sample(V050), "spade");
    let text = std::fs::read_to_string(out.path()).expect("output");
    let read_edge = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["annotations"]["relation_type"] == "read")
        .expect("a read edge");
    assert_eq!(read_edge["type"], "Used");
    assert_eq!(read_edge["annotations"]["from_type"], "task");
    assert_eq!(read_edge["annotations"]["to_type"], "file");
}

#[test]
fn convert_to_stdout() {
    let run = provscope(&["convert", &sample(V080), "--to", "w3c", "-o", "-"], None);
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).expect("utf8");
    assert!(text.lines().count() >= 1);
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
}

#[test]
fn packets_are_written_in_libprovenances_spade_layout() {
    let out = convert(&sample(V050), "spade");
    let text = std::fs::read_to_string(out.path()).expect("output");
    let line = text
        .lines()
        .find(|l| l.contains("\"id\":\"AAAQAAAAACAqKQAACgACDwoAAgOqAQA1EQAAAAAAAAA=\""))
        .expect("the DNS query packet");
    let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object");
    assert_eq!(v["type"], "Entity");
    let annotations = v["annotations"].as_object().expect("annotations");
    // libprovenance's order, and nothing else (the sample, v0.5.0, has no cf:len, so no
    // ih_len). serde_json's map sorts keys: the order is read off the text.
    let order = [
        "object_type",
        "cf:date",
        "packet_id",
        "seq",
        "sender",
        "receiver",
        "jiffies",
    ];
    assert_eq!(annotations.len(), order.len(), "{line}");
    let at: Vec<usize> = order
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
    assert_eq!(annotations["object_type"], "packet");
    // The date of the relations written with it (a W3C packet has none).
    assert_eq!(annotations["cf:date"], "2019:01:24T08:00:25");
    assert_eq!(annotations["packet_id"], 10538);
    assert_eq!(annotations["sender"], "10.0.2.15:43521");
    assert_eq!(annotations["receiver"], "10.0.2.3:53");
    assert_eq!(annotations["jiffies"], "4295572476");
}
