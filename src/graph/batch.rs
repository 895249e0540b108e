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
        self.ingest_until(g, max, &|| false)
    }

    /// Ingests up to `max` records, stopping early once `enough` says so (checked every
    /// few records: a time budget, so that a step takes the same wall time on a machine
    /// whose cores are busy with other work); returns how many.
    pub fn ingest_until(
        &mut self,
        g: &mut ProvGraph,
        max: usize,
        enough: &dyn Fn() -> bool,
    ) -> usize {
        const CHECK_EVERY: usize = 64;
        let n = max.min(self.records.len());
        let mut done = 0;
        while done < n {
            if done % CHECK_EVERY == 0 && done > 0 && enough() {
                break;
            }
            let Some(record) = self.records.pop_front() else {
                break;
            };
            match record {
                OwnedRecord::Node(rec) => {
                    g.add_node(&rec);
                }
                OwnedRecord::Edge(rec) => {
                    g.add_edge(&rec);
                }
            }
            done += 1;
        }
        done
    }
}

/// Batches waiting to be ingested, in arrival order: a queue of batches rather than one
/// long queue of records, so that a backlog of millions of records grows by linking
/// batches instead of moving every waiting record to a bigger buffer.
#[derive(Debug, Default)]
pub struct Backlog {
    batches: VecDeque<RecordBatch>,
    records: usize,
}

impl Backlog {
    /// Number of records waiting.
    pub fn len(&self) -> usize {
        self.records
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Takes every record of `batch`, after those already waiting.
    pub fn append(&mut self, batch: &mut RecordBatch) {
        if batch.is_empty() {
            return;
        }
        self.records += batch.len();
        self.batches.push_back(std::mem::take(batch));
    }

    /// Ingests up to `max` records, oldest first, stopping early once `enough` says so
    /// (see [`RecordBatch::ingest_until`]); returns how many.
    pub fn ingest_until(
        &mut self,
        g: &mut ProvGraph,
        max: usize,
        enough: &dyn Fn() -> bool,
    ) -> usize {
        let mut done = 0;
        while done < max {
            let Some(front) = self.batches.front_mut() else {
                break;
            };
            let n = front.ingest_until(g, max - done, enough);
            done += n;
            self.records -= n;
            if front.is_empty() {
                self.batches.pop_front();
            } else {
                // Stopped by `enough` (or by `max`): the step is over.
                break;
            }
            if enough() {
                break;
            }
        }
        done
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

    /// The wget sample read straight into a graph, and into a batch.
    fn direct_and_batch() -> (ProvGraph, RecordBatch) {
        let text = std::fs::read(sample("camflow-v0.5.0_w3c_jsonl_wget.log")).unwrap();
        let mut direct = ProvGraph::new();
        read_trace(&text[..], &ReaderOptions::default(), &mut direct).unwrap();
        let mut batch = RecordBatch::default();
        read_trace(&text[..], &ReaderOptions::default(), &mut batch).unwrap();
        (direct, batch)
    }

    fn assert_same(pieces: &ProvGraph, direct: &ProvGraph) {
        assert_eq!(pieces.counts(), direct.counts());
        assert_eq!(pieces.node_count(), direct.node_count());
        assert_eq!(pieces.edge_count(), direct.edge_count());
    }

    #[test]
    fn a_batch_ingested_in_pieces_builds_the_same_graph_as_a_direct_read() {
        let (direct, mut batch) = direct_and_batch();
        let mut pieces = ProvGraph::new();
        while !batch.is_empty() {
            batch.ingest_into(&mut pieces, 37);
        }
        assert_same(&pieces, &direct);
    }

    #[test]
    fn a_backlog_of_many_batches_ingested_in_uneven_steps_keeps_the_order() {
        let (direct, mut all) = direct_and_batch();
        let total = all.len();
        let mut backlog = Backlog::default();
        while !all.is_empty() {
            let mut batch = RecordBatch::default();
            batch.records.extend(all.records.drain(..50.min(all.len())));
            backlog.append(&mut batch);
        }
        assert_eq!(backlog.len(), total);
        let mut pieces = ProvGraph::new();
        // Steps that end inside batches and across them; one that stops at once.
        let stopped = backlog.ingest_until(&mut pieces, 1000, &|| true);
        assert_eq!(
            stopped, 50,
            "the first batch's records before the first check"
        );
        let mut step = 0;
        while !backlog.is_empty() {
            step += 1;
            let before = backlog.len();
            let n = backlog.ingest_until(&mut pieces, 7 + step % 90, &|| false);
            assert_eq!(backlog.len(), before - n);
        }
        assert_same(&pieces, &direct);
    }
}
