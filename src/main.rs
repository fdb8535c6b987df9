//! The `cascade` command line (`spec/cli.md`): parses arguments and calls
//! the library, nothing more.
fn main() {}
