//! The catalog the navigator shows: objects grouped by PROV class and CamFlow type,
//! classes in the order Activities, Entities, Agents, types by name, objects in arrival
//! order.

use crate::graph::model::ProvClass;
use crate::graph::store::{ObjectId, ProvGraph};
use std::collections::BTreeMap;

/// The objects of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeGroup {
    /// PROV class of the type.
    pub class: ProvClass,
    /// CamFlow type name.
    pub kind: String,
    /// Its objects, in arrival order.
    pub objects: Vec<ObjectId>,
}

impl ProvGraph {
    /// Every object with at least one vertex, grouped by class and type.
    pub fn catalog(&self) -> Vec<TypeGroup> {
        // Keyed by the interned type name: no allocation per object.
        let mut groups: BTreeMap<(ProvClass, &str), Vec<ObjectId>> = BTreeMap::new();
        for i in 0..self.object_count() {
            let o = ObjectId(u32::try_from(i).unwrap_or(u32::MAX));
            let Some(&first) = self.object(o).versions.first() else {
                continue;
            };
            let key = (self.node(first).class, self.node_kind(first));
            groups.entry(key).or_default().push(o);
        }
        groups
            .into_iter()
            .map(|((class, kind), objects)| TypeGroup {
                class,
                kind: kind.to_string(),
                objects,
            })
            .collect()
    }
}
