//! Progress while the run lasts: a live bar on a terminal, a plain line every 2 s otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::stats::{SharedStats, Totals};

/// How often the bar is redrawn.
const BAR_TICK: Duration = Duration::from_millis(200);
/// How often a plain line is printed when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// The running display; [`Progress::finish`] stops it.
pub struct Progress {
    bar: ProgressBar,
    task: JoinHandle<()>,
}

impl Progress {
    /// Starts showing the progress of a run that began at `start` and sends for `duration`.
    pub fn start(stats: SharedStats, start: Instant, duration: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal {
            let bar = ProgressBar::new(millis(duration));
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        } else {
            ProgressBar::hidden()
        };
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(if terminal { BAR_TICK } else { LINE_EVERY });
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let line = line(&stats.lock().totals());
                if terminal {
                    shown.set_position(millis(start.elapsed().min(duration)));
                    shown.set_message(line);
                } else {
                    eprintln!("[{:>6.1}s] {line}", start.elapsed().as_secs_f64());
                }
            }
        });
        Progress { bar, task }
    }

    /// Stops the display and clears the bar.
    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// One line of totals.
fn line(totals: &Totals) -> String {
    format!(
        "sent {} · in flight {} · failed {} · late {} · dropped {} · jobs succeeded {}",
        totals.sent,
        totals.sent.saturating_sub(totals.ended),
        totals.failed,
        totals.late,
        totals.dropped,
        totals.jobs_succeeded
    )
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_what_is_still_in_flight() {
        let totals = Totals { sent: 10, ended: 7, failed: 1, late: 2, dropped: 0, jobs_succeeded: 3 };
        assert_eq!(line(&totals), "sent 10 · in flight 3 · failed 1 · late 2 · dropped 0 · jobs succeeded 3");
    }
}
