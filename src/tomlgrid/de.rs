//! A serde deserializer over the spanned TOML tree that understands grid
//! lists: wherever the target type wants one value and the document holds
//! a list, the list is a grid axis, and the deserializer takes the element
//! the current grid point chose. Where the target type is itself a list
//! (margin tiers, accounts), an axis is a list of lists.
//!
//! Owns: axis discovery (the first pass records every axis in document
//! order), resolution (later passes pick one element per axis), error
//! positions (every error carries the byte offset and the dotted key of the
//! innermost node it concerns), and `At<T>`, a value that remembers its line
//! and key for checks that serde cannot make.
//!
//! Must not: know the config's fields. Any `Deserialize` type works, as
//! long as it avoids `#[serde(flatten)]` and internally tagged enums (they
//! buffer values outside this deserializer and would lose the grid).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::tree::{Doc, Key, Node, Sp};
use crate::report::excerpt::excerpt;

/// Name of the newtype through which `At<T>` asks for its position.
const AT_MAGIC: &str = "$__cascade_stress_at";

/// An error while deserializing, with the offset and key of the node where
/// it arose (the innermost one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the document.
    pub offset: Option<usize>,
    /// Dotted key of the node (`market[0].book.levels`); empty at the root.
    pub key: String,
}

impl DeError {
    fn at(mut self, offset: usize, key: &str) -> DeError {
        if self.offset.is_none() {
            self.offset = Some(offset);
            self.key = key.to_string();
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and messages may quote the document: a short excerpt only.
        let message = excerpt(&self.message, 300);
        if self.key.is_empty() {
            f.write_str(&message)
        } else {
            write!(f, "{}: {message}", excerpt(&self.key, 120))
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            offset: None,
            key: String::new(),
        }
    }
}

/// A grid axis found in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisInfo {
    /// Identity of the list within one parsed document (not stable across
    /// parses; never written out).
    pub id: usize,
    /// Dotted key (`shock[0].move`), used as the column name.
    pub key: String,
    /// 1-based line of the list.
    pub line: usize,
    /// Each element as compact text, in order.
    pub labels: Vec<String>,
}

/// How the deserializer treats grid lists.
enum Mode<'c> {
    /// Record every axis, take element 0.
    Discover(RefCell<Vec<AxisInfo>>),
    /// Take the chosen element of each axis (by axis id).
    Resolve(&'c BTreeMap<usize, usize>),
}

/// Shared state of one deserialization.
struct Ctx<'c> {
    doc: &'c Doc,
    mode: Mode<'c>,
}

/// Deserializes `T` from the document taking element 0 of every grid list,
/// and returns the axes found, in document order.
pub fn discover<T: de::DeserializeOwned>(doc: &Doc) -> Result<(T, Vec<AxisInfo>), DeError> {
    let ctx = Ctx {
        doc,
        mode: Mode::Discover(RefCell::new(Vec::new())),
    };
    let value = T::deserialize(NodeDe::root(&ctx))?;
    let axes = match ctx.mode {
        Mode::Discover(found) => found.into_inner(),
        Mode::Resolve(_) => Vec::new(),
    };
    Ok((value, axes))
}

/// Deserializes `T` taking, for every axis id in `choices`, the element it
/// maps to.
pub fn resolve<T: de::DeserializeOwned>(
    doc: &Doc,
    choices: &BTreeMap<usize, usize>,
) -> Result<T, DeError> {
    let ctx = Ctx {
        doc,
        mode: Mode::Resolve(choices),
    };
    T::deserialize(NodeDe::root(&ctx))
}

/// Deserializer of one node.
struct NodeDe<'a, 'c> {
    node: &'a Sp,
    /// The node's byte offset, or its parent's where it has none.
    offset: usize,
    ctx: &'a Ctx<'c>,
    key: String,
    in_axis: bool,
}

fn join(key: &str, child: &str) -> String {
    if key.is_empty() {
        child.to_string()
    } else {
        format!("{key}.{child}")
    }
}

impl<'a, 'c> NodeDe<'a, 'c> {
    fn root(ctx: &'a Ctx<'c>) -> NodeDe<'a, 'c> {
        NodeDe {
            node: &ctx.doc.root,
            offset: ctx.doc.root.offset.unwrap_or(0),
            ctx,
            key: String::new(),
            in_axis: false,
        }
    }

    fn offset(&self) -> usize {
        self.offset
    }

    fn fail(&self, message: impl Into<String>) -> DeError {
        DeError {
            message: message.into(),
            offset: Some(self.offset()),
            key: self.key.clone(),
        }
    }

    /// The element of the grid list `items` chosen for this point.
    fn pick(&self, items: &'a [Sp]) -> Result<NodeDe<'a, 'c>, DeError> {
        if items.is_empty() {
            return Err(self.fail(
                "an empty list where one value is expected (a grid list needs at least one value)",
            ));
        }
        if self.in_axis {
            return Err(self.fail("a grid list inside another grid list's value is not supported"));
        }
        // Identity of the list: its address in the document, which stays put
        // between the passes over one `Doc` (it never reaches an output).
        let id = self.node as *const Sp as usize;
        let choice = match &self.ctx.mode {
            Mode::Discover(found) => {
                found.borrow_mut().push(AxisInfo {
                    id,
                    key: self.key.clone(),
                    line: self.ctx.doc.line(self.offset),
                    labels: items.iter().map(|i| i.get_ref().label()).collect(),
                });
                0
            }
            Mode::Resolve(choices) => match choices.get(&id) {
                Some(&c) if c < items.len() => c,
                _ => {
                    return Err(
                        self.fail("a grid list inside another grid list's value is not supported")
                    )
                }
            },
        };
        Ok(NodeDe {
            node: &items[choice],
            offset: items[choice].offset.unwrap_or(self.offset),
            ctx: self.ctx,
            key: self.key.clone(),
            in_axis: true,
        })
    }

    /// One value wanted: a list here is a grid axis.
    fn one<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (offset, key) = (self.offset(), self.key.clone());
        let r = match self.node.get_ref() {
            Node::Array(items) => return self.pick(items)?.one(visitor),
            Node::Str(s) => visitor.visit_str(s),
            Node::Int(i) => visitor.visit_i64(*i),
            Node::Float(f) => visitor.visit_f64(*f),
            Node::Bool(b) => visitor.visit_bool(*b),
            Node::Table(entries) => visitor.visit_map(MapDe::new(entries, &self)),
        };
        r.map_err(|e| e.at(offset, &key))
    }

    /// A list wanted: a list of lists here is a grid axis.
    fn list<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (offset, key) = (self.offset(), self.key.clone());
        match self.node.get_ref() {
            Node::Array(items)
                if !items.is_empty()
                    && items.iter().all(|i| matches!(i.get_ref(), Node::Array(_))) =>
            {
                self.pick(items)?.list(visitor)
            }
            Node::Array(items) => visitor
                .visit_seq(SeqDe {
                    items: items.iter().enumerate(),
                    parent: &self,
                })
                .map_err(|e| e.at(offset, &key)),
            _ => self.one(visitor),
        }
    }
}

/// Methods that want one value: a list given there is a grid axis.
macro_rules! one_value {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.one(visitor)
            }
        )*
    };
}

impl<'a> Deserializer<'a> for NodeDe<'a, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.get_ref() {
            Node::Array(_) => self.list(visitor),
            _ => self.one(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        // TOML has no null: a present key is always `Some`.
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.list(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.list(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.list(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == AT_MAGIC {
            let line = self.ctx.doc.line(self.offset());
            let key = self.key.clone();
            return visitor.visit_seq(AtSeq {
                line: Some(line),
                key: Some(key),
                node: Some(self),
            });
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (offset, key) = (self.offset(), self.key.clone());
        match self.node.get_ref() {
            Node::Array(items) => self
                .pick(items)?
                .deserialize_enum(_name, _variants, visitor),
            Node::Str(s) => visitor
                .visit_enum(IntoDeserializer::<DeError>::into_deserializer(s.as_str()))
                .map_err(|e| e.at(offset, &key)),
            other => Err(self.fail(format!(
                "expected a name (a string), found a {}",
                other.kind()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.one(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.one(visitor)
    }

    one_value! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.one(visitor)
    }
}

/// The entries of a table.
struct MapDe<'a, 'c, 'p> {
    entries: std::slice::Iter<'a, (Key, Sp)>,
    parent: &'p NodeDe<'a, 'c>,
    value: Option<&'a (Key, Sp)>,
}

impl<'a, 'c, 'p> MapDe<'a, 'c, 'p> {
    fn new(entries: &'a [(Key, Sp)], parent: &'p NodeDe<'a, 'c>) -> MapDe<'a, 'c, 'p> {
        MapDe {
            entries: entries.iter(),
            parent,
            value: None,
        }
    }
}

impl<'a> MapAccess<'a> for MapDe<'a, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        let key = &entry.0.name;
        let offset = entry
            .0
            .offset
            .or(entry.1.offset)
            .unwrap_or(self.parent.offset);
        let path = join(&self.parent.key, key);
        seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(key.as_str()))
            .map(Some)
            .map_err(|e| e.at(offset, &path))
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.value.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(NodeDe {
            node: &entry.1,
            offset: entry
                .1
                .offset
                .or(entry.0.offset)
                .unwrap_or(self.parent.offset),
            ctx: self.parent.ctx,
            key: join(&self.parent.key, &entry.0.name),
            in_axis: self.parent.in_axis,
        })
    }
}

/// The elements of a (natural, not grid) list.
struct SeqDe<'a, 'c, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Sp>>,
    parent: &'p NodeDe<'a, 'c>,
}

impl<'a> SeqAccess<'a> for SeqDe<'a, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(NodeDe {
            node,
            offset: node.offset.unwrap_or(self.parent.offset),
            ctx: self.parent.ctx,
            key: format!("{}[{i}]", self.parent.key),
            in_axis: self.parent.in_axis,
        })
        .map(Some)
    }
}

/// What `At<T>` reads: its line, its key, then the value.
struct AtSeq<'a, 'c> {
    line: Option<usize>,
    key: Option<String>,
    node: Option<NodeDe<'a, 'c>>,
}

impl<'a> SeqAccess<'a> for AtSeq<'a, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if let Some(line) = self.line.take() {
            return seed
                .deserialize(IntoDeserializer::<DeError>::into_deserializer(line as u64))
                .map(Some);
        }
        if let Some(key) = self.key.take() {
            return seed
                .deserialize(IntoDeserializer::<DeError>::into_deserializer(key))
                .map(Some);
        }
        match self.node.take() {
            Some(node) => seed.deserialize(node).map(Some),
            None => Ok(None),
        }
    }
}

/// A config value that remembers where it was written: its 1-based line
/// (0 when it took its default) and its dotted key. For checks that serde
/// cannot make (ranges that depend on other fields, references between
/// sections), so that their errors name the key and the line too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// 1-based line; 0 when the value is a default.
    pub line: usize,
    /// Dotted key.
    pub key: String,
}

impl<T> At<T> {
    /// A value at a position (defaults, tests).
    pub fn new(value: T, line: usize, key: impl Into<String>) -> At<T> {
        At {
            value,
            line,
            key: key.into(),
        }
    }
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for At<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<At<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = At<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<At<T>, A::Error> {
                let missing = || de::Error::custom("internal: position data missing");
                let line: u64 = seq.next_element()?.ok_or_else(missing)?;
                let key: String = seq.next_element()?.ok_or_else(missing)?;
                let value: T = seq.next_element()?.ok_or_else(missing)?;
                Ok(At {
                    value,
                    line: line as usize,
                    key,
                })
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<At<T>, D::Error> {
                // Another deserializer: the value without a position.
                Ok(At {
                    value: T::deserialize(d)?,
                    line: 0,
                    key: String::new(),
                })
            }
        }
        d.deserialize_newtype_struct(AT_MAGIC, V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        x: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Top {
        a: At<String>,
        #[serde(default)]
        b: Option<u32>,
        inner: Vec<Inner>,
        #[serde(default)]
        mode: Option<Mode2>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode2 {
        Full,
        Partial,
    }

    fn doc(s: &str) -> Doc {
        Doc::parse(s).unwrap()
    }

    #[test]
    fn scalars_given_as_lists_are_axes() {
        let d = doc("a = [\"p\", \"q\"]\nb = [1, 2, 3]\n[[inner]]\nx = 4\ntags = [\"t\"]\n");
        let (top, axes): (Top, _) = discover(&d).unwrap();
        assert_eq!(top.a.value, "p");
        assert_eq!(top.a.line, 1);
        assert_eq!(top.a.key, "a");
        assert_eq!(top.inner[0].tags, ["t"], "a natural list stays a list");
        let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(axes[1].labels, ["1", "2", "3"]);
        let choices = BTreeMap::from([(axes[0].id, 1), (axes[1].id, 2)]);
        let top: Top = resolve(&d, &choices).unwrap();
        assert_eq!((top.a.value.as_str(), top.b), ("q", Some(3)));
    }

    #[test]
    fn lists_of_lists_and_lists_of_tables_are_axes() {
        let d = doc(
            "a = \"p\"\nmode = [\"full\", \"partial\"]\ninner = [[{x = 1}], [{x = 2}, {x = 3}]]\n",
        );
        let (top, axes): (Top, _) = discover(&d).unwrap();
        assert_eq!(top.inner.len(), 1);
        assert_eq!(axes.len(), 2);
        assert_eq!(axes[1].labels, ["[{x=1}]", "[{x=2}, {x=3}]"]);
        let choices = BTreeMap::from([(axes[0].id, 1), (axes[1].id, 1)]);
        let top: Top = resolve(&d, &choices).unwrap();
        assert_eq!(top.mode, Some(Mode2::Partial));
        assert_eq!(top.inner.len(), 2);
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let d = doc("a = \"p\"\n[[inner]]\nx = 1\n[[inner]]\nx = \"ten\"\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert_eq!(e.key, "inner[1].x");
        assert_eq!(d.line(e.offset.unwrap()), 5);
        assert!(e.message.contains("invalid type"), "{e}");

        let d = doc("a = \"p\"\ninner = []\nbogus = 1\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert_eq!(e.key, "bogus");
        assert_eq!(d.line(e.offset.unwrap()), 3);
        assert!(e.message.contains("unknown field"), "{e}");

        let d = doc("a = \"p\"\n\n[[inner]]\ntags = []\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert!(e.message.contains("missing field `x`"), "{e}");
        assert_eq!(e.key, "inner[0]");

        let d = doc("a = \"p\"\ninner = []\nmode = \"half\"\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert_eq!(e.key, "mode");
        assert!(e.message.contains("unknown variant"), "{e}");
    }

    #[test]
    fn nested_and_empty_grid_lists_are_refused() {
        let d = doc("a = \"p\"\ninner = [[{x = [1, 2]}], [{x = 3}]]\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert!(e.message.contains("inside another grid list"), "{e}");
        let d = doc("a = []\ninner = []\n");
        let e = discover::<Top>(&d).unwrap_err();
        assert!(e.message.contains("empty list"), "{e}");
    }
}
