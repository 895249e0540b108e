//! W3C PROV-JSON documents → records. Node sections give vertices (a type name that fixes
//! the class, such as `machine` in v0.1's entity section, wins over the section); relation
//! sections give edges, with the two endpoint keys of the section taken out of the
//! attributes and turned into sender and receiver.

use crate::capture::camflow::json::{Attrs, Section};
use crate::capture::camflow::report::Problems;
use crate::capture::camflow::types;
use crate::graph::model::{Attr, Category, EdgeRecord, NodeRecord, ProvClass, RecordSink};
use crate::graph::{identifier, model, value};
use std::borrow::Cow;

/// Emits every element of a document's sections; returns how many were emitted.
pub fn emit_document<'a>(
    sections: Vec<(Cow<'a, str>, Option<Section<'a>>)>,
    line: u64,
    sink: &mut dyn RecordSink,
    problems: &mut Problems,
) -> u64 {
    let mut emitted = 0;
    for (name, section) in sections {
        let Some(section) = section else {
            problems.element(line, format!("section '{name}' is not an object"));
            continue;
        };
        let node_class = match name.as_ref() {
            "activity" => Some(ProvClass::Activity),
            "agent" => Some(ProvClass::Agent),
            "entity" | "message" => Some(ProvClass::Entity),
            _ => None,
        };
        let category = Category::from_section(&name);
        for (key, attrs) in section {
            let Some(attrs) = attrs else {
                problems.element(line, format!("{name} element '{key}' is not an object"));
                continue;
            };
            let ok = match (node_class, category) {
                (Some(class), _) => {
                    emit_node(key, class, attrs, sink);
                    true
                }
                (None, Some(cat)) => emit_relation(&name, key, cat, attrs, line, sink, problems),
                (None, None) => false,
            };
            emitted += u64::from(ok);
        }
    }
    emitted
}

fn emit_node<'a>(
    key: Cow<'a, str>,
    section: ProvClass,
    attrs: Attrs<'a>,
    sink: &mut dyn RecordSink,
) {
    let kind = types::node_kind(&attrs);
    let class = model::class_of_kind(&kind).unwrap_or(section);
    sink.node(NodeRecord {
        key: strip(key),
        class,
        kind,
        attrs: attrs
            .into_iter()
            .map(|(k, v)| (k, Cow::Borrowed(v.get())))
            .collect(),
    });
}

fn emit_relation<'a>(
    section: &str,
    key: Cow<'a, str>,
    category: Category,
    attrs: Attrs<'a>,
    line: u64,
    sink: &mut dyn RecordSink,
    problems: &mut Problems,
) -> bool {
    let kind = types::relation_kind(&attrs);
    let (snd_key, rcv_key) = category.endpoint_keys();
    let end = |name: &str| {
        types::attr(&attrs, name)
            .and_then(value::json_str)
            .map(strip)
    };
    let (Some(sender), Some(receiver)) = (end(snd_key), end(rcv_key)) else {
        problems.element(
            line,
            format!("{section} relation '{key}' ({kind}) lacks a string {snd_key} or {rcv_key}"),
        );
        return false;
    };
    let rest: Vec<Attr<'a>> = attrs
        .into_iter()
        .filter(|(k, _)| k != snd_key && k != rcv_key)
        .map(|(k, v)| (k, Cow::Borrowed(v.get())))
        .collect();
    sink.edge(EdgeRecord {
        key: strip(key),
        category,
        kind,
        sender,
        receiver,
        sender_kind: None,
        receiver_kind: None,
        attrs: rest,
    });
    true
}

/// An element key without its `cf:` prefix.
pub fn strip(key: Cow<'_, str>) -> Cow<'_, str> {
    match key {
        Cow::Borrowed(b) => Cow::Borrowed(identifier::strip_cf(b)),
        Cow::Owned(o) => Cow::Owned(identifier::strip_cf(&o).to_string()),
    }
}
