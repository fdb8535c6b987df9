//! The results journal, `results.jsonl`: one JSON record per finished
//! scenario, each carrying its digest (`record::record_digest`), appended
//! as each scenario finishes (and flushed to disk at least every half
//! second), so that an interrupted run can be resumed without recomputing
//! what it finished. At the end of a run it is rewritten sorted by
//! scenario id, so that it too is the same whatever the thread count, and
//! the manifest then vouches for its bytes (`JournalEntry`).
//!
//! Owns: appending, and reading back as a stream: every line at most
//! `MAX_RECORD_BYTES`, every record checked against its digest, a torn
//! last line (no newline: the trace of a crash mid-write) reported as
//! such, any other bad line an error naming the file and the line.
//!
//! Must not: decide which records belong to a run beyond their digests
//! (the caller checks the manifest and the shard), or hold more than one
//! record.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::digest::Digest;
use super::error::StressError;
use super::record::{Record, RecordCheck};
use crate::lines::{BoundedLines, LineError};
use crate::report::excerpt::excerpt;

/// File name of the journal in a results folder.
pub const JOURNAL: &str = "results.jsonl";
/// Longest journal line (one scenario's record, its step rows included).
pub const MAX_RECORD_BYTES: usize = 64 << 20;
/// Longest time an appended record waits before it is flushed to disk.
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// The journal line of a record, with its newline.
pub fn to_line(r: &Record) -> Vec<u8> {
    // A record is strings and integers: serializing cannot fail.
    let mut line = serde_json::to_vec(r).unwrap_or_default();
    line.push(b'\n');
    line
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    last_sync: Instant,
    unsynced: bool,
}

impl Journal {
    /// Opens (creating if need be) the journal for appending.
    pub fn append_to(path: &Path) -> Result<Journal, StressError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| StressError::io(path, e))?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            last_sync: Instant::now(),
            unsynced: false,
        })
    }

    /// Appends one record (written at once: a killed process loses
    /// nothing appended; flushed to disk within `SYNC_EVERY`).
    pub fn append(&mut self, r: &Record) -> Result<(), StressError> {
        let line = to_line(r);
        if line.len() > MAX_RECORD_BYTES {
            return Err(StressError::Scenario {
                id: r.id,
                message: format!(
                    "its record takes {} bytes, more than the journal's limit of {MAX_RECORD_BYTES} per line (fewer path steps?)",
                    line.len()
                ),
            });
        }
        self.file
            .write_all(&line)
            .map_err(|e| StressError::io(&self.path, e))?;
        self.unsynced = true;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Flushes what was appended to disk.
    pub fn sync(&mut self) -> Result<(), StressError> {
        if self.unsynced {
            self.file
                .sync_data()
                .map_err(|e| StressError::io(&self.path, e))?;
            self.unsynced = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }
}

/// How a reader treats a last line without its newline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// The end of an interrupted run: dropped (`torn` says so).
    Drop,
    /// A finished journal: an error.
    Refuse,
}

/// A journal read as a stream of checked records.
#[derive(Debug)]
pub struct JournalReader {
    lines: BoundedLines<BufReader<File>>,
    path: PathBuf,
    check: Option<RecordCheck>,
    digest: Digest,
    complete_bytes: u64,
    torn: bool,
    tail: Tail,
}

impl JournalReader {
    /// Opens `path`; `None` when there is no such file. `check` verifies
    /// every record (`None`: the file is one of ours, written from checked
    /// records).
    pub fn open(
        path: &Path,
        check: Option<RecordCheck>,
        tail: Tail,
    ) -> Result<Option<JournalReader>, StressError> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StressError::io(path, e)),
        };
        Ok(Some(JournalReader {
            lines: BoundedLines::exact(BufReader::with_capacity(1 << 16, file), MAX_RECORD_BYTES),
            path: path.to_path_buf(),
            check,
            digest: Digest::new(),
            complete_bytes: 0,
            torn: false,
            tail,
        }))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line of the record last returned.
    pub fn line(&self) -> usize {
        self.lines.line_number()
    }

    /// Bytes of the complete lines read so far.
    pub fn complete_bytes(&self) -> u64 {
        self.complete_bytes
    }

    /// Whether the file ended in a torn line (dropped).
    pub fn torn(&self) -> bool {
        self.torn
    }

    /// The digest of the complete lines read so far (of the whole file,
    /// once read to the end without a torn line).
    pub fn digest(&self) -> String {
        self.digest.hex()
    }

    fn bad(&self, what: impl Into<String>) -> StressError {
        StressError::input(&self.path, Some(self.line()), what)
    }

    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>, StressError> {
        loop {
            let (line, ended) = match self.lines.next_line_and_end() {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(None),
                Err(LineError::Io { source, .. }) => {
                    return Err(StressError::io(&self.path, source))
                }
                Err(e) => {
                    let line = e.line();
                    return Err(StressError::input(&self.path, line, e.to_string()));
                }
            };
            if !ended {
                return match self.tail {
                    Tail::Drop => {
                        self.torn = true;
                        Ok(None)
                    }
                    Tail::Refuse => Err(self.bad(
                        "the last line is incomplete (no newline): this journal was cut short",
                    )),
                };
            }
            self.digest.raw(line);
            self.digest.raw(b"\n");
            self.complete_bytes += line.len() as u64 + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record: Record = match serde_json::from_slice(line) {
                Ok(r) => r,
                Err(e) => {
                    return Err(self.bad(format!(
                        "not a results record: {}",
                        excerpt(&e.to_string(), 200)
                    )))
                }
            };
            if let Some(check) = &self.check {
                check.verify(&record).map_err(|m| self.bad(m))?;
            }
            return Ok(Some(record));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::manifest::{AxisEntry, Manifest};
    use crate::stress::record::record_digest;

    fn manifest() -> Manifest {
        let text = format!(
            r#"{{"format":"{}","version":"0","build":"b","config_hash":"h","scenarios":4,"points":2,"seeds":2,"seed":0,"columns":["scenario","x"],"axes":[]}}"#,
            crate::stress::manifest::FORMAT
        );
        let mut m: Manifest = serde_json::from_str(&text).unwrap();
        m.axes = vec![AxisEntry {
            key: "m".into(),
            role: "mitigation".into(),
            values: vec!["a".into(), "b".into()],
        }];
        m
    }

    fn rec(id: u64) -> Record {
        let row = vec![id.to_string(), "x".to_string()];
        let steps = vec![vec![id.to_string(), "1".to_string()]];
        let label = if id / 2 == 0 { "a" } else { "b" };
        let digest = record_digest("h", id, id / 2, &[label], &row, &steps);
        Record {
            id,
            row,
            steps,
            digest,
        }
    }

    fn read_all(path: &Path, tail: Tail) -> Result<(Vec<u64>, bool), StressError> {
        let check = RecordCheck::new(&manifest());
        let mut r = JournalReader::open(path, Some(check), tail)?.unwrap();
        let mut ids = Vec::new();
        while let Some(rec) = r.next_record()? {
            ids.push(rec.id);
        }
        Ok((ids, r.torn()))
    }

    #[test]
    fn appends_read_back_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL);
        let mut j = Journal::append_to(&path).unwrap();
        j.append(&rec(3)).unwrap();
        j.append(&rec(1)).unwrap();
        j.sync().unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"id\":2,\"row\":[\"2\"").unwrap();
        drop(f);
        assert_eq!(read_all(&path, Tail::Drop).unwrap(), (vec![3, 1], true));
        match read_all(&path, Tail::Refuse) {
            Err(StressError::Input { line: Some(3), .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            JournalReader::open(&dir.path().join("none"), None, Tail::Drop)
                .unwrap()
                .is_none()
        );
    }

    /// Before digests, an edited value, a changed id and records swapped
    /// between ids all read back as good records.
    #[test]
    fn edited_and_swapped_records_are_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL);
        let good = [rec(0), rec(1), rec(2)];
        let text = |recs: &[Record]| -> Vec<u8> { recs.iter().flat_map(to_line).collect() };
        std::fs::write(&path, text(&good)).unwrap();
        assert_eq!(read_all(&path, Tail::Refuse).unwrap().0, [0, 1, 2]);
        let mut edited = good.clone();
        edited[1].row[1] = "y".into();
        let mut new_id = good.clone();
        new_id[2].id = 3;
        let mut swapped = good.clone();
        swapped[1].id = 2;
        swapped[2].id = 1;
        let mut row_id = good.clone();
        row_id[1].row[0] = "0".into();
        for (what, recs, line) in [
            ("edited", edited, 2),
            ("new id", new_id, 3),
            ("swapped", swapped, 2),
            ("row id", row_id, 2),
        ] {
            std::fs::write(&path, text(&recs)).unwrap();
            match read_all(&path, Tail::Refuse) {
                Err(StressError::Input {
                    line: Some(l),
                    message,
                    ..
                }) => {
                    assert_eq!(l, line, "{what}");
                    assert!(message.contains("digest"), "{what}: {message}");
                }
                other => panic!("{what}: {other:?}"),
            }
        }
        // Not JSON: named too, with a short message.
        std::fs::write(&path, b"garbage\n").unwrap();
        assert!(matches!(
            read_all(&path, Tail::Drop),
            Err(StressError::Input { line: Some(1), .. })
        ));
    }
}
