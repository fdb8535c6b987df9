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

/// The key toml uses internally to smuggle a datetime through serde.
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
    Array(Vec<Sp>),
    /// A table, keys in document order.
    Table(Vec<(Key, Sp)>),
}

/// A node and, where the document spells it out, the byte offset where
/// it starts (tables made implicitly by a dotted header have none).
#[derive(Clone, Debug, PartialEq)]
pub struct Sp {
    /// The value.
    pub node: Node,
    /// Byte offset of the value in the document.
    pub offset: Option<usize>,
}

impl<'de> Deserialize<'de> for Sp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sp, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Sp, E> {
                NodeVisitor.visit_bool(v).map(Sp::bare)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Sp, E> {
                NodeVisitor.visit_i64(v).map(Sp::bare)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Sp, E> {
                NodeVisitor.visit_u64(v).map(Sp::bare)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Sp, E> {
                NodeVisitor.visit_f64(v).map(Sp::bare)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Sp, E> {
                NodeVisitor.visit_str(v).map(Sp::bare)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Sp, A::Error> {
                NodeVisitor.visit_seq(seq).map(Sp::bare)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sp, A::Error> {
                // Either toml's span protocol (start, end, value) or, for a
                // value that has no span, the value's own table.
                let Some(first) = map.next_key::<Key>()? else {
                    return Ok(Sp::bare(Node::Table(Vec::new())));
                };
                if first.name != SPANNED_START {
                    return table_from(first, map).map(Sp::bare);
                }
                let start = map.next_value::<usize>()?;
                let mut node = None;
                while let Some(field) = map.next_key::<Key>()? {
                    if field.name == SPANNED_VALUE {
                        node = Some(map.next_value::<Node>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                let node = node.ok_or_else(|| de::Error::custom("a span without its value"))?;
                Ok(Sp {
                    node,
                    offset: Some(start),
                })
            }
        }
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, V)
    }
}

impl Sp {
    fn bare(node: Node) -> Sp {
        Sp { node, offset: None }
    }

    /// The node.
    pub fn get_ref(&self) -> &Node {
        &self.node
    }
}

/// Reads the rest of a table whose first key has been read.
fn table_from<'de, A: MapAccess<'de>>(first: Key, mut map: A) -> Result<Node, A::Error> {
    if first.name == TOML_DATETIME_KEY {
        return Err(de::Error::custom(
            "dates and times are not used in stress configs",
        ));
    }
    let mut entries = vec![(first, map.next_value::<Sp>()?)];
    while let Some(key) = map.next_key::<Key>()? {
        if key.name == TOML_DATETIME_KEY {
            return Err(de::Error::custom(
                "dates and times are not used in stress configs",
            ));
        }
        let value = map.next_value::<Sp>()?;
        entries.push((key, value));
    }
    Ok(Node::Table(entries))
}

/// A table key and, where the document spells it out, its byte offset
/// (keys of tables made implicitly by a dotted header have none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Byte offset of the key in the document.
    pub offset: Option<usize>,
}

// The names through which toml hands out spans (serde_spanned's protocol:
// a struct with these three fields); toml only exposes them by way of its
// `Spanned` type, which cannot take a key without a span.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key {
                    name: v.to_string(),
                    offset: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
                let mut offset = None;
                let mut name = None;
                while let Some(field) = map.next_key::<String>()? {
                    match field.as_str() {
                        SPANNED_START => offset = Some(map.next_value::<usize>()?),
                        SPANNED_VALUE => name = Some(map.next_value::<String>()?),
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let name = name.ok_or_else(|| de::Error::custom("a key without its text"))?;
                Ok(Key { name, offset })
            }
        }
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, V)
    }
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
                    out.push_str(&k.name);
                    out.push('=');
                    v.get_ref().write_label(out);
                }
                out.push('}');
            }
        }
    }
}

/// Builds a `Node` from whatever the toml deserializer offers.
struct NodeVisitor;

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
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
        while let Some(item) = seq.next_element::<Sp>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        match map.next_key::<Key>()? {
            None => Ok(Node::Table(Vec::new())),
            Some(first) => table_from(first, map),
        }
    }
}

/// A parsed document: its root table and a line index of its text.
#[derive(Clone, Debug)]
pub struct Doc {
    /// The root table.
    pub root: Sp,
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
        match toml::from_str::<Sp>(text) {
            Ok(root) => Ok(Doc { root, line_starts }),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| line_of(&line_starts, s.start))
                    .unwrap_or(1);
                // One line: toml may add hints on further lines.
                let message = e
                    .message()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                Err(SyntaxError { line, message })
            }
        }
    }

    /// Hands the document's content, without positions or comments, to
    /// `out` as a sequence of tokens (a tag byte, then the text of a key or
    /// a value): two documents that differ only in layout and comments
    /// give the same tokens, any other difference gives other tokens.
    pub fn tokens(&self, out: &mut dyn FnMut(&[u8])) {
        fn walk(n: &Node, out: &mut dyn FnMut(&[u8])) {
            match n {
                Node::Str(s) => {
                    out(b"s");
                    out(s.as_bytes());
                }
                Node::Int(i) => {
                    out(b"i");
                    out(i.to_string().as_bytes());
                }
                Node::Float(f) => {
                    out(b"f");
                    out(f.to_bits().to_string().as_bytes());
                }
                Node::Bool(b) => out(if *b { b"t" } else { b"b" }),
                Node::Array(items) => {
                    out(b"[");
                    for i in items {
                        walk(&i.node, out);
                    }
                    out(b"]");
                }
                Node::Table(entries) => {
                    out(b"{");
                    for (k, v) in entries {
                        out(b"k");
                        out(k.name.as_bytes());
                        walk(&v.node, out);
                    }
                    out(b"}");
                }
            }
        }
        walk(&self.root.node, out);
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
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(keys, ["b", "a", "t"]);
        assert_eq!(entries[1].0.offset.map(|o| doc.line(o)), Some(2));
        let Node::Table(inner) = entries[2].1.get_ref() else {
            panic!("t is a table")
        };
        assert_eq!(inner[0].1.offset.map(|o| doc.line(o)), Some(5));
        assert_eq!(inner[0].1.get_ref().label(), "[1, 2]");
    }

    #[test]
    fn dotted_headers_make_implicit_tables() {
        let doc = Doc::parse("[a.b]\nc = 1\n").unwrap();
        let Node::Table(entries) = doc.root.get_ref() else {
            panic!("root is a table")
        };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(entries[0].1.get_ref().label(), "{b={c=1}}");
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
