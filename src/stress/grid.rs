//! The grid: every axis of a config, the cartesian product of their values
//! (each a checked `Point`), and the numbering of scenarios (point x seed).
//!
//! Owns: loading a config file into a `Plan` (parse, discover axes,
//! resolve and check every point up front so that a bad value anywhere in
//! the grid fails before anything runs), the order of points (axes in
//! document order, the last one varying fastest), scenario ids
//! (`point * seeds + repetition`), per-repetition seeds, and the config
//! hash that resume and merge compare.
//!
//! Must not: run anything.

use std::collections::BTreeMap;

use super::config::Config;
use super::point::{check, ConfigError, Point};
use crate::population::rng::derive_seed;
use crate::tomlgrid::de::{discover, resolve, AxisInfo, DeError};
use crate::tomlgrid::Doc;

/// Most scenarios (points x seeds) one config may describe.
pub const MAX_SCENARIOS: u64 = 10_000_000;

/// Whether an axis varies the shock or something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisRole {
    /// Under `shock[...]`: the x axis of the report's charts.
    Shock,
    /// Anything else: a mitigation (or population) variant; the report
    /// draws one line per combination of these.
    Mitigation,
}

/// One axis of the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// Where it was written, its key and its values.
    pub info: AxisInfo,
    /// Its role in the report.
    pub role: AxisRole,
}

/// A whole stress run, ready to go.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The axes, in document order.
    pub axes: Vec<Axis>,
    /// Every grid point, checked, in grid order.
    pub points: Vec<Point>,
    /// For every point, the element chosen on each axis.
    pub choices: Vec<Vec<usize>>,
    /// Repetitions per point.
    pub seeds: u32,
    /// Base seed.
    pub base_seed: u64,
    /// A hash of everything that determines the results (hex).
    pub config_hash: String,
    /// The config's opening comment: the question it asks (not hashed:
    /// it changes no result).
    pub about: String,
}

/// The opening comment of a config: its first comment lines up to the
/// first empty one (`#` alone) or the first line that is not a comment,
/// joined into one paragraph.
pub fn opening_comment(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.starts_with('#') && l.trim_start_matches('#').trim() != "")
        .map(|l| l.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One scenario: a grid point and a repetition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioRef {
    /// Scenario id.
    pub id: u64,
    /// Grid point index.
    pub point: usize,
    /// Repetition (0-based).
    pub rep: u32,
    /// The seed of this repetition (shared by all points, so that
    /// mitigations are compared on the same population and path).
    pub seed: u64,
}

impl Plan {
    /// Loads and checks a config. `seed` overrides the config's `seed`.
    pub fn load(text: &str, seed: Option<u64>) -> Result<Plan, ConfigError> {
        let doc = Doc::parse(text).map_err(|e| ConfigError {
            line: e.line,
            message: e.message,
        })?;
        let de_err = |e: DeError| ConfigError {
            line: e.offset.map(|o| doc.line(o)).unwrap_or(1),
            message: e.to_string(),
        };
        let (first, infos): (Config, Vec<AxisInfo>) = discover(&doc).map_err(de_err)?;
        for a in &infos {
            if a.key == "seeds" || a.key == "seed" {
                return Err(ConfigError {
                    line: a.line,
                    message: format!("{}: cannot be a grid list (give one number)", a.key),
                });
            }
        }
        let axes: Vec<Axis> = infos
            .into_iter()
            .map(|info| Axis {
                role: if info.key.starts_with("shock[") || info.key == "shock" {
                    AxisRole::Shock
                } else {
                    AxisRole::Mitigation
                },
                info,
            })
            .collect();
        let mut count: u64 = 1;
        for a in &axes {
            count = count.saturating_mul(a.info.labels.len() as u64);
        }
        let seeds = first.seeds.value.max(1);
        if count.saturating_mul(seeds as u64) > MAX_SCENARIOS {
            return Err(ConfigError {
                line: axes.first().map(|a| a.info.line).unwrap_or(1),
                message: format!(
                    "the grid has {count} points x {seeds} seeds: at most {MAX_SCENARIOS} scenarios"
                ),
            });
        }
        let mut points = Vec::with_capacity(count as usize);
        let mut choices = Vec::with_capacity(count as usize);
        for p in 0..count {
            let choice = mixed_radix(p, &axes);
            let cfg: Config = if axes.is_empty() {
                first.clone()
            } else {
                let map: BTreeMap<usize, usize> = axes
                    .iter()
                    .zip(&choice)
                    .map(|(a, &c)| (a.info.id, c))
                    .collect();
                resolve(&doc, &map).map_err(de_err)?
            };
            let point = check(&cfg).map_err(|mut e| {
                if !axes.is_empty() {
                    e.message = format!("{} (grid point {})", e.message, label(&axes, &choice));
                }
                e
            })?;
            points.push(point);
            choices.push(choice);
        }
        let base_seed = seed.unwrap_or(first.seed.value);
        let mut plan = Plan {
            axes,
            points,
            choices,
            seeds,
            base_seed,
            config_hash: String::new(),
            about: opening_comment(text),
        };
        plan.config_hash = plan.hash();
        Ok(plan)
    }

    /// Number of scenarios (points x seeds).
    pub fn scenario_count(&self) -> u64 {
        self.points.len() as u64 * self.seeds as u64
    }

    /// The scenario with this id (which must be below `scenario_count`).
    pub fn scenario(&self, id: u64) -> ScenarioRef {
        let seeds = self.seeds.max(1) as u64;
        let rep = (id % seeds) as u32;
        ScenarioRef {
            id,
            point: (id / seeds) as usize,
            rep,
            seed: derive_seed(self.base_seed, rep as u64),
        }
    }

    /// The value of each axis at a point, as written.
    pub fn labels(&self, point: usize) -> Vec<String> {
        self.axes
            .iter()
            .zip(&self.choices[point])
            .map(|(a, &c)| a.info.labels[c].clone())
            .collect()
    }

    fn hash(&self) -> String {
        let mut h = Fnv::new();
        h.write(env!("CARGO_PKG_VERSION").as_bytes());
        h.write(&self.seeds.to_le_bytes());
        h.write(&self.base_seed.to_le_bytes());
        for a in &self.axes {
            h.write(a.info.key.as_bytes());
            for l in &a.info.labels {
                h.write(l.as_bytes());
            }
        }
        for p in &self.points {
            // Debug output of these types is plain data (no maps, no
            // addresses): the same for the same config in one build.
            h.write(format!("{p:?}").as_bytes());
        }
        format!("{:016x}", h.finish())
    }
}

fn mixed_radix(mut p: u64, axes: &[Axis]) -> Vec<usize> {
    let mut out = vec![0; axes.len()];
    for (i, a) in axes.iter().enumerate().rev() {
        let n = a.info.labels.len() as u64;
        out[i] = (p % n) as usize;
        p /= n;
    }
    out
}

fn label(axes: &[Axis], choice: &[usize]) -> String {
    axes.iter()
        .zip(choice)
        .map(|(a, &c)| format!("{}={}", a.info.key, a.info.labels[c]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// 64-bit FNV-1a: a small, stable, dependency-free hash for config
/// fingerprints (not for security).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Fnv {
    /// A fresh hash.
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    /// Adds bytes, then a separator so that ("ab","c") and ("a","bc") differ.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Fnv::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"
seeds = 2
[[market]]
price = "100"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "0.1"
lot = "0.01"
tiers = [{ mmr = "0.01", imr = "0.02" }]
breaker = { halt_move = ["0.05", "0.1", "0.2"] }
[market.book]
levels = 10
size = "5"

[[shock]]
kind = "index"
symbol = "X"
move = ["-0.01", "-0.05"]
"#;

    #[test]
    fn the_grid_is_the_product_last_axis_fastest() {
        let plan = Plan::load(CFG, None).unwrap();
        assert_eq!(plan.axes.len(), 2);
        assert_eq!(plan.axes[0].role, AxisRole::Mitigation);
        assert_eq!(plan.axes[1].role, AxisRole::Shock);
        assert_eq!(plan.points.len(), 6);
        assert_eq!(plan.scenario_count(), 12);
        assert_eq!(plan.labels(1), ["0.05", "-0.05"]);
        assert_eq!(plan.labels(2), ["0.1", "-0.01"]);
        let s = plan.scenario(5);
        assert_eq!((s.point, s.rep), (2, 1));
        assert_eq!(s.seed, plan.scenario(1).seed, "same rep, same seed");
        assert_ne!(s.seed, plan.scenario(4).seed);
        let b = plan.points[2].markets[0].inst.breaker;
        assert_eq!(b.halt_move.unwrap().to_string(), "0.1");
    }

    #[test]
    fn the_hash_follows_meaning_and_seed() {
        let a = Plan::load(CFG, None).unwrap();
        let b = Plan::load(&format!("# a comment\n{CFG}"), None).unwrap();
        assert_eq!(a.config_hash, b.config_hash);
        let c = Plan::load(CFG, Some(9)).unwrap();
        assert_ne!(a.config_hash, c.config_hash);
        let d = Plan::load(&CFG.replace("\"-0.05\"]", "\"-0.06\"]"), None).unwrap();
        assert_ne!(a.config_hash, d.config_hash);
    }

    #[test]
    fn a_bad_value_inside_the_grid_names_its_point() {
        let bad = CFG.replace("\"-0.05\"]", "\"-1.5\"]");
        let e = Plan::load(&bad, None).unwrap_err();
        assert!(e.message.contains("shock[0].move"), "{}", e.message);
        assert!(e.message.contains("grid point"), "{}", e.message);
        assert_eq!(e.line, 19);
        let e = Plan::load(&CFG.replace("seeds = 2", "seeds = [1, 2]"), None).unwrap_err();
        assert!(e.message.contains("cannot be a grid list"), "{}", e.message);
        assert_eq!(e.line, 2);
    }
}
