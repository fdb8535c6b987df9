//! The progress bar over scenarios (with rate and ETA) on standard error,
//! shown only on a terminal and without `--quiet`.
//!
//! Must not: write to standard output, or anywhere when hidden; nothing it
//! shows reaches a result file.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` scenarios of which `done` are already done;
    /// hidden when `quiet` or when standard error is not a terminal.
    pub fn new(total: u64, done: u64, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() || total == 0 {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} scenarios  {per_sec}  ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_position(done);
        bar.reset_eta();
        Progress { bar: Some(bar) }
    }

    /// One more scenario done.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
