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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use eventlog::Checkpoint;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    use super::*;

    fn logged(aggregate_type: &str, position: i64, payload: serde_json::Value) -> LoggedEvent {
        LoggedEvent {
            checkpoint: Checkpoint { transaction_id: 1, position },
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: format!("a{position}"),
            sequence: 1,
            event_type: "Happened".to_owned(),
            event_version: "1".to_owned(),
            payload,
            metadata: serde_json::json!({}),
            recorded_at: Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap(),
        }
    }

    /// Counts of `projector_unknown_events_total` by aggregate type, after `planning` ran.
    fn unknown_counts(planning: impl FnOnce()) -> BTreeMap<String, u64> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, planning);
        let counted = snapshotter.snapshot().into_vec().into_iter().filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(count) = value else { return None };
            let labels: Vec<_> = key.key().labels().map(|label| label.value().to_owned()).collect();
            Some((labels.first()?.clone(), count))
        });
        counted.collect()
    }

    #[test]
    fn events_of_an_unknown_aggregate_type_are_counted_by_type_and_passed_over() {
        let batch = [
            logged("stranger", 1, serde_json::json!({ "Happened": {} })),
            logged("alien", 2, serde_json::json!({ "Happened": {} })),
            logged("stranger", 3, serde_json::json!({ "Happened": {} })),
        ];
        let mut planned = None;
        let counts = unknown_counts(|| planned = Some(plan(&batch, &mut GameBook::new(), Utc::now())));
        assert_eq!(planned.unwrap().unwrap(), vec![]);
        assert_eq!(counts, BTreeMap::from([("alien".to_owned(), 1), ("stranger".to_owned(), 2)]));
    }

    #[test]
    fn an_unreadable_event_of_a_known_type_stops_the_plan() {
        let batch = [logged("score", 1, serde_json::json!({ "Unheard": {} }))];
        assert!(plan(&batch, &mut GameBook::new(), Utc::now()).is_err());
    }
}
