//! Opening a trace: a file or stdin (`-`), plain, gzip or zstd, recognised by its magic
//! bytes rather than its name, so a renamed or piped compressed trace still opens.

use crate::capture::error::CaptureError;
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

/// Size of the read buffers: large enough that syscalls are not the bottleneck.
const BUFFER: usize = 1 << 18;

/// How a trace's bytes are encoded on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// A trace source ready to read line by line, with the number of raw bytes read so far
/// available through [`CountingReader`] for progress reports.
pub struct TraceInput {
    /// Decompressed text.
    pub reader: Box<dyn BufRead + Send>,
    /// What the raw bytes were.
    pub compression: Compression,
    /// Size of the file on disk, when known (not for stdin).
    pub size: Option<u64>,
    /// Raw bytes consumed so far (shared with the reader).
    pub consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Wraps a reader and counts the bytes it hands out.
pub struct CountingReader<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path` (`-` is stdin) and undoes any compression.
pub fn open_trace(path: &str) -> Result<TraceInput, CaptureError> {
    let consumed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(path).map_err(|source| CaptureError::Open {
            path: path.to_string(),
            source,
        })?;
        let size = file.metadata().ok().map(|m| m.len());
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(CaptureError::Open {
                path: path.to_string(),
                source: io::Error::other("is a directory"),
            });
        }
        (Box::new(file), size)
    };
    let counted = CountingReader {
        inner: raw,
        count: consumed.clone(),
    };
    let (reader, compression) =
        decompress(BufReader::with_capacity(BUFFER, counted)).map_err(|source| {
            CaptureError::Read {
                path: path.to_string(),
                source,
            }
        })?;
    Ok(TraceInput {
        reader,
        compression,
        size,
        consumed,
    })
}

/// Looks at the first bytes and wraps the reader in the matching decoder.
pub fn decompress<R: BufRead + Send + 'static>(
    mut raw: R,
) -> io::Result<(Box<dyn BufRead + Send>, Compression)> {
    let head = raw.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = MultiGzDecoder::new(raw);
        return Ok((
            Box::new(BufReader::with_capacity(BUFFER, gz)),
            Compression::Gzip,
        ));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let zs = zstd::stream::read::Decoder::with_buffer(raw)?;
        return Ok((
            Box::new(BufReader::with_capacity(BUFFER, zs)),
            Compression::Zstd,
        ));
    }
    Ok((Box::new(raw), Compression::None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(r: &mut dyn BufRead) -> String {
        let mut s = String::new();
        r.read_to_string(&mut s).expect("read");
        s
    }

    #[test]
    fn gzip_and_zstd_are_recognised_by_content() {
        let text = "{\"type\":\"Entity\"}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).expect("gz");
        let gz = gz.finish().expect("gz");
        let (mut r, c) = decompress(io::Cursor::new(gz)).expect("open");
        assert_eq!(c, Compression::Gzip);
        assert_eq!(read_all(&mut r), text);

        let zs = zstd::encode_all(text.as_bytes(), 3).expect("zstd");
        let (mut r, c) = decompress(io::Cursor::new(zs)).expect("open");
        assert_eq!(c, Compression::Zstd);
        assert_eq!(read_all(&mut r), text);

        let (mut r, c) = decompress(io::Cursor::new(text.as_bytes().to_vec())).expect("open");
        assert_eq!(c, Compression::None);
        assert_eq!(read_all(&mut r), text);
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let err = open_trace("/nonexistent/trace.log").err().expect("error");
        assert!(err.to_string().contains("/nonexistent/trace.log"), "{err}");
    }
}
