//! Splitting a byte stream into records: a record ends at a newline (camflowd's log) or a
//! NUL byte (camflowd's fifo and socket framing). A record longer than the limit is
//! dropped as it streams past, never held in memory, and reported.

use memchr::memchr2;
use std::io::{self, BufRead};

/// One record cut from the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// A record's bytes are in the caller's buffer; `line` is its 1-based line number.
    Record {
        /// Line number where the record starts.
        line: u64,
    },
    /// A record longer than the limit was discarded.
    TooLong {
        /// Line number where it started.
        line: u64,
        /// Its length in bytes.
        len: u64,
    },
}

/// Cuts records out of a buffered reader.
pub struct RecordSplitter<R> {
    reader: R,
    line: u64,
    limit: usize,
    ended: bool,
}

impl<R: BufRead> RecordSplitter<R> {
    /// A splitter that drops records longer than `limit` bytes.
    pub fn new(reader: R, limit: usize) -> Self {
        RecordSplitter {
            reader,
            line: 1,
            limit,
            ended: false,
        }
    }

    /// Reads the next record into `buf` (cleared first), without its terminator.
    /// Returns `None` at the end of the stream.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Piece>> {
        buf.clear();
        if self.ended {
            return Ok(None);
        }
        let start_line = self.line;
        let mut len: u64 = 0;
        let mut overflow = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.ended = true;
                if len == 0 {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match memchr2(b'\n', 0, chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            len += take as u64;
            if !overflow && buf.len() + take > self.limit {
                overflow = true;
                buf.clear();
            }
            if !overflow {
                buf.extend_from_slice(&chunk[..take]);
            }
            let newline = done && chunk[take] == b'\n';
            self.reader.consume(if done { take + 1 } else { take });
            if newline {
                self.line += 1;
            }
            if done {
                break;
            }
        }
        if overflow {
            buf.clear();
            return Ok(Some(Piece::TooLong {
                line: start_line,
                len,
            }));
        }
        Ok(Some(Piece::Record { line: start_line }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], limit: usize) -> Vec<(Piece, Vec<u8>)> {
        let mut s = RecordSplitter::new(input, limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(p) = s.next_into(&mut buf).expect("read") {
            out.push((p, buf.clone()));
        }
        out
    }

    #[test]
    fn newlines_and_nuls_both_end_records() {
        let got = split(b"a\nb\0c\n\nd", 100);
        let texts: Vec<&[u8]> = got.iter().map(|(_, b)| b.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"b", b"c", b"", b"d"]);
        assert_eq!(got[2].0, Piece::Record { line: 2 });
        assert_eq!(got[4].0, Piece::Record { line: 4 });
    }

    #[test]
    fn overlong_records_are_dropped_and_reported() {
        let got = split(b"short\naaaaaaaaaaaaaaaa\nafter", 8);
        assert_eq!(got[1].0, Piece::TooLong { line: 2, len: 16 });
        assert!(got[1].1.is_empty());
        assert_eq!(got[2].1, b"after");
    }
}
