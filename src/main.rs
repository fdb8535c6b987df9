//! The `cascade` command line (`spec/cli.md`): parses arguments and calls
//! the library, nothing more.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cascade::event::JsonLinesSink;
use cascade::liquidation::Engine;
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
    /// Run a scenario script and print its events as JSON lines.
    ///
    /// Example: cascade sim tests/golden/spec_example.jsonl
    Sim {
        /// The script (one JSON command per line; see spec/scenario.md).
        script: PathBuf,
        /// Stop at the first bad line instead of running to the end.
        #[arg(long)]
        strict: bool,
    },
    /// Run a grid of stress scenarios (shocks x populations x mitigations).
    ///
    /// Writes DIR/scenarios.csv, steps.csv, summary.json, report.html (and
    /// results.jsonl + manifest.json, which let an interrupted run resume
    /// and `merge` join shards). See docs/stress.md.
    ///
    /// Example: cascade stress examples/stress/btc_drop.toml --out btc-drop
    Stress {
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
    },
    /// Join the results folders of the shards of one stress run.
    ///
    /// The output is byte for byte what the unsharded run would have written.
    ///
    /// Example: cascade merge out-0 out-1 out-2 out-3 --out merged
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged folder.
        #[arg(long, default_value = "stress-merged")]
        out: PathBuf,
    },
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

fn sim(script: &PathBuf, strict: bool) -> Result<ExitCode, Failure> {
    let file =
        File::open(script).map_err(|e| Failure::input(format!("{}: {e}", script.display())))?;
    let mut engine = Engine::new();
    let stdout = io::stdout();
    let mut sink = JsonLinesSink::new(io::BufWriter::new(stdout.lock()));
    let outcome = run_script(BufReader::new(file), &mut engine, &mut sink, strict)
        .map_err(|e| Failure::input(format!("{}: {e}", script.display())))?;
    match sink.finish() {
        Ok(_) => {}
        // A closed pipe (`cascade sim x | head`) is not a failure of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(Failure::other(format!("writing events: {e}"))),
    }
    if outcome.errors > 0 {
        eprintln!(
            "error: {}: {} bad line(s); see the error events",
            script.display(),
            outcome.errors
        );
        return Ok(ExitCode::from(2));
    }
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
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Cmd::Sim { script, strict } => sim(script, *strict),
        Cmd::Stress {
            config,
            out,
            threads,
            shard,
            quiet,
            seed,
        } => {
            let threads = threads
                .map(|t| t as usize)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let opts = StressOptions {
                config: config.clone(),
                out: out.clone(),
                threads,
                shard: shard.unwrap_or(Shard::WHOLE),
                seed: *seed,
                quiet: *quiet,
            };
            stress::stress(&opts)
                .map(|r| {
                    if !quiet {
                        eprintln!(
                            "{} scenario(s) ({} resumed) -> {}",
                            r.scenarios,
                            r.resumed,
                            r.out.display()
                        );
                    }
                    ExitCode::SUCCESS
                })
                .map_err(|e| stress_failure(Some(config), e))
        }
        Cmd::Merge { dirs, out } => stress::merge(dirs, out)
            .map(|r| {
                eprintln!(
                    "merged {} folder(s), {} scenario(s) -> {}",
                    r.inputs,
                    r.scenarios,
                    r.out.display()
                );
                ExitCode::SUCCESS
            })
            .map_err(|e| stress_failure(None, e)),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
