//! Atomic file output. Every file is first written to a temporary in the
//! same folder, created exclusively under a random name (the `tempfile`
//! crate: create-new, so a planted file or symbolic link is never
//! followed or overwritten), flushed to disk, and only then renamed over
//! its final name; the folder is flushed after the renames. An interrupted
//! run leaves either the old file or the new one under the final name,
//! never half of one.
//!
//! A file may be written as a stream (`AtomicWriter`). Several files that
//! belong together (the outputs of a stress run or a merge) are renamed
//! only once every one of them is completely written (`commit_all`): a
//! failure while writing (a full disk) leaves the folder as it was.
//!
//! Temporaries are named `.NAME.RANDOM.cascade-tmp`; a process that holds
//! the folder's lock (`report::lock`) may remove those a killed run left
//! behind (`remove_stale_temporaries`).
//!
//! Must not: decide what to write.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The suffix of every temporary this module creates.
pub const TEMP_SUFFIX: &str = ".cascade-tmp";

/// The folder holding `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A new temporary beside `path`, created exclusively.
fn temporary_for(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(TEMP_SUFFIX).rand_bytes(12);
    #[cfg(unix)]
    {
        // The mode before the umask, as `File::create` gives (tempfile's
        // default, 0600, would make outputs private to their owner).
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(folder_of(path))
}

/// A file being written to a temporary, renamed to its final name by
/// `commit` or `commit_all` (or removed, when dropped uncommitted).
#[derive(Debug)]
pub struct AtomicWriter {
    target: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicWriter {
    /// Starts writing the file that will become `target`.
    pub fn create(target: &Path) -> io::Result<AtomicWriter> {
        Ok(AtomicWriter {
            target: target.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 16, temporary_for(target)?),
        })
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the buffer and says where the bytes are until the commit
    /// (to read back what was written).
    pub fn written_path(&mut self) -> io::Result<&Path> {
        self.writer.flush()?;
        Ok(self.writer.get_ref().path())
    }

    /// Flushes the file to disk and renames it over its final name.
    pub fn commit(self) -> io::Result<()> {
        commit_all(vec![self]).map_err(|(_, e)| e)
    }

    /// Flushes everything to disk; the temporary is complete.
    fn finish(self) -> io::Result<(PathBuf, tempfile::NamedTempFile)> {
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        Ok((self.target, file))
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Renames every file to its final name, in order, once all of them are
/// flushed to disk; then flushes their folders. On an error before the
/// first rename, no final name has changed; the error names the file it
/// concerns.
pub fn commit_all(files: Vec<AtomicWriter>) -> Result<(), (PathBuf, io::Error)> {
    let mut done = Vec::with_capacity(files.len());
    for f in files {
        let target = f.target.clone();
        done.push(f.finish().map_err(|e| (target, e))?);
    }
    let mut folders: Vec<PathBuf> = Vec::new();
    for (target, file) in done {
        file.persist(&target)
            .map_err(|e| (target.clone(), e.error))?;
        let folder = folder_of(&target).to_path_buf();
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    for f in folders {
        sync_folder(&f);
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicWriter::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Flushes the folder holding `path`, so that a rename in it survives a
/// crash (best effort: not every platform can open a folder).
pub fn sync_dir(path: &Path) {
    sync_folder(folder_of(path));
}

fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether `name` is a temporary of this module, or of the versions before
/// it (`.NAME.tmp-PID`).
pub fn is_temporary(name: &str) -> bool {
    if !name.starts_with('.') {
        return false;
    }
    if name.ends_with(TEMP_SUFFIX) {
        return true;
    }
    match name.rsplit_once(".tmp-") {
        Some((_, pid)) => !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Removes the temporaries in `dir` (plain files only; never follows a
/// link). Only a process holding the folder's lock may call this: then no
/// live run is writing them. Returns how many were removed.
pub fn remove_stale_temporaries(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_temporary(&name) {
            continue;
        }
        // `file_type` does not follow links: a link is removed as a link.
        let kind = entry.file_type()?;
        if kind.is_file() || kind.is_symlink() {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    /// The versions before this one wrote to `.NAME.tmp-PID` with
    /// `File::create`, which follows a link planted under that name and
    /// overwrites whatever it points to.
    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let pid = std::process::id();
        for name in [
            format!(".a.txt.tmp-{pid}"),
            format!(".a.txt.tmp-{}", pid + 1),
        ] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        write_atomic(&dir.path().join("a.txt"), b"new").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(dir.path().join("a.txt")).unwrap(), b"new");
        // Temporaries get random names, never twice the same.
        let a = temporary_for(&dir.path().join("b")).unwrap();
        let b = temporary_for(&dir.path().join("b")).unwrap();
        assert_ne!(a.path(), b.path());
        assert!(is_temporary(
            &a.path().file_name().unwrap().to_string_lossy()
        ));
    }

    #[test]
    fn nothing_is_renamed_until_every_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        fs::write(&a, b"old a").unwrap();
        let mut sa = AtomicWriter::create(&a).unwrap();
        sa.write_all(b"new a").unwrap();
        let mut sb = AtomicWriter::create(&dir.path().join("b.csv")).unwrap();
        sb.write_all(b"new b").unwrap();
        // A failure before the commit (here: giving up) leaves the old
        // files and no temporary.
        drop((sa, sb));
        assert_eq!(names(dir.path()), ["a.csv"]);
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        let mut sa = AtomicWriter::create(&a).unwrap();
        sa.write_all(b"new a").unwrap();
        let mut sb = AtomicWriter::create(&dir.path().join("b.csv")).unwrap();
        sb.write_all(b"new b").unwrap();
        commit_all(vec![sa, sb]).unwrap();
        assert_eq!(names(dir.path()), ["a.csv", "b.csv"]);
        assert_eq!(fs::read(&a).unwrap(), b"new a");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_not_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"x").unwrap();
        let created = dir.path().join("plain");
        File::create(&created).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&created), "same mode as File::create");
    }

    #[test]
    fn stale_temporaries_are_recognised_and_removed() {
        assert!(is_temporary(".results.jsonl.tmp-1234"));
        assert!(is_temporary(".scenarios.csv.Ab3xYz.cascade-tmp"));
        assert!(!is_temporary("results.jsonl"));
        assert!(!is_temporary(".results.jsonl.tmp-"));
        assert!(!is_temporary(".notes.tmp-draft"));
        let dir = tempfile::tempdir().unwrap();
        for n in [
            ".results.jsonl.tmp-99",
            ".x.abc.cascade-tmp",
            "keep.csv",
            ".hidden",
        ] {
            fs::write(dir.path().join(n), b"").unwrap();
        }
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap(), 2);
        assert_eq!(names(dir.path()), [".hidden", "keep.csv"]);
    }
}
