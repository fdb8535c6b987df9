//! Records in scenario-id order from journals in any order, in bounded
//! memory: a journal already sorted (a finished run's, or a shard's) is
//! read as it is; one in completion order is cut into chunks of at most
//! `CHUNK_BYTES` of lines (held as lines, not parsed records), each sorted
//! in memory and, when there is more than one, spilled to a temporary file
//! in the output folder; then all runs are merged with a heap. Every
//! record is checked when its journal is first read.
//!
//! Owns: the external sort, and refusing an id given twice with different
//! results.
//!
//! Must not: hold more than one chunk of records.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::StressError;
use super::journal::{to_line, JournalReader, Tail};
use super::record::{Record, RecordCheck};
use crate::report::atomic::TEMP_SUFFIX;

/// Bytes of journal lines sorted in memory at a time.
pub const CHUNK_BYTES: usize = 32 << 20;

/// One sorted run.
enum Run {
    /// A sorted chunk: (id, journal line).
    Memory(std::vec::IntoIter<(u64, Vec<u8>)>),
    /// A journal, or a spilled chunk (removed when the run is dropped).
    File {
        reader: Box<JournalReader>,
        _spill: Option<tempfile::NamedTempFile>,
    },
}

impl Run {
    fn next(&mut self) -> Result<Option<Record>, StressError> {
        match self {
            Run::Memory(it) => match it.next() {
                // Lines this process wrote from checked records.
                Some((_, line)) => serde_json::from_slice(&line)
                    .map(Some)
                    .map_err(|e| StressError::io(Path::new("(sort chunk)"), e.into())),
                None => Ok(None),
            },
            Run::File { reader, .. } => reader.next_record(),
        }
    }
}

/// The records of several journals, in id order.
pub struct Sorted {
    runs: Vec<Run>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    heads: Vec<Option<Record>>,
    /// Where each run came from (for errors).
    sources: Vec<PathBuf>,
}

/// What one pass over a journal found.
#[derive(Debug)]
pub struct Scan {
    /// Records read.
    pub records: u64,
    /// Whether their ids strictly ascend.
    pub sorted: bool,
    /// The digest of its complete lines.
    pub digest: String,
    /// Bytes of its complete lines.
    pub complete_bytes: u64,
    /// Whether it ended in a torn line.
    pub torn: bool,
}

/// Reads a journal once, checking every record, and calls `each` with
/// each record's id.
pub fn scan(
    path: &Path,
    check: &RecordCheck,
    tail: Tail,
    each: &mut dyn FnMut(u64) -> Result<(), StressError>,
) -> Result<Option<Scan>, StressError> {
    let Some(mut r) = JournalReader::open(path, Some(check.clone()), tail)? else {
        return Ok(None);
    };
    let mut last: Option<u64> = None;
    let mut out = Scan {
        records: 0,
        sorted: true,
        digest: String::new(),
        complete_bytes: 0,
        torn: false,
    };
    while let Some(rec) = r.next_record()? {
        if last.is_some_and(|l| rec.id <= l) {
            out.sorted = false;
        }
        last = Some(rec.id);
        out.records += 1;
        each(rec.id)?;
    }
    out.digest = r.digest();
    out.complete_bytes = r.complete_bytes();
    out.torn = r.torn();
    Ok(Some(out))
}

impl Sorted {
    /// The records of `journals`, each checked by `check` and read up to a
    /// torn last line as `tail` says; a journal that is not sorted is
    /// sorted through temporaries in `spill_dir`.
    pub fn new(
        journals: &[PathBuf],
        check: &RecordCheck,
        tail: Tail,
        spill_dir: &Path,
    ) -> Result<Sorted, StressError> {
        Sorted::with_chunk(journals, check, tail, spill_dir, CHUNK_BYTES)
    }

    /// As `new`, sorting `chunk_bytes` of lines at a time.
    fn with_chunk(
        journals: &[PathBuf],
        check: &RecordCheck,
        tail: Tail,
        spill_dir: &Path,
        chunk_bytes: usize,
    ) -> Result<Sorted, StressError> {
        let mut runs = Vec::new();
        let mut sources = Vec::new();
        for path in journals {
            let Some(s) = scan(path, check, tail, &mut |_| Ok(()))? else {
                continue;
            };
            if s.sorted {
                // Checked in the scan: read as it is.
                if let Some(r) = JournalReader::open(path, None, tail)? {
                    runs.push(Run::File {
                        reader: Box::new(r),
                        _spill: None,
                    });
                    sources.push(path.clone());
                }
                continue;
            }
            for run in sort_chunks(path, tail, spill_dir, chunk_bytes)? {
                runs.push(run);
                sources.push(path.clone());
            }
        }
        let mut sorted = Sorted {
            heads: (0..runs.len()).map(|_| None).collect(),
            runs,
            heap: BinaryHeap::new(),
            sources,
        };
        for i in 0..sorted.runs.len() {
            sorted.advance(i)?;
        }
        Ok(sorted)
    }

    fn advance(&mut self, i: usize) -> Result<(), StressError> {
        let next = self.runs[i].next()?;
        if let Some(r) = &next {
            self.heap.push(Reverse((r.id, i)));
        }
        self.heads[i] = next;
        Ok(())
    }

    /// The next record in id order; an id given more than once is given
    /// once (the copies must be identical).
    pub fn next_record(&mut self) -> Result<Option<Record>, StressError> {
        let Some(Reverse((id, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let Some(rec) = self.heads[i].take() else {
            return Ok(None);
        };
        self.advance(i)?;
        while let Some(&Reverse((other, j))) = self.heap.peek() {
            if other != id {
                break;
            }
            self.heap.pop();
            if self.heads[j].as_ref() != Some(&rec) {
                return Err(StressError::input(
                    &self.sources[j],
                    None,
                    format!(
                        "scenario {id} differs from its copy in {}",
                        self.sources[i].display()
                    ),
                ));
            }
            self.advance(j)?;
        }
        Ok(Some(rec))
    }
}

/// Cuts an unsorted (already checked) journal into sorted runs.
fn sort_chunks(
    path: &Path,
    tail: Tail,
    spill_dir: &Path,
    chunk_bytes: usize,
) -> Result<Vec<Run>, StressError> {
    let Some(mut reader) = JournalReader::open(path, None, tail)? else {
        return Ok(Vec::new());
    };
    let mut runs = Vec::new();
    let mut chunk: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut bytes = 0u64;
    loop {
        let rec = reader.next_record()?;
        let at_end = rec.is_none();
        if let Some(r) = rec {
            chunk.push((r.id, to_line(&r)));
            if reader.complete_bytes() - bytes < chunk_bytes as u64 {
                continue;
            }
            bytes = reader.complete_bytes();
        }
        if chunk.is_empty() {
            break;
        }
        chunk.sort_by_key(|(id, _)| *id);
        if at_end && runs.is_empty() {
            runs.push(Run::Memory(std::mem::take(&mut chunk).into_iter()));
            break;
        }
        runs.push(spill(&chunk, spill_dir)?);
        chunk.clear();
        if at_end {
            break;
        }
    }
    Ok(runs)
}

/// Writes a sorted chunk to a temporary and opens it for reading.
fn spill(chunk: &[(u64, Vec<u8>)], dir: &Path) -> Result<Run, StressError> {
    let io = |e| StressError::io(dir, e);
    let mut file = tempfile::Builder::new()
        .prefix(".sort.")
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut w = std::io::BufWriter::new(file.as_file_mut());
        for (_, line) in chunk {
            w.write_all(line).map_err(io)?;
        }
        w.flush().map_err(io)?;
    }
    let reader = JournalReader::open(file.path(), None, Tail::Refuse)?
        .ok_or_else(|| io(std::io::Error::other("a sort temporary vanished")))?;
    Ok(Run::File {
        reader: Box::new(reader),
        _spill: Some(file),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::manifest::Manifest;
    use crate::stress::record::record_digest;

    fn check() -> RecordCheck {
        let text = format!(
            r#"{{"format":"{}","version":"0","build":"b","config_hash":"h","scenarios":100,"points":100,"seeds":1,"seed":0,"columns":["scenario"],"axes":[]}}"#,
            crate::stress::manifest::FORMAT
        );
        let m: Manifest = serde_json::from_str(&text).unwrap();
        RecordCheck::new(&m)
    }

    fn rec(id: u64, value: &str) -> Record {
        let row = vec![value.to_string()];
        let digest = record_digest("h", id, id, &[], &row, &[]);
        Record {
            id,
            row,
            steps: vec![],
            digest,
        }
    }

    fn write(path: &Path, ids: &[u64]) {
        let text: Vec<u8> = ids.iter().flat_map(|&i| to_line(&rec(i, "v"))).collect();
        std::fs::write(path, text).unwrap();
    }

    fn all(s: &mut Sorted) -> Result<Vec<u64>, StressError> {
        let mut out = Vec::new();
        while let Some(r) = s.next_record()? {
            out.push(r.id);
        }
        Ok(out)
    }

    #[test]
    fn journals_in_any_order_come_out_sorted_through_spills() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let shuffled: Vec<u64> = (0..60).map(|i| (i * 37) % 60).collect();
        write(&a, &shuffled);
        write(&b, &[5, 60, 61, 99]);
        for chunk in [1 << 20, 300] {
            let mut s = Sorted::with_chunk(
                &[a.clone(), b.clone()],
                &check(),
                Tail::Refuse,
                dir.path(),
                chunk,
            )
            .unwrap();
            let want: Vec<u64> = (0..62).chain([99]).collect();
            assert_eq!(all(&mut s).unwrap(), want, "chunk {chunk}");
        }
        // Spills are temporaries of the folder, gone with the reader.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2);
    }

    #[test]
    fn an_id_with_two_different_results_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        write(&a, &[1, 2]);
        std::fs::write(&b, to_line(&rec(2, "other"))).unwrap();
        let mut s = Sorted::new(&[a, b], &check(), Tail::Refuse, dir.path()).unwrap();
        assert!(matches!(all(&mut s), Err(StressError::Input { .. })));
    }
}
