//! The grid: every axis of a config, the cartesian product of their values
//! and the numbering of scenarios (point x seed). Points are never all
//! held at once: a point is resolved from the document and checked when
//! it is needed, so a grid of millions of points costs the memory of one.
//!
//! Owns: loading a config file into a `Plan` (parse, discover axes, count
//! the points exactly), resolving and checking a point, checking every
//! point a run will use before it starts (so that a bad value anywhere
//! fails before anything runs), the order of points (axes in document
//! order, the last one varying fastest), scenario ids (`point * seeds +
//! repetition`), per-repetition seeds, and the config hash that resume and
//! merge compare: of the document's content (not its layout or comments),
//! the seeds, the bytes of every file it names and the build of the
//! program.
//!
//! Must not: run anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::config::Config;
use super::digest::{build_identity, digest_file, Digest};
use super::point::{check, ConfigError, Point};
use crate::population::rng::derive_seed;
use crate::tomlgrid::de::{discover, resolve, AxisInfo, DeError};
use crate::tomlgrid::tree::{Node, Sp};
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

/// A file a config names (a replay sample), as its digest covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// The name as written in the config.
    pub name: String,
    /// Where it was read (relative names from the config's folder).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The digest of its bytes.
    pub digest: String,
    /// The config line that names it.
    pub line: usize,
}

/// A whole stress run, ready to go.
#[derive(Clone, Debug)]
pub struct Plan {
    doc: Doc,
    first: Config,
    /// The axes, in document order.
    pub axes: Vec<Axis>,
    /// Number of grid points.
    pub point_count: u64,
    /// Repetitions per point.
    pub seeds: u32,
    /// Base seed.
    pub base_seed: u64,
    /// The files the config names, with their digests (after
    /// `hash_inputs`).
    pub inputs: Vec<InputFile>,
    /// The build of the program (`digest::build_identity`).
    pub build: String,
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
    pub point: u64,
    /// Repetition (0-based).
    pub rep: u32,
    /// The seed of this repetition (shared by all points, so that
    /// mitigations are compared on the same population and path).
    pub seed: u64,
}

/// The number of points of axes with these lengths, exactly, or `None`
/// beyond `u128`.
fn product(mut lengths: impl Iterator<Item = usize>) -> Option<u128> {
    lengths.try_fold(1u128, |acc, n| acc.checked_mul(n as u128))
}

/// A count for a message: exact, or "more than 10^38" beyond `u128`.
pub fn count_text(n: Option<u128>) -> String {
    match n {
        Some(n) => n.to_string(),
        None => format!("more than 10^{}", u128::MAX.ilog10()),
    }
}

impl Plan {
    /// Loads a config and checks every point of its grid. `seed`
    /// overrides the config's `seed`.
    pub fn load(text: &str, seed: Option<u64>) -> Result<Plan, ConfigError> {
        let plan = Plan::parse(text, seed)?;
        plan.check_points(0..plan.point_count)?;
        Ok(plan)
    }

    /// Loads a config and checks its first point only (`check_points`
    /// checks the others).
    pub fn parse(text: &str, seed: Option<u64>) -> Result<Plan, ConfigError> {
        let doc = Doc::parse(text).map_err(|e| ConfigError {
            line: e.line,
            message: e.message,
        })?;
        let (first, infos): (Config, Vec<AxisInfo>) =
            discover(&doc).map_err(|e| de_error(&doc, e))?;
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
        let seeds = first.seeds.value.max(1);
        let points = product(axes.iter().map(|a| a.info.labels.len()));
        let scenarios = points.and_then(|p| p.checked_mul(seeds as u128));
        if scenarios.is_none_or(|s| s > MAX_SCENARIOS as u128) {
            return Err(ConfigError {
                line: axes.first().map(|a| a.info.line).unwrap_or(1),
                message: format!(
                    "the grid has {} points x {seeds} seeds: at most {MAX_SCENARIOS} scenarios",
                    count_text(points)
                ),
            });
        }
        let base_seed = seed.unwrap_or(first.seed.value);
        let mut plan = Plan {
            doc,
            first,
            axes,
            // At most MAX_SCENARIOS, checked above.
            point_count: points.unwrap_or(0) as u64,
            seeds,
            base_seed,
            inputs: Vec::new(),
            build: build_identity().to_string(),
            config_hash: String::new(),
            about: opening_comment(text),
        };
        plan.point(0)?;
        plan.config_hash = plan.hash();
        Ok(plan)
    }

    /// Reads every file the config names (relative names from
    /// `config_dir`) and puts their digests into the config hash.
    pub fn hash_inputs(&mut self, config_dir: &Path) -> Result<(), ConfigError> {
        let mut inputs = Vec::new();
        for (name, line, key) in named_files(&self.doc) {
            if inputs.iter().any(|i: &InputFile| i.name == name) {
                continue;
            }
            let path = config_dir.join(&name);
            let (bytes, digest) = digest_file(&path).map_err(|e| ConfigError {
                line,
                message: format!(
                    "{key}: cannot read the replay sample {}: {e}",
                    crate::report::excerpt::excerpt(&name, 200)
                ),
            })?;
            inputs.push(InputFile {
                name,
                path,
                bytes,
                digest,
                line,
            });
        }
        self.inputs = inputs;
        self.config_hash = self.hash();
        Ok(())
    }

    /// Resolves and checks point `p`.
    pub fn point(&self, p: u64) -> Result<Point, ConfigError> {
        let choice = self.choices(p);
        let cfg: Config = if self.axes.is_empty() {
            self.first.clone()
        } else {
            let map: BTreeMap<usize, usize> = self
                .axes
                .iter()
                .zip(&choice)
                .map(|(a, &c)| (a.info.id, c))
                .collect();
            resolve(&self.doc, &map).map_err(|e| de_error(&self.doc, e))?
        };
        check(&cfg).map_err(|mut e| {
            if !self.axes.is_empty() {
                e.message = format!("{} (grid point {})", e.message, label(&self.axes, &choice));
            }
            e
        })
    }

    /// Checks the points `points` (in any order; repeats are checked once
    /// when adjacent).
    pub fn check_points(&self, points: impl Iterator<Item = u64>) -> Result<(), ConfigError> {
        self.visit_points(points, &mut |_| {})
    }

    /// Checks the points `points` as `check_points` does and hands each to
    /// `each`.
    pub fn visit_points(
        &self,
        points: impl Iterator<Item = u64>,
        each: &mut dyn FnMut(&Point),
    ) -> Result<(), ConfigError> {
        let mut last = None;
        for p in points {
            if last != Some(p) {
                each(&self.point(p)?);
                last = Some(p);
            }
        }
        Ok(())
    }

    /// Number of scenarios (points x seeds).
    pub fn scenario_count(&self) -> u64 {
        self.point_count * self.seeds as u64
    }

    /// The scenario with this id (which must be below `scenario_count`).
    pub fn scenario(&self, id: u64) -> ScenarioRef {
        let seeds = self.seeds.max(1) as u64;
        let rep = (id % seeds) as u32;
        ScenarioRef {
            id,
            point: id / seeds,
            rep,
            seed: derive_seed(self.base_seed, rep as u64),
        }
    }

    /// The element chosen on each axis at point `p`.
    pub fn choices(&self, p: u64) -> Vec<usize> {
        mixed_radix(p, self.axes.iter().map(|a| a.info.labels.len()))
    }

    /// The value of each axis at a point, as written.
    pub fn labels(&self, point: u64) -> Vec<String> {
        self.axes
            .iter()
            .zip(self.choices(point))
            .map(|(a, c)| a.info.labels[c].clone())
            .collect()
    }

    fn hash(&self) -> String {
        let mut h = Digest::new();
        h.field(b"cascade stress config");
        h.field(self.build.as_bytes());
        h.number(self.seeds as u64);
        h.number(self.base_seed);
        self.doc.tokens(&mut |t| h.field(t));
        for i in &self.inputs {
            h.field(i.name.as_bytes());
            h.number(i.bytes);
            h.field(i.digest.as_bytes());
        }
        h.hex()
    }
}

fn de_error(doc: &Doc, e: DeError) -> ConfigError {
    ConfigError {
        line: e.offset.map(|o| doc.line(o)).unwrap_or(1),
        message: e.to_string(),
    }
}

/// The element of each axis at point `p` (the last axis varies fastest).
pub fn mixed_radix(
    mut p: u64,
    lengths: impl DoubleEndedIterator<Item = usize> + ExactSizeIterator,
) -> Vec<usize> {
    let mut out = vec![0; lengths.len()];
    for (i, n) in lengths.enumerate().rev() {
        let n = n.max(1) as u64;
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

/// Every file the document names (`[market.replay] files`, in any grid
/// value), with the line and the key naming it, in document order.
fn named_files(doc: &Doc) -> Vec<(String, usize, String)> {
    fn get<'a>(entries: &'a [(crate::tomlgrid::tree::Key, Sp)], name: &str) -> Option<&'a Sp> {
        entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }
    fn strings(sp: &Sp, doc: &Doc, line: usize, key: &str, out: &mut Vec<(String, usize, String)>) {
        let line = sp.offset.map(|o| doc.line(o)).unwrap_or(line);
        match &sp.node {
            Node::Str(s) => out.push((s.clone(), line, key.to_string())),
            Node::Array(items) => {
                for i in items {
                    strings(i, doc, line, key, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let Node::Table(root) = &doc.root.node else {
        return out;
    };
    let Some(Sp {
        node: Node::Array(markets),
        ..
    }) = get(root, "market")
    else {
        return out;
    };
    for (i, m) in markets.iter().enumerate() {
        let Node::Table(m) = &m.node else { continue };
        let key = format!("market[{i}].replay.files");
        let Some(replay) = get(m, "replay") else {
            continue;
        };
        // The replay table, or a grid list of them.
        let tables: Vec<&Sp> = match &replay.node {
            Node::Array(items) => items.iter().collect(),
            _ => vec![replay],
        };
        for t in tables {
            if let Node::Table(t) = &t.node {
                if let Some(files) = get(t, "files") {
                    strings(files, doc, 1, &key, &mut out);
                }
            }
        }
    }
    out
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
        assert_eq!(plan.point_count, 6);
        assert_eq!(plan.scenario_count(), 12);
        assert_eq!(plan.labels(1), ["0.05", "-0.05"]);
        assert_eq!(plan.labels(2), ["0.1", "-0.01"]);
        let s = plan.scenario(5);
        assert_eq!((s.point, s.rep), (2, 1));
        assert_eq!(s.seed, plan.scenario(1).seed, "same rep, same seed");
        assert_ne!(s.seed, plan.scenario(4).seed);
        let b = plan.point(2).unwrap().markets[0].inst.breaker;
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
    fn huge_grids_are_counted_exactly_or_as_more_than_a_power_of_ten() {
        assert_eq!(
            count_text(product([100usize; 10].into_iter())),
            "100000000000000000000"
        );
        assert_eq!(
            count_text(product([1000usize; 13].into_iter())),
            "more than 10^38"
        );
        let axis = |n: usize| {
            format!(
                "[{}]",
                (0..n)
                    .map(|i| format!("\"{i}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut text = String::from("insurance = ");
        text.push_str(&axis(100));
        text.push('\n');
        text.push_str(&CFG.replace("seeds = 2\n", ""));
        for k in 0..9 {
            text.push_str(&format!(
                "[[market]]\nprice = \"100\"\ninsurance = {}\n[market.instrument]\nsymbol = \"S{k}\"\nkind = \"linear\"\ntick = \"1\"\nlot = \"1\"\ntiers = [{{ mmr = \"0.01\", imr = \"0.02\" }}]\n[market.book]\nlevels = 5\nsize = \"1\"\n",
                axis(100)
            ));
        }
        let e = Plan::load(&text, None).unwrap_err();
        assert!(
            e.message
                .contains("the grid has 600000000000000000000 points"),
            "{}",
            e.message
        );
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
