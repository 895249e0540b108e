//! `provscope bench gen-trace`: a large trace made from a real sample for the load
//! benchmark. Each copy of the sample has every 32-byte identifier rewritten (its boot id
//! field moved by a per-copy offset) and its `boot_id` attributes moved the same way, so
//! copies stay distinct elements and distinct objects while references stay consistent.
//! Object and relation ids and jiffies move too, so values repeat across copies no more
//! than they would in one long real trace (interning gets no unfair help). The sample's
//! files and directories are shared by all copies and join them into one graph
//! (`gen_trace_links`), so walks on the generated trace are not confined to one copy.

use crate::app::cli::{CommandResult, Failure};
use crate::app::commands::gen_trace_links::Links;
use crate::graph::identifier::IdentifierFields;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fs::File;
use std::io::{BufWriter, Write};

/// How far each copy moves boot ids.
const BOOT_STEP: u32 = 1000;
/// How far each copy moves object ids, relation ids and jiffies.
const VALUE_STEP: u64 = 1_000_000;
/// Attributes whose numbers move with each copy.
const MOVED: [&str; 7] = [
    "cf:id",
    "relation_id",
    "object_id",
    "cf:jiffies",
    "jiffies",
    "cf:task_id",
    "task_id",
];

/// Parses sizes like `200M`, `1G`, `512K` or plain bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// Rewrites one line for copy `copy` (0 leaves it unchanged). Identifiers of persistent
/// objects (`links`) keep their boot id and move their version; every other identifier
/// moves its boot id.
pub fn rewrite_line(line: &str, copy: u32, links: &Links) -> String {
    if copy == 0 {
        return line.to_string();
    }
    let shift = copy.wrapping_mul(BOOT_STEP);
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    // Whether the element being copied (the last key followed by `{`) is persistent: its
    // boot id attribute stays and its version attribute moves.
    let mut in_persistent = false;
    while let Some(q) = rest.find('"') {
        out.push_str(&rest[..=q]);
        rest = &rest[q + 1..];
        let Some(end) = rest.find('"') else { break };
        let token = &rest[..end];
        let (prefix, body) = token
            .strip_prefix("cf:")
            .map_or(("", token), |b| ("cf:", b));
        let mut buf = [0u8; 33];
        if body.len() == 44 && STANDARD.decode_slice(body, &mut buf) == Ok(32) {
            let mut id = [0u8; 32];
            id.copy_from_slice(&buf[..32]);
            let mut f = IdentifierFields::decode(&id);
            let persists = links.persists(&f);
            if persists {
                f.version = f.version.wrapping_add(links.version_shift(copy));
            } else {
                f.boot_id = f.boot_id.wrapping_add(shift);
            }
            // Only the moved field changes: the rest of the 32 bytes (padding included)
            // is kept as the sample wrote it.
            buf[16..20].copy_from_slice(&f.boot_id.to_le_bytes());
            buf[24..28].copy_from_slice(&f.version.to_le_bytes());
            if rest[end + 1..].starts_with(":{") {
                in_persistent = persists;
            }
            out.push_str(prefix);
            out.push_str(&STANDARD.encode(&buf[..32]));
        } else {
            out.push_str(token);
        }
        out.push('"');
        rest = &rest[end + 1..];
        let is_boot = token == "cf:boot_id" || token == "boot_id";
        let is_version = token == "cf:version" || token == "version";
        let moved_by = if is_boot && !in_persistent {
            Some(u64::from(shift))
        } else if is_version && in_persistent {
            Some(u64::from(links.version_shift(copy)))
        } else if MOVED.contains(&token) {
            Some(u64::from(copy) * VALUE_STEP)
        } else {
            None
        };
        if let (Some(by), Some(after)) = (moved_by, rest.strip_prefix(':')) {
            let quoted = after.starts_with('"');
            let body = if quoted { &after[1..] } else { after };
            let digits = body.bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(n) = body[..digits].parse::<u64>() {
                // boot ids and versions are u32 fields and wrap as the identifier bytes do.
                let moved = if is_boot || is_version {
                    u64::from(u32::try_from(n).unwrap_or(0).wrapping_add(by as u32))
                } else {
                    n.wrapping_add(by)
                };
                out.push(':');
                if quoted {
                    out.push('"');
                }
                out.push_str(&moved.to_string());
                // The closing quote of a quoted number is consumed here so the scan does
                // not take it for the start of a new string.
                if quoted {
                    rest = body[digits..].strip_prefix('"').unwrap_or(&body[digits..]);
                    out.push('"');
                } else {
                    rest = &body[digits..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs the command.
pub fn run(from: &str, size: &str, output: &str) -> CommandResult {
    let target = parse_size(size)
        .ok_or_else(|| Failure::input(anyhow::anyhow!("size '{size}' is not like 200M or 1G")))?;
    let sample = std::fs::read_to_string(from)
        .map_err(|e| Failure::input(anyhow::anyhow!("cannot read '{from}': {e}")))?;
    let lines: Vec<&str> = sample
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return Err(Failure::input(anyhow::anyhow!("'{from}' has no lines")));
    }
    let links = Links::scan(&lines);
    if !links.fits(VALUE_STEP) {
        return Err(Failure::input(anyhow::anyhow!(
            "'{from}' has relation ids too large to copy (at most {VALUE_STEP})"
        )));
    }
    let file = File::create(output)
        .map_err(|e| Failure::other(anyhow::anyhow!("cannot write '{output}': {e}")))?;
    let mut out = BufWriter::new(file);
    let mut written = 0u64;
    let mut copy = 0u32;
    let mut bridges = 0usize;
    while written < target {
        if let Some(doc) = links.bridge(copy, u64::from(copy) * VALUE_STEP) {
            out.write_all(doc.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Failure::other)?;
            written += doc.len() as u64 + 1;
            bridges += links.shared_objects();
        }
        for line in &lines {
            let text = rewrite_line(line, copy, &links);
            out.write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Failure::other)?;
            written += text.len() as u64 + 1;
        }
        copy += 1;
    }
    out.flush().map_err(Failure::other)?;
    eprintln!(
        "provscope: wrote {written} bytes ({copy} copies of {} line(s), joined by {bridges} \
         version_entity relations through {} shared files and directories) to {output}",
        lines.len(),
        links.shared_objects()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_move_ids_and_boot_attributes_together() {
        let line = r#"{"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=":{"cf:id":"138691","cf:boot_id":1,"x":"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA="}}"#;
        let out = rewrite_line(line, 2, &Links::default());
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        let (key, attrs) = v
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("one key");
        assert_ne!(key, "cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
        assert_eq!(attrs["x"].as_str(), Some(key.as_str()));
        assert_eq!(attrs["cf:boot_id"], 2001);
        assert_eq!(attrs["cf:id"], "2138691");
        let fields = crate::graph::ElementKey::parse(key)
            .fields()
            .expect("binary");
        assert_eq!(fields.boot_id, 2001);
        assert_eq!(rewrite_line(line, 0, &Links::default()), line);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("200M"), Some(200 << 20));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("x"), None);
    }
}
