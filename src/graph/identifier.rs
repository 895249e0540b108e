//! CamFlow identifiers: the base64 text of a 32-byte C union (type, id, boot_id,
//! machine_id, version), stored decoded so a key costs 32 bytes, not a heap string.
//! Keys that are not canonical base64 of 32 bytes (old traces key machines by a bare
//! number, hostile input can hold anything) are kept as text, so nothing is lost.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// The identity of one element (one version of an object, or one relation).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementKey {
    /// The decoded 32 bytes of a canonical base64 identifier.
    Binary([u8; 32]),
    /// Any other identifier, kept verbatim (without a `cf:` prefix).
    Text(Box<str>),
}

/// Strips the optional `cf:` namespace prefix of a CamFlow reference.
pub fn strip_cf(s: &str) -> &str {
    s.strip_prefix("cf:").unwrap_or(s)
}

impl ElementKey {
    /// Parses an identifier as written in a trace, with or without `cf:`.
    pub fn parse(text: &str) -> ElementKey {
        let text = strip_cf(text);
        if text.len() == 44 {
            let mut buf = [0u8; 33];
            // STANDARD rejects non-canonical padding and trailing bits, so a successful
            // decode re-encodes to the very same text.
            if let Ok(32) = STANDARD.decode_slice(text.as_bytes(), &mut buf) {
                let mut bytes = [0u8; 32];
                bytes.copy_from_slice(&buf[..32]);
                return ElementKey::Binary(bytes);
            }
        }
        ElementKey::Text(text.into())
    }

    /// The identifier as CamFlow writes it, without `cf:`.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        self.push_text(&mut text);
        text
    }

    /// Appends [`ElementKey::to_text`] to `out`, with no string of its own (a capture
    /// makes a key for every element it writes).
    pub fn push_text(&self, out: &mut String) {
        match self {
            ElementKey::Binary(b) => STANDARD.encode_string(b, out),
            ElementKey::Text(t) => out.push_str(t),
        }
    }

    /// The decoded fields, when the key is binary.
    pub fn fields(&self) -> Option<IdentifierFields> {
        match self {
            ElementKey::Binary(b) => Some(IdentifierFields::decode(b)),
            ElementKey::Text(_) => None,
        }
    }
}

impl fmt::Display for ElementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for ElementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElementKey({self})")
    }
}

/// The fields of a node identifier (little-endian, x86_64 layout of
/// `struct node_identifier`): type u64 @0, id u64 @8, boot_id u32 @16,
/// machine_id u32 @20, version u32 @24. Relations share the first four.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentifierFields {
    /// The 64-bit type; the top nibble is the PROV class.
    pub kind: u64,
    /// The object or relation id.
    pub id: u64,
    /// The boot the element was recorded in.
    pub boot_id: u32,
    /// The machine the element was recorded on.
    pub machine_id: u32,
    /// The version (nodes only).
    pub version: u32,
}

fn le_u64(b: &[u8; 32], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn le_u32(b: &[u8; 32], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

impl IdentifierFields {
    /// Decodes the fields of a 32-byte identifier.
    pub fn decode(b: &[u8; 32]) -> IdentifierFields {
        IdentifierFields {
            kind: le_u64(b, 0),
            id: le_u64(b, 8),
            boot_id: le_u32(b, 16),
            machine_id: le_u32(b, 20),
            version: le_u32(b, 24),
        }
    }

    /// Encodes fields back into the 32-byte layout (padding zeroed).
    pub fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.kind.to_le_bytes());
        b[8..16].copy_from_slice(&self.id.to_le_bytes());
        b[16..20].copy_from_slice(&self.boot_id.to_le_bytes());
        b[20..24].copy_from_slice(&self.machine_id.to_le_bytes());
        b[24..28].copy_from_slice(&self.version.to_le_bytes());
        b
    }

    /// True when bit 63 is set: the identifier names a relation.
    pub fn is_relation(&self) -> bool {
        self.kind & 0x8000_0000_0000_0000 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_task_example_from_the_reference() {
        let k = ElementKey::parse("cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
        let f = k.fields().expect("binary key");
        assert_eq!(f.kind, 0x4000_0000_0000_0001);
        assert_eq!(f.id, 138_691);
        assert_eq!(f.boot_id, 1);
        assert_eq!(f.machine_id, 1_958_431_827);
        assert_eq!(f.version, 2);
        assert_eq!(k.to_text(), "AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
    }

    #[test]
    fn prefix_is_optional_and_keys_compare_equal() {
        let a = ElementKey::parse("cf:AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
        let b = ElementKey::parse("AQAAAAAAAEDDHQIAAAAAAAEAAABTTLt0AgAAAAAAAAA=");
        assert_eq!(a, b);
    }

    #[test]
    fn non_base64_keys_are_kept_as_text() {
        assert_eq!(
            ElementKey::parse("184983327"),
            ElementKey::Text("184983327".into())
        );
        // 44 characters but not base64: kept verbatim, never half-decoded.
        let odd = "!!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(odd.len(), 44);
        assert_eq!(ElementKey::parse(odd).to_text(), odd);
    }

    #[test]
    fn fields_round_trip() {
        let f = IdentifierFields {
            kind: 0x2000_0000_0000_0020,
            id: 7,
            boot_id: 3,
            machine_id: 9,
            version: 4,
        };
        assert_eq!(IdentifierFields::decode(&f.encode()), f);
    }
}
