//! `provscope bench gen-trace`: a large trace made from a real sample for the load
//! benchmark. Each copy of the sample has every 32-byte identifier rewritten (its boot id
//! field moved by a per-copy offset) and its `boot_id` attributes moved the same way, so
//! copies stay distinct elements and distinct objects while references stay consistent.

use crate::app::cli::{CommandResult, Failure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fs::File;
use std::io::{BufWriter, Write};

/// How far each copy moves boot ids.
const BOOT_STEP: u32 = 1000;

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

/// Rewrites one line for copy `copy` (0 leaves it unchanged).
pub fn rewrite_line(line: &str, copy: u32) -> String {
    if copy == 0 {
        return line.to_string();
    }
    let shift = copy.wrapping_mul(BOOT_STEP);
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
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
            let boot = u32::from_le_bytes([buf[16], buf[17], buf[18], buf[19]]).wrapping_add(shift);
            buf[16..20].copy_from_slice(&boot.to_le_bytes());
            out.push_str(prefix);
            out.push_str(&STANDARD.encode(&buf[..32]));
        } else {
            out.push_str(token);
        }
        out.push('"');
        rest = &rest[end + 1..];
        if (token == "cf:boot_id" || token == "boot_id")
            && let Some(after) = rest.strip_prefix(':')
        {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(n) = after[..digits].parse::<u32>() {
                out.push(':');
                out.push_str(&n.wrapping_add(shift).to_string());
                rest = &after[digits..];
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
    let file = File::create(output)
        .map_err(|e| Failure::other(anyhow::anyhow!("cannot write '{output}': {e}")))?;
    let mut out = BufWriter::new(file);
    let mut written = 0u64;
    let mut copy = 0u32;
    while written < target {
        for line in &lines {
            let text = rewrite_line(line, copy);
            out.write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Failure::other)?;
            written += text.len() as u64 + 1;
        }
        copy += 1;
    }
    out.flush().map_err(Failure::other)?;
    eprintln!(
        "provscope: wrote {written} bytes ({copy} copies of {} line(s)) to {output}",
        lines.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_move_ids_and_boot_attributes_together() {
        let line = r#"{"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=":{"cf:boot_id":1,"x":"cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA="}}"#;
        let out = rewrite_line(line, 2);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        let (key, attrs) = v
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("one key");
        assert_ne!(key, "cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
        assert_eq!(attrs["x"].as_str(), Some(key.as_str()));
        assert_eq!(attrs["cf:boot_id"], 2001);
        let fields = crate::graph::ElementKey::parse(key)
            .fields()
            .expect("binary");
        assert_eq!(fields.boot_id, 2001);
        assert_eq!(rewrite_line(line, 0), line);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("200M"), Some(200 << 20));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("x"), None);
    }
}
