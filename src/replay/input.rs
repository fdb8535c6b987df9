//! Where bytes come from: a file (plain or gzip, detected by its magic
//! bytes) or a buffer in memory, read line by line into one reused buffer.
//!
//! Owns: opening, gzip detection, line splitting and line numbering, and
//! turning I/O failures (a truncated or corrupt .gz) into `ReplayError`s
//! at the line where the stream broke.
//! Must not: parse rows, or hold more than one line (plus the decoder's
//! buffers) in memory.

use super::ReplayError;
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor};
use std::path::Path;
use std::sync::Arc;

/// Capacity of the line reader's buffer.
const BUF_CAPACITY: usize = 256 * 1024;

/// A stream of lines from one input, numbered from 1.
pub struct LineSource {
    name: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line_no: u64,
    buf: Vec<u8>,
    done: bool,
    gzip: bool,
}

impl std::fmt::Debug for LineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineSource")
            .field("name", &self.name)
            .field("line_no", &self.line_no)
            .field("gzip", &self.gzip)
            .finish()
    }
}

/// True when the bytes start with the gzip magic number.
pub fn is_gzip(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
}

impl LineSource {
    /// Opens a file; gzip when its first two bytes are the gzip magic
    /// number (whatever its extension), plain text otherwise.
    pub fn open(path: &Path) -> Result<LineSource, ReplayError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| ReplayError::file(&name, e.to_string()))?;
        Self::from_reader(
            Arc::from(name),
            BufReader::with_capacity(BUF_CAPACITY, file),
        )
    }

    /// Reads from a buffer in memory (tests and fuzzing); gzip detected as
    /// for files.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<LineSource, ReplayError> {
        Self::from_reader(Arc::from(name), Cursor::new(bytes))
    }

    fn from_reader<R: BufRead + Send + 'static>(
        name: Arc<str>,
        mut raw: R,
    ) -> Result<LineSource, ReplayError> {
        let head = raw
            .fill_buf()
            .map_err(|e| ReplayError::new(&name, 0, e.to_string()))?;
        let gzip = is_gzip(head);
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                BUF_CAPACITY,
                MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        Ok(LineSource {
            name,
            reader,
            line_no: 0,
            buf: Vec::with_capacity(4096),
            done: false,
            gzip,
        })
    }

    /// The input's name, as errors print it.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The number of the line last returned (0 before the first).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// True when the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The next line without its `\n` (or `\r\n`); `Ok(None)` at the end.
    /// A read failure (truncated or corrupt gzip) is an error at the line
    /// being read; after it the source is finished.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ReplayError> {
        if self.done {
            return Ok(None);
        }
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => {
                self.done = true;
                Ok(None)
            }
            Ok(_) => {
                self.line_no += 1;
                let mut end = self.buf.len();
                if end > 0 && self.buf[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > 0 && self.buf[end - 1] == b'\r' {
                    end -= 1;
                }
                Ok(Some(&self.buf[..end]))
            }
            Err(e) => {
                self.done = true;
                let what = if self.gzip {
                    format!("compressed stream is truncated or corrupt ({e})")
                } else {
                    format!("read error ({e})")
                };
                Err(ReplayError::new(&self.name, self.line_no + 1, what))
            }
        }
    }
}

/// Reads a whole small input (first rows for seeding); not for streaming.
pub(crate) fn read_first_line(path: &Path) -> Result<(Arc<str>, Option<Vec<u8>>), ReplayError> {
    let mut src = LineSource::open(path)?;
    let name = Arc::clone(src.name());
    loop {
        match src.next_line()? {
            None => return Ok((name, None)),
            Some(l) if l.iter().all(|c| c.is_ascii_whitespace()) => continue,
            Some(l) => return Ok((name, Some(l.to_vec()))),
        }
    }
}
