//! Short, escaped excerpts of text that came from outside (a file's line,
//! a key, a host name) for error messages: at most a given number of
//! characters, control and invisible characters escaped, and a note of how
//! much was left out. An error never echoes a whole foreign line or a
//! gigantic key.
//!
//! Must not: be used for data outputs (it loses text by design).

/// Characters of foreign text an error quotes by default.
pub const EXCERPT_CHARS: usize = 80;

/// At most `max` characters of `s`, escaped (`\n`, `\u{1b}`, ...), with
/// `... (N more bytes)` when cut.
pub fn excerpt(s: &str, max: usize) -> String {
    let (mut out, used) = escaped_head(s, max);
    if used < s.len() {
        out.push_str(&format!("... ({} more bytes)", s.len() - used));
    }
    out
}

/// The first `max` characters of `s`, escaped, and the bytes they took.
fn escaped_head(s: &str, max: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars().take(max) {
        if c.is_control() || c == '\u{feff}' || c == '\u{200b}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        used += c.len_utf8();
    }
    (out, used)
}

/// An excerpt of raw bytes (invalid UTF-8 shown as U+FFFD), with
/// `... (N bytes in all)` when cut.
pub fn excerpt_bytes(b: &[u8], max: usize) -> String {
    // Decode no more than the excerpt can show (4 bytes per character).
    let head = &b[..b.len().min(max.saturating_mul(4))];
    let text = String::from_utf8_lossy(head);
    let (mut out, used) = escaped_head(&text, max);
    if used < text.len() || head.len() < b.len() {
        out.push_str(&format!("... ({} bytes in all)", b.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_escapes() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdef", 3), "abc... (3 more bytes)");
        assert_eq!(excerpt("a\nb\u{1b}[2J", 10), "a\\nb\\u{1b}[2J");
        assert_eq!(excerpt("ééé", 2), "éé... (2 more bytes)");
        let huge = "k".repeat(10_000_000);
        assert!(excerpt(&huge, EXCERPT_CHARS).len() < 120);
        assert_eq!(excerpt_bytes(b"ab\xffc", 10), "ab\u{fffd}c");
        assert_eq!(
            excerpt_bytes(&[b'x'; 1000], 4),
            "xxxx... (1000 bytes in all)"
        );
    }
}
