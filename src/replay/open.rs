//! The entry point: picks the reader for a format and each file, merges
//! the files into one stream, and optionally counts crossed books.
//!
//! Owns: `open`, `open_file`, `open_bytes` and `ReplayStream`.
//! Must not: parse rows itself.

use super::binance::BinanceParser;
use super::cross_check::CrossChecked;
use super::hyperliquid::HyperliquidParser;
use super::input::{read_first_line, LineSource};
use super::lobster::{
    is_message_line, parse_book_row, parse_message, seed_book, BookRow, MessageParser,
};
use super::merge::Merged;
use super::options::{Format, ReplayOptions};
use super::reader::{EventSource, LineReader, RowPolicy};
use super::stats::ReplayStats;
use super::tardis::TardisParser;
use super::{MarketEvent, ReplayError};
use std::path::{Path, PathBuf};

/// A source with the file name it reads.
type Named = (String, Box<dyn EventSource>);

fn policy(o: &ReplayOptions) -> RowPolicy {
    RowPolicy {
        skip_bad_rows: o.skip_bad_rows,
    }
}

fn reader_for(
    format: Format,
    src: LineSource,
    opts: &ReplayOptions,
    prelude: Vec<MarketEvent>,
) -> Box<dyn EventSource> {
    let p = policy(opts);
    match format {
        Format::Tardis => {
            let name = src.name().to_string();
            Box::new(LineReader::new(
                src,
                TardisParser::new(&name, opts.tardis_kind),
                p,
            ))
        }
        Format::Binance => Box::new(LineReader::new(
            src,
            BinanceParser::new(opts.max_buffered_diffs),
            p,
        )),
        Format::Hyperliquid => Box::new(LineReader::new(src, HyperliquidParser::new(), p)),
        Format::Lobster => Box::new(LineReader::with_prelude(
            src,
            MessageParser::new(opts.lobster_day_start_ns),
            p,
            prelude,
        )),
    }
}

/// Opens one file as an event source (no merge, no crossed-book count).
/// For LOBSTER this is a message file read without seeding.
pub fn open_file(
    format: Format,
    path: &Path,
    opts: &ReplayOptions,
) -> Result<Box<dyn EventSource>, ReplayError> {
    Ok(reader_for(
        format,
        LineSource::open(path)?,
        opts,
        Vec::new(),
    ))
}

/// Reads a buffer in memory (plain or gzip) as one file called `name`.
pub fn open_bytes(
    format: Format,
    name: &str,
    bytes: Vec<u8>,
    opts: &ReplayOptions,
) -> Result<Box<dyn EventSource>, ReplayError> {
    Ok(reader_for(
        format,
        LineSource::from_bytes(name, bytes)?,
        opts,
        Vec::new(),
    ))
}

/// The merged event stream of several files, with their counters.
pub struct ReplayStream {
    inner: CrossChecked<Merged>,
    check: bool,
}

impl std::fmt::Debug for ReplayStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayStream").finish_non_exhaustive()
    }
}

impl ReplayStream {
    /// Counters of the whole stream (all files, plus crossed books).
    pub fn stats(&self) -> ReplayStats {
        self.inner.stats()
    }

    /// Counters of each file, in the order the paths were given.
    pub fn per_file(&self) -> Vec<(String, ReplayStats)> {
        self.inner.inner().per_source()
    }
}

impl EventSource for ReplayStream {
    #[inline]
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        if self.check {
            self.inner.next_event()
        } else {
            self.inner.inner_mut().next_event()
        }
    }
    /// Counters of the whole stream (all files, plus crossed books).
    fn stats(&self) -> ReplayStats {
        self.inner.stats()
    }
    fn line_no(&self) -> u64 {
        self.inner.line_no()
    }
    fn origin(&self) -> Option<(std::sync::Arc<str>, u64)> {
        self.inner.origin()
    }
}

impl Iterator for ReplayStream {
    type Item = Result<MarketEvent, ReplayError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

/// LOBSTER: splits the paths into message files and at most one
/// orderbook file (told apart by their first line), and seeds the book
/// from the orderbook's first row when one is given.
fn lobster_sources(paths: &[PathBuf], opts: &ReplayOptions) -> Result<Vec<Named>, ReplayError> {
    let mut messages = Vec::new();
    let mut orderbook = None;
    for p in paths {
        let (name, first) = read_first_line(p)?;
        match first {
            Some(l) if !is_message_line(&l) => {
                if orderbook.replace((name, l)).is_some() {
                    return Err(ReplayError::file(
                        &p.display().to_string(),
                        "more than one LOBSTER orderbook file given",
                    ));
                }
            }
            first => messages.push((p.clone(), first)),
        }
    }
    if orderbook.is_some() && messages.len() != 1 {
        return Err(ReplayError::file(
            &paths
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            "an orderbook file needs exactly one message file",
        ));
    }
    let mut out = Vec::new();
    for (p, first) in messages {
        let mut prelude = Vec::new();
        if let (Some((ob_name, ob_line)), Some(msg_line)) = (&orderbook, &first) {
            let mut row = BookRow::default();
            parse_book_row(ob_line, &mut row).map_err(|e| ReplayError::new(ob_name, 1, e))?;
            let msg = parse_message(msg_line).map_err(|e| {
                ReplayError::new(&std::sync::Arc::from(p.display().to_string()), 1, e)
            })?;
            let ts = msg.time_ns.saturating_add(opts.lobster_day_start_ns);
            prelude = seed_book(&row, &msg).events(ts);
        }
        let src = LineSource::open(&p)?;
        out.push((
            p.display().to_string(),
            reader_for(Format::Lobster, src, opts, prelude),
        ));
    }
    Ok(out)
}

/// Opens `paths` as `format` and merges them into one stream, by time,
/// ties in the order the paths are given. Tardis files are told apart by
/// their header; LOBSTER paths may include the orderbook file, which then
/// seeds the book the messages start from.
pub fn open<P: AsRef<Path>>(
    format: Format,
    paths: &[P],
    opts: &ReplayOptions,
) -> Result<ReplayStream, ReplayError> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
    if paths.is_empty() {
        return Err(ReplayError::file("(none)", "no input files given"));
    }
    let sources = if format == Format::Lobster {
        lobster_sources(&paths, opts)?
    } else {
        paths
            .iter()
            .map(|p| Ok((p.display().to_string(), open_file(format, p, opts)?)))
            .collect::<Result<Vec<_>, ReplayError>>()?
    };
    Ok(ReplayStream {
        inner: CrossChecked::new(Merged::new(sources)),
        check: opts.check_crossed,
    })
}
