//! `manifest.json`: what a results folder holds (which config, which
//! shard, which columns), so that a rerun can resume it and `merge` can
//! check that shards belong together and rebuild the report.
//!
//! Must not: hold anything that varies between runs of the same config
//! and shard (no times, no host names, no thread counts).

use std::io::ErrorKind;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::StressError;
use super::grid::{AxisRole, Plan};
use super::record::scenario_header;
use super::shard::Shard;
use crate::instrument::ContractKind;
use crate::lines::{read_capped, utf8, LineError};
use crate::report::units::settlement_asset;

/// File name of the manifest in a results folder.
pub const MANIFEST: &str = "manifest.json";
/// Largest manifest read back (its axes hold the values of a config,
/// itself at most `grid::MAX_CONFIG_BYTES`).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// Format tag of this manifest layout.
pub const FORMAT: &str = "cascade-stress/2";

/// One grid axis as the report needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisEntry {
    /// Dotted key (also its column name).
    pub key: String,
    /// `shock` or `mitigation`.
    pub role: String,
    /// Its values, as written.
    pub values: Vec<String>,
}

/// One market of the run, as the report names its money.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketEntry {
    /// Its symbol.
    pub symbol: String,
    /// The asset its money is settled in (`USDT`, `BTC`).
    pub settlement: String,
}

/// A file the config names, as the config hash covers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputEntry {
    /// The name as written in the config.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The digest of its bytes.
    pub digest: String,
}

/// The finished journal, as the manifest of a finished folder vouches
/// for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalEntry {
    /// Its records (one per scenario of the folder).
    pub records: u64,
    /// The digest of its bytes.
    pub digest: String,
}

/// The manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout tag.
    pub format: String,
    /// Version of the program that wrote it.
    pub version: String,
    /// Its build (version and the digest of the executable).
    pub build: String,
    /// Hash of the plan: the config's content, the seeds, the bytes of
    /// every file it names and the build.
    pub config_hash: String,
    /// The files the config names.
    #[serde(default)]
    pub inputs: Vec<InputEntry>,
    /// Scenarios in the whole run.
    pub scenarios: u64,
    /// Grid points.
    pub points: u64,
    /// Seeds per point.
    pub seeds: u32,
    /// Base seed.
    pub seed: u64,
    /// `I/N` for a shard; absent for a whole run (or a merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Columns of `scenarios.csv`.
    pub columns: Vec<String>,
    /// The grid's axes.
    pub axes: Vec<AxisEntry>,
    /// The markets, in config order.
    #[serde(default)]
    pub markets: Vec<MarketEntry>,
    /// The config's opening comment: the question the run asks.
    #[serde(default)]
    pub about: String,
    /// The finished journal; absent while the run is unfinished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<JournalEntry>,
}

impl Manifest {
    /// The manifest of `plan` run as `shard`.
    pub fn new(plan: &Plan, shard: Shard) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build: plan.build.clone(),
            config_hash: plan.config_hash.clone(),
            inputs: plan
                .inputs
                .iter()
                .map(|i| InputEntry {
                    file: i.name.clone(),
                    bytes: i.bytes,
                    digest: i.digest.clone(),
                })
                .collect(),
            scenarios: plan.scenario_count(),
            points: plan.point_count,
            seeds: plan.seeds,
            seed: plan.base_seed,
            shard: (!shard.is_whole()).then(|| shard.to_string()),
            columns: scenario_header(plan),
            axes: plan
                .axes
                .iter()
                .map(|a| AxisEntry {
                    key: a.info.key.clone(),
                    role: match a.role {
                        AxisRole::Shock => "shock",
                        AxisRole::Mitigation => "mitigation",
                    }
                    .into(),
                    values: a.info.labels.clone(),
                })
                .collect(),
            markets: plan
                .point(0)
                .ok()
                .map(|p| {
                    p.markets
                        .iter()
                        .map(|m| MarketEntry {
                            symbol: m.inst.symbol.clone(),
                            settlement: settlement_asset(
                                &m.inst.symbol,
                                m.inst.kind == ContractKind::Inverse,
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            about: plan.about.clone(),
            journal: None,
        }
    }

    /// Whether `other` describes the same run and shard (whether or not
    /// either is finished).
    pub fn same_run(&self, other: &Manifest) -> bool {
        self.unfinished() == other.unfinished()
    }

    /// The same manifest without its journal entry.
    pub fn unfinished(&self) -> Manifest {
        Manifest {
            journal: None,
            ..self.clone()
        }
    }

    /// The shard this manifest describes (the whole run when absent).
    pub fn shard(&self) -> Result<Shard, String> {
        match &self.shard {
            None => Ok(Shard::WHOLE),
            Some(s) => s.parse(),
        }
    }

    /// The same manifest for the whole run, unfinished.
    pub fn whole(&self) -> Manifest {
        Manifest {
            shard: None,
            journal: None,
            ..self.clone()
        }
    }

    /// The JSON text (pretty, with a final newline).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s.into_bytes()
    }

    /// Reads the manifest of a results folder; `Ok(None)` when there is
    /// none.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, StressError> {
        let path = dir.join(MANIFEST);
        let bytes = match read_capped(&path, MAX_MANIFEST_BYTES) {
            Ok(t) => t,
            Err(LineError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(LineError::Io { source, .. }) => return Err(StressError::io(path, source)),
            Err(e) => return Err(StressError::input(&path, e.line(), e.to_string())),
        };
        let text = utf8(&bytes).map_err(|e| StressError::input(&path, e.line(), e.to_string()))?;
        let m: Manifest = serde_json::from_str(text).map_err(|e| {
            StressError::input(&path, Some(e.line()), format!("not a stress manifest: {e}"))
        })?;
        if m.format != FORMAT {
            return Err(StressError::input(
                &path,
                None,
                format!("format {:?}, expected {FORMAT:?}", m.format),
            ));
        }
        Ok(Some(m))
    }
}
