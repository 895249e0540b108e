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

/// A catalog kept up to date as the graph grows (live views), at the cost of what is new.
#[derive(Clone, Debug, Default)]
pub struct GrowingCatalog {
    /// Objects already filed.
    filed: usize,
    /// How many of [`Census::emptied_objects`](crate::graph::census::Census::emptied_objects)
    /// were taken out.
    emptied: usize,
}

impl GrowingCatalog {
    /// Continues a catalog that holds the first `filed` objects (all of them when it was
    /// just made by [`ProvGraph::catalog`]).
    pub fn after(graph: &ProvGraph) -> GrowingCatalog {
        GrowingCatalog {
            filed: graph.object_count(),
            emptied: graph.census().emptied_objects().len(),
        }
    }

    /// Files the objects that arrived since the last call into `groups` (a new type gets
    /// its group in order), and takes out objects that lost their last vertex (a
    /// placeholder's, once it was defined under its real object).
    pub fn extend(&mut self, graph: &ProvGraph, groups: &mut Vec<TypeGroup>) {
        for i in self.filed..graph.object_count() {
            let o = ObjectId(u32::try_from(i).unwrap_or(u32::MAX));
            // An object without vertices was a placeholder's: it never gets one again.
            let Some(&first) = graph.object(o).versions.first() else {
                continue;
            };
            let (class, kind) = (graph.node(first).class, graph.node_kind(first));
            match groups.binary_search_by(|g| (g.class, g.kind.as_str()).cmp(&(class, kind))) {
                Ok(at) => groups[at].objects.push(o),
                Err(at) => groups.insert(
                    at,
                    TypeGroup {
                        class,
                        kind: kind.to_string(),
                        objects: vec![o],
                    },
                ),
            }
        }
        let emptied = graph.census().emptied_objects();
        // The types whose groups may hold an emptied object: those are swept once each
        // (the class of a placeholder was a guess, so every group of the type is).
        let mut swept: Vec<&str> = emptied[self.emptied.min(emptied.len())..]
            .iter()
            .filter(|o| (o.0 as usize) < self.filed)
            .map(|&o| graph.kinds.get(graph.object(o).kind))
            .collect();
        swept.sort_unstable();
        swept.dedup();
        for g in groups.iter_mut() {
            if swept.binary_search(&g.kind.as_str()).is_ok() {
                g.objects.retain(|&o| !graph.object(o).versions.is_empty());
            }
        }
        groups.retain(|g| !g.objects.is_empty());
        self.emptied = emptied.len();
        self.filed = graph.object_count();
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::camflow::{ReaderOptions, read_trace};

    #[test]
    fn a_growing_catalog_is_the_catalog_of_everything_read() {
        let text = "{\"activity\":{\"cf:AAA\":{\"prov:type\":\"task\",\"cf:id\":1}}}\n\
            {\"used\":{\"cf:E1\":{\"prov:type\":\"read\",\"prov:entity\":\"cf:BBB\",\"prov:activity\":\"cf:AAA\"}}}\n\
            {\"entity\":{\"cf:BBB\":{\"prov:type\":\"file\",\"cf:id\":2}}}\n\
            {\"entity\":{\"cf:CCC\":{\"prov:type\":\"path\",\"cf:id\":3}}}\n";
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut g = ProvGraph::new();
        let opts = ReaderOptions::default();
        read_trace(lines[0].as_bytes(), &opts, &mut g).unwrap();
        let mut groups = g.catalog();
        let mut growing = GrowingCatalog::after(&g);
        for line in &lines[1..] {
            read_trace(line.as_bytes(), &opts, &mut g).unwrap();
            growing.extend(&g, &mut groups);
            assert_eq!(groups, g.catalog(), "after {line}");
        }
        // The file's placeholder object went when the file was defined.
        assert!(!g.census().emptied_objects().is_empty());
        let kinds: Vec<&str> = groups.iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, ["task", "file", "path"]);
    }
}
