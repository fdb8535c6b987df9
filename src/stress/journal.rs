//! The results journal, `results.jsonl`: one JSON record per finished
//! scenario, appended and flushed to disk as each scenario finishes, so
//! that an interrupted run can be resumed without recomputing what it
//! finished. At the end of a run it is rewritten (atomically) sorted by
//! scenario id, so that it too is the same whatever the thread count.
//!
//! Owns: appending, reading back (a torn last line, the trace of a crash
//! mid-write, is dropped; any other bad line is an error naming it), and
//! the sorted rewrite.
//!
//! Must not: decide which records belong to a run (the caller filters by
//! shard and checks the manifest first).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::error::StressError;
use super::record::Record;
use crate::report::atomic::write_atomic;

/// File name of the journal in a results folder.
pub const JOURNAL: &str = "results.jsonl";

/// The journal text of `records` (in the order given).
pub fn to_text<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        // A record is strings and an integer: serializing cannot fail.
        if let Ok(line) = serde_json::to_string(r) {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// Reads a journal: records by id (the first of duplicate ids wins).
/// A missing file reads as empty. `columns` is the width every row must
/// have.
pub fn read(path: &Path, columns: usize) -> Result<BTreeMap<u64, Record>, StressError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(StressError::io(path, e)),
    };
    let mut lines: Vec<String> = Vec::new();
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| StressError::io(path, e))?;
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    let mut out = BTreeMap::new();
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) if r.row.len() == columns => {
                out.entry(r.id).or_insert(r);
            }
            // The last line may be torn by a crash mid-write: drop it.
            _ if i + 1 == n => {}
            Ok(_) => {
                return Err(StressError::input(
                    path,
                    Some(i + 1),
                    format!("a record with the wrong number of columns (expected {columns})"),
                ))
            }
            Err(e) => {
                return Err(StressError::input(
                    path,
                    Some(i + 1),
                    format!("not a results record: {e}"),
                ))
            }
        }
    }
    Ok(out)
}

/// Rewrites the journal atomically with `records` in id order.
pub fn rewrite(path: &Path, records: &BTreeMap<u64, Record>) -> Result<(), StressError> {
    write_atomic(path, &to_text(records.values())).map_err(|e| StressError::io(path, e))
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
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
        })
    }

    /// Appends one record and flushes it to disk.
    pub fn append(&mut self, r: &Record) -> Result<(), StressError> {
        let text = to_text(std::iter::once(r));
        self.file
            .write_all(&text)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| StressError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64) -> Record {
        Record {
            id,
            row: vec![id.to_string(), "x".into()],
            steps: vec![vec![id.to_string(), "1".into()]],
        }
    }

    #[test]
    fn appends_survive_a_torn_tail_and_rewrite_sorts() {
        let dir = std::env::temp_dir().join(format!("cascade-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(JOURNAL);
        let _ = std::fs::remove_file(&path);
        let mut j = Journal::append_to(&path).unwrap();
        j.append(&rec(3)).unwrap();
        j.append(&rec(1)).unwrap();
        j.append(&rec(3)).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"id\":7,\"row\":[\"7\"").unwrap();
        drop(f);
        let got = read(&path, 2).unwrap();
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), [1, 3]);
        rewrite(&path, &got).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"id\":1,"), "{text}");
        assert_eq!(text.lines().count(), 2);
        // A bad line that is not the last is an error naming it.
        std::fs::write(
            &path,
            "garbage\n{\"id\":1,\"row\":[\"1\",\"x\"],\"steps\":[]}\n",
        )
        .unwrap();
        match read(&path, 2) {
            Err(StressError::Input { line: Some(1), .. }) => {}
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
