//! The `query` command: an account's balance, equity, margins and
//! positions (with entry, unrealized PnL and liquidation price) as the
//! margin definitions of `spec/scenario.md` give them.
//!
//! Must not: change anything.

use super::{Engine, EngineError};
use crate::event::{AccountReport, Event, EventSink, PositionReport};
use crate::margin::{self, MarginMode};
use crate::types::{AccountId, Money};

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

    /// `query`: emits the `account` event.
    pub(super) fn query(&self, id: AccountId, sink: &mut dyn EventSink) -> Result<(), EngineError> {
        let report = self.account_report(id)?;
        self.emit(sink, Event::Account(report));
        Ok(())
    }
}
