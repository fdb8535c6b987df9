//! The exclusive lock of an output folder: one run (or merge) at a time
//! writes into a folder. It is an OS file lock (`File::try_lock`: `flock`
//! on Unix, `LockFileEx` on Windows) on the file `.cascade.lock` in the
//! folder, so the system releases it when the process ends, even when it
//! is killed. The holder writes its process id, host and command into the
//! file, so that a refused run can say who holds the folder; it empties the
//! file when it releases the lock normally.
//!
//! Owns: taking, describing and releasing the lock.
//!
//! Must not: write anything else into the folder.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name.
pub const LOCK_FILE: &str = ".cascade.lock";

/// Longest holder description read back from a lock file.
const MAX_HOLDER: u64 = 256;

/// Why a folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("the folder is in use by another cascade run ({holder}): wait for it to end, or choose another folder")]
    Held {
        /// Who holds it, as its lock file says.
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock the folder: {0}")]
    Io(#[from] io::Error),
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

/// This process, for the lock file.
fn describe_self(command: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let mut s = format!("process {}", std::process::id());
    if let Some(h) = host {
        s.push_str(&format!(" on {}", crate::report::excerpt::excerpt(&h, 64)));
    }
    s.push_str(&format!(", cascade {command}"));
    s
}

impl FolderLock {
    /// Takes the exclusive lock of `dir` (which must exist) for `command`
    /// (`stress`, `merge`), or says who holds it.
    pub fn exclusive(dir: &Path, command: &str) -> Result<FolderLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    holder: read_holder(&mut file),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(describe_self(command).as_bytes())?;
        file.flush()?;
        Ok(FolderLock { file, path })
    }

    /// Takes a shared lock of `dir` (readers: several may hold it, no
    /// writer meanwhile). `Ok(None)` when the folder cannot take a lock
    /// file (read-only storage): reading goes on unprotected.
    pub fn shared(dir: &Path) -> Result<Option<FolderLock>, LockError> {
        let path = dir.join(LOCK_FILE);
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(f) => f,
            Err(_) => return Ok(None),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(FolderLock { file, path })),
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut file = file;
                Err(LockError::Held {
                    holder: read_holder(&mut file),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::Io(e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read_holder(file: &mut File) -> String {
    let mut buf = Vec::new();
    let _ = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(MAX_HOLDER).read_to_end(&mut buf));
    let text = String::from_utf8_lossy(&buf);
    if text.trim().is_empty() {
        "a process that has not said who it is".into()
    } else {
        crate::report::excerpt::excerpt(text.trim(), MAX_HOLDER as usize)
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // An exclusive holder empties the file so that the folder reads
        // the same after every run; the lock goes with the descriptor.
        // A shared holder never wrote to it, and emptying it would erase
        // nothing (a writer cannot hold it meanwhile).
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::exclusive(dir.path(), "stress").unwrap();
        match FolderLock::exclusive(dir.path(), "merge") {
            Err(LockError::Held { holder }) => {
                assert!(
                    holder.contains(&format!("process {}", std::process::id())),
                    "{holder}"
                );
                assert!(holder.contains("cascade stress"), "{holder}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            FolderLock::shared(dir.path()),
            Err(LockError::Held { .. })
        ));
        drop(first);
        let again = FolderLock::exclusive(dir.path(), "merge").unwrap();
        drop(again);
        assert_eq!(std::fs::read(dir.path().join(LOCK_FILE)).unwrap(), b"");
        let a = FolderLock::shared(dir.path()).unwrap();
        let b = FolderLock::shared(dir.path()).unwrap();
        assert!(a.is_some() && b.is_some());
        assert!(FolderLock::exclusive(dir.path(), "stress").is_err());
    }
}
