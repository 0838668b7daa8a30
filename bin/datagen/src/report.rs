//! The end-of-run summary: a table for people, the same figures as JSON for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::plan::Kind;
use crate::stats::{LATE, Stats};

/// How latencies are measured, stated in every summary.
pub const LATENCY_NOTE: &str = "latency runs from each request's scheduled send time to its full answer \
    (open loop: a slow server cannot delay the schedule, so there is no coordinated omission); \
    requests that got no answer are counted, not timed";

/// The run as a whole.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The stack's base URL.
    pub url: String,
    /// The seed of the plan (give it as `--seed` to repeat the run).
    pub seed: u64,
    /// The requested rate, per second.
    pub target_rate: f64,
    /// The requested duration, in seconds.
    pub duration_seconds: f64,
    /// Seconds spent sending (shorter than the duration when interrupted).
    pub sending_seconds: f64,
    /// Requests sent per second of sending.
    pub achieved_rate: f64,
    /// Whether Ctrl-C cut the run short.
    pub interrupted: bool,
    /// How latencies are measured.
    pub latency_note: &'static str,
    /// Requests sent more than 10 ms after their scheduled time.
    pub late_sends: u64,
    /// Requests dropped because `--max-in-flight` were in flight.
    pub dropped: u64,
    /// Figures per request kind.
    pub kinds: Vec<KindSummary>,
    /// What became of the submitted scores' jobs.
    pub jobs: JobSummary,
}

/// The figures of one request kind.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindSummary {
    /// The kind.
    pub kind: Kind,
    /// Scheduled by the plan.
    pub planned: u64,
    /// Sent.
    pub sent: u64,
    /// Not sent: the in-flight cap was reached.
    pub dropped: u64,
    /// Not sent: a job poll before any job was accepted.
    pub skipped: u64,
    /// Sent late.
    pub late: u64,
    /// How the sent requests ended: status codes, `timeout`, `connection`, `error`.
    pub endings: BTreeMap<String, u64>,
    /// Latency of the answered requests, in milliseconds.
    pub latency_ms: Option<Percentiles>,
}

/// What became of the submitted scores' jobs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// Answered 202 with a job id.
    pub accepted: u64,
    /// Followed until final or the deadline.
    pub watched: u64,
    /// Not followed (every watcher busy): the watched ones are a sample.
    pub unwatched: u64,
    /// Seen `succeeded`.
    pub succeeded: u64,
    /// Seen `failed` or `cancelled`.
    pub failed: u64,
    /// Not final in time.
    pub timed_out: u64,
    /// Milliseconds from the 202 to the poll that saw `succeeded`.
    pub accepted_to_succeeded_ms: Option<Percentiles>,
}

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    /// The percentiles of a histogram of microseconds; none when it is empty.
    pub fn of(micros: &Histogram<u64>) -> Option<Self> {
        let ms = |value: u64| (value as f64 / 1000.0 * 100.0).round() / 100.0;
        (!micros.is_empty()).then(|| Percentiles {
            p50: ms(micros.value_at_quantile(0.50)),
            p90: ms(micros.value_at_quantile(0.90)),
            p99: ms(micros.value_at_quantile(0.99)),
            max: ms(micros.max()),
        })
    }
}

/// What the summary is made of besides the counts.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// The stack's base URL.
    pub url: String,
    /// The plan's seed.
    pub seed: u64,
    /// The requested rate.
    pub rate: f64,
    /// The requested duration.
    pub duration: Duration,
    /// Time spent sending.
    pub sending: Duration,
    /// Whether Ctrl-C cut the run short.
    pub interrupted: bool,
}

impl Summary {
    /// The summary of a run.
    pub fn new(facts: RunFacts, stats: &Stats) -> Self {
        let kinds: Vec<KindSummary> = Kind::ALL
            .iter()
            .filter_map(|kind| stats.kinds.get(kind).map(|counts| (kind, counts)))
            .map(|(kind, counts)| KindSummary {
                kind: *kind,
                planned: counts.planned,
                sent: counts.sent,
                dropped: counts.dropped,
                skipped: counts.skipped,
                late: counts.late,
                endings: counts.endings.clone(),
                latency_ms: Percentiles::of(&counts.latency_us),
            })
            .collect();
        let sent: u64 = kinds.iter().map(|kind| kind.sent).sum();
        let jobs = &stats.jobs;
        Summary {
            url: facts.url,
            seed: facts.seed,
            target_rate: facts.rate,
            duration_seconds: facts.duration.as_secs_f64(),
            sending_seconds: facts.sending.as_secs_f64(),
            achieved_rate: sent as f64 / facts.sending.as_secs_f64().max(f64::EPSILON),
            interrupted: facts.interrupted,
            latency_note: LATENCY_NOTE,
            late_sends: kinds.iter().map(|kind| kind.late).sum(),
            dropped: kinds.iter().map(|kind| kind.dropped).sum(),
            kinds,
            jobs: JobSummary {
                accepted: jobs.accepted,
                watched: jobs.watched,
                unwatched: jobs.unwatched,
                succeeded: jobs.succeeded,
                failed: jobs.failed,
                timed_out: jobs.timed_out,
                accepted_to_succeeded_ms: Percentiles::of(&jobs.to_succeeded_us),
            },
        }
    }

    /// Requests that got an answer, whatever its status.
    pub fn answered(&self) -> u64 {
        let answered = |kind: &KindSummary| -> u64 {
            kind.endings.iter().filter(|(label, _)| label.parse::<u16>().is_ok()).map(|(_, n)| n).sum()
        };
        self.kinds.iter().map(answered).sum()
    }

    /// Requests sent.
    pub fn sent(&self) -> u64 {
        self.kinds.iter().map(|kind| kind.sent).sum()
    }

    /// The summary as a table for people.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "datagen against {}: {} requests in {:.1} s, target {:.1}/s, achieved {:.1}/s, seed {}{}",
            self.url,
            self.sent(),
            self.sending_seconds,
            self.target_rate,
            self.achieved_rate,
            self.seed,
            if self.interrupted { " (interrupted)" } else { "" }
        );
        let _ = writeln!(out, "note: {}\n", self.latency_note);
        let _ = writeln!(
            out,
            "{:<17} {:>8} {:>8} {:>7} {:>7} {:>5} {:>8} {:>8} {:>8} {:>8}  status codes",
            "kind", "planned", "sent", "dropped", "skipped", "late", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for kind in &self.kinds {
            let latency = kind.latency_ms.map_or_else(
                || format!("{:>8} {:>8} {:>8} {:>8}", "-", "-", "-", "-"),
                |p| format!("{:>8.2} {:>8.2} {:>8.2} {:>8.2}", p.p50, p.p90, p.p99, p.max),
            );
            let endings: Vec<String> = kind.endings.iter().map(|(label, n)| format!("{label}×{n}")).collect();
            let _ = writeln!(
                out,
                "{:<17} {:>8} {:>8} {:>7} {:>7} {:>5} {latency}  {}",
                kind.kind.label(),
                kind.planned,
                kind.sent,
                kind.dropped,
                kind.skipped,
                kind.late,
                endings.join(" ")
            );
        }
        let _ = writeln!(
            out,
            "\nlate sends (> {} ms after schedule): {}   dropped at --max-in-flight: {}",
            LATE.as_millis(),
            self.late_sends,
            self.dropped
        );
        let jobs = &self.jobs;
        let _ = write!(
            out,
            "jobs: {} accepted, {} followed ({} not), {} succeeded, {} failed, {} not final in time",
            jobs.accepted, jobs.watched, jobs.unwatched, jobs.succeeded, jobs.failed, jobs.timed_out
        );
        match jobs.accepted_to_succeeded_ms {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "\n202 → succeeded: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    p.p50, p.p99, p.max
                );
            }
            None => out.push('\n'),
        }
        out
    }
}

/// Prints the table, and writes the JSON to `json` if given (`-`: standard output, the table then
/// goes to standard error so the output stays parseable).
pub fn write(summary: &Summary, json: Option<&Path>) -> anyhow::Result<()> {
    let to_stdout = json.is_some_and(|path| path.as_os_str() == "-");
    if to_stdout {
        eprint!("{}", summary.table());
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, summary).context("writing the JSON summary")?;
        writeln!(out).context("writing the JSON summary")?;
    } else {
        print!("{}", summary.table());
        if let Some(path) = json {
            let text = serde_json::to_string_pretty(summary).context("rendering the JSON summary")?;
            std::fs::write(path, text + "\n")
                .with_context(|| format!("writing the JSON summary to {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
