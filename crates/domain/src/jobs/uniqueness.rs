//! Unique jobs: a `uniqueKey` collapses different requests meant to do one thing into one job, for as
//! long as that job is not final, or for `uniqueFor` seconds after it was queued.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest unique key accepted, in characters.
pub const MAX_UNIQUE_KEY_CHARS: usize = 255;
/// The longest `uniqueFor` accepted: a year, in seconds.
pub const MAX_UNIQUE_FOR_SECONDS: u32 = 31_536_000;

/// How a job keeps others with its key from being queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Uniqueness {
    /// The key, unique per user.
    pub key: String,
    /// How long after the job was queued a request with the same key is collapsed into it, whatever
    /// the job's status; `None`: for as long as the job is not final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<u32>,
}

impl Uniqueness {
    /// Parses a job's `uniqueKey` (1–255 characters) and `uniqueFor` (1–31,536,000 seconds, only with
    /// a key); each error names its field.
    pub fn parse(
        key: Option<String>,
        for_seconds: Option<i64>,
    ) -> Result<Option<Self>, Vec<crate::FieldError>> {
        let mut errors = crate::errors::FieldErrors::default();
        let keyless = key.is_none();
        let key = key.and_then(|key| errors.check("uniqueKey", parse_key(key)));
        let for_seconds = for_seconds.and_then(|seconds| errors.check("uniqueFor", parse_for(seconds)));
        if for_seconds.is_some() && keyless {
            errors.push("uniqueFor", "needs a uniqueKey");
        }
        errors.finish()?;
        Ok(key.map(|key| Self { key, for_seconds }))
    }

    /// When the job stops keeping others out whatever its status: `queued_at + uniqueFor`; `None` when
    /// it keeps them out until it is final.
    pub fn expires_at(&self, queued_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.for_seconds.map(|seconds| queued_at + Duration::seconds(i64::from(seconds)))
    }
}

fn parse_key(key: String) -> Result<String, String> {
    match key.chars().count() {
        0 => Err("must not be empty".to_owned()),
        n if n > MAX_UNIQUE_KEY_CHARS => Err(format!("must be at most {MAX_UNIQUE_KEY_CHARS} characters")),
        _ => Ok(key),
    }
}

fn parse_for(seconds: i64) -> Result<u32, String> {
    match u32::try_from(seconds) {
        Ok(seconds @ 1..=MAX_UNIQUE_FOR_SECONDS) => Ok(seconds),
        _ => Err(format!("must be an integer from 1 to {MAX_UNIQUE_FOR_SECONDS} (seconds)")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn fields(result: Result<Option<Uniqueness>, Vec<crate::FieldError>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn a_job_without_a_key_is_not_unique() {
        assert_eq!(Uniqueness::parse(None, None), Ok(None));
    }

    #[test]
    fn a_key_of_one_to_255_characters_is_accepted_and_counted_in_characters() {
        let key = "é".repeat(255);
        let parsed = Uniqueness::parse(Some(key.clone()), None).unwrap().unwrap();
        assert_eq!(parsed, Uniqueness { key, for_seconds: None });
    }

    #[test]
    fn an_empty_or_over_long_key_is_refused_under_unique_key() {
        assert_eq!(fields(Uniqueness::parse(Some(String::new()), None)), ["uniqueKey"]);
        assert_eq!(fields(Uniqueness::parse(Some("k".repeat(256)), None)), ["uniqueKey"]);
    }

    #[test]
    fn unique_for_runs_from_one_second_to_a_year() {
        assert!(Uniqueness::parse(Some("k".into()), Some(1)).is_ok());
        assert!(Uniqueness::parse(Some("k".into()), Some(31_536_000)).is_ok());
        for out_of_range in [0, -1, 31_536_001, i64::MAX] {
            assert_eq!(fields(Uniqueness::parse(Some("k".into()), Some(out_of_range))), ["uniqueFor"]);
        }
    }

    #[test]
    fn unique_for_without_a_key_is_refused() {
        assert_eq!(fields(Uniqueness::parse(None, Some(60))), ["uniqueFor"]);
    }

    #[test]
    fn a_job_unique_for_a_while_expires_that_long_after_it_was_queued() {
        let queued_at = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let forever = Uniqueness { key: "k".into(), for_seconds: None };
        let minute = Uniqueness { key: "k".into(), for_seconds: Some(60) };
        assert_eq!(forever.expires_at(queued_at), None);
        assert_eq!(minute.expires_at(queued_at), Some(queued_at + Duration::seconds(60)));
    }
}
