//! A built element handed to the graph as a record directly: the live view takes the
//! capture's elements without their W3C text being written and parsed again. The record
//! is the one the W3C reader makes of the element's text (same key, class, type,
//! attributes in order, raw JSON values), which tests/capture_direct_records.rs checks on
//! a real capture.

use super::element::Element;
use crate::graph::batch::OwnedRecord;
use crate::graph::identifier::strip_cf;
use crate::graph::model::{self, Category, EdgeRecord, NodeRecord, ProvClass};
use std::borrow::Cow;

fn owned(s: &str) -> Cow<'static, str> {
    Cow::Owned(s.to_string())
}

/// The class of a W3C vertex section (the builder writes no other).
fn section_class(section: &str) -> ProvClass {
    match section {
        "activity" => ProvClass::Activity,
        "agent" => ProvClass::Agent,
        _ => ProvClass::Entity,
    }
}

impl Element {
    /// The record the graph ingests for this element, or None for a relation section
    /// the graph does not know (the builder writes none). The attribute values move into
    /// the record: no string is copied.
    pub fn into_record(self) -> Option<OwnedRecord> {
        let attrs = self
            .attrs
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Owned(v)))
            .collect();
        let key = owned(strip_cf(&self.key));
        let kind = Cow::Borrowed(self.kind);
        match self.ends {
            None => Some(OwnedRecord::Node(NodeRecord {
                key,
                class: model::class_of_kind(self.kind)
                    .unwrap_or_else(|| section_class(self.section)),
                kind,
                attrs,
            })),
            Some(ends) => Some(OwnedRecord::Edge(EdgeRecord {
                key,
                category: Category::from_section(self.section)?,
                kind,
                sender: owned(strip_cf(&ends.from)),
                receiver: owned(strip_cf(&ends.to)),
                sender_kind: None,
                receiver_kind: None,
                attrs,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::capture::builder::host::Host;
    use crate::capture::builder::test_events::{actor, exec};
    use crate::capture::builder::{Builder, Element};
    use crate::capture::camflow::w3c_write::DocumentBuilder;
    use crate::capture::camflow::{ReaderOptions, read_trace};
    use crate::capture::ebpf::event::Event;
    use crate::graph::batch::RecordBatch;

    /// Elements of a shell forking a child that execs with arguments and exits.
    fn elements() -> Vec<Element> {
        let mut b = Builder::new(Host {
            machine_id: 7,
            boot_id: 3,
            uname: vec![("cf:u_sysname", String::from("Linux \"quoted\""))],
        });
        b.handle(&Event::Fork {
            actor: actor(100, 100),
            child_tid: 200,
            child_tgid: 200,
        });
        b.handle(&exec(
            actor(200, 200),
            b"/usr/bin/odd\xffname",
            b"odd\0--flag=\"x\"\0",
            b"",
        ));
        b.handle(&Event::Exit {
            actor: actor(200, 200),
            process_ended: true,
        });
        b.take_output().collect()
    }

    /// Records sorted by their debug text (a document groups elements by section).
    fn sorted(batch: RecordBatch) -> Vec<String> {
        let mut v: Vec<String> = batch.records.iter().map(|r| format!("{r:?}")).collect();
        v.sort();
        v
    }

    #[test]
    fn the_direct_record_is_the_one_the_w3c_reader_makes_of_the_text() {
        let els = elements();
        assert!(els.iter().any(|e| !e.is_node()) && els.iter().any(Element::is_node));
        let mut text = Vec::new();
        {
            let mut doc = DocumentBuilder::new(&mut text);
            for el in &els {
                if el.is_node() {
                    doc.push_node(el.section, &el.text()).unwrap();
                } else {
                    doc.push_edge(el.section, &el.text()).unwrap();
                }
            }
            doc.flush_document().unwrap();
        }
        let mut parsed = RecordBatch::default();
        read_trace(&text[..], &ReaderOptions::default(), &mut parsed).unwrap();
        let mut direct = RecordBatch::default();
        direct.records.extend(
            els.iter()
                .map(|e| e.clone().into_record().expect("a known section")),
        );
        assert_eq!(sorted(direct), sorted(parsed));
    }

    #[test]
    fn the_counted_length_is_the_length_of_the_text() {
        for el in elements() {
            assert_eq!(el.text_len(), el.text().len(), "{}", el.text());
        }
    }
}
