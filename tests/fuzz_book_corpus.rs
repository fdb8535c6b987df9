//! Replays every input of the checked-in fuzz corpus
//! (`fuzz/corpus/book_ops/`) through the same differential check the fuzz
//! target runs, so that the normal test run on stable covers it.

use std::path::Path;

#[test]
fn replay_book_ops_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/book_ops");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus has only {} files", files.len());
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(e) = cascade::book::fuzzing::run_ops(&data) {
            panic!("{}: {e}", f.display());
        }
    }
}
