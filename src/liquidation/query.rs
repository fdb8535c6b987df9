//! The `query` command: an account's balance, equity, margins and
//! positions (with entry, unrealized PnL and liquidation price) as the
//! margin definitions of `spec/scenario.md` give them. The street's
//! positions are valued as the counterpart of all others, so that reported
//! PnL sums exactly across accounts.
//!
//! Must not: change anything.

use super::{Engine, EngineError};
use crate::event::{AccountReport, Event, EventSink, InstrumentIdx, PositionReport};
use crate::margin::{self, MarginMode};
use crate::types::{AccountId, Money, Price, STREET};

impl Engine {
    /// Builds the `account` event of one account.
    pub fn account_report(&self, id: AccountId) -> Result<AccountReport, EngineError> {
        let idx = self.idx(id)?;
        let acct = self.accounts.account(idx)?;
        let view = self.view();
        let orders = self.open_orders_of(id, None);
        let mut positions = Vec::new();
        let mut isolated_equity = Money::ZERO;
        for &(inst, ref p) in acct.positions() {
            if p.qty.0 == 0 {
                continue;
            }
            let spec = &self.instruments[inst as usize];
            let upnl = match self.marks.mark(inst) {
                Some(m) if id == STREET => p.cash + self.street_value(inst, m)?,
                Some(m) => margin::upnl(spec, p, m)?,
                None => Money::ZERO,
            };
            let isolated = acct.mode() == MarginMode::Isolated;
            if isolated {
                isolated_equity += p.margin + upnl;
            }
            positions.push(PositionReport {
                inst,
                qty: p.qty,
                entry: margin::entry_price(spec, p).unwrap_or(crate::types::Ratio::int(0)),
                upnl,
                liq_price: margin::liq_price(acct, inst, &view).ok().flatten(),
                margin: isolated.then_some(p.margin),
            });
        }
        let equity = match acct.mode() {
            MarginMode::Cross if id == STREET => {
                acct.balance() + positions.iter().map(|p| p.upnl).sum::<Money>()
            }
            MarginMode::Cross => margin::account_equity(acct, &view)?,
            MarginMode::Isolated => acct.balance() + isolated_equity,
        };
        Ok(AccountReport {
            account: id,
            balance: acct.balance(),
            equity,
            maint_margin: margin::maint_margin(acct, &view)?,
            initial_margin: margin::initial_margin(acct, &view, &orders)?,
            positions,
        })
    }

    /// The street's position in `inst` valued at `mark` as the counterpart
    /// of every other position: minus the sum of their values. For a linear
    /// contract that is exactly its own value; for an inverse one each value
    /// rounds on its own, and valuing the street this way keeps the sum of
    /// all reported unrealized PnL equal to the sum of the positions' cash
    /// flows, to the unit (`spec/scenario.md` 1.1, the `funds` identity).
    fn street_value(&self, inst: InstrumentIdx, mark: Price) -> Result<Money, EngineError> {
        let spec = &self.instruments[inst as usize];
        let mut total = Money::ZERO;
        for (idx, a) in self.accounts.iter() {
            if idx == 0 {
                continue;
            }
            if let Some(p) = a.position(inst) {
                total = total
                    .checked_sub(margin::checked_value(spec, p.qty, mark)?)
                    .ok_or(margin::MarginError::Overflow)?;
            }
        }
        Ok(total)
    }

    /// `query`: emits the `account` event.
    pub(super) fn query(&self, id: AccountId, sink: &mut dyn EventSink) -> Result<(), EngineError> {
        let report = self.account_report(id)?;
        self.emit(sink, Event::Account(report));
        Ok(())
    }
}
