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
pub const FORMAT: &str = "cascade-stress/1";

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

/// The manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout tag.
    pub format: String,
    /// Version of the program that wrote it.
    pub version: String,
    /// Hash of the plan (config and seed).
    pub config_hash: String,
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
}

impl Manifest {
    /// The manifest of `plan` run as `shard`.
    pub fn new(plan: &Plan, shard: Shard) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_hash: plan.config_hash.clone(),
            scenarios: plan.scenario_count(),
            points: plan.points.len() as u64,
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
                .points
                .first()
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
        }
    }

    /// The shard this manifest describes (the whole run when absent).
    pub fn shard(&self) -> Result<Shard, String> {
        match &self.shard {
            None => Ok(Shard::WHOLE),
            Some(s) => s.parse(),
        }
    }

    /// The same manifest for the whole run.
    pub fn whole(&self) -> Manifest {
        Manifest {
            shard: None,
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
