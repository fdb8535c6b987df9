//! A guess at what a line is, for error messages only: when the first line
//! of a file does not parse as the format the user named, say which
//! format it looks like, so that a wrong `--format` is named as such.
//!
//! Owns: the guess and the hint text.
//! Must not: decide how anything is read: readers never switch format on
//! a guess.

/// The format a line looks like (`--format` names), if any.
pub fn guess(line: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(&line[..line.len().min(4096)]);
    let t = text.trim();
    // A capture line: `<local time> <json>`, or bare JSON.
    let json = match t.split_once(' ') {
        Some((ts, rest)) if !ts.is_empty() && ts.bytes().all(|c| c.is_ascii_digit()) => rest,
        _ => t,
    };
    if json.starts_with('{') {
        if json.contains("\"channel\"") {
            return Some("hyperliquid");
        }
        if json.contains("\"localTimestamp\"") || json.contains("\"type\":\"book_") {
            return Some("tardis");
        }
        if json.contains("\"e\":\"")
            || json.contains("\"stream\":\"")
            || json.contains("\"lastUpdateId\"")
        {
            return Some("binance");
        }
        return None;
    }
    if t.contains("timestamp") && t.contains("local_timestamp") {
        return Some("tardis");
    }
    let fields: Vec<&str> = t.split(',').collect();
    let numeric = fields.iter().all(|f| {
        let f = f.trim().trim_start_matches('-');
        !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit() || c == b'.')
    });
    if numeric && (fields.len() == 6 || fields.len().is_multiple_of(4)) {
        return Some("lobster");
    }
    None
}

/// `"; this looks like a F file (give --format F)"` when the line looks
/// like another format than `given`, else empty.
pub fn hint(line: &[u8], given: &str) -> String {
    match guess(line) {
        Some(f) if f != given => format!("; this looks like a {f} file (give --format {f})"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_recognised() {
        let cases: [(&str, Option<&str>); 7] = [
            (
                r#"1680652700423575 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker"}}"#,
                Some("binance"),
            ),
            (r#"{"e":"trade","s":"BTCUSDT"}"#, Some("binance")),
            (r#"1 {"channel":"l2Book","data":{}}"#, Some("hyperliquid")),
            (
                "exchange,symbol,timestamp,local_timestamp,id,side,price,amount",
                Some("tardis"),
            ),
            (
                r#"{"type":"book_change","symbol":"X","localTimestamp":"2020-01-01T00:00:00Z"}"#,
                Some("tardis"),
            ),
            ("34200.004241176,1,16113575,18,5853300,1", Some("lobster")),
            ("hello world", None),
        ];
        for (line, want) in cases {
            assert_eq!(guess(line.as_bytes()), want, "{line}");
        }
        assert_eq!(hint(b"34200.1,1,2,3,4,1", "lobster"), "");
        assert!(hint(b"34200.1,1,2,3,4,1", "tardis").contains("--format lobster"));
    }
}
