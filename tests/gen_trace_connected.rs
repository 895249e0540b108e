//! `bench gen-trace` makes one connected graph, not islands: the lineage benchmark's
//! depth-10 walks mean something only if information can flow from one copy of the sample
//! into the next. Checked with the real binary on the real wget sample: the counts add up
//! (copies of the sample plus one link per shared file per copy), and the product's forward
//! lineage from a library in the first copy reaches the tasks of the last copy.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{V050, provscope, sample, stats_json};

/// The boot id the generator gives copy `n` of a sample recorded in boot 1.
fn boot_of_copy(n: u32) -> u32 {
    1 + n * 1000
}

fn boot_id(key: &str) -> Option<u32> {
    let body = key.strip_prefix("cf:").unwrap_or(key);
    let bytes = STANDARD.decode(body).ok()?;
    Some(u32::from_le_bytes(bytes.get(16..20)?.try_into().ok()?))
}

/// Every entity of a W3C sample, key and attributes, read with serde_json.
fn sample_entities(sample: &str) -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(sample).expect("sample text");
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(entities) = doc["entity"].as_object() {
            out.extend(entities.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    out
}

/// The key of the sample's path entity for libz.
fn libz_path_key(sample: &str) -> String {
    sample_entities(sample)
        .into_iter()
        .find(|(_, attrs)| attrs["cf:pathname"] == "/usr/lib64/libz.so.1.2.11")
        .map(|(key, _)| key)
        .expect("the wget sample names libz")
}

#[test]
fn copies_are_joined_through_shared_files() {
    let from = sample(V050);
    let size = std::fs::metadata(&from).expect("sample").len();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("big.log");
    let out = out.to_str().expect("utf-8 path");
    // Three and a half sample sizes: four copies (a copy with its links is a little larger
    // than the sample).
    let size_arg = (size * 3 + size / 2).to_string();
    let generated = provscope(
        &[
            "bench",
            "gen-trace",
            "--from",
            &from,
            "--size",
            &size_arg,
            "-o",
            out,
        ],
        None,
    );
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let one = stats_json(&[&from]);
    let four = stats_json(&[out]);
    let count = |v: &serde_json::Value, k: &str| v[k].as_u64().expect("count");
    let type_count = |v: &serde_json::Value, t: &str| v["node_types"][t].as_u64().unwrap_or(0);
    assert_eq!(count(&four, "nodes"), 4 * count(&one, "nodes"));
    assert_eq!(count(&four, "dangling_edges"), 0);
    // Every file and directory object of the sample links each copy to the previous one.
    let shared = {
        let mut objects = std::collections::HashSet::new();
        for (key, attrs) in sample_entities(&from) {
            let kind = attrs["prov:type"].as_str().unwrap_or_default();
            if kind == "file" || kind == "directory" {
                let bytes = STANDARD
                    .decode(key.strip_prefix("cf:").unwrap_or(&key))
                    .expect("binary key");
                // Object identity: type, id, boot, machine; not the version.
                objects.insert(bytes[..24].to_vec());
            }
        }
        objects.len() as u64
    };
    assert!(shared > 0, "the wget sample has files");
    assert_eq!(
        count(&four, "edges"),
        4 * count(&one, "edges") + 3 * shared,
        "one version_entity per shared file between consecutive copies"
    );
    assert_eq!(type_count(&four, "task"), 4 * type_count(&one, "task"));

    // Forward from copy 0's path entity of libz (copy 0 keeps the sample's keys, and path
    // entities are not shared): the last copy's tasks read the same library, so data of
    // the first copy reaches them only through the links.
    let libz = libz_path_key(&from);
    let root = format!("id:{libz}");
    let lineage = provscope(
        &["lineage", out, "--from", &root, "--forward", "--json"],
        None,
    );
    assert!(
        lineage.status.success(),
        "{}",
        String::from_utf8_lossy(&lineage.stderr)
    );
    let walk: serde_json::Value = serde_json::from_slice(&lineage.stdout).expect("json");
    let nodes = walk["nodes"].as_array().expect("nodes");
    let last_copy_tasks = nodes
        .iter()
        .filter(|n| n["type"] == "task")
        .filter(|n| n["id"].as_str().and_then(boot_id) == Some(boot_of_copy(3)))
        .count();
    assert!(
        last_copy_tasks > 0,
        "forward lineage of the first copy's libz reaches no task of the last copy"
    );
}
