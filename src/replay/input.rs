//! Where bytes come from: a file, standard input (`-`) or a buffer in
//! memory, plain or gzip (detected by its magic bytes), handed out line by
//! line straight from the reader's buffer.
//!
//! Owns: opening (with the real cause when it fails: missing, empty, not
//! text, another compression format), gzip detection, line splitting
//! without a copy per line (a line is copied only when it straddles two
//! buffer fills), the line-length cap, line numbering, the count of raw
//! (compressed) bytes read for the progress bar, and turning I/O failures
//! (a truncated or corrupt .gz) into `ReplayError`s at the line where the
//! stream broke.
//! Must not: parse rows, or hold more than one line (plus the decoder's
//! buffers) in memory; open an input more than once.

use super::ReplayError;
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Capacity of the line reader's buffer (and of the raw reader under a
/// gzip decoder).
const BUF_CAPACITY: usize = 256 * 1024;

/// The longest line accepted (64 MiB): a longer one is an error, never an
/// allocation of the whole line.
pub const MAX_LINE: usize = 64 << 20;

/// The name that stands for standard input.
pub const STDIN: &str = "-";

/// Raw bytes read so far, shared with a progress bar.
#[derive(Clone, Debug, Default)]
pub struct ByteCounter(Arc<AtomicU64>);

impl ByteCounter {
    /// Raw (compressed) bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A reader that counts what it reads into a [`ByteCounter`].
struct Counting<R> {
    inner: R,
    count: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A stream of lines from one input, numbered from 1.
pub struct LineSource {
    name: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line_no: u64,
    /// Bytes of the reader's buffer handed out as the last line (and its
    /// `\n`), consumed before the next read.
    pending: usize,
    /// A line that straddles two buffer fills, assembled here (or the line
    /// `peek_line` read, to be handed out again).
    carry: Vec<u8>,
    /// The line number of a peeked line still to be handed out.
    peeked: Option<u64>,
    done: bool,
    gzip: bool,
    max_line: usize,
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

/// The name of a compression or archive format this reader does not
/// decode, from the magic bytes it starts with.
fn other_compression(head: &[u8]) -> Option<(&'static str, &'static str)> {
    const KNOWN: [(&[u8], &str, &str); 5] = [
        (b"\x28\xb5\x2f\xfd", "zstd", "zstd -dc FILE"),
        (b"BZh", "bzip2", "bzip2 -dc FILE"),
        (b"\xfd7zXZ\x00", "xz", "xz -dc FILE"),
        (b"PK\x03\x04", "zip", "unzip -p FILE"),
        (b"7z\xbc\xaf\x27\x1c", "7z", "7z x -so FILE"),
    ];
    KNOWN
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        .map(|&(_, name, cmd)| (name, cmd))
}

/// Why the first bytes of a (decompressed) input are not text, if they
/// are not: a NUL byte, or bytes that are not UTF-8, in the first 4 KiB.
fn not_text(head: &[u8]) -> Option<String> {
    let head = &head[..head.len().min(4096)];
    if let Some(at) = head.iter().position(|&c| c == 0) {
        return Some(format!("binary data, not text (a zero byte at byte {at})"));
    }
    match std::str::from_utf8(head) {
        Ok(_) => None,
        // A multi-byte character cut by the 4 KiB window is fine.
        Err(e) if e.error_len().is_none() => None,
        Err(e) => Some(format!(
            "binary data, not text (not UTF-8 at byte {})",
            e.valid_up_to()
        )),
    }
}

impl LineSource {
    /// Opens a file, or standard input for `-`; gzip when its first two
    /// bytes are the gzip magic number (whatever its extension), plain
    /// text otherwise. Raw bytes read are added to `count`, if given.
    pub fn open(path: &Path, count: Option<&ByteCounter>) -> Result<LineSource, ReplayError> {
        let name = path.display().to_string();
        let count = count.cloned().unwrap_or_default();
        if name == STDIN {
            let raw = Counting {
                inner: std::io::stdin(),
                count,
            };
            return Self::from_reader(
                Arc::from("(stdin)"),
                BufReader::with_capacity(BUF_CAPACITY, raw),
            );
        }
        let file = File::open(path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => format!("cannot open ({e})"),
            };
            ReplayError::file(&name, why)
        })?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(ReplayError::file(&name, "is a folder, not a file"));
        }
        let raw = Counting { inner: file, count };
        Self::from_reader(Arc::from(name), BufReader::with_capacity(BUF_CAPACITY, raw))
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
        let read_err = |e: std::io::Error| ReplayError::new(&name, 0, format!("read error ({e})"));
        let head = raw.fill_buf().map_err(read_err)?;
        if head.is_empty() {
            return Err(ReplayError::file(&name, "is empty"));
        }
        if let Some((what, cmd)) = other_compression(head) {
            return Err(ReplayError::file(
                &name,
                format!(
                    "is {what}-compressed, which is not read (gzip is): decompress it first, \
                     e.g. `{cmd} | cascade replay ... -`"
                ),
            ));
        }
        let gzip = is_gzip(head);
        let mut reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                BUF_CAPACITY,
                MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        let head = reader.fill_buf().map_err(|e| {
            ReplayError::new(
                &name,
                1,
                format!("compressed stream is truncated or corrupt ({e})"),
            )
        })?;
        if head.is_empty() {
            return Err(ReplayError::file(
                &name,
                "is empty (a gzip stream of no bytes)",
            ));
        }
        if let Some(why) = not_text(head) {
            return Err(ReplayError::new(&name, 1, why));
        }
        Ok(LineSource {
            name,
            reader,
            line_no: 0,
            pending: 0,
            carry: Vec::new(),
            peeked: None,
            done: false,
            gzip,
            max_line: MAX_LINE,
        })
    }

    /// Lowers the line-length cap (tests).
    pub fn with_max_line(mut self, max: usize) -> LineSource {
        self.max_line = max.max(1);
        self
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

    fn fail(&mut self, e: std::io::Error) -> ReplayError {
        self.done = true;
        let what = if self.gzip {
            format!("compressed stream is truncated or corrupt ({e})")
        } else {
            format!("read error ({e})")
        };
        ReplayError::new(&self.name, self.line_no + 1, what)
    }

    fn too_long(&mut self) -> ReplayError {
        self.done = true;
        ReplayError::new(
            &self.name,
            self.line_no + 1,
            format!(
                "line longer than {} MiB: not a line of market data",
                self.max_line >> 20
            ),
        )
    }

    /// The next line without its `\n` (or `\r\n`); `Ok(None)` at the end.
    /// The line is borrowed from the reader's buffer (copied only when it
    /// straddles two fills). A read failure (truncated or corrupt gzip)
    /// or a line over the cap is an error at the line being read; after it
    /// the source is finished.
    #[inline]
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ReplayError> {
        if self.pending > 0 {
            self.reader.consume(self.pending);
            self.pending = 0;
        }
        if let Some(n) = self.peeked.take() {
            self.line_no = n;
            return Ok(Some(&self.carry));
        }
        if self.done {
            return Ok(None);
        }
        self.carry.clear();
        let end = loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail(e)),
            };
            if buf.is_empty() {
                self.done = true;
                if self.carry.is_empty() {
                    return Ok(None);
                }
                self.line_no += 1;
                return Ok(Some(trim_cr(&self.carry)));
            }
            let (take, found) = match buf.iter().position(|&c| c == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if self.carry.len() + take > self.max_line {
                return Err(self.too_long());
            }
            if found && self.carry.is_empty() {
                break take;
            }
            self.carry.extend_from_slice(&buf[..take]);
            self.reader.consume(take + usize::from(found));
            if found {
                self.line_no += 1;
                return Ok(Some(trim_cr(&self.carry)));
            }
        };
        // The whole line lies in the reader's buffer: hand it out in
        // place. `fill_buf` on a buffer that still holds bytes returns
        // them without reading (every `BufRead` here is a `BufReader` or
        // a `Cursor`), so it neither fails nor changes them.
        self.line_no += 1;
        self.pending = end + 1;
        let buf = self.reader.fill_buf().unwrap_or(&[]);
        Ok(Some(trim_cr(buf.get(..end).unwrap_or(&[]))))
    }
}

impl LineSource {
    /// The first non-blank line not yet handed out, copied; the next
    /// [`LineSource::next_line`] hands it out again (blank lines before it
    /// are passed over). For telling a file's kind from its first row
    /// while reading it once.
    pub fn peek_line(&mut self) -> Result<Option<Vec<u8>>, ReplayError> {
        if self.peeked.is_some() {
            return Ok(Some(self.carry.clone()));
        }
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(l) if l.iter().all(u8::is_ascii_whitespace) => continue,
                Some(l) => {
                    let line = l.to_vec();
                    self.carry.clone_from(&line);
                    self.peeked = Some(self.line_no);
                    self.line_no -= 1;
                    return Ok(Some(line));
                }
            }
        }
    }
}

#[inline]
fn trim_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &mut LineSource) -> Result<Vec<Vec<u8>>, ReplayError> {
        let mut v = Vec::new();
        while let Some(l) = src.next_line()? {
            v.push(l.to_vec());
        }
        Ok(v)
    }

    #[test]
    fn lines_across_buffer_fills_and_without_a_final_newline() {
        let mut text = Vec::new();
        for i in 0..100_000 {
            text.extend_from_slice(format!("row {i}\r\n").as_bytes());
        }
        text.extend_from_slice(b"last");
        let mut src = LineSource::from_bytes("t", text).unwrap();
        let v = lines(&mut src).unwrap();
        assert_eq!(v.len(), 100_001);
        assert_eq!(v[77_777], b"row 77777");
        assert_eq!(v[100_000], b"last");
        assert_eq!(src.line_no(), 100_001);
    }

    #[test]
    fn a_peeked_line_is_handed_out_again() {
        let mut src = LineSource::from_bytes("t", b"\n\nfirst\nsecond\n".to_vec()).unwrap();
        assert_eq!(src.peek_line().unwrap().unwrap(), b"first");
        assert_eq!(src.line_no(), 2);
        assert_eq!(src.next_line().unwrap(), Some(&b"first"[..]));
        assert_eq!(src.line_no(), 3);
        assert_eq!(src.next_line().unwrap(), Some(&b"second"[..]));
    }

    #[test]
    fn a_line_over_the_cap_is_an_error_at_its_line() {
        let text = format!("ok\n{}\nafter\n", "x".repeat(5000)).into_bytes();
        let mut src = LineSource::from_bytes("t", text)
            .unwrap()
            .with_max_line(4096);
        assert_eq!(src.next_line().unwrap(), Some(&b"ok"[..]));
        let e = src.next_line().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("line longer than"), "{e}");
        assert_eq!(src.next_line().unwrap(), None);
    }

    #[test]
    fn empty_binary_and_other_compressions_are_named() {
        let e = LineSource::from_bytes("e", Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "e: is empty");
        let e = LineSource::from_bytes("b", vec![1, 2, 0, 3]).unwrap_err();
        assert!(e.to_string().starts_with("b:1: binary data"), "{e}");
        let e = LineSource::from_bytes("b", vec![0xff, 0xfe, b'a', b'\n']).unwrap_err();
        assert!(e.message.contains("not UTF-8"), "{e}");
        let e = LineSource::from_bytes("z", b"\x28\xb5\x2f\xfd....".to_vec()).unwrap_err();
        assert!(e.message.contains("zstd"), "{e}");
        let e = LineSource::open(Path::new("/no/such/file.csv"), None).unwrap_err();
        assert_eq!(e.to_string(), "/no/such/file.csv: no such file");
    }
}
