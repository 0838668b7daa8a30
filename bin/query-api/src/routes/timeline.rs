//! Pages of sorted sets whose members are ids scored by time: newest first, with a cursor that holds
//! the last entry's score and id, so entries that share a millisecond page correctly too.

use fred::prelude::*;
use fred::types::sorted_sets::{ZRange, ZRangeBound, ZRangeKind, ZSort};
use http_kit::ApiError;

use crate::AppState;
use crate::state::redis_failed;

/// An entry of a time-scored index.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The time it is scored by.
    pub score: i64,
    /// The id.
    pub id: String,
}

impl Entry {
    /// Whether it comes after `other` newest first: an older score, or the same score and a smaller id
    /// (Redis orders equal scores by member).
    fn follows(&self, other: &Entry) -> bool {
        self.score < other.score || (self.score == other.score && self.id < other.id)
    }

    /// The cursor that continues after this entry: `<time>:<id>`. Any text of that shape (the
    /// pattern the document states) is a place in the index.
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.score, self.id)
    }

    /// The entry a cursor continues after.
    pub fn from_cursor(cursor: &str) -> Result<Self, String> {
        cursor
            .split_once(':')
            .filter(|(score, id)| {
                (1..=18).contains(&score.len())
                    && score.bytes().all(|b| b.is_ascii_digit())
                    && (1..=36).contains(&id.len())
                    && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
            })
            .and_then(|(score, id)| Some(Entry { score: score.parse().ok()?, id: id.to_owned() }))
            .ok_or_else(|| "is not a cursor this server handed out".to_owned())
    }
}

/// Up to `count` entries of index `key`, newest first, after `after`.
pub async fn newest_first(
    state: &AppState,
    key: &str,
    after: Option<&Entry>,
    count: usize,
) -> Result<Vec<Entry>, ApiError> {
    let start = match after {
        Some(entry) => ZRangeBound::Score(entry.score as f64),
        None => ZRangeBound::InfiniteScore,
    };
    let lowest = ZRange { kind: ZRangeKind::Inclusive, range: ZRangeBound::NegInfiniteScore };
    let mut entries = Vec::with_capacity(count);
    let mut offset = 0;
    loop {
        let wanted = (count - entries.len()) as i64 + 1;
        let start = ZRange { kind: ZRangeKind::Inclusive, range: start.clone() };
        let page: Vec<(String, f64)> = state
            .redis
            .zrange(key, start, lowest.clone(), Some(ZSort::ByScore), true, Some((offset, wanted)), true)
            .await
            .map_err(redis_failed)?;
        let fetched = page.len() as i64;
        offset += fetched;
        entries.extend(
            page.into_iter()
                .map(|(id, score)| Entry { score: score as i64, id })
                .filter(|entry| after.is_none_or(|after| entry.follows(after))),
        );
        if entries.len() >= count || fetched < wanted {
            entries.truncate(count);
            return Ok(entries);
        }
    }
}

/// Merges two newest-first lists into one, without repeating an id.
pub fn merge(first: Vec<Entry>, second: Vec<Entry>) -> Vec<Entry> {
    let mut all: Vec<Entry> = first.into_iter().chain(second).collect();
    all.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| b.id.cmp(&a.id)));
    all.dedup_by(|a, b| a.id == b.id);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(score: i64, id: &str) -> Entry {
        Entry { score, id: id.into() }
    }

    #[test]
    fn a_cursor_round_trips_and_a_foreign_one_is_refused() {
        let entry = entry(1_700_000_000_123, "0192-ab");
        assert_eq!(Entry::from_cursor(&entry.cursor()).unwrap(), entry);
        assert!(Entry::from_cursor("nonsense").is_err());
        assert!(Entry::from_cursor("+1:ab").is_err());
        assert!(Entry::from_cursor("1:").is_err());
    }

    #[test]
    fn merging_orders_newest_first_and_keeps_one_of_each_id() {
        let merged =
            merge(vec![entry(3, "c"), entry(1, "a")], vec![entry(3, "c"), entry(2, "b"), entry(1, "z")]);
        assert_eq!(merged, vec![entry(3, "c"), entry(2, "b"), entry(1, "z"), entry(1, "a")]);
    }

    #[test]
    fn entries_with_the_same_time_follow_one_another_by_id() {
        assert!(entry(5, "a").follows(&entry(5, "b")));
        assert!(!entry(5, "b").follows(&entry(5, "b")));
        assert!(entry(4, "z").follows(&entry(5, "a")));
    }
}
