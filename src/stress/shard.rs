//! Shards: `--shard I/N` runs the scenarios whose id is `I` modulo `N`
//! (I from 0 to N-1, as a Kubernetes completion index or a Slurm array
//! task id gives it). Round robin spreads grid points and seeds evenly,
//! whatever their cost pattern.
//!
//! Must not: depend on anything but the scenario id, so that every
//! machine computes the same slices.

use std::fmt;
use std::str::FromStr;

/// One slice of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// This shard's index, `0..count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// The whole run as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// True when scenario `id` belongs to this shard.
    pub fn holds(&self, id: u64) -> bool {
        id % self.count.max(1) as u64 == self.index as u64
    }

    /// The ids of this shard among `0..total`, ascending.
    pub fn ids(&self, total: u64) -> std::iter::StepBy<std::ops::Range<u64>> {
        (self.index as u64..total).step_by(self.count.max(1) as usize)
    }

    /// How many of `0..total` belong to this shard.
    pub fn len(&self, total: u64) -> u64 {
        let count = self.count.max(1) as u64;
        total.saturating_sub(self.index as u64).div_ceil(count)
    }

    /// The rank of scenario `id` (of this shard) among the shard's ids.
    pub fn rank(&self, id: u64) -> u64 {
        id / self.count.max(1) as u64
    }

    /// True for the whole run.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 0 <= I < N (for example 0/4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_ids() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        let mut all: Vec<u64> = shards.iter().flat_map(|s| s.ids(10)).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(shards[1].ids(10).collect::<Vec<_>>(), [1, 4, 7]);
        for s in &shards {
            assert_eq!(s.len(10), s.ids(10).count() as u64);
            for (k, id) in s.ids(10).enumerate() {
                assert_eq!(s.rank(id), k as u64);
            }
        }
        assert_eq!(shards[2].len(2), 0);
        assert!(shards[2].holds(5));
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 1, count: 2 }.to_string(), "1/2");
    }
}
