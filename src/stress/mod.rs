//! (stress: lands with its issue.)
