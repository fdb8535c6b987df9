//! A parsed TOML document as a tree of nodes that remember where they were
//! written, so that every later error (a grid list in the wrong place, a
//! wrong type, an impossible value) can name its line.
//!
//! Owns: parsing the text (with the `toml` crate) into `Node`s with byte
//! spans, in document order, and turning a byte offset into a line number.
//!
//! Must not: interpret keys. The grid-aware deserializer (`de.rs`) and the
//! typed config (`config.rs`) give the nodes their meaning.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// The key toml uses internally to smuggle a datetime through serde (a
/// datetime then fails to parse as a spanned key: that is how we see one).
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// One TOML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float (stress configs refuse them: decimals are strings).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An array.
    Array(Vec<Spanned<Node>>),
    /// A table, keys in document order.
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    /// A short name of the node's type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "string",
            Node::Int(_) => "integer",
            Node::Float(_) => "float",
            Node::Bool(_) => "boolean",
            Node::Array(_) => "array",
            Node::Table(_) => "table",
        }
    }

    /// The value as compact text, for column values and labels: strings
    /// without quotes, tables as `{k=v, ...}`, arrays as `[a, b]`.
    pub fn label(&self) -> String {
        let mut s = String::new();
        self.write_label(&mut s);
        s
    }

    fn write_label(&self, out: &mut String) {
        match self {
            Node::Str(s) => out.push_str(s),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::Float(f) => out.push_str(&f.to_string()),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.get_ref().write_label(out);
                }
                out.push(']');
            }
            Node::Table(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k.get_ref());
                    out.push('=');
                    v.get_ref().write_label(out);
                }
                out.push('}');
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
                i64::try_from(v)
                    .map(Node::Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries: Vec<(Spanned<String>, Spanned<Node>)> = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Table(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// A parsed document: its root table and a line index of its text.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The root table.
    pub root: Spanned<Node>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

/// A TOML syntax error, with the line where the parser stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// What the parser said (its own position text removed).
    pub message: String,
}

impl Doc {
    /// Parses a whole document.
    pub fn parse(text: &str) -> Result<Doc, SyntaxError> {
        let line_starts = line_starts(text);
        match toml::from_str::<Spanned<Node>>(text) {
            Ok(root) => Ok(Doc { root, line_starts }),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| line_of(&line_starts, s.start))
                    .unwrap_or(1);
                let message = if e.message().contains(TOML_DATETIME_KEY) {
                    "dates and times are not used in stress configs".to_string()
                } else {
                    e.message().trim().to_string()
                };
                Err(SyntaxError { line, message })
            }
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        line_of(&self.line_starts, offset)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    // `starts[0] == 0`, so the partition point is at least 1.
    starts.partition_point(|&s| s <= offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_document_order_and_lines() {
        let doc = Doc::parse("b = 1\na = \"x\"\n\n[t]\nz = [1, 2]\n").unwrap();
        let Node::Table(entries) = doc.root.get_ref() else {
            panic!("root is a table")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(keys, ["b", "a", "t"]);
        assert_eq!(doc.line(entries[1].0.span().start), 2);
        let Node::Table(inner) = entries[2].1.get_ref() else {
            panic!("t is a table")
        };
        assert_eq!(doc.line(inner[0].1.span().start), 5);
        assert_eq!(inner[0].1.get_ref().label(), "[1, 2]");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = Doc::parse("a = 1\nb = = 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.message.is_empty());
    }

    #[test]
    fn datetimes_are_refused_with_their_line() {
        let e = Doc::parse("a = 1\nd = 1979-05-27T07:32:00Z\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("dates"), "{}", e.message);
    }
}
