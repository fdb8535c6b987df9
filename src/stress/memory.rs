//! What a run needs in memory, estimated before it starts, and the
//! refusal of a run that would not fit. Everything else a run holds is
//! bounded (a window of scenarios, one sort chunk); what grows with the
//! config is each running scenario's engine: its accounts and its book.
//!
//! Owns: the estimate and the figures it rests on (measured: 2,000,000
//! generated accounts run in 418 MB, about 210 bytes per account; the
//! figures below leave room for multi-market accounts and stop orders).
//!
//! Must not: change what runs, only whether it starts.

use super::point::{BookSource, Point};

/// Bytes per account in a running scenario (engine tables, trigger index).
pub const BYTES_PER_ACCOUNT: u64 = 256;
/// Bytes per resting order of a starting book.
pub const BYTES_PER_LEVEL: u64 = 256;
/// Bytes a run needs whatever its scenarios (a window, a sort chunk, the
/// program itself).
pub const FIXED_BYTES: u64 = 192 << 20;

/// The accounts and book levels of the largest scenario seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Accounts.
    pub accounts: u64,
    /// Resting orders of the starting books (both sides, all markets).
    pub levels: u64,
}

impl Footprint {
    /// The footprint of one scenario of `point`.
    pub fn of(point: &Point) -> Footprint {
        let accounts =
            point.accounts.len() as u64 + point.generator.as_ref().map_or(0, |g| g.accounts as u64);
        let levels = point
            .markets
            .iter()
            .map(|m| match &m.book {
                BookSource::Profile(p) => 2 * p.levels as u64,
                BookSource::Replay(r) => 2 * r.depth as u64,
            })
            .sum();
        Footprint { accounts, levels }
    }

    /// The larger of two (field by field).
    pub fn max(self, o: Footprint) -> Footprint {
        Footprint {
            accounts: self.accounts.max(o.accounts),
            levels: self.levels.max(o.levels),
        }
    }

    /// Bytes one running scenario of this size needs.
    pub fn bytes(&self) -> u64 {
        self.accounts * BYTES_PER_ACCOUNT + self.levels * BYTES_PER_LEVEL
    }
}

/// Bytes this process may still use: the smaller of the memory the system
/// has available and what is left under its cgroup's limit (`None` where
/// neither is known).
pub fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let cgroup = match (
        read("/sys/fs/cgroup/memory.max"),
        read("/sys/fs/cgroup/memory.current"),
    ) {
        (Some(max), Some(cur)) => match (max.trim().parse::<u64>(), cur.trim().parse::<u64>()) {
            (Ok(max), Ok(cur)) => Some(max.saturating_sub(cur)),
            _ => None,
        },
        _ => None,
    };
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

/// Refuses a run of `threads` threads whose largest scenario is
/// `largest` when it would need more than `available` bytes, saying how
/// much and what would fit.
pub fn check(threads: usize, largest: Footprint, available: Option<u64>) -> Result<(), String> {
    let Some(available) = available else {
        return Ok(());
    };
    let per = largest.bytes();
    let threads = threads.max(1) as u64;
    let need = FIXED_BYTES + threads * per;
    if need <= available {
        return Ok(());
    }
    let what = format!(
        "the largest scenario ({} accounts, {} book orders) needs about {}",
        largest.accounts,
        largest.levels,
        gib(per)
    );
    let fit = available.saturating_sub(FIXED_BYTES) / per.max(1);
    Err(if fit == 0 {
        format!(
            "{what}, more than the {} this machine has available: use fewer accounts or book levels",
            gib(available)
        )
    } else {
        format!(
            "{what}; on {threads} threads the run needs about {}, more than the {} this machine has available: use --threads {fit} or fewer",
            gib(need),
            gib(available)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_would_not_fit_is_refused_with_the_estimate() {
        let big = Footprint {
            accounts: 2_000_000,
            levels: 400,
        };
        assert_eq!(big.bytes(), 2_000_000 * 256 + 400 * 256);
        assert!(check(16, big, None).is_ok(), "unknown memory: no refusal");
        assert!(check(2, big, Some(8 << 30)).is_ok());
        let e = check(16, big, Some(4 << 30)).unwrap_err();
        assert!(
            e.contains("2000000 accounts") && e.contains("--threads 7"),
            "{e}"
        );
        let e = check(1, big, Some(256 << 20)).unwrap_err();
        assert!(e.contains("fewer accounts"), "{e}");
        let small = Footprint {
            accounts: 10,
            levels: 10,
        };
        assert_eq!(small.max(big), big);
        assert!(available_bytes().is_none_or(|b| b > 0));
    }
}
