//! The replay's event sink: what the engine reports during a replay,
//! kept for the outputs (cascade steps, liquidations, cascades) and fed to
//! the depletion overlay (fills that took street-level depth).
//!
//! Owns: the records of simulated activity, stamped with the replay clock
//! the driver sets before each engine call.
//! Must not: call the engine (it is borrowed while it emits) or format
//! anything but the `steps.csv` cells.

use super::overlay::Overlay;
use crate::event::{CascadeReport, Event, EventSink, LiquidationReport, StepReport};
use crate::instrument::Instrument;
use crate::liquidation::decode_street_level;

/// One cascade step with the time it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedStep {
    /// Replay clock, ns.
    pub ts: i64,
    /// The step event.
    pub step: StepReport,
}

/// Everything the engine reported that the outputs need.
#[derive(Debug)]
pub struct Collector {
    /// Replay clock, ns (set by the driver).
    pub now: i64,
    /// The depletion overlay, fed with fills against street levels.
    pub overlay: Overlay,
    /// Cascade steps, in order.
    pub steps: Vec<TimedStep>,
    /// Liquidations, in order, with their time.
    pub liquidations: Vec<(i64, LiquidationReport)>,
    /// Finished cascades, in order, with their end time.
    pub cascades: Vec<(i64, CascadeReport)>,
    /// Fills with a simulated (non-street) account on either side.
    pub simulated_fills: u64,
    /// Auto-deleveraging events.
    pub adl: u64,
    /// Orders refused (setup orders such as stop-losses that would trigger
    /// at once).
    pub rejected: u64,
    /// Engine error events (none unless something is misconfigured).
    pub errors: Vec<String>,
}

impl Collector {
    /// An empty collector around `overlay`.
    pub fn new(overlay: Overlay) -> Collector {
        Collector {
            now: 0,
            overlay,
            steps: Vec::new(),
            liquidations: Vec::new(),
            cascades: Vec::new(),
            simulated_fills: 0,
            adl: 0,
            rejected: 0,
            errors: Vec::new(),
        }
    }
}

impl EventSink for Collector {
    #[inline]
    fn emit(&mut self, event: &Event, _instruments: &[Instrument]) {
        match event {
            Event::Fill {
                maker,
                qty,
                maker_account,
                taker_account,
                ..
            } => {
                if let Some((_, side, price)) = decode_street_level(*maker) {
                    self.overlay.on_street_fill(side, price, *qty);
                }
                if *maker_account != 0 || *taker_account != 0 {
                    self.simulated_fills += 1;
                }
            }
            Event::Step(s) => self.steps.push(TimedStep {
                ts: self.now,
                step: s.clone(),
            }),
            Event::Liquidation(l) => self.liquidations.push((self.now, l.clone())),
            Event::Cascade(c) => self.cascades.push((self.now, c.clone())),
            Event::Adl(_) => self.adl += 1,
            Event::Rejected { .. } | Event::RequestRejected { .. } => self.rejected += 1,
            Event::Error { message, .. } => self.errors.push(message.clone()),
            _ => {}
        }
    }
}

pub use crate::report::steps::{money_text, step_cells};
