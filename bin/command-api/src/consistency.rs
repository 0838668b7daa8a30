//! Read-your-writes for synchronous creates: answer 201 only once the query side can read the new event.

use std::time::Duration;

use eventlog::Checkpoint;

use crate::state::Shared;

/// How long a create waits for the projector before answering anyway.
const READ_YOUR_WRITES: Duration = Duration::from_secs(1);

/// Waits, at most a second, until the projector's checkpoint has passed the last event of aggregate
/// `id` of type `aggregate_type`.
pub async fn wait_until_projected(state: &Shared, aggregate_type: &str, id: &str) {
    let last: Result<Option<(i64, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT transaction_id::text::bigint, position FROM events
         WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence DESC LIMIT 1",
    )
    .bind(aggregate_type)
    .bind(id)
    .fetch_optional(&state.pool)
    .await;
    let Ok(Some((transaction_id, position))) = last else { return };
    let target = Checkpoint { transaction_id, position };
    let deadline = tokio::time::Instant::now() + READ_YOUR_WRITES;
    let mut pause = Duration::from_millis(2);
    while tokio::time::Instant::now() < deadline {
        // With the pointer: the checkpoint of the generation readers read now.
        let stored = state.generation.get(&state.redis, |keys| keys.checkpoint()).await;
        if let Ok(Some(checkpoint)) = stored
            && std::str::from_utf8(&checkpoint)
                .ok()
                .and_then(|text| text.parse::<Checkpoint>().ok())
                .is_some_and(|checkpoint| checkpoint >= target)
        {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    tracing::warn!(aggregate_type, id, "the projector did not pass a new event within a second");
}
