//! Replays every input of the checked-in `engine_script` fuzz corpus
//! (`fuzz/corpus/engine_script/`) through the same checks the fuzz target
//! runs (conservation, sound books, trigger index against a full scan, no
//! account left liquidatable), so the normal test run on stable covers it.

use std::path::Path;

#[test]
fn replay_engine_script_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/engine_script");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus has only {} files", files.len());
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(e) = cascade::liquidation::fuzzing::run_bytes(&data) {
            panic!("{}: {e}", f.display());
        }
    }
}
