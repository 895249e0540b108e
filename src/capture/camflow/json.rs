//! One pass of serde over a JSON value that may be a W3C PROV document, a SPADE element,
//! or an array of SPADE elements (libprovenance ≤ 0.4.3). Strings and attribute values
//! borrow from the input, and values are kept as their raw JSON text, so nothing is
//! built that the store does not keep.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A string that borrows from the input when it holds no escapes.
#[derive(Debug)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Attributes of one element: names and raw JSON values, in input order.
pub type Attrs<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// An attribute map, or `None` when the value was not an object (counted as a bad
/// element by the caller instead of failing the whole document).
pub struct MaybeAttrs<'a>(pub Option<Attrs<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeAttrs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeAttrs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(16));
                while let Some(Text(k)) = m.next_key::<Text<'de>>()? {
                    let v: &'de RawValue = m.next_value()?;
                    out.push((k, v));
                }
                Ok(MaybeAttrs(Some(out)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeAttrs(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeAttrs(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// One W3C section: element key → attributes (or `None` for a non-object value).
pub type Section<'a> = Vec<(Cow<'a, str>, Option<Attrs<'a>>)>;

struct SectionSeed;

impl<'de> Visitor<'de> for SectionSeed {
    type Value = Option<Section<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a W3C section object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Text(k)) = m.next_key::<Text<'de>>()? {
            let MaybeAttrs(v) = m.next_value()?;
            out.push((k, v));
        }
        Ok(Some(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

struct SectionValue<'a>(Option<Section<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for SectionValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SectionSeed).map(SectionValue)
    }
}

/// A string field, or `None` when the value had another JSON type.
struct MaybeText<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        let text = raw.get();
        if !text.starts_with('"') {
            return Ok(MaybeText(None));
        }
        Ok(MaybeText(crate::graph::value::json_str(text)))
    }
}

/// The fields of a top-level JSON object that matter for either format.
#[derive(Default)]
pub struct TopObject<'a> {
    /// A W3C `prefix` key was present.
    pub has_prefix: bool,
    /// W3C sections with a map value, in input order; `None` marks a section whose
    /// value was not an object.
    pub sections: Vec<(Cow<'a, str>, Option<Section<'a>>)>,
    /// SPADE `type`.
    pub kind: Option<Cow<'a, str>>,
    /// SPADE node `id`.
    pub id: Option<Cow<'a, str>>,
    /// SPADE edge `from` (the effect).
    pub from: Option<Cow<'a, str>>,
    /// SPADE edge `to` (the cause).
    pub to: Option<Cow<'a, str>>,
    /// SPADE `annotations`.
    pub annotations: Option<Attrs<'a>>,
}

const W3C_SECTIONS: [&str; 11] = [
    "activity",
    "entity",
    "agent",
    "message",
    "used",
    "wasGeneratedBy",
    "wasInformedBy",
    "wasDerivedFrom",
    "wasAssociatedWith",
    "wasInfluencedBy",
    "wasAttributedTo",
];

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = TopObject<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut top = TopObject::default();
        while let Some(Text(key)) = m.next_key::<Text<'de>>()? {
            match key.as_ref() {
                "prefix" => {
                    m.next_value::<IgnoredAny>()?;
                    top.has_prefix = true;
                }
                "type" => top.kind = m.next_value::<MaybeText<'de>>()?.0,
                "id" => top.id = m.next_value::<MaybeText<'de>>()?.0,
                "from" => top.from = m.next_value::<MaybeText<'de>>()?.0,
                "to" => top.to = m.next_value::<MaybeText<'de>>()?.0,
                "annotations" => top.annotations = m.next_value::<MaybeAttrs<'de>>()?.0,
                k if W3C_SECTIONS.contains(&k) => {
                    let SectionValue(s) = m.next_value()?;
                    top.sections.push((key, s));
                }
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// A parsed top-level JSON value.
pub enum TopValue<'a> {
    /// An object: a W3C document or a SPADE element (or neither).
    Object(TopObject<'a>),
    /// An array of objects (legacy SPADE batches).
    Array(Vec<TopObject<'a>>),
    /// Any other JSON value.
    Other,
}

struct TopItem<'a>(Option<TopObject<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for TopItem<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        if !raw.get().starts_with('{') {
            return Ok(TopItem(None));
        }
        let mut de = serde_json::Deserializer::from_str(raw.get());
        de.deserialize_map(TopVisitor)
            .map(|t| TopItem(Some(t)))
            .map_err(de::Error::custom)
    }
}

struct TopValueVisitor;

impl<'de> Visitor<'de> for TopValueVisitor {
    type Value = TopValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
        TopVisitor.visit_map(m).map(TopValue::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(TopItem(item)) = s.next_element()? {
            items.extend(item);
        }
        Ok(TopValue::Array(items))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TopValue::Other)
    }
}

/// Parses one complete JSON value. Trailing bytes after it are an error.
pub fn parse_top(text: &str) -> Result<TopValue<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = de.deserialize_any(TopValueVisitor)?;
    de.end()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_sections_keep_order_and_raw_values() {
        let doc = r#"{"prefix":{"prov" : "x"}, "entity":{"cf:A":{"cf:id":"1","cf:address":{"type":"AF_UNIX"}}}, "used":{"cf:B":{"prov:type":"read"}}}"#;
        let TopValue::Object(t) = parse_top(doc).expect("parse") else {
            panic!("object expected")
        };
        assert!(t.has_prefix);
        assert_eq!(t.sections.len(), 2);
        let (name, sec) = &t.sections[0];
        assert_eq!(name, "entity");
        let attrs = sec.as_ref().expect("map")[0].1.as_ref().expect("attrs");
        assert_eq!(attrs[1].1.get(), r#"{"type":"AF_UNIX"}"#);
    }

    #[test]
    fn non_object_elements_do_not_fail_the_document() {
        let doc = r#"{"entity":{"cf:A":5,"cf:B":{"x":1}},"used":[1,2]}"#;
        let TopValue::Object(t) = parse_top(doc).expect("parse") else {
            panic!("object expected")
        };
        let sec = t.sections[0].1.as_ref().expect("map");
        assert!(sec[0].1.is_none());
        assert!(sec[1].1.is_some());
        assert!(t.sections[1].1.is_none());
    }

    #[test]
    fn spade_fields_and_arrays() {
        let line = r#"[{"type":"Used","from":"a","to":"b","annotations":{"id":"c"}}, 3]"#;
        let TopValue::Array(items) = parse_top(line).expect("parse") else {
            panic!("array expected")
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].kind.as_deref(), Some("Used"));
        assert_eq!(items[0].from.as_deref(), Some("a"));
        assert!(parse_top("{} x").is_err());
    }
}
