//! A cursor over a list that only draws its visible rows: the cursor position and the
//! first visible row, kept consistent with the viewport height the last frame had.

/// Cursor and scroll offset of one list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListCursor {
    /// The selected row.
    pub cursor: usize,
    /// The first visible row.
    pub offset: usize,
}

impl ListCursor {
    /// Moves by `delta` rows within `len` rows and scrolls so the cursor stays within a
    /// viewport of `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListCursor::default();
            return;
        }
        let target = self.cursor.saturating_add_signed(delta).min(len - 1);
        self.set(target, len, height);
    }

    /// Puts the cursor on `row` (clamped) and scrolls to show it.
    pub fn set(&mut self, row: usize, len: usize, height: usize) {
        if len == 0 {
            *self = ListCursor::default();
            return;
        }
        self.cursor = row.min(len - 1);
        let height = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(1));
    }

    /// Keeps the cursor valid after the list changed length.
    pub fn clamp(&mut self, len: usize, height: usize) {
        self.set(self.cursor, len, height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolls_to_keep_the_cursor_visible() {
        let mut c = ListCursor::default();
        c.move_by(15, 100, 10);
        assert_eq!((c.cursor, c.offset), (15, 6));
        c.move_by(-10, 100, 10);
        assert_eq!((c.cursor, c.offset), (5, 5));
        c.move_by(1000, 100, 10);
        assert_eq!((c.cursor, c.offset), (99, 90));
        c.move_by(-1000, 100, 10);
        assert_eq!((c.cursor, c.offset), (0, 0));
        c.clamp(0, 10);
        assert_eq!(c, ListCursor::default());
    }
}
