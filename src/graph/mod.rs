//! The provenance graph (DESIGN §3): elements are versions of CamFlow objects, edges are
//! relations pointing the way information flows, grouped into families. This layer never
//! draws and never does I/O.

pub mod agents;
pub mod attr_lists;
pub mod batch;
pub mod catalog;
pub mod catalog_as_of;
pub mod census;
pub mod family;
pub mod identifier;
pub mod ingest;
pub mod intern;
pub mod key_index;
pub mod label;
pub mod lineage;
pub mod model;
pub mod process_tree;
pub mod query;
pub mod selector;
pub mod stats;
pub mod store;
pub mod timeline;
pub mod timeline_density;
pub mod value;

pub use family::Family;
pub use identifier::ElementKey;
pub use model::{Category, EdgeRecord, NodeRecord, ProvClass};
pub use selector::Selector;
pub use stats::GraphCounts;
pub use store::{EdgeId, NodeId, Origin, ProvGraph};
