//! CSV text: a header and rows of already formatted cells, quoted where a
//! cell needs it (RFC 4180), `\n` line ends.
//!
//! Must not: format values (callers hand over final text) or write files.

/// The CSV text of a header and rows.
pub fn to_csv<'a, I>(header: &[String], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = &'a [String]>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail, and every row is written whole; the
    // results are checked anyway so that nothing is silently dropped.
    let mut ok = w.write_record(header).is_ok();
    for r in rows {
        ok &= w.write_record(r).is_ok();
    }
    debug_assert!(ok, "writing CSV to memory failed");
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let h = vec!["a".to_string(), "b".to_string()];
        let rows = [vec!["1".to_string(), "{x=1, y=2}".to_string()]];
        let out = to_csv(&h, rows.iter().map(|r| r.as_slice()));
        assert_eq!(String::from_utf8(out).unwrap(), "a,b\n1,\"{x=1, y=2}\"\n");
    }
}
