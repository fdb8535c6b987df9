//! (margin: lands with its issue.)
