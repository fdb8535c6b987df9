//! A small pull scanner for the JSON that exchanges send: walks objects
//! and arrays in place and hands out borrowed slices of strings and
//! numbers, so a message is read without allocating.
//!
//! Owns: JSON syntax (objects, arrays, strings with escapes, numbers,
//! literals) and a nesting limit so that no input can exhaust the stack.
//! Must not: know any message layout, or unescape strings: callers get the
//! raw bytes between the quotes (the fields they parse, prices, symbols,
//! event names, never contain escapes; one that did would not parse as a
//! number and be reported).

use super::error::RowError;
use super::fields::show;
use super::num::{parse_i64, parse_u64};

/// Deepest nesting accepted.
const MAX_DEPTH: u32 = 32;

/// A cursor over one JSON text.
pub(crate) struct Json<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

/// The result of a scanner step.
pub(crate) type JResult<T> = Result<T, RowError>;

impl<'a> Json<'a> {
    /// A scanner at the start of `b`.
    pub fn new(b: &'a [u8]) -> Json<'a> {
        Json { b, i: 0, depth: 0 }
    }

    fn err(&self, what: &str) -> RowError {
        let at = self.i.min(self.b.len());
        RowError::row(format!(
            "JSON: {what} at byte {at} ({:?})",
            show(&self.b[at..])
        ))
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\t' || c == b'\r' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next non-blank byte, not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    fn expect(&mut self, c: u8) -> JResult<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    /// A string's raw bytes between the quotes (escapes left as written).
    #[inline]
    pub fn string(&mut self) -> JResult<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    let s = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(s);
                }
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        Err(self.err("unterminated string"))
    }

    /// A number token's raw bytes.
    #[inline]
    pub fn number(&mut self) -> JResult<&'a [u8]> {
        self.ws();
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if c.is_ascii_digit() || c == b'-' || c == b'+' || c == b'.' || c == b'e' || c == b'E' {
                self.i += 1;
            } else {
                break;
            }
        }
        if start == self.i {
            return Err(self.err("expected a number"));
        }
        Ok(&self.b[start..self.i])
    }

    /// An integer number (no fraction or exponent) as `i64`.
    #[inline]
    pub fn int(&mut self) -> JResult<i64> {
        let n = self.number()?;
        parse_i64(n).map_err(|e| RowError::row(format!("JSON: {} ({:?})", e.as_str(), show(n))))
    }

    /// A non-negative integer as `u64`.
    pub fn uint(&mut self) -> JResult<u64> {
        let n = self.number()?;
        parse_u64(n).map_err(|e| RowError::row(format!("JSON: {} ({:?})", e.as_str(), show(n))))
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> JResult<bool> {
        self.ws();
        let rest = &self.b[self.i.min(self.b.len())..];
        if rest.starts_with(b"true") {
            self.i += 4;
            Ok(true)
        } else if rest.starts_with(b"false") {
            self.i += 5;
            Ok(false)
        } else {
            Err(self.err("expected true or false"))
        }
    }

    /// Skips any one value.
    pub fn skip(&mut self) -> JResult<()> {
        match self.peek() {
            Some(b'{') => self.object(|j, _| j.skip()),
            Some(b'[') => self.array(|j| j.skip()),
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') | Some(b'f') => self.boolean().map(|_| ()),
            Some(b'n') => {
                // `peek` returned a byte, so `self.i < self.b.len()`.
                if self.b[self.i..].starts_with(b"null") {
                    self.i += 4;
                    Ok(())
                } else {
                    Err(self.err("unknown literal"))
                }
            }
            Some(_) => self.number().map(|_| ()),
            None => Err(self.err("unexpected end")),
        }
    }

    fn enter(&mut self) -> JResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    /// Walks an object; `f` gets each key and must consume its value.
    pub fn object(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> JResult<()>) -> JResult<()> {
        self.expect(b'{')?;
        self.enter()?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            f(self, key)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    /// Walks an array; `f` must consume each element.
    pub fn array(&mut self, mut f: impl FnMut(&mut Self) -> JResult<()>) -> JResult<()> {
        self.expect(b'[')?;
        self.enter()?;
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            f(self)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    /// Checks that nothing but blanks follows.
    pub fn end(&mut self) -> JResult<()> {
        if self.peek().is_some() {
            return Err(self.err("trailing bytes after the JSON value"));
        }
        Ok(())
    }
}

/// Splits a capture line `<local_time> <json>` into its receive time (in
/// ns) and its JSON; a line that starts with `{` has no receive time. The
/// receive time's unit is told by its size: below 10^14 it is ms, below
/// 10^17 µs, else ns (for any time between 1973 and 2286).
pub(crate) fn split_capture_line(line: &[u8]) -> JResult<(Option<i64>, &[u8])> {
    if line.first() == Some(&b'{') {
        return Ok((None, line));
    }
    let sp = line.iter().position(|&c| c == b' ').ok_or_else(|| {
        RowError::row(format!(
            "expected `<local_time> <json>` or a JSON object ({:?})",
            show(line)
        ))
    })?;
    let bad = || {
        RowError::row(format!(
            "local receive time: not a timestamp ({:?})",
            show(&line[..sp])
        ))
    };
    let v = parse_u64(&line[..sp])
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(bad)?;
    let ns = if v < 100_000_000_000_000 {
        v.checked_mul(1_000_000)
    } else if v < 100_000_000_000_000_000 {
        v.checked_mul(1_000)
    } else {
        Some(v)
    }
    .ok_or_else(bad)?;
    // `sp` indexes a byte of `line`, so `sp + 1 <= line.len()`.
    Ok((Some(ns), &line[sp + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_nested_values() {
        let mut j = Json::new(br#" {"a": [1, "x\"y", {"b": null}], "c": true, "d": -12} "#);
        let mut seen = Vec::new();
        j.object(|j, k| {
            seen.push(k.to_vec());
            match k {
                b"c" => assert!(j.boolean()?),
                b"d" => assert_eq!(j.int()?, -12),
                _ => j.skip()?,
            }
            Ok(())
        })
        .unwrap();
        j.end().unwrap();
        assert_eq!(seen, vec![b"a".to_vec(), b"c".to_vec(), b"d".to_vec()]);
    }

    #[test]
    fn capture_times_in_ns_us_and_ms() {
        for (line, want) in [
            (&b"1723161255088169167 {}"[..], 1_723_161_255_088_169_167),
            (b"1680652700423575 {}", 1_680_652_700_423_575_000),
            (b"1680652700423 {}", 1_680_652_700_423_000_000),
        ] {
            assert_eq!(split_capture_line(line).unwrap(), (Some(want), &b"{}"[..]));
        }
        assert_eq!(split_capture_line(b"{}").unwrap(), (None, &b"{}"[..]));
        assert!(split_capture_line(b"abc {}").is_err());
    }

    #[test]
    fn refuses_bad_json_without_panic() {
        for s in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":}",
            "[1,",
            "\"abc",
            "{\"a\":1,}",
            "tru",
            "nul",
            &"[".repeat(100),
        ] {
            let mut j = Json::new(s.as_bytes());
            assert!(j.skip().and_then(|_| j.end()).is_err(), "{s:?}");
        }
    }
}
