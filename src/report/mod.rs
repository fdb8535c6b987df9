//! (report: lands with its issue.)
