//! Margin: accounts and positions (cross and isolated), mark prices,
//! tiered maintenance and initial margin, funding, liquidation and
//! bankruptcy prices, the trigger index and the auto-deleveraging queue.
//!
//! Owns: every account's collateral (`balance`), its positions as quantity
//! plus cash flow (so that PnL is exact), isolated margins, the mark of each
//! instrument, and the index of liquidation prices that turns a mark change
//! into the set of liquidatable accounts in O(log n + k).
//!
//! Must not: match orders, decide what to liquidate or at what price, pay
//! fees into pools, or know about insurance funds: those belong to the
//! engine (`liquidation`). Every money movement here is one amount taken
//! from one ledger and given to another, rounded once, so that
//! [`Accounts::total_money`] stays equal to what was deposited.
//!
//! How the engine drives it:
//! 1. accounts: [`Accounts::create`], [`Accounts::credit`],
//!    [`Accounts::open_position`]; then [`TriggerIndex::update`] for the
//!    account (or [`TriggerIndex::build`] once for a whole population);
//! 2. a fill: [`Accounts::apply_fill`] for each side; for an isolated
//!    position that grew, [`Accounts::fund_isolated_increase`] with the
//!    fill's `opened`; then `update` both accounts;
//! 3. a mark input: [`Marks`] `on_trade` / `on_book` / `on_index` /
//!    `force`; when it returns a new mark, [`TriggerIndex::on_mark`] gives
//!    the liquidatable margin units of that instrument (exactly checked),
//!    to be ordered by [`margin_ratio`] ([`MarginRatio::cmp_ratio`], then
//!    account id);
//! 4. funding: [`Accounts::funding`], then `update` every touched account;
//! 5. reports: [`account_equity`], [`maint_margin`], [`initial_margin`],
//!    [`upnl`], [`entry_price`], [`liq_price`], [`bankruptcy_price`];
//!    order checks: [`can_afford`], [`available_balance`]; auto-deleveraging:
//!    [`AdlRanking::queue`] (the same order as a full [`adl_queue`], in
//!    O(log n) per counterparty).
//!
//! Units: prices in ticks (`Price`), quantities in lots (`Qty`), money in
//! 10^-12 of the settlement asset (`Money`). Maintenance margin is carried
//! "wide" (money x rate, units of 10^-24) and compared exactly; floating
//! point appears only in trigger-index keys, which are always re-checked
//! with the exact integer test.

mod accounts;
mod adl;
mod adl_ranking;
mod error;
mod marks;
mod position;
mod solver;
mod trigger;
mod valuation;
mod wide;

#[cfg(test)]
mod testutil;

pub use accounts::{Account, Accounts, FillResult, FundingResult, IdHasher, MarginMode};
pub use adl::{adl_queue, AdlEntry};
pub use adl_ranking::AdlRanking;
pub use error::MarginError;
pub use marks::{MarkState, Marks};
pub use position::{entry_price, Position};
pub use solver::{bankruptcy_price, liq_bound, liq_price, LiqBound};
pub use trigger::{brute_force_liquidatable, TriggerIndex};
pub use valuation::{
    account_equity, account_liquidatable, available_balance, can_afford, checked_value,
    initial_margin, initial_margin_wide, maint_margin, maint_margin_wide, margin_ratio,
    notional_at, position_maint_wide, unit_equity_maint, unit_liquidatable, upnl, MarginRatio,
    Market, OpenOrder,
};
pub use wide::{approx_cmp, exact_order_by_keys, float_order_bits};

/// Index of an instrument in the engine's instrument table (and in
/// [`Marks`]).
pub type InstIdx = u32;

/// Dense index of an account inside [`Accounts`] (0 is the street).
pub type AccountIdx = u32;

/// 10^12: one `Money` unit times this is the "wide" unit of maintenance
/// margin (money x rate).
pub const WIDE: i128 = 1_000_000_000_000;
