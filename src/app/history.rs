//! Back and forward through selections, like a browser: following a relation records
//! where you were; going back and forward walks that record.

use crate::graph::store::NodeId;

/// How many steps back are remembered.
const LIMIT: usize = 10_000;

/// Selection history.
#[derive(Clone, Debug, Default)]
pub struct History {
    back: Vec<NodeId>,
    forward: Vec<NodeId>,
}

impl History {
    /// Records leaving `from` for somewhere new (forgets the forward steps).
    pub fn visit(&mut self, from: NodeId) {
        if self.back.last() != Some(&from) {
            self.back.push(from);
        }
        if self.back.len() > LIMIT {
            self.back.remove(0);
        }
        self.forward.clear();
    }

    /// Steps back from `current`; returns where to go.
    pub fn back(&mut self, current: Option<NodeId>) -> Option<NodeId> {
        let to = self.back.pop()?;
        self.forward.extend(current);
        Some(to)
    }

    /// Steps forward from `current`; returns where to go.
    pub fn forward(&mut self, current: Option<NodeId>) -> Option<NodeId> {
        let to = self.forward.pop()?;
        self.back.extend(current);
        Some(to)
    }

    /// Steps available back and forward.
    pub fn depth(&self) -> (usize, usize) {
        (self.back.len(), self.forward.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_and_forward_like_a_browser() {
        let (a, b, c) = (NodeId::new(1), NodeId::new(2), NodeId::new(3));
        let mut h = History::default();
        h.visit(a);
        h.visit(b);
        assert_eq!(h.back(Some(c)), Some(b));
        assert_eq!(h.back(Some(b)), Some(a));
        assert_eq!(h.back(Some(a)), None);
        assert_eq!(h.forward(Some(a)), Some(b));
        assert_eq!(h.forward(Some(b)), Some(c));
        h.back(Some(c));
        h.visit(b);
        assert_eq!(
            h.forward(Some(a)),
            None,
            "a new visit forgets forward steps"
        );
    }
}
