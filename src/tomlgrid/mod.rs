//! TOML documents whose values remember where they were written, read
//! through a serde deserializer that understands grid lists, and the value
//! checks every config built on them shares. The stress config and the
//! population files of replays are read through it.
//!
//! Owns: the spanned tree (`tree`), the grid-aware deserializer and `At<T>`
//! (`de`), the error of a checked value with its line (`error`) and the
//! common value checks (`values`).
//!
//! Must not: know any config's fields, or run anything.

pub mod de;
pub mod error;
pub mod tree;
pub mod values;

pub use de::{discover, At};
pub use error::ConfigError;
pub use tree::Doc;
