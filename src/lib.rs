//! `cascade`: an order-book-level liquidation engine.
//!
//! A limit order book matching engine ([`book`]) coupled to a margin
//! checker ([`margin`]): each fill reprices the mark, the mark puts accounts
//! under maintenance margin, their liquidation orders walk the book, and
//! every round of that feedback loop is measured ([`liquidation`]).
//! Every input is a [`command::Command`]: scenario scripts ([`script`]),
//! historical replays ([`replay`]) and stress sweeps ([`stress`]) all
//! drive the same engine; what it emits ([`event`]) flows one way into
//! sinks and reports ([`report`]).
#![warn(missing_docs)]

pub mod book;
pub mod command;
pub mod event;
pub mod instrument;
pub mod lines;
pub mod liquidation;
pub mod margin;
pub mod muldiv;
pub mod population;
pub mod replay;
pub mod report;
pub mod script;
pub mod stress;
pub mod tomlgrid;
pub mod types;
