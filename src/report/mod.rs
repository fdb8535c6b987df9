//! Report writers: atomic file output, the lock of an output folder,
//! excerpts of foreign text for errors, CSV text, the summary JSON, small
//! inline SVG charts and the HTML report of a stress run.
//!
//! Owns: how results look on disk and on screen.
//!
//! Must not: compute results (they arrive as formatted records), read a
//! clock, or depend on anything but its inputs (two calls with the same
//! records give the same bytes).

pub mod atomic;
pub mod csv;
pub mod excerpt;
pub mod headline;
pub mod html;
pub mod labels;
pub mod lock;
pub mod results;
pub mod steps;
pub mod summary;
pub mod svg;
pub mod units;
