//! SPADE JSON elements → records. Annotation names are brought to their W3C spelling
//! (`object_type` → `prov:type`, `uid` → `cf:uid`, ...) so the store and the writers see
//! one vocabulary; a flattened address is nested again as W3C's `cf:address`. Edges
//! point from `to` (the cause) to `from` (the effect), the way information flows.

use crate::capture::camflow::json::{Attrs, TopObject};
use crate::capture::camflow::report::Problems;
use crate::capture::camflow::types;
use crate::capture::camflow::w3c_read::strip;
use crate::graph::model::{Attr, Category, EdgeRecord, NodeRecord, ProvClass, RecordSink};
use crate::graph::{model, value};
use std::borrow::Cow;

/// Address fields SPADE flattens into a node's annotations.
const ADDRESS_FIELDS: [&str; 6] = ["type", "host", "service", "serv", "path", "error"];

/// True when `kind` is a SPADE element type this reader understands.
pub fn is_spade_type(kind: &str) -> bool {
    matches!(kind, "Entity" | "Activity" | "Agent") || Category::from_spade(kind).is_some()
}

/// Emits one SPADE element; returns false (and notes why) when it cannot be used.
pub fn emit_element<'a>(
    obj: TopObject<'a>,
    line: u64,
    sink: &mut dyn RecordSink,
    problems: &mut Problems,
) -> bool {
    let kind = obj.kind.clone().unwrap_or_default();
    let annotations = obj.annotations.unwrap_or_default();
    let class = match kind.as_ref() {
        "Entity" => Some(ProvClass::Entity),
        "Activity" => Some(ProvClass::Activity),
        "Agent" => Some(ProvClass::Agent),
        _ => None,
    };
    if let Some(class) = class {
        let Some(id) = obj.id else {
            problems.element(line, format!("SPADE {kind} without an id"));
            return false;
        };
        let node_kind = types::attr(&annotations, "object_type")
            .and_then(value::json_str)
            .map_or(Cow::Borrowed("unknown"), strip);
        let class = model::class_of_kind(&node_kind).unwrap_or(class);
        let attrs = node_attrs(annotations, node_kind == "address");
        sink.node(NodeRecord {
            key: strip(id),
            class,
            kind: node_kind,
            attrs,
        });
        return true;
    }
    let Some(category) = Category::from_spade(&kind) else {
        problems.element(line, format!("unknown SPADE element type '{kind}'"));
        return false;
    };
    let (Some(effect), Some(cause)) = (obj.from, obj.to) else {
        problems.element(line, format!("SPADE {kind} edge without 'from' and 'to'"));
        return false;
    };
    let text = |name: &str| types::attr(&annotations, name).and_then(value::json_str);
    let relation = text("relation_type").map_or(Cow::Borrowed("unknown"), strip);
    let key = match text("id") {
        Some(id) => strip(id),
        // Without its identifier an edge is still kept, under a key built from what
        // identifies it, so repeats of it merge.
        None => Cow::Owned(format!(
            "spade:{relation}:{cause}:{effect}:{}",
            text("relation_id").unwrap_or_default()
        )),
    };
    let sender_kind = text("to_type").map(strip);
    let receiver_kind = text("from_type").map(strip);
    sink.edge(EdgeRecord {
        key,
        category,
        kind: relation,
        sender: strip(cause),
        receiver: strip(effect),
        sender_kind,
        receiver_kind,
        attrs: edge_attrs(annotations),
    });
    true
}

/// The W3C name of a node annotation.
fn node_key(k: Cow<'_, str>) -> Cow<'_, str> {
    let renamed = match k.as_ref() {
        "object_id" | "packet_id" => "cf:id",
        "object_type" => "prov:type",
        "boot_id" => "cf:boot_id",
        "version" => "cf:version",
        "ih_len" => "cf:len",
        _ => return prefixed(k),
    };
    Cow::Borrowed(renamed)
}

/// The W3C name of an edge annotation; `None` for those that become structure.
fn edge_key(k: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let renamed = match k.as_ref() {
        "id" | "from_type" | "to_type" => return None,
        "relation_id" => "cf:id",
        "relation_type" => "prov:type",
        _ => return Some(prefixed(k)),
    };
    Some(Cow::Borrowed(renamed))
}

/// Un-prefixed SPADE names take the `cf:` namespace; prefixed ones stay.
fn prefixed(k: Cow<'_, str>) -> Cow<'_, str> {
    if k.starts_with("cf:") || k.starts_with("prov:") {
        k
    } else {
        Cow::Owned(format!("cf:{k}"))
    }
}

fn node_attrs(annotations: Attrs<'_>, is_address: bool) -> Vec<Attr<'_>> {
    let mut out = Vec::with_capacity(annotations.len());
    let mut address: Vec<(Cow<'_, str>, &str)> = Vec::new();
    for (k, v) in annotations {
        if is_address && ADDRESS_FIELDS.contains(&k.as_ref()) {
            address.push((k, v.get()));
            continue;
        }
        out.push((node_key(k), Cow::Borrowed(v.get())));
    }
    if !address.is_empty() {
        let body: Vec<String> = address
            .iter()
            .map(|(k, v)| format!("{}:{v}", value::quote(k)))
            .collect();
        out.push((
            Cow::Borrowed("cf:address"),
            Cow::Owned(format!("{{{}}}", body.join(","))),
        ));
    }
    out
}

fn edge_attrs(annotations: Attrs<'_>) -> Vec<Attr<'_>> {
    annotations
        .into_iter()
        .filter_map(|(k, v)| edge_key(k).map(|k| (k, Cow::Borrowed(v.get()))))
        .collect()
}
