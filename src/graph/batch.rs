//! Batches of records that own their text: what a live source's thread reads and sends
//! over a channel, and the UI thread later ingests into its graph (DESIGN §2: source
//! thread -> batches of elements -> graph ingest). A batch is itself a [`RecordSink`], so
//! any reader can fill one.

use crate::graph::model::{Attr, EdgeRecord, NodeRecord, RecordSink};
use crate::graph::store::ProvGraph;
use std::borrow::Cow;
use std::collections::VecDeque;

/// One record, owning its text.
#[derive(Clone, Debug)]
pub enum OwnedRecord {
    /// A vertex.
    Node(NodeRecord<'static>),
    /// A relation.
    Edge(EdgeRecord<'static>),
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn own_attrs(attrs: Vec<Attr<'_>>) -> Vec<Attr<'static>> {
    attrs.into_iter().map(|(k, v)| (own(k), own(v))).collect()
}

/// Records in arrival order.
#[derive(Clone, Debug, Default)]
pub struct RecordBatch {
    /// The records.
    pub records: VecDeque<OwnedRecord>,
}

impl RecordBatch {
    /// Number of records waiting.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Moves every record of `other` to the end of this batch.
    pub fn append(&mut self, other: &mut RecordBatch) {
        self.records.append(&mut other.records);
    }

    /// Ingests up to `max` records (oldest first) into `g`; returns how many.
    pub fn ingest_into(&mut self, g: &mut ProvGraph, max: usize) -> usize {
        let n = max.min(self.records.len());
        for record in self.records.drain(..n) {
            match record {
                OwnedRecord::Node(rec) => {
                    g.add_node(&rec);
                }
                OwnedRecord::Edge(rec) => {
                    g.add_edge(&rec);
                }
            }
        }
        n
    }
}

impl RecordSink for RecordBatch {
    fn node(&mut self, rec: NodeRecord<'_>) {
        self.records.push_back(OwnedRecord::Node(NodeRecord {
            key: own(rec.key),
            class: rec.class,
            kind: own(rec.kind),
            attrs: own_attrs(rec.attrs),
        }));
    }

    fn edge(&mut self, rec: EdgeRecord<'_>) {
        self.records.push_back(OwnedRecord::Edge(EdgeRecord {
            key: own(rec.key),
            category: rec.category,
            kind: own(rec.kind),
            sender: own(rec.sender),
            receiver: own(rec.receiver),
            sender_kind: rec.sender_kind.map(own),
            receiver_kind: rec.receiver_kind.map(own),
            attrs: own_attrs(rec.attrs),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::camflow::reader::{ReaderOptions, read_trace};

    /// A shared CamFlow sample (`../shared/camflow-samples`, or `PROVSCOPE_SAMPLES`).
    fn sample(name: &str) -> std::path::PathBuf {
        std::env::var_os("PROVSCOPE_SAMPLES")
            .map_or_else(
                || {
                    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("../shared/camflow-samples")
                },
                std::path::PathBuf::from,
            )
            .join(name)
    }

    #[test]
    fn a_batch_ingested_in_pieces_builds_the_same_graph_as_a_direct_read() {
        let text = std::fs::read(sample("camflow-v0.5.0_w3c_jsonl_wget.log")).unwrap();
        let mut direct = ProvGraph::new();
        read_trace(&text[..], &ReaderOptions::default(), &mut direct).unwrap();
        let mut batch = RecordBatch::default();
        read_trace(&text[..], &ReaderOptions::default(), &mut batch).unwrap();
        let mut pieces = ProvGraph::new();
        while !batch.is_empty() {
            batch.ingest_into(&mut pieces, 37);
        }
        assert_eq!(pieces.counts(), direct.counts());
        assert_eq!(pieces.node_count(), direct.node_count());
        assert_eq!(pieces.edge_count(), direct.edge_count());
    }
}
