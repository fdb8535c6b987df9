//! Digests: a small, stable, dependency-free 128-bit hash (FNV-1a) for the
//! fingerprints a results folder carries: of the config and every file it
//! names, of the binary that ran it, of each journal record (its content
//! and its grid point) and of the whole journal. They catch edited,
//! swapped, truncated or mixed-up files; they are not signatures (anyone
//! may recompute them).
//!
//! Owns: the hash, the digest of a file, and this binary's build identity.
//!
//! Must not: be used where an adversary chooses the input to collide.

use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;

/// 128-bit FNV-1a.
#[derive(Clone, Copy, Debug)]
pub struct Digest(u128);

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

impl Digest {
    /// A fresh digest.
    pub fn new() -> Digest {
        Digest(OFFSET)
    }

    /// Adds raw bytes (no separator: `bytes` then `more` equals one call
    /// with both).
    pub fn raw(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h ^= b as u128;
            h = h.wrapping_mul(PRIME);
        }
        self.0 = h;
    }

    /// Adds one field: its bytes, then a separator byte that no UTF-8 text
    /// holds, so that ("ab", "c") and ("a", "bc") differ.
    pub fn field(&mut self, bytes: &[u8]) {
        self.raw(bytes);
        self.raw(&[0xff]);
    }

    /// Adds a number as one field.
    pub fn number(&mut self, n: u64) {
        self.field(n.to_string().as_bytes());
    }

    /// The digest as 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

/// The size and digest of a file's bytes, read as a stream.
pub fn digest_file(path: &Path) -> io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut d = Digest::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        d.raw(&buf[..n]);
        total += n as u64;
    }
    Ok((total, d.hex()))
}

/// This program's build identity: its version and the digest of the
/// executable's bytes (two builds that could compute differently never
/// share it). Computed once per process.
pub fn build_identity() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let version = env!("CARGO_PKG_VERSION");
        // `/proc/self/exe` still reads when the file was replaced since.
        let exe = Path::new("/proc/self/exe");
        let digest = digest_file(exe)
            .or_else(|_| std::env::current_exe().and_then(|p| digest_file(&p)))
            .map(|(_, d)| d);
        match digest {
            Ok(d) => format!("cascade {version} {d}"),
            Err(_) => format!("cascade {version} (executable unreadable)"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_separated_and_bytes_matter() {
        let one = |parts: &[&str]| {
            let mut d = Digest::new();
            for p in parts {
                d.field(p.as_bytes());
            }
            d.hex()
        };
        assert_eq!(one(&["ab", "c"]), one(&["ab", "c"]));
        assert_ne!(one(&["ab", "c"]), one(&["a", "bc"]));
        assert_ne!(one(&["1"]), one(&["2"]));
        assert_eq!(one(&[]).len(), 32);
        // FNV-1a 128 of the empty input is its offset basis.
        assert_eq!(Digest::new().hex(), "6c62272e07bb014262b821756295c58d");
        let mut a = Digest::new();
        a.raw(b"a");
        // The published FNV-1a 128 of "a".
        assert_eq!(a.hex(), "d228cb696f1a8caf78912b704e4a8964");
    }

    #[test]
    fn files_and_the_build_have_digests() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"a").unwrap();
        assert_eq!(
            digest_file(&p).unwrap(),
            (1, "d228cb696f1a8caf78912b704e4a8964".to_string())
        );
        let id = build_identity();
        assert!(id.starts_with("cascade ") && id.len() > 40, "{id}");
        assert_eq!(id, build_identity());
    }
}
