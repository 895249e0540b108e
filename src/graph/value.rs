//! Reading typed values out of the JSON text an attribute was stored as. CamFlow writes
//! u64s as strings, u32s as numbers, machine ids as `"cf:N"` or `N` depending on the
//! release, so every accessor here accepts all of those spellings.

use std::borrow::Cow;

/// The string inside a JSON string literal, unescaped; `None` for other JSON values.
pub fn json_str(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// An unsigned integer written as a JSON number, a decimal string, or `"cf:N"`.
pub fn json_u64(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    let t = t.strip_prefix("cf:").unwrap_or(t);
    t.parse::<u64>().ok()
}

/// A value as a person should read it: strings without quotes or escapes, anything
/// else (numbers, objects, arrays) as its JSON text.
pub fn display(text: &str) -> Cow<'_, str> {
    json_str(text).unwrap_or(Cow::Borrowed(text))
}

/// The JSON text of a string value (quoted and escaped), as serde_json writes it. Most
/// values the capture writes (numbers as strings, type names, dates, base64) need no
/// escape: those are copied between quotes at once (serde_json escapes only `"`, `\`
/// and control characters), the capture's busiest path.
pub fn quote(s: &str) -> String {
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return out;
    }
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// The JSON text of a number written as a string (`"42"`), as CamFlow writes ids. Made
/// for every element a capture writes, several times: no formatting machinery.
pub fn quote_number(n: u64) -> String {
    prefixed_number("\"", n, "\"")
}

/// `before`, the decimal digits of `n`, `after`, in one allocation (itoa: the digits
/// without `fmt`'s machinery, which showed in a capture's profile).
pub fn prefixed_number(before: &str, n: u64, after: &str) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    let mut out = String::with_capacity(before.len() + digits.len() + after.len());
    out.push_str(before);
    out.push_str(digits);
    out.push_str(after);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_camflow_spelling() {
        assert_eq!(json_u64("1958431827"), Some(1_958_431_827));
        assert_eq!(json_u64("\"1958431827\""), Some(1_958_431_827));
        assert_eq!(json_u64("\"cf:1958431827\""), Some(1_958_431_827));
        assert_eq!(json_u64("\"0x81ed\""), None);
        assert_eq!(json_u64("[]"), None);
    }

    #[test]
    fn quoting_matches_serde_json_byte_for_byte() {
        for s in [
            "",
            "plain",
            "/usr/bin/make",
            "a\"quote",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{1}\u{1f}",
            "\u{7f} del is not escaped",
            "é ü 漢字 🦀",
            "</script>",
            "cf:AAAAAAAAAAAAAAAAAAAAAA==",
        ] {
            assert_eq!(quote(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
        assert_eq!(quote_number(1958431827), "\"1958431827\"");
    }

    #[test]
    fn strings_are_unescaped() {
        assert_eq!(
            json_str("\"/usr/bin/make\"").as_deref(),
            Some("/usr/bin/make")
        );
        assert_eq!(json_str(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(json_str("12"), None);
        assert_eq!(display("12"), "12");
        assert_eq!(display("\"x\""), "x");
        assert_eq!(quote("a\u{1b}b"), "\"a\\u001bb\"");
    }
}
