//! Names as the kernel hands them over (path names, argv and envp strings, unix socket
//! paths) are bytes, not UTF-8, while a trace's JSON strings must be valid UTF-8. This
//! module owns the one lossless, reversible way the capture writes such bytes as text, so
//! that two files whose names differ only in an invalid byte stay two names in the trace,
//! and an investigator sees which bytes were there.
//!
//! The rule ([`escape`]; [`unescape`] reverses it):
//! - valid UTF-8 passes unchanged, control characters and terminal escape sequences
//!   included (the trace keeps what was there; the TUI escapes them on display, see
//!   `crate::text`);
//! - each byte that is not part of valid UTF-8 becomes the four characters `\xHH` (a
//!   backslash, `x`, two upper-case hex digits);
//! - a backslash of the name is doubled (`\\`) only where it would otherwise read as the
//!   start of an escape: when what follows it in the output is another backslash, or `x`
//!   and two hex digits. Any other backslash stays single.
//!
//! So a valid name changes only if it holds `\\` or `\x` + two hex digits as text (a
//! rare sight in a Linux name). Keeping every valid name unchanged is impossible for a
//! lossless rule: valid names already use every possible string, leaving no free text for
//! the others. Reading back, `\\` is one backslash, `\xHH` is the byte HH, and any other
//! backslash is itself.

use std::borrow::Cow;

/// One piece of a name: valid text, or a byte that is not valid UTF-8.
enum Piece<'a> {
    Text(&'a str),
    Byte(u8),
}

/// The pieces of `bytes`, in order.
fn pieces(mut bytes: &[u8]) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push(Piece::Text(text));
                break;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                if let Ok(text) = std::str::from_utf8(good)
                    && !text.is_empty()
                {
                    out.push(Piece::Text(text));
                }
                // error_len is None only for an incomplete sequence at the very end:
                // every remaining byte is then invalid on its own.
                let bad = e.error_len().unwrap_or(rest.len()).min(rest.len());
                out.extend(rest[..bad].iter().map(|&b| Piece::Byte(b)));
                bytes = &rest[bad..];
            }
        }
    }
    out
}

/// True when `s` starts with what [`unescape`] would read after a backslash as an escape.
fn escape_follows(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'\\')
        || (b.len() >= 3 && b[0] == b'x' && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit())
}

/// The text of a name's bytes (see the module's rule). Borrowed when nothing changes.
pub fn escape(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && !needs_doubling(text)
    {
        return Cow::Borrowed(text);
    }
    // Escapes first, then the backslashes that precede an escape-looking output.
    let mut raw = String::with_capacity(bytes.len() + 8);
    let mut literal_at = Vec::new();
    for piece in pieces(bytes) {
        match piece {
            Piece::Text(t) => {
                for (i, c) in t.char_indices() {
                    if c == '\\' {
                        literal_at.push(raw.len() + i);
                    }
                }
                raw.push_str(t);
            }
            Piece::Byte(b) => raw.push_str(&format!("\\x{b:02X}")),
        }
    }
    let mut out = String::with_capacity(raw.len() + literal_at.len());
    let mut from = 0;
    for at in literal_at {
        out.push_str(&raw[from..=at]);
        if escape_follows(&raw[at + 1..]) {
            out.push('\\');
        }
        from = at + 1;
    }
    out.push_str(&raw[from..]);
    Cow::Owned(out)
}

/// True when a valid name holds a backslash the rule doubles.
fn needs_doubling(text: &str) -> bool {
    text.match_indices('\\')
        .any(|(i, _)| escape_follows(&text[i + 1..]))
}

/// The bytes a name's text stands for: the reverse of [`escape`]. Any text reads as
/// something (a lone backslash is itself), so a hand-typed name never fails.
pub fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if let Some(byte) = hex_escape(&b[i + 1..]) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The byte of `xHH` at the start of `b`.
fn hex_escape(b: &[u8]) -> Option<u8> {
    let digits = b.get(..3).filter(|d| d[0] == b'x')?;
    let hex = std::str::from_utf8(&digits[1..]).ok()?;
    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(name: &[u8]) -> String {
        let text = escape(name).into_owned();
        assert_eq!(unescape(&text), name, "{text:?} reads back");
        text
    }

    #[test]
    fn valid_names_pass_unchanged() {
        for name in [
            "/etc/passwd",
            "/tmp/ünïcödé/日本",
            "",
            "C:\\Users\\x",
            "a\\",
            "\\",
        ] {
            assert!(
                matches!(escape(name.as_bytes()), Cow::Borrowed(_)),
                "{name}"
            );
            assert_eq!(round_trip(name.as_bytes()), name);
        }
    }

    #[test]
    fn invalid_bytes_become_visible_escapes() {
        assert_eq!(round_trip(b"/tmp/a\xffb"), "/tmp/a\\xFFb");
        assert_eq!(round_trip(b"\x80"), "\\x80");
        // A sequence cut at the end, and a surrogate, byte by byte.
        assert_eq!(round_trip(b"x\xe6\x97"), "x\\xE6\\x97");
        assert_eq!(round_trip(b"\xed\xa0\x80"), "\\xED\\xA0\\x80");
        // Valid text around them is kept as text.
        assert_eq!(round_trip("é\u{fe}".as_bytes()), "é\u{fe}");
        assert_eq!(round_trip(b"\xc3\xa9\xfe"), "é\\xFE");
    }

    #[test]
    fn names_that_differ_only_in_an_invalid_byte_stay_distinct() {
        let a = escape(b"/tmp/f\xfe").into_owned();
        let b = escape(b"/tmp/f\xff").into_owned();
        let lossy = String::from_utf8_lossy(b"/tmp/f\xfe");
        assert_ne!(a, b);
        assert_eq!(
            lossy,
            String::from_utf8_lossy(b"/tmp/f\xff"),
            "what lossy lost"
        );
    }

    #[test]
    fn escape_looking_names_are_told_apart_from_escapes() {
        // The text `\xFF` in a valid name and the byte 0xFF.
        let text = round_trip(b"/tmp/\\xFF");
        let byte = round_trip(b"/tmp/\xff");
        assert_eq!(text, "/tmp/\\\\xFF");
        assert_eq!(byte, "/tmp/\\xFF");
        // Lower-case hex looks like an escape too; a backslash before a byte escape and
        // a doubled backslash are doubled; a backslash before anything else is not.
        assert_eq!(round_trip(b"\\xab"), "\\\\xab");
        assert_eq!(round_trip(b"\\\xff"), "\\\\\\xFF");
        assert_eq!(round_trip(b"\\\\"), "\\\\\\");
        assert_eq!(round_trip(b"\\xZZ"), "\\xZZ");
        assert_eq!(round_trip(b"\\x4"), "\\x4");
        for name in [&b"\\\\\\x41\xff\\"[..], b"\\x\\x00", b"\xff\\\xfe\\\\x"] {
            round_trip(name);
        }
    }

    #[test]
    fn terminal_escape_sequences_are_kept_in_the_trace() {
        let hostile = "/tmp/\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}txt";
        assert_eq!(round_trip(hostile.as_bytes()), hostile);
        // The TUI is where they are made harmless.
        let shown = crate::text::sanitize(&escape(b"/tmp/\x1b[2J\xff"));
        assert_eq!(shown, "/tmp/\\u{1b}[2J\\xFF");
    }

    #[test]
    fn any_text_reads_back_without_failing() {
        for text in ["\\", "\\x", "\\xF", "\\xFG", "\\\\\\", "plain"] {
            let bytes = unescape(text);
            assert!(!bytes.is_empty());
        }
    }

    #[test]
    fn every_short_byte_string_round_trips() {
        let alphabet = [b'\\', b'x', b'F', b'0', 0xff, 0xc3, 0xa9, b'a'];
        let mut name = Vec::new();
        for n in 0..alphabet.len().pow(4) {
            name.clear();
            let mut k = n;
            for _ in 0..4 {
                name.push(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            round_trip(&name);
        }
    }
}
