//! The progress bar of a replay on a terminal: bytes of the input read
//! (compressed bytes, as on disk) of their total, with the rate and an
//! estimate of the time left; a spinner with the bytes read when the
//! total is unknown (standard input). Nothing at all when stderr is not a
//! terminal or the run is quiet.
//!
//! Owns: the bar's look and when it draws.
//! Must not: slow the replay: it is updated every few thousand events
//! and draws on its own timer.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing.
#[derive(Debug)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar titled `what` over `total` bytes (a spinner when unknown);
    /// nothing when `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool, what: &str, total: Option<u64>) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = match total {
            Some(_) => "{prefix} [{bar:30}] {bytes}/{total_bytes}  {bytes_per_sec}  ETA {eta}",
            None => "{prefix} {spinner} {bytes} read  {bytes_per_sec}  {elapsed}",
        };
        let style = ProgressStyle::with_template(template)
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// `bytes` of the input read so far.
    #[inline]
    pub fn set(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_position(bytes);
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
