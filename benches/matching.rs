//! Matching benchmarks (lands with issue 3).
fn main() {}
