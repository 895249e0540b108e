//! Terminal-safe text. Every string from a trace is untrusted: a path can hold an OSC
//! title change, a screen clear or a bidirectional override. Before anything reaches a
//! terminal, control characters, escape sequences and bidi controls are shown escaped
//! (`\u{1b}`), and long strings are capped with a visible marker.

/// True for characters that must never reach a terminal raw.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with dangerous characters escaped as `\u{..}`.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(is_dangerous) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `sanitize(s)` capped at `max` characters, ending with `…` when cut.
pub fn sanitize_capped(s: &str, max: usize) -> String {
    let clean = sanitize(s);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bidi_controls_are_shown_not_sent() {
        let hostile = "/tmp/\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}txt";
        let safe = sanitize(hostile);
        assert!(!safe.chars().any(is_dangerous), "{safe}");
        assert_eq!(safe, "/tmp/\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}txt");
        assert_eq!(sanitize("plain"), "plain");
    }

    #[test]
    fn long_strings_are_capped_visibly() {
        assert_eq!(sanitize_capped("abcdef", 4), "abc…");
        assert_eq!(sanitize_capped("abc", 4), "abc");
    }
}
