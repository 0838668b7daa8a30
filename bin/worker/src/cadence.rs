//! When the worker takes jobs: on the ticks of a six-field cron expression (seconds first), or
//! continuously when the expression is empty.

use std::str::FromStr;

use chrono::{DateTime, Utc};

/// The worker's cadence.
#[derive(Debug, Clone)]
pub enum Cadence {
    /// Take jobs whenever there are some.
    Continuous,
    /// Drain up to a batch at each tick.
    Ticks(Box<cron::Schedule>),
}

impl Cadence {
    /// Parses `worker.schedule`: empty, or six fields with seconds first (`*/10 * * * * *`).
    pub fn parse(expression: &str) -> Result<Self, String> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Ok(Cadence::Continuous);
        }
        let fields = expression.split_whitespace().count();
        if fields != 6 {
            return Err(format!(
                "worker.schedule needs six fields, seconds first (e.g. \"*/10 * * * * *\"); {expression:?} has {fields}"
            ));
        }
        cron::Schedule::from_str(expression)
            .map(|schedule| Cadence::Ticks(Box::new(schedule)))
            .map_err(|error| format!("worker.schedule {expression:?} is not a cron expression: {error}"))
    }

    /// The first tick after `now`; `None` when continuous (or the schedule never fires again).
    pub fn next_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Cadence::Continuous => None,
            Cadence::Ticks(schedule) => schedule.after(&now).next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_empty_schedule_means_continuous() {
        assert!(matches!(Cadence::parse("  "), Ok(Cadence::Continuous)));
    }

    #[test]
    fn every_ten_seconds_ticks_on_the_next_multiple_of_ten() {
        let cadence = Cadence::parse("*/10 * * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 3).unwrap();
        assert_eq!(cadence.next_tick(now), Some(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 10).unwrap()));
    }

    #[test]
    fn five_field_expressions_and_nonsense_are_refused_with_the_reason() {
        assert!(Cadence::parse("*/5 * * * *").unwrap_err().contains("six fields"));
        assert!(Cadence::parse("a b c d e f").unwrap_err().contains("not a cron expression"));
    }
}
