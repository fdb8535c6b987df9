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
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
