//! Commands that move collateral or set up positions: `account`,
//! `deposit`, `insurance`, `position` and `funding`.
//!
//! Must not: move a mark. (`funding` may make accounts liquidatable; they
//! are queued like any other trigger and run by the step loop.)

use super::{Engine, EngineError, Trigger, Unit};
use crate::event::{Event, EventSink, RejectReason};
use crate::instrument::{MAX_PRICE_TICKS, MAX_QTY_LOTS};
use crate::margin::{self, MarginMode};
use crate::types::{AccountId, Decimal, DecimalError, Money, Price, Qty, Rate};

/// Largest amount one `account`, `deposit` or `insurance` command may move:
/// 10^14 units of the settlement asset, so that margin arithmetic (money x
/// rate) keeps far inside i128.
pub const MAX_AMOUNT: Money = Money(100_000_000_000_000_000_000_000_000);

fn money(d: Decimal, field: &str) -> Result<Money, EngineError> {
    let m = Money::from_decimal(d).map_err(|e| EngineError::Invalid(format!("{field}: {e}")))?;
    within_limit(m, field)
}

/// `m` when it is within [`MAX_AMOUNT`] either way.
fn within_limit(m: Money, field: &str) -> Result<Money, EngineError> {
    if m.abs() > MAX_AMOUNT {
        return Err(EngineError::Invalid(format!(
            "{field}: more than {MAX_AMOUNT} in one command is beyond the engine's limits"
        )));
    }
    Ok(m)
}

impl Engine {
    /// `account`: creates an account holding `deposit`.
    pub(super) fn open_account(
        &mut self,
        id: AccountId,
        deposit: Decimal,
        mode: MarginMode,
    ) -> Result<(), EngineError> {
        let amount = money(deposit, "deposit")?;
        self.create_account(id, amount, mode)?;
        Ok(())
    }

    /// Creates account `id` holding `amount` (checked as the `account`
    /// command checks it); returns its dense index.
    pub(super) fn create_account(
        &mut self,
        id: AccountId,
        amount: Money,
        mode: MarginMode,
    ) -> Result<crate::margin::AccountIdx, EngineError> {
        within_limit(amount, "deposit")?;
        if amount < Money::ZERO {
            return Err(EngineError::Invalid("deposit must not be negative".into()));
        }
        if id == crate::types::STREET {
            return Err(EngineError::Invalid(
                "account 0 is the street and always exists".into(),
            ));
        }
        if self.accounts.idx_of(id).is_some() {
            return Err(EngineError::DuplicateAccount(id));
        }
        let idx = self.accounts.create(id, amount, mode)?;
        self.funds.deposited += amount;
        Ok(idx)
    }

    /// `deposit`: adds collateral; a withdrawal must leave initial margin
    /// covered, else it is rejected.
    pub(super) fn deposit(
        &mut self,
        id: AccountId,
        amount: Decimal,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        let amount = money(amount, "amount")?;
        let idx = self.idx(id)?;
        if id == crate::types::STREET {
            return Err(EngineError::Invalid(
                "the street's collateral is unlimited".into(),
            ));
        }
        if amount < Money::ZERO {
            let orders = self.open_orders_of(id, None);
            let acct = self.accounts.account(idx)?;
            let free = margin::available_balance(acct, &self.view(), &orders)?;
            if free < -amount || acct.balance() < -amount {
                self.emit(
                    sink,
                    Event::RequestRejected {
                        cmd: "deposit",
                        account: id,
                        reason: RejectReason::InsufficientMargin,
                    },
                );
                return Ok(());
            }
        }
        self.accounts.credit(idx, amount)?;
        self.funds.deposited += amount;
        self.rekey(idx);
        Ok(())
    }

    /// `insurance`: tops up a fund from outside.
    pub(super) fn top_up_insurance(
        &mut self,
        amount: Decimal,
        symbol: Option<&str>,
    ) -> Result<(), EngineError> {
        let amount = money(amount, "amount")?;
        if amount < Money::ZERO {
            return Err(EngineError::Invalid(
                "insurance amount must not be negative".into(),
            ));
        }
        let inst = symbol.map(|s| self.market_of(s)).transpose()?;
        self.funds.top_up(inst, amount);
        Ok(())
    }

    /// `position`: gives an account a position against the street at
    /// `entry`, without a fee and without moving the mark.
    pub(super) fn give_position(
        &mut self,
        id: AccountId,
        symbol: &str,
        qty: Decimal,
        entry: Decimal,
        margin: Option<Decimal>,
    ) -> Result<(), EngineError> {
        let inst = self.market_of(symbol)?;
        let idx = self.idx(id)?;
        let spec = &self.instruments[inst as usize];
        let q = spec
            .qty(qty)
            .map_err(|e| EngineError::Invalid(format!("qty: {e}")))?;
        let entry = self.price_of(inst, entry, "entry")?;
        self.check_position_size(idx, inst, q, entry)?;
        let margin = margin.map(|m| money(m, "margin")).transpose()?;
        self.open_checked_position(idx, inst, q, entry, margin)?;
        self.rekey(idx);
        Ok(())
    }

    /// Gives account `idx` a position of `q` lots of `inst` at `entry`
    /// against the street, with the checks of the `position` command,
    /// without re-keying it (the bulk path builds the index once).
    pub(super) fn place_position(
        &mut self,
        idx: crate::margin::AccountIdx,
        inst: crate::event::InstrumentIdx,
        q: Qty,
        entry: Price,
        margin: Option<Money>,
    ) -> Result<(), EngineError> {
        if inst as usize >= self.instruments.len() {
            return Err(EngineError::Invalid(format!(
                "no instrument with index {inst}"
            )));
        }
        if q.0.unsigned_abs() > MAX_QTY_LOTS as u64 {
            return Err(EngineError::Invalid(format!(
                "qty: {}",
                DecimalError::TooLarge
            )));
        }
        if entry.0 <= 0 || entry.0 > MAX_PRICE_TICKS {
            return Err(EngineError::Invalid(format!(
                "entry: {}",
                DecimalError::TooLarge
            )));
        }
        self.check_position_size(idx, inst, q, entry)?;
        let margin = margin.map(|m| within_limit(m, "margin")).transpose()?;
        self.open_checked_position(idx, inst, q, entry, margin)
    }

    /// The `position` command's size limit: the change and the resulting
    /// position each at most `MAX_NOTIONAL` at `entry`.
    fn check_position_size(
        &self,
        idx: crate::margin::AccountIdx,
        inst: crate::event::InstrumentIdx,
        q: Qty,
        entry: Price,
    ) -> Result<(), EngineError> {
        let held = self
            .accounts
            .account(idx)?
            .position(inst)
            .map_or(Qty::ZERO, |p| p.qty);
        let after = Qty(held.0.saturating_add(q.0));
        let spec = &self.instruments[inst as usize];
        if spec.bounded_notional(q, entry).is_none()
            || spec.bounded_notional(after, entry).is_none()
        {
            return Err(EngineError::Invalid(format!(
                "qty: a position over {} of notional is beyond the engine's limits",
                crate::instrument::MAX_NOTIONAL
            )));
        }
        Ok(())
    }

    /// Opens a position whose size was checked: a negative margin is
    /// refused, then the ledger moves it.
    fn open_checked_position(
        &mut self,
        idx: crate::margin::AccountIdx,
        inst: crate::event::InstrumentIdx,
        q: Qty,
        entry: Price,
        margin: Option<Money>,
    ) -> Result<(), EngineError> {
        if let Some(m) = margin {
            if m < Money::ZERO {
                return Err(EngineError::Invalid("margin must not be negative".into()));
            }
        }
        self.accounts.open_position(
            idx,
            inst,
            &self.instruments[inst as usize],
            q,
            entry,
            margin,
        )?;
        Ok(())
    }

    /// `funding`: every position in the instrument pays (longs, for a
    /// positive rate) `rate x value at the mark` to the other side.
    pub(super) fn settle_funding(
        &mut self,
        symbol: &str,
        rate: Decimal,
    ) -> Result<(), EngineError> {
        let inst = self.market_of(symbol)?;
        let rate =
            Rate::from_decimal(rate).map_err(|e| EngineError::Invalid(format!("rate: {e}")))?;
        let Some(mark) = self.marks.mark(inst) else {
            return Err(EngineError::Invalid(format!(
                "{symbol} has no mark yet: funding is settled at the mark"
            )));
        };
        let result = self
            .accounts
            .funding(inst, &self.instruments[inst as usize], rate, mark)?;
        for idx in result.touched {
            self.rekey_quiet(idx);
            self.queue_if_liquidatable(idx, Trigger { inst, mark });
        }
        Ok(())
    }

    /// Queues every liquidatable unit of account `idx` (exact test).
    pub(super) fn queue_if_liquidatable(
        &mut self,
        idx: crate::margin::AccountIdx,
        trigger: Trigger,
    ) {
        let view = self.view();
        let Ok(acct) = self.accounts.account(idx) else {
            return;
        };
        let mut units = smallvec::SmallVec::<[Unit; 2]>::new();
        match acct.mode() {
            MarginMode::Cross => {
                if margin::account_liquidatable(acct, &view).unwrap_or(false) {
                    units.push(Unit {
                        account: idx,
                        isolated: None,
                    });
                }
            }
            MarginMode::Isolated => {
                for &(i, _) in acct.positions() {
                    if margin::unit_liquidatable(acct, i, &view).unwrap_or(false) {
                        units.push(Unit {
                            account: idx,
                            isolated: Some(i),
                        });
                    }
                }
            }
        }
        for u in units {
            self.pending_liqs.entry(u).or_insert(trigger);
        }
    }
}
