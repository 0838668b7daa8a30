//! The projector's edge to the read model: the log's rows as the plans' entries, and the events the plans
//! pass over reported.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use eventlog::LoggedEvent;
use read_model::{GameBook, LogEntry, Op, PlanError, UnknownEvent, plan_batch};

/// Plans a batch of the log's rows at `now`. Events of an aggregate type this projector does not know
/// are logged and counted (`projector_unknown_events_total`), and the rest of the batch is applied.
pub(crate) fn plan(
    batch: &[LoggedEvent],
    games: &mut GameBook,
    now: DateTime<Utc>,
) -> Result<Vec<Op>, PlanError> {
    let entries: Vec<LogEntry<'_>> = batch.iter().map(log_entry).collect();
    let plan = plan_batch(&entries, games, now)?;
    report_unknown(plan.unknown);
    Ok(plan.ops)
}

/// A row of the log as the read model reads it, borrowing the row's text and JSON.
fn log_entry(event: &LoggedEvent) -> LogEntry<'_> {
    LogEntry {
        aggregate_type: Cow::Borrowed(&event.aggregate_type),
        aggregate_id: Cow::Borrowed(&event.aggregate_id),
        sequence: event.sequence,
        event_type: Cow::Borrowed(&event.event_type),
        payload: Cow::Borrowed(&event.payload),
        metadata: Cow::Borrowed(&event.metadata),
        recorded_at: event.recorded_at,
    }
}

/// One warning per unknown aggregate type in a batch (a backlog of them would flood the log otherwise),
/// naming the first such event, and every one counted.
fn report_unknown(unknown: Vec<UnknownEvent>) {
    let mut by_type: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for event in unknown {
        by_type.entry(event.aggregate_type).or_insert((0, event.event_id)).0 += 1;
    }
    for (aggregate_type, (count, first)) in by_type {
        tracing::warn!(
            aggregate_type,
            count,
            first_event = first,
            "events of an unknown aggregate type are not projected"
        );
        metrics::counter!("projector_unknown_events_total", "aggregate_type" => aggregate_type)
            .increment(count);
    }
}
