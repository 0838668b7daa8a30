//! Each kind's queue as the projector keeps it: its settings, its jobs' counts by status (every job's
//! or one owner's), when its oldest queued job became queued and how many of its runs finished in the
//! last minute. Read in one round trip, for the overview (query-api) and the worker's gauges.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fred::prelude::*;
use read_model::Keys;

/// One kind's queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueState {
    /// The kind.
    pub kind: String,
    /// Whether new runs are held back.
    pub paused: bool,
    /// The most runs at once, if capped.
    pub concurrency: Option<u32>,
    /// The most starts per second, if capped.
    pub rate_per_second: Option<f64>,
    /// How many jobs are in each status (statuses with none left out).
    pub counts: BTreeMap<String, i64>,
    /// When the kind's oldest queued job became queued (of every owner's).
    pub oldest_queued_at: Option<DateTime<Utc>>,
    /// Runs of the kind that finished (succeeded, failed, or failed to be retried) in the 60 seconds up
    /// to `now`.
    pub finished_last_minute: u64,
}

/// The queues of `kinds` in the generation under `keys`, with the counts of `owner`'s jobs (every job's
/// for `None`), at `now`.
pub async fn read_queues(
    client: &Client,
    keys: &Keys,
    kinds: &[String],
    owner: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<QueueState>, Error> {
    let pipeline = client.pipeline();
    let () = pipeline.hgetall(keys.queue_counts(owner)).await?;
    for kind in kinds {
        let () = pipeline.hmget(keys.queue_settings(kind), vec!["paused", "concurrency", "rate"]).await?;
        let () = pipeline.zrange(keys.queued_since(kind), 0, 0, None, false, None, true).await?;
        let () = pipeline.hvals(keys.finished_runs(kind)).await?;
    }
    let mut answers: std::vec::IntoIter<Value> = pipeline.all::<Vec<Value>>().await?.into_iter();
    let counts: BTreeMap<String, i64> = answers.next().map(Value::convert).transpose()?.unwrap_or_default();
    let mut queues = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let settings: Vec<Option<String>> =
            answers.next().map(Value::convert).transpose()?.unwrap_or_default();
        let oldest: Vec<(String, f64)> = answers.next().map(Value::convert).transpose()?.unwrap_or_default();
        let finished: Vec<String> = answers.next().map(Value::convert).transpose()?.unwrap_or_default();
        let setting = |at: usize| settings.get(at).cloned().flatten().filter(|text| !text.is_empty());
        let own = format!("{kind}|");
        queues.push(QueueState {
            kind: kind.clone(),
            paused: setting(0).as_deref() == Some("1"),
            concurrency: setting(1).and_then(|cap| cap.parse().ok()),
            rate_per_second: setting(2).and_then(|rate| rate.parse().ok()),
            counts: counts
                .iter()
                .filter_map(|(field, count)| Some((field.strip_prefix(&own)?.to_owned(), *count)))
                .filter(|(_, count)| *count != 0)
                .collect(),
            oldest_queued_at: oldest
                .first()
                .and_then(|(_, millis)| DateTime::from_timestamp_millis(*millis as i64)),
            finished_last_minute: finished_within_a_minute(&finished, now),
        });
    }
    Ok(queues)
}

/// The runs the slots (`second:count`) hold for the 60 seconds up to `now`.
pub fn finished_within_a_minute(slots: &[String], now: DateTime<Utc>) -> u64 {
    let second = now.timestamp();
    slots
        .iter()
        .filter_map(|slot| {
            let (at, count) = slot.split_once(':')?;
            let at: i64 = at.parse().ok()?;
            (at > second - 60 && at <= second).then(|| count.parse::<u64>().ok()).flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_slots_of_the_last_sixty_seconds_count() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let slots = ["1000:3", "941:2", "940:7", "1001:5", "garbage"].map(str::to_owned);
        assert_eq!(finished_within_a_minute(&slots, now), 5);
    }
}
