//! Type names of elements across CamFlow releases. The name is taken from the strings in
//! the output, never decoded from numeric type bits (their positions moved between
//! releases): `prov:type` (with any `cf:` removed), then a string `cf:type`, then the
//! `[type]` prefix of `prov:label`, and only then the v0.1.x numeric table.

use crate::graph::value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The numeric `cf:type` values of CamFlow v0.1.x, as its traces pair them with labels.
const LEGACY_NODE_TYPES: [(u64, &str); 5] = [
    (4, "task"),
    (32, "file"),
    (1024, "socket"),
    (16384, "address"),
    (65536, "path"),
];

/// Finds an attribute's raw value by name.
pub fn attr<'a>(attrs: &[(Cow<'a, str>, &'a RawValue)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.get())
}

/// A type string from a JSON string value: `cf:` removed, empty and numeric strings refused.
fn type_string(raw: &str) -> Option<Cow<'_, str>> {
    let s = value::json_str(raw)?;
    let trimmed: Cow<'_, str> = match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.strip_prefix("cf:").unwrap_or(b)),
        Cow::Owned(o) => Cow::Owned(o.strip_prefix("cf:").unwrap_or(&o).to_string()),
    };
    if trimmed.is_empty() || trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(trimmed)
}

/// The `[name]` at the start of a label.
fn label_type(raw: &str) -> Option<Cow<'_, str>> {
    let label = value::json_str(raw)?;
    let rest = label.strip_prefix('[')?;
    let end = rest.find(']')?;
    let name = &rest[..end];
    if name.is_empty() {
        return None;
    }
    Some(Cow::Owned(name.to_string()))
}

/// The type name of a vertex from its W3C attributes.
pub fn node_kind<'a>(attrs: &[(Cow<'a, str>, &'a RawValue)]) -> Cow<'a, str> {
    if let Some(t) = attr(attrs, "prov:type").and_then(type_string) {
        return t;
    }
    if let Some(t) = attr(attrs, "cf:type").and_then(type_string) {
        return t;
    }
    if let Some(t) = attr(attrs, "prov:label").and_then(label_type) {
        // v0.5+ labels process_memory as "[process]"; v0.4.0's own type was "process".
        return t;
    }
    let numeric = attr(attrs, "cf:type")
        .or_else(|| attr(attrs, "prov:type"))
        .and_then(value::json_u64);
    if let Some(n) = numeric
        && let Some((_, name)) = LEGACY_NODE_TYPES.iter().find(|(v, _)| *v == n)
    {
        return Cow::Borrowed(name);
    }
    Cow::Borrowed("unknown")
}

/// The type name of a relation from its W3C attributes.
pub fn relation_kind<'a>(attrs: &[(Cow<'a, str>, &'a RawValue)]) -> Cow<'a, str> {
    for name in ["prov:type", "cf:type", "prov:label"] {
        if let Some(t) = attr(attrs, name).and_then(type_string) {
            return t;
        }
    }
    Cow::Borrowed("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(json: &str) -> Vec<(Cow<'_, str>, &RawValue)> {
        let map: Vec<(String, &RawValue)> =
            serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(json)
                .expect("json")
                .into_iter()
                .collect();
        map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect()
    }

    #[test]
    fn every_release_spelling_names_the_type() {
        assert_eq!(
            node_kind(&attrs(r#"{"prov:type":"process_memory"}"#)),
            "process_memory"
        );
        assert_eq!(
            node_kind(&attrs(r#"{"prov:type":"cf:socket","cf:type":1024}"#)),
            "socket"
        );
        assert_eq!(
            node_kind(&attrs(r#"{"cf:type":65536,"prov:label":"[path] /x"}"#)),
            "path"
        );
        assert_eq!(
            node_kind(&attrs(r#"{"prov:label":"[machine] 18"}"#)),
            "machine"
        );
        assert_eq!(node_kind(&attrs(r#"{"cf:type":4}"#)), "task");
        assert_eq!(node_kind(&attrs(r#"{"cf:type":3}"#)), "unknown");
        assert_eq!(node_kind(&attrs(r#"{}"#)), "unknown");
    }

    #[test]
    fn relation_types_from_type_or_label() {
        assert_eq!(relation_kind(&attrs(r#"{"prov:type":"read"}"#)), "read");
        assert_eq!(
            relation_kind(&attrs(r#"{"cf:type":"version","prov:label":"x"}"#)),
            "version"
        );
        assert_eq!(relation_kind(&attrs(r#"{"prov:label":"named"}"#)), "named");
    }
}
