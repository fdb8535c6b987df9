//! The `cascade` command line (`spec/cli.md`): one function per subcommand,
//! each parsing its arguments into the library's typed request and calling
//! the library, nothing more.
//! Must not: compute, format results or touch files itself (the library
//! does all three).

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use cascade::event::JsonLinesSink;
use cascade::instrument::MarkPolicy;
use cascade::liquidation::Engine;
use cascade::replay::lobster::LobsterFile;
use cascade::replay::presets::Overrides;
use cascade::replay::run::{ReplayArgs, ResilienceChoice, RunError, SymbolChoice};
use cascade::replay::{DataKind, Format, Input};
use cascade::script::run_script;
use cascade::stress::{self, Shard, StressError, StressOptions};

/// Order-book-level liquidation engine: what does a liquidation cascade
/// cost, step by step, in a real order book?
#[derive(Parser, Debug)]
#[command(name = "cascade", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// The first thing to run: replays the bundled real sample (Binance
    /// USD-M BTCUSDT, about 80 s), runs a liquidation cascade of a bundled
    /// population through it, prints a summary and writes ./cascade-demo/.
    ///
    /// Example: cargo run --release -- demo
    Demo(DemoCmd),
    /// Replay historical market data into the book: measure every
    /// historical liquidation (and every real taker) against the book as it
    /// stood, and optionally cascade a synthetic population through it.
    ///
    /// Writes DIR/events.csv, steps.csv, summary.json, report.html. See
    /// docs/replay.md.
    ///
    /// Examples, from the repository root (../shared/data: the shared
    /// samples beside it):
    ///
    /// cargo run --release -- replay --format binance data/binance-usdm-btcusdt-20240808-head20000.gz --accounts data/demo_population.toml --out replay-out
    ///
    /// cargo run --release -- replay --format binance ../shared/data/binance-usdm/btcusdt_20230404.gz ../shared/data/binance-usdm/btcusdt_20230405.gz --measure-resilience --out replay-2023
    ///
    /// cargo run --release -- replay --format lobster --messages ../shared/data/lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv --orderbook ../shared/data/lobster/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv --verify
    Replay(Box<ReplayCmd>),
    /// Run a scenario script and print its events as JSON lines.
    ///
    /// Example, from the repository root:
    ///
    /// cargo run --release -- sim tests/golden/cascade_two_steps.jsonl
    Sim(SimCmd),
    /// Run a grid of stress scenarios (shocks x populations x mitigations).
    ///
    /// Writes DIR/scenarios.csv, steps.csv, summary.json, report.html (and
    /// results.jsonl + manifest.json, which let an interrupted run resume
    /// and `merge` join shards). See docs/stress.md.
    ///
    /// Example, from the repository root:
    ///
    /// cargo run --release -- stress examples/stress/contagion.toml --out contagion
    Stress(StressCmd),
    /// Join the results folders of the shards of one stress run.
    ///
    /// The output is byte for byte what the unsharded run would have written.
    ///
    /// Example, from the repository root: the two shards of a run, then
    /// the merge:
    ///
    /// cargo run --release -- stress examples/stress/breaker_golden.toml --shard 0/2 --out shard-0
    ///
    /// cargo run --release -- stress examples/stress/breaker_golden.toml --shard 1/2 --out shard-1
    ///
    /// cargo run --release -- merge shard-0 shard-1 --out merged
    Merge(MergeCmd),
}

/// `cascade demo`.
#[derive(Args, Debug)]
struct DemoCmd {
    /// Results folder.
    #[arg(long, default_value = "cascade-demo")]
    out: PathBuf,
    /// No progress spinner.
    #[arg(long)]
    quiet: bool,
}

/// `cascade replay`.
#[derive(Args, Debug)]
struct ReplayCmd {
    /// Input files, plain or gzip; `-` reads standard input (LOBSTER: the
    /// message file, optionally with its orderbook file).
    files: Vec<PathBuf>,
    /// tardis, binance, hyperliquid or lobster.
    #[arg(long, value_parser = parse_format)]
    format: Format,
    /// What the files after it hold, where their header, name or content
    /// does not say (Tardis: trades, liquidations, incremental_book_L2,
    /// book_snapshot, quotes, derivative_ticker; LOBSTER: messages,
    /// orderbook; auto: tell again). `linear` or `inverse` is --contract.
    #[arg(long, value_name = "KIND")]
    kind: Vec<String>,
    /// A population to margin against the replayed marks (TOML).
    #[arg(long, value_name = "POP.toml")]
    accounts: Option<PathBuf>,
    /// Results folder.
    #[arg(long, default_value = "replay-out")]
    out: PathBuf,
    /// Half-life of depleted depth: 0 (back at once), a duration such
    /// as 500ms or 2s, inf (never), or measured (fitted per side to how
    /// depth refilled after large takers in the same data).
    #[arg(long, default_value = "2s", value_parser = ResilienceChoice::parse)]
    resilience: ResilienceChoice,
    /// Measure how depth refills after large takers (half-life per side,
    /// its spread, the share not refilled) and report it in summary.json.
    #[arg(long)]
    measure_resilience: bool,
    /// Skip (and count) rows that do not parse or do not fit the tick
    /// and lot, instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    /// The symbol to replay (default: the first in the data, said on
    /// stderr; rows of others are counted in summary.json); `all` replays
    /// each into its own folder under --out. LOBSTER: the instrument.
    #[arg(long)]
    symbol: Option<String>,
    /// Price step (overrides the preset).
    #[arg(long)]
    tick: Option<String>,
    /// Quantity step (overrides the preset).
    #[arg(long)]
    lot: Option<String>,
    /// linear or inverse (overrides the preset).
    #[arg(long)]
    contract: Option<String>,
    /// Quote units per contract of an inverse instrument.
    #[arg(long)]
    contract_size: Option<String>,
    /// Mark policy: last, mid, median, index or external (default:
    /// median, or external when the data has a mark stream).
    #[arg(long, value_parser = parse_mark)]
    mark: Option<MarkPolicy>,
    /// LOBSTER message file.
    #[arg(long)]
    messages: Option<PathBuf>,
    /// LOBSTER orderbook file.
    #[arg(long)]
    orderbook: Option<PathBuf>,
    /// LOBSTER: rebuild the book from --messages and check it against
    /// every row of --orderbook; prints rows=N mismatches=M
    /// first_mismatch=ROW and exits 0 only when M is 0.
    #[arg(long)]
    verify: bool,
    /// No progress bar, no closing summary, no note of the symbol chosen.
    #[arg(long)]
    quiet: bool,
}

/// `cascade sim`.
#[derive(Args, Debug)]
struct SimCmd {
    /// The script (one JSON command per line; see docs/spec/scenario.md).
    script: PathBuf,
    /// Stop at the first bad line instead of running to the end.
    #[arg(long)]
    strict: bool,
}

/// `cascade stress`.
#[derive(Args, Debug)]
struct StressCmd {
    /// The stress config (TOML; any value may be a list: a grid axis).
    config: PathBuf,
    /// Results folder (resumed when it holds an unfinished run of the same config).
    #[arg(long, default_value = "stress-out")]
    out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    threads: Option<u32>,
    /// Run only slice I of N (scenario id modulo N == I, 0 <= I < N).
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// No progress bar and no closing line.
    #[arg(long)]
    quiet: bool,
    /// Base seed (overrides the config's `seed`).
    #[arg(long)]
    seed: Option<u64>,
}

/// `cascade merge`.
#[derive(Args, Debug)]
struct MergeCmd {
    /// The shard folders.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The merged folder.
    #[arg(long, default_value = "stress-merged")]
    out: PathBuf,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_mark(s: &str) -> Result<MarkPolicy, String> {
    match s {
        "last" => Ok(MarkPolicy::Last),
        "mid" => Ok(MarkPolicy::Mid),
        "median" => Ok(MarkPolicy::Median),
        "index" => Ok(MarkPolicy::Index),
        "external" => Ok(MarkPolicy::External),
        _ => Err(format!(
            "unknown mark policy {s:?} (last, mid, median, index, external)"
        )),
    }
}

/// A failure with its exit status (2: bad usage or input, 1: anything else).
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
    fn other(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Failure {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

/// What a subcommand returns: its exit status, or a failure to report.
type Outcome = Result<ExitCode, Failure>;

/// Prints `text` and a newline on standard output. A closed pipe
/// (`cascade demo | head -1`) is the reader's choice, not a failure: the
/// rest is dropped quietly and the command still succeeds.
fn print_out(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::other(format!("writing to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Prints `text` and a newline on standard error; a closed or failing
/// standard error loses only the message, never the run.
fn print_err(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn demo(cmd: DemoCmd) -> Outcome {
    let report = cascade::replay::demo::demo(&cmd.out, cmd.quiet)?;
    print_out(&report.text(&cmd.out))?;
    Ok(ExitCode::SUCCESS)
}

/// What `cascade replay` was asked for once its flags are checked.
enum ReplayJob {
    /// Rebuild a LOBSTER book and check it against its orderbook file.
    Verify {
        messages: PathBuf,
        orderbook: PathBuf,
        overrides: Overrides,
    },
    /// Replay files into a results folder.
    Replay(ReplayArgs),
}

/// Each file with the `--kind` given before it on the command line
/// (`linear` and `inverse` are the contract kind, not a file's).
fn file_kinds(
    files: &[PathBuf],
    kinds: &[String],
    m: Option<&ArgMatches>,
) -> Result<(Vec<Input>, Option<String>), Failure> {
    let at = |id: &str| -> Vec<usize> {
        m.and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let (file_at, kind_at) = (at("files"), at("kind"));
    let mut contract = None;
    let mut marks: Vec<(usize, Option<DataKind>)> = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let pos = kind_at.get(i).copied().unwrap_or(0);
        match k.as_str() {
            "linear" | "inverse" => contract = Some(k.clone()),
            "auto" => marks.push((pos, None)),
            other => marks.push((pos, Some(other.parse().map_err(Failure::input)?))),
        }
    }
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let pos = file_at.get(i).copied().unwrap_or(usize::MAX);
            let kind = marks
                .iter()
                .rev()
                .find(|(k, _)| *k < pos)
                .and_then(|(_, k)| *k);
            Input {
                path: f.clone(),
                kind,
            }
        })
        .collect();
    Ok((inputs, contract))
}

impl ReplayCmd {
    fn job(self, m: Option<&ArgMatches>) -> Result<ReplayJob, Failure> {
        let (mut inputs, kind_contract) = file_kinds(&self.files, &self.kind, m)?;
        let overrides = Overrides {
            contract: self.contract.or(kind_contract),
            tick: self.tick,
            lot: self.lot,
            contract_size: self.contract_size,
            mark: self.mark,
        };
        if self.verify {
            return match (self.format, self.messages, self.orderbook) {
                (Format::Lobster, Some(messages), Some(orderbook)) if self.files.is_empty() => {
                    Ok(ReplayJob::Verify {
                        messages,
                        orderbook,
                        overrides,
                    })
                }
                _ => Err(Failure::input(
                    "--verify needs --format lobster --messages M.csv --orderbook O.csv (and no other files)",
                )),
            };
        }
        let lobster = |p, k| Input::of_kind(p, DataKind::Lobster(k));
        inputs.extend(self.messages.map(|p| lobster(p, LobsterFile::Messages)));
        inputs.extend(self.orderbook.map(|p| lobster(p, LobsterFile::Orderbook)));
        if inputs.is_empty() {
            return Err(Failure::input("no input files given"));
        }
        Ok(ReplayJob::Replay(ReplayArgs {
            format: self.format,
            inputs,
            accounts: self.accounts,
            out: self.out,
            resilience: self.resilience,
            measure_resilience: self.measure_resilience,
            skip_bad_rows: self.skip_bad_rows,
            symbol: SymbolChoice::from_flag(self.symbol.as_deref()),
            overrides,
            quiet: self.quiet,
        }))
    }
}

fn replay(cmd: ReplayCmd, m: Option<&ArgMatches>) -> Outcome {
    match cmd.job(m)? {
        ReplayJob::Verify {
            messages,
            orderbook,
            overrides,
        } => {
            let report = cascade::replay::verify::verify(&messages, &orderbook, &overrides)?;
            print_out(&report.to_string())?;
            Ok(match report.mismatches {
                0 => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            })
        }
        ReplayJob::Replay(args) => {
            let report = cascade::replay::run::replay(&args)?;
            if !args.quiet {
                print_out(&report.text(&args.out))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn sim(cmd: SimCmd) -> Outcome {
    let script = &cmd.script;
    let file =
        File::open(script).map_err(|e| Failure::input(format!("{}: {e}", script.display())))?;
    let mut engine = Engine::new();
    let stdout = io::stdout();
    let mut sink = JsonLinesSink::new(io::BufWriter::new(stdout.lock()));
    let outcome = run_script(BufReader::new(file), &mut engine, &mut sink, cmd.strict)
        .map_err(|e| Failure::input(format!("{}: {e}", script.display())))?;
    match sink.finish() {
        Ok(_) => {}
        // A closed pipe (`cascade sim x | head`) is not a failure of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(Failure::other(format!("writing events: {e}"))),
    }
    if outcome.errors > 0 {
        print_err(&format!(
            "error: {}: {} bad line(s); see the error events",
            script.display(),
            outcome.errors
        ));
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

impl StressCmd {
    fn options(&self) -> StressOptions {
        let threads = self
            .threads
            .map(|t| t as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        StressOptions {
            config: self.config.clone(),
            out: self.out.clone(),
            threads,
            shard: self.shard.unwrap_or(Shard::WHOLE),
            seed: self.seed,
            quiet: self.quiet,
        }
    }
}

fn stress(cmd: StressCmd) -> Outcome {
    let opts = cmd.options();
    let report = stress::stress(&opts).map_err(|e| stress_failure(Some(&cmd.config), e))?;
    if !opts.quiet {
        print_out(&format!(
            "{} scenario(s) ({} resumed from an earlier run) -> {}\n{}",
            report.scenarios,
            report.resumed,
            report.out.display(),
            report.headline
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(cmd: MergeCmd) -> Outcome {
    let report = stress::merge(&cmd.dirs, &cmd.out).map_err(|e| stress_failure(None, e))?;
    print_out(&format!(
        "merged {} folder(s), {} scenario(s) -> {}\n{}",
        report.inputs,
        report.scenarios,
        report.out.display(),
        report.headline
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Renders a stress error as `FILE:LINE: what is wrong`, with its status.
fn stress_failure(config: Option<&PathBuf>, e: StressError) -> Failure {
    let code = if e.is_input() { 2 } else { 1 };
    let message = match &e {
        StressError::Config { line, message } => {
            let file = config.map(|c| c.display().to_string()).unwrap_or_default();
            match line {
                0 => format!("{file}: {message}"),
                l => format!("{file}:{l}: {message}"),
            }
        }
        StressError::Input {
            path,
            line: Some(l),
            message,
        } => format!("{}:{l}: {message}", path.display()),
        StressError::Input { path, message, .. } => format!("{}: {message}", path.display()),
        StressError::Io { path, source } => format!("{}: {source}", path.display()),
        StressError::Scenario { .. } => match config {
            Some(c) => format!("{}: {e}", c.display()),
            None => e.to_string(),
        },
    };
    Failure { code, message }
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Cmd::Demo(cmd) => demo(cmd),
        Cmd::Replay(cmd) => replay(*cmd, matches.subcommand_matches("replay")),
        Cmd::Sim(cmd) => sim(cmd),
        Cmd::Stress(cmd) => stress(cmd),
        Cmd::Merge(cmd) => merge(cmd),
    };
    result.unwrap_or_else(|f| {
        print_err(&format!("error: {}", f.message));
        ExitCode::from(f.code)
    })
}
