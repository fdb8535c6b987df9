//! The entry point: picks the reader for a format and each input, reads
//! every input once (standard input too), merges them into one stream,
//! and optionally counts crossed books.
//!
//! Owns: `open`, `open_inputs`, `open_file`, `open_bytes`, `ReplayStream`
//! and the pairing of LOBSTER message and orderbook files.
//! Must not: parse rows itself.

use super::binance::{BinanceParser, DepthSynced};
use super::cross_check::CrossChecked;
use super::hyperliquid::HyperliquidParser;
use super::input::{ByteCounter, LineSource};
use super::lobster::clock::{day_start_utc_ns, parse_name};
use super::lobster::{
    line_kind, parse_book_row, parse_message, seed_book, BookRow, LobsterFile, MessageParser,
    OrderbookReader,
};
use super::merge::Merged;
use super::options::{DataKind, Format, Input, ReplayOptions};
use super::reader::{EventSource, LineReader, RowPolicy};
use super::stats::ReplayStats;
use super::symbols::Symbols;
use super::tardis::TardisParser;
use super::{MarketEvent, ReplayError};
use std::path::Path;
use std::sync::Arc;

/// A source with the file name it reads.
type Named = (String, Box<dyn EventSource>);

fn policy(o: &ReplayOptions) -> RowPolicy {
    RowPolicy {
        skip_bad_rows: o.skip_bad_rows,
    }
}

/// The reader of one opened input (LOBSTER: a message file, see
/// `lobster_sources`).
fn reader_for(
    format: Format,
    src: LineSource,
    kind: Option<DataKind>,
    opts: &ReplayOptions,
    symbols: &Symbols,
) -> Result<Box<dyn EventSource>, ReplayError> {
    let p = policy(opts);
    let f = format.as_str();
    Ok(match format {
        Format::Tardis => {
            let name = src.name().to_string();
            let forced = match kind {
                Some(DataKind::Tardis(k)) => Some(k),
                _ => opts.tardis_kind,
            };
            Box::new(LineReader::new(
                src,
                TardisParser::new(&name, forced, symbols.clone()),
                p,
                f,
            ))
        }
        Format::Binance => Box::new(LineReader::new(
            src,
            BinanceParser::new(symbols.clone()),
            p,
            f,
        )),
        Format::Hyperliquid => Box::new(LineReader::new(
            src,
            HyperliquidParser::new(symbols.clone()),
            p,
            f,
        )),
        Format::Lobster => {
            let (day, symbol) = lobster_day(src.name(), opts, symbols)?;
            Box::new(LineReader::new(src, MessageParser::new(day, symbol), p, f))
        }
    })
}

/// A LOBSTER message file's day start (from its name unless the options
/// give one) and symbol.
fn lobster_day(
    name: &Arc<str>,
    opts: &ReplayOptions,
    symbols: &Symbols,
) -> Result<(i64, u32), ReplayError> {
    let n = parse_name(name);
    let ticker = n.symbol.split('.').next().unwrap_or("").to_string();
    let ticker = if ticker.is_empty() || ticker == "(stdin)" {
        "LOBSTER".to_string()
    } else {
        ticker
    };
    let symbol = symbols.intern("lobster", &ticker);
    if let Some(d) = opts.lobster_day_start_ns {
        return Ok((d, symbol));
    }
    let (y, m, d) = n.date.ok_or_else(|| {
        ReplayError::file(
            name,
            "LOBSTER times are seconds after midnight in New York and the date is only in \
             the file name, which has none: name the file as LOBSTER does \
             (TICKER_YYYY-MM-DD_..._message_N.csv)",
        )
    })?;
    let day = day_start_utc_ns(y, m, d).ok_or_else(|| {
        ReplayError::file(
            name,
            format!("{y:04}-{m:02}-{d:02}: New York time zone rules before 1987 are not known"),
        )
    })?;
    Ok((day, symbol))
}

/// Opens one file as an event source (no merge, no crossed-book count).
/// For LOBSTER this is a message file read without seeding.
pub fn open_file(
    format: Format,
    path: &Path,
    opts: &ReplayOptions,
) -> Result<Box<dyn EventSource>, ReplayError> {
    let src = reader_for(
        format,
        LineSource::open(path, None)?,
        None,
        opts,
        &Symbols::new(),
    )?;
    Ok(match format {
        Format::Binance => Box::new(DepthSynced::new(src, opts.max_buffered_diffs)),
        _ => src,
    })
}

/// The merged files, with Binance's depth synchronised after the merge.
enum Stage {
    Plain(Merged),
    Binance(Box<DepthSynced<Merged>>),
}

impl Stage {
    fn new(format: Format, merged: Merged, opts: &ReplayOptions) -> Stage {
        match format {
            Format::Binance => {
                Stage::Binance(Box::new(DepthSynced::new(merged, opts.max_buffered_diffs)))
            }
            _ => Stage::Plain(merged),
        }
    }

    fn merged(&self) -> &Merged {
        match self {
            Stage::Plain(m) => m,
            Stage::Binance(s) => s.inner(),
        }
    }
}

impl EventSource for Stage {
    #[inline]
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        match self {
            Stage::Plain(m) => m.next_event(),
            Stage::Binance(s) => s.next_event(),
        }
    }
    fn stats(&self) -> ReplayStats {
        match self {
            Stage::Plain(m) => m.stats(),
            Stage::Binance(s) => s.stats(),
        }
    }
    fn line_no(&self) -> u64 {
        match self {
            Stage::Plain(m) => m.line_no(),
            Stage::Binance(s) => s.line_no(),
        }
    }
    fn origin(&self) -> Option<(Arc<str>, u64)> {
        match self {
            Stage::Plain(m) => m.origin(),
            Stage::Binance(s) => s.origin(),
        }
    }
}

/// Reads a buffer in memory (plain or gzip) as one file called `name`.
pub fn open_bytes(
    format: Format,
    name: &str,
    bytes: Vec<u8>,
    opts: &ReplayOptions,
) -> Result<ReplayStream, ReplayError> {
    let symbols = Symbols::new();
    let src = reader_for(
        format,
        LineSource::from_bytes(name, bytes)?,
        None,
        opts,
        &symbols,
    )?;
    Ok(ReplayStream::new(
        format,
        vec![(name.to_string(), src)],
        opts,
        symbols,
        ByteCounter::default(),
        None,
    ))
}

/// The merged event stream of several files, with their counters.
pub struct ReplayStream {
    inner: CrossChecked<Stage>,
    check: bool,
    symbols: Symbols,
    bytes: ByteCounter,
    total_bytes: Option<u64>,
}

impl std::fmt::Debug for ReplayStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayStream").finish_non_exhaustive()
    }
}

impl ReplayStream {
    fn new(
        format: Format,
        sources: Vec<Named>,
        opts: &ReplayOptions,
        symbols: Symbols,
        bytes: ByteCounter,
        total_bytes: Option<u64>,
    ) -> ReplayStream {
        ReplayStream {
            inner: CrossChecked::new(Stage::new(format, Merged::new(sources), opts)),
            check: opts.check_crossed,
            symbols,
            bytes,
            total_bytes,
        }
    }

    /// Counters of the whole stream (all files, plus crossed books).
    pub fn stats(&self) -> ReplayStats {
        self.inner.stats()
    }

    /// Counters of each file, in the order the paths were given.
    pub fn per_file(&self) -> Vec<(String, ReplayStats)> {
        self.inner.inner().merged().per_source()
    }

    /// The symbols seen so far (events carry indices into it).
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// Raw (compressed) bytes read so far, and the total when every input
    /// is a file (standard input has none): the progress bar's measure.
    pub fn progress(&self) -> (u64, Option<u64>) {
        (self.bytes.get(), self.total_bytes)
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
    fn origin(&self) -> Option<(Arc<str>, u64)> {
        self.inner.origin()
    }
}

impl Iterator for ReplayStream {
    type Item = Result<MarketEvent, ReplayError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

/// An opened input.
struct Opened {
    input: Input,
    src: LineSource,
}

/// Opens every input once, counting raw bytes into `bytes`; only one may
/// be standard input.
fn open_all(inputs: &[Input], bytes: &ByteCounter) -> Result<Vec<Opened>, ReplayError> {
    if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
        return Err(ReplayError::file(
            "-",
            "standard input given more than once",
        ));
    }
    inputs
        .iter()
        .map(|i| {
            Ok(Opened {
                src: LineSource::open(&i.path, Some(bytes))?,
                input: i.clone(),
            })
        })
        .collect()
}

/// What a LOBSTER input is: its `--kind`, else its name (`_message_`,
/// `_orderbook_`), else its first row.
fn lobster_kind(o: &mut Opened) -> Result<LobsterFile, ReplayError> {
    if let Some(DataKind::Lobster(k)) = o.input.kind {
        return Ok(k);
    }
    let name = o.input.name();
    let file = name.rsplit(['/', '\\']).next().unwrap_or(&name);
    if file.contains("_message_") {
        return Ok(LobsterFile::Messages);
    }
    if file.contains("_orderbook_") {
        return Ok(LobsterFile::Orderbook);
    }
    let first = o.src.peek_line()?.unwrap_or_default();
    line_kind(&first).ok_or_else(|| {
        ReplayError::new(
            o.src.name(),
            o.src.line_no() + 1,
            format!(
                "neither a LOBSTER message row (6 numbers) nor an orderbook row (4 numbers per \
                 level): {:?}{}",
                super::fields::show(&first),
                super::sniff::hint(&first, "lobster")
            ),
        )
    })
}

/// LOBSTER inputs: the message files, and at most one orderbook file
/// (still open, its first row not yet consumed) that seeds the book the
/// messages start from.
pub(crate) struct LobsterInputs {
    /// The merged message stream (seeded when an orderbook was given).
    pub sources: Vec<Named>,
    /// The orderbook file, positioned at its first row.
    pub orderbook: Option<OrderbookReader>,
}

/// Splits LOBSTER inputs into message files and at most one orderbook
/// file, and seeds the book from the orderbook's first row.
pub(crate) fn lobster_sources(
    inputs: &[Input],
    opts: &ReplayOptions,
    symbols: &Symbols,
    bytes: &ByteCounter,
) -> Result<LobsterInputs, ReplayError> {
    let mut messages = Vec::new();
    let mut orderbook: Option<Opened> = None;
    for mut o in open_all(inputs, bytes)? {
        match lobster_kind(&mut o)? {
            LobsterFile::Messages => messages.push(o),
            LobsterFile::Orderbook => {
                if orderbook.is_some() {
                    return Err(ReplayError::file(
                        &o.input.name(),
                        "more than one LOBSTER orderbook file given",
                    ));
                }
                orderbook = Some(o);
            }
        }
    }
    if messages.is_empty() {
        return Err(ReplayError::file(
            &inputs.first().map(Input::name).unwrap_or_default(),
            "no LOBSTER message file given (only an orderbook file)",
        ));
    }
    if orderbook.is_some() && messages.len() != 1 {
        return Err(ReplayError::file(
            &messages[1].input.name(),
            "an orderbook file needs exactly one message file",
        ));
    }
    let mut book_first = None;
    if let Some(ob) = &mut orderbook {
        let line = ob.src.peek_line()?;
        book_first = Some((Arc::clone(ob.src.name()), ob.src.line_no() + 1, line));
    }
    let mut sources = Vec::new();
    for mut m in messages {
        let first = m.src.peek_line()?;
        let name = Arc::clone(m.src.name());
        let at = m.src.line_no() + 1;
        let mut prelude = Vec::new();
        if let (Some((ob_name, ob_at, Some(ob_line))), Some(msg_line)) = (&book_first, &first) {
            let mut row = BookRow::default();
            parse_book_row(ob_line, &mut row).map_err(|e| ReplayError::new(ob_name, *ob_at, e))?;
            let msg = parse_message(msg_line).map_err(|e| ReplayError::new(&name, at, e))?;
            let (day, symbol) = lobster_day(&name, opts, symbols)?;
            let ts = msg.time_ns.saturating_add(day);
            prelude = seed_book(&row, &msg)
                .events(ts)
                .into_iter()
                .map(|e| e.with_symbol(symbol))
                .collect();
        }
        let (day, symbol) = lobster_day(&name, opts, symbols)?;
        let reader = LineReader::new(
            m.src,
            MessageParser::new(day, symbol),
            policy(opts),
            Format::Lobster.as_str(),
        )
        .with_prelude(prelude);
        sources.push((m.input.name(), Box::new(reader) as Box<dyn EventSource>));
    }
    Ok(LobsterInputs {
        sources,
        orderbook: orderbook.map(|o| OrderbookReader::from_source(o.src)),
    })
}

/// A LOBSTER message file and its orderbook file, for `--verify`: the
/// seeded message stream and the orderbook rows from the first, each file
/// read once.
pub(crate) fn open_lobster_pair(
    messages: &Path,
    orderbook: &Path,
    opts: &ReplayOptions,
) -> Result<(ReplayStream, OrderbookReader), ReplayError> {
    let inputs = [
        Input::of_kind(messages, DataKind::Lobster(LobsterFile::Messages)),
        Input::of_kind(orderbook, DataKind::Lobster(LobsterFile::Orderbook)),
    ];
    let symbols = Symbols::new();
    let bytes = ByteCounter::default();
    let l = lobster_sources(&inputs, opts, &symbols, &bytes)?;
    let book = l
        .orderbook
        .ok_or_else(|| ReplayError::file(&inputs[1].name(), "not an orderbook file"))?;
    let total = total_size(&inputs);
    Ok((
        ReplayStream::new(Format::Lobster, l.sources, opts, symbols, bytes, total),
        book,
    ))
}

/// Sum of the inputs' sizes, when every one is a file.
fn total_size(inputs: &[Input]) -> Option<u64> {
    inputs
        .iter()
        .map(|i| {
            if i.is_stdin() {
                None
            } else {
                std::fs::metadata(&i.path).ok().map(|m| m.len())
            }
        })
        .sum()
}

/// Opens `inputs` as `format`, each read once, and merges them into one
/// stream, by time, ties in the order given. Tardis files are told apart
/// by their header (or their `kind`); LOBSTER inputs may include the
/// orderbook file, which then seeds the book the messages start from.
pub fn open_inputs(
    format: Format,
    inputs: &[Input],
    opts: &ReplayOptions,
) -> Result<ReplayStream, ReplayError> {
    if inputs.is_empty() {
        return Err(ReplayError::file("(none)", "no input files given"));
    }
    if let Some(i) = inputs
        .iter()
        .find(|i| i.kind.is_some_and(|k| k.format() != format))
    {
        return Err(ReplayError::file(
            &i.name(),
            format!(
                "--kind {} is not a kind of {format} file",
                i.kind.map(|k| k.to_string()).unwrap_or_default()
            ),
        ));
    }
    let symbols = Symbols::new();
    let bytes = ByteCounter::default();
    let total = total_size(inputs);
    let sources = if format == Format::Lobster {
        lobster_sources(inputs, opts, &symbols, &bytes)?.sources
    } else {
        open_all(inputs, &bytes)?
            .into_iter()
            .map(|o| {
                let name = o.input.name();
                Ok((
                    name,
                    reader_for(format, o.src, o.input.kind, opts, &symbols)?,
                ))
            })
            .collect::<Result<Vec<_>, ReplayError>>()?
    };
    Ok(ReplayStream::new(
        format, sources, opts, symbols, bytes, total,
    ))
}

/// Opens `paths` as `format` (see [`open_inputs`]; `-` is standard
/// input).
pub fn open<P: AsRef<Path>>(
    format: Format,
    paths: &[P],
    opts: &ReplayOptions,
) -> Result<ReplayStream, ReplayError> {
    let inputs: Vec<Input> = paths.iter().map(Input::new).collect();
    open_inputs(format, &inputs, opts)
}
