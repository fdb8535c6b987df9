//! Reading text input without letting it exhaust memory: lines read one at
//! a time into one reused buffer with a cap on a line's length (a longer
//! line is an error naming it, found without holding more than the cap),
//! whole files read with a cap on their size, and UTF-8 checks that name
//! the line of the first invalid byte. Scripts, stress configs, results
//! journals and manifests are read through it.
//!
//! Must not: interpret the text.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;

/// Why a line or a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// A line is longer than the cap.
    #[error("line longer than {cap} bytes (the limit of one line)")]
    TooLong {
        /// 1-based line.
        line: usize,
        /// The cap, in bytes.
        cap: usize,
    },
    /// A file is larger than the cap.
    #[error("file larger than {cap} bytes (the limit of this kind of file)")]
    TooLarge {
        /// The cap, in bytes.
        cap: u64,
    },
    /// Not UTF-8.
    #[error("not UTF-8 text (invalid byte at column {column})")]
    NotUtf8 {
        /// 1-based line.
        line: usize,
        /// 1-based byte column.
        column: usize,
    },
    /// Reading failed.
    #[error("{source}")]
    Io {
        /// 1-based line being read (0: before the first).
        line: usize,
        /// The error.
        source: io::Error,
    },
}

impl LineError {
    /// The 1-based line the error concerns, where there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            LineError::TooLong { line, .. } | LineError::NotUtf8 { line, .. } => Some(*line),
            LineError::Io { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
}

/// Checks that `bytes` are UTF-8; if not, names the line and column of
/// the first invalid byte.
pub fn utf8(bytes: &[u8]) -> Result<&str, LineError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        LineError::NotUtf8 {
            line,
            column: good.len() - start + 1,
        }
    })
}

/// Reads a whole file of at most `cap` bytes.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, LineError> {
    let io_err = |source| LineError::Io { line: 0, source };
    let file = File::open(path).map_err(io_err)?;
    let mut out = Vec::new();
    file.take(cap + 1).read_to_end(&mut out).map_err(io_err)?;
    if out.len() as u64 > cap {
        return Err(LineError::TooLarge { cap });
    }
    Ok(out)
}

/// Lines of a reader, each at most `cap` bytes (without its `\n`), read
/// into one reused buffer.
#[derive(Debug)]
pub struct BoundedLines<R> {
    reader: R,
    buf: Vec<u8>,
    line: usize,
    cap: usize,
    ended_with_newline: bool,
    strip_cr: bool,
}

impl<R: BufRead> BoundedLines<R> {
    /// Lines of `reader`, each at most `cap` bytes.
    pub fn new(reader: R, cap: usize) -> BoundedLines<R> {
        BoundedLines {
            reader,
            buf: Vec::new(),
            line: 0,
            cap,
            ended_with_newline: true,
            strip_cr: true,
        }
    }

    /// Lines of `reader` exactly as written: a `\r` before the `\n` is
    /// kept.
    pub fn exact(reader: R, cap: usize) -> BoundedLines<R> {
        BoundedLines {
            strip_cr: false,
            ..BoundedLines::new(reader, cap)
        }
    }

    /// The 1-based number of the line last returned.
    pub fn line_number(&self) -> usize {
        self.line
    }

    /// Whether the line last returned ended with `\n` (a last line
    /// without one may be the trace of a write cut short).
    pub fn ended_with_newline(&self) -> bool {
        self.ended_with_newline
    }

    /// The next line without its `\n` (and without a `\r` before it), or
    /// `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        Ok(self.next_line_and_end()?.map(|(l, _)| l))
    }

    /// The next line, as `next_line`, and whether it ended with `\n`.
    pub fn next_line_and_end(&mut self) -> Result<Option<(&[u8], bool)>, LineError> {
        self.buf.clear();
        self.line += 1;
        let line = self.line;
        let io_err = |source| LineError::Io { line, source };
        let mut any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(e)),
            };
            if chunk.is_empty() {
                if !any {
                    self.line -= 1;
                    return Ok(None);
                }
                self.ended_with_newline = false;
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if self.buf.len() + take > self.cap {
                return Err(LineError::TooLong {
                    line,
                    cap: self.cap,
                });
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.reader.consume(if done { take + 1 } else { take });
            if done {
                self.ended_with_newline = true;
                break;
            }
        }
        if self.strip_cr && self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((&self.buf, self.ended_with_newline)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], cap: usize) -> Result<Vec<String>, LineError> {
        let mut r = BoundedLines::new(text, cap);
        let mut out = Vec::new();
        while let Some(l) = r.next_line()? {
            out.push(String::from_utf8_lossy(l).into_owned());
        }
        Ok(out)
    }

    #[test]
    fn lines_are_split_and_capped() {
        assert_eq!(all(b"a\r\nbb\n\nccc", 3).unwrap(), ["a", "bb", "", "ccc"]);
        assert!(all(b"", 3).unwrap().is_empty());
        match all(b"ok\nfour\n", 3) {
            Err(LineError::TooLong { line: 2, cap: 3 }) => {}
            other => panic!("{other:?}"),
        }
        // A long line is refused without being held: through a reader
        // that yields a byte at a time, the buffer never passes the cap.
        let long = vec![b'x'; 10_000];
        let mut r = BoundedLines::new(io::BufReader::with_capacity(1, &long[..]), 100);
        assert!(matches!(r.next_line(), Err(LineError::TooLong { .. })));
        assert!(r.buf.capacity() <= 256, "{}", r.buf.capacity());
        let mut r = BoundedLines::new(&b"a\nb"[..], 10);
        r.next_line().unwrap();
        assert!(r.ended_with_newline());
        r.next_line().unwrap();
        assert!(!r.ended_with_newline());
        assert_eq!(r.line_number(), 2);
    }

    #[test]
    fn utf8_errors_name_line_and_column() {
        assert_eq!(utf8(b"ok\n").unwrap(), "ok\n");
        match utf8(b"a = 1\nbc\xffd\n") {
            Err(LineError::NotUtf8 { line: 2, column: 3 }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn files_are_read_up_to_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_capped(&p, 5).unwrap(), b"12345");
        assert!(matches!(
            read_capped(&p, 4),
            Err(LineError::TooLarge { cap: 4 })
        ));
    }
}
