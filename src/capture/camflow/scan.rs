//! Byte-level JSON structure without parsing: where a value spread over many lines ends
//! (depth tracking that respects strings), and repair of raw control characters inside
//! strings, which camflowd writes unescaped (its strings are not JSON-escaped).

/// Tracks bracket depth across chunks of one JSON value.
#[derive(Debug, Default)]
pub struct DepthScanner {
    depth: u64,
    in_string: bool,
    escaped: bool,
    started: bool,
    top_is_array: bool,
}

impl DepthScanner {
    /// Feeds the next bytes; returns true once the top-level value has closed.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    if !self.started {
                        self.started = true;
                        self.top_is_array = b == b'[';
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.started && self.depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// True when the scan sits directly inside a top-level array, where a new
    /// `{"type"...}` line is the next element of a legacy SPADE batch rather than a
    /// sign that the previous value was cut.
    pub fn directly_in_array(&self) -> bool {
        self.top_is_array && self.depth == 1 && !self.in_string
    }
}

/// Escapes control bytes that sit inside JSON strings (`\u00XX`), leaving the structure
/// alone. Returns `None` when there was nothing to repair.
pub fn escape_controls_in_strings(text: &str) -> Option<String> {
    let mut in_string = false;
    let mut escaped = false;
    let mut needs = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if b < 0x20 {
                needs = true;
                break;
            }
        } else if b == b'"' {
            in_string = true;
        }
    }
    if !needs {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    in_string = false;
    escaped = false;
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        let mut s = DepthScanner::default();
        assert!(!s.feed(br#"{"a":"}{","#));
        assert!(!s.feed(br#""b":{"c":"\"}"}"#));
        assert!(s.feed(b"}"));
    }

    #[test]
    fn arrays_of_elements_are_recognised() {
        let mut s = DepthScanner::default();
        assert!(!s.feed(b"["));
        assert!(s.directly_in_array());
        assert!(!s.feed(br#"{"type":"Entity","#));
        assert!(!s.directly_in_array());
    }

    #[test]
    fn controls_in_strings_are_escaped_only_there() {
        let fixed = escape_controls_in_strings("{\"p\":\"a\tb\x1b[2J\"}").expect("repair");
        assert_eq!(fixed, "{\"p\":\"a\\u0009b\\u001b[2J\"}");
        assert!(serde_json::from_str::<serde_json::Value>(&fixed).is_ok());
        assert_eq!(escape_controls_in_strings("{\"p\":\"ok\"}\t"), None);
    }
}
