//! Writing W3C PROV-JSON exactly as camflowd does: one document per line, starting with
//! camflowd's literal prefix, sections in camflowd's order, a new document whenever a
//! section reaches 8 KiB. Attribute values are written back as the JSON text they were
//! read as, so camflowd's own layout (nested `cf:address` objects included) survives.
//! Derived agents and never-defined edge ends are not trace elements and are not written.

use crate::graph::store::{EdgeId, NodeId, Origin, ProvGraph};
use crate::graph::{Category, ProvClass, value};
use std::io::{self, Write};

/// camflowd's document opening, byte for byte (libprovenance `JSON_START` + prefix).
pub const DOCUMENT_PREFIX: &str =
    r#"{"prefix":{"prov" : "http://www.w3.org/ns/prov", "cf":"http://www.camflow.org"}"#;

/// camflowd flushes a document when one section's buffer reaches this size.
const SECTION_LIMIT: usize = 1 << 13;

/// Node sections in camflowd's order, then relation sections.
const NODE_SECTIONS: [ProvClass; 3] = [ProvClass::Activity, ProvClass::Agent, ProvClass::Entity];

/// Counts of what was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Vertices written.
    pub nodes: u64,
    /// Relations written.
    pub edges: u64,
    /// Lines (documents or SPADE elements) written.
    pub lines: u64,
}

/// Collects elements into sections and flushes documents: the streaming side of the
/// writer, also used by the capture to write elements as it makes them.
pub struct DocumentBuilder<'w, W: Write> {
    out: &'w mut W,
    sections: Vec<(&'static str, String)>,
    counts: WriteCounts,
}

impl<'w, W: Write> DocumentBuilder<'w, W> {
    /// A writer of documents to `out`.
    pub fn new(out: &'w mut W) -> Self {
        DocumentBuilder {
            out,
            sections: Vec::new(),
            counts: WriteCounts::default(),
        }
    }

    /// What was written so far.
    pub fn counts(&self) -> WriteCounts {
        self.counts
    }

    /// Adds a vertex element (`"cf:ID":{...}`) to its section.
    pub fn push_node(&mut self, section: &'static str, element: &str) -> io::Result<()> {
        self.push_with(section, true, |buf| buf.push_str(element))
    }

    /// Adds a relation element to its section.
    pub fn push_edge(&mut self, section: &'static str, element: &str) -> io::Result<()> {
        self.push_with(section, false, |buf| buf.push_str(element))
    }

    /// Writes what is pending as one document (camflowd flushes on a timer too).
    pub fn flush_document(&mut self) -> io::Result<()> {
        self.flush()?;
        self.out.flush()
    }

    /// Adds an element that `write` appends to its section's text: the counting and
    /// separating of [`DocumentBuilder::push_node`], without a string of its own.
    pub fn push_with(
        &mut self,
        section: &'static str,
        node: bool,
        write: impl FnOnce(&mut String),
    ) -> io::Result<()> {
        if node {
            self.counts.nodes += 1;
        } else {
            self.counts.edges += 1;
        }
        let slot = match self.sections.iter().position(|(s, _)| *s == section) {
            Some(i) => i,
            None => {
                self.sections.push((section, String::new()));
                self.sections.len() - 1
            }
        };
        let buf = &mut self.sections[slot].1;
        if !buf.is_empty() {
            buf.push(',');
        }
        write(buf);
        if buf.len() >= SECTION_LIMIT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.sections.iter().all(|(_, b)| b.is_empty()) {
            return Ok(());
        }
        let order = section_order();
        self.sections
            .sort_by_key(|(s, _)| order.iter().position(|o| o == s).unwrap_or(usize::MAX));
        self.out.write_all(DOCUMENT_PREFIX.as_bytes())?;
        // The sections' strings are emptied, not dropped: the next document grows
        // into the room they already have.
        for (name, body) in &mut self.sections {
            if body.is_empty() {
                continue;
            }
            write!(self.out, ", \"{name}\":{{{body}}}")?;
            body.clear();
        }
        self.out.write_all(b"}\n")?;
        self.counts.lines += 1;
        Ok(())
    }
}

/// camflowd's section order (libprovenance `JSON_ACTIVITY … JSON_DERIVED`).
fn section_order() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = NODE_SECTIONS.iter().map(|c| c.section()).collect();
    v.push("message");
    v.extend(Category::ALL.iter().map(|c| c.section()));
    v
}

/// Writes every trace element of `g` as W3C PROV-JSON lines.
pub fn write_w3c<W: Write>(g: &ProvGraph, out: &mut W) -> io::Result<WriteCounts> {
    let mut doc = DocumentBuilder::new(out);
    let mut text = String::new();
    for n in g.node_ids() {
        if g.node(n).origin != Origin::Defined {
            continue;
        }
        text.clear();
        node_element(g, n, &mut text);
        doc.push_node(g.node(n).class.section(), &text)?;
    }
    for e in g.edge_ids() {
        if g.edge(e).derived {
            continue;
        }
        text.clear();
        edge_element(g, e, &mut text);
        doc.push_edge(g.edge(e).category.section(), &text)?;
    }
    doc.flush_document()?;
    Ok(doc.counts)
}

/// Writes some elements of `g` (a lineage, a path, a selection) as W3C PROV-JSON lines;
/// referenced-only vertices and derived elements are left out, as in [`write_w3c`].
pub fn write_w3c_subset<W: Write>(
    g: &ProvGraph,
    nodes: &[NodeId],
    edges: &[EdgeId],
    out: &mut W,
) -> io::Result<WriteCounts> {
    let mut doc = DocumentBuilder::new(out);
    let mut text = String::new();
    for &n in nodes {
        if g.node(n).origin != Origin::Defined {
            continue;
        }
        text.clear();
        node_element(g, n, &mut text);
        doc.push_node(g.node(n).class.section(), &text)?;
    }
    for &e in edges {
        if g.edge(e).derived {
            continue;
        }
        text.clear();
        edge_element(g, e, &mut text);
        doc.push_edge(g.edge(e).category.section(), &text)?;
    }
    doc.flush_document()?;
    Ok(doc.counts)
}

/// Appends `"name":value` with the name escaped only when it needs it.
fn push_attr(out: &mut String, name: &str, json: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    push_name(out, name);
    out.push(':');
    out.push_str(json);
}

fn push_name(out: &mut String, name: &str) {
    if name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(name);
        out.push('"');
    } else {
        out.push_str(&value::quote(name));
    }
}

fn push_key(out: &mut String, key: &str) {
    push_name(out, &format!("cf:{key}"));
}

/// One vertex as `"cf:<id>":{...}`.
pub fn node_element(g: &ProvGraph, n: NodeId, out: &mut String) {
    let node = g.node(n);
    let kind = g.node_kind(n);
    push_key(out, &node.key.to_text());
    out.push_str(":{");
    let has_type = g
        .node_attr(n, "prov:type")
        .is_some_and(|t| t.starts_with('"'));
    for (name, json) in g.attr_pairs(node.attrs) {
        push_attr(out, name, json);
    }
    if !has_type {
        push_attr(out, "prov:type", &value::quote(kind));
    }
    if g.node_attr(n, "prov:label").is_none() && kind != "machine" {
        push_attr(out, "prov:label", &value::quote(&camflow_label(g, n)));
    }
    out.push('}');
}

/// One relation as `"cf:<id>":{...}` with its endpoint keys after `cf:allowed`, where
/// camflowd puts them.
pub fn edge_element(g: &ProvGraph, e: EdgeId, out: &mut String) {
    let edge = g.edge(e);
    let kind = g.edge_kind(e);
    let (snd, rcv) = g.endpoints(e);
    let (snd_key, rcv_key) = edge.category.endpoint_keys();
    push_key(out, &edge.key.to_text());
    out.push_str(":{");
    let mut ends_written = false;
    let write_ends = |out: &mut String| {
        push_attr(
            out,
            snd_key,
            &value::quote(&format!("cf:{}", g.node(snd).key)),
        );
        push_attr(
            out,
            rcv_key,
            &value::quote(&format!("cf:{}", g.node(rcv).key)),
        );
    };
    for (name, json) in g.attr_pairs(edge.attrs) {
        push_attr(out, name, json);
        if name == "cf:allowed" {
            write_ends(out);
            ends_written = true;
        }
    }
    if g.edge_attr(e, "prov:type")
        .is_none_or(|t| !t.starts_with('"'))
    {
        push_attr(out, "prov:type", &value::quote(kind));
    }
    if g.edge_attr(e, "prov:label").is_none() {
        push_attr(out, "prov:label", &value::quote(kind));
    }
    if !ends_written {
        write_ends(out);
    }
    out.push('}');
}

/// The label camflowd would have written for a vertex that arrived without one
/// (SPADE output has no labels).
fn camflow_label(g: &ProvGraph, n: NodeId) -> String {
    let kind = g.node_kind(n);
    let text = |name: &str| g.node_attr_text(n, name).unwrap_or_default().into_owned();
    match kind {
        "process_memory" => format!("[process] {}", g.node(n).version),
        "path" => format!("[path] {}", text("cf:pathname")),
        "argv" | "envp" => format!("[{kind}] {}", text("cf:value")),
        "string" => format!("[log] {}", text("cf:log")),
        "xattr" => format!("[xattr] {}", text("cf:name")),
        "packet" => format!(
            "[packet] {}->{} ({})",
            text("cf:sender"),
            text("cf:receiver"),
            text("cf:id")
        ),
        _ => format!("[{kind}] {}", g.node(n).version),
    }
}
