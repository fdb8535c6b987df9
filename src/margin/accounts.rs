//! Account storage and every money movement between an account's ledgers.
//!
//! Owns: the dense table of accounts (a `Vec`, looked up by id through a
//! hash map that is never iterated), each account's balance, mode and net
//! positions; fills, isolated-margin transfers, deposits and funding. Every
//! movement is one amount taken from one ledger (balance, a position's cash
//! flow, an isolated margin, the street) and given to another, rounded
//! once, so `total_money` only changes by what callers deposit or take out.
//!
//! Must not: value positions at marks (that is `valuation`), decide who is
//! liquidated, or keep any order state. Account 0, the street, is created
//! with the table: unlimited collateral, never margin-checked, but its
//! balance and positions are tracked so that everything sums exactly.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use smallvec::SmallVec;

use crate::instrument::Instrument;
use crate::muldiv::{mul_div, Rounding};
use crate::types::{AccountId, Money, Price, Qty, Rate, STREET};

use super::position::Position;
use super::trigger::Keys;
use super::valuation::{checked_value, notional_at};
use super::{AccountIdx, InstIdx, MarginError, WIDE};

/// Cross (one collateral pool for every position) or isolated (each
/// position holds its own margin). Serde: `cross`, `isolated`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MarginMode {
    /// All positions share the balance.
    #[default]
    Cross,
    /// Each position is margined by its own `margin`.
    Isolated,
}

/// One account: collateral, mode, and at most one net position per
/// instrument (kept in fill order of first opening; a closed position is
/// removed). It also carries the trigger index's keys for it, so that
/// re-keying an account touches the memory the account is already in.
#[derive(Clone, Debug)]
pub struct Account {
    balance: Money,
    id: AccountId,
    mode: MarginMode,
    /// Changes so far, wrapping: see [`Account::rev`].
    rev: u32,
    positions: SmallVec<[(InstIdx, Position); 1]>,
    /// The trigger index's keys (owned by `trigger`; never part of the
    /// account's state, so writing them changes no `rev`).
    pub(super) keys: Keys,
}

impl Account {
    fn new(id: AccountId, balance: Money, mode: MarginMode) -> Account {
        Account {
            balance,
            id,
            mode,
            rev: 0,
            positions: SmallVec::new(),
            keys: Keys::default(),
        }
    }

    /// A counter that every change to the account's balance or positions
    /// moves on (wrapping at 2^32): two reads with the same `rev` saw the
    /// same account. Derived rankings (the ADL queue) use it to tell a
    /// stale entry from a current one.
    #[inline]
    pub fn rev(&self) -> u32 {
        self.rev
    }

    /// The account's id.
    #[inline]
    pub fn id(&self) -> AccountId {
        self.id
    }

    /// Collateral: deposits + realized PnL + fees and funding.
    #[inline]
    pub fn balance(&self) -> Money {
        self.balance
    }

    /// Cross or isolated.
    #[inline]
    pub fn mode(&self) -> MarginMode {
        self.mode
    }

    /// The open positions as (instrument, position); none is flat.
    #[inline]
    pub fn positions(&self) -> &[(InstIdx, Position)] {
        &self.positions
    }

    /// The position in `inst`, if open.
    #[inline]
    pub fn position(&self, inst: InstIdx) -> Option<&Position> {
        self.positions
            .iter()
            .find(|(i, _)| *i == inst)
            .map(|(_, p)| p)
    }

    fn slot(&mut self, inst: InstIdx) -> Option<&mut Position> {
        self.positions
            .iter_mut()
            .find(|(i, _)| *i == inst)
            .map(|(_, p)| p)
    }

    /// Money held by this account in all its ledgers: balance, isolated
    /// margins and position cash flows.
    pub fn money(&self) -> Option<Money> {
        let mut t = self.balance;
        for (_, p) in &self.positions {
            t = t.checked_add(p.cash)?.checked_add(p.margin)?;
        }
        Some(t)
    }
}

/// What a fill did to one account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillResult {
    /// Realized PnL of the closed part: moved from the position's cash
    /// flow to the balance (cross) or to the position's margin (isolated).
    pub realized: Money,
    /// Isolated margin released to the balance by the closed part.
    pub released: Money,
    /// What an isolated position closed with a negative margin left unpaid
    /// (positive): it left the account with the position, so the caller
    /// must take it from outside (the insurance fund: bad debt).
    pub shortfall: Money,
    /// Lots closed (unsigned).
    pub closed: Qty,
    /// Lots opened or added (unsigned); an isolated position needs
    /// [`Accounts::fund_isolated_increase`] for these.
    pub opened: Qty,
    /// The position's quantity after the fill.
    pub qty: Qty,
}

/// What a funding settlement moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FundingResult {
    /// Accounts whose balance or isolated margin changed (ascending index,
    /// the street excluded); the trigger index must re-key them.
    pub touched: Vec<AccountIdx>,
    /// Sum of what real accounts paid (negative: received).
    pub paid: Money,
    /// The street's payment, `-paid`: its own share plus the rounding
    /// residual, so the total over all accounts is exactly zero.
    pub street: Money,
}

/// Hasher for account ids: a fixed 64-bit mixer (no random state; the map
/// is only looked up, never iterated, so no order reaches an output).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        let mut z = n ^ self.0.rotate_left(29);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// All accounts, dense. Index 0 is the street.
#[derive(Clone, Debug)]
pub struct Accounts {
    accounts: Vec<Account>,
    by_id: HashMap<AccountId, AccountIdx, BuildHasherDefault<IdHasher>>,
    /// While `Some`, the index of every account that changes is appended
    /// (duplicates included): the log the ADL ranking catches up from.
    changes: Option<Vec<AccountIdx>>,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts::new()
    }
}

impl Accounts {
    /// A table holding only the street (index 0, balance 0, cross).
    pub fn new() -> Accounts {
        Accounts::with_capacity(1)
    }

    /// Like `new`, with room for `n` accounts.
    pub fn with_capacity(n: usize) -> Accounts {
        let mut by_id = HashMap::with_capacity_and_hasher(n, Default::default());
        by_id.insert(STREET, 0);
        let mut accounts = Vec::with_capacity(n.max(1));
        accounts.push(Account::new(STREET, Money::ZERO, MarginMode::Cross));
        Accounts {
            accounts,
            by_id,
            changes: None,
        }
    }

    /// Makes room for `additional` more accounts (the table and the id
    /// map), so that adding a population grows neither.
    pub fn reserve(&mut self, additional: usize) {
        self.accounts.reserve(additional);
        self.by_id.reserve(additional);
    }

    /// Starts (`true`) or stops logging which accounts change; stopping
    /// drops the log.
    pub(super) fn log_changes(&mut self, on: bool) {
        match (on, self.changes.is_some()) {
            (true, false) => self.changes = Some(Vec::new()),
            (false, true) => self.changes = None,
            _ => {}
        }
    }

    /// The accounts changed since the last call (in order of change, with
    /// duplicates), emptying the log; empty when not logging.
    pub(super) fn take_changes(&mut self, into: &mut Vec<AccountIdx>) {
        if let Some(log) = self.changes.as_mut() {
            into.append(log);
        }
    }

    /// Number of changes in the log.
    pub(super) fn pending_changes(&self) -> usize {
        self.changes.as_ref().map_or(0, Vec::len)
    }

    /// The trigger keys of account `idx`, to be rewritten by the trigger
    /// index (not a change of the account).
    pub(super) fn keys_mut(&mut self, idx: AccountIdx) -> Option<&mut Keys> {
        self.accounts.get_mut(idx as usize).map(|a| &mut a.keys)
    }

    /// Number of accounts, the street included.
    #[inline]
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Always false (the street is always there).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Creates an account with `deposit` of collateral.
    pub fn create(
        &mut self,
        id: AccountId,
        deposit: Money,
        mode: MarginMode,
    ) -> Result<AccountIdx, MarginError> {
        if self.by_id.contains_key(&id) {
            return Err(MarginError::DuplicateAccount(id));
        }
        let idx = AccountIdx::try_from(self.accounts.len()).map_err(|_| MarginError::Overflow)?;
        self.accounts.push(Account::new(id, deposit, mode));
        self.by_id.insert(id, idx);
        Ok(idx)
    }

    /// The dense index of account `id`.
    #[inline]
    pub fn idx_of(&self, id: AccountId) -> Option<AccountIdx> {
        self.by_id.get(&id).copied()
    }

    /// The account at `idx`.
    #[inline]
    pub fn get(&self, idx: AccountIdx) -> Option<&Account> {
        self.accounts.get(idx as usize)
    }

    /// The account at `idx`, or `UnknownIndex`.
    #[inline]
    pub fn account(&self, idx: AccountIdx) -> Result<&Account, MarginError> {
        self.get(idx).ok_or(MarginError::UnknownIndex(idx))
    }

    /// The account with id `id`.
    pub fn by_id(&self, id: AccountId) -> Result<&Account, MarginError> {
        let idx = self.idx_of(id).ok_or(MarginError::UnknownAccount(id))?;
        self.account(idx)
    }

    /// Hints the CPU to load account `idx` (both cache lines) ahead of
    /// use; does nothing for an unknown index or on other architectures.
    #[inline]
    pub fn prefetch(&self, idx: AccountIdx) {
        #[cfg(target_arch = "x86_64")]
        if let Some(a) = self.accounts.get(idx as usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = a as *const Account as *const i8;
            // SAFETY: prefetch is a hint that never faults or reads into
            // the program; `p` and `p + 64` lie inside (or just past) a
            // live element of `self.accounts`.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(p);
                _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64));
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = idx;
    }

    /// All accounts in index order (the street first).
    pub fn iter(&self) -> impl Iterator<Item = (AccountIdx, &Account)> {
        self.accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (i as AccountIdx, a))
    }

    /// Records a change of account `idx` (a known index): its `rev`
    /// moves on and the change is logged.
    fn touch(&mut self, idx: AccountIdx) {
        let _ = self.acct_mut(idx);
    }

    /// The account at `idx`, to be changed: its `rev` moves on and the
    /// change is logged (a failed operation that then changes nothing
    /// only costs a derived ranking one needless re-check).
    fn acct_mut(&mut self, idx: AccountIdx) -> Result<&mut Account, MarginError> {
        let a = self
            .accounts
            .get_mut(idx as usize)
            .ok_or(MarginError::UnknownIndex(idx))?;
        a.rev = a.rev.wrapping_add(1);
        if let Some(log) = self.changes.as_mut() {
            log.push(idx);
        }
        Ok(a)
    }

    /// Adds `amount` to the balance (negative: takes it out). The other
    /// side of the movement is the caller's ledger (a deposit from outside,
    /// a fee to a pool, a payout from an insurance fund); the caller checks
    /// that a withdrawal keeps initial margin (`available_balance`).
    pub fn credit(&mut self, idx: AccountIdx, amount: Money) -> Result<(), MarginError> {
        let a = self.acct_mut(idx)?;
        a.balance = a.balance.checked_add(amount).ok_or(MarginError::Overflow)?;
        Ok(())
    }

    /// Adds `amount` to an isolated position's margin (negative: takes it
    /// out), the other side being the caller's ledger (e.g. a liquidation
    /// fee paid out of the position).
    pub fn credit_isolated(
        &mut self,
        idx: AccountIdx,
        inst: InstIdx,
        amount: Money,
    ) -> Result<(), MarginError> {
        let a = self.acct_mut(idx)?;
        let id = a.id;
        if a.mode != MarginMode::Isolated {
            return Err(MarginError::NotIsolated(id, inst));
        }
        let p = a.slot(inst).ok_or(MarginError::NotIsolated(id, inst))?;
        p.margin = p.margin.checked_add(amount).ok_or(MarginError::Overflow)?;
        Ok(())
    }

    /// Moves `amount` from the balance into an isolated position's margin
    /// (negative: back out). The balance may go negative; the caller checks
    /// affordability first.
    pub fn move_to_isolated(
        &mut self,
        idx: AccountIdx,
        inst: InstIdx,
        amount: Money,
    ) -> Result<(), MarginError> {
        move_isolated(self.acct_mut(idx)?, inst, amount)
    }

    /// Applies one side of a fill: the account's position in `inst_idx`
    /// changes by `delta` lots (+ bought) at `price`. Growing (or opening):
    /// `cash += fill_cash(delta, price)`. Shrinking: the closed share of cash
    /// `round_half_away(cash * c / |qty|)` is realized together with the
    /// closing fill's cash: into the balance (cross), or into the position's
    /// margin (isolated), which then releases `round_half_away(margin * c /
    /// |qty|)` to the balance if positive (all of it on close; a negative
    /// margin on close is the `shortfall`); any remainder opens the other
    /// way (a flip). The engine calls this once for each side of a fill, so
    /// cash sums to zero across accounts.
    pub fn apply_fill(
        &mut self,
        idx: AccountIdx,
        inst_idx: InstIdx,
        inst: &Instrument,
        delta: Qty,
        price: Price,
    ) -> Result<FillResult, MarginError> {
        fill_account(self.acct_mut(idx)?, inst_idx, inst, delta, price)
    }

    /// Moves the initial margin of an isolated position's increase from the
    /// balance into the position: `round_half_away(notional(increase, price)
    /// * imr)`, with the tier of the resulting position's notional at
    /// `price`. Returns the amount moved (zero for a cross account).
    pub fn fund_isolated_increase(
        &mut self,
        idx: AccountIdx,
        inst_idx: InstIdx,
        inst: &Instrument,
        increase: Qty,
        price: Price,
    ) -> Result<Money, MarginError> {
        let a = self.account(idx)?;
        if a.mode() != MarginMode::Isolated || increase.0 == 0 {
            return Ok(Money::ZERO);
        }
        let qty = a
            .position(inst_idx)
            .map(|p| p.qty)
            .ok_or(MarginError::NotIsolated(a.id(), inst_idx))?;
        let imr = inst.tier_for(notional_at(inst, qty, price)?).imr;
        let increase = Qty(increase.0.checked_abs().ok_or(MarginError::QtyLimit)?);
        let n = notional_at(inst, increase, price)?;
        let amount = Money(
            mul_div(n.0, imr.0 as i128, WIDE, Rounding::HalfAway).ok_or(MarginError::Overflow)?,
        );
        self.move_to_isolated(idx, inst_idx, amount)?;
        Ok(amount)
    }

    /// Gives account `idx` a position of `qty` at `entry` against the
    /// street, with no fee (the `position` command), then moves `margin`
    /// from its balance into the position when given (isolated only).
    pub fn open_position(
        &mut self,
        idx: AccountIdx,
        inst_idx: InstIdx,
        inst: &Instrument,
        qty: Qty,
        entry: Price,
        margin: Option<Money>,
    ) -> Result<FillResult, MarginError> {
        if idx == 0 {
            return Err(MarginError::Street);
        }
        // Work on copies so that a failure changes nothing.
        let mut acct = self.account(idx)?.clone();
        // The street is created with the table and never removed.
        let mut street = self.accounts[0].clone();
        let neg = Qty(qty.0.checked_neg().ok_or(MarginError::QtyLimit)?);
        fill_account(&mut street, inst_idx, inst, neg, entry)?;
        let r = fill_account(&mut acct, inst_idx, inst, qty, entry)?;
        if let Some(m) = margin {
            move_isolated(&mut acct, inst_idx, m)?;
        }
        // Both indices were looked up above (the street always exists).
        self.accounts[0] = street;
        self.accounts[idx as usize] = acct;
        self.touch(0);
        self.touch(idx);
        Ok(r)
    }

    /// Settles one funding payment in `inst_idx` at `mark`: every real
    /// position pays `round_half_away(rate * exposure)` where exposure is
    /// `sign(qty) * notional` (linear: `value`; inverse: `-value`), so longs
    /// pay shorts when `rate > 0`. Cross positions pay from the balance,
    /// isolated ones from their margin. The street pays minus the sum of
    /// all others (its own share plus the rounding residual): the total is
    /// exactly zero.
    pub fn funding(
        &mut self,
        inst_idx: InstIdx,
        inst: &Instrument,
        rate: Rate,
        mark: Price,
    ) -> Result<FundingResult, MarginError> {
        // Pass 1: compute every payment (checked), changing nothing.
        let mut pays: Vec<(AccountIdx, Money)> = Vec::new();
        let mut total = Money::ZERO;
        for (k, a) in self.accounts.iter().enumerate().skip(1) {
            let Some(p) = a.position(inst_idx) else {
                continue;
            };
            let mut exposure = checked_value(inst, p.qty, mark)?;
            if inst.is_inverse() {
                exposure = -exposure;
            }
            let pay = Money(
                mul_div(exposure.0, rate.0 as i128, WIDE, Rounding::HalfAway)
                    .ok_or(MarginError::Overflow)?,
            );
            if pay.0 == 0 {
                continue;
            }
            let from = if a.mode == MarginMode::Isolated {
                p.margin
            } else {
                a.balance
            };
            from.checked_sub(pay).ok_or(MarginError::Overflow)?;
            total = total.checked_add(pay).ok_or(MarginError::Overflow)?;
            pays.push((k as AccountIdx, pay));
        }
        // The street is created with the table and never removed.
        let street_bal = self.accounts[0]
            .balance
            .checked_add(total)
            .ok_or(MarginError::Overflow)?;
        // Pass 2: move it.
        for &(k, pay) in &pays {
            // `k` came from enumerating `self.accounts` in pass 1.
            let a = self.acct_mut(k)?;
            if a.mode == MarginMode::Isolated {
                if let Some(p) = a.slot(inst_idx) {
                    p.margin -= pay;
                }
            } else {
                a.balance -= pay;
            }
        }
        self.acct_mut(0)?.balance = street_bal;
        Ok(FundingResult {
            touched: pays.into_iter().map(|(k, _)| k).collect(),
            paid: total,
            street: -total,
        })
    }

    /// Sum over all accounts (the street included) of balance, isolated
    /// margins and position cash flows. With the engine's insurance funds
    /// and fee pool it equals everything ever deposited.
    pub fn total_money(&self) -> Result<Money, MarginError> {
        let mut t = Money::ZERO;
        for a in &self.accounts {
            let m = a.money().ok_or(MarginError::Overflow)?;
            t = t.checked_add(m).ok_or(MarginError::Overflow)?;
        }
        Ok(t)
    }

    /// Sum of quantities over all accounts in `inst` (always zero: account
    /// 0 is the counterparty of `position`).
    pub fn net_qty(&self, inst: InstIdx) -> i128 {
        self.accounts
            .iter()
            .filter_map(|a| a.position(inst))
            .map(|p| p.qty.0 as i128)
            .sum()
    }

    /// Heap bytes held by the table (accounts vector capacity, spilled
    /// position and trigger-key vectors and the id map's buckets,
    /// estimated from sizes).
    pub fn heap_bytes(&self) -> usize {
        let vec = self.accounts.capacity() * std::mem::size_of::<Account>();
        let spilled: usize = self
            .accounts
            .iter()
            .map(|a| {
                let positions = if a.positions.spilled() {
                    a.positions.capacity() * std::mem::size_of::<(InstIdx, Position)>()
                } else {
                    0
                };
                positions + a.keys.heap_bytes()
            })
            .sum();
        // hashbrown: one bucket of (key, value) and one control byte per
        // slot, slots a power of two at least 8/7 of the capacity.
        let slots = (self.by_id.capacity() * 8 / 7).next_power_of_two();
        let map = slots * (std::mem::size_of::<(AccountId, AccountIdx)>() + 1);
        vec + spilled + map
    }
}

/// Moves `amount` from an account's balance into its isolated position in
/// `inst`; changes nothing on error.
fn move_isolated(a: &mut Account, inst: InstIdx, amount: Money) -> Result<(), MarginError> {
    let id = a.id;
    if a.mode != MarginMode::Isolated {
        return Err(MarginError::NotIsolated(id, inst));
    }
    let bal = a.balance.checked_sub(amount).ok_or(MarginError::Overflow)?;
    let p = a.slot(inst).ok_or(MarginError::NotIsolated(id, inst))?;
    p.margin = p.margin.checked_add(amount).ok_or(MarginError::Overflow)?;
    a.balance = bal;
    Ok(())
}

/// One side of a fill on one account; changes nothing on error.
fn fill_account(
    a: &mut Account,
    inst_idx: InstIdx,
    inst: &Instrument,
    delta: Qty,
    price: Price,
) -> Result<FillResult, MarginError> {
    let cur = a.position(inst_idx).copied().unwrap_or_default();
    let m = cur.fill(inst, delta, price, a.mode == MarginMode::Isolated)?;
    let bal = a
        .balance
        .checked_add(m.to_balance)
        .ok_or(MarginError::Overflow)?;
    a.balance = bal;
    match a.positions.iter().position(|(i, _)| *i == inst_idx) {
        Some(k) if m.after.qty.0 == 0 => {
            // A flat position has zero cash and margin (the whole share was
            // realized or released); `fill` guarantees it.
            debug_assert!(m.after.cash.is_zero() && m.after.margin.is_zero());
            a.positions.remove(k);
        }
        Some(k) => a.positions[k].1 = m.after,
        None if m.after.qty.0 != 0 => a.positions.push((inst_idx, m.after)),
        None => {}
    }
    Ok(FillResult {
        realized: m.realized,
        released: m.released,
        shortfall: m.shortfall,
        closed: m.closed,
        opened: m.opened,
        qty: m.after.qty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::InstrumentSpec;

    fn btc() -> Instrument {
        let spec: InstrumentSpec = serde_json::from_str(
            r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
                "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},{"mmr":"0.005","imr":"0.01"}]}"#,
        )
        .unwrap();
        Instrument::new(&spec).unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn creates_and_looks_up() {
        let mut a = Accounts::new();
        assert_eq!(a.len(), 1);
        let i = a.create(7, m("100"), MarginMode::Cross).unwrap();
        assert_eq!(i, 1);
        assert_eq!(a.idx_of(7), Some(1));
        assert_eq!(a.by_id(7).unwrap().balance(), m("100"));
        assert_eq!(
            a.create(7, m("1"), MarginMode::Cross),
            Err(MarginError::DuplicateAccount(7))
        );
        assert_eq!(
            a.create(0, m("1"), MarginMode::Cross),
            Err(MarginError::DuplicateAccount(0))
        );
        assert!(a.by_id(8).is_err());
    }

    #[test]
    fn fills_conserve_money_and_quantity() {
        let inst = btc();
        let mut a = Accounts::new();
        let x = a.create(1, m("1000"), MarginMode::Cross).unwrap();
        let y = a.create(2, m("1000"), MarginMode::Cross).unwrap();
        let t0 = a.total_money().unwrap();
        for (q, p) in [(3000i64, 1000i64), (-1000, 1100), (-5000, 950), (2500, 990)] {
            a.apply_fill(x, 0, &inst, Qty(q), Price(p)).unwrap();
            a.apply_fill(y, 0, &inst, Qty(-q), Price(p)).unwrap();
            assert_eq!(a.total_money().unwrap(), t0);
            assert_eq!(a.net_qty(0), 0);
        }
        // x: +3 @100, -1 @110 (+10), -5 @95: close 2 (-10), open -3 @95;
        // +2.5 @99: close 2.5 of the short at 95 -> -10.
        assert_eq!(a.get(x).unwrap().balance(), m("990"));
        assert_eq!(a.get(x).unwrap().position(0).unwrap().qty, Qty(-500));
    }

    #[test]
    fn closing_removes_the_position() {
        let inst = btc();
        let mut a = Accounts::new();
        let x = a.create(1, m("1000"), MarginMode::Isolated).unwrap();
        a.open_position(x, 0, &inst, Qty(2000), Price(1000), Some(m("50")))
            .unwrap();
        assert_eq!(a.get(x).unwrap().balance(), m("950"));
        assert_eq!(a.get(x).unwrap().position(0).unwrap().margin, m("50"));
        assert_eq!(a.net_qty(0), 0);
        let r = a.apply_fill(x, 0, &inst, Qty(-2000), Price(900)).unwrap();
        // The loss of 20 is paid from the margin: 30 of it is released.
        assert_eq!(r.realized, m("-20"));
        assert_eq!(r.released, m("30"));
        assert_eq!(r.shortfall, Money::ZERO);
        assert!(a.get(x).unwrap().positions().is_empty());
        assert_eq!(a.get(x).unwrap().balance(), m("980"));
    }

    #[test]
    fn isolated_increase_is_funded_at_imr() {
        let inst = btc();
        let mut a = Accounts::new();
        let x = a.create(1, m("1000"), MarginMode::Isolated).unwrap();
        let r = a.apply_fill(x, 0, &inst, Qty(1000), Price(1000)).unwrap();
        let moved = a
            .fund_isolated_increase(x, 0, &inst, r.opened, Price(1000))
            .unwrap();
        // 1 BTC at 100 = 100 notional, tier 1 imr 0.008.
        assert_eq!(moved, m("0.8"));
        assert_eq!(a.get(x).unwrap().balance(), m("999.2"));
        assert!(a.move_to_isolated(x, 5, m("1")).is_err());
    }

    #[test]
    fn funding_of_the_largest_position_is_exact() {
        // 10^18 of notional (10^30 units) x 1% overflowed i128 before.
        let inst = btc();
        let mut a = Accounts::new();
        let x = a
            .create(1, Money(10i128.pow(30)), MarginMode::Cross)
            .unwrap();
        a.open_position(
            x,
            0,
            &inst,
            Qty(1_000_000_000_000_000),
            Price(10_000_000),
            None,
        )
        .unwrap();
        let t0 = a.total_money().unwrap();
        let r = a
            .funding(0, &inst, Rate::parse("0.01").unwrap(), Price(10_000_000))
            .unwrap();
        assert_eq!(r.paid, Money(10i128.pow(28)));
        assert_eq!(a.total_money().unwrap(), t0);
    }

    #[test]
    fn funding_sums_to_zero() {
        let inst = btc();
        let mut a = Accounts::new();
        let mut ids = vec![];
        for k in 1..=3 {
            let i = a.create(k, m("100"), MarginMode::Cross).unwrap();
            ids.push(i);
        }
        a.open_position(ids[0], 0, &inst, Qty(1), Price(1001), None)
            .unwrap();
        a.open_position(ids[1], 0, &inst, Qty(1), Price(1001), None)
            .unwrap();
        a.open_position(ids[2], 0, &inst, Qty(-3), Price(1001), None)
            .unwrap();
        let t0 = a.total_money().unwrap();
        // 0.001 BTC at 100.1 = 0.1001; rate 0.00015 -> 0.000015015 each.
        let r = a
            .funding(0, &inst, Rate::parse("0.00015").unwrap(), Price(1001))
            .unwrap();
        assert_eq!(a.total_money().unwrap(), t0);
        assert_eq!(r.touched, vec![1, 2, 3]);
        assert_eq!(a.get(1).unwrap().balance(), m("100") - Money(15_015_000));
        assert_eq!(r.paid + r.street, Money::ZERO);
    }
}
