//! The navigator's rows: Activities / Entities / Agents, each grouped by CamFlow type with
//! counts, objects under their type, versions under their object. Rows are rebuilt only
//! when something expands or collapses; drawing reads the visible slice.

use crate::graph::ProvClass;
use crate::graph::catalog::TypeGroup;
use crate::graph::store::{NodeId, ObjectId, ProvGraph};
use hashbrown::HashSet;

/// Classes in display order.
pub const CLASSES: [ProvClass; 3] = [ProvClass::Activity, ProvClass::Entity, ProvClass::Agent];

/// One navigator row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NavRow {
    /// A class header, e.g. "Activities (20)".
    Class(ProvClass),
    /// A type group (index into the catalog).
    Group(usize),
    /// An object (group index, object).
    Object(usize, ObjectId),
    /// A version of an expanded object.
    Version(NodeId),
}

/// What is expanded.
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    /// Classes folded away.
    pub collapsed_classes: HashSet<ProvClass>,
    /// Type groups opened.
    pub open_groups: HashSet<usize>,
    /// Objects whose versions are shown.
    pub open_objects: HashSet<ObjectId>,
}

/// Builds the rows for a catalog and an expansion state. Only versions `visible` says
/// exist are listed, and type groups with no objects are left out (the catalog as of a
/// time cursor keeps every group, some empty, so that group indices stay put). The rows
/// go into `rows` (cleared first), so a rebuild with a million-object group open reuses
/// the memory it already has instead of faulting in new pages.
pub fn build_rows(
    rows: &mut Vec<NavRow>,
    g: &ProvGraph,
    catalog: &[TypeGroup],
    ex: &Expansion,
    visible: &dyn Fn(NodeId) -> bool,
) {
    rows.clear();
    for class in CLASSES {
        let groups: Vec<usize> = (0..catalog.len())
            .filter(|&i| catalog[i].class == class && !catalog[i].objects.is_empty())
            .collect();
        if groups.is_empty() {
            continue;
        }
        rows.push(NavRow::Class(class));
        if ex.collapsed_classes.contains(&class) {
            continue;
        }
        for gi in groups {
            rows.push(NavRow::Group(gi));
            if !ex.open_groups.contains(&gi) {
                continue;
            }
            let objects = &catalog[gi].objects;
            if ex.open_objects.is_empty() {
                // Nothing unfolded (the usual case): no lookup per object.
                rows.extend(objects.iter().map(|&o| NavRow::Object(gi, o)));
                continue;
            }
            for &o in objects {
                rows.push(NavRow::Object(gi, o));
                if ex.open_objects.contains(&o) {
                    let versions = g.object(o).versions.iter().copied();
                    rows.extend(versions.filter(|&v| visible(v)).map(NavRow::Version));
                }
            }
        }
    }
}

/// Number of objects in a class.
pub fn class_count(catalog: &[TypeGroup], class: ProvClass) -> usize {
    catalog
        .iter()
        .filter(|t| t.class == class)
        .map(|t| t.objects.len())
        .sum()
}

/// The catalog group holding an object.
pub fn group_of(catalog: &[TypeGroup], o: ObjectId) -> Option<usize> {
    catalog
        .iter()
        .position(|t| t.objects.binary_search(&o).is_ok())
}

/// The vertex a row selects: an object's newest version, or the version itself.
pub fn row_node(g: &ProvGraph, row: NavRow) -> Option<NodeId> {
    row_node_visible(g, row, &|_| true)
}

/// The vertex a row selects when only some versions exist yet: an object's newest
/// visible version, or the version itself.
pub fn row_node_visible(
    g: &ProvGraph,
    row: NavRow,
    visible: &dyn Fn(NodeId) -> bool,
) -> Option<NodeId> {
    match row {
        NavRow::Object(_, o) => g
            .object(o)
            .versions
            .iter()
            .rev()
            .copied()
            .find(|&v| visible(v)),
        NavRow::Version(n) => Some(n),
        NavRow::Class(_) | NavRow::Group(_) => None,
    }
}
