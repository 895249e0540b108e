//! `update` for the navigator: expanding and collapsing classes, types and objects,
//! moving to a row's parent, rebuilding the rows, and moving the selection (with
//! history) to an element, revealing its row.

use crate::app::navigator::{self, NavRow};
use crate::app::state::{AppState, Focus, Screen};
use crate::graph::store::NodeId;

impl AppState {
    /// Right/Left: unfold or fold under the cursor.
    pub(crate) fn expand(&mut self, open: bool) {
        match self.screen {
            Screen::Main if self.focus == Focus::Navigator => {
                let Some(&row) = self.nav_rows.get(self.nav.cursor) else {
                    return;
                };
                let ex = &mut self.expansion;
                let changed = match row {
                    NavRow::Class(c) => {
                        if open {
                            ex.collapsed_classes.remove(&c)
                        } else {
                            ex.collapsed_classes.insert(c)
                        }
                    }
                    NavRow::Group(g) => {
                        if open {
                            ex.open_groups.insert(g)
                        } else {
                            ex.open_groups.remove(&g)
                        }
                    }
                    NavRow::Object(_, o) => {
                        if open {
                            self.graph.object(o).versions.len() > 1 && ex.open_objects.insert(o)
                        } else {
                            ex.open_objects.remove(&o)
                        }
                    }
                    NavRow::Version(_) => false,
                };
                if changed {
                    self.rebuild_nav_keeping(row);
                } else if !open {
                    self.nav_to_parent(row);
                }
            }
            Screen::ProcessTree => {
                let Some(row) = self.tree_rows.get(self.tree_cursor.cursor).copied() else {
                    return;
                };
                let changed = if open {
                    self.tree_folded.remove(&row.object)
                } else {
                    row.has_children && self.tree_folded.insert(row.object)
                };
                if changed {
                    self.rebuild_tree();
                }
            }
            Screen::Lineage => self.unfold_lineage_row(open),
            _ => {}
        }
    }

    pub(crate) fn toggle_nav_row(&mut self) {
        let Some(&row) = self.nav_rows.get(self.nav.cursor) else {
            return;
        };
        let open = match row {
            NavRow::Class(c) => self.expansion.collapsed_classes.contains(&c),
            NavRow::Group(g) => !self.expansion.open_groups.contains(&g),
            _ => return,
        };
        self.expand(open);
    }

    /// Moves the navigator cursor to the row that holds `row` (Left on a leaf).
    pub(crate) fn nav_to_parent(&mut self, row: NavRow) {
        let parent = match row {
            NavRow::Version(n) => {
                let o = self.graph.node(n).object;
                navigator::group_of(&self.catalog, o).map(|g| NavRow::Object(g, o))
            }
            NavRow::Object(g, _) => Some(NavRow::Group(g)),
            NavRow::Group(g) => self.catalog.get(g).map(|t| NavRow::Class(t.class)),
            NavRow::Class(_) => None,
        };
        if let Some(i) = parent.and_then(|p| self.nav_rows.iter().position(|&r| r == p)) {
            self.nav
                .set(i, self.nav_rows.len(), self.viewport.navigator);
            self.sync_selection_from_nav();
        }
    }

    pub(crate) fn rebuild_nav(&mut self) {
        let time = &self.time;
        navigator::build_rows(
            &mut self.nav_rows,
            &self.graph,
            &self.catalog,
            &self.expansion,
            &|n| time.node_visible(n),
        );
        self.nav.clamp(self.nav_rows.len(), self.viewport.navigator);
    }

    pub(crate) fn rebuild_nav_keeping(&mut self, row: NavRow) {
        self.rebuild_nav();
        if let Some(i) = self.nav_rows.iter().position(|&r| r == row) {
            self.nav
                .set(i, self.nav_rows.len(), self.viewport.navigator);
        }
    }

    /// The navigator cursor moved: select what it points at.
    pub(crate) fn sync_selection_from_nav(&mut self) {
        let node = self.nav_rows.get(self.nav.cursor).and_then(|&r| {
            navigator::row_node_visible(&self.graph, r, &|n| self.time.node_visible(n))
        });
        if node != self.selected {
            self.set_selection(node);
        }
    }

    pub(crate) fn set_selection(&mut self, node: Option<NodeId>) {
        self.selected = node;
        self.relation_rows = node.map(|n| self.visible_relations(n)).unwrap_or_default();
        self.relations = Default::default();
        self.detail_scroll = 0;
    }

    /// Selects `to`, recording history when asked, and shows it in the navigator.
    pub(crate) fn go_to(&mut self, to: NodeId, record: bool) {
        if let Some(from) = self.selected.filter(|&f| record && f != to) {
            self.history.visit(from);
        }
        self.set_selection(Some(to));
        self.reveal(to);
    }

    /// Expands what hides `n` and puts the navigator cursor on it.
    pub(crate) fn reveal(&mut self, n: NodeId) {
        let o = self.graph.node(n).object;
        let Some(gi) = navigator::group_of(&self.catalog, o) else {
            return;
        };
        let class = self.catalog[gi].class;
        self.expansion.collapsed_classes.remove(&class);
        self.expansion.open_groups.insert(gi);
        let latest = self.latest_visible(o) == Some(n);
        let target = if latest {
            NavRow::Object(gi, o)
        } else {
            self.expansion.open_objects.insert(o);
            NavRow::Version(n)
        };
        self.rebuild_nav();
        if let Some(i) = self.nav_rows.iter().position(|&r| r == target) {
            self.nav
                .set(i, self.nav_rows.len(), self.viewport.navigator);
        }
    }
}
